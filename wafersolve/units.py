"""Unit-suffix parsing: case-file keys carry their unit, and this module turns them into SI.

A dimensional key is a base name, an underscore and a unit suffix: ``thickness_um``,
``power_kW``, ``flow_lpm``, ``inlet_T_C``, ``resistance_mm2_K_per_W``. :data:`DIMENSIONS` lists
the suffixes each dimension accepts and how each converts to SI (a scale and, for degrees
Celsius, an offset). Conversion happens once, when a case is loaded.

Example
-------
>>> read_quantity({"thickness_um": 775}, "thickness", "length", path="c.toml", where="stack")
0.000775
>>> to_si(21.0, "temperature", "C")
294.15
>>> to_si(17.0, "cte", "ppm_per_K")
1.7e-05
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass

import numpy as np

from .errors import CaseError


@dataclass(frozen=True)
class Unit:
    """One accepted unit suffix: ``SI = value * scale + offset``."""

    suffix: str
    scale: float
    offset: float = 0.0


def _units(*units: Unit) -> dict[str, Unit]:
    return {u.suffix: u for u in units}


#: Accepted suffixes per dimension, in the order they are suggested in messages.
DIMENSIONS: dict[str, dict[str, Unit]] = {
    "length": _units(Unit("um", 1e-6), Unit("mm", 1e-3), Unit("m", 1.0)),
    "power": _units(Unit("W", 1.0), Unit("kW", 1e3), Unit("MW", 1e6)),
    "temperature": _units(Unit("C", 1.0, 273.15), Unit("K", 1.0)),
    "volumetric_flow": _units(Unit("lpm", 1e-3 / 60.0), Unit("m3_per_s", 1.0)),
    "thermal_conductivity": _units(Unit("W_per_m_K", 1.0)),
    "heat_transfer_coefficient": _units(Unit("W_per_m2_K", 1.0)),
    "contact_resistance": _units(
        Unit("mm2_K_per_W", 1e-6), Unit("cm2_K_per_W", 1e-4), Unit("m2_K_per_W", 1.0)
    ),
    "power_density": _units(Unit("W_per_cm2", 1e4), Unit("W_per_mm2", 1e6), Unit("W_per_m2", 1.0)),
    "modulus": _units(Unit("Pa", 1.0), Unit("kPa", 1e3), Unit("MPa", 1e6), Unit("GPa", 1e9)),
    "cte": _units(Unit("per_K", 1.0), Unit("ppm_per_K", 1e-6)),
    "stiffness_per_area": _units(
        Unit("N_per_m3", 1.0), Unit("N_per_mm3", 1e9), Unit("MPa_per_mm", 1e9)
    ),
    "lateral_stiffness": _units(Unit("N_per_m", 1.0), Unit("N_per_mm", 1e3)),
    "areal_density": _units(Unit("per_m2", 1.0), Unit("per_mm2", 1e6), Unit("per_cm2", 1e4)),
    "pressure": _units(Unit("Pa", 1.0), Unit("kPa", 1e3), Unit("MPa", 1e6)),
}

#: The SI suffix of each dimension (used for names in resolved output).
SI_SUFFIX = {
    "length": "m",
    "power": "W",
    "temperature": "K",
    "volumetric_flow": "m3_per_s",
    "thermal_conductivity": "W_per_m_K",
    "heat_transfer_coefficient": "W_per_m2_K",
    "contact_resistance": "m2_K_per_W",
    "power_density": "W_per_m2",
    "modulus": "Pa",
    "cte": "per_K",
    "stiffness_per_area": "N_per_m3",
    "lateral_stiffness": "N_per_m",
    "areal_density": "per_m2",
    "pressure": "Pa",
}


def unit_keys(base: str, dimension: str) -> list[str]:
    """Every valid spelling of field ``base`` in ``dimension``.

    Example
    -------
    >>> unit_keys("thickness", "length")
    ['thickness_um', 'thickness_mm', 'thickness_m']
    """
    return [f"{base}_{s}" for s in _dimension(dimension)]


def to_si(value, dimension: str, suffix: str):
    """Convert a number (or array) given in unit ``suffix`` of ``dimension`` to SI.

    Example
    -------
    >>> to_si(100.0, "volumetric_flow", "lpm")
    0.0016666666666666668
    """
    unit = _dimension(dimension)[suffix]
    if isinstance(value, np.ndarray):
        out = value * unit.scale
        return out + unit.offset if unit.offset else out
    return value * unit.scale + unit.offset


def from_si(value, dimension: str, suffix: str):
    """Inverse of :func:`to_si` (used to show limits in the user's own unit).

    Example
    -------
    >>> from_si(274.15, "temperature", "C")
    1.0
    """
    unit = _dimension(dimension)[suffix]
    return (value - unit.offset) / unit.scale


def find_unit_key(
    section: Mapping, base: str, dimension: str, *, path, where: str, ignore: Collection[str] = ()
) -> tuple[str, str] | None:
    """The key of field ``base`` present in ``section`` and its suffix, or None if absent.

    Raises :class:`CaseError` for a bare ``base`` key (missing unit suffix), for a suffix that
    is not a unit of ``dimension``, and for two spellings of the field given at once. Keys that
    merely start with ``base_`` but belong to another field (e.g. ``k_exponent`` next to
    ``k_W_per_m_K``) are passed in ``ignore``.

    Example
    -------
    >>> find_unit_key({"flow_lpm": 100}, "flow", "volumetric_flow", path="c.toml", where="cooling")
    ('flow_lpm', 'lpm')
    """
    units = _dimension(dimension)
    choices = ", ".join(unit_keys(base, dimension))
    prefix = f"{base}_"
    found: list[tuple[str, str]] = []
    for key in section:
        if key in ignore:
            continue
        if key == base:
            raise CaseError(
                path,
                _join(where, key),
                section[key],
                detail=f"missing unit suffix, expected one of {choices}",
            )
        if key.startswith(prefix):
            suffix = key[len(prefix) :]
            if suffix not in units:
                raise CaseError(
                    path,
                    _join(where, key),
                    section[key],
                    detail=f"unknown unit suffix {suffix!r}, expected one of {choices}",
                )
            found.append((key, suffix))
    if len(found) > 1:
        given = " and ".join(k for k, _ in found)
        raise CaseError(
            path,
            _join(where, found[1][0]),
            section[found[1][0]],
            detail=f"{given} are two spellings of one field; give exactly one of {choices}",
        )
    return found[0] if found else None


def read_quantity(
    section: Mapping,
    base: str,
    dimension: str,
    *,
    path,
    where: str,
    required: bool = True,
    default: float | None = None,
    ignore: Collection[str] = (),
) -> float | None:
    """Find field ``base`` in ``section``, check it is a finite number and return it in SI.

    A missing optional field returns ``default`` (already SI). Range checks are the caller's.

    Example
    -------
    >>> read_quantity({"inlet_T_C": 21}, "inlet_T", "temperature", path="c.toml", where="cooling")
    294.15
    """
    hit = find_unit_key(section, base, dimension, path=path, where=where, ignore=ignore)
    if hit is None:
        if required:
            choices = ", ".join(unit_keys(base, dimension))
            raise CaseError(
                path, _join(where, base), detail=f"missing required key, give one of {choices}"
            )
        return default
    key, suffix = hit
    value = check_number(section[key], path=path, field=_join(where, key))
    return float(to_si(value, dimension, suffix))


def check_number(value, *, path, field: str) -> float:
    """``value`` as a float if it is a finite real number (bools are not numbers).

    Example
    -------
    >>> check_number(3, path="c.toml", field="grid.nx")
    3.0
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CaseError(path, field, value, "a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise CaseError(path, field, value, "a finite number")
    return float(value)


def classify_key(key: str, bases: Mapping[str, str]) -> tuple[str, str] | None:
    """Which unit field ``key`` spells, as ``(base, suffix)``; None if it is no unit key.

    The longest matching base wins, so ``k_ref_T_K`` belongs to ``k_ref_T`` rather than ``k``.
    The suffix may be invalid; :func:`find_unit_key` reports that.

    Example
    -------
    >>> classify_key("k_ref_T_K", {"k": "thermal_conductivity", "k_ref_T": "temperature"})
    ('k_ref_T', 'K')
    """
    best = None
    for base in bases:
        if key == base:
            hit = (base, "")
        elif key.startswith(base + "_"):
            hit = (base, key[len(base) + 1 :])
        else:
            continue
        if best is None or len(base) > len(best[0]):
            best = hit
    return best


def _dimension(dimension: str) -> dict[str, Unit]:
    try:
        return DIMENSIONS[dimension]
    except KeyError:
        raise ValueError(f"unknown dimension {dimension!r}; known: {sorted(DIMENSIONS)}") from None


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key
