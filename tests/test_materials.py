"""The built-in material library: names, values and sources."""

from __future__ import annotations

import pytest

from wafersolve.case.materials import MATERIALS, get_material, material_names


def test_material_library():
    required = {"silicon", "copper", "aluminium_6061", "pcb", "fr4", "indium", "tim_grease",
                "tim_pcm", "tim_liquid_metal", "graphite_pad", "silicone",
                "elastomer_connector", "sac305", "underfill"}
    assert required <= set(material_names())
    for name in material_names():
        m = get_material(name)
        assert m.name == name and m.source
        assert all(k > 0 for k in m.k_W_per_m_K)
    assert get_material("silicon").k_exponent == 1.3
    assert get_material("pcb").k_W_per_m_K == (30.0, 30.0, 0.5)
    assert get_material("elastomer_connector").k_W_per_m_K[2] == 2.0
    assert "ASSUMPTION" in get_material("elastomer_connector").source
    with pytest.raises(KeyError, match="did you mean 'copper'"):
        get_material("coper")
    with pytest.raises(TypeError):
        MATERIALS["x"] = get_material("copper")  # the library is read-only


PLATE_MATERIALS = {"silicon", "copper", "aluminium_6061", "pcb", "fr4", "indium", "sac305",
                   "underfill"}
INTERFACE_ONLY = {"tim_grease", "tim_pcm", "tim_liquid_metal", "graphite_pad", "silicone",
                  "elastomer_connector"}


def test_elastic_data_of_the_library():
    """Values from docs/materials.md (shared reference mechanics.md §1-§2)."""
    assert PLATE_MATERIALS | INTERFACE_ONLY == set(material_names())
    for name in INTERFACE_ONLY:
        assert get_material(name).elastic is None
    for name in PLATE_MATERIALS:
        el = get_material(name).elastic
        assert el.source and el.Q_Pa[0] > abs(el.Q_Pa[1]) and el.Q_Pa[3] > 0
        assert el.Q_Pa[0] == el.Q_Pa[2] and el.alpha_per_K[0] == el.alpha_per_K[1]
    si = get_material("silicon").elastic
    # (100) plane stress, x along [100]: Q11 = C11 - C12^2/C11, Q12 = C12 - C12^2/C11, Q66 = C44
    assert si.Q_Pa == pytest.approx((141.06e9, 39.26e9, 141.06e9, 79.6e9), rel=1e-4)
    assert si.biaxial_modulus_Pa == pytest.approx(180.3e9, rel=1e-3)
    assert si.alpha_per_K == (2.6e-6, 2.6e-6) and si.alpha_z_per_K == 2.6e-6
    assert "Hopcroft" in si.source and "Okada" in si.source
    cases = {  # name: (E, nu, in-plane CTE, z CTE)
        "copper": (117e9, 0.34, 17e-6, 17e-6),
        "aluminium_6061": (68.9e9, 0.33, 23.6e-6, 23.6e-6),
        "pcb": (25e9, 0.18, 16e-6, 45e-6),
        "fr4": (22e9, 0.15, 14e-6, 45e-6),
        "indium": (11e9, 0.45, 32.1e-6, 32.1e-6),
        "sac305": (51e9, 0.38, 22e-6, 22e-6),
        "underfill": (8e9, 0.33, 30e-6, 30e-6),
    }
    for name, (E, nu, alpha, alpha_z) in cases.items():
        el = get_material(name).elastic
        q11, q12, _, q66 = el.Q_Pa
        assert q12 / q11 == pytest.approx(nu, rel=1e-12)
        assert q11 * (1 - nu * nu) == pytest.approx(E, rel=1e-12)
        assert q66 == pytest.approx(E / (2 * (1 + nu)), rel=1e-12)
        assert el.alpha_per_K[0] == pytest.approx(alpha, rel=1e-12)
        assert el.alpha_z_per_K == pytest.approx(alpha_z, rel=1e-12)
    assert "ASSUMPTION" in get_material("pcb").elastic.source
