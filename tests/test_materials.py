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
