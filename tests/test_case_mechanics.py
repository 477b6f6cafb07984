"""Case loading of the thermo-mechanical model: elastic material keys and the [mechanics] section.

The shipped cases give the expected SI values, and every class of bad input gives its pinned
message (built, as in test_case_load.py, from a minimal valid case with one change).
"""

from __future__ import annotations

import copy
import json
import math
import tomllib
from pathlib import Path

import pytest

from wafersolve.case.load import build_case, load_case, load_case_text
from wafersolve.case.materials import get_material
from wafersolve.case.model import Allowables
from wafersolve.case.resolved import case_to_dict
from wafersolve.errors import CaseError

CASES = Path(__file__).resolve().parents[1] / "cases"

THERMAL = """\
[case]
name = "t"

[grid]
nx = 16
ny = 16

[[stack.layers]]
name = "pcb"
material = "pcb"
thickness_mm = 3.2

[[stack.layers]]
name = "connector"
material = "elastomer_connector"
thickness_mm = 1.0

[[stack.layers]]
name = "wafer"
material = "silicon"
thickness_um = 775

[[stack.layers]]
name = "tim"
material = "tim_pcm"
thickness_um = 30

[[stack.layers]]
name = "lid"
material = "copper"
thickness_mm = 3.0

[power]
layer = "wafer"
total_kW = 25

[cooling]
coolant = "water"
inlet_T_C = 21
flow_lpm = 100
h_W_per_m2_K = 3e4
"""

MECH = """
[mechanics]
stress_free_T_C = 25
cell_size_mm = 26.875

[[mechanics.interfaces]]
layer = "connector"
kind = "compliant"
shear_modulus_MPa = 1.0
normal_modulus_MPa = 3.0

[[mechanics.interfaces]]
layer = "tim"
kind = "slip"
normal_modulus_MPa = 100

[mechanics.allowables]
stress_MPa = { wafer = 100 }
shear_strain = 0.15
gap_change_um = [-50, 50]
"""

BASE = THERMAL + MECH


def load(text: str = BASE):
    return load_case_text(text, "t.toml")


def variant(old: str, new: str, text: str = BASE) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def error(text: str) -> str:
    with pytest.raises(CaseError) as err:
        load(text)
    return str(err.value)


def with_material(keys: str, name: str = "m") -> str:
    """BASE with the lid made of custom material ``name`` (k = 100) given ``keys``."""
    text = variant('material = "copper"', f'material = "{name}"')
    return text + f"\n[materials.{name}]\nk_W_per_m_K = 100\n{keys}\n"


# -- the shipped cases -------------------------------------------------------------------------
def test_wse3_mechanics_in_si():
    mech = load_case(CASES / "wse3.toml").mechanics
    assert mech.stress_free_T_K == pytest.approx(298.15)
    assert mech.cell_size_m == pytest.approx(1e-3)
    assert mech.support == "free" and mech.support_layer is None and mech.preload_Pa == 0.0
    connector, tim = mech.interfaces
    assert (connector.layer, connector.kind) == ("connector", "compliant")
    assert connector.shear_stiffness_Pa_per_m == pytest.approx(1e6 / 1e-3, rel=1e-12)  # G/h
    assert connector.normal_stiffness_Pa_per_m == pytest.approx(3e6 / 1e-3, rel=1e-12)
    assert (tim.layer, tim.kind, tim.shear_stiffness_Pa_per_m) == ("tim", "slip", 0.0)
    assert tim.normal_stiffness_Pa_per_m == pytest.approx(100e6 / 30e-6, rel=1e-12)
    assert mech.interface("wafer") is None and mech.interface("tim") is tim
    a = mech.allowables
    assert a.stress_Pa == (("wafer", pytest.approx(100e6)),)
    assert a.shear_strain == 0.15
    assert a.gap_change_m == pytest.approx((-50e-6, 50e-6))


def test_small_case_mechanics_grid_is_coarse():
    case = load_case(CASES / "small.toml")
    across = case.wafer.size_m[0] / case.mechanics.cell_size_m
    assert 16 <= round(across) <= 32
    assert case.mechanics.cell_size_m >= case.wafer.size_m[0] / case.grid.nx
    assert [i.layer for i in case.mechanics.interfaces] == ["connector", "tim"]
    assert case.mechanics.interfaces[0].shear_stiffness_Pa_per_m == pytest.approx(1e9)


@pytest.mark.parametrize("name", ["power_map", "hotspot_mesh"])
def test_thermal_only_cases_have_no_mechanics(name):
    assert load_case(CASES / f"{name}.toml").mechanics is None


def test_resolved_case_carries_mechanics_and_elastic_data():
    d = case_to_dict(load_case(CASES / "small.toml"))
    assert json.loads(json.dumps(d, allow_nan=False)) == d
    m = d["mechanics"]
    assert m["stress_free_T_K"] == pytest.approx(298.15) and m["support"] == "free"
    assert m["interfaces"][0] == {"layer": "connector", "kind": "compliant",
                                  "shear_stiffness_Pa_per_m": pytest.approx(1e9),
                                  "normal_stiffness_Pa_per_m": pytest.approx(3e9)}
    assert m["allowables"]["stress_Pa"] == {"wafer": pytest.approx(1e8)}
    assert m["allowables"]["gap_change_m"] == pytest.approx([-5e-5, 5e-5])
    si = d["layers"][2]["material"]["elastic"]
    assert si["Q_Pa"][3] == pytest.approx(79.6e9)
    assert si["biaxial_modulus_Pa"] == pytest.approx(180.3e9, rel=1e-3)
    assert si["alpha_per_K"] == [2.6e-6, 2.6e-6] and "Hopcroft" in si["source"]
    assert d["layers"][1]["material"]["elastic"] is None  # the connector: springs only
    assert case_to_dict(load(THERMAL))["mechanics"] is None


# -- values and defaults -----------------------------------------------------------------------
def test_defaults_when_only_interfaces_are_given():
    text = variant("stress_free_T_C = 25\ncell_size_mm = 26.875\n", "")
    text = text[: text.index("[mechanics.allowables]")]
    mech = load(text).mechanics
    assert mech.stress_free_T_K == 298.15 and mech.cell_size_m is None
    assert mech.support == "free" and mech.preload_Pa == 0.0
    assert mech.allowables == Allowables()


def test_thermal_only_case_has_no_mechanics():
    assert load(THERMAL).mechanics is None


def test_other_units_and_shear_forms():
    text = variant("stress_free_T_C = 25", "stress_free_T_K = 300\npreload_kPa = 50")
    text = variant("shear_modulus_MPa = 1.0", "pin_lateral_stiffness_N_per_mm = 20\n"
                   "pin_density_per_mm2 = 4", text)
    text = variant("normal_modulus_MPa = 100", "normal_stiffness_N_per_m3 = 0", text)
    text = variant("stress_MPa = { wafer = 100 }", "stress_GPa = { wafer = 0.2, pcb = 0.05 }",
                   text)
    mech = load(text).mechanics
    assert mech.stress_free_T_K == 300.0 and mech.preload_Pa == pytest.approx(5e4)
    assert mech.interfaces[0].shear_stiffness_Pa_per_m == pytest.approx(20e3 * 4e6)
    assert mech.interfaces[1].normal_stiffness_Pa_per_m == 0.0
    assert mech.allowables.stress_Pa == (("wafer", pytest.approx(2e8)),
                                         ("pcb", pytest.approx(5e7)))
    text = variant("shear_modulus_MPa = 1.0", "shear_stiffness_MPa_per_mm = 2")
    assert load(text).mechanics.interfaces[0].shear_stiffness_Pa_per_m == pytest.approx(2e9)


def test_simply_supported():
    text = variant("cell_size_mm = 26.875", 'cell_size_mm = 26.875\nsupport = "simply_supported"'
                   '\nsupport_layer = "pcb"')
    mech = load(text).mechanics
    assert (mech.support, mech.support_layer) == ("simply_supported", "pcb")


def test_cell_size_equal_to_the_thermal_cell_and_the_wafer():
    assert load(variant("cell_size_mm = 26.875", "cell_size_mm = 13.4375")).mechanics.cell_size_m \
        == pytest.approx(215e-3 / 16)
    assert load(variant("cell_size_mm = 26.875", "cell_size_m = 0.215")).mechanics.cell_size_m \
        == pytest.approx(0.215)


# -- elastic data of materials -----------------------------------------------------------------
def test_custom_isotropic_orthotropic_and_cubic_materials():
    iso = load(with_material("E_GPa = 100\nnu = 0.25\ncte_ppm_per_K = 10\ncte_z_ppm_per_K = 40\n"
                             'source = "sheet"')).layers[4].material
    q = 100e9 / (1 - 0.25**2)
    assert iso.elastic.Q_Pa == pytest.approx((q, 0.25 * q, q, 100e9 / 2.5))
    assert iso.elastic.alpha_per_K == pytest.approx((10e-6, 10e-6))
    assert iso.elastic.alpha_z_per_K == pytest.approx(40e-6) and iso.elastic.source == "sheet"
    ortho = load(with_material("Ex_GPa = 30\nEy_MPa = 20000\nnu_xy = 0.2\nG_xy_GPa = 5\n"
                               "cte_x_ppm_per_K = 14\ncte_y_per_K = 18e-6")).layers[4].material
    d = 1 - 0.2 * 0.2 * 20 / 30
    assert ortho.elastic.Q_Pa == pytest.approx((30e9 / d, 0.2 * 20e9 / d, 20e9 / d, 5e9))
    assert ortho.elastic.alpha_per_K == pytest.approx((14e-6, 18e-6))
    assert ortho.elastic.alpha_z_per_K == pytest.approx(16e-6)  # default: mean in-plane CTE
    cubic = load(with_material("C11_GPa = 165.7\nC12_GPa = 63.9\nC44_GPa = 79.6\n"
                               "cte_ppm_per_K = 2.6")).layers[4].material
    assert cubic.elastic.Q_Pa == pytest.approx(get_material("silicon").elastic.Q_Pa, rel=1e-12)
    assert cubic.elastic.alpha_z_per_K == pytest.approx(2.6e-6)


def test_elastic_data_is_optional_for_a_thermal_case():
    text = THERMAL + "[materials.m]\nk_W_per_m_K = 5\n"
    assert load(text).layers[0].material.elastic is not None  # built-in pcb
    case = load(variant('material = "tim_pcm"', 'material = "m"', text))
    assert case.layers[3].material.elastic is None


@pytest.mark.parametrize(("keys", "expected"), [
    # partial sets
    ("E_GPa = 100\ncte_ppm_per_K = 10",
     "t.toml: materials.m.nu: missing elastic constant: the isotropic form needs E_* and nu; "
     "give also nu"),
    ("Ex_GPa = 30\nEy_GPa = 20\nnu_xy = 0.2\ncte_x_ppm_per_K = 1\ncte_y_ppm_per_K = 1",
     "t.toml: materials.m.G_xy: missing elastic constant: the orthotropic form needs Ex_*, "
     "Ey_*, nu_xy and G_xy_*; give also G_xy_*"),
    ("C11_GPa = 165\nC44_GPa = 80\ncte_ppm_per_K = 2.6",
     "t.toml: materials.m.C12: missing elastic constant: the cubic form needs C11_*, C12_* "
     "and C44_*; give also C12_*"),
    # missing thermal expansion
    ("E_GPa = 100\nnu = 0.3",
     "t.toml: materials.m.cte: missing thermal expansion: the isotropic form needs cte_*, e.g. "
     "cte_ppm_per_K = 17; give also cte_*"),
    ("Ex_GPa = 30\nEy_GPa = 20\nnu_xy = 0.2\nG_xy_GPa = 5\ncte_x_ppm_per_K = 14",
     "t.toml: materials.m.cte_y: missing thermal expansion: the orthotropic form needs cte_x_* "
     "and cte_y_*, e.g. cte_y_ppm_per_K = 17; give also cte_y_*"),
    # expansion without elastic constants
    ("cte_ppm_per_K = 10",
     "t.toml: materials.m.cte_ppm_per_K = 10: thermal expansion without elastic constants: give "
     "also E_* and nu (isotropic), or use the orthotropic (Ex_*, Ey_*, nu_xy, G_xy_*, cte_x_*, "
     "cte_y_*) or cubic (C11_*, C12_*, C44_*, cte_*) form"),
    # mixing forms
    ("E_GPa = 100\nnu = 0.3\nC11_GPa = 165\ncte_ppm_per_K = 10",
     "t.toml: materials.m.C11_GPa = 165: mixes isotropic (E_GPa, nu) and cubic (C11_GPa) elastic "
     "keys; give one form"),
    ("E_GPa = 100\nnu = 0.3\ncte_x_ppm_per_K = 10",
     "t.toml: materials.m.cte_x_ppm_per_K = 10: mixes isotropic (E_GPa, nu) and orthotropic "
     "(cte_x_ppm_per_K) elastic keys; give one form"),
    ("Ex_GPa = 30\nEy_GPa = 20\nnu_xy = 0.2\nG_xy_GPa = 5\ncte_ppm_per_K = 14",
     "t.toml: materials.m.cte_ppm_per_K = 14: the orthotropic form takes cte_x_* and cte_y_* "
     "(and optionally cte_z_*), not cte_*"),
    ("C11_GPa = 165\nC12_GPa = 64\nC44_GPa = 80\ncte_ppm_per_K = 2.6\ncte_z_ppm_per_K = 3",
     "t.toml: materials.m.cte_z_ppm_per_K = 3: a cubic crystal expands isotropically: give "
     "cte_* only"),
    # ranges
    ("E_GPa = 0\nnu = 0.3\ncte_ppm_per_K = 10",
     "t.toml: materials.m.E_GPa = 0: expected a number > 0"),
    ("E_MPa = -5\nnu = 0.3\ncte_ppm_per_K = 10",
     "t.toml: materials.m.E_MPa = -5: expected a number > 0"),
    ("E_GPa = 1\nnu = 0.7\ncte_ppm_per_K = 9",
     "t.toml: materials.m.nu = 0.7: expected a number > -1 and < 0.5"),
    ("E_GPa = 1\nnu = 0.5\ncte_ppm_per_K = 9",
     "t.toml: materials.m.nu = 0.5: expected a number > -1 and < 0.5"),
    ("E_GPa = 1\nnu = -1\ncte_ppm_per_K = 9",
     "t.toml: materials.m.nu = -1: expected a number > -1 and < 0.5"),
    ('E_GPa = 1\nnu = "0.3"\ncte_ppm_per_K = 9',
     "t.toml: materials.m.nu = '0.3': expected a number"),
    ("Ex_GPa = 1\nEy_GPa = 20\nnu_xy = 0.3\nG_xy_GPa = 5\ncte_x_ppm_per_K = 1\n"
     "cte_y_ppm_per_K = 1",
     "t.toml: materials.m.nu_xy = 0.3: expected 1 - nu_xy^2 Ey/Ex > 0 (a positive-definite "
     "stiffness): with Ey/Ex = 20 it is -0.8"),
    ("Ex_GPa = 30\nEy_GPa = 20\nnu_xy = 0.2\nG_xy_GPa = 0\ncte_x_ppm_per_K = 1\n"
     "cte_y_ppm_per_K = 1",
     "t.toml: materials.m.G_xy_GPa = 0: expected a number > 0"),
    ("C11_GPa = 100\nC12_GPa = 120\nC44_GPa = 80\ncte_ppm_per_K = 2.6",
     "t.toml: materials.m.C12_GPa = 120: expected C11 > |C12| and C11 + 2 C12 > 0 (a "
     "positive-definite cubic stiffness): C11_GPa = 100 and C12_GPa = 120 are not"),
    ("C11_GPa = 100\nC12_GPa = -60\nC44_GPa = 80\ncte_ppm_per_K = 2.6",
     "t.toml: materials.m.C12_GPa = -60: expected C11 > |C12| and C11 + 2 C12 > 0 (a "
     "positive-definite cubic stiffness): C11_GPa = 100 and C12_GPa = -60 are not"),
    ("C11_GPa = 165\nC12_GPa = 64\nC44_GPa = -1\ncte_ppm_per_K = 2.6",
     "t.toml: materials.m.C44_GPa = -1: expected a number > 0"),
    ("E_GPa = 100\nnu = 0.3\ncte_per_K = 17",
     "t.toml: materials.m.cte_per_K = 17: expected a thermal expansion between -0.001 and 0.001 "
     "per K (check the unit suffix: cte_ppm_per_K = 17 is 17e-6 per K)"),
    ("E_GPa = 100\nnu = 0.3\ncte_ppm_per_K = nan",
     "t.toml: materials.m.cte_ppm_per_K = nan: expected a finite number"),
    # spelling
    ("E_Gpa = 100\nnu = 0.3\ncte_ppm_per_K = 10",
     "t.toml: materials.m.E_Gpa = 100: unknown unit suffix 'Gpa', expected one of E_Pa, E_kPa, "
     "E_MPa, E_GPa"),
    ("E = 100\nnu = 0.3\ncte_ppm_per_K = 10",
     "t.toml: materials.m.E = 100: missing unit suffix, expected one of E_Pa, E_kPa, E_MPa, "
     "E_GPa"),
    ("Ex_GPa = 30\nEy_GPa = 20\nnu_yx = 0.2",
     "t.toml: materials.m.nu_yx = 0.2: unknown key, did you mean 'nu_xy'?"),
])
def test_elastic_material_errors(keys, expected):
    assert error(with_material(keys)) == expected


def test_plate_without_elastic_data():
    text = variant('[[mechanics.interfaces]]\nlayer = "tim"\nkind = "slip"\n'
                   "normal_modulus_MPa = 100\n", "")
    assert error(text) == (
        "t.toml: stack.layers[3].material = 'tim_pcm': layer 'tim' is a plate for [mechanics] and "
        "needs elastic properties, but material 'tim_pcm' has none; list layer 'tim' under "
        "[[mechanics.interfaces]] or use a material with E, nu and cte")
    text = with_material("source = 'thermal only'")
    assert error(text).startswith("t.toml: stack.layers[4].material = 'm': layer 'lid' is a plate")


# -- [mechanics] errors ------------------------------------------------------------------------
@pytest.mark.parametrize(("old", "new", "expected"), [
    ("stress_free_T_C = 25", "stres_free_T_C = 25",
     "t.toml: mechanics.stres_free_T_C = 25: unknown key, did you mean 'stress_free_T_C'?"),
    ("stress_free_T_C = 25", "stress_free_T_F = 77",
     "t.toml: mechanics.stress_free_T_F = 77: unknown unit suffix 'F', expected one of "
     "stress_free_T_C, stress_free_T_K"),
    ("stress_free_T_C = 25", "stress_free_T_K = 0",
     "t.toml: mechanics.stress_free_T_K = 0: expected a temperature above 0 K"),
    ("stress_free_T_C = 25", "stress_free_T_C = -300",
     "t.toml: mechanics.stress_free_T_C = -300: expected a temperature above 0 K"),
    ("cell_size_mm = 26.875", "cell_size_mm = 10",
     "t.toml: mechanics.cell_size_mm = 10: expected a cell size >= the thermal cell size, "
     "13.4375 mm from [grid]: mechanics cells are made by merging whole thermal cells; refine "
     "[grid] for a finer mechanics mesh"),
    ("cell_size_mm = 26.875", "cell_size_mm = 300",
     "t.toml: mechanics.cell_size_mm = 300: expected a cell size <= the wafer size, 215 mm"),
    ("cell_size_mm = 26.875", "cell_size_mm = 0",
     "t.toml: mechanics.cell_size_mm = 0: expected a number > 0"),
    ("cell_size_mm = 26.875", 'support = "clamped"',
     "t.toml: mechanics.support = 'clamped': expected one of 'free', 'simply_supported'"),
    ("cell_size_mm = 26.875", 'support = "simply_supported"',
     "t.toml: mechanics.support_layer: missing required key: support = 'simply_supported' needs "
     "the plate layer whose laminate is held at w = 0 along its edges"),
    ("cell_size_mm = 26.875", 'support_layer = "pcb"',
     "t.toml: mechanics.support_layer = 'pcb': support_layer applies only to support = "
     "'simply_supported' (support is 'free'); remove it or set support = 'simply_supported'"),
    ("cell_size_mm = 26.875", 'support = "simply_supported"\nsupport_layer = "connector"',
     "t.toml: mechanics.support_layer = 'connector': expected a plate layer: pcb, wafer, lid: "
     "'connector' is listed under [[mechanics.interfaces]]"),
    ("cell_size_mm = 26.875", 'support = "simply_supported"\nsupport_layer = "frame"',
     "t.toml: mechanics.support_layer = 'frame': expected the name of a plate layer: pcb, wafer, "
     "lid"),
    ("cell_size_mm = 26.875", "preload_MPa = -0.1",
     "t.toml: mechanics.preload_MPa = -0.1: expected a number >= 0"),
    ("cell_size_mm = 26.875", "preload_GPa = 1",
     "t.toml: mechanics.preload_GPa = 1: unknown unit suffix 'GPa', expected one of preload_Pa, "
     "preload_kPa, preload_MPa"),
    ("cell_size_mm = 26.875", "outline_diameter_mm = 100",
     "t.toml: mechanics.outline_diameter_mm = 100: expected a diameter >= half the wafer's "
     "smaller side, 107.5 mm: the clipped outline must keep the centre of the footprint and most "
     "of its area"),
    ("cell_size_mm = 26.875", "outline_diameter_mm = -300",
     "t.toml: mechanics.outline_diameter_mm = -300: expected a number > 0"),
    ("cell_size_mm = 26.875", "outline_diametre_mm = 300",
     "t.toml: mechanics.outline_diametre_mm = 300: unknown key, did you mean "
     "'outline_diameter_mm'?"),
    ("cell_size_mm = 26.875",
     'outline_diameter_mm = 300\nsupport = "simply_supported"\nsupport_layer = "pcb"',
     "t.toml: mechanics.outline_diameter_mm = 300: a clipped outline cannot be combined with "
     "support = 'simply_supported' (the support holds the edges of the full rectangle)"),
])
def test_mechanics_section_errors(old, new, expected):
    assert error(variant(old, new)) == expected


CONNECTOR = 'layer = "connector"\nkind = "compliant"\nshear_modulus_MPa = 1.0\nnormal_modulus_MPa = 3.0'
TIM = 'layer = "tim"\nkind = "slip"\nnormal_modulus_MPa = 100'


@pytest.mark.parametrize(("old", "new", "expected"), [
    ('layer = "connector"', 'layer = "conector"',
     "t.toml: mechanics.interfaces[0].layer = 'conector': expected the name of a layer in "
     "[[stack.layers]]: pcb, connector, wafer, tim, lid"),
    (TIM, CONNECTOR,
     "t.toml: mechanics.interfaces[1].layer = 'connector': expected each layer at most once in "
     "[[mechanics.interfaces]]: mechanics.interfaces[0] already lists it"),
    ('layer = "connector"', 'layer = "pcb"',
     "t.toml: mechanics.interfaces[0].layer = 'pcb': expected a layer with a plate below and "
     "above it: 'pcb' is the bottom layer of the stack; an interface joins the plates on either "
     "side of it"),
    ('layer = "tim"', 'layer = "lid"',
     "t.toml: mechanics.interfaces[1].layer = 'lid': expected a layer with a plate below and "
     "above it: 'lid' is the top layer of the stack; an interface joins the plates on either "
     "side of it"),
    ('layer = "tim"', 'layer = "wafer"',
     "t.toml: mechanics.interfaces[1].layer = 'wafer': interface layers 'connector' "
     "(mechanics.interfaces[0]) and 'wafer' are adjacent; expected a plate layer between two "
     "interfaces"),
    ('kind = "slip"', 'kind = "bonded"',
     "t.toml: mechanics.interfaces[1].kind = 'bonded': expected one of 'compliant', 'slip'"),
    ('kind = "slip"\n', "",
     "t.toml: mechanics.interfaces[1].kind: missing required key"),
    ("shear_modulus_MPa = 1.0\n", "",
     "t.toml: mechanics.interfaces[0]: missing shear stiffness of compliant interface "
     "'connector': give shear_modulus_* (k_s = G / thickness), shear_stiffness_* (k_s itself), "
     "or pin_lateral_stiffness_* with pin_density_* (k_s = their product)"),
    ("shear_modulus_MPa = 1.0", "shear_modulus_MPa = 1.0\nshear_stiffness_N_per_m3 = 1e9",
     "t.toml: mechanics.interfaces[0].shear_stiffness_N_per_m3 = 1000000000.0: give exactly one "
     "of shear_modulus_* (k_s = G / thickness), shear_stiffness_* (k_s itself), or "
     "pin_lateral_stiffness_* with pin_density_* (k_s = their product); this interface gives "
     "shear_modulus_MPa and shear_stiffness_N_per_m3"),
    ("shear_modulus_MPa = 1.0", "shear_modulus_MPa = 1.0\npin_density_per_mm2 = 4",
     "t.toml: mechanics.interfaces[0].pin_density_per_mm2 = 4: give exactly one of "
     "shear_modulus_* (k_s = G / thickness), shear_stiffness_* (k_s itself), or "
     "pin_lateral_stiffness_* with pin_density_* (k_s = their product); this interface gives "
     "shear_modulus_MPa and pin_density_per_mm2"),
    ("shear_modulus_MPa = 1.0", "pin_lateral_stiffness_N_per_mm = 20",
     "t.toml: mechanics.interfaces[0].pin_density: missing required key: "
     "pin_lateral_stiffness_N_per_mm needs pin_density_* too (k_s = lateral stiffness per pin x "
     "pins per area); give one of pin_density_per_m2, pin_density_per_mm2, pin_density_per_cm2"),
    ("shear_modulus_MPa = 1.0", "pin_density_per_cm2 = 400",
     "t.toml: mechanics.interfaces[0].pin_lateral_stiffness: missing required key: "
     "pin_density_per_cm2 needs pin_lateral_stiffness_* too (k_s = lateral stiffness per pin x "
     "pins per area); give one of pin_lateral_stiffness_N_per_m, pin_lateral_stiffness_N_per_mm"),
    ("shear_modulus_MPa = 1.0", "shear_modulus_MPa = 0",
     "t.toml: mechanics.interfaces[0].shear_modulus_MPa = 0: expected a number > 0"),
    ("shear_modulus_MPa = 1.0", "shear_stiffness_N_per_m3 = -1",
     "t.toml: mechanics.interfaces[0].shear_stiffness_N_per_m3 = -1: expected a number > 0"),
    ("shear_modulus_MPa = 1.0", "pin_lateral_stiffness_N_per_mm = 0\npin_density_per_mm2 = 4",
     "t.toml: mechanics.interfaces[0].pin_lateral_stiffness_N_per_mm = 0: expected a number > 0"),
    ('kind = "slip"', 'kind = "slip"\nshear_modulus_MPa = 1',
     "t.toml: mechanics.interfaces[1].shear_modulus_MPa = 1: a slip interface carries no shear "
     "(k_s = 0); remove this key or use kind = 'compliant'"),
    ("normal_modulus_MPa = 3.0\n", "",
     "t.toml: mechanics.interfaces[0]: missing normal stiffness: give normal_modulus_* (k_n = "
     "E_n / thickness) or normal_stiffness_*; 0 means the plates are not held together out of "
     "plane"),
    ("normal_modulus_MPa = 100\n", "",
     "t.toml: mechanics.interfaces[1]: missing normal stiffness: give normal_modulus_* (k_n = "
     "E_n / thickness) or normal_stiffness_*; 0 means the plates are not held together out of "
     "plane"),
    ("normal_modulus_MPa = 100", "normal_modulus_MPa = 100\nnormal_stiffness_N_per_m3 = 1e12",
     "t.toml: mechanics.interfaces[1].normal_stiffness_N_per_m3 = 1000000000000.0: give either "
     "normal_modulus_* or normal_stiffness_*, not both (normal_modulus_MPa is given too)"),
    ("normal_modulus_MPa = 100", "normal_modulus_MPa = -1",
     "t.toml: mechanics.interfaces[1].normal_modulus_MPa = -1: expected a number >= 0"),
    ("normal_modulus_MPa = 100", "normal_modulus = 100",
     "t.toml: mechanics.interfaces[1].normal_modulus = 100: missing unit suffix, expected one of "
     "normal_modulus_Pa, normal_modulus_kPa, normal_modulus_MPa, normal_modulus_GPa"),
    ("shear_modulus_MPa = 1.0", "shear_modulos_MPa = 1.0",
     "t.toml: mechanics.interfaces[0].shear_modulos_MPa = 1.0: unknown key, did you mean "
     "'shear_modulus_MPa'?"),
])
def test_interface_errors(old, new, expected):
    assert error(variant(old, new)) == expected


def test_interfaces_must_be_an_array_of_tables():
    text = THERMAL + '\n[mechanics]\n[mechanics.interfaces]\nlayer = "tim"\n'
    assert error(text) == ("t.toml: mechanics.interfaces = {layer}: expected an array of tables "
                           "[[mechanics.interfaces]]")


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("stress_MPa = { wafer = 100 }", "stress_MPa = { connector = 1 }",
     "t.toml: mechanics.allowables.stress_MPa.connector = 1: expected the name of a plate layer "
     "as the key: pcb, wafer, lid: 'connector': it is listed under [[mechanics.interfaces]]"),
    ("stress_MPa = { wafer = 100 }", "stress_MPa = { die = 100 }",
     "t.toml: mechanics.allowables.stress_MPa.die = 100: expected the name of a plate layer as "
     "the key: pcb, wafer, lid: 'die': there is no such layer"),
    ("stress_MPa = { wafer = 100 }", "stress_MPa = { wafer = 0 }",
     "t.toml: mechanics.allowables.stress_MPa.wafer = 0: expected a number > 0"),
    ("stress_MPa = { wafer = 100 }", "stress_MPa = { wafer = true }",
     "t.toml: mechanics.allowables.stress_MPa.wafer = True: expected a number"),
    ("stress_MPa = { wafer = 100 }", "stress_MPa = 100",
     "t.toml: mechanics.allowables.stress_MPa = 100: expected a table of plate layer names and "
     "stresses, e.g. stress_MPa = { pcb = 100 }"),
    ("stress_MPa = { wafer = 100 }", "stress_MPa = {}",
     "t.toml: mechanics.allowables.stress_MPa = {}: expected a table of plate layer names and "
     "stresses, e.g. stress_MPa = { pcb = 100 }"),
    ("stress_MPa = { wafer = 100 }", "stress = { wafer = 100 }",
     "t.toml: mechanics.allowables.stress = {'wafer': 100}: missing unit suffix, expected one of "
     "stress_Pa, stress_kPa, stress_MPa, stress_GPa"),
    ("shear_strain = 0.15", "shear_strain = 0",
     "t.toml: mechanics.allowables.shear_strain = 0: expected a number > 0"),
    ("shear_strain = 0.15", "shear_strain_pct = 15",
     "t.toml: mechanics.allowables.shear_strain_pct = 15: unknown key, did you mean "
     "'shear_strain'?"),
    ("gap_change_um = [-50, 50]", "gap_change_um = [50, -50]",
     "t.toml: mechanics.allowables.gap_change_um = [50, -50]: expected a pair [min, max] with "
     "min < max (negative = closing)"),
    ("gap_change_um = [-50, 50]", "gap_change_um = [-50]",
     "t.toml: mechanics.allowables.gap_change_um = [-50]: expected a pair of numbers [a, b]"),
])
def test_allowables_errors(old, new, expected):
    assert error(variant(old, new)) == expected


def test_unknown_mechanics_section_is_suggested():
    msg = error(variant("[mechanics]", "[mechanic]"))
    assert msg == ("t.toml: mechanic = {stress_free_T_C, cell_size_mm}: unknown section, did you "
                   "mean 'mechanics'?")


# -- robustness: bad values anywhere give a CaseError, never another exception ------------------
BAD_VALUES = ["text", True, -1, 0, 0.5, math.nan, math.inf, [1, 2, 3], {"x": 1}, []]


def _paths(node, prefix=()):
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*prefix, key)
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield (*prefix, i)
            yield from _paths(value, (*prefix, i))


def test_every_bad_value_in_mechanics_is_a_case_error(tmp_path):
    text = variant("cell_size_mm = 26.875", 'cell_size_mm = 26.875\nsupport = "free"\n'
                   "preload_kPa = 10")
    text = variant('material = "copper"', 'material = "ortho"', text) + (
        "\n[materials.ortho]\nk_W_per_m_K = 100\nEx_GPa = 30\nEy_GPa = 20\nnu_xy = 0.2\n"
        "G_xy_GPa = 5\ncte_x_ppm_per_K = 14\ncte_y_ppm_per_K = 16\ncte_z_ppm_per_K = 40\n"
        "[materials.cub]\nk_W_per_m_K = 100\nC11_GPa = 165.7\nC12_GPa = 63.9\nC44_GPa = 79.6\n"
        "cte_ppm_per_K = 2.6\n")
    doc = tomllib.loads(text)
    doc["mechanics"]["interfaces"][0].pop("shear_modulus_MPa")
    doc["mechanics"]["interfaces"][0].update(pin_lateral_stiffness_N_per_mm=20,
                                             pin_density_per_mm2=4)
    build_case(doc, path="t.toml", base_dir=tmp_path)
    count = 0
    for path in list(_paths({"mechanics": doc["mechanics"], "materials": doc["materials"]})):
        for bad in BAD_VALUES:
            mutated = copy.deepcopy(doc)
            node = mutated
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = bad
            try:
                build_case(mutated, path="t.toml", base_dir=tmp_path)
            except CaseError as exc:
                assert str(exc).startswith("t.toml")
            count += 1
    assert count > 300


def test_the_documented_examples_load():
    doc = (Path(__file__).resolve().parents[1] / "docs" / "case-reference.md").read_text(
        encoding="utf-8")
    materials = doc.split("### Elastic data (optional)")[1].split("```toml\n")[1].split("```")[0]
    mechanics = doc.split("## `[mechanics]` (optional)")[1].split("```toml\n")[1].split("```")[0]
    text = variant('material = "pcb"', 'material = "my_board"', THERMAL)
    text = variant("nx = 16\nny = 16", "cell_size_mm = 0.5", text) + materials + mechanics
    case = load(text)
    assert case.layers[0].material.elastic.alpha_z_per_K == pytest.approx(50e-6)
    assert case.mechanics.interfaces[0].shear_stiffness_Pa_per_m == pytest.approx(1e9)


def test_outline_diameter_is_read_in_any_length_unit():
    assert load(variant("cell_size_mm = 26.875", "outline_diameter_mm = 300")
                ).mechanics.outline_diameter_m == pytest.approx(0.3)
    assert load(variant("cell_size_mm = 26.875", "outline_diameter_m = 0.3")
                ).mechanics.outline_diameter_m == pytest.approx(0.3)
    assert load().mechanics.outline_diameter_m is None
