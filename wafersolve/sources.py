"""Deposit a case's power on the grid's columns, conserving it exactly.

:func:`deposit_power` returns the watts generated in each x-y column of the grid, shape
``(ny, nx)``, row 0 at y = 0; the thermal solver puts that power into the heated layer's bottom,
top or all cells. Every kind of source is deposited by exact area overlap:

* tiles, hot spots and density rasters are rectangles, so the 2D overlap factorises into two
  1D overlap matrices (sparse, ``O[i, k]`` = length of source interval k inside cell i) and
  ``P = Oy @ density @ Ox.T``: a 4000 x 4000 raster onto 860 x 860 cells costs two sparse
  products;
* triangles of a mesh map are cut exactly at every grid line (:func:`deposit_triangles`).

Total power is conserved to rounding (about 1e-15 relative); the mesh deposit is renormalised
to the mesh's exact total to remove even that.

Example
-------
>>> import numpy as np
>>> P = deposit_rectangles(np.linspace(0, 1, 5), np.linspace(0, 1, 3),
...                        [0.1], [0.6], [0.2], [0.7], [10.0])
>>> P.shape, round(float(P.sum()), 12)
((2, 4), 10.0)
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .case.model import Case, DensityMap, MeshMap
from .errors import CaseError
from .grid import Grid

#: Relative tolerance on "inside the wafer outline" (rounding only).
OUTLINE_RTOL = 1e-12


def deposit_power(case: Case, grid: Grid) -> np.ndarray:
    """Watts generated in each (y, x) column of ``grid``: tiles + hot spots + maps + meshes.

    Raises CaseError if a source with non-zero power reaches outside the wafer outline.

    Example
    -------
    >>> from wafersolve.case.load import load_case
    >>> from wafersolve.grid import build_grid
    >>> case = load_case("cases/small.toml")
    >>> P = deposit_power(case, build_grid(case))
    >>> bool(abs(P.sum() - case.power.total_W) < 1e-9 * case.power.total_W)
    True
    """
    xe, ye = grid.x_edges_m, grid.y_edges_m
    _check_grid_covers_wafer(case, grid)
    power = case.power
    out = np.zeros((grid.ny, grid.nx))
    if power.tile_power_W is not None:
        out += deposit_tiles(case, grid)
    if power.hotspots:
        for i, h in enumerate(power.hotspots):
            _check_inside(case, f"power.hotspots[{i}]", h.power_W,
                          (h.center_m[0] - h.size_m[0] / 2, h.center_m[0] + h.size_m[0] / 2),
                          (h.center_m[1] - h.size_m[1] / 2, h.center_m[1] + h.size_m[1] / 2))
        hs = power.hotspots
        cx, cy = (np.array([h.center_m[a] for h in hs]) for a in (0, 1))
        wx, wy = (np.array([h.size_m[a] for h in hs]) for a in (0, 1))
        out += deposit_rectangles(xe, ye, cx - wx / 2, cx + wx / 2, cy - wy / 2, cy + wy / 2,
                                  np.array([h.power_W for h in hs]))
    for i, m in enumerate(power.maps):
        x0, x1, y0, y1 = m.extent_m
        _check_inside(case, f"power.maps[{i}]", m.power_W, (x0, x1), (y0, y1))
        out += deposit_raster(xe, ye, m)
    for i, m in enumerate(power.meshes):
        hot = m.density_W_per_m2 > 0
        if hot.any():
            pts = m.triangles_m[hot].reshape(-1, 2)
            _check_inside(case, f"power.meshes[{i}]", m.power_W,
                          (pts[:, 0].min(), pts[:, 0].max()), (pts[:, 1].min(), pts[:, 1].max()))
        out += deposit_mesh(xe, ye, m)
    return out


def deposit_tiles(case: Case, grid: Grid) -> np.ndarray:
    """The tile powers of ``case`` spread uniformly over each tile, per grid column.

    Example
    -------
    >>> from wafersolve import build_grid, load_case
    >>> case = load_case("cases/small.toml")
    >>> round(float(deposit_tiles(case, build_grid(case)).sum()))
    25000
    """
    tile_W = case.power.tile_power_W
    if tile_W is None:
        return np.zeros((grid.ny, grid.nx))
    if np.shape(tile_W) != (case.wafer.tiles[1], case.wafer.tiles[0]):
        raise ValueError(f"tile_power_W has shape {np.shape(tile_W)}; expected (tile rows, tile "
                         f"columns) = {(case.wafer.tiles[1], case.wafer.tiles[0])}")
    txe, tye = case.wafer.tile_edges_m()
    tw, th = case.wafer.tile_size_m
    ox = overlap_matrix(grid.x_edges_m, txe[:-1], txe[1:])
    oy = overlap_matrix(grid.y_edges_m, tye[:-1], tye[1:])
    return _sandwich(oy, np.asarray(tile_W, dtype=np.float64) / (tw * th), ox)


def overlap_matrix(edges, lo, hi) -> sp.csr_matrix:
    """Sparse ``(n_cells, n_intervals)`` matrix of the length of interval k inside cell i.

    ``edges`` are increasing cell edges; interval k is ``[lo[k], hi[k]]``. Parts of an interval
    outside ``[edges[0], edges[-1]]`` are dropped (callers check that nothing is lost).

    Example
    -------
    >>> overlap_matrix(np.array([0.0, 1.0, 2.0]), [0.5], [1.5]).toarray()
    array([[0.5],
           [0.5]])
    """
    e = np.asarray(edges, dtype=np.float64)
    lo = np.asarray(lo, dtype=np.float64).ravel()
    hi = np.asarray(hi, dtype=np.float64).ravel()
    n = e.size - 1
    first = np.clip(np.searchsorted(e, lo, side="right") - 1, 0, n - 1)
    last = np.clip(np.searchsorted(e, hi, side="left") - 1, 0, n - 1)
    count = np.maximum(last - first + 1, 0)
    cols = np.repeat(np.arange(lo.size), count)
    starts = np.repeat(first, count)
    offsets = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    rows = starts + offsets
    length = np.minimum(hi[cols], e[rows + 1]) - np.maximum(lo[cols], e[rows])
    length = np.maximum(length, 0.0)
    return sp.csr_matrix((length, (rows, cols)), shape=(n, lo.size))


def deposit_rectangles(x_edges, y_edges, x_lo, x_hi, y_lo, y_hi, power_W) -> np.ndarray:
    """Rectangles ``[x_lo, x_hi] x [y_lo, y_hi]``, each dissipating ``power_W`` uniformly.

    Returns watts per ``(y, x)`` cell of the grid with the given edges.

    Example
    -------
    >>> deposit_rectangles([0, 1, 2], [0, 1], [0.5], [1.5], [0], [1], [4.0])
    array([[2., 2.]])
    """
    x_lo, x_hi, y_lo, y_hi, p = (np.asarray(a, dtype=np.float64).ravel()
                                 for a in (x_lo, x_hi, y_lo, y_hi, power_W))
    ox = overlap_matrix(x_edges, x_lo, x_hi)
    oy = overlap_matrix(y_edges, y_lo, y_hi)
    scale = p / ((x_hi - x_lo) * (y_hi - y_lo))
    return np.asarray((oy @ sp.diags(scale) @ ox.T).toarray())


def deposit_raster(x_edges, y_edges, raster: DensityMap) -> np.ndarray:
    """A density raster (W/m^2 per pixel, row 0 at y0) integrated exactly over each grid cell.

    Example
    -------
    >>> from wafersolve.case.model import DensityMap
    >>> m = DensityMap(np.ones((2, 2)), (0.0, 1.0, 0.0, 1.0))
    >>> deposit_raster([0, 0.5, 1.0], [0, 1.0], m)
    array([[0.5, 0.5]])
    """
    x0, x1, y0, y1 = raster.extent_m
    ny_s, nx_s = raster.density_W_per_m2.shape
    xs = np.linspace(x0, x1, nx_s + 1)
    ys = np.linspace(y0, y1, ny_s + 1)
    ox = overlap_matrix(x_edges, xs[:-1], xs[1:])
    oy = overlap_matrix(y_edges, ys[:-1], ys[1:])
    return _sandwich(oy, raster.density_W_per_m2, ox)


def deposit_mesh(x_edges, y_edges, mesh: MeshMap) -> np.ndarray:
    """A mesh power map deposited exactly, then scaled to the mesh's exact total power.

    Example
    -------
    >>> from wafersolve.case.model import MeshMap
    >>> tri = np.array([[[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]])
    >>> deposit_mesh([0, 0.5, 1], [0, 0.5, 1], MeshMap(tri, np.array([2.0])))
    array([[0.5 , 0.25],
           [0.25, 0.  ]])
    """
    out = deposit_triangles(x_edges, y_edges, mesh.triangles_m, mesh.density_W_per_m2)
    np.maximum(out, 0.0, out=out)  # rounding can leave -1e-20 where edges cancel
    total, target = out.sum(), mesh.power_W
    if total > 0:
        out *= target / total
    return out


def deposit_triangles(x_edges, y_edges, triangles, density) -> np.ndarray:
    """Exact power of triangles (``(n, 3, 2)``, W/m^2 each) in each cell of a uniform grid.

    The area of a polygon inside a cell is a sum over its edges of the signed integral of
    ``clamp(y(x), y_j, y_j+1) - y_j`` over the part of the edge within the cell's column. Each
    edge is cut at every grid line it crosses, so each piece lies in one cell (i, j): the piece
    gives its exact trapezoid to cell (i, j) and a full ``dy`` strip to every cell below it in
    column i. The strips are accumulated as differences and summed up the column once.
    Vectorised over all pieces; cost ~ (triangles + grid lines crossed).

    Example
    -------
    >>> tri = np.array([[[0.0, 0.0], [2.0, 0.0], [0.0, 2.0]]])
    >>> deposit_triangles([0, 1, 2], [0, 1, 2], tri, np.array([1.0]))
    array([[1. , 0.5],
           [0.5, 0. ]])
    """
    xe = np.asarray(x_edges, dtype=np.float64)
    ye = np.asarray(y_edges, dtype=np.float64)
    nx, ny = xe.size - 1, ye.size - 1
    out = np.zeros((ny, nx))
    t = np.asarray(triangles, dtype=np.float64).reshape(-1, 3, 2)
    q = np.asarray(density, dtype=np.float64).ravel()
    if t.shape[0] == 0:
        return out
    x0, dx = xe[0], (xe[-1] - xe[0]) / nx
    y0, dy = ye[0], (ye[-1] - ye[0]) / ny
    # Signed area > 0 for counter-clockwise triangles; -sum(int y dx) over a CCW loop = +area.
    a, b, c = t[:, 0], t[:, 1], t[:, 2]
    orient = np.sign((b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1])
                     - (c[:, 0] - a[:, 0]) * (b[:, 1] - a[:, 1]))
    weight = np.repeat(-orient * q, 3)
    keep = weight != 0
    start = t.reshape(-1, 2)[keep]  # edge k of triangle m runs from vertex k to vertex k+1
    end = np.roll(t, -1, axis=1).reshape(-1, 2)[keep]
    weight = weight[keep]
    ne = start.shape[0]
    if ne == 0:
        return out

    # Parameters t in [0, 1] where each edge crosses a grid line (plus its two ends).
    pieces_e, pieces_t = [np.repeat(np.arange(ne), 2)], [np.tile([0.0, 1.0], ne)]
    for axis, origin, step in ((0, x0, dx), (1, y0, dy)):
        p0, p1 = start[:, axis], end[:, axis]
        lo = np.floor((np.minimum(p0, p1) - origin) / step).astype(np.int64) + 1
        hi = np.ceil((np.maximum(p0, p1) - origin) / step).astype(np.int64) - 1
        count = np.maximum(hi - lo + 1, 0)
        eid = np.repeat(np.arange(ne), count)
        line = np.repeat(lo, count) + (np.arange(count.sum())
                                       - np.repeat(np.cumsum(count) - count, count))
        pieces_e.append(eid)
        pieces_t.append((origin + line * step - p0[eid]) / (p1[eid] - p0[eid]))
    eid = np.concatenate(pieces_e)
    tt = np.clip(np.concatenate(pieces_t), 0.0, 1.0)
    order = np.lexsort((tt, eid))
    eid, tt = eid[order], tt[order]
    same = eid[1:] == eid[:-1]
    e, ta, tb = eid[:-1][same], tt[:-1][same], tt[1:][same]
    d = end[e] - start[e]
    xa, ya = start[e, 0] + ta * d[:, 0], start[e, 1] + ta * d[:, 1]
    xb, yb = start[e, 0] + tb * d[:, 0], start[e, 1] + tb * d[:, 1]
    w = weight[e] * (xb - xa)
    i = np.clip(np.floor((0.5 * (xa + xb) - x0) / dx).astype(np.int64), 0, nx - 1)
    j = np.clip(np.floor((0.5 * (ya + yb) - y0) / dy).astype(np.int64), 0, ny - 1)
    own = w * (0.5 * (ya + yb) - ye[j])
    out += np.bincount(j * nx + i, weights=own, minlength=ny * nx).reshape(ny, nx)
    strip = w * dy  # to every cell below (rows 0 .. j-1) of column i
    diff = np.bincount(i, weights=strip, minlength=nx)[None, :] * (np.arange(ny + 1) == 0)[:, None]
    diff -= np.bincount(j * nx + i, weights=strip, minlength=(ny + 1) * nx).reshape(ny + 1, nx)
    out += np.cumsum(diff, axis=0)[:ny]
    return out


def tile_index_map(case: Case, grid: Grid) -> np.ndarray:
    """Tile number of the tile holding each cell centre, shape (ny, nx); -1 outside all tiles.

    Tiles are numbered row-major, x fastest, row 0 at the lowest y:
    ``index = row * tiles[0] + column``.

    Example
    -------
    >>> from wafersolve import build_grid, load_case
    >>> case = load_case("cases/small.toml")
    >>> idx = tile_index_map(case, build_grid(case))
    >>> np.bincount(idx[idx >= 0]).size == case.wafer.n_tiles
    True
    """
    w = case.wafer
    x0, y0 = w.tile_origin_m
    col = np.floor((grid.x_centers_m - x0) / w.tile_size_m[0]).astype(np.int64)
    row = np.floor((grid.y_centers_m - y0) / w.tile_size_m[1]).astype(np.int64)
    col = np.where((col >= 0) & (col < w.tiles[0]), col, -1)
    row = np.where((row >= 0) & (row < w.tiles[1]), row, -1)
    idx = row[:, None] * w.tiles[0] + col[None, :]
    return np.where((row[:, None] >= 0) & (col[None, :] >= 0), idx, -1)


# -- helpers -----------------------------------------------------------------------------------
def _sandwich(oy: sp.csr_matrix, density: np.ndarray, ox: sp.csr_matrix) -> np.ndarray:
    """``oy @ density @ ox.T`` with sparse outer factors, as a dense (ny, nx) array."""
    left = np.asarray(oy @ density)  # (ny, n_src_x)
    return np.ascontiguousarray(np.asarray(ox @ left.T).T)


def _check_inside(case: Case, field: str, power_W: float, xr, yr) -> None:
    if power_W == 0:
        return
    lx, ly = case.wafer.size_m
    tol = OUTLINE_RTOL * max(lx, ly)
    if xr[0] < -tol or yr[0] < -tol or xr[1] > lx + tol or yr[1] > ly + tol:
        raise CaseError(case.source_path, field, None, detail=(
            f"{power_W:g} W spread over x {xr[0]:g}..{xr[1]:g} m, y {yr[0]:g}..{yr[1]:g} m, "
            f"outside the wafer outline 0..{lx:g} m x 0..{ly:g} m; expected power inside the "
            "wafer"))


def _check_grid_covers_wafer(case: Case, grid: Grid) -> None:
    lx, ly = case.wafer.size_m
    tol = OUTLINE_RTOL * max(lx, ly)
    ok = (abs(grid.x_edges_m[0]) <= tol and abs(grid.y_edges_m[0]) <= tol
          and abs(grid.x_edges_m[-1] - lx) <= tol and abs(grid.y_edges_m[-1] - ly) <= tol)
    if not ok:
        raise ValueError("the grid must span the wafer outline exactly (use build_grid)")
