"""The edge I/O layout solver against hand-counted layouts and hand arithmetic.

Sources of the WSE-3 numbers: shared references io-cooling.md §A1 (84 tiles, 12 x 100GbE =
1.2 Tb/s = 150 GB/s per direction, 860 mm perimeter) and §A5 (0.1744 GB/s/mm per direction,
0.349 both directions); the PHY placement reproducing 1.2 Tb/s is the assumption commented in
cases/wse3.toml.
"""

from __future__ import annotations

import dataclasses
import math
from collections import deque
from pathlib import Path

import numpy as np
import pytest

from wafersolve.case.io_model import IOLayout, OpticalIO, PhyMacro
from wafersolve.case.load import load_case
from wafersolve.edge_io import (
    count_edge_tiles,
    mesh_hops,
    place_phys,
    solve_area_io,
    solve_edge_io,
    sweep_phys_per_edge,
)

CASES = Path(__file__).resolve().parents[1] / "cases"
GB = 8e9  # bit/s per GB/s
MM = 1e-3
NAN = np.nan


def wse3():
    return load_case(CASES / "wse3.toml").io


def tiny(*phys, **kw) -> IOLayout:
    """2 x 2 tiles of 2 x 2 mm on a 4 mm square, cores on a 1 mm mesh (2 x 2 per tile)."""
    return IOLayout(tiles=(2, 2), tile_size_m=(2 * MM, 2 * MM), mesh_pitch_m=1 * MM,
                    phys=phys, wafer_size_m=(4 * MM, 4 * MM), **kw)


def macro(name="n", edge="north", offset_mm=0.0, width_mm=1.0, depth_mm=1.0, lanes=1,
          rate_Gbps=10.0, direction="per_direction") -> PhyMacro:
    return PhyMacro(name, edge, offset_mm * MM, width_mm * MM, depth_mm * MM, lanes,
                    rate_Gbps * 1e9, direction)


# -- tiles on the edge -------------------------------------------------------------------------
def test_34_of_84_tiles_touch_the_edge():
    """2 * 12 + 2 * 7 - 4 = 34 (io-cooling.md §A1), checked against a brute-force count."""
    assert count_edge_tiles((12, 7)) == 34
    for nc, nr in [(12, 7), (1, 1), (1, 4), (2, 2), (3, 3), (5, 2)]:
        brute = sum(c in (0, nc - 1) or r in (0, nr - 1) for c in range(nc) for r in range(nr))
        assert count_edge_tiles((nc, nr)) == brute
    assert solve_edge_io(dataclasses.replace(wse3(), mesh_pitch_m=2 * MM)).n_edge_tiles == 34


# -- the WSE-3 case ----------------------------------------------------------------------------
def test_wse3_reproduces_150_GB_per_s_and_0_174_GB_per_s_per_mm():
    """24 usable copies x 2 lanes x 25 Gb/s = 1.2 Tb/s = 150 GB/s per direction;
    150 / 860 = 0.1744 GB/s/mm per direction, 0.3488 both directions (io-cooling.md §A5)."""
    res = solve_edge_io(wse3())
    assert (res.n_sites, res.n_usable, res.n_stranded) == (168, 24, 144)
    assert res.bandwidth_per_direction_bit_per_s == pytest.approx(150 * GB, rel=1e-12)
    assert res.bandwidth_bidirectional_bit_per_s == pytest.approx(300 * GB, rel=1e-12)
    assert res.edge_length_m == pytest.approx(0.86)
    dens = res.density_edge_per_direction_bit_per_s_per_m / GB * MM  # GB/s per mm
    assert dens == pytest.approx(150 / 860, rel=1e-12) and round(dens, 3) == 0.174
    assert round(2 * dens, 3) == 0.349
    assert res.density_area_per_direction_bit_per_s_per_m2 / GB * MM**2 == pytest.approx(
        150 / 46225, rel=1e-12)
    # north copies face out on the top row (tiles 72..83), south copies on the bottom row (0..11)
    assert res.sites(usable=True) == tuple(sorted(
        [(t, "south_link") for t in range(12)] + [(t, "north_link") for t in range(72, 84)]))
    # stranded silicon: 144 copies of 2 x 1.5 mm = 432 mm^2 of 46,225 mm^2
    assert res.phy_area_m2 == pytest.approx(168 * 3e-6)
    assert res.stranded_area_m2 == pytest.approx(432e-6)
    assert res.stranded_area_fraction == pytest.approx(432 / 46225)
    assert res.n_unreachable_cores == 0


def test_wse3_hop_distances():
    """82 x 141 cores per tile (pitch 17.917/82 x 30.714/141 mm). A core waits on average about
    a quarter of the 215 mm height (246.7 rows), less the 7-row PHY depth, plus ~4.5 mm of
    lateral offset to the 2 mm PHY column (~20 cells): ~260 hops; the worst core, on the middle
    row, ~486 rows plus up to ~40 cells sideways and detours around stranded PHYs."""
    res = solve_edge_io(wse3())
    assert res.hop_map.shape == (7 * 141, 12 * 82)
    assert res.hop_mean == pytest.approx(260, rel=0.05)
    assert 486 < res.hop_max < 560
    assert res.summary()["io_hop_max"] == res.hop_max


def test_corner_clip_and_keepout_by_hand():
    """The 300 mm circle crosses the top edge (y = 215 mm) at x = 107.5 -+ 104.61 mm, so a north
    PHY at offset 0 on the top-left tile (x 0-2 mm) is clipped; on the top-right tile the offset-0
    copy (x 197.1-199.1 mm) is inside. Centred copies (x 8-10 mm and 205.1-207.1 mm) reach
    146.48 and 146.54 mm from the centre: usable with a 3 mm keep-out, clipped with 4 mm."""
    base = dataclasses.replace(wse3(), mesh_pitch_m=2 * MM)
    phy = macro("n", offset_mm=0.0, width_mm=2.0, depth_mm=1.5, lanes=2, rate_Gbps=25)
    res = solve_edge_io(dataclasses.replace(base, phys=(phy,)))
    assert res.n_usable == 11
    clipped = res.site_outward & ~res.site_inside
    assert res.site_tile[clipped].tolist() == [72]
    centred = dataclasses.replace(phy, offset_m=8 * MM)
    for keepout_mm, usable in [(0, 12), (3, 12), (4, 10)]:
        lay = dataclasses.replace(base, phys=(centred,), keepout_m=keepout_mm * MM)
        assert solve_edge_io(lay).n_usable == usable


# -- a tiny layout counted by hand -------------------------------------------------------------
def test_tiny_layout_hand_counted():
    """2 x 2 tiles, 2 x 2 cores each; one 1 x 1 mm north PHY in each tile's top-left cell.
    Usable: the top row's copies (tiles 2, 3). The bottom row's copies are holes at (j=1, i=0)
    and (1, 2), so the cores below them detour: (0, 0) is 5 hops, not 3."""
    res = solve_edge_io(tiny(macro()))
    assert res.sites(usable=True) == ((2, "n"), (3, "n"))
    assert res.sites(usable=False) == ((0, "n"), (1, "n"))
    expected = np.array([[5, 4, 5, 4],
                         [NAN, 3, NAN, 3],
                         [1, 2, 1, 2],
                         [NAN, 1, NAN, 1]])
    np.testing.assert_array_equal(res.hop_map, expected)
    assert res.n_cores == 12 and res.hop_max == 5.0
    assert res.hop_mean == pytest.approx(32 / 12)
    assert res.bandwidth_per_direction_bit_per_s == 20e9
    assert res.stranded_area_m2 == pytest.approx(2e-6)
    assert res.stranded_area_fraction == pytest.approx(2 / 16)
    assert res.edge_length_m == pytest.approx(16 * MM)
    np.testing.assert_array_equal(res.tile_map, [[0, 0, 1, 1], [0, 0, 1, 1],
                                                 [2, 2, 3, 3], [2, 2, 3, 3]])
    np.testing.assert_array_equal(np.argwhere(res.port_map), [[3, 0], [3, 2]])
    np.testing.assert_array_equal(np.argwhere(res.phy_map == 0), [[1, 0], [1, 2], [3, 0], [3, 2]])
    np.testing.assert_allclose(res.x_edges_m, [0, 1e-3, 2e-3, 3e-3, 4e-3])


def test_tiny_layout_two_edges_and_conventions():
    """North copies face out on tiles 2, 3 and east copies on tiles 1, 3: 4 of 8 usable.
    'total' counts simplex lanes of both directions: 4 lanes x 10 Gb/s = 20 Gb/s per direction."""
    east = macro("e", "east", lanes=4, direction="total")
    res = solve_edge_io(tiny(macro(), east))
    assert res.sites(usable=True) == ((1, "e"), (2, "n"), (3, "n"), (3, "e"))
    assert res.bandwidth_per_direction_bit_per_s == pytest.approx(2 * 10e9 + 2 * 20e9)
    assert res.bandwidth_bidirectional_bit_per_s == pytest.approx(120e9)
    assert res.summary()["io_stranded"] == 4


def test_no_usable_phy():
    """A 4 mm wafer circle with a 0.5 mm keep-out clips every copy: nothing reaches off-wafer.
    The circle also removes the four corner cells (centres 2.12 mm from the middle)."""
    res = solve_edge_io(tiny(macro(), wafer_diameter_m=4 * MM, keepout_m=0.5 * MM))
    assert res.n_usable == 0 and res.bandwidth_per_direction_bit_per_s == 0.0
    assert res.n_cores == 16 - 4 - 3 and res.n_unreachable_cores == 9
    assert math.isinf(res.hop_mean) and math.isinf(res.hop_max)
    assert res.summary()["io_hop_mean"] is None
    assert np.isnan(res.hop_map[0, 0]) and np.isnan(res.hop_map[3, 3])


# -- the hop search ----------------------------------------------------------------------------
def _bfs_reference(passable, sources):
    """Plain-Python breadth-first search, the twin of mesh_hops."""
    ny, nx = passable.shape
    dist = np.full((ny, nx), -1)
    queue = deque()
    for j, i in np.argwhere(sources):
        dist[j, i] = 0
        queue.append((j, i))
    while queue:
        j, i = queue.popleft()
        for b, a in ((j - 1, i), (j + 1, i), (j, i - 1), (j, i + 1)):
            if 0 <= b < ny and 0 <= a < nx and passable[b, a] and dist[b, a] < 0:
                dist[b, a] = dist[j, i] + 1
                queue.append((b, a))
    return dist


@pytest.mark.parametrize("seed", range(5))
def test_mesh_hops_matches_reference_bfs_and_manhattan(seed):
    rng = np.random.default_rng(seed)
    shape = (int(rng.integers(1, 20)), int(rng.integers(1, 20)))
    passable = rng.random(shape) > 0.25
    sources = rng.random(shape) > 0.95
    np.testing.assert_array_equal(mesh_hops(passable, sources), _bfs_reference(passable, sources))
    # without holes the hops are the Manhattan distance to the nearest source
    src = np.argwhere(sources)
    if src.size:
        jj, ii = np.indices(shape)
        manhattan = np.min(np.abs(jj[..., None] - src[:, 0]) + np.abs(ii[..., None] - src[:, 1]),
                           axis=-1)
        np.testing.assert_array_equal(mesh_hops(np.ones(shape, bool), sources), manhattan)


# -- the sweep ---------------------------------------------------------------------------------
def test_sweep_is_monotonic_and_matches_hand_counts():
    """k copies per north and south edge: 24 k sites face out; for k = 3 the first slot on the
    left corner tiles (x 1.99-3.99 mm) and the last on the right ones (x 211.0-213.0 mm) leave
    the circle (usable x 2.89-212.11 mm at y = 0 and 215 mm): 72 - 4 = 68 usable."""
    sweep = sweep_phys_per_edge(dataclasses.replace(wse3(), mesh_pitch_m=2 * MM))
    assert sweep.phys_per_edge == tuple(range(1, 9))  # 8 x 2 mm fit a 17.92 mm edge
    rows = sweep.rows()
    usable = [r["io_usable"] for r in rows[:-1]]
    assert usable[:3] == [24, 48, 68]
    bw = [r["io_bandwidth_per_direction_bit_per_s"] for r in rows[:-1]]
    stranded = [r["io_stranded_area_m2"] for r in rows[:-1]]
    assert all(b >= a for a, b in zip(usable, usable[1:], strict=False))
    assert all(b >= a for a, b in zip(bw, bw[1:], strict=False))
    assert all(b > a for a, b in zip(stranded, stranded[1:], strict=False))
    for k, row in zip(sweep.phys_per_edge, rows, strict=False):
        assert row["io_sites"] == 2 * k * 84
        assert row["io_bandwidth_per_direction_bit_per_s"] == pytest.approx(row["io_usable"] * 50e9)
        assert row["io_stranded_area_m2"] == pytest.approx((2 * k * 84 - row["io_usable"]) * 3e-6)
    assert rows[-1]["io_mode"] == "area" and rows[-1]["phys_per_edge"] is None
    assert sweep_phys_per_edge(tiny(macro()), counts=[2]).edge[0].n_usable == 4


def test_place_phys_refuses_what_does_not_fit():
    m = macro(width_mm=0.8, depth_mm=0.8)
    with pytest.raises(ValueError, match="3 PHYs of 0.8 mm do not fit"):
        place_phys(m, ("north",), 3, (2 * MM, 2 * MM))
    with pytest.raises(ValueError, match="overlaps"):
        place_phys(m, ("north", "west"), 2, (2 * MM, 2 * MM))
    # the default sweep stops before the first layout that overlaps at the corners
    sweep = sweep_phys_per_edge(tiny(macro(width_mm=0.8, depth_mm=0.5),
                                     macro("w", "west", width_mm=0.8, depth_mm=0.5)))
    assert sweep.phys_per_edge == (1,)


# -- area (Z-axis) I/O -------------------------------------------------------------------------
def test_optical_area_io_arithmetic_wse3():
    """0.029 Tb/s/mm^2 both directions over 46,225 mm^2 = 1,340.5 Tb/s = 670.26 Tb/s per
    direction = 83.78 TB/s, 559x the edge layout's 150 GB/s; nothing stranded, 0 hops."""
    io = dataclasses.replace(wse3(), mesh_pitch_m=2 * MM)
    res = solve_area_io(io)
    assert res.mode == "area" and (res.n_usable, res.n_stranded) == (84, 0)
    assert res.bandwidth_bidirectional_bit_per_s == pytest.approx(0.029e12 * 46225, rel=1e-12)
    assert res.bandwidth_per_direction_bit_per_s / GB == pytest.approx(83_782.8125, rel=1e-12)
    ratio = res.bandwidth_per_direction_bit_per_s / solve_edge_io(io).bandwidth_per_direction_bit_per_s
    assert ratio == pytest.approx(558.55, rel=1e-4)
    assert res.density_area_per_direction_bit_per_s_per_m2 == pytest.approx(0.0145e18)
    assert res.stranded_area_m2 == 0.0 and res.hop_max == 0.0 and res.hop_mean == 0.0


def test_optical_patch_fraction_by_hand():
    """3 x 3 cores per 3 mm tile, a 1/9 patch = the centre core: hops 0, 1 (4 cores), 2 (4
    corners) per tile, mean 12/9. Bandwidth 1 Tb/s/mm^2 x 1 mm^2 x 4 tiles = 4 Tb/s."""
    lay = IOLayout(tiles=(2, 2), tile_size_m=(3 * MM, 3 * MM), mesh_pitch_m=1 * MM,
                   wafer_size_m=(6 * MM, 6 * MM))
    res = solve_area_io(lay, OpticalIO(1e18, area_fraction=1 / 9))
    assert res.bandwidth_per_direction_bit_per_s == pytest.approx(4e12)
    assert res.hop_mean == pytest.approx(12 / 9) and res.hop_max == 2.0
    np.testing.assert_array_equal(np.argwhere(res.port_map), [[1, 1], [1, 4], [4, 1], [4, 4]])
    half = solve_area_io(lay, OpticalIO(1e18, area_fraction=1 / 9, direction="total"))
    assert half.bandwidth_per_direction_bit_per_s == pytest.approx(2e12)
    with pytest.raises(ValueError, match="no area I/O"):
        solve_area_io(lay)


def test_results_are_frozen_and_edge_io_without_phys():
    res = solve_edge_io(tiny())
    assert res.n_sites == 0 and res.bandwidth_per_direction_bit_per_s == 0.0
    assert res.n_unreachable_cores == res.n_cores == 16
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.mode = "area"
