"""Sweep specifications: varied keys, variants and their overrides of a parsed case file.

``KEY=a:b:n`` gives n evenly spaced values from a to b inclusive, ``KEY=v1,v2,...`` a list
(numbers, ``true``/``false`` or strings); :func:`product_variants` forms the cartesian product
of several keys and :func:`read_variant_table` reads a CSV of variants instead. Keys address the
case file as it is written, unit suffix included (``cooling.flow_lpm``, ``power.total_kW``);
arrays of tables are entered by name: ``stack.<layer>.<key>`` is the ``[[stack.layers]]`` entry of
that name, ``mechanics.interfaces.<layer>.<key>`` and ``io.phys.<name>.<key>`` likewise.
:func:`apply_overrides` sets them on the parsed TOML document, before validation, so a bad
value is an ordinary :class:`~wafersolve.errors.CaseError` of that variant. A variant's id is a
hash of its overrides (:func:`variant_id`), the name of its result folder.
Re-exported by :mod:`wafersolve.sweep`, the one place to import from.

Example
-------
>>> v = product_variants([parse_vary("cooling.flow_lpm=40:160:3"),
...                       parse_vary("cooling.coolant=water,pg25")])
>>> for x in v[:3]:
...     print(x.label())
cooling.flow_lpm=40, cooling.coolant=water
cooling.flow_lpm=40, cooling.coolant=pg25
cooling.flow_lpm=100, cooling.coolant=water
"""

from __future__ import annotations

import copy
import csv
import hashlib
import itertools
import json
import math
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import CaseError

VARIANTS_DIR = "variants"
#: The keys that name the entries of an array of tables in a dotted key (and ``between`` of
#: ``[[stack.contacts]]``, joined as ``lower/upper``).
_ENTRY_NAMES = ("name", "layer")


# -- specs --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Vary:
    """One varied key of the case file and its values, from a ``KEY=SPEC`` text."""

    key: str
    values: tuple
    spec: str = ""


def parse_vary(spec: str, *, source: str = "--vary") -> Vary:
    """Read ``KEY=a:b:n`` (n evenly spaced values, a and b included) or ``KEY=v1,v2,...``.

    Values are integers, floats, ``true``/``false`` or strings (quote a string that looks like a
    number: ``'"100"'``). A range of integers whose points are all integers stays integer.
    Raises :class:`CaseError` naming the spec.

    Example
    -------
    >>> parse_vary("cooling.flow_lpm=40:160:7").values
    (40, 60, 80, 100, 120, 140, 160)
    >>> parse_vary("stack.tim.thickness_um=0.5:1:3").values
    (0.5, 0.75, 1.0)
    >>> parse_vary("cooling.coolant=water,pg25").values
    ('water', 'pg25')
    >>> parse_vary("cooling.flow_lpm=40:160")
    Traceback (most recent call last):
    ...
    wafersolve.errors.CaseError: --vary: cooling.flow_lpm = '40:160': expected a range a:b:n (n values from a to b inclusive, n an integer >= 2) or a list v1,v2,...
    """
    key, sep, text = str(spec).partition("=")
    key, text = key.strip(), text.strip()
    if not sep or not key:
        raise CaseError(source, None, detail=f"{spec!r}: expected KEY=a:b:n or KEY=v1,v2,... "
                        "(for example cooling.flow_lpm=40:160:7)")
    _check_key(key, source)
    if not text:
        raise CaseError(source, key, text, "values after '=': a:b:n or v1,v2,...")
    if ":" in text and not _quoted(text):
        return Vary(key, _parse_range(key, text, source), spec)
    values = tuple(_parse_value(item, key=key, source=source) for item in _split_list(text))
    if any(v == "" for v in values):
        raise CaseError(source, key, text, "a list of values without empty items")
    _check_unique(key, text, values, source)
    return Vary(key, values, spec)


def _parse_range(key: str, text: str, source: str) -> tuple:
    expected = ("a range a:b:n (n values from a to b inclusive, n an integer >= 2) or a list "
                "v1,v2,...")
    parts = [p.strip() for p in text.split(":")]
    if len(parts) != 3:
        raise CaseError(source, key, text, expected)
    a, b, n = (_parse_value(p, key=key, source=source) for p in parts)
    if not all(_is_number(v) for v in (a, b)) or isinstance(n, bool) or not isinstance(n, int):
        raise CaseError(source, key, text, expected)
    if n < 2:
        raise CaseError(source, key, text, expected,
                        detail="for one value write it alone: KEY=value")
    if a == b:
        raise CaseError(source, key, text, "a range a:b:n with a != b")
    step = (b - a) / (n - 1)
    points = [a + i * step for i in range(n)]
    points[-1] = b
    if isinstance(a, int) and isinstance(b, int) and all(float(p).is_integer() for p in points):
        return tuple(int(round(p)) for p in points)
    return tuple(float(f"{p:.12g}") for p in points)


def _parse_value(text: str, *, key: str, source: str):
    t = text.strip()
    if _quoted(t):
        return t[1:-1]
    if t in ("true", "false"):
        return t == "true"
    try:
        return int(t)
    except ValueError:
        pass
    try:
        value = float(t)
    except ValueError:
        return t
    if not math.isfinite(value):
        raise CaseError(source, key, t, "a finite number (nan and inf are refused everywhere)")
    return value


def _quoted(t: str) -> bool:
    return len(t) >= 2 and t[0] == t[-1] and t[0] in "'\""


def _split_list(text: str) -> list[str]:
    """Split on commas outside quotes."""
    out, cur, quote = [], [], None
    for ch in text:
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == ",":
            out.append("".join(cur))
            cur = []
            continue
        cur.append(ch)
    out.append("".join(cur))
    return [s.strip() for s in out]


def _check_key(key: str, source: str) -> None:
    parts = key.split(".")
    if len(parts) < 2 or any(not p.strip() or p != p.strip() for p in parts):
        raise CaseError(source, key, None, "a dotted key section.key, e.g. cooling.flow_lpm, "
                        "stack.tim.thickness_um (a layer by name)")


def _check_unique(key, text, values, source) -> None:
    seen = set()
    for v in values:
        token = _canonical(v)
        if token in seen:
            raise CaseError(source, key, text, "distinct values", detail=f"{v!r} is repeated")
        seen.add(token)


def _is_number(v) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


# -- variants -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Variant:
    """The overrides of one variant, ``((key, value), ...)`` in the order of the keys."""

    overrides: tuple[tuple[str, object], ...]

    @property
    def id(self) -> str:
        """A stable id: a hash of the overrides (the same keys and values, the same id).

        Example
        -------
        >>> Variant((("cooling.flow_lpm", 40),)).id
        '3019a59191'
        """
        return variant_id(self.overrides)

    def label(self) -> str:
        """``key=value, key=value``."""
        return ", ".join(f"{k}={_show(v)}" for k, v in self.overrides) or "(the case as given)"

    def folder(self, root) -> Path:
        """The variant's result folder under the sweep folder ``root``."""
        return Path(root) / VARIANTS_DIR / self.id


def variant_id(overrides: Iterable[tuple[str, object]]) -> str:
    """Ten hex digits of the SHA-256 of the overrides, sorted by key, as canonical JSON.

    Example
    -------
    >>> variant_id([("a.b", 1), ("c.d", "x")]) == variant_id([("c.d", "x"), ("a.b", 1)])
    True
    """
    text = json.dumps(sorted((k, v) for k, v in overrides), separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]


def product_variants(varies: Sequence[Vary]) -> tuple[Variant, ...]:
    """The cartesian product of the varied keys (the last key varies fastest).

    Example
    -------
    >>> [v.label() for v in product_variants([parse_vary("a.x=1,2"), parse_vary("b.y=p,q")])]
    ['a.x=1, b.y=p', 'a.x=1, b.y=q', 'a.x=2, b.y=p', 'a.x=2, b.y=q']
    """
    keys = [v.key for v in varies]
    dup = next((k for k in keys if keys.count(k) > 1), None)
    if dup is not None:
        raise CaseError("--vary", dup, detail="varied twice: give each key once")
    return tuple(Variant(tuple(zip(keys, combo, strict=True)))
                 for combo in itertools.product(*(v.values for v in varies)))


def read_variant_table(path) -> tuple[Variant, ...]:
    """Variants from a CSV file: a header of keys, then one row per variant.

    An empty cell leaves that key as the case gives it; lines starting with ``#`` are comments.
    Values are read as in :func:`parse_vary` lists.

    Example
    -------
    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "v.csv"
    >>> _ = p.write_text("cooling.flow_lpm,stack.tim.thickness_um\\n60,25\\n100,\\n")
    >>> [v.label() for v in read_variant_table(p)]
    ['cooling.flow_lpm=60, stack.tim.thickness_um=25', 'cooling.flow_lpm=100']
    """
    label = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise CaseError(label, None, detail=f"cannot read the variant table: "
                        f"{exc.strerror or exc}") from None
    rows = [r for r in csv.reader(line for line in text.splitlines()
                                  if line.strip() and not line.lstrip().startswith("#"))]
    if not rows:
        raise CaseError(label, None, detail="empty variant table: expected a header of keys "
                        "and one row per variant")
    header = [h.strip() for h in rows[0]]
    for key in header:
        _check_key(key, label)
    dup = next((k for k in header if header.count(k) > 1), None)
    if dup is not None:
        raise CaseError(label, dup, detail="column given twice")
    variants, seen = [], {}
    for n, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise CaseError(label, f"row {n}", row, f"{len(header)} cells, one per column")
        pairs = tuple((k, _parse_value(c, key=k, source=f"{label}: row {n}"))
                      for k, c in zip(header, row, strict=True) if c.strip())
        v = Variant(pairs)
        if v.id in seen:
            raise CaseError(label, f"row {n}", row, detail=f"the same variant as row {seen[v.id]}")
        seen[v.id] = n
        variants.append(v)
    if not variants:
        raise CaseError(label, None, detail="no variants: expected one row per variant after "
                        "the header")
    return tuple(variants)


# -- overrides ----------------------------------------------------------------------------------
def apply_overrides(doc: Mapping, overrides: Iterable[tuple[str, object]], *,
                    source: str = "--vary") -> dict:
    """A deep copy of the parsed case ``doc`` with each ``(dotted key, value)`` set.

    ``stack.<layer>.<key>`` addresses the ``[[stack.layers]]`` entry of that name; any array of
    tables is entered by its entries' ``name`` (or ``layer``): ``mechanics.interfaces.tim.<key>``,
    ``io.phys.<name>.<key>``, ``power.hotspots.<name>.<key>``; contacts by ``lower/upper``.
    Missing tables are created; a key given in another unit (``thickness_mm`` for an override
    ``thickness_um``) is replaced. Raises :class:`CaseError` for a key that addresses nothing.

    Example
    -------
    >>> doc = {"stack": {"layers": [{"name": "tim", "thickness_mm": 0.03}]}}
    >>> apply_overrides(doc, [("stack.tim.thickness_um", 50)])["stack"]["layers"]
    [{'name': 'tim', 'thickness_um': 50}]
    >>> apply_overrides(doc, [("stack.tm.thickness_um", 50)])
    Traceback (most recent call last):
    ...
    wafersolve.errors.CaseError: --vary: stack.tm.thickness_um: no entry named 'tm' in [[stack.layers]] (names: 'tim')
    """
    out = copy.deepcopy(dict(doc))
    for key, value in overrides:
        table, leaf, _ = resolve_key(out, key, source=source)
        if isinstance(table.get(leaf), Mapping):
            raise CaseError(source, key, value, detail=f"{key} is a table: give one of its keys "
                            f"({', '.join(table[leaf])})")
        for other in [k for k in table if k != leaf and _same_field(k, leaf)]:
            del table[other]
        table[leaf] = value
    return out


def resolve_key(doc: dict, key: str, *, source: str = "--vary") -> tuple[dict, str, str]:
    """``(table, leaf key, field path)`` of a dotted key in ``doc``, creating missing tables.

    The field path is the one case-file errors use (``stack.layers[3].thickness_um``).

    Example
    -------
    >>> resolve_key({"stack": {"layers": [{"name": "a"}, {"name": "tim"}]}},
    ...             "stack.tim.thickness_um")[1:]
    ('thickness_um', 'stack.layers[1].thickness_um')
    """
    _check_key(key, source)
    parts = key.split(".")
    node, where = doc, []
    i = 0
    while i < len(parts) - 1:
        part = parts[i]
        if part not in node and where == ["stack"] and isinstance(node.get("layers"), list):
            part, i = "layers", i - 1  # stack.<layer name>: the name is the next part
        child = node.get(part)
        if isinstance(child, list) and child and all(isinstance(e, Mapping) for e in child):
            array = ".".join([*where, part])
            name = parts[i + 1]
            hits = [j for j, e in enumerate(child) if _entry_name(e) == name]
            if not hits:
                names = ", ".join(repr(_entry_name(e)) for e in child)
                raise CaseError(source, key, detail=(
                    f"no entry named {name!r} in [[{array}]] (names: {names})"))
            if i + 1 == len(parts) - 1:
                raise CaseError(source, key, detail=(
                    f"names an entry of [[{array}]]: give one of its keys, {key}.<key>"))
            where.append(f"{part}[{hits[0]}]")
            node = child[hits[0]]
            i += 2
            continue
        if child is None:
            child = node[part] = {}
        elif not isinstance(child, dict):
            raise CaseError(source, key, detail=(
                f"{'.'.join([*where, part])} is a value, not a table"))
        where.append(part)
        node = child
        i += 1
    return node, parts[-1], ".".join([*where, parts[-1]])


def _entry_name(entry: Mapping):
    for k in _ENTRY_NAMES:
        if isinstance(entry.get(k), str):
            return entry[k]
    between = entry.get("between")
    if isinstance(between, list) and all(isinstance(b, str) for b in between):
        return "/".join(between)
    return None


def _same_field(a: str, b: str) -> bool:
    """Two spellings of one unit field, e.g. ``thickness_mm`` and ``thickness_um``."""
    from .units import DIMENSIONS

    for units in DIMENSIONS.values():
        for s in units:
            if b.endswith("_" + s):
                base = b[: -len(s) - 1]
                if any(a == f"{base}_{s2}" for s2 in units if s2 != s):
                    return True
    return False


def load_variant(text: str, overrides: Iterable[tuple[str, object]], *, path_label="<case>",
                 base_dir=".", source_path: str | None = None):
    """Parse case-file ``text``, apply ``overrides`` and build the Case (a CaseError if bad).

    Example
    -------
    >>> from pathlib import Path
    >>> case = load_variant(Path("cases/small.toml").read_text(), [("cooling.flow_lpm", 50)],
    ...                     base_dir="cases")
    >>> round(case.cooling.flow_m3_per_s * 60000, 6)
    50.0
    """
    from .case.load import build_case

    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CaseError(path_label, None, detail=f"invalid TOML: {exc}") from None
    doc = apply_overrides(doc, overrides)
    return build_case(doc, path=path_label, base_dir=Path(base_dir), source_path=source_path)


# -- helpers ------------------------------------------------------------------------------------
def _canonical(v) -> str:
    return json.dumps(v)


def _show(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"{v:.12g}"
    return str(v)


_SAFE = re.compile(r"[^A-Za-z0-9_.=-]+")


def safe_name(text: str) -> str:
    """A file-name-safe version of ``text``.

    Example
    -------
    >>> safe_name("stack.tim.thickness_um vs T_max_K")
    'stack.tim.thickness_um_vs_T_max_K'
    """
    return _SAFE.sub("_", text).strip("._") or "x"
