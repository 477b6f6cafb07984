"""The off-chip I/O layout of a case (``[io]``): frozen dataclasses in SI units.

The wafer is a step-and-repeat of identical reticle tiles, so one :class:`PhyMacro` list describes
the PHYs of *every* tile. Positions are in tile coordinates: ``u`` along x from the tile's west
edge, ``v`` along y from its south edge. A macro sits against one tile ``edge``; ``offset_m`` runs
along that edge from its lower corner (the west corner of a north or south edge, the south corner
of an east or west edge), ``width_m`` along the edge and ``depth_m`` into the tile.

Bandwidths are in bit/s. ``direction`` says how a macro's ``lanes`` count (see
:data:`DIRECTIONS`); every bandwidth leaves this module *per direction*, and "both directions" is
always twice that.

Example
-------
>>> phy = PhyMacro("n", "north", offset_m=6e-3, width_m=2e-3, depth_m=1.5e-3, lanes=2,
...                lane_rate_bit_per_s=25e9)
>>> phy.bandwidth_per_direction_bit_per_s, round(phy.area_m2 * 1e6, 6)
(50000000000.0, 3.0)
>>> [round(c * 1e3, 4) for c in phy.footprint_m((17.9e-3, 30.7e-3))]
[6.0, 8.0, 29.2, 30.7]
"""

from __future__ import annotations

from dataclasses import dataclass

#: Tile edges a PHY macro can sit against.
EDGES = ("north", "south", "east", "west")

#: How ``lanes`` count: ``"per_direction"``: each lane is a duplex pair carrying
#: ``lane_rate`` each way (``lanes`` per direction); ``"total"``: ``lanes`` counts simplex lanes of
#: both directions together, half of them each way (the same convention for an areal density:
#: ``"total"`` means both directions added).
DIRECTIONS = ("per_direction", "total")


def _per_direction(value: float, direction: str) -> float:
    return value if direction == "per_direction" else 0.5 * value


@dataclass(frozen=True)
class PhyMacro:
    """One PHY macro of the tile: a rectangle against a tile edge carrying ``lanes`` lanes."""

    name: str
    edge: str  # one of EDGES
    offset_m: float  # along the edge, from its lower (west or south) corner
    width_m: float  # along the edge
    depth_m: float  # into the tile, perpendicular to the edge
    lanes: int
    lane_rate_bit_per_s: float  # per lane and direction
    direction: str = "per_direction"  # one of DIRECTIONS

    @property
    def bandwidth_per_direction_bit_per_s(self) -> float:
        """Off-chip bandwidth of one usable copy, one direction."""
        return _per_direction(self.lanes * self.lane_rate_bit_per_s, self.direction)

    @property
    def area_m2(self) -> float:
        return self.width_m * self.depth_m

    def footprint_m(self, tile_size_m: tuple[float, float]) -> tuple[float, float, float, float]:
        """``(u0, u1, v0, v1)`` of the macro inside a tile of ``tile_size_m``."""
        tw, th = tile_size_m
        a, b, d = self.offset_m, self.offset_m + self.width_m, self.depth_m
        if self.edge == "north":
            return (a, b, th - d, th)
        if self.edge == "south":
            return (a, b, 0.0, d)
        if self.edge == "east":
            return (tw - d, tw, a, b)
        return (0.0, d, a, b)


@dataclass(frozen=True)
class OpticalIO:
    """Area (Z-axis) I/O through a hybrid-bonded optical wafer on top of the compute wafer.

    Every tile carries the same centred patch covering ``area_fraction`` of the tile (same aspect
    ratio as the tile), with ``areal_density_bit_per_s_per_m2`` of I/O over the patch.
    """

    areal_density_bit_per_s_per_m2: float
    area_fraction: float = 1.0
    direction: str = "per_direction"  # one of DIRECTIONS

    @property
    def density_per_direction_bit_per_s_per_m2(self) -> float:
        return _per_direction(self.areal_density_bit_per_s_per_m2, self.direction)


@dataclass(frozen=True)
class IOLayout:
    """The I/O layout of the wafer: tile grid, PHY macros of a tile, wafer circle, core mesh.

    ``tiles`` = (columns along x, rows along y), centred on the ``wafer_size_m`` outline as in
    :class:`~wafersolve.case.model.Wafer`; tile index = row * columns + column, row 0 at the
    lowest y. The outline's centre is the centre of the ``wafer_diameter_m`` circle; a PHY is
    usable only if its footprint lies within ``wafer_diameter_m / 2 - keepout_m`` of that centre
    (edge exclusion). Cores form a square-ish 2D mesh of pitch ``mesh_pitch_m``, aligned to the
    tiles (a whole number of cores per tile).
    """

    tiles: tuple[int, int] = (12, 7)
    tile_size_m: tuple[float, float] = (0.215 / 12, 0.215 / 7)
    mesh_pitch_m: float = 1e-3
    phys: tuple[PhyMacro, ...] = ()
    wafer_size_m: tuple[float, float] = (0.215, 0.215)
    wafer_diameter_m: float = 0.3
    keepout_m: float = 0.0
    optical: OpticalIO | None = None

    @property
    def n_tiles(self) -> int:
        return self.tiles[0] * self.tiles[1]

    @property
    def tile_origin_m(self) -> tuple[float, float]:
        """Lower-left corner of tile (0, 0): the tile array is centred on the outline."""
        return (0.5 * (self.wafer_size_m[0] - self.tiles[0] * self.tile_size_m[0]),
                0.5 * (self.wafer_size_m[1] - self.tiles[1] * self.tile_size_m[1]))

    @property
    def perimeter_m(self) -> float:
        """Edge length of the wafer outline (the square), 0.86 m for 215 mm."""
        return 2.0 * (self.wafer_size_m[0] + self.wafer_size_m[1])

    @property
    def area_m2(self) -> float:
        """Nominal silicon area: the outline, corners not clipped by the circle."""
        return self.wafer_size_m[0] * self.wafer_size_m[1]

    def edge_length_m(self, edge: str) -> float:
        """Length of tile edge ``edge`` (the extent a macro's offset and width run along)."""
        return self.tile_size_m[0] if edge in ("north", "south") else self.tile_size_m[1]

    def first_overlap(self) -> tuple[int, int] | None:
        """Indices ``(i, j)``, ``i < j``, of the first two macros whose footprints overlap.

        Rectangles that only touch do not overlap.
        """
        boxes = [p.footprint_m(self.tile_size_m) for p in self.phys]
        tol = 1e-12
        for j, b in enumerate(boxes):
            for i, a in enumerate(boxes[:j]):
                if (min(a[1], b[1]) - max(a[0], b[0]) > tol
                        and min(a[3], b[3]) - max(a[2], b[2]) > tol):
                    return (i, j)
        return None
