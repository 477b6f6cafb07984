"""Edge I/O layout of a reticle-tiled wafer: which PHYs can reach off-wafer, what they carry, and
how far the cores are from them. No PDE; pure NumPy.

Every tile carries the same PHY macros (:class:`~wafersolve.case.io_model.IOLayout`), so a macro
is *usable* only on a tile whose macro edge is an outward edge of the tile array and only if its
footprint lies inside the wafer circle less the keep-out; every other copy is stranded silicon
and a hole in the core mesh. Cores sit on a tile-aligned 2D mesh; a core's hop distance is the
number of mesh links from it to the nearest usable PHY, routed around PHY silicon (breadth-first
search, 4-neighbour Manhattan hops). :func:`solve_area_io` treats the alternative, area (Z-axis)
I/O through a bonded optical wafer, with the same result type; :func:`sweep_phys_per_edge`
tabulates PHYs per tile edge against usable bandwidth and stranded area. The model and its
conventions are in ``docs/edge-io.md``.

Example
-------
>>> from wafersolve.case.io_model import IOLayout, PhyMacro
>>> phy = PhyMacro("n", "north", offset_m=6e-3, width_m=2e-3, depth_m=1.5e-3, lanes=2,
...                lane_rate_bit_per_s=25e9)
>>> res = solve_edge_io(IOLayout(phys=(phy,), mesh_pitch_m=2e-3))
>>> res.n_usable, res.n_stranded, res.n_edge_tiles
(12, 72, 34)
>>> round(res.bandwidth_per_direction_bit_per_s / 8e9, 1)   # GB/s, one direction
75.0
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from .case.io_model import IOLayout, OpticalIO, PhyMacro

_EPS = 1e-9


@dataclass(frozen=True, eq=False)
class IOResult:
    """An I/O layout evaluated: usable and stranded PHYs, bandwidth, density, mesh hop distances.

    ``mode`` is ``"edge"`` (PHY macros) or ``"area"`` (optical Z-axis I/O, one site per tile).
    A *site* is one copy of a macro in one tile, ordered tile by tile (``site_tile``,
    ``site_phy`` index into ``phy_names``). Bandwidths are bit/s, **per direction** unless the
    name says ``bidirectional`` (= 2 x per direction). Densities divide by the outline's
    perimeter (``edge_length_m``) or nominal area (``silicon_area_m2``, corners not clipped).
    Maps are (ny, nx) over the core cells, row 0 at the lowest y, cell edges ``x_edges_m``,
    ``y_edges_m``: ``tile_map`` (tile index), ``phy_map`` (macro index on PHY silicon, -1
    elsewhere), ``port_map`` (cells where the mesh leaves the wafer: usable PHYs or the optical
    patch), ``core_map`` (cells holding a core) and ``hop_map`` (hops to the nearest port; NaN
    where there is no core, inf for a core no port can reach).
    """

    mode: str
    layout: IOLayout
    phy_names: tuple[str, ...]
    site_tile: np.ndarray
    site_phy: np.ndarray
    site_outward: np.ndarray
    site_inside: np.ndarray
    bandwidth_per_direction_bit_per_s: float
    phy_area_m2: float
    stranded_area_m2: float
    n_edge_tiles: int
    x_edges_m: np.ndarray
    y_edges_m: np.ndarray
    tile_map: np.ndarray
    phy_map: np.ndarray
    port_map: np.ndarray
    core_map: np.ndarray
    hop_map: np.ndarray

    @property
    def site_usable(self) -> np.ndarray:
        return self.site_outward & self.site_inside

    @property
    def n_sites(self) -> int:
        return int(self.site_tile.size)

    @property
    def n_usable(self) -> int:
        return int(self.site_usable.sum())

    @property
    def n_stranded(self) -> int:
        return self.n_sites - self.n_usable

    @property
    def bandwidth_bidirectional_bit_per_s(self) -> float:
        return 2.0 * self.bandwidth_per_direction_bit_per_s

    @property
    def edge_length_m(self) -> float:
        return self.layout.perimeter_m

    @property
    def silicon_area_m2(self) -> float:
        return self.layout.area_m2

    @property
    def density_edge_per_direction_bit_per_s_per_m(self) -> float:
        return self.bandwidth_per_direction_bit_per_s / self.edge_length_m

    @property
    def density_area_per_direction_bit_per_s_per_m2(self) -> float:
        return self.bandwidth_per_direction_bit_per_s / self.silicon_area_m2

    @property
    def stranded_area_fraction(self) -> float:
        return self.stranded_area_m2 / self.silicon_area_m2

    @property
    def n_cores(self) -> int:
        return int(self.core_map.sum())

    @property
    def n_unreachable_cores(self) -> int:
        return int(np.isinf(self.hop_map).sum())

    @property
    def hop_mean(self) -> float:
        """Mean hops over the cores a port can reach (inf if none can)."""
        hops = self.hop_map[np.isfinite(self.hop_map)]
        return float(hops.mean()) if hops.size else math.inf

    @property
    def hop_max(self) -> float:
        hops = self.hop_map[np.isfinite(self.hop_map)]
        return float(hops.max()) if hops.size else math.inf

    def sites(self, usable: bool) -> tuple[tuple[int, str], ...]:
        """``(tile index, macro name)`` of every usable (or every stranded) site."""
        pick = self.site_usable if usable else ~self.site_usable
        return tuple((int(t), self.phy_names[p])
                     for t, p in zip(self.site_tile[pick], self.site_phy[pick], strict=True))

    def summary(self) -> dict:
        """SI scalars with units in their names (``None`` for an infinite hop distance)."""
        def finite(v: float):
            return v if math.isfinite(v) else None

        bw = self.bandwidth_per_direction_bit_per_s
        return {
            "io_mode": self.mode,
            "io_tiles": self.layout.n_tiles,
            "io_edge_tiles": self.n_edge_tiles,
            "io_sites": self.n_sites,
            "io_usable": self.n_usable,
            "io_stranded": self.n_stranded,
            "io_bandwidth_per_direction_bit_per_s": bw,
            "io_bandwidth_bidirectional_bit_per_s": 2.0 * bw,
            "io_edge_length_m": self.edge_length_m,
            "io_silicon_area_m2": self.silicon_area_m2,
            "io_density_edge_per_direction_bit_per_s_per_m": bw / self.edge_length_m,
            "io_density_edge_bidirectional_bit_per_s_per_m": 2.0 * bw / self.edge_length_m,
            "io_density_area_per_direction_bit_per_s_per_m2": bw / self.silicon_area_m2,
            "io_density_area_bidirectional_bit_per_s_per_m2": 2.0 * bw / self.silicon_area_m2,
            "io_phy_area_m2": self.phy_area_m2,
            "io_stranded_area_m2": self.stranded_area_m2,
            "io_stranded_area_fraction": self.stranded_area_fraction,
            "io_cores": self.n_cores,
            "io_unreachable_cores": self.n_unreachable_cores,
            "io_hop_mean": finite(self.hop_mean),
            "io_hop_max": finite(self.hop_max),
        }


@dataclass(frozen=True, eq=False)
class IOSweep:
    """Edge layouts with 1..N macros per tile edge, and optionally the area-I/O alternative."""

    phys_per_edge: tuple[int, ...]
    edge: tuple[IOResult, ...]
    area: IOResult | None = None

    def rows(self) -> list[dict]:
        """The trade-off table: one :meth:`IOResult.summary` per layout, with its PHY count."""
        out = [{"phys_per_edge": k, **r.summary()}
               for k, r in zip(self.phys_per_edge, self.edge, strict=True)]
        if self.area is not None:
            out.append({"phys_per_edge": None, **self.area.summary()})
        return out


def count_edge_tiles(tiles: tuple[int, int]) -> int:
    """Tiles of a (columns, rows) array with at least one side on its boundary.

    Example
    -------
    >>> count_edge_tiles((12, 7)), count_edge_tiles((2, 2)), count_edge_tiles((1, 5))
    (34, 4, 5)
    """
    nc, nr = tiles
    return nc * nr - max(nc - 2, 0) * max(nr - 2, 0)


def mesh_hops(passable: np.ndarray, sources: np.ndarray) -> np.ndarray:
    """Hops (4-neighbour mesh links) from every cell to the nearest source, through passable cells.

    Sources are at 0; cells that are neither reachable nor sources are -1. Breadth-first search
    on the flattened grid, one NumPy step per hop.

    Example
    -------
    >>> core = np.ones((3, 3), bool); core[1, 1] = False          # a hole in the middle
    >>> src = np.zeros((3, 3), bool); src[0, 1] = True
    >>> mesh_hops(core, src)
    array([[ 1,  0,  1],
           [ 2, -1,  2],
           [ 3,  4,  3]])
    """
    ny, nx = passable.shape
    ok = passable.ravel()
    dist = np.full(ny * nx, -1, dtype=np.int64)
    front = np.flatnonzero(sources.ravel())
    dist[front] = 0
    hop = 0
    while front.size:
        hop += 1
        col = front % nx
        step = np.concatenate((front[col > 0] - 1, front[col < nx - 1] + 1,
                               front[front >= nx] - nx, front[front < (ny - 1) * nx] + nx))
        front = np.unique(step[ok[step] & (dist[step] < 0)])
        dist[front] = hop
    return dist.reshape(ny, nx)


def solve_edge_io(layout: IOLayout) -> IOResult:
    """Usable and stranded PHY copies, bandwidth, density and hop distances of an edge layout.

    Example
    -------
    >>> from wafersolve.case.io_model import PhyMacro
    >>> phy = PhyMacro("n", "north", 0.0, 1e-3, 1e-3, lanes=1, lane_rate_bit_per_s=10e9)
    >>> res = solve_edge_io(IOLayout(tiles=(2, 2), tile_size_m=(2e-3, 2e-3), mesh_pitch_m=1e-3,
    ...                              phys=(phy,), wafer_size_m=(4e-3, 4e-3)))
    >>> res.sites(usable=True), res.hop_max, round(res.hop_mean, 4)
    (((2, 'n'), (3, 'n')), 5.0, 2.6667)
    """
    phys = layout.phys
    nc, nr = layout.tiles
    tw, th = layout.tile_size_m
    tile = np.arange(layout.n_tiles)
    col, row = tile % nc, tile // nc
    facing = {"north": row == nr - 1, "south": row == 0, "east": col == nc - 1, "west": col == 0}
    outward = np.stack([facing[p.edge] for p in phys], axis=1) if phys else \
        np.zeros((layout.n_tiles, 0), bool)
    x0, y0 = layout.tile_origin_m
    cx, cy = 0.5 * layout.wafer_size_m[0], 0.5 * layout.wafer_size_m[1]
    radius = 0.5 * layout.wafer_diameter_m - layout.keepout_m
    inside = np.ones_like(outward)
    (cpx, cpy), x_edges, y_edges, tile_map, silicon = _core_grid(layout)
    local = np.full((cpy, cpx), -1, dtype=np.int64)  # macro index per core cell of one tile
    for k, p in enumerate(phys):
        u0, u1, v0, v1 = p.footprint_m(layout.tile_size_m)
        gx, gy = x0 + col * tw, y0 + row * th  # lower-left corner of every tile
        dx = np.maximum(np.abs(gx + u0 - cx), np.abs(gx + u1 - cx))  # farthest footprint corner
        dy = np.maximum(np.abs(gy + v0 - cy), np.abs(gy + v1 - cy))
        inside[:, k] = dx * dx + dy * dy <= radius * radius * (1 + 1e-12)
        i0, i1 = _cells(u0, u1, tw / cpx, cpx)
        j0, j1 = _cells(v0, v1, th / cpy, cpy)
        local[j0:j1, i0:i1] = k
    usable = outward & inside
    phy_map = np.tile(local, (nr, nc))
    port = (phy_map >= 0) & (usable[tile_map, np.maximum(phy_map, 0)] if phys else False)
    core = silicon & (phy_map < 0)
    area = np.array([p.area_m2 for p in phys])
    rate = np.array([p.bandwidth_per_direction_bit_per_s for p in phys])
    return _result("edge", layout, tuple(p.name for p in phys), outward, inside,
                   bandwidth=float((usable * rate).sum()),
                   phy_area=float(layout.n_tiles * area.sum()),
                   stranded_area=float((~usable * area).sum()),
                   grid=(x_edges, y_edges, tile_map, phy_map, port, core))


def solve_area_io(layout: IOLayout, optical: OpticalIO | None = None) -> IOResult:
    """The area (Z-axis) I/O alternative: a centred optical patch of the same share in every tile.

    ``optical`` defaults to ``layout.optical``. The patch is bonded on top of the cores, so it
    strands no silicon and makes no holes; cores under it are at 0 hops. Bandwidth = density x
    area fraction x tile area x tiles (the corner clip by the wafer circle is ignored).

    Example
    -------
    >>> opt = OpticalIO(areal_density_bit_per_s_per_m2=1e18, area_fraction=0.25)  # 1 Tb/s/mm^2
    >>> res = solve_area_io(IOLayout(tiles=(2, 2), tile_size_m=(2e-3, 2e-3), mesh_pitch_m=1e-3,
    ...                              wafer_size_m=(4e-3, 4e-3)), opt)
    >>> res.bandwidth_per_direction_bit_per_s / 1e12, res.n_stranded, res.hop_max
    (4.0, 0, 2.0)
    """
    optical = layout.optical if optical is None else optical
    if optical is None:
        raise ValueError("no area I/O: give `optical` or a layout with an [io.optical] table")
    nc, nr = layout.tiles
    tw, th = layout.tile_size_m
    (cpx, cpy), x_edges, y_edges, tile_map, silicon = _core_grid(layout)
    s = math.sqrt(optical.area_fraction)
    i0, i1 = _cells(0.5 * (1 - s) * tw, 0.5 * (1 + s) * tw, tw / cpx, cpx)
    j0, j1 = _cells(0.5 * (1 - s) * th, 0.5 * (1 + s) * th, th / cpy, cpy)
    local = np.zeros((cpy, cpx), bool)
    local[j0:j1, i0:i1] = True
    port = np.tile(local, (nr, nc)) & silicon
    ones = np.ones((layout.n_tiles, 1), bool)
    bandwidth = (optical.density_per_direction_bit_per_s_per_m2 * optical.area_fraction
                 * tw * th * layout.n_tiles)
    return _result("area", layout, ("optical",), ones, ones, bandwidth=bandwidth,
                   phy_area=0.0, stranded_area=0.0,
                   grid=(x_edges, y_edges, tile_map, np.full(port.shape, -1), port, silicon))


def place_phys(macro: PhyMacro, edges, count: int, tile_size_m) -> tuple[PhyMacro, ...]:
    """``count`` copies of ``macro`` on each tile edge in ``edges``, centred in equal slots.

    Names are the edge and the slot (``north0``, ``north1``, ...). Raises ValueError if they
    do not fit the edge or overlap a macro on another edge.

    Example
    -------
    >>> m = PhyMacro("m", "north", 0.0, 2e-3, 1e-3, lanes=1, lane_rate_bit_per_s=1e9)
    >>> [round(p.offset_m * 1e3, 3) for p in place_phys(m, ("south",), 3, (9e-3, 9e-3))]
    [0.5, 3.5, 6.5]
    """
    out = []
    for edge in edges:
        length = tile_size_m[0] if edge in ("north", "south") else tile_size_m[1]
        if count * macro.width_m > length * (1 + 1e-12):
            raise ValueError(f"{count} PHYs of {macro.width_m * 1e3:g} mm do not fit on the "
                             f"{length * 1e3:g} mm {edge} edge of the tile")
        pitch = length / count
        out += [replace(macro, name=f"{edge}{k}", edge=edge,
                        offset_m=(k + 0.5) * pitch - 0.5 * macro.width_m) for k in range(count)]
    hit = IOLayout(tile_size_m=tile_size_m, phys=tuple(out)).first_overlap()
    if hit is not None:
        raise ValueError(f"with {count} PHYs per edge, {out[hit[1]].name} overlaps "
                         f"{out[hit[0]].name} near a tile corner")
    return tuple(out)


def sweep_phys_per_edge(layout: IOLayout, counts=None, *, macro: PhyMacro | None = None,
                        edges=None, optical: OpticalIO | None = None,
                        max_count: int = 16) -> IOSweep:
    """Edge layouts with 1..N copies of ``macro`` per tile edge, plus the area alternative.

    ``macro`` defaults to the layout's first macro, ``edges`` to the edges its macros use,
    ``counts`` to 1, 2, ... up to the most that fit (at most ``max_count``, stopping before the
    first layout that overlaps; explicit ``counts`` that do not fit raise ValueError);
    ``optical`` (or ``layout.optical``) adds the area-I/O row.

    Example
    -------
    >>> m = PhyMacro("m", "north", 0.0, 0.5e-3, 0.5e-3, lanes=1, lane_rate_bit_per_s=1e9)
    >>> lay = IOLayout(tiles=(2, 2), tile_size_m=(2e-3, 2e-3), mesh_pitch_m=0.5e-3,
    ...                phys=(m,), wafer_size_m=(4e-3, 4e-3))
    >>> sweep = sweep_phys_per_edge(lay)
    >>> sweep.phys_per_edge, [r["io_usable"] for r in sweep.rows()]
    ((1, 2, 3, 4), [2, 4, 6, 8])
    """
    if macro is None:
        if not layout.phys:
            raise ValueError("no PHY macro to sweep: give `macro` or a layout with [[io.phys]]")
        macro = layout.phys[0]
    edges = tuple(dict.fromkeys(p.edge for p in layout.phys)) if edges is None else tuple(edges)
    if counts is None:
        fit = min(int(layout.edge_length_m(e) / macro.width_m + _EPS) for e in edges)
        counts, valid = range(1, min(fit, max_count) + 1), []
        for k in counts:
            try:
                valid.append((k, place_phys(macro, edges, k, layout.tile_size_m)))
            except ValueError:
                break
    else:
        valid = [(int(k), place_phys(macro, edges, int(k), layout.tile_size_m)) for k in counts]
    results = tuple(solve_edge_io(replace(layout, phys=phys)) for _, phys in valid)
    optical = layout.optical if optical is None else optical
    area = None if optical is None else solve_area_io(layout, optical)
    return IOSweep(tuple(k for k, _ in valid), results, area)


# -- helpers -----------------------------------------------------------------------------------
def _cells(lo: float, hi: float, step: float, n: int) -> tuple[int, int]:
    """Cells whose centres lie in [lo, hi) on a row of ``n`` cells of ``step``; at least one."""
    i0 = min(max(math.ceil(lo / step - 0.5 - _EPS), 0), n)
    i1 = min(max(math.ceil(hi / step - 0.5 - _EPS), 0), n)
    if i1 <= i0:
        i0 = min(int(0.5 * (lo + hi) / step), n - 1)
        i1 = i0 + 1
    return i0, i1


def _core_grid(layout: IOLayout):
    """Cores per tile, cell edges, tile index per cell and the cells inside the wafer circle."""
    nc, nr = layout.tiles
    tw, th = layout.tile_size_m
    cpx = max(1, round(tw / layout.mesh_pitch_m))
    cpy = max(1, round(th / layout.mesh_pitch_m))
    x0, y0 = layout.tile_origin_m
    x_edges = x0 + (tw / cpx) * np.arange(nc * cpx + 1)
    y_edges = y0 + (th / cpy) * np.arange(nr * cpy + 1)
    xc, yc = 0.5 * (x_edges[1:] + x_edges[:-1]), 0.5 * (y_edges[1:] + y_edges[:-1])
    tile_map = (np.arange(nr * cpy) // cpy)[:, None] * nc + (np.arange(nc * cpx) // cpx)[None, :]
    r2 = (xc[None, :] - 0.5 * layout.wafer_size_m[0]) ** 2 + \
        (yc[:, None] - 0.5 * layout.wafer_size_m[1]) ** 2
    silicon = r2 <= (0.5 * layout.wafer_diameter_m) ** 2
    return (cpx, cpy), x_edges, y_edges, tile_map, silicon


def _result(mode, layout, names, outward, inside, *, bandwidth, phy_area, stranded_area,
            grid) -> IOResult:
    x_edges, y_edges, tile_map, phy_map, port, core = grid
    dist = mesh_hops(core, port)
    hop_map = np.where(core, np.where(dist >= 0, dist, np.inf), np.nan)
    n_tiles, n_phys = outward.shape
    return IOResult(
        mode=mode, layout=layout, phy_names=names,
        site_tile=np.repeat(np.arange(n_tiles), n_phys),
        site_phy=np.tile(np.arange(n_phys), n_tiles),
        site_outward=outward.ravel(), site_inside=inside.ravel(),
        bandwidth_per_direction_bit_per_s=bandwidth, phy_area_m2=phy_area,
        stranded_area_m2=stranded_area, n_edge_tiles=count_edge_tiles(layout.tiles),
        x_edges_m=x_edges, y_edges_m=y_edges, tile_map=tile_map, phy_map=phy_map,
        port_map=port, core_map=core, hop_map=hop_map)
