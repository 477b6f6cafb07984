"""Case loading: the shipped cases load, and every class of bad input gives its pinned message."""

from __future__ import annotations

import copy
import json
import math
import tomllib
from pathlib import Path

import meshio
import numpy as np
import pytest

from wafersolve.case.load import build_case, load_case, load_case_text
from wafersolve.case.materials import get_material
from wafersolve.case.resolved import case_to_dict
from wafersolve.errors import CaseError

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "cases"

BASE = """\
[case]
name = "t"

[grid]
nx = 16
ny = 12

[[stack.layers]]
name = "pcb"
material = "pcb"
thickness_mm = 3.2
cells = 2

[[stack.layers]]
name = "connector"
material = "elastomer_connector"
thickness_mm = 1.0

[[stack.layers]]
name = "wafer"
material = "silicon"
thickness_um = 775
cells = 2

[[stack.layers]]
name = "lid"
material = "copper"
thickness_mm = 3.0

[[stack.contacts]]
between = ["wafer", "lid"]
resistance_mm2_K_per_W = 1.0

[power]
layer = "wafer"
total_kW = 25

[cooling]
coolant = "water"
inlet_T_C = 21
flow_lpm = 100
h_W_per_m2_K = 3e4
"""


def load(text: str, base_dir=".") -> object:
    return load_case_text(text, "t.toml", base_dir=base_dir)


def variant(old: str, new: str, text: str = BASE) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def error(text: str, base_dir=".") -> str:
    with pytest.raises(CaseError) as err:
        load(text, base_dir)
    return str(err.value)


# -- the shipped cases -------------------------------------------------------------------------
@pytest.mark.parametrize("path", sorted(CASES.glob("*.toml")), ids=lambda p: p.name)
def test_shipped_cases_load(path):
    case = load_case(path)
    assert case.power.total_W > 0
    assert case.source_path == str(path)
    json.dumps(case_to_dict(case), allow_nan=False)


def test_wse3_baseline_values():
    case = load_case(CASES / "wse3.toml")
    assert (case.grid.nx, case.grid.ny) == (860, 860)
    assert case.wafer.tiles == (12, 7) and case.wafer.n_tiles == 84
    assert case.wafer.size_m == pytest.approx((0.215, 0.215))
    assert case.power.total_W == pytest.approx(25_000.0, rel=1e-12)
    np.testing.assert_allclose(case.power.tile_power_W, 25_000.0 / 84)
    assert case.power.layer == "wafer" and case.power.depth == "bottom"
    assert case.cooling.inlet_T_K == pytest.approx(294.15)
    assert case.cooling.flow_m3_per_s == pytest.approx(100 / 60_000)
    assert [layer.name for layer in case.layers] == ["pcb", "connector", "wafer", "tim",
                                                     "cold_plate"]
    assert 8 <= sum(layer.cells for layer in case.layers) <= 10
    wafer = case.layers[case.layer_index("wafer")]
    assert wafer.thickness_m == pytest.approx(775e-6) and wafer.cells == 2
    assert wafer.material is get_material("silicon")


def test_small_case_is_small_with_hotspots():
    case = load_case(CASES / "small.toml")
    assert case.grid.nx * case.grid.ny <= 64 * 64
    assert len(case.power.hotspots) == 2


def test_mesh_and_map_cases_carry_their_sources():
    mesh_case = load_case(CASES / "hotspot_mesh.toml")
    (mesh,) = mesh_case.power.meshes
    assert mesh.source == "../meshes/hotspots.vtu"
    assert 500 < mesh.power_W < 1500
    map_case = load_case(CASES / "power_map.toml")
    (raster,) = map_case.power.maps
    assert raster.density_W_per_m2.shape == (120, 120)
    assert raster.power_W == pytest.approx(25_000.0, rel=1e-6)


def test_minimal_case_and_defaults():
    case = load(BASE)
    assert case.name == "t" and case.description == ""
    assert case.wafer.tiles == (12, 7)
    assert [layer.cells for layer in case.layers] == [2, 1, 2, 1]
    assert case.backside.h_W_per_m2_K == 0.0  # adiabatic when [backside] is absent
    assert case.cooling.direction == "+x"
    assert case.solver.rtol == 1e-8 and case.solver.max_outer_iterations == 50
    assert case.contacts[0].resistance_m2_K_per_W == pytest.approx(1e-6)
    assert case.source_path is None


def test_grid_from_cell_size_and_cells_per_layer():
    text = variant("nx = 16\nny = 12", "cell_size_mm = 0.25\ncells_per_layer = 3")
    case = load(text)
    assert (case.grid.nx, case.grid.ny) == (860, 860)
    assert [layer.cells for layer in case.layers] == [2, 3, 2, 3]


def test_custom_materials():
    text = BASE + """
[materials.my_tim]
k_W_per_m_K = 5.0
source = "datasheet X"

[materials.aniso]
kx_W_per_m_K = 10
ky_W_per_m_K = 20
kz_W_per_m_K = 1
k_exponent = 0.5
k_ref_T_C = 25
"""
    text = variant('material = "copper"', 'material = "aniso"', text)
    text = variant('material = "elastomer_connector"', 'material = "my_tim"', text)
    case = load(text)
    tim = case.layers[1].material
    assert tim.k_W_per_m_K == (5.0, 5.0, 5.0) and tim.source == "datasheet X"
    lid = case.layers[3].material
    assert lid.k_W_per_m_K == (10.0, 20.0, 1.0)
    assert lid.k_exponent == 0.5 and lid.k_ref_T_K == pytest.approx(298.15)


def test_wafer_section_and_tile_powers_nested():
    text = variant("[grid]", "[wafer]\nsize_mm = [100, 60]\ntiles = [3, 2]\n"
                   "tile_size_mm = [30, 25]\n\n[grid]")
    text = variant("total_kW = 25", "tile_powers_W = [[1, 2, 3], [4, 5, 6]]", text)
    case = load(text)
    assert case.wafer.tile_size_m == pytest.approx((0.03, 0.025))
    assert case.wafer.tile_origin_m == pytest.approx((0.005, 0.005))
    np.testing.assert_array_equal(case.power.tile_power_W, [[1, 2, 3], [4, 5, 6]])


def test_flat_tile_powers_are_x_fastest():
    text = variant("[grid]", "[wafer]\ntiles = [3, 2]\n\n[grid]")
    case = load(variant("total_kW = 25", "tile_powers_kW = [1, 2, 3, 4, 5, 6]", text))
    np.testing.assert_array_equal(case.power.tile_power_W, [[1e3, 2e3, 3e3], [4e3, 5e3, 6e3]])


def test_tile_powers_from_csv_and_npy(tmp_path):
    grid = np.arange(84, dtype=float).reshape(7, 12) + 1
    np.savetxt(tmp_path / "tiles.csv", grid, delimiter=",")
    np.save(tmp_path / "tiles.npy", grid)
    for name in ("tiles.csv", "tiles.npy"):
        case = load(variant("total_kW = 25", f'tile_powers_W = "{name}"'), tmp_path)
        np.testing.assert_array_equal(case.power.tile_power_W, grid)


def test_backside_and_solver_sections():
    text = BASE + """
[backside]
h_W_per_m2_K = 10
ambient_T_C = 35

[solver]
rtol = 1e-10
max_iterations = 500
temperature_dependent_k = false
outer_tol_K = 1e-3
max_outer_iterations = 5
"""
    case = load(text)
    assert case.backside.h_W_per_m2_K == 10 and case.backside.ambient_T_K == pytest.approx(308.15)
    assert case.solver.rtol == 1e-10 and case.solver.max_iterations == 500
    assert case.solver.temperature_dependent_k is False
    assert load(BASE + "[backside]\nadiabatic = true\n").backside.h_W_per_m2_K == 0.0


def test_load_case_resolves_files_relative_to_the_case_file(tmp_path):
    sub = tmp_path / "deep"
    sub.mkdir()
    np.save(sub / "q.npy", np.ones((4, 5)))
    (sub / "c.toml").write_text(variant("total_kW = 25", 'map_W_per_cm2 = "q.npy"'))
    case = load_case(sub / "c.toml")
    assert case.power.maps[0].power_W == pytest.approx(1e4 * 0.215**2)


# -- error classes -----------------------------------------------------------------------------
def test_toml_syntax_error_keeps_line_and_column():
    msg = error(variant("nx = 16", "nx = = 16"))
    assert msg.startswith("t.toml: invalid TOML: ")
    assert "(at line 5, column" in msg


def test_missing_case_file_names_it(tmp_path):
    with pytest.raises(CaseError, match=r"nope\.toml: cannot read the case file: .*No such file"):
        load_case(tmp_path / "nope.toml")


def test_case_file_that_is_not_utf8(tmp_path):
    (tmp_path / "latin.toml").write_bytes('[case]\nname = "caf\u00e9"\n'.encode("latin-1"))
    with pytest.raises(CaseError, match=r"latin\.toml: the case file is not UTF-8 text"):
        load_case(tmp_path / "latin.toml")


def test_unknown_section_suggests():
    msg = error(variant("[cooling]", "[coolng]"))
    assert "t.toml: coolng = {coolant, inlet_T_C, flow_lpm, h_W_per_m2_K}" in msg
    assert "unknown section, did you mean 'cooling'?" in msg


def test_misspelled_key_suggests():
    msg = error(variant("thickness_um = 775", "thicknes_um = 775"))
    assert msg == ("t.toml: stack.layers[2].thicknes_um = 775: unknown key, "
                   "did you mean 'thickness_um'?")
    msg = error(variant('coolant = "water"', 'coolnt = "water"'))
    assert "cooling.coolnt = 'water': unknown key, did you mean 'coolant'?" in msg


def test_misspelled_key_with_a_unit_prefix_suggests_the_plain_key():
    text = BASE + "[materials.m]\nk_W_per_m_K = 1\nk_exponnt = 1.3\n"
    assert "materials.m.k_exponnt = 1.3: unknown key, did you mean 'k_exponent'?" in error(text)


def test_unknown_key_without_a_close_match_lists_valid_keys():
    msg = error(variant("[cooling]", "[cooling]\nzzz = 1"))
    assert "cooling.zzz = 1: unknown key; valid keys here: channels, coolant, direction, " in msg


def test_missing_required_section_and_keys():
    cooling = BASE[BASE.index("[cooling]"):]
    assert error(BASE.replace(cooling, "")) == "t.toml: cooling: missing required section"
    assert error(variant("flow_lpm = 100\n", "")) == (
        "t.toml: cooling.flow: missing required key, give one of flow_lpm, flow_m3_per_s")
    assert error(variant('name = "pcb"\n', "")) == (
        "t.toml: stack.layers[0].name: missing required key")
    assert error(variant('name = "t"', "")) == "t.toml: case.name: missing required key"
    assert "grid: missing grid resolution" in error(variant("nx = 16\nny = 12", ""))
    assert error(variant("ny = 12", "")) == "t.toml: grid.ny: missing required key"


def test_missing_unit_suffix():
    assert error(variant("thickness_mm = 3.2", "thickness = 3.2")) == (
        "t.toml: stack.layers[0].thickness = 3.2: missing unit suffix, expected one of "
        "thickness_um, thickness_mm, thickness_m")


def test_wrong_unit_suffix():
    msg = error(variant("flow_lpm = 100", "flow_gpm = 100"))
    assert msg == ("t.toml: cooling.flow_gpm = 100: unknown unit suffix 'gpm', expected one of "
                   "flow_lpm, flow_m3_per_s")


def test_two_spellings_of_one_field():
    msg = error(variant("thickness_um = 775", "thickness_um = 775\nthickness_mm = 0.775"))
    assert "stack.layers[2].thickness_mm = 0.775: thickness_um and thickness_mm are two " in msg


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("thickness_um = 775", 'thickness_um = "775"',
     "t.toml: stack.layers[2].thickness_um = '775': expected a number"),
    ("flow_lpm = 100", "flow_lpm = true", "t.toml: cooling.flow_lpm = True: expected a number"),
    ("cells = 2", "cells = 2.0", "t.toml: stack.layers[0].cells = 2.0: expected an integer"),
    ("nx = 16", "nx = true", "t.toml: grid.nx = True: expected an integer"),
    ('name = "t"', "name = 1", "t.toml: case.name = 1: expected a string"),
    ('between = ["wafer", "lid"]', 'between = "wafer"',
     """t.toml: stack.contacts[0].between = 'wafer': expected two layer names ["lower", "upper"]"""),
    ("[power]", "[power]\nhotspots = 3",
     "t.toml: power.hotspots = 3: expected an array of tables [[power.hotspots]]"),
])
def test_wrong_types(old, new, expected):
    assert error(variant(old, new)) == expected


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("thickness_um = 775", "thickness_um = -5",
     "t.toml: stack.layers[2].thickness_um = -5: expected a number > 0"),
    ("thickness_um = 775", "thickness_um = 0",
     "t.toml: stack.layers[2].thickness_um = 0: expected a number > 0"),
    ("flow_lpm = 100", "flow_lpm = 0", "t.toml: cooling.flow_lpm = 0: expected a number > 0"),
    ("h_W_per_m2_K = 3e4", "h_W_per_m2_K = -1",
     "t.toml: cooling.h_W_per_m2_K = -1: expected a number > 0"),
    ("resistance_mm2_K_per_W = 1.0", "resistance_mm2_K_per_W = -1.0",
     "t.toml: stack.contacts[0].resistance_mm2_K_per_W = -1.0: expected a number >= 0"),
    ("cells = 2", "cells = 0", "t.toml: stack.layers[0].cells = 0: expected an integer >= 1"),
    ("total_kW = 25", "total_kW = -25", "t.toml: power.total_kW = -25: expected a number >= 0"),
])
def test_non_positive_values(old, new, expected):
    assert error(variant(old, new)) == expected


def test_non_positive_custom_conductivity():
    text = BASE + "[materials.m]\nk_W_per_m_K = 0\n"
    assert error(text) == "t.toml: materials.m.k_W_per_m_K = 0: expected a number > 0"


@pytest.mark.parametrize(("old", "new", "field"), [
    ("flow_lpm = 100", "flow_lpm = nan", "cooling.flow_lpm = nan"),
    ("thickness_um = 775", "thickness_um = inf", "stack.layers[2].thickness_um = inf"),
    ("inlet_T_C = 21", "inlet_T_C = -inf", "cooling.inlet_T_C = -inf"),
    ("resistance_mm2_K_per_W = 1.0", "resistance_mm2_K_per_W = nan",
     "stack.contacts[0].resistance_mm2_K_per_W = nan"),
    ("total_kW = 25", "total_kW = 25\n[[power.hotspots]]\ncenter_mm = [nan, 1]\nsize_mm = [1, 1]"
     "\npower_W = 1", "power.hotspots[0].center_mm[0] = nan"),
    ("[cooling]", "[solver]\nrtol = nan\n[cooling]", "solver.rtol = nan"),
])
def test_nan_and_inf_are_rejected(old, new, field):
    assert error(variant(old, new)) == f"t.toml: {field}: expected a finite number"


def test_nan_in_tile_powers():
    text = variant("[grid]", "[wafer]\ntiles = [2, 1]\n\n[grid]")
    msg = error(variant("total_kW = 25", "tile_powers_W = [1, nan]", text))
    assert msg == "t.toml: power.tile_powers_W[1] = nan: expected a finite number"


def test_tile_powers_wrong_length_shape_and_sign(tmp_path):
    msg = error(variant("total_kW = 25", "tile_powers_W = [1, 2, 3]"))
    assert "power.tile_powers_W = [1, 2, 3]: expected 84 numbers (x fastest, tile row 0 at the " \
           "lowest y) or 7 rows of 12 numbers: got 3 numbers" in msg
    msg = error(variant("total_kW = 25", "tile_powers_W = [[1, 2], [3, 4]]"))
    assert "expected 84 numbers" in msg and "got 2 rows of lengths [2, 2]" in msg
    text = variant("[grid]", "[wafer]\ntiles = [2, 2]\n\n[grid]")
    msg = error(variant("total_kW = 25", "tile_powers_W = [[1, 2], [3, -4]]", text))
    assert msg == "t.toml: power.tile_powers_W[1][1] = -4: expected a number >= 0"
    np.save(tmp_path / "t.npy", np.ones((12, 7)))
    msg = error(variant("total_kW = 25", 'tile_powers_W = "t.npy"'), tmp_path)
    assert "expected a table of 7 rows x 12 columns" in msg and "shape (12, 7)" in msg
    np.save(tmp_path / "n.npy", -np.ones((7, 12)))
    msg = error(variant("total_kW = 25", 'tile_powers_W = "n.npy"'), tmp_path)
    assert "power.tile_powers_W = 'n.npy': expected finite values >= 0: entry [0, 0]" in msg
    msg = error(variant("total_kW = 25", "tile_powers_W = 5"))
    assert "power.tile_powers_W = 5: expected a list of 84 numbers" in msg


def test_total_and_tile_powers_are_exclusive():
    msg = error(variant("total_kW = 25", "total_kW = 25\ntile_powers_W = 1"))
    assert msg == ("t.toml: power.tile_powers_W: give either power.total_* or "
                   "power.tile_powers_*, not both")


def test_no_power_source_and_zero_power():
    assert "power: no power source: give total_<unit>" in error(variant("total_kW = 25", ""))
    assert "power: the power sources add up to 0 W" in error(variant("total_kW = 25",
                                                                      "total_kW = 0"))


def _map_case(name: str) -> str:
    return variant("total_kW = 25", f'map_W_per_cm2 = "{name}"')


@pytest.mark.parametrize(("array", "expected"), [
    (np.ones(5), "expected a 2D array (rows along y, columns along x): the file holds shape (5,)"),
    (np.ones((2, 2, 2)), "expected a 2D array (rows along y, columns along x): the file holds "
                         "shape (2, 2, 2)"),
    (np.ones((0, 4)), "expected a non-empty 2D array: the file holds shape (0, 4)"),
    (np.array([[1.0, -2.0]]), "expected finite values >= 0: entry [0, 1] (row, column) is -2.0"),
    (np.array([[1.0], [np.nan]]), "expected finite values >= 0: entry [1, 0] (row, column) is nan"),
    (np.array([["a", "b"]]), "expected an array of real numbers: the file holds dtype <U1"),
])
def test_bad_density_maps(tmp_path, array, expected):
    np.save(tmp_path / "m.npy", array)
    msg = error(_map_case("m.npy"), tmp_path)
    assert msg == f"t.toml: power.map_W_per_cm2 = 'm.npy': {expected}"


def test_density_map_csv(tmp_path):
    (tmp_path / "m.csv").write_text("# row 0 is at y = 0\n1, 2, 3\n4, 5, 6\n")
    case = load(_map_case("m.csv"), tmp_path)
    np.testing.assert_array_equal(case.power.maps[0].density_W_per_m2,
                                  1e4 * np.array([[1, 2, 3], [4, 5, 6]]))
    (tmp_path / "e.csv").write_text("")
    assert "expected a non-empty 2D array" in error(_map_case("e.csv"), tmp_path)
    (tmp_path / "r.csv").write_text("1, 2\n3\n")
    msg = error(_map_case("r.csv"), tmp_path)
    assert "power.map_W_per_cm2 = 'r.csv': expected a CSV file of comma-separated numbers: " \
           "cannot parse" in msg
    assert "expected a .csv or .npy file" in error(_map_case("m.txt"), tmp_path)


def test_missing_or_unreadable_map_file_names_file_and_os_error(tmp_path):
    msg = error(_map_case("nope.npy"), tmp_path)
    assert msg.startswith("t.toml: power.map_W_per_cm2 = 'nope.npy': cannot read the file: ")
    assert "No such file or directory" in msg and "nope.npy" in msg
    (tmp_path / "dir.npy").mkdir()
    msg = error(_map_case("dir.npy"), tmp_path)
    assert "cannot read the file: [Errno 21] Is a directory" in msg


def test_tiles_that_do_not_fit():
    msg = error(variant("[grid]", "[wafer]\ntile_size_mm = [18, 30]\n\n[grid]"))
    assert msg == ("t.toml: wafer.tile_size_mm = [18, 30]: 12 tiles of 18 mm span 216 mm along x,"
                   " more than the wafer's 215 mm; expected tiles that fit the wafer outline")


def test_unknown_material_and_layer_names():
    msg = error(variant('material = "silicon"', 'material = "silicn"'))
    assert msg.startswith("t.toml: stack.layers[2].material = 'silicn': unknown material; "
                          "did you mean 'silicon'? Known: silicon, copper")
    msg = error(variant('layer = "wafer"', 'layer = "die"'))
    assert msg == ("t.toml: power.layer = 'die': expected the name of a layer in "
                   "[[stack.layers]]: pcb, connector, wafer, lid")
    msg = error(variant('between = ["wafer", "lid"]', 'between = ["wafer", "cap"]'))
    assert "stack.contacts[0].between = ['wafer', 'cap']: expected names of layers in the " \
           "stack (pcb, connector, wafer, lid): there is no layer 'cap'" in msg


def test_duplicate_layer_name():
    msg = error(variant('name = "lid"', 'name = "wafer"'))
    assert msg == "t.toml: stack.layers[3].name = 'wafer': expected a layer name not used before"


def test_contacts_between_non_adjacent_layers():
    msg = error(variant('between = ["wafer", "lid"]', 'between = ["connector", "lid"]'))
    assert msg == ("t.toml: stack.contacts[0].between = ['connector', 'lid']: expected two "
                   "adjacent layers, the lower one first; the stack from bottom to top is pcb, "
                   "connector, wafer, lid")
    assert "expected two adjacent layers" in error(
        variant('between = ["wafer", "lid"]', 'between = ["lid", "wafer"]'))


def test_custom_material_rules():
    msg = error(BASE + "[materials.copper]\nk_W_per_m_K = 1\n")
    assert msg == ("t.toml: materials.copper: 'copper' is a built-in material; expected a custom "
                   "material with a new name")
    msg = error(BASE + "[materials.m]\nkx_W_per_m_K = 1\nky_W_per_m_K = 1\n")
    assert msg == "t.toml: materials.m.k: missing conductivity: give also kz_W_per_m_K"
    msg = error(BASE + "[materials.m]\nk_W_per_m_K = 1\nkz_W_per_m_K = 1\n")
    assert "give either k_W_per_m_K (isotropic) or kx/ky/kz_W_per_m_K, not both" in msg
    msg = error(BASE + "[materials.m]\nsource = 'x'\n")
    assert "missing conductivity: give k_W_per_m_K, or all of kx_W_per_m_K" in msg


def test_inlet_temperature_range():
    assert error(variant("inlet_T_C = 21", "inlet_T_C = 120")) == (
        "t.toml: cooling.inlet_T_C = 120: expected an inlet temperature between 1 and 95 °C "
        "for water")
    assert "between 274.15 and 368.15 K for water" in error(variant("inlet_T_C = 21",
                                                                    "inlet_T_K = 250"))
    pg = variant('coolant = "water"', 'coolant = "pg25"')
    assert load(variant("inlet_T_C = 21", "inlet_T_C = -4", pg)).cooling.inlet_T_K == (
        pytest.approx(269.15))
    assert "between -5 and 95 °C for pg25" in error(variant("inlet_T_C = 21", "inlet_T_C = -6",
                                                            pg))


def test_choices():
    assert error(variant('coolant = "water"', 'coolant = "oil"')) == (
        "t.toml: cooling.coolant = 'oil': expected one of 'water', 'pg25'")
    msg = error(variant("[cooling]", '[cooling]\ndirection = "x"'))
    assert msg == "t.toml: cooling.direction = 'x': expected one of '+x', '-x', '+y', '-y'"
    msg = error(variant('layer = "wafer"', 'layer = "wafer"\ndepth = "middle"'))
    assert msg == "t.toml: power.depth = 'middle': expected one of 'bottom', 'top', 'uniform'"


def test_hotspot_outside_the_wafer():
    text = variant("total_kW = 25", "total_kW = 25\n[[power.hotspots]]\ncenter_mm = [213, 100]"
                   "\nsize_mm = [10, 10]\npower_W = 50")
    msg = error(text)
    assert msg.startswith("t.toml: power.hotspots[0].center_mm = [213, 100]: the hot spot spans "
                          "x 208..218 mm")
    assert "outside the wafer outline 0..215 mm x 0..215 mm" in msg


def test_grid_cell_size_conflicts():
    msg = error(variant("nx = 16", "cell_size_mm = 1\nnx = 16"))
    assert msg == "t.toml: grid.nx = 16: give either cell_size_<length> or nx and ny, not both"
    msg = error(variant("nx = 16\nny = 12", "cell_size_mm = 500"))
    assert "grid.cell_size_mm = 500: expected a cell size no larger than the wafer" in msg


def test_backside_rules():
    assert "backside: give adiabatic = true, or h_W_per_m2_K with ambient_T_C" in error(
        BASE + "[backside]\n")
    assert "backside.adiabatic = true excludes h and ambient_T" in error(
        BASE + "[backside]\nadiabatic = true\nh_W_per_m2_K = 5\n")
    assert error(BASE + "[backside]\nh_W_per_m2_K = 5\n") == (
        "t.toml: backside.ambient_T: missing required key, give one of ambient_T_C, ambient_T_K")
    assert error(BASE + "[backside]\nadiabatic = 1\n") == (
        "t.toml: backside.adiabatic = 1: expected true or false")


def test_solver_ranges():
    assert error(BASE + "[solver]\nrtol = 1.5\n") == (
        "t.toml: solver.rtol = 1.5: expected a number > 0 and < 1")
    assert error(BASE + "[solver]\nmax_iterations = 0\n") == (
        "t.toml: solver.max_iterations = 0: expected an integer >= 1")
    assert error(BASE + "[solver]\nouter_tol_K = 0\n") == (
        "t.toml: solver.outer_tol_K = 0: expected a number > 0")


# -- meshes ------------------------------------------------------------------------------------
def _write_mesh(path: Path, field: str = "q", quad=((0, 0), (2, 0), (2, 2), (0, 2))):
    pts = np.array([[x, y, 0.0] for x, y in quad] + [[3.0, 0.0, 0.0]])
    mesh = meshio.Mesh(pts, [("quad", np.array([[0, 1, 2, 3]])),
                             ("triangle", np.array([[1, 4, 2]]))],
                       cell_data={field: [np.array([1.0]), np.array([2.0])]})
    mesh.write(path)


def _mesh_case(file: str, field: str = "q") -> str:
    return variant("total_kW = 25", f'total_kW = 25\n[power.mesh]\nfile = "{file}"\n'
                   f'length_unit = "mm"\nfield_W_per_m2 = "{field}"')


def test_mesh_power_map(tmp_path):
    _write_mesh(tmp_path / "m.vtu")
    case = load(_mesh_case("m.vtu"), tmp_path)
    (mesh,) = case.power.meshes
    assert mesh.triangles_m.shape == (3, 3, 2)
    # quad 2 mm x 2 mm at 1 W/m^2 + triangle 1 mm x 2 mm / 2 at 2 W/m^2
    assert mesh.power_W == pytest.approx(4e-6 + 2e-6, rel=1e-12)


def test_non_convex_quad_is_split_inside(tmp_path):
    dart = ((0, 0), (2, 1), (4, 0), (2, 4))  # reflex vertex at (2, 1): diagonal 0-2 is outside
    _write_mesh(tmp_path / "d.vtu", quad=dart)
    (mesh,) = load(_mesh_case("d.vtu"), tmp_path).power.meshes
    dart_area = 0.5 * abs(sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1)
                              in zip(dart, dart[1:] + dart[:1], strict=True))) * 1e-6
    tri = np.array([[2, 1], [3, 0], [4, 0]]) * 1e-3  # the mesh's triangle: vertices 1, 4, 2
    triangle_area = 0.5 * abs((tri[1, 0] - tri[0, 0]) * (tri[2, 1] - tri[0, 1])
                              - (tri[2, 0] - tri[0, 0]) * (tri[1, 1] - tri[0, 1]))
    assert mesh.power_W == pytest.approx(dart_area * 1.0 + triangle_area * 2.0, rel=1e-12)


def test_mesh_errors(tmp_path):
    _write_mesh(tmp_path / "m.vtu")
    msg = error(_mesh_case("m.vtu", field="power"), tmp_path)
    assert msg == ("t.toml: power.mesh.field_W_per_m2 = 'power': expected a cell-data field of "
                   "m.vtu: the mesh's cell fields are: q")
    msg = error(_mesh_case("gone.vtu"), tmp_path)
    assert msg.startswith("t.toml: power.mesh.file = 'gone.vtu': cannot read the file: [Errno 2]")
    (tmp_path / "bad.vtu").write_text("not a mesh")
    msg = error(_mesh_case("bad.vtu"), tmp_path)
    assert msg.startswith("t.toml: power.mesh.file = 'bad.vtu': expected a 2D mesh file meshio "
                          "can read")
    far = variant('length_unit = "mm"', 'length_unit = "m"', _mesh_case("m.vtu"))
    msg = error(far, tmp_path)
    assert "outside the wafer outline 0..0.215 m x 0..0.215 m" in msg
    assert "check power.mesh.length_unit" in msg
    msg = error(variant('field_W_per_m2 = "q"', 'field = "q"', _mesh_case("m.vtu")), tmp_path)
    assert "power.mesh.field = 'q': missing unit suffix, expected one of field_W_per_cm2" in msg


# -- robustness: bad values anywhere give a CaseError, never another exception ------------------
BAD_VALUES = ["text", True, -1, 0, math.nan, math.inf, [1, 2, 3], {"x": 1}, []]


def _paths(node, prefix=()):
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*prefix, key)
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield (*prefix, i)
            yield from _paths(value, (*prefix, i))


def test_every_bad_value_everywhere_is_a_case_error(tmp_path):
    doc = tomllib.loads(BASE + "[backside]\nh_W_per_m2_K = 10\nambient_T_C = 35\n"
                        "[solver]\nrtol = 1e-9\n[[power.hotspots]]\ncenter_mm = [50, 50]\n"
                        "size_mm = [5, 5]\npower_W = 5\n")
    build_case(doc, path="t.toml", base_dir=tmp_path)
    count = 0
    for path in list(_paths(doc)):
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


def test_the_documented_minimal_case_loads():
    doc = (ROOT / "docs" / "case-reference.md").read_text(encoding="utf-8")
    example = doc.split("## A complete minimal case")[1].split("```toml\n")[1].split("```")[0]
    case = load(example)
    assert case.name == "demo" and [layer.name for layer in case.layers] == ["wafer",
                                                                             "cold_plate"]
