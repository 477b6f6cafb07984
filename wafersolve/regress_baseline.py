"""Baselines of design regression: what is stored, how tightly, and which way is better.

A baseline is a small JSON file of the SI scalars of a result's ``summary.json``, each with its
own tolerances (defaults by key pattern: :func:`default_tolerance`) and, where a rule of
:data:`DIRECTIONS` knows it, which way is better; optionally with an ``.npz`` of selected wafer
maps (``<stem>.fields.npz``). This module reads, checks and writes them;
:mod:`wafersolve.regress` compares results against them. The format is described in
``docs/regression.md``.

Example
-------
>>> b = make_baseline({"T_max_K": 350.0, "grid_nx": 64, "solver_wall_time_s": 0.4}, case="demo")
>>> {k: m.tolerance.describe(m.value) for k, m in b.metrics.items()}
{'T_max_K': '±0.01', 'grid_nx': 'exact'}
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import ExportError

BASELINE_FORMAT = "wafersolve-baseline/1"
NOTE = ("Golden metrics written by `wafersolve regress --update`. Tolerances may be edited by "
        "hand (kept by --update); values change only through --update and a reviewed diff.")
IGNORED = re.compile(r"_wall_time_s$|^wafersolve_version$|^units_note$|^case$")
INFORMATIONAL = re.compile(
    r"^solver_|iterations|_relative_residual$|_rigid_load_relative$|^energy_balance_relative$")
NOT_TEMPERATURE = ("_per_K", "_per_m_K", "_per_m2_K", "_per_kg_K")

# Which way is better, first match wins: "lower", "higher", "smaller_magnitude" (closer to zero),
# "true" (True is better) or "" (no direction: any change beyond tolerance is "changed").
DIRECTIONS: tuple[tuple[str, str], ...] = (
    (r"_passed$", "true"),
    (r"_margin(_|$)", "higher"),
    (r"^check_.+_(allowed|limit|value)(_|$)", ""),
    (r"^check_.+_actual(_|$)", "smaller_magnitude"),
    (r"(^|_)T_(max|mean|min)_K$|^tile_T_max_(max|min)_K$|hotspot_T_K$|(^|_)rise_K$", "lower"),
    (r"_(sigma_1_max|von_mises_max)_Pa$", "lower"),
    (r"_sigma_2_min_Pa$", "smaller_magnitude"),
    (r"_(bow|u_inplane_max|displacement_max)_m$|_shear_strain_max$", "lower"),
    (r"_(w|gap_change)_(min|max)_m$", "smaller_magnitude"),
    (r"^mech_warnings$|^q_coldplate_peak_W_per_m2$|^coldplate_(dp\w*_Pa|\w*power_W)$", "lower"),
    (r"^coldplate_h_eff_W_per_m2_K$", "higher"),
    (r"^io_(area_|sweep_\w+?_per_edge_)?(usable|bandwidth_\w+|density_(edge|area)_\w+)$",
     "higher"),
    (r"^io_(area_|sweep_\w+?_per_edge_)?(stranded\w*|hop_(mean|max)|unreachable_cores)$",
     "lower"),
    (r"^io_density_.+_wafer_GB_per_s_per_mm$", "higher"),
    (r"^io_density_.+_ratio$", "lower"),  # GPU density over the wafer's: lower is closer
    (r"^energy_balance_relative$|_relative_residual$|_rigid_load_relative$|_change_K$",
     "smaller_magnitude"),
    (r"iterations$|^solver_linear_solves$", "lower"),
)
_DIRECTIONS = tuple((re.compile(p), d) for p, d in DIRECTIONS)
DIRECTION_NAMES = ("lower", "higher", "smaller_magnitude", "true")



# -- tolerances and directions ------------------------------------------------------------------
@dataclass(frozen=True)
class Tolerance:
    """How far a metric may move: ``|new - baseline| <= max(abs_tol, rel_tol * |baseline|)``.

    ``mode`` is ``"tolerance"`` (that test), ``"exact"`` (any change counts: counts, booleans,
    names) or ``"info"`` (solver diagnostics: shown when they change, never a regression).
    """

    rel_tol: float = 0.0
    abs_tol: float = 0.0
    mode: str = "tolerance"

    def allowed(self, baseline) -> float:
        """The largest change allowed from ``baseline``.

        Example
        -------
        >>> Tolerance(rel_tol=1e-3, abs_tol=1.0).allowed(-5e6)
        5000.0
        """
        if self.mode != "tolerance" or not _is_number(baseline):
            return 0.0
        return max(self.abs_tol, self.rel_tol * abs(float(baseline)))

    def describe(self, baseline=None) -> str:
        """Short text for tables: ``±0.01``, ``±0.1%``, ``exact`` or ``info``.

        Example
        -------
        >>> Tolerance(rel_tol=1e-3, abs_tol=1.0).describe(5e6), Tolerance(abs_tol=0.01).describe()
        ('±0.1%', '±0.01')
        """
        if self.mode != "tolerance":
            return self.mode
        if self.rel_tol > 0 and (baseline is None or self.allowed(baseline) > self.abs_tol):
            return f"±{self.rel_tol * 100:.3g}%"
        return f"±{self.abs_tol:.3g}"


def default_tolerance(key: str, value) -> Tolerance | None:
    """The default tolerance of summary key ``key`` holding ``value``; None = not compared.

    Temperatures (``_K``) abs 0.01 K; stresses (``_Pa``) rel 1e-3 (abs 1 Pa); lengths (``_m``)
    rel 1e-3 (abs 1 nm); other floats rel 1e-4 (abs 1e-12); counts, booleans and names exact;
    solver diagnostics (``solver_*``, ``*iterations*``, residuals, energy balance) informational;
    wall times, the version, texts and lists ignored.

    Example
    -------
    >>> default_tolerance("T_max_K", 360.0)
    Tolerance(rel_tol=0.0, abs_tol=0.01, mode='tolerance')
    >>> default_tolerance("grid_nx", 64).mode, default_tolerance("mech_iterations", 29).mode
    ('exact', 'info')
    >>> default_tolerance("solver_wall_time_s", 0.4) is None
    True
    """
    if IGNORED.search(key) or value is None or isinstance(value, (list, tuple, dict)):
        return None
    if INFORMATIONAL.search(key):
        return Tolerance(mode="info")
    if isinstance(value, (bool, str, int, np.integer, np.bool_)):
        return Tolerance(mode="exact")
    if key.endswith("_K") and not key.endswith(NOT_TEMPERATURE):
        return Tolerance(abs_tol=0.01)
    if key.endswith("_Pa"):
        return Tolerance(rel_tol=1e-3, abs_tol=1.0)
    if key.endswith("_m") and not key.endswith("_per_m"):
        return Tolerance(rel_tol=1e-3, abs_tol=1e-9)
    return Tolerance(rel_tol=1e-4, abs_tol=1e-12)


def direction_of(key: str) -> str | None:
    """Which way is better for ``key`` (see :data:`DIRECTIONS`); None if no direction is known.

    Example
    -------
    >>> direction_of("T_max_K"), direction_of("check_wafer_sigma_1_margin"), direction_of("power_W")
    ('lower', 'higher', None)
    """
    for pattern, direction in _DIRECTIONS:
        if pattern.search(key):
            return direction or None
    return None


# -- baselines ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Metric:
    """One golden scalar: its value, tolerance and which way is better."""

    key: str
    value: object
    tolerance: Tolerance
    direction: str | None = None


@dataclass(frozen=True, eq=False)
class Baseline:
    """The golden metrics of one case, and optionally golden wafer maps (``fields``).

    ``fields`` maps a ``wafer.vti`` array name to its tolerance (relative to the largest
    absolute value of the baseline map); ``field_values`` holds those maps and ``grid`` the
    (x, y) cell edges they live on.
    """

    case: str
    metrics: Mapping[str, Metric]
    fields: Mapping[str, Tolerance] = field(default_factory=dict)
    field_values: Mapping[str, np.ndarray] = field(default_factory=dict)
    grid: tuple[np.ndarray, np.ndarray] | None = None
    case_file: str | None = None
    path: Path | None = None
    wafersolve_version: str = ""


def baseline_path(folder, case_name: str) -> Path:
    """Where the baseline of case ``case_name`` lives in ``folder``.

    Example
    -------
    >>> baseline_path("baselines", "wse3").as_posix()
    'baselines/wse3.json'
    """
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in case_name.strip()).strip(".")
    return Path(folder) / f"{safe or 'case'}.json"


def make_baseline(summary: Mapping, *, case: str | None = None, case_file=None,
                  fields: Mapping[str, np.ndarray] | None = None, grid=None,
                  previous: Baseline | None = None) -> Baseline:
    """A baseline of the scalars of ``summary`` (a ``summary.json`` dict) with default tolerances.

    Tolerances and directions of keys already in ``previous`` are kept (hand edits survive an
    update). ``fields`` (name -> 2D map) and ``grid`` (x, y cell edges) add golden maps.

    Example
    -------
    >>> b = make_baseline({"T_max_K": 350.0, "io_usable": 24, "units_note": "SI"}, case="demo")
    >>> sorted(b.metrics), b.metrics["io_usable"].tolerance.mode
    (['T_max_K', 'io_usable'], 'exact')
    """
    from . import __version__

    old = previous.metrics if previous is not None else {}
    metrics = {}
    for key, value in sorted(summary.items()):
        value = value.item() if isinstance(value, np.generic) else value
        tol = default_tolerance(key, value)
        if tol is None:
            continue
        kept = old.get(key)
        metrics[key] = Metric(key, value, kept.tolerance if kept else tol,
                              kept.direction if kept else direction_of(key))
    field_tols = {}
    for name, arr in (fields or {}).items():
        kept = previous.fields.get(name) if previous is not None else None
        field_tols[name] = kept or default_tolerance(name, _peak(arr)) or Tolerance(mode="exact")
    name = case if case is not None else str(summary.get("case", ""))
    return Baseline(name, metrics, field_tols, dict(fields or {}), grid,
                    None if case_file is None else Path(case_file).as_posix(),
                    wafersolve_version=__version__)


def read_baseline(path) -> Baseline:
    """Read and check a baseline file (and its ``.npz`` of fields); ExportError naming the file.

    Example
    -------
    >>> read_baseline("baselines/small.json").metrics["grid_nx"].value
    64
    """
    from .export import read_summary

    path = Path(path)
    if not path.is_file():
        raise ExportError(f"{path}: no such baseline file (write it with: wafersolve regress CASE "
                          f"--baseline {path.parent.as_posix()} --update)")
    data = read_summary(path)
    if not isinstance(data, dict) or data.get("format") != BASELINE_FORMAT:
        got = data.get("format") if isinstance(data, dict) else type(data).__name__
        raise ExportError(f"{path}: format = {got!r}: expected {BASELINE_FORMAT!r} (a baseline "
                          "written by wafersolve regress --update)")
    raw = data.get("metrics")
    if not isinstance(raw, dict):
        raise ExportError(f"{path}: metrics: expected an object of metric entries")
    metrics = {k: _read_metric(path, k, v) for k, v in raw.items()}
    fields, values, grid = {}, {}, None
    if data.get("fields"):
        if not isinstance(data["fields"], dict):
            raise ExportError(f"{path}: fields: expected an object of field tolerances")
        fields = {k: _read_metric(path, k, dict(v, value=0.0) if isinstance(v, dict) else v,
                                  "fields").tolerance for k, v in data["fields"].items()}
        values, grid = _read_fields(path, data.get("fields_file"), fields)
    return Baseline(str(data.get("case", "")), metrics, fields, values, grid,
                    data.get("case_file"), path, str(data.get("wafersolve_version", "")))


def write_baseline(baseline: Baseline, path) -> Path:
    """Write ``baseline`` to ``path`` (JSON, one metric a line; fields to ``<stem>.fields.npz``).

    Example
    -------
    >>> write_baseline(make_baseline({"T_max_K": 350.0}, case="demo"), "b/demo.json")  # doctest: +SKIP
    PosixPath('b/demo.json')
    """
    from .export import _atomic

    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"{path.parent}: cannot create the baseline folder: {exc}") from exc
    npz = path.with_name(f"{path.stem}.fields.npz")
    if baseline.fields:
        arrays = {n: np.asarray(baseline.field_values[n]) for n in baseline.fields}
        if baseline.grid is not None:
            arrays.update(_x_edges_m=baseline.grid[0], _y_edges_m=baseline.grid[1])
        with _atomic(npz) as tmp:
            np.savez_compressed(tmp, **arrays)
    text = _baseline_text(baseline, npz.name if baseline.fields else None)
    with _atomic(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


def _baseline_text(b: Baseline, fields_file: str | None) -> str:
    head = {"format": BASELINE_FORMAT, "case": b.case, "case_file": b.case_file,
            "wafersolve_version": b.wafersolve_version, "note": NOTE}
    parts = [f"  {_j(k)}: {_j(v)}" for k, v in head.items()]
    if b.fields:
        parts.append(f'  "fields_file": {_j(fields_file)}')
        parts.append(_block("fields", {n: _tol_entry(t) for n, t in b.fields.items()}))
    parts.append(_block("metrics", {k: _metric_entry(m) for k, m in b.metrics.items()}))
    return "{\n" + ",\n".join(parts) + "\n}\n"


def _block(name: str, entries: dict) -> str:
    lines = ",\n".join(f"    {_j(k)}: {_j(v)}" for k, v in entries.items())
    return f"  {_j(name)}: {{\n{lines}\n  }}" if entries else f"  {_j(name)}: {{}}"


def _j(value) -> str:
    try:
        return json.dumps(value, allow_nan=False, ensure_ascii=False)
    except ValueError as exc:
        raise ExportError(f"baseline value {value!r}: expected a finite number") from exc


def _tol_entry(t: Tolerance) -> dict:
    return {t.mode: True} if t.mode != "tolerance" else {"rel_tol": t.rel_tol,
                                                          "abs_tol": t.abs_tol}


def _metric_entry(m: Metric) -> dict:
    entry = {"value": m.value, **_tol_entry(m.tolerance)}
    if m.direction != direction_of(m.key):
        entry["direction"] = m.direction
    return entry


def _read_metric(path: Path, key: str, entry, section: str = "metrics") -> Metric:
    where = f"{path}: {section}.{key}"
    if not isinstance(entry, dict) or "value" not in entry:
        raise ExportError(f"{where} = {entry!r}: expected an object with a value and tolerances")
    unknown = set(entry) - {"value", "rel_tol", "abs_tol", "exact", "info", "direction"}
    if unknown:
        raise ExportError(f"{where}.{sorted(unknown)[0]}: unknown key: expected value, rel_tol, "
                          "abs_tol, exact, info or direction")
    value = entry["value"]
    if not isinstance(value, (bool, int, float, str)):
        raise ExportError(f"{where}.value = {value!r}: expected a number, true/false or a text")
    tols = {}
    for name in ("rel_tol", "abs_tol"):
        t = entry.get(name, 0.0)
        if isinstance(t, bool) or not isinstance(t, (int, float)) or not t >= 0:
            raise ExportError(f"{where}.{name} = {t!r}: expected a number >= 0")
        tols[name] = float(t)
    modes = [m for m in ("exact", "info") if entry.get(m) is True]
    if len(modes) > 1:
        raise ExportError(f"{where}: both exact and info: expected at most one")
    direction = entry.get("direction", direction_of(key))
    if direction is not None and direction not in DIRECTION_NAMES:
        raise ExportError(f"{where}.direction = {direction!r}: expected one of "
                          f"{', '.join(DIRECTION_NAMES)} or null")
    return Metric(key, value, Tolerance(**tols, mode=modes[0] if modes else "tolerance"),
                  direction)


def _read_fields(path: Path, name, fields: Mapping) -> tuple[dict, tuple | None]:
    if not isinstance(name, str) or not name:
        raise ExportError(f"{path}: fields_file = {name!r}: expected the name of the .npz file")
    npz = path.parent / name
    try:
        with np.load(npz, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except FileNotFoundError:
        raise ExportError(f"{npz}: no such file (the fields of baseline {path})") from None
    except Exception as exc:  # zipfile / numpy raise assorted types for damaged files
        raise ExportError(f"{npz}: cannot read the baseline fields: {exc}") from exc
    missing = [n for n in fields if n not in arrays]
    if missing:
        raise ExportError(f"{npz}: no array {missing[0]!r}, which {path} lists in fields")
    grid = None
    if "_x_edges_m" in arrays and "_y_edges_m" in arrays:
        grid = (arrays["_x_edges_m"], arrays["_y_edges_m"])
    return {n: arrays[n] for n in fields}, grid



def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _peak(arr) -> float:
    arr = np.asarray(arr, dtype=np.float64)
    finite = arr[np.isfinite(arr)]
    return float(np.abs(finite).max()) if finite.size else 0.0
