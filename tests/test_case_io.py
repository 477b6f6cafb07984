"""Case loading of the off-chip I/O layout: the [io] section, [[io.phys]] and [io.optical].

The shipped WSE-3 case gives the expected SI values, defaults come from [wafer], and every class
of bad layout gives its pinned message (built, as in test_case_load.py, from a minimal valid case
with one change).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wafersolve.case.load import load_case, load_case_text
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
name = "wafer"
material = "silicon"
thickness_um = 775

[power]
layer = "wafer"
total_kW = 25

[cooling]
coolant = "water"
inlet_T_C = 21
flow_lpm = 100
h_W_per_m2_K = 3e4
"""

IO = """
[io]
mesh_pitch_mm = 1.0

[[io.phys]]
name = "a"
edge = "north"
offset_mm = 5
width_mm = 8
depth_mm = 1.5
lanes = 4
lane_rate_Gbps = 25
"""

SECOND = """
[[io.phys]]
name = "b"
edge = "north"
offset_mm = 13
width_mm = 4
depth_mm = 1.5
lanes = 2
lane_rate_Gbps = 25
"""

BASE = THERMAL + IO


def load(text: str = BASE):
    return load_case_text(text, "t.toml")


def variant(old: str, new: str, text: str = BASE) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def error(text: str) -> str:
    with pytest.raises(CaseError) as err:
        load(text)
    return str(err.value)


# -- the shipped cases -------------------------------------------------------------------------
def test_wse3_io_in_si():
    io = load_case(CASES / "wse3.toml").io
    assert io.tiles == (12, 7)
    assert io.tile_size_m == pytest.approx((0.215 / 12, 0.215 / 7))
    assert io.wafer_size_m == pytest.approx((0.215, 0.215))
    assert io.wafer_diameter_m == pytest.approx(0.3) and io.keepout_m == 0.0
    assert io.mesh_pitch_m == pytest.approx(0.218e-3)
    north, south = io.phys
    assert (north.name, north.edge, south.name, south.edge) == (
        "north_link", "north", "south_link", "south")
    assert north.offset_m == pytest.approx(8e-3) and north.width_m == pytest.approx(2e-3)
    assert north.depth_m == pytest.approx(1.5e-3) and north.area_m2 == pytest.approx(3e-6)
    assert (north.lanes, north.lane_rate_bit_per_s, north.direction) == (2, 25e9, "per_direction")
    assert north.bandwidth_per_direction_bit_per_s == 50e9
    assert io.optical.areal_density_bit_per_s_per_m2 == pytest.approx(0.029e18)
    assert io.optical.density_per_direction_bit_per_s_per_m2 == pytest.approx(0.0145e18)
    assert (io.optical.area_fraction, io.optical.direction) == (1.0, "total")
    assert io.perimeter_m == pytest.approx(0.86) and io.area_m2 == pytest.approx(0.046225)


@pytest.mark.parametrize("name", ["small", "power_map", "hotspot_mesh"])
def test_other_shipped_cases_have_no_io(name):
    assert load_case(CASES / f"{name}.toml").io is None


def test_no_io_section_and_resolved_case_still_json():
    assert load(THERMAL).io is None
    d = case_to_dict(load(BASE))
    assert json.loads(json.dumps(d, allow_nan=False)) == d


# -- values and defaults -----------------------------------------------------------------------
def test_defaults_come_from_the_wafer():
    text = variant('name = "a"\n', "")
    text = variant("offset_mm = 5\n", "", text)
    io = load(text).io
    assert io.tiles == (12, 7) and io.tile_size_m == pytest.approx((0.215 / 12, 0.215 / 7))
    assert io.wafer_diameter_m == 0.3 and io.keepout_m == 0.0 and io.optical is None
    (phy,) = io.phys
    assert phy.name == "phy0" and phy.direction == "per_direction"
    assert phy.offset_m == pytest.approx(0.5 * (0.215 / 12 - 8e-3))  # centred on the edge
    custom = load("[wafer]\nsize_mm = [100, 60]\ntiles = [4, 3]\n" + text).io
    assert custom.tiles == (4, 3) and custom.tile_size_m == pytest.approx((25e-3, 20e-3))
    assert custom.wafer_size_m == pytest.approx((0.1, 0.06))


def test_io_tiles_override_the_wafer():
    io = load(variant("mesh_pitch_mm = 1.0", "mesh_pitch_mm = 1.0\ntiles = [6, 7]")).io
    assert io.tiles == (6, 7) and io.tile_size_m == pytest.approx((0.215 / 6, 0.215 / 7))
    io = load(variant("mesh_pitch_mm = 1.0",
                      "mesh_pitch_mm = 1.0\ntiles = [10, 6]\ntile_size_mm = [20, 33]")).io
    assert io.tiles == (10, 6) and io.tile_size_m == pytest.approx((20e-3, 33e-3))
    assert io.tile_origin_m == pytest.approx((7.5e-3, 8.5e-3))  # centred on the outline


def test_other_units_conventions_and_optical():
    text = variant("offset_mm = 5", "offset_um = 5000")
    text = variant("width_mm = 8", "width_m = 0.008", text)
    text = variant("mesh_pitch_mm = 1.0", "mesh_pitch_um = 250\nwafer_diameter_m = 0.2\n"
                   "keepout_mm = 3", text)
    text = variant("lanes = 4", 'lanes = 4\ndirection = "total"', text)
    text += "\n[io.optical]\nareal_density_Tbps_per_mm2 = 1.5\narea_fraction = 0.25\n"
    io = load(text).io
    (phy,) = io.phys
    assert phy.offset_m == pytest.approx(5e-3) and phy.width_m == pytest.approx(8e-3)
    assert io.mesh_pitch_m == pytest.approx(250e-6)
    assert io.wafer_diameter_m == 0.2 and io.keepout_m == pytest.approx(3e-3)
    assert phy.bandwidth_per_direction_bit_per_s == pytest.approx(2 * 25e9)  # 4 simplex lanes
    assert io.optical.areal_density_bit_per_s_per_m2 == pytest.approx(1.5e18)
    assert io.optical.direction == "per_direction" and io.optical.area_fraction == 0.25


def test_touching_phys_and_optical_only():
    phys = load(BASE + SECOND).io.phys  # a spans 5-13 mm, b 13-17 mm: they touch
    assert [p.name for p in phys] == ["a", "b"]
    full = variant("offset_mm = 5\nwidth_mm = 8", "offset_mm = 0\nwidth_mm = 17.916666666666668")
    assert load(full).io.phys[0].width_m == pytest.approx(0.215 / 12)
    io = load(THERMAL + "[io]\nmesh_pitch_mm = 1\n[io.optical]\nareal_density_Tbps_per_mm2 = 1\n"
              ).io
    assert io.phys == () and io.optical.area_fraction == 1.0


# -- bad input -------------------------------------------------------------------------------
WEST = SECOND.replace('edge = "north"', 'edge = "west"').replace(
    "offset_mm = 13", "offset_mm = 26").replace("depth_mm = 1.5", "depth_mm = 6")


@pytest.mark.parametrize(("old", "new", "expected"), [
    # misspelled or unit-less keys
    ("lane_rate_Gbps = 25", "lane_rate_Gbs = 25",
     "t.toml: io.phys[0].lane_rate_Gbs = 25: unknown key, did you mean 'lane_rate_Gbps'?"),
    ("width_mm = 8", "widht_mm = 8",
     "t.toml: io.phys[0].widht_mm = 8: unknown key, did you mean 'width_mm'?"),
    ("offset_mm = 5", "offset = 5",
     "t.toml: io.phys[0].offset = 5: missing unit suffix, expected one of offset_um, offset_mm, "
     "offset_m"),
    ("mesh_pitch_mm = 1.0", "mesh_pich_mm = 1.0",
     "t.toml: io.mesh_pich_mm = 1.0: unknown key, did you mean 'mesh_pitch_mm'?"),
    ("[[io.phys]]", "[[io.pys]]",
     "t.toml: io.pys = [1 table]: unknown section, did you mean 'phys'?"),
    # names, edges, conventions
    ('edge = "north"', 'edge = "top"',
     "t.toml: io.phys[0].edge = 'top': expected one of 'north', 'south', 'east', 'west'"),
    ('name = "a"', 'name = ""', "t.toml: io.phys[0].name = '': expected a non-empty name"),
    ("lanes = 4", 'lanes = 4\ndirection = "both"',
     "t.toml: io.phys[0].direction = 'both': expected one of 'per_direction', 'total'"),
    ("lanes = 4", 'lanes = 3\ndirection = "total"',
     't.toml: io.phys[0].lanes = 3: expected an even number of lanes with direction = "total" '
     "(half of them each way)"),
    # zero or negative lanes and rates
    ("lanes = 4", "lanes = 0", "t.toml: io.phys[0].lanes = 0: expected an integer >= 1"),
    ("lanes = 4", "lanes = -3", "t.toml: io.phys[0].lanes = -3: expected an integer >= 1"),
    ("lanes = 4", "lanes = 2.0", "t.toml: io.phys[0].lanes = 2.0: expected an integer"),
    ("lane_rate_Gbps = 25", "lane_rate_Gbps = 0",
     "t.toml: io.phys[0].lane_rate_Gbps = 0: expected a number > 0"),
    ("lane_rate_Gbps = 25", "lane_rate_Gbps = -5",
     "t.toml: io.phys[0].lane_rate_Gbps = -5: expected a number > 0"),
    ("lane_rate_Gbps = 25", "", "t.toml: io.phys[0].lane_rate_Gbps: missing required key"),
    ("width_mm = 8", "width_mm = 0", "t.toml: io.phys[0].width_mm = 0: expected a number > 0"),
    ("depth_mm = 1.5", "depth_mm = -1",
     "t.toml: io.phys[0].depth_mm = -1: expected a number > 0"),
    ("offset_mm = 5", "offset_mm = -1",
     "t.toml: io.phys[0].offset_mm = -1: expected a number >= 0"),
    # larger than the tile, leaving the tile
    ("width_mm = 8", "width_mm = 40",
     "t.toml: io.phys[0].width_mm = 40: expected a width <= 17.9167 mm, the length of the "
     "tile's north edge: the PHY is larger than its tile"),
    ("depth_mm = 1.5", "depth_mm = 31",
     "t.toml: io.phys[0].depth_mm = 31: expected a depth <= 30.7143 mm, the tile's extent "
     "across its north edge (along y): the PHY is larger than its tile"),
    ("offset_mm = 5", "offset_mm = 12",
     "t.toml: io.phys[0].offset_mm = 12: expected offset + width <= 17.9167 mm, the length of "
     "the tile's north edge: the PHY spans 12-20 mm along it and leaves the tile"),
    # the [io] table
    ("mesh_pitch_mm = 1.0", "",
     "t.toml: io.mesh_pitch: missing required key, give one of mesh_pitch_um, mesh_pitch_mm, "
     "mesh_pitch_m"),
    ("mesh_pitch_mm = 1.0", "mesh_pitch_mm = 20",
     "t.toml: io.mesh_pitch_mm = 20: expected a pitch <= 17.9167 mm, the smaller side of a tile"),
    ("mesh_pitch_mm = 1.0", "mesh_pitch_mm = 1.0\nkeepout_mm = 150",
     "t.toml: io.keepout_mm = 150: expected a keep-out < 150 mm, the wafer radius"),
    ("mesh_pitch_mm = 1.0", "mesh_pitch_mm = 1.0\nkeepout_mm = -1",
     "t.toml: io.keepout_mm = -1: expected a number >= 0"),
    ("mesh_pitch_mm = 1.0", "mesh_pitch_mm = 1.0\nwafer_diameter_mm = 0",
     "t.toml: io.wafer_diameter_mm = 0: expected a number > 0"),
    ("mesh_pitch_mm = 1.0", "mesh_pitch_mm = 1.0\ntiles = [13, 7]\ntile_size_mm = [17.9, 30.7]",
     "t.toml: io.tile_size_mm = [17.9, 30.7]: 13 tiles of 17.9 mm span 232.7 mm along x, more "
     "than the wafer's 215 mm; expected tiles that fit the wafer outline"),
    ("mesh_pitch_mm = 1.0", "mesh_pitch_mm = 1.0\ntiles = [12]",
     "t.toml: io.tiles = [12]: expected a pair [columns along x, rows along y] of integers"),
    ("mesh_pitch_mm = 1.0", "mesh_pitch_mm = 1.0\ntiles = [0, 7]",
     "t.toml: io.tiles[0] = 0: expected an integer >= 1"),
])
def test_bad_io(old, new, expected):
    assert error(variant(old, new)) == expected


@pytest.mark.parametrize(("second", "expected"), [
    (SECOND.replace("offset_mm = 13", "offset_mm = 12"),
     "t.toml: io.phys[1].offset_mm = 12: expected PHYs on one tile edge that do not overlap: "
     "'b' spans 12-16 mm along the north edge and 'a' (io.phys[0]) spans 5-13 mm"),
    (SECOND.replace("offset_mm = 13\n", ""),  # centred: 6.96-10.96 mm
     "t.toml: io.phys[1].width_mm = 4: expected PHYs on one tile edge that do not overlap: "
     "'b' spans 6.95833-10.9583 mm along the north edge and 'a' (io.phys[0]) spans 5-13 mm"),
    (WEST,
     "t.toml: io.phys[1]: expected PHY footprints that do not overlap: 'b' (west edge, x 0-6 mm, "
     "y 26-30 mm in the tile) overlaps 'a' (io.phys[0], north edge, x 5-13 mm, y 29.2143-30.7143 "
     "mm in the tile)"),
    (SECOND.replace('name = "b"', 'name = "a"'),
     "t.toml: io.phys[1].name = 'a': expected a PHY name not used before"),
])
def test_overlapping_and_duplicate_phys(second, expected):
    assert error(BASE + second) == expected


OPTICAL = THERMAL + "\n[io]\nmesh_pitch_mm = 1\n"


@pytest.mark.parametrize(("table", "expected"), [
    (None, "t.toml: io.phys: missing I/O: give at least one [[io.phys]] (edge I/O) or an "
           "[io.optical] table (area I/O)"),
    ("areal_density_Tbps_per_mm2 = 0",
     "t.toml: io.optical.areal_density_Tbps_per_mm2 = 0: expected a number > 0"),
    ("area_fraction = 0.5", "t.toml: io.optical.areal_density_Tbps_per_mm2: missing required key"),
    ("areal_density_Tbs_per_mm2 = 1", "t.toml: io.optical.areal_density_Tbs_per_mm2 = 1: unknown "
     "key, did you mean 'areal_density_Tbps_per_mm2'?"),
    ("areal_density_Tbps_per_mm2 = 1\narea_fraction = 1.5", "t.toml: io.optical.area_fraction = "
     "1.5: expected a number > 0 and <= 1 (the share of each tile's area)"),
    ("areal_density_Tbps_per_mm2 = 1\narea_fraction = 0", "t.toml: io.optical.area_fraction = 0: "
     "expected a number > 0 and <= 1 (the share of each tile's area)"),
    ('areal_density_Tbps_per_mm2 = 1\ndirection = "bidir"',
     "t.toml: io.optical.direction = 'bidir': expected one of 'per_direction', 'total'"),
])
def test_bad_optical(table, expected):
    text = OPTICAL if table is None else OPTICAL + "[io.optical]\n" + table + "\n"
    assert error(text) == expected


def test_phys_must_be_tables():
    assert error(OPTICAL.replace("mesh_pitch_mm = 1", "mesh_pitch_mm = 1\nphys = 3")) == (
        "t.toml: io.phys = 3: expected an array of tables [[io.phys]]")
