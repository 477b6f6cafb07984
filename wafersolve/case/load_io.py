"""Load the off-chip I/O layout of a case: the ``[io]`` section, its ``[[io.phys]]`` and
``[io.optical]``.

Called by :func:`wafersolve.case.load.build_case`; the keys are documented in
``docs/case-reference.md`` and the model in ``docs/edge-io.md``. As everywhere in case loading,
every problem is a :class:`~wafersolve.errors.CaseError` naming the file, the field, the value and
what was expected, and every value leaves here in SI (lengths in m, rates in bit/s).

Example
-------
>>> from wafersolve.case.model import Wafer
>>> sec = Section({"mesh_pitch_mm": 1, "phys": [{"edge": "north", "width_mm": 2, "depth_mm": 1,
...                "lanes": 2, "lane_rate_Gbps": 25}]}, path="c.toml", where="io")
>>> io = parse_io(sec, wafer=Wafer())
>>> io.tiles, io.phys[0].name, round(io.phys[0].offset_m * 1e3, 4)
((12, 7), 'phy0', 7.9583)
>>> sec = Section({"mesh_pitch_mm": 1, "phys": [{"edge": "top", "width_mm": 2, "depth_mm": 1,
...                "lanes": 2, "lane_rate_Gbps": 25}]}, path="c.toml", where="io")
>>> parse_io(sec, wafer=Wafer())
Traceback (most recent call last):
...
wafersolve.errors.CaseError: c.toml: io.phys[0].edge = 'top': expected one of 'north', 'south', 'east', 'west'
"""

from __future__ import annotations

from ..errors import CaseError
from ..units import from_si
from .io_model import DIRECTIONS, EDGES, IOLayout, OpticalIO, PhyMacro
from .model import Wafer
from .schema import Section, tile_grid

#: Default diameter of the round wafer the square is cut from, metres.
WAFER_DIAMETER_M = 0.3

_GBPS = 1e9  # lane_rate_Gbps -> bit/s
_TBPS_PER_MM2 = 1e12 / 1e-6  # areal_density_Tbps_per_mm2 -> bit/s/m^2
_AXIS = {"north": "y", "south": "y", "east": "x", "west": "x"}


def parse_io(sec: Section | None, *, wafer: Wafer) -> IOLayout | None:
    """The :class:`IOLayout` of a case from its ``[io]`` table (None if absent).

    ``tiles`` and ``tile_size_*`` default to those of ``wafer``; ``mesh_pitch_*`` is required;
    at least one ``[[io.phys]]`` or an ``[io.optical]`` is required.

    Example
    -------
    >>> sec = Section({"mesh_pitch_mm": 1, "keepout_mm": 150}, path="c.toml", where="io")
    >>> parse_io(sec, wafer=Wafer())
    Traceback (most recent call last):
    ...
    wafersolve.errors.CaseError: c.toml: io.keepout_mm = 150: expected a keep-out < 150 mm, the wafer radius
    """
    if sec is None:
        return None
    sec.allow({"tiles", "phys", "optical"}, {"tile_size": "length", "wafer_diameter": "length",
                                             "keepout": "length", "mesh_pitch": "length"})
    tiles, tile_size = _tiles(sec, wafer)
    diameter = sec.quantity("wafer_diameter", required=False, default=WAFER_DIAMETER_M,
                            check=">0")
    keepout = sec.quantity("keepout", required=False, default=0.0, check=">=0")
    if keepout >= 0.5 * diameter:
        key, suffix = sec.unit_key("keepout")
        raise CaseError(sec.path, sec.field(key), sec.data[key], (
            f"a keep-out < {from_si(0.5 * diameter, 'length', suffix):g} {suffix}, the wafer "
            "radius"))
    pitch = sec.quantity("mesh_pitch", check=">0")
    if pitch > min(tile_size) * (1 + 1e-12):
        key, suffix = sec.unit_key("mesh_pitch")
        raise CaseError(sec.path, sec.field(key), sec.data[key], (
            f"a pitch <= {from_si(min(tile_size), 'length', suffix):.6g} {suffix}, the smaller "
            "side of a tile"))
    layout = IOLayout(tiles=tiles, tile_size_m=tile_size, mesh_pitch_m=pitch,
                      wafer_size_m=wafer.size_m, wafer_diameter_m=diameter, keepout_m=keepout)
    phys = _phys(sec, layout)
    optical = _optical(sec.table("optical"))
    if not phys and optical is None:
        raise CaseError(sec.path, sec.field("phys"), detail=(
            "missing I/O: give at least one [[io.phys]] (edge I/O) or an [io.optical] table "
            "(area I/O)"))
    return IOLayout(tiles=tiles, tile_size_m=tile_size, mesh_pitch_m=pitch, phys=phys,
                    wafer_size_m=wafer.size_m, wafer_diameter_m=diameter, keepout_m=keepout,
                    optical=optical)


def _tiles(sec: Section, wafer: Wafer) -> tuple[tuple[int, int], tuple[float, float]]:
    tiles = tile_grid(sec, wafer.tiles)
    tile_size = sec.pair("tile_size", required=False, check=">0")
    if tile_size is None:
        tile_size = (wafer.tile_size_m if tiles == wafer.tiles else
                     (wafer.size_m[0] / tiles[0], wafer.size_m[1] / tiles[1]))
    for axis, name in ((0, "x"), (1, "y")):
        span = tiles[axis] * tile_size[axis]
        if span > wafer.size_m[axis] * (1 + 1e-12):
            key = (sec.unit_key("tile_size") or ("tiles",))[0]
            raise CaseError(sec.path, sec.field(key), sec.data[key], detail=(
                f"{tiles[axis]} tiles of {tile_size[axis] * 1e3:g} mm span {span * 1e3:g} mm "
                f"along {name}, more than the wafer's {wafer.size_m[axis] * 1e3:g} mm; expected "
                "tiles that fit the wafer outline"))
    return tiles, tile_size


def _phys(sec: Section, layout: IOLayout) -> tuple[PhyMacro, ...]:
    out: list[PhyMacro] = []
    where: list[str] = []
    for i, sub in enumerate(sec.tables("phys")):
        sub.allow({"name", "edge", "lanes", "lane_rate_Gbps", "direction"},
                  {"offset": "length", "width": "length", "depth": "length"})
        name = sub.string("name", required=False, default=f"phy{i}")
        if not name.strip():
            raise CaseError(sub.path, sub.field("name"), name, "a non-empty name")
        if name in [p.name for p in out]:
            raise CaseError(sub.path, sub.field("name"), name, "a PHY name not used before")
        edge = sub.string("edge", choices=EDGES)
        width = sub.quantity("width", check=">0")
        depth = sub.quantity("depth", check=">0")
        length = layout.edge_length_m(edge)
        across = layout.tile_size_m[1] if _AXIS[edge] == "y" else layout.tile_size_m[0]
        _no_larger(sub, "width", width, length, f"the length of the tile's {edge} edge")
        _no_larger(sub, "depth", depth, across,
                   f"the tile's extent across its {edge} edge (along {_AXIS[edge]})")
        offset = sub.quantity("offset", required=False, check=">=0")
        if offset is None:
            offset = 0.5 * (length - width)
        elif offset + width > length * (1 + 1e-12):
            key, suffix = sub.unit_key("offset")
            raise CaseError(sub.path, sub.field(key), sub.data[key], (
                f"offset + width <= {_mm(length, suffix)} {suffix}, the length of the tile's "
                f"{edge} edge"), detail=(
                f"the PHY spans {_mm(offset, suffix)}-{_mm(offset + width, suffix)} {suffix} "
                "along it and leaves the tile"))
        lanes = sub.integer("lanes", minimum=1)
        rate = sub.number("lane_rate_Gbps", required=True, check=">0") * _GBPS
        direction = sub.string("direction", required=False, default="per_direction",
                               choices=DIRECTIONS)
        if direction == "total" and lanes % 2:
            raise CaseError(sub.path, sub.field("lanes"), lanes, (
                'an even number of lanes with direction = "total" (half of them each way)'))
        out.append(PhyMacro(name=name, edge=edge, offset_m=offset, width_m=width,
                            depth_m=depth, lanes=lanes, lane_rate_bit_per_s=rate,
                            direction=direction))
        where.append(sub.where)
        _check_overlap(sub, out, where, layout)
    return tuple(out)


def _no_larger(sub: Section, base: str, value: float, limit: float, what: str) -> None:
    if value > limit * (1 + 1e-12):
        key, suffix = sub.unit_key(base)
        raise CaseError(sub.path, sub.field(key), sub.data[key], (
            f"a {base} <= {_mm(limit, suffix)} {suffix}, {what}"),
            detail="the PHY is larger than its tile")


def _check_overlap(sub: Section, phys: list[PhyMacro], where: list[str], layout) -> None:
    """The newest macro (last of ``phys``) must not overlap an earlier one."""
    hit = IOLayout(tile_size_m=layout.tile_size_m, phys=tuple(phys)).first_overlap()
    if hit is None:
        return
    other, new = phys[hit[0]], phys[hit[1]]
    suffix = sub.unit_key("width")[1]

    def span(p: PhyMacro) -> str:
        return f"{_mm(p.offset_m, suffix)}-{_mm(p.offset_m + p.width_m, suffix)} {suffix}"

    if other.edge == new.edge:
        key = (sub.unit_key("offset") or sub.unit_key("width"))[0]
        raise CaseError(sub.path, sub.field(key), sub.data[key], (
            "PHYs on one tile edge that do not overlap"), detail=(
            f"{new.name!r} spans {span(new)} along the {new.edge} edge and {other.name!r} "
            f"({where[hit[0]]}) spans {span(other)}"))

    def box(p: PhyMacro) -> str:
        u0, u1, v0, v1 = p.footprint_m(layout.tile_size_m)
        return (f"x {_mm(u0, suffix)}-{_mm(u1, suffix)} {suffix}, "
                f"y {_mm(v0, suffix)}-{_mm(v1, suffix)} {suffix} in the tile")

    raise CaseError(sub.path, sub.where, None, "PHY footprints that do not overlap", detail=(
        f"{new.name!r} ({new.edge} edge, {box(new)}) overlaps {other.name!r} ({where[hit[0]]}, "
        f"{other.edge} edge, {box(other)})"))


def _mm(value_m: float, suffix: str) -> str:
    """A length in the user's unit, for messages."""
    return f"{from_si(value_m, 'length', suffix):.6g}"


def _optical(sec: Section | None) -> OpticalIO | None:
    if sec is None:
        return None
    sec.allow({"areal_density_Tbps_per_mm2", "area_fraction", "direction"})
    density = sec.number("areal_density_Tbps_per_mm2", required=True, check=">0")
    fraction = sec.number("area_fraction", default=1.0)
    if not 0.0 < fraction <= 1.0:
        raise CaseError(sec.path, sec.field("area_fraction"), sec.data["area_fraction"],
                        "a number > 0 and <= 1 (the share of each tile's area)")
    direction = sec.string("direction", required=False, default="per_direction",
                           choices=DIRECTIONS)
    return OpticalIO(areal_density_bit_per_s_per_m2=density * _TBPS_PER_MM2,
                     area_fraction=fraction, direction=direction)
