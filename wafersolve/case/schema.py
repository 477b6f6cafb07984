"""Reading one TOML table of a case file with strict checks and precise error messages.

:class:`Section` wraps a parsed table together with the case file's path and the table's field
path (``stack.layers[2]``). :meth:`Section.allow` rejects unknown or misspelled keys (suggesting
the closest valid key), then typed getters return checked values, converting unit-suffixed
fields to SI through :mod:`wafersolve.units`. Every problem is a :class:`CaseError`.

Example
-------
>>> sec = Section({"name": "wafer", "thickness_um": 775}, path="c.toml", where="stack.layers[0]")
>>> sec.allow({"name"}, {"thickness": "length"})
>>> sec.quantity("thickness", check=">0")
0.000775
>>> Section({"thicknes_um": 1}, path="c.toml", where="x").allow(set(), {"thickness": "length"})
Traceback (most recent call last):
...
wafersolve.errors.CaseError: c.toml: x.thicknes_um = 1: unknown key, did you mean 'thickness_um'?
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Collection, Mapping

from ..errors import CaseError
from ..units import DIMENSIONS, check_number, classify_key, find_unit_key, to_si, unit_keys

_CHECKS = {
    None: (lambda v: True, ""),
    ">0": (lambda v: v > 0, "> 0"),
    ">=0": (lambda v: v >= 0, ">= 0"),
}


class Section:
    """A table of the case file being read, with its file path and field path."""

    def __init__(self, data: Mapping, *, path, where: str):
        self.data = data
        self.path = path
        self.where = where
        self._units: dict[str, str] = {}
        self._fixed: frozenset[str] = frozenset()

    # -- keys ----------------------------------------------------------------------------------
    def field(self, key: str) -> str:
        """The field path of ``key`` in this section, e.g. ``cooling.flow_lpm``."""
        return f"{self.where}.{key}" if self.where else key

    def allow(self, fixed: Collection[str], units: Mapping[str, str] | None = None) -> None:
        """Declare the valid keys: plain ``fixed`` keys and unit fields ``{base: dimension}``.

        Raises CaseError for any other key, suggesting the closest valid spelling.
        """
        self._fixed = frozenset(fixed)
        self._units = dict(units or {})
        valid = sorted(self._fixed) + [k for b, d in self._units.items() for k in unit_keys(b, d)]
        for key in self.data:
            if key in self._fixed:
                continue
            hit = classify_key(key, self._units)
            if hit is not None and hit[1] in DIMENSIONS[self._units[hit[0]]]:
                continue
            best = max(valid, key=lambda v: difflib.SequenceMatcher(None, key, v).ratio(),
                       default=None)
            if hit is not None and (hit[1] == "" or best not in self._fixed):
                # A known field with a bad or missing unit suffix: let the unit parser say so.
                base = hit[0]
                find_unit_key(
                    self.data, base, self._units[base], path=self.path, where=self.where,
                    ignore=self._foreign_keys(base),
                )
            close = difflib.get_close_matches(key, valid, n=1, cutoff=0.6)
            kind = "section" if _is_table(self.data[key]) else "key"
            if close:
                hint = f"unknown {kind}, did you mean {close[0]!r}?"
            else:
                hint = f"unknown {kind}; valid keys here: {', '.join(valid) or '(none)'}"
            raise CaseError(self.path, self.field(key), _shown(self.data[key]), detail=hint)

    def has(self, key: str) -> bool:
        """Whether plain key ``key`` is present."""
        return key in self.data

    def _foreign_keys(self, base: str) -> set[str]:
        out = set(self._fixed)
        for key in self.data:
            hit = classify_key(key, self._units)
            if hit is not None and hit[0] != base:
                out.add(key)
        return out

    def missing(self, key: str, what: str = "key") -> CaseError:
        """The error for a missing required key or section."""
        return CaseError(self.path, self.field(key), detail=f"missing required {what}")

    # -- plain values --------------------------------------------------------------------------
    def string(self, key: str, *, required: bool = True, default=None, choices=None):
        """A string value, optionally one of ``choices``."""
        if key not in self.data:
            if required:
                raise self.missing(key)
            return default
        value = self.data[key]
        if not isinstance(value, str):
            raise CaseError(self.path, self.field(key), value, "a string")
        if choices is not None and value not in choices:
            raise CaseError(self.path, self.field(key), value,
                            "one of " + ", ".join(repr(c) for c in choices))
        return value

    def integer(self, key: str, *, required: bool = True, default=None, minimum: int | None = None):
        """An integer value (floats and bools are refused), optionally ``>= minimum``."""
        if key not in self.data:
            if required:
                raise self.missing(key)
            return default
        return check_integer(self.data[key], path=self.path, field=self.field(key),
                             minimum=minimum)

    def boolean(self, key: str, *, default: bool) -> bool:
        """A boolean value (``true`` / ``false``)."""
        if key not in self.data:
            return default
        value = self.data[key]
        if not isinstance(value, bool):
            raise CaseError(self.path, self.field(key), value, "true or false")
        return value

    def number(self, key: str, *, required: bool = False, default=None, check=None,
               upper: float | None = None):
        """A dimensionless finite number, with an optional range check (and ``< upper``)."""
        if key not in self.data:
            if required:
                raise self.missing(key)
            return default
        value = check_number(self.data[key], path=self.path, field=self.field(key))
        ok, text = _CHECKS[check]
        good = ok(value) and (upper is None or value < upper)
        if upper is not None:
            text = f"{text} and < {upper:g}" if text else f"< {upper:g}"
        if not good:
            raise CaseError(self.path, self.field(key), self.data[key], f"a number {text}")
        return value

    # -- unit-suffixed values ------------------------------------------------------------------
    def unit_key(self, base: str) -> tuple[str, str] | None:
        """``(key, suffix)`` of unit field ``base`` if present (checked), else None."""
        return find_unit_key(self.data, base, self._units[base], path=self.path,
                             where=self.where, ignore=self._foreign_keys(base))

    def require_unit_key(self, base: str) -> tuple[str, str]:
        """Like :meth:`unit_key` but a missing field is an error."""
        hit = self.unit_key(base)
        if hit is None:
            choices = ", ".join(unit_keys(base, self._units[base]))
            raise CaseError(self.path, self.field(base),
                            detail=f"missing required key, give one of {choices}")
        return hit

    def quantity(self, base: str, *, required: bool = True, default=None, check=None):
        """Unit field ``base`` as a finite number in SI, with an optional range check."""
        hit = self.require_unit_key(base) if required else self.unit_key(base)
        if hit is None:
            return default
        key, suffix = hit
        raw = check_number(self.data[key], path=self.path, field=self.field(key))
        ok, text = _CHECKS[check]
        if not ok(raw):
            raise CaseError(self.path, self.field(key), self.data[key], f"a number {text}")
        return float(to_si(raw, self._units[base], suffix))

    def pair(self, base: str, *, required: bool = True, default=None, check=None):
        """Unit field ``base`` as a pair ``[a, b]`` of finite numbers, in SI."""
        hit = self.require_unit_key(base) if required else self.unit_key(base)
        if hit is None:
            return default
        key, suffix = hit
        value = self.data[key]
        field = self.field(key)
        if not isinstance(value, list) or len(value) != 2:
            raise CaseError(self.path, field, value, "a pair of numbers [a, b]")
        ok, text = _CHECKS[check]
        out = []
        for idx, item in enumerate(value):
            num = check_number(item, path=self.path, field=f"{field}[{idx}]")
            if not ok(num):
                raise CaseError(self.path, f"{field}[{idx}]", item, f"a number {text}")
            out.append(float(to_si(num, self._units[base], suffix)))
        return (out[0], out[1])

    # -- sub-tables ----------------------------------------------------------------------------
    def table(self, key: str, *, required: bool = False) -> Section | None:
        """Sub-table ``key`` as a Section (None if absent and not required)."""
        if key not in self.data:
            if required:
                raise self.missing(key, "section")
            return None
        value = self.data[key]
        if not isinstance(value, Mapping):
            raise CaseError(self.path, self.field(key), _shown(value), f"a table [{self.field(key)}]")
        return Section(value, path=self.path, where=self.field(key))

    def tables(self, key: str, *, required: bool = False) -> list[Section]:
        """Array of tables ``key`` (``[[key]]``) as Sections; [] if absent and not required."""
        if key not in self.data:
            if required:
                raise self.missing(key, "array of tables")
            return []
        value = self.data[key]
        expected = f"an array of tables [[{self.field(key)}]]"
        if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
            raise CaseError(self.path, self.field(key), _shown(value), expected)
        return [Section(v, path=self.path, where=f"{self.field(key)}[{i}]")
                for i, v in enumerate(value)]


def tile_grid(sec: Section, default: tuple[int, int]) -> tuple[int, int]:
    """The ``tiles = [columns, rows]`` pair of a section (positive integers), or ``default``.

    Example
    -------
    >>> tile_grid(Section({"tiles": [12, 7]}, path="c.toml", where="wafer"), (1, 1))
    (12, 7)
    """
    if not sec.has("tiles"):
        return default
    value = sec.data["tiles"]
    if not isinstance(value, list) or len(value) != 2:
        raise CaseError(sec.path, sec.field("tiles"), value,
                        "a pair [columns along x, rows along y] of integers")
    return tuple(check_integer(v, path=sec.path, field=f"{sec.field('tiles')}[{i}]", minimum=1)
                 for i, v in enumerate(value))


def check_integer(value, *, path, field: str, minimum: int | None = None) -> int:
    """``value`` if it is an int (not a bool, not a float), optionally ``>= minimum``.

    Example
    -------
    >>> check_integer(4, path="c.toml", field="grid.nx", minimum=1)
    4
    """
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and not math.isfinite(value):
            raise CaseError(path, field, value, "a finite integer")
        raise CaseError(path, field, value, "an integer")
    if minimum is not None and value < minimum:
        raise CaseError(path, field, value, f"an integer >= {minimum}")
    return value


class _TableSummary:
    """Shows a table in a message by its keys, ``{coolant, flow_lpm}``, or counts tables."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text


def _is_table(value) -> bool:
    return isinstance(value, Mapping) or (
        isinstance(value, list) and bool(value) and all(isinstance(v, Mapping) for v in value))


def _shown(value):
    """Tables are summarised in messages rather than dumped."""
    if isinstance(value, Mapping):
        return _TableSummary("{" + ", ".join(str(k) for k in value) + "}")
    if _is_table(value):
        return _TableSummary(f"[{len(value)} table{'s' if len(value) > 1 else ''}]")
    return value
