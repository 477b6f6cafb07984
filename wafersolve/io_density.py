"""Off-chip I/O bandwidth density of a chip against others, under an explicit :class:`Definition`.

:func:`load_io_table` reads ``wafersolve/data/io_reference.csv`` (one sourced, tagged number per
row); :meth:`IOTable.chip` gathers a chip's rows into a :class:`Chip` (SI); :func:`density` and
:func:`ratio` carry the name of the definition that produced them, because the answer depends
on it: WSE-3 is 23x below H100 like for like, ~130x only under mixed definitions
(docs/io-density.md).

Example
-------
>>> table = load_io_table()
>>> wse = density(table.chip("WSE-3"), Definition())
>>> round(wse.GB_per_s_per_mm, 4), wse.definition
(0.1744, 'per direction, all links, whole perimeter, square of equal area, all dies')
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from .errors import CaseError, WafersolveError

#: Columns of the table, in order.
COLUMNS = ("subject", "quantity", "value", "unit", "direction", "kind", "source", "note")
#: Kind tags (io-cooling.md section 0).
KINDS = {"P": "primary", "S": "secondary", "D": "derived", "U": "unverified"}
#: ``none``: no direction split (HBM, areas, counts); ``unstated``: a bandwidth whose source gives
#: no convention, which is never counted as a link.
DIRECTIONS = ("per_direction", "bidirectional", "none", "unstated")
#: Unit of a row -> (factor to SI, SI unit).
UNITS = {
    "Gb/s": (1e9, "bit/s"), "Tb/s": (1e12, "bit/s"), "GB/s": (8e9, "bit/s"),
    "TB/s": (8e12, "bit/s"), "GB/s/mm": (8e12, "bit/s/m"), "Tb/s/mm": (1e15, "bit/s/m"),
    "TB/s/mm2": (8e18, "bit/s/m2"), "Tb/s/mm2": (1e18, "bit/s/m2"),
    "mm": (1e-3, "m"), "um": (1e-6, "m"), "mm2": (1e-6, "m2"), "1/mm": (1e3, "1/m"),
    "lanes/mm": (1e3, "1/m"), "pJ/bit": (1e-12, "J/bit"), "count": (1.0, "1"), "x": (1.0, "1"),
    "%": (0.01, "1"),
}
#: Off-package link types: a row ``<kind>_bw`` of one of these is a link of its chip.
LINK_KINDS = ("ethernet", "nvlink", "pcie", "c2c", "ici", "infinity_fabric", "serdes", "offtile")
#: Quantities of a chip besides its links, with their SI unit.
_CHIP_UNITS = {"hbm_bw": "bit/s", "die_area": "m2", "die_count": "1", "die_width": "m",
               "die_height": "m", "io_edges": "1"}
_GBPS_PER_MM = 8e12  # bit/s per m in one GB/s per mm
_GBPS_PER_MM2 = 8e15  # bit/s per m² in one GB/s per mm²
_PD = "per_direction"


class IODataError(CaseError):
    """An I/O reference table is invalid (names the file, the row's line and field)."""


@dataclass(frozen=True)
class Row:
    """One number of the table, as written, plus its line in the file."""

    line: int
    subject: str
    quantity: str
    value: float
    unit: str
    direction: str
    kind: str
    source: str
    note: str

    @property
    def si_value(self) -> float:
        """The value in SI (bit/s, m, m², J/bit; counts and ratios as is)."""
        return self.value * UNITS[self.unit][0]


@dataclass(frozen=True)
class Link:
    """One off-package link type of a chip, as quoted (``direction``: per_direction, ...)."""

    kind: str
    bw_bit_per_s: float
    direction: str
    tag: str = "D"  # kind tag of the row it came from

    @property
    def per_direction_bit_per_s(self) -> float:
        """Bandwidth one way; refuses a link whose direction convention is unstated.

        >>> Link("nvlink", 7.2e12, "bidirectional").per_direction_bit_per_s / 8e9   # GB/s
        450.0
        """
        if (share := {_PD: 1.0, "bidirectional": 0.5}.get(self.direction)) is not None:
            return share * self.bw_bit_per_s
        raise WafersolveError(f"link {self.kind!r}: direction convention is {self.direction!r}; "
                              "expected per_direction or bidirectional")


@dataclass(frozen=True)
class Chip:
    """A chip's off-package links, HBM and geometry (SI). ``tags``: kind tag per input."""

    name: str
    links: tuple[Link, ...]
    hbm_bit_per_s: float = 0.0  # 0 for chips without HBM
    die_area_m2: float | None = None  # per die
    die_count: int = 1
    outline_m: tuple[float, float] | None = None  # (width, height) of one die
    io_edges: int | None = None  # how many of a die's 4 edges carry I/O, from data
    tags: tuple[tuple[str, str], ...] = ()  # (quantity, kind tag) of the geometry/HBM inputs


def assume_die_area(chip: Chip, area_mm2: float) -> Chip:
    """A copy of ``chip`` with an assumed area per die, the assumption written into its name.

    >>> tpu = assume_die_area(load_io_table().chip("TPU v5p"), 800)
    >>> tpu.name
    'TPU v5p (assumed 800 mm2 per die)'
    """
    tags = tuple(t for t in chip.tags if t[0] != "die_area") + (("die_area", "U"),)
    return Chip(f"{chip.name} (assumed {area_mm2:g} mm2 per die)", chip.links, chip.hbm_bit_per_s,
                area_mm2 * 1e-6, chip.die_count, None, chip.io_edges, tags)


@dataclass(frozen=True)
class IOTable:
    """The validated rows of an I/O reference table."""

    path: str
    rows: tuple[Row, ...]

    def row(self, subject: str, quantity: str) -> Row:
        """The row of ``subject``'s ``quantity``.

        >>> load_io_table().row("H100", "die_area").value
        814.0
        """
        if hit := [r for r in self.rows if (r.subject, r.quantity) == (subject, quantity)]:
            return hit[0]
        raise WafersolveError(f"{self.path}: no row for {subject!r} {quantity!r}")

    def chips(self) -> list[str]:
        """Subjects that have at least one off-package link row, in table order.

        >>> load_io_table().chips()[:4]
        ['WSE-1', 'WSE-2', 'WSE-3', 'H100']
        """
        links = {f"{k}_bw" for k in LINK_KINDS}
        return list(dict.fromkeys(r.subject for r in self.rows if r.quantity in links))

    def chip(self, name: str) -> Chip:
        """Gather ``name``'s rows into a :class:`Chip`.

        >>> h100 = load_io_table().chip("H100")
        >>> [link.kind for link in h100.links], round(h100.die_area_m2 * 1e6)
        (['nvlink', 'pcie'], 814)
        """
        if name not in self.chips():
            raise WafersolveError(f"{self.path}: no chip {name!r} with link rows; "
                                  f"expected one of {', '.join(self.chips())}")
        rows = {r.quantity: r for r in self.rows if r.subject == name}
        for q, r in rows.items():
            want = "bit/s" if q[:-3] in LINK_KINDS and q.endswith("_bw") else _CHIP_UNITS.get(q)
            if want and UNITS[r.unit][1] != want:
                raise IODataError(self.path, f"line {r.line} ({name} {q}).unit", r.unit,
                                  f"a unit of {want}")
        links = tuple(Link(q[:-3], r.si_value, r.direction, r.kind) for q, r in rows.items()
                      if q.endswith("_bw") and q[:-3] in LINK_KINDS)
        si = {q: rows[q].si_value for q in _CHIP_UNITS if q in rows}
        outline = ((si["die_width"], si["die_height"])
                   if "die_width" in si and "die_height" in si else None)
        return Chip(name, links, si.get("hbm_bw", 0.0), si.get("die_area"),
                    int(si.get("die_count", 1)), outline,
                    int(si["io_edges"]) if "io_edges" in si else None,
                    tuple((q, rows[q].kind) for q in _CHIP_UNITS if q in rows))


def load_io_table(path: str | Path | None = None) -> IOTable:
    """Read and validate an I/O reference CSV (default: the table shipped with wafersolve).

    Raises :class:`IODataError` naming the file, line and field of a bad row: see
    docs/io-density.md for the rules (source and P/S/D/U tag required, known units, values >= 0).

    >>> table = load_io_table()
    >>> r = table.row("WSE-3", "ethernet_bw")
    >>> r.value, r.unit, r.direction, r.kind
    (1.2, 'Tb/s', 'per_direction', 'S')
    """
    if path is None:
        res = resources.files("wafersolve.data").joinpath("io_reference.csv")
        text, shown = res.read_text(encoding="utf-8"), "wafersolve/data/io_reference.csv"
    else:
        text, shown = Path(path).read_text(encoding="utf-8"), str(path)
    reader = csv.reader(text.splitlines())
    rows, header, seen = [], None, {}
    for cells in reader:
        line, cells = reader.line_num, [c.strip() for c in cells]
        if not cells or cells[0].startswith("#"):
            continue
        if header is None:
            if tuple(header := cells) != COLUMNS:
                raise IODataError(shown, f"line {line}: header", ",".join(cells),
                                  f"the columns {','.join(COLUMNS)}")
            continue
        if len(cells) != len(COLUMNS):
            raise IODataError(shown, f"line {line}", len(cells), f"{len(COLUMNS)} fields")
        row = _parse_row(shown, line, dict(zip(COLUMNS, cells, strict=True)))
        if (key := (row.subject, row.quantity)) in seen:
            raise IODataError(shown, f"line {line} ({row.subject} {row.quantity})", None,
                              detail=f"duplicate of line {seen[key]}")
        seen[key] = line
        rows.append(row)
    if header is None:
        raise IODataError(shown, None, detail="no header row")
    return IOTable(shown, tuple(rows))


def _parse_row(path: str, line: int, c: dict[str, str]) -> Row:
    where = f"line {line} ({c['subject'] or '?'} {c['quantity'] or '?'})"

    def bad(name, expected):
        raise IODataError(path, f"{where}.{name}", c[name], expected)

    for name in ("subject", "quantity"):
        if not c[name]:
            bad(name, "a non-empty name")
    try:
        value = float(c["value"])
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        bad("value", "a finite number >= 0")
    if c["unit"] not in UNITS:
        bad("unit", f"one of {', '.join(UNITS)}")
    if c["direction"] not in DIRECTIONS:
        bad("direction", f"one of {', '.join(DIRECTIONS)}")
    if not UNITS[c["unit"]][1].startswith("bit/s") and c["direction"] != "none":
        bad("direction", f"'none' for a {c['unit']} quantity")
    if c["kind"] not in KINDS:
        bad("kind", f"one of {', '.join(KINDS)} ({', '.join(KINDS.values())})")
    if not c["source"]:
        bad("source", "a source (URL, DOI or citation)")
    if c["kind"] in "PS" and not any(s in c["source"] for s in ("http://", "https://", "doi:")):
        bad("source", f"a URL or DOI for a {KINDS[c['kind']]} number")
    if c["kind"] == "D" and "=" not in c["note"]:
        bad("note", "the formula of a derived number ('= ...')")
    return Row(line, c["subject"], c["quantity"], value, c["unit"], c["direction"], c["kind"],
               c["source"], c["note"])


_CHOICES = {"direction": ("per_direction", "bidirectional"), "edge": ("perimeter", "io_edges"),
            "outline": ("square", "data"), "dies": ("all", "one", "merged")}
_IO_EDGES = {("io_edges", k) for k in (1, 2, 3, 4)}
_WORDS = {"per_direction": "per direction", "bidirectional": "both directions"}


@dataclass(frozen=True)
class Definition:
    """How a density is counted. Every field is a choice the reference shows matters:

    * ``direction``: ``per_direction`` or ``bidirectional`` (both ways added);
    * ``hbm``: add the HBM bandwidth (a shared bus, so only to the bidirectional sum);
    * ``links``: link kinds counted (``None``: all off-package links of the chip);
    * ``edge``: ``perimeter`` (whole outline) or ``io_edges`` (only the edges carrying I/O,
      ``io_edges`` of each die's 4 from the data, or from ``io_edges`` here as an assumption);
    * ``outline``: ``square`` (4·√A per die) or ``data`` (the die width and height in the table);
    * ``dies``: ``all`` (sum of the die perimeters), ``one`` (all links on one die) or ``merged``
      (one square of the total silicon area).

    >>> Definition("bidirectional", hbm=True, links=("nvlink",), dies="one").name
    'both directions + HBM, nvlink, whole perimeter, square of equal area, one die'
    """

    direction: str = "per_direction"
    hbm: bool = False
    links: tuple[str, ...] | None = None
    edge: str = "perimeter"
    outline: str = "square"
    dies: str = "all"
    io_edges: int | None = None

    def __post_init__(self):
        bad = [(f, getattr(self, f), f"one of {', '.join(ok)}") for f, ok in _CHOICES.items()
               if getattr(self, f) not in ok]
        if self.hbm and self.direction != "bidirectional":
            bad.append(("hbm", True, "direction='bidirectional' (HBM has no direction split)"))
        if self.links is not None and not (self.links and set(self.links) <= set(LINK_KINDS)):
            bad.append(("links", self.links, f"link kinds from {', '.join(LINK_KINDS)}"))
        if self.io_edges is not None and (self.edge, self.io_edges) not in _IO_EDGES:
            bad.append(("io_edges", self.io_edges, "1 to 4, with edge='io_edges'"))
        if bad:
            raise WafersolveError("; ".join(f"Definition.{f} = {v!r}: expected {e}"
                                            for f, v, e in bad))

    @property
    def name(self) -> str:
        """A human-readable name of this definition (see the class example)."""
        edge = {"perimeter": "whole perimeter", "io_edges": "I/O-carrying edges (from data)"}
        if self.io_edges:
            edge["io_edges"] = f"{self.io_edges} of 4 edges carry I/O (assumed)"
        dies = {"all": "all dies", "one": "one die", "merged": "dies merged into one square"}
        return ", ".join((_WORDS[self.direction] + (" + HBM" if self.hbm else ""),
                          " + ".join(self.links) if self.links else "all links",
                          edge[self.edge], {"square": "square of equal area",
                                            "data": "die outline from data"}[self.outline],
                          dies[self.dies]))


@dataclass(frozen=True)
class Density:
    """Bandwidth per edge length and per silicon area of one chip under one definition.

    ``name`` is ``chip [definition]``, flagged when an input is unverified (tag U); ``tags`` are
    the kind tags of every input used.
    """

    chip: str
    definition: str
    direction: str
    hbm: bool
    bw_bit_per_s: float
    edge_m: float
    area_m2: float
    tags: frozenset[str]

    @property
    def GB_per_s_per_mm(self) -> float:
        return self.bw_bit_per_s / self.edge_m / _GBPS_PER_MM

    @property
    def GB_per_s_per_mm2(self) -> float:
        return self.bw_bit_per_s / self.area_m2 / _GBPS_PER_MM2

    @property
    def name(self) -> str:
        return f"{self.chip} [{self.definition}]" + (" (uses unverified data)"
                                                      if "U" in self.tags else "")


def density(chip: Chip, definition: Definition) -> Density:
    """Off-chip bandwidth of ``chip`` per mm of edge and per mm² of silicon, as defined.

    The per-area density always uses the total silicon area (die area x die count). Chips
    without HBM add nothing under ``hbm=True``.

    >>> table = load_io_table()
    >>> h100 = density(table.chip("H100"), Definition(links=("nvlink",)))
    >>> round(h100.edge_m * 1e3, 1), round(h100.GB_per_s_per_mm, 2)
    (114.1, 3.94)
    >>> wse = density(table.chip("WSE-3"), Definition(edge="io_edges"))   # 2 of 4 edges
    >>> round(wse.edge_m * 1e3), round(wse.GB_per_s_per_mm, 3)
    (430, 0.349)
    """
    d, tags, n = definition, dict(chip.tags), chip.die_count
    links = [lk for lk in chip.links if d.links is None or lk.kind in d.links]
    if not links:
        raise WafersolveError(f"{chip.name}: no {' or '.join(d.links or ())} link; it has "
                              f"{', '.join(lk.kind for lk in chip.links)}")
    try:
        bw = sum(lk.per_direction_bit_per_s for lk in links) * (1 + (d.direction != _PD))
    except WafersolveError as exc:
        raise WafersolveError(f"{chip.name}: {exc}") from None
    used = {lk.tag for lk in links}
    inputs = ["die_count", "hbm_bw"] if d.hbm else ["die_count"]
    bw += chip.hbm_bit_per_s if d.hbm else 0.0
    if d.outline == "data":
        if chip.outline_m is None or (d.dies == "merged" and n > 1):
            raise WafersolveError(f"{chip.name}: no {'package' if chip.outline_m else 'die'} "
                                  "outline in the data; use outline='square'")
        one, inputs = 2.0 * sum(chip.outline_m), inputs + ["die_width", "die_height"]
        area = chip.die_area_m2 or chip.outline_m[0] * chip.outline_m[1]
    elif chip.die_area_m2 is None:
        raise WafersolveError(f"{chip.name}: no die area in the data (not published); assume "
                              "one with assume_die_area()")
    else:
        area, one, inputs = chip.die_area_m2, 4.0 * math.sqrt(chip.die_area_m2), inputs + [
            "die_area"]
    merged = one if d.outline == "data" else 4.0 * math.sqrt(n * area)
    edge = {"all": n * one, "one": one, "merged": merged}[d.dies]
    if d.edge == "io_edges":
        if (k := d.io_edges or chip.io_edges) is None:
            raise WafersolveError(f"{chip.name}: the data does not say which edges carry I/O; "
                                  "give Definition(io_edges=...) as an assumption")
        edge *= k / 4.0
        used |= {"U"} if d.io_edges else set()
        inputs += [] if d.io_edges else ["io_edges"]
    used |= {tags[q] for q in inputs if q in tags}
    return Density(chip.name, d.name, d.direction, d.hbm, bw, edge, n * area, frozenset(used))


@dataclass(frozen=True)
class Ratio:
    """``numerator`` over ``denominator`` (per mm of edge; ``per_area``: per mm² of silicon).

    ``mismatch`` is empty when both sides use the same direction convention and HBM choice;
    ``name`` names both definitions and says MIXED otherwise.
    """

    numerator: Density
    denominator: Density
    value: float
    per_area: float
    mismatch: str

    @property
    def like_for_like(self) -> bool:
        return not self.mismatch

    @property
    def name(self) -> str:
        how = f"MIXED: {self.mismatch}" if self.mismatch else "same conventions"
        return f"{self.numerator.name} / {self.denominator.name} ({how})"

    def __str__(self) -> str:
        return f"{self.value:.1f}x = {self.name}"


def ratio(numerator: Density, denominator: Density) -> Ratio:
    """How many times denser ``numerator`` is than ``denominator``.

    >>> t = load_io_table()
    >>> r = ratio(density(t.chip("H100"), Definition(links=("nvlink",))),
    ...           density(t.chip("WSE-3"), Definition()))
    >>> round(r.value, 1), r.like_for_like
    (22.6, True)
    >>> r = ratio(density(t.chip("H100"), Definition("bidirectional")),
    ...           density(t.chip("WSE-3"), Definition()))
    >>> r.mismatch
    'both directions over per direction'
    """
    a, b = numerator, denominator
    why = [f"{_WORDS[a.direction]} over {_WORDS[b.direction]}"] if a.direction != b.direction else []
    if a.hbm != b.hbm:
        why.append(f"HBM counted only in the {'numerator' if a.hbm else 'denominator'}")
    return Ratio(a, b, a.bw_bit_per_s / a.edge_m / (b.bw_bit_per_s / b.edge_m),
                 a.GB_per_s_per_mm2 / b.GB_per_s_per_mm2, "; ".join(why))


@dataclass(frozen=True)
class Comparison:
    """A named comparison: ``chip`` under ``definition`` against the wafer under ``reference``."""

    key: str
    chip: str
    definition: Definition
    reference: Definition = Definition()
    group: str = "like for like"


_C, _D, _NV, _BI, _MIX = Comparison, Definition, ("nvlink",), "bidirectional", "~130x candidate"
#: The like-for-like ratios and the "~130x" candidates of io-cooling.md sections 1, A4 and A5.
REFERENCE_COMPARISONS = (
    _C("h100_nvlink", "H100", _D(links=_NV)),
    _C("h100_nvlink_pcie", "H100", _D(links=("nvlink", "pcie"))),
    _C("b200_nvlink_two_dies", "B200", _D(links=_NV)),
    _C("b200_nvlink_one_die", "B200", _D(links=_NV, dies="one")),
    _C("b200_nvlink_one_square", "B200", _D(links=_NV, dies="merged")),
    _C("rubin_nvlink_one_square", "Rubin", _D(dies="merged")),
    _C("groq_c2c_pcie", "Groq TSP v1", _D()),
    _C("dojo_d1_serdes", "Dojo D1", _D()),
    _C("dojo_tile_edge", "Dojo training tile", _D()),
    _C("b200_nvlink_on_40mm", "B200", _D(links=_NV, dies="merged", edge="io_edges", io_edges=1),
       group=_MIX),
    _C("rubin_bidir_vs_wse_per_dir", "Rubin", _D(_BI, dies="merged"), group=_MIX),
    _C("gb200_nvlink_c2c_bidir_one_die_vs_wse_per_dir", "GB200", _D(_BI, dies="one"), group=_MIX),
    _C("b200_links_hbm_two_dies_vs_wse_bidir", "B200", _D(_BI, hbm=True), _D(_BI), _MIX),
    _C("h100_links_hbm_vs_wse_bidir", "H100", _D(_BI, hbm=True), _D(_BI), _MIX),
)


def reference_ratios(table: IOTable | None = None, wafer: Chip | None = None,
                     comparisons=REFERENCE_COMPARISONS) -> list[tuple[Comparison, Ratio]]:
    """Each comparison's chip density over the wafer's (default: WSE-3 from the table).

    >>> pairs = reference_ratios()
    >>> [(c.key, round(r.value)) for c, r in pairs if c.key.startswith("rubin")]
    [('rubin_nvlink_one_square', 64), ('rubin_bidir_vs_wse_per_dir', 129)]
    """
    table = table or load_io_table()
    wafer = wafer or table.chip("WSE-3")
    return [(c, ratio(density(table.chip(c.chip), c.definition), density(wafer, c.reference)))
            for c in comparisons]


def format_density_table(pairs: list[tuple[Comparison, Ratio]] | None = None) -> str:
    """A plain-text table: a line of numbers per comparison, then both definitions.

    ``pairs`` defaults to :func:`reference_ratios` of the shipped table.

    >>> print(format_density_table().splitlines()[2])
      22.6x       3.943      0.1744  S     like for like    h100_nvlink
    """
    out = ["bandwidth density, chip over wafer (GB/s per mm of edge; tags P/S/D/U of the inputs)",
           f"{'ratio':>7} {'GB/s/mm':>11} {'wafer':>11}  {'tags':<5} {'group':<16} key"]
    for c, r in reference_ratios() if pairs is None else pairs:
        a, b = r.numerator, r.denominator
        tags = "".join(sorted(a.tags | b.tags, key="PSDU".index))
        out.append(f"{r.value:6.1f}x {a.GB_per_s_per_mm:11.4g} {b.GB_per_s_per_mm:11.4g}  "
                   f"{tags:<5} {c.group:<16} {c.key}")
        out.append(f"{'':9}{a.name}")
        out.append(f"{'':9}/ {b.name}" + (f"  <- MIXED: {r.mismatch}" if r.mismatch else ""))
    return "\n".join(out)


def density_summary(pairs: list[tuple[Comparison, Ratio]] | None = None
                    ) -> dict[str, float | bool]:
    """Scalars for ``summary.json``, the unit in every key (``*_ratio`` is dimensionless).

    >>> s = density_summary()   # pairs default to reference_ratios()
    >>> round(s["io_density_h100_nvlink_wafer_GB_per_s_per_mm"], 4)
    0.1744
    >>> round(s["io_density_h100_nvlink_ratio"], 1), s["io_density_h100_nvlink_like_for_like"]
    (22.6, True)
    """
    out: dict[str, float | bool] = {}
    for c, r in reference_ratios() if pairs is None else pairs:
        a, b, p = r.numerator, r.denominator, f"io_density_{c.key}_"
        out |= {p + "ratio": r.value, p + "per_area_ratio": r.per_area,
                p + "chip_GB_per_s_per_mm": a.GB_per_s_per_mm,
                p + "chip_GB_per_s_per_mm2": a.GB_per_s_per_mm2, p + "chip_edge_m": a.edge_m,
                p + "wafer_GB_per_s_per_mm": b.GB_per_s_per_mm, p + "like_for_like": r.like_for_like}
    return out
