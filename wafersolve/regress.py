"""Design regression: golden metrics of a solved case, compared against a fresh run.

A *baseline* is a small JSON file of the SI scalars of a result's ``summary.json``, each with
its own tolerances (defaults by key pattern: :func:`default_tolerance`), optionally with an
``.npz`` of selected wafer maps from ``wafer.vti`` compared by their largest absolute
difference. :func:`compare` checks a fresh summary against it and returns a frozen
:class:`Comparison` that lists every metric: baseline, new value, change, relative change,
tolerance, better or worse (:data:`DIRECTIONS`) and whether it is a regression. Baselines are
written only by :func:`update_baseline` (``wafersolve regress --update``), which reports what
changed. :func:`diff_results` writes the difference field of two result folders.
The baseline file format lives in :mod:`wafersolve.regress_baseline` and the difference field
in :mod:`wafersolve.regress_diff`; both are re-exported here, the one place to import from.

Example
-------
>>> summary = {"T_max_K": 350.0, "check_wafer_sigma_1_margin": 0.5, "solver_wall_time_s": 1.2}
>>> base = make_baseline(summary, case="demo")
>>> result = compare(dict(summary, T_max_K=351.0, solver_wall_time_s=3.4), base)
>>> result.regressed, [m.key for m in result.regressions]
(True, ['T_max_K'])
>>> result.metric("T_max_K").status
'worse'
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import ExportError
from .regress_baseline import (  # noqa: F401  (re-exported: the public API of design regression)
    BASELINE_FORMAT,
    DIRECTION_NAMES,
    DIRECTIONS,
    Baseline,
    Metric,
    Tolerance,
    _baseline_text,
    _is_number,
    _peak,
    _tol_entry,
    baseline_path,
    default_tolerance,
    direction_of,
    make_baseline,
    read_baseline,
    write_baseline,
)
from .regress_diff import FieldDiff, ResultDiff, diff_results, read_summary_of  # noqa: F401

DEFAULT_FIELDS = re.compile(r"^T_max_K$|^q_coldplate_W_per_m2$|^sigma_1_max_.+_Pa$|^w_.+_m$")
REGRESSING = ("worse", "changed", "missing")
STATUS_ORDER = ("worse", "changed", "missing", "better", "added", "info", "same")


# -- comparison ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class MetricChange:
    """One metric of a comparison. ``status``: ``same`` (within tolerance), ``better``,
    ``worse``, ``changed`` (beyond tolerance, no known direction), ``missing`` (not in the new
    result), ``added`` (not in the baseline) or ``info`` (a diagnostic that moved)."""

    key: str
    baseline: object
    new: object
    change: float | None
    relative_change: float | None
    tolerance: Tolerance
    direction: str | None
    status: str
    regression: bool


@dataclass(frozen=True)
class FieldChange:
    """One golden map: the largest ``|new - baseline|`` over its cells and where it is."""

    key: str
    max_abs_change: float | None
    allowed: float
    tolerance: Tolerance
    at_m: tuple[float, float] | None
    status: str
    regression: bool
    note: str = ""


@dataclass(frozen=True, eq=False)
class Comparison:
    """Every metric (and golden map) of a fresh result against a baseline.

    Example
    -------
    >>> b = make_baseline({"T_max_K": 350.0, "grid_nx": 64, "solver_iterations": 28}, case="demo")
    >>> c = compare({"T_max_K": 350.0, "grid_nx": 64, "solver_iterations": 29}, b)
    >>> c.counts(), c.metric("solver_iterations").change, c.regressed
    ({'same': 2, 'info': 1}, 1.0, False)
    >>> c.verdict()
    'no regression: 3 compared; 1 info'
    >>> c.to_dict()["metrics"][0]["key"]
    'T_max_K'
    """

    case: str
    baseline: str
    metrics: tuple[MetricChange, ...]
    fields: tuple[FieldChange, ...] = ()
    strict: bool = False
    case_file: str | None = None

    @property
    def regressions(self) -> tuple:
        """The metrics and fields that regressed."""
        return tuple(m for m in (*self.metrics, *self.fields) if m.regression)

    @property
    def regressed(self) -> bool:
        """True if any metric or field regressed."""
        return bool(self.regressions)

    def metric(self, key: str) -> MetricChange:
        """The entry of metric ``key``; KeyError if it was not compared."""
        for m in self.metrics:
            if m.key == key:
                return m
        raise KeyError(key)

    def counts(self) -> dict[str, int]:
        """How many entries have each status."""
        out: dict[str, int] = {}
        for m in (*self.metrics, *self.fields):
            out[m.status] = out.get(m.status, 0) + 1
        return out

    def verdict(self) -> str:
        """One line: regression or not, and how many entries moved which way."""
        c = self.counts()
        moved = ", ".join(f"{c[s]} {s}" for s in ("worse", "changed", "missing", "better",
                                                   "added", "info") if c.get(s))
        n = len(self.metrics) + len(self.fields)
        head = (f"REGRESSION ({len(self.regressions)} regressed)" if self.regressed
                else "no regression")
        return f"{head}: {n} compared" + (f"; {moved}" if moved else ", all within tolerance")

    def format_table(self, *, everything: bool = False, only=None) -> str:
        """The table of what changed (every entry with ``everything``), verdict line first.

        Example
        -------
        >>> b = make_baseline({"T_max_K": 350.0, "power_W": 1e3}, case="demo")
        >>> print(compare({"T_max_K": 352.5, "power_W": 1e3}, b).format_table())
        demo against <memory>: REGRESSION (1 regressed): 2 compared; 1 worse
          metric        baseline            new      change  rel.change  tolerance  verdict
          T_max_K            350          352.5        +2.5     +0.714%      ±0.01  worse
        """
        rows = [f"{self.case} against {self.baseline}: {self.verdict()}"]
        shown = [m for m in (*self.metrics, *self.fields)
                 if (everything or m.status != "same") and (only is None or m in only)]
        if not shown:
            return rows[0]
        shown.sort(key=lambda m: STATUS_ORDER.index(m.status))  # stable: alphabetical within
        width = max(len(m.key) for m in shown) + (6 if self.fields else 0)
        rows.append(f"  {'metric':<{width}}  {'baseline':>13}  {'new':>13}  {'change':>10}  "
                    f"{'rel.change':>10}  {'tolerance':>9}  verdict")
        for m in shown:
            if isinstance(m, FieldChange):
                change = "-" if m.max_abs_change is None else f"{m.max_abs_change:.4g}"
                where = "" if m.at_m is None else (f" at x = {m.at_m[0] * 1e3:.1f} mm, "
                                                   f"y = {m.at_m[1] * 1e3:.1f} mm")
                text = f"max |change| {change}{where}" + (f" ({m.note})" if m.note else "")
                rows.append(f"  {'field ' + m.key:<{width}}  {text:<52}  "
                            f"{_fmt_tol(m.tolerance, m.allowed):>9}  {m.status}")
                continue
            rel = "-" if m.relative_change is None else f"{m.relative_change * 100:+.3g}%"
            change = "-" if m.change is None else f"{m.change:+.4g}"
            rows.append(f"  {m.key:<{width}}  {_fmt(m.baseline):>13}  {_fmt(m.new):>13}  "
                        f"{change:>10}  {rel:>10}  {m.tolerance.describe(m.baseline):>9}  "
                        f"{m.status}")
        return "\n".join(rows)

    def failure_message(self, hint: str | None = None) -> str:
        """The text of a failed design assertion: what regressed, by how much, how to accept it.

        Example
        -------
        >>> b = make_baseline({"T_max_K": 350.0}, case="demo")
        >>> print(compare({"T_max_K": 352.5}, b).failure_message())
        design 'demo' regressed against <memory>: 1 of 1 metrics
        regressed: T_max_K (worse)
          metric        baseline            new      change  rel.change  tolerance  verdict
          T_max_K            350          352.5        +2.5     +0.714%      ±0.01  worse
        """
        names = ", ".join(f"{m.key} ({m.status})" for m in self.regressions)
        others = tuple(m for m in (*self.metrics, *self.fields) if m.status == "better")
        table = self.format_table(only=self.regressions + others).split("\n", 1)
        text = [f"design {self.case!r} regressed against {self.baseline}: "
                f"{len(self.regressions)} of {len(self.metrics) + len(self.fields)} metrics",
                f"regressed: {names}", *table[1:]]
        if hint is None and self.case_file:
            hint = (f"wafersolve regress {self.case_file} --baseline "
                    f"{Path(self.baseline).parent.as_posix()} --update")
        if hint:
            text.append(f"if the change is intended, review it and update the baseline: {hint}")
        return "\n".join(text)

    def to_dict(self) -> dict:
        """A JSON-ready dict of the comparison (written as ``comparison.json``)."""
        def entry(m):
            d = {k: v for k, v in vars(m).items() if k != "tolerance"}
            d["tolerance"] = _tol_entry(m.tolerance)
            return d

        return {"case": self.case, "baseline": self.baseline, "regressed": self.regressed,
                "verdict": self.verdict(), "strict": self.strict,
                "metrics": [entry(m) for m in self.metrics],
                "fields": [entry(f) for f in self.fields]}


def compare(summary, baseline: Baseline, *, fields: Mapping[str, np.ndarray] | None = None,
            grid=None, strict: bool = False) -> Comparison:
    """Compare a fresh ``summary`` (dict, or path of a ``summary.json``) with ``baseline``.

    A metric regresses when it is worse, changed beyond tolerance without a known direction, or
    missing; with ``strict``, also when it is better (the baseline is stale). Keys the baseline
    does not have are listed as ``added``. ``fields`` (name -> map) and ``grid`` (x, y edges)
    are the new result's maps for the baseline's golden fields.

    Example
    -------
    >>> b = make_baseline({"T_max_K": 350.0, "check_x_margin": 0.2}, case="demo")
    >>> c = compare({"T_max_K": 350.004, "check_x_margin": 0.3}, b)
    >>> [(m.key, m.status) for m in c.metrics], c.regressed
    ([('T_max_K', 'same'), ('check_x_margin', 'better')], False)
    """
    from .export import read_summary

    if not isinstance(summary, Mapping):
        summary = read_summary(summary)
    changes = []
    if baseline.case and summary.get("case") not in (None, baseline.case):
        changes.append(_change(Metric("case", baseline.case, Tolerance(mode="exact")),
                               summary["case"], strict))
    for key, metric in baseline.metrics.items():
        changes.append(_change(metric, summary.get(key), strict))
    for key in sorted(set(summary) - set(baseline.metrics)):
        if default_tolerance(key, summary[key]) is not None:
            changes.append(MetricChange(key, None, summary[key], None, None,
                                        default_tolerance(key, summary[key]), direction_of(key),
                                        "added", False))
    field_changes = tuple(_field_change(n, t, baseline, fields, grid)
                          for n, t in baseline.fields.items())
    label = str(baseline.path) if baseline.path is not None else "<memory>"
    return Comparison(baseline.case or str(summary.get("case", "")), label, tuple(changes),
                      field_changes, strict, baseline.case_file)


def compare_result(folder, baseline: Baseline, *, strict: bool = False) -> Comparison:
    """Compare the result folder ``folder`` (``summary.json``, and ``wafer.vti`` when the
    baseline has fields) with ``baseline``.

    Example
    -------
    >>> c = compare_result("results/small", read_baseline("baselines/small.json"))  # doctest: +SKIP
    >>> c.regressed                                                                # doctest: +SKIP
    False
    """
    folder = Path(folder)
    fields = grid = None
    if baseline.fields:
        from .export import read_vtk

        maps = read_vtk(folder / "wafer.vti")
        fields, grid = maps.cell_data, (maps.x_edges_m, maps.y_edges_m)
    return compare(folder / "summary.json", baseline, fields=fields, grid=grid, strict=strict)


def write_comparison(comparison: Comparison, path) -> Path:
    """Write ``comparison.to_dict()`` as JSON to ``path``, atomically.

    Example
    -------
    >>> write_comparison(c, "results/regress/small/comparison.json")    # doctest: +SKIP
    PosixPath('results/regress/small/comparison.json')
    """
    from .export import _write_json

    return _write_json(comparison.to_dict(), Path(path))


def _change(metric: Metric, new, strict: bool) -> MetricChange:
    base, tol = metric.value, metric.tolerance
    if new is None:
        return MetricChange(metric.key, base, None, None, None, tol, metric.direction,
                            "missing", True)
    change = rel = None
    if _is_number(base) and _is_number(new):
        change = float(new) - float(base)
        rel = change / abs(float(base)) if base != 0 else None
        moved = change != 0 if tol.mode != "tolerance" else abs(change) > tol.allowed(base)
    else:
        moved = not (type(new) is type(base) and new == base)
    if not moved:
        status = "same"
    elif tol.mode == "info":
        status = "info"
    else:
        status = _verdict(metric.direction, base, new)
    regression = status in REGRESSING or (strict and status == "better")
    return MetricChange(metric.key, base, new, change, rel, tol, metric.direction, status,
                        regression)


def _verdict(direction: str | None, base, new) -> str:
    if direction == "true" and isinstance(base, bool) and isinstance(new, bool):
        return "better" if new else "worse"
    if not (_is_number(base) and _is_number(new)) or direction not in DIRECTION_NAMES[:3]:
        return "changed"
    a, b = float(base), float(new)
    if direction == "smaller_magnitude":
        a, b = abs(a), abs(b)
    if a == b:
        return "changed"
    return "better" if (b < a) == (direction != "higher") else "worse"


def _field_change(name, tol: Tolerance, baseline: Baseline, fields, grid) -> FieldChange:
    ref = np.asarray(baseline.field_values[name])
    allowed = tol.allowed(_peak(ref))

    def fail(note):
        return FieldChange(name, None, allowed, tol, None, "missing" if "no " in note
                           else "changed", True, note)

    if fields is None or name not in fields:
        return fail("no such array in the new result")
    new = np.asarray(fields[name])
    if new.shape != ref.shape:
        return fail(f"grid {ref.shape[1]} x {ref.shape[0]} -> {new.shape[1]} x {new.shape[0]}")
    if baseline.grid is not None and grid is not None and not all(
            np.allclose(g0, g1, rtol=1e-9, atol=0) for g0, g1 in zip(baseline.grid, grid,
                                                                      strict=True)):
        return fail("the cell edges differ")
    diff = new.astype(np.float64) - ref.astype(np.float64)
    if (np.isnan(ref) != np.isnan(new)).any():
        return fail("NaN in different cells")
    diff = np.where(np.isnan(diff), 0.0, np.abs(diff))
    j, i = np.unravel_index(int(np.argmax(diff)), diff.shape)
    at = None
    if grid is not None:
        x, y = (np.asarray(g, dtype=np.float64) for g in grid)
        at = (float(0.5 * (x[i] + x[i + 1])), float(0.5 * (y[j] + y[j + 1])))
    worst = float(diff[j, i])
    moved = worst > allowed if tol.mode == "tolerance" else worst > 0
    status = "same" if not moved else ("info" if tol.mode == "info" else "changed")
    return FieldChange(name, worst, allowed, tol, at, status, status == "changed")


# -- updating -----------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class BaselineUpdate:
    """What :func:`update_baseline` did: the new baseline, its diff against the old one
    (None if there was none) and whether the file was (re)written."""

    path: Path
    baseline: Baseline
    comparison: Comparison | None
    written: bool

    def format(self, *, everything: bool = False) -> str:
        """A report: new, unchanged, or updated with the table of what changed."""
        n = len(self.baseline.metrics)
        fields = f" and {len(self.baseline.fields)} fields" if self.baseline.fields else ""
        if self.comparison is None:
            return f"{self.path}: new baseline of {n} metrics{fields}"
        if not self.written:
            return f"{self.path}: unchanged ({n} metrics{fields})"
        return (f"{self.path}: updated ({n} metrics{fields}); changes against the old baseline:"
                f"\n{self.comparison.format_table(everything=everything)}")


def update_baseline(folder, path, *, case_file=None, fields: bool | Iterable[str] = False
                    ) -> BaselineUpdate:
    """Write the baseline at ``path`` from the result folder ``folder``, showing the diff.

    Tolerances (and fields) of an existing baseline are kept; ``fields=True`` adds the default
    golden maps (:data:`DEFAULT_FIELDS`) and a list of names adds those ``wafer.vti`` arrays.
    The file is not rewritten when nothing in it would change.

    Example
    -------
    >>> update_baseline("results/small", "baselines/small.json",
    ...                 case_file="cases/small.toml").format()                   # doctest: +SKIP
    'baselines/small.json: unchanged (231 metrics)'
    """
    from .export import read_summary

    folder, path = Path(folder), Path(path)
    previous = read_baseline(path) if path.exists() else None
    summary = read_summary(folder / "summary.json")
    names = set(previous.fields) if previous is not None else set()
    maps = grid = None
    if fields or names:
        from .export import read_vtk

        vti = read_vtk(folder / "wafer.vti")
        maps, grid = vti.cell_data, (vti.x_edges_m, vti.y_edges_m)
        if fields is True:
            names |= {n for n in maps if DEFAULT_FIELDS.search(n)}
        elif fields:
            names |= set(fields)
        missing = sorted(names - set(maps))
        if missing:
            raise ExportError(f"{folder / 'wafer.vti'}: no array {missing[0]!r}: expected one "
                              f"of {', '.join(maps)}")
    chosen = {n: maps[n] for n in sorted(names)} if maps is not None else None
    new = make_baseline(summary, case_file=case_file or (previous and previous.case_file),
                        fields=chosen, grid=grid, previous=previous)
    comparison, written = None, True
    if previous is not None:
        comparison = compare(summary, previous, fields=maps, grid=grid)
        same_fields = set(new.fields) == set(previous.fields) and all(
            np.array_equal(new.field_values[n], previous.field_values[n], equal_nan=True)
            for n in new.fields)
        written = not (same_fields and _baseline_text(new, "") == _baseline_text(previous, ""))
    if written:
        write_baseline(new, path)
    return BaselineUpdate(path, new, comparison, written)



# -- running a case -----------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class DesignRun:
    """A case solved and written like ``wafersolve run`` does: where, and its warnings."""

    case: object
    folder: Path
    paths: Mapping[str, Path]
    warnings: tuple[str, ...] = ()


def run_design(case, folder, *, grid=None, mechanics: bool = True,
               progress: Callable[[str], None] | None = None) -> DesignRun:
    """Solve ``case`` (a Case or a case file) as ``wafersolve run`` does (thermal, mechanics if
    the case has it, the design checks) and write the result files into ``folder``.

    Example
    -------
    >>> run = run_design("cases/small.toml", "results/regress/small")     # doctest: +SKIP
    >>> sorted(run.paths)                                                  # doctest: +SKIP
    ['case', 'mechanics_vtr', 'summary', 'vti', 'vtr']
    """
    from .case.load import load_case
    from .case.model import Case
    from .checks import run_checks
    from .export import write_results
    from .grid import build_grid
    from .thermal import solve_thermal

    say = progress or (lambda _msg: None)
    if not isinstance(case, Case):
        case = load_case(case)
    grid = grid if grid is not None else build_grid(case)
    say(f"solving {case.name!r}: the steady temperature field")
    thermal = solve_thermal(case, grid, progress=lambda m: say("  " + m))
    mech = None
    if case.mechanics is not None and mechanics:
        from .mechanics import solve_mechanics

        say(f"solving {case.name!r}: the thermo-mechanics")
        mech = solve_mechanics(case, grid, thermal.T_K, progress=lambda m: say("  " + m))
    checks = run_checks(case, thermal=thermal)
    say(f"writing the results of {case.name!r} to {folder}")
    paths = write_results(thermal, folder, mechanics=mech, extra_summary=checks.summary())
    return DesignRun(case, Path(folder), paths, tuple(mech.warnings) if mech else ())



# -- helpers ---------------------------------------------------------------------------------------
def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.7g}"
    text = str(value)
    return text if len(text) <= 12 else text[:11] + "…"


def _fmt_tol(tol: Tolerance, allowed: float) -> str:
    return tol.mode if tol.mode != "tolerance" else f"±{allowed:.3g}"
