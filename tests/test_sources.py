"""Power deposition: exact overlap values, conservation, and brute-force references."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from wafersolve.case.load import load_case, load_case_text
from wafersolve.case.model import DensityMap, Hotspot, MeshMap, Wafer
from wafersolve.errors import CaseError
from wafersolve.grid import build_grid
from wafersolve.sources import (
    deposit_mesh,
    deposit_power,
    deposit_raster,
    deposit_rectangles,
    deposit_tiles,
    deposit_triangles,
    overlap_matrix,
    tile_index_map,
)

CASES = Path(__file__).resolve().parents[1] / "cases"

TEXT = """\
[case]
name = "s"
[grid]
nx = 37
ny = 23
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


def make_case(**power):
    """A 215 mm, 12 x 7-tile case on an unaligned 37 x 23 grid, with ``power`` fields replaced."""
    case = load_case_text(TEXT, "s.toml")
    return dataclasses.replace(case, power=dataclasses.replace(case.power, **power))


def rel(a, b):
    return abs(a - b) / abs(b)


# -- NumPy-only references ---------------------------------------------------------------------
def brute_rectangles(xe, ye, rects):
    """Loop over every cell and rectangle: overlap area times density. No shared code."""
    out = np.zeros((len(ye) - 1, len(xe) - 1))
    for x0, x1, y0, y1, p in rects:
        q = p / ((x1 - x0) * (y1 - y0))
        for j in range(len(ye) - 1):
            oy = max(0.0, min(y1, ye[j + 1]) - max(y0, ye[j]))
            for i in range(len(xe) - 1):
                ox = max(0.0, min(x1, xe[i + 1]) - max(x0, xe[i]))
                out[j, i] += q * ox * oy
    return out


def _clip(poly, axis, value, keep_below):
    out = []
    for k in range(len(poly)):
        p, q = poly[k], poly[(k + 1) % len(poly)]
        p_in = p[axis] <= value if keep_below else p[axis] >= value
        q_in = q[axis] <= value if keep_below else q[axis] >= value
        if p_in:
            out.append(p)
        if p_in != q_in:
            out.append(p + (value - p[axis]) / (q[axis] - p[axis]) * (q - p))
    return out


def _area(poly):
    if len(poly) < 3:
        return 0.0
    return 0.5 * abs(sum(p[0] * q[1] - q[0] * p[1]
                         for p, q in zip(poly, poly[1:] + poly[:1], strict=True)))


def brute_triangles(xe, ye, triangles, density):
    """Sutherland-Hodgman clipping of every triangle against every cell."""
    out = np.zeros((len(ye) - 1, len(xe) - 1))
    for tri, q in zip(triangles, density, strict=True):
        for j in range(len(ye) - 1):
            for i in range(len(xe) - 1):
                poly = [np.asarray(v, dtype=float) for v in tri]
                for axis, value, below in ((0, xe[i], False), (0, xe[i + 1], True),
                                           (1, ye[j], False), (1, ye[j + 1], True)):
                    poly = _clip(poly, axis, value, below)
                    if not poly:
                        break
                out[j, i] += q * _area(poly)
    return out


# -- hand-computed values ----------------------------------------------------------------------
def test_overlap_matrix_by_hand():
    o = overlap_matrix(np.array([0.0, 1.0, 2.0, 3.0]), [0.5, 2.0, -1.0], [2.5, 2.0, 0.25])
    np.testing.assert_allclose(o.toarray(), [[0.5, 0.0, 0.25], [1.0, 0.0, 0.0],
                                             [0.5, 0.0, 0.0]])


def test_rectangle_exact_overlap_by_hand():
    # 2 W/m^2 over [0.5, 2.5] x [0.5, 1.5] on unit cells: x overlaps (.5, 1, .5), y (.5, .5).
    P = deposit_rectangles([0, 1, 2, 3], [0, 1, 2], [0.5], [2.5], [0.5], [1.5], [4.0])
    np.testing.assert_allclose(P, [[0.5, 1.0, 0.5], [0.5, 1.0, 0.5]], rtol=0, atol=1e-15)


def test_raster_deposit_by_hand():
    d = np.arange(1.0, 10.0).reshape(3, 3)  # 3 x 3 unit pixels over [0, 3]^2, row 0 at y = 0
    P = deposit_raster([0, 1.5, 3.0], [0, 1.5, 3.0], DensityMap(d, (0.0, 3.0, 0.0, 3.0)))
    # cell (0, 0): pixel (0,0) whole, (0,1) and (1,0) half, (1,1) a quarter
    p00 = d[0, 0] + 0.5 * d[0, 1] + 0.5 * d[1, 0] + 0.25 * d[1, 1]
    p01 = d[0, 2] + 0.5 * d[0, 1] + 0.5 * d[1, 2] + 0.25 * d[1, 1]
    p10 = d[2, 0] + 0.5 * d[2, 1] + 0.5 * d[1, 0] + 0.25 * d[1, 1]
    p11 = d[2, 2] + 0.5 * d[2, 1] + 0.5 * d[1, 2] + 0.25 * d[1, 1]
    np.testing.assert_allclose(P, [[p00, p01], [p10, p11]], rtol=1e-15)
    assert P.sum() == pytest.approx(d.sum(), rel=1e-15)


def test_triangle_deposit_by_hand():
    # right triangle with legs 2 on unit cells: 1 in the corner cell, 1/2 in its neighbours
    P = deposit_triangles([0, 1, 2], [0, 1, 2], np.array([[[0, 0], [2, 0], [0, 2]]]), [3.0])
    np.testing.assert_allclose(P, [[3.0, 1.5], [1.5, 0.0]], atol=1e-15)
    # the same triangle clockwise gives the same (positive) power
    P2 = deposit_triangles([0, 1, 2], [0, 1, 2], np.array([[[0, 0], [0, 2], [2, 0]]]), [3.0])
    np.testing.assert_allclose(P2, P, atol=1e-15)


def test_tile_powers_on_a_hand_grid():
    case = make_case(tile_power_W=np.array([[1.0, 2.0], [3.0, 4.0]]))
    case = dataclasses.replace(case, wafer=Wafer((0.01, 0.01), (2, 2), (0.004, 0.004)))
    case = dataclasses.replace(case, grid=dataclasses.replace(case.grid, nx=5, ny=5))
    P = deposit_tiles(case, build_grid(case))
    # tiles span [1, 5] and [5, 9] mm on 2 mm cells: cell 0 half, cell 1 whole, cell 2 half ...
    w = np.array([0.25, 0.5, 0.25])  # share of a tile's width in cells 0..2 (and 2..4)
    expected = np.zeros((5, 5))
    for r in range(2):
        for c in range(2):
            expected[2 * r:2 * r + 3, 2 * c:2 * c + 3] += case.power.tile_power_W[r, c] * np.outer(w, w)
    np.testing.assert_allclose(P, expected, rtol=1e-14)


# -- brute-force references on tiny unaligned grids --------------------------------------------
def test_tiles_match_brute_force():
    rng = np.random.default_rng(7)
    tiles = rng.uniform(100, 400, size=(7, 12))
    case = make_case(tile_power_W=tiles)
    grid = build_grid(case)
    txe, tye = case.wafer.tile_edges_m()
    rects = [(txe[c], txe[c + 1], tye[r], tye[r + 1], tiles[r, c])
             for r in range(7) for c in range(12)]
    ref = brute_rectangles(grid.x_edges_m, grid.y_edges_m, rects)
    np.testing.assert_allclose(deposit_tiles(case, grid), ref, rtol=1e-12, atol=1e-12 * ref.max())


def test_hotspots_match_brute_force():
    rng = np.random.default_rng(3)
    xe, ye = np.linspace(0, 1, 9), np.linspace(0, 0.7, 6)
    x0 = rng.uniform(0, 0.6, 10)
    y0 = rng.uniform(0, 0.4, 10)
    w, h, p = rng.uniform(0.01, 0.4, 10), rng.uniform(0.01, 0.3, 10), rng.uniform(0, 5, 10)
    got = deposit_rectangles(xe, ye, x0, x0 + w, y0, y0 + h, p)
    ref = brute_rectangles(xe, ye, zip(x0, x0 + w, y0, y0 + h, p, strict=True))
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-14)


def test_raster_matches_brute_force():
    rng = np.random.default_rng(5)
    d = rng.uniform(0, 10, size=(11, 13))
    xe, ye = np.linspace(0, 2.0, 6), np.linspace(0, 1.5, 8)
    got = deposit_raster(xe, ye, DensityMap(d, (0.0, 2.0, 0.0, 1.5)))
    px, py = np.linspace(0, 2.0, 14), np.linspace(0, 1.5, 12)
    rects = [(px[c], px[c + 1], py[r], py[r + 1], d[r, c] * (px[1] - px[0]) * (py[1] - py[0]))
             for r in range(11) for c in range(13)]
    np.testing.assert_allclose(got, brute_rectangles(xe, ye, rects), rtol=1e-12)


def test_triangles_match_brute_force_clipping():
    rng = np.random.default_rng(11)
    xe, ye = np.linspace(0, 1, 8), np.linspace(0, 0.7, 6)
    tris = rng.uniform([0, 0], [1, 0.7], size=(25, 3, 2))
    q = rng.uniform(0, 5, 25)
    ref = brute_triangles(xe, ye, tris, q)
    np.testing.assert_allclose(deposit_triangles(xe, ye, tris, q), ref, rtol=1e-12, atol=1e-14)


def test_triangles_with_vertices_on_grid_lines():
    xe = ye = np.linspace(0, 4, 5)
    tris = np.array([[[0, 0], [4, 0], [4, 4]], [[1, 1], [3, 1], [1, 3]], [[0, 4], [2, 2], [4, 4]],
                     [[1, 0], [1, 4], [1, 2]]], dtype=float)  # the last one is degenerate
    q = np.array([1.0, 2.0, 3.0, 9.0])
    np.testing.assert_allclose(deposit_triangles(xe, ye, tris, q),
                               brute_triangles(xe, ye, tris, q), atol=1e-14)


# -- conservation on unaligned grids -----------------------------------------------------------
def test_tiles_conserved():
    tiles = np.random.default_rng(1).uniform(0, 500, size=(7, 12))
    case = make_case(tile_power_W=tiles)
    P = deposit_power(case, build_grid(case))
    assert rel(P.sum(), tiles.sum()) < 1e-12
    assert P.shape == (23, 37)


def test_hotspots_conserved():
    spots = (Hotspot("a", (0.0111, 0.2), (0.0222, 0.01), 70.0),
             Hotspot("b", (0.1234, 0.0567), (0.0031, 0.0047), 13.0),
             Hotspot("c", (0.1075, 0.1075), (0.215, 0.215), 1000.0))  # the whole wafer
    case = make_case(tile_power_W=None, hotspots=spots)
    assert rel(deposit_power(case, build_grid(case)).sum(), 1083.0) < 1e-12


def test_raster_conserved():
    d = np.random.default_rng(2).uniform(0, 1e6, size=(53, 41))
    m = DensityMap(d, (0.0, 0.215, 0.0, 0.215))
    case = make_case(tile_power_W=None, maps=(m,))
    assert rel(deposit_power(case, build_grid(case)).sum(), m.power_W) < 1e-12


def test_mesh_conserved_and_exact():
    rng = np.random.default_rng(4)
    tris = rng.uniform(0, 0.215, size=(200, 3, 2))
    q = rng.uniform(0, 1e5, 200)
    m = MeshMap(tris, q)
    case = make_case(tile_power_W=None, meshes=(m,))
    grid = build_grid(case)
    P = deposit_power(case, grid)
    assert rel(P.sum(), m.power_W) < 1e-12
    assert P.min() >= 0
    raw = deposit_triangles(grid.x_edges_m, grid.y_edges_m, tris, q)
    np.testing.assert_allclose(P, raw, rtol=1e-12, atol=1e-12 * raw.max())
    np.testing.assert_allclose(deposit_mesh(grid.x_edges_m, grid.y_edges_m, m), P)


def test_all_sources_add_up():
    for name in ("small", "hotspot_mesh", "power_map"):
        case = load_case(CASES / f"{name}.toml")
        P = deposit_power(case, build_grid(case))
        assert rel(P.sum(), case.power.total_W) < 1e-12, name
        assert P.min() >= 0


def test_power_outside_the_wafer_is_a_case_error():
    out = (Hotspot("edge", (0.214, 0.1), (0.004, 0.004), 5.0),)
    case = make_case(hotspots=out)
    with pytest.raises(CaseError, match=r"power.hotspots\[0\]: 5 W spread over x 0.212..0.216 m"):
        deposit_power(case, build_grid(case))
    zero = (Hotspot("edge", (0.214, 0.1), (0.004, 0.004), 0.0),)
    case = make_case(hotspots=zero)
    assert rel(deposit_power(case, build_grid(case)).sum(), 25_000.0) < 1e-12
    mesh = MeshMap(np.array([[[0.2, 0.2], [0.3, 0.2], [0.2, 0.21]]]), np.array([1.0]))
    with pytest.raises(CaseError, match=r"power.meshes\[0\]: .* outside the wafer outline"):
        deposit_power(make_case(meshes=(mesh,)), build_grid(make_case()))


def test_tile_power_shape_is_checked():
    case = make_case(tile_power_W=np.ones((12, 7)))
    with pytest.raises(ValueError, match=r"expected \(tile rows, tile columns\) = \(7, 12\)"):
        deposit_tiles(case, build_grid(case))


# -- tile index map ----------------------------------------------------------------------------
def test_tile_index_map_by_hand():
    case = make_case()
    case = dataclasses.replace(case, wafer=Wafer((0.01, 0.01), (2, 2), (0.004, 0.004)),
                               grid=dataclasses.replace(case.grid, nx=10, ny=10))
    idx = tile_index_map(case, build_grid(case))
    expected = np.full((10, 10), -1)
    expected[1:5, 1:5], expected[1:5, 5:9], expected[5:9, 1:5], expected[5:9, 5:9] = 0, 1, 2, 3
    np.testing.assert_array_equal(idx, expected)
    assert np.count_nonzero(idx == -1) == 36


def test_tile_index_map_counts_wse3():
    case = load_case(CASES / "wse3.toml")
    idx = tile_index_map(case, build_grid(case))
    assert idx.shape == (860, 860) and idx.min() == 0
    counts = np.bincount(idx.ravel(), minlength=84)
    assert counts.size == 84 and counts.sum() == 860 * 860
    # 860 / 12 = 71.67 columns and 860 / 7 = 122.86 rows per tile
    assert set(np.unique(counts)) <= {71 * 122, 71 * 123, 72 * 122, 72 * 123}
    assert idx[0, 0] == 0 and idx[0, -1] == 11 and idx[-1, 0] == 72 and idx[-1, -1] == 83
