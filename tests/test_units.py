"""Unit-suffix parsing: every accepted suffix converts to SI, every misuse is a CaseError."""

from __future__ import annotations

import math

import numpy as np
import pytest

from wafersolve.errors import CaseError
from wafersolve.units import (
    DIMENSIONS,
    SI_SUFFIX,
    check_number,
    classify_key,
    find_unit_key,
    from_si,
    read_quantity,
    to_si,
    unit_keys,
)

CONVERSIONS = [
    ("length", "um", 775.0, 775e-6),
    ("length", "mm", 3.2, 3.2e-3),
    ("length", "m", 0.215, 0.215),
    ("power", "W", 150.0, 150.0),
    ("power", "kW", 25.0, 25_000.0),
    ("power", "MW", 1.5, 1.5e6),
    ("temperature", "K", 300.0, 300.0),
    ("temperature", "C", 21.0, 294.15),
    ("temperature", "C", -5.0, 268.15),
    ("volumetric_flow", "lpm", 100.0, 100.0 / 60_000.0),
    ("volumetric_flow", "m3_per_s", 1e-3, 1e-3),
    ("thermal_conductivity", "W_per_m_K", 148.0, 148.0),
    ("heat_transfer_coefficient", "W_per_m2_K", 3e4, 3e4),
    ("contact_resistance", "m2_K_per_W", 1e-6, 1e-6),
    ("contact_resistance", "mm2_K_per_W", 1.0, 1e-6),
    ("contact_resistance", "cm2_K_per_W", 0.05, 5e-6),
    ("power_density", "W_per_m2", 5.41e5, 5.41e5),
    ("power_density", "W_per_cm2", 54.1, 5.41e5),
    ("power_density", "W_per_mm2", 0.541, 5.41e5),
    ("modulus", "Pa", 1.17e11, 1.17e11),
    ("modulus", "kPa", 300.0, 3e5),
    ("modulus", "MPa", 1.0, 1e6),
    ("modulus", "GPa", 165.7, 165.7e9),
    ("cte", "per_K", 2.6e-6, 2.6e-6),
    ("cte", "ppm_per_K", 17.0, 17e-6),
    ("stiffness_per_area", "N_per_m3", 1e9, 1e9),
    ("stiffness_per_area", "N_per_mm3", 1.0, 1e9),
    ("stiffness_per_area", "MPa_per_mm", 3.0, 3e9),
    ("lateral_stiffness", "N_per_m", 2e4, 2e4),
    ("lateral_stiffness", "N_per_mm", 20.0, 2e4),
    ("areal_density", "per_m2", 1e6, 1e6),
    ("areal_density", "per_mm2", 4.0, 4e6),
    ("areal_density", "per_cm2", 400.0, 4e6),
    ("pressure", "Pa", 101325.0, 101325.0),
    ("pressure", "kPa", 50.0, 5e4),
    ("pressure", "MPa", 0.2, 2e5),
]


@pytest.mark.parametrize(("dimension", "suffix", "value", "si"), CONVERSIONS)
def test_to_si_and_back(dimension, suffix, value, si):
    assert to_si(value, dimension, suffix) == pytest.approx(si, rel=1e-14)
    assert from_si(to_si(value, dimension, suffix), dimension, suffix) == pytest.approx(value)


def test_every_suffix_is_covered_and_si_suffix_is_identity():
    covered = {(d, s) for d, s, _, _ in CONVERSIONS}
    for dimension, units in DIMENSIONS.items():
        for suffix in units:
            assert (dimension, suffix) in covered
        assert to_si(2.5, dimension, SI_SUFFIX[dimension]) == 2.5


def test_to_si_arrays_keep_shape():
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_allclose(to_si(a, "power_density", "W_per_cm2"), a * 1e4)
    np.testing.assert_allclose(to_si(a, "temperature", "C"), a + 273.15)


def test_unit_keys_order_matches_messages():
    assert unit_keys("thickness", "length") == ["thickness_um", "thickness_mm", "thickness_m"]
    assert unit_keys("flow", "volumetric_flow") == ["flow_lpm", "flow_m3_per_s"]


def test_read_quantity_converts():
    sec = {"thickness_mm": 3.2, "name": "pcb"}
    assert read_quantity(sec, "thickness", "length", path="c.toml", where="x") == pytest.approx(
        3.2e-3
    )
    assert read_quantity({"inlet_T_C": 21}, "inlet_T", "temperature", path="c", where="") == (
        pytest.approx(294.15)
    )


def test_missing_unit_suffix():
    with pytest.raises(CaseError) as err:
        read_quantity({"thickness": 5}, "thickness", "length", path="c.toml",
                      where="stack.layers[0]")
    assert str(err.value) == (
        "c.toml: stack.layers[0].thickness = 5: missing unit suffix, expected one of "
        "thickness_um, thickness_mm, thickness_m"
    )


def test_wrong_unit_suffix():
    with pytest.raises(CaseError) as err:
        find_unit_key({"thickness_kg": 5}, "thickness", "length", path="c.toml", where="s")
    msg = str(err.value)
    assert msg.startswith("c.toml: s.thickness_kg = 5: unknown unit suffix 'kg'")
    assert "expected one of thickness_um, thickness_mm, thickness_m" in msg


def test_two_spellings_at_once():
    with pytest.raises(CaseError) as err:
        find_unit_key({"flow_lpm": 100, "flow_m3_per_s": 0.001}, "flow", "volumetric_flow",
                      path="c.toml", where="cooling")
    msg = str(err.value)
    assert "flow_lpm and flow_m3_per_s are two spellings of one field" in msg
    assert "give exactly one of flow_lpm, flow_m3_per_s" in msg


def test_missing_required_and_optional_default():
    with pytest.raises(CaseError, match=r"c.toml: cooling.h: missing required key, give one of "
                                        r"h_W_per_m2_K$"):
        read_quantity({}, "h", "heat_transfer_coefficient", path="c.toml", where="cooling")
    assert read_quantity({}, "h", "heat_transfer_coefficient", path="c", where="",
                         required=False, default=7.0) == 7.0


def test_ignore_lets_other_fields_share_a_prefix():
    sec = {"k_W_per_m_K": 2.0, "k_exponent": 1.3}
    with pytest.raises(CaseError, match="unknown unit suffix 'exponent'"):
        find_unit_key(sec, "k", "thermal_conductivity", path="c", where="m")
    assert find_unit_key(sec, "k", "thermal_conductivity", path="c", where="m",
                         ignore={"k_exponent"}) == ("k_W_per_m_K", "W_per_m_K")


@pytest.mark.parametrize(("value", "expected"), [
    ("5", "expected a number"),
    (True, "expected a number"),
    ([1, 2], "expected a number"),
    (math.nan, "expected a finite number"),
    (math.inf, "expected a finite number"),
    (-math.inf, "expected a finite number"),
])
def test_check_number_rejects(value, expected):
    with pytest.raises(CaseError, match=expected):
        check_number(value, path="c.toml", field="f")


def test_check_number_accepts_ints_and_floats():
    assert check_number(3, path="c", field="f") == 3.0
    assert isinstance(check_number(3, path="c", field="f"), float)
    assert check_number(-2.5, path="c", field="f") == -2.5


def test_classify_key_prefers_longest_base():
    bases = {"k": "thermal_conductivity", "k_ref_T": "temperature"}
    assert classify_key("k_ref_T_C", bases) == ("k_ref_T", "C")
    assert classify_key("k_W_per_m_K", bases) == ("k", "W_per_m_K")
    assert classify_key("k", bases) == ("k", "")
    assert classify_key("kx_W_per_m_K", bases) is None


def test_unknown_dimension_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown dimension"):
        to_si(1.0, "mass", "kg")
