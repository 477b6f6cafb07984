"""The results of a sweep: its table (CSV and Parquet), ``failed.csv`` and plots.

One row per variant of the plan: ``variant_id``, ``status`` (``ok``, ``failed`` or ``not run``
for a sweep interrupted before it), ``resumed``, the varied keys as the case file spells them
(``cooling.flow_lpm``), every scalar of the variant's ``summary.json`` (SI, unit in the key),
then ``task_wall_time_s``, ``worker``, ``folder``, ``error_type`` and ``error``. The Parquet file
stores the varied keys in its schema metadata (``wafersolve:parameters``). Plots are matplotlib
figures of their own (no pyplot, no global style): each chosen metric against each varied key,
one line per combination of the other keys, and a Pareto view of two metrics with the
non-dominated front marked.

Example
-------
>>> pareto_front([1.0, 2.0, 3.0, 2.5], [3.0, 1.0, 0.5, 2.0])
[True, True, True, False]
>>> paths = write_tables(result)                                    # doctest: +SKIP
>>> sorted(p.name for p in paths.values())                          # doctest: +SKIP
['failed.csv', 'sweep.csv', 'sweep.parquet']
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from pathlib import Path

from .errors import CaseError, ExportError
from .sweep import SweepResult, VariantOutcome
from .sweep_spec import safe_name

HEAD = ("variant_id", "status", "resumed")
TAIL = ("task_wall_time_s", "worker", "folder", "error_type", "error")
DEFAULT_METRICS = ("T_max_K", "coolant_rise_K", "coldplate_dp_Pa",
                   "mech_layer_wafer_sigma_1_max_Pa")
PARETO_CHOICES = (("T_max_K", "coldplate_pump_power_W"), ("T_max_K", "coolant_flow_m3_per_s"))
SENSES = ("min", "max")


# -- the table ----------------------------------------------------------------------------------
def table_rows(result: SweepResult) -> tuple[list[str], list[dict]]:
    """The column names and one row (a dict) per variant of the plan, in plan order.

    Example
    -------
    >>> columns, rows = table_rows(result)                               # doctest: +SKIP
    >>> columns[:4], rows[0]["status"]                                   # doctest: +SKIP
    (['variant_id', 'status', 'resumed', 'cooling.flow_lpm'], 'ok')
    """
    plan = result.plan
    done = {o.variant_id: o for o in result.outcomes}
    keys = list(plan.keys)
    metric_keys = sorted({k for o in result.outcomes for k in o.metrics} - set(keys))
    rows = []
    for v in plan.variants:
        o = done.get(v.id)
        params = dict(v.overrides)
        row: dict = {"variant_id": v.id, "status": "not run" if o is None else o.status,
                     "resumed": None if o is None else o.resumed}
        row.update({k: params.get(k) for k in keys})
        row.update({k: (o.metrics.get(k) if o is not None else None) for k in metric_keys})
        row.update({"task_wall_time_s": o.wall_time_s if o else None,
                    "worker": o.worker if o else None,
                    "folder": o.folder if o else str(v.folder(plan.outdir).resolve()),
                    "error_type": o.error_type if o else None, "error": o.error if o else None})
        rows.append(row)
    return [*HEAD, *keys, *metric_keys, *TAIL], rows


def write_tables(result: SweepResult, outdir=None) -> dict[str, Path]:
    """Write ``sweep.csv``, ``sweep.parquet`` and ``failed.csv`` into the sweep folder.

    Each file is written atomically; ``failed.csv`` holds the failed variants (a header only
    when none failed). Raises :class:`~wafersolve.errors.ExportError`.

    Example
    -------
    >>> write_tables(result)["csv"].name                                 # doctest: +SKIP
    'sweep.csv'
    """
    outdir = Path(outdir) if outdir is not None else result.plan.outdir
    columns, rows = table_rows(result)
    keys = list(result.plan.keys)
    failed_cols = ["variant_id", *keys, "error_type", "error", "folder"]
    failed = [r for r in rows if r["status"] == "failed"]
    return {"csv": _write_csv(outdir / "sweep.csv", columns, rows),
            "parquet": _write_parquet(outdir / "sweep.parquet", columns, rows, result),
            "failed": _write_csv(outdir / "failed.csv", failed_cols, failed)}


def _write_csv(path: Path, columns: Sequence[str], rows: Sequence[dict]) -> Path:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for r in rows:
        writer.writerow(["" if r.get(c) is None else _cell(r[c]) for c in columns])
    return _write_text(path, buf.getvalue())


def _cell(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return repr(v) if isinstance(v, float) else str(v)


def _write_text(path: Path, text: str) -> Path:
    from .export import _atomic

    path.parent.mkdir(parents=True, exist_ok=True)
    with _atomic(path) as tmp:
        with open(tmp, "x", encoding="utf-8") as fh:
            fh.write(text)
    return path


def _write_parquet(path: Path, columns, rows, result: SweepResult) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from .export import _atomic

    arrays = [_arrow_column([r.get(c) for r in rows]) for c in columns]
    meta = {"wafersolve:parameters": json.dumps(list(result.plan.keys)),
            "wafersolve:case": result.plan.case_label,
            "wafersolve:note": "one row per variant; metrics in SI, unit in each column name"}
    table = pa.Table.from_arrays(arrays, names=list(columns)).replace_schema_metadata(meta)
    with _atomic(path) as tmp:
        try:
            pq.write_table(table, tmp)
        except (pa.ArrowException, OSError) as exc:
            raise ExportError(f"{path}: cannot write the Parquet table: {exc}") from exc
    return path


def _arrow_column(values: list):
    import pyarrow as pa

    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return pa.array(values, type=pa.bool_())
    if present and all(_number(v) for v in present):
        kind = pa.int64() if all(isinstance(v, int) for v in present) else pa.float64()
        return pa.array(values, type=kind)
    return pa.array([None if v is None else _cell(v) for v in values], type=pa.string())


def _number(v) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


# -- choosing metrics ---------------------------------------------------------------------------
def parse_metrics(text: str | None) -> tuple[str, ...] | None:
    """``m1,m2`` -> ``("m1", "m2")``; None for None.

    Example
    -------
    >>> parse_metrics("T_max_K, coolant_rise_K")
    ('T_max_K', 'coolant_rise_K')
    """
    if text is None:
        return None
    names = tuple(t.strip() for t in text.split(",") if t.strip())
    if not names:
        raise CaseError("--metrics", None, text, "metric names m1,m2,... of summary.json")
    return names


def parse_pareto(text: str) -> tuple[tuple[str, str], tuple[str, str]]:
    """``m1,m2`` (each optionally ``:min`` or ``:max``) -> ``((m1, sense), (m2, sense))``.

    Without a sense, the direction of :func:`wafersolve.regress.direction_of` decides (higher
    is better: max), else min.

    Example
    -------
    >>> parse_pareto("T_max_K,check_wafer_sigma_1_margin")
    (('T_max_K', 'min'), ('check_wafer_sigma_1_margin', 'max'))
    >>> parse_pareto("T_max_K,coolant_flow_m3_per_s:max")[1]
    ('coolant_flow_m3_per_s', 'max')
    """
    from .regress import direction_of

    parts = [p.strip() for p in str(text).split(",")]
    if len(parts) != 2 or not all(parts):
        raise CaseError("--pareto", None, text, "two metrics m1,m2 (each optionally :min or :max)")
    out = []
    for p in parts:
        name, _, sense = p.partition(":")
        sense = sense.strip() or ("max" if direction_of(name.strip()) == "higher" else "min")
        if sense not in SENSES:
            raise CaseError("--pareto", None, text, f"{p!r}: a sense min or max after the colon")
        out.append((name.strip(), sense))
    return out[0], out[1]


def default_metrics(result: SweepResult) -> tuple[str, ...]:
    """The metrics plotted when none are chosen: those of :data:`DEFAULT_METRICS` the results
    have."""
    have = {k for o in result.outcomes for k in o.metrics}
    return tuple(m for m in DEFAULT_METRICS if m in have)


def default_pareto(result: SweepResult):
    """The Pareto pair drawn when none is chosen (hottest point against pump power or flow)."""
    have = {k for o in result.outcomes for k in o.metrics}
    for pair in PARETO_CHOICES:
        if all(m in have for m in pair):
            return parse_pareto(",".join(pair))
    return None


def unknown_metrics(result: SweepResult, metrics: Sequence[str]) -> list[str]:
    """Messages for chosen metrics that no finished variant has (with the closest names)."""
    import difflib

    have = sorted({k for o in result.outcomes for k, v in o.metrics.items() if _number(v)})
    out = []
    for m in metrics:
        if m not in have and have:
            close = difflib.get_close_matches(m, have, n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            out.append(f"no numeric metric {m!r} in the results{hint}")
    return out


# -- plots --------------------------------------------------------------------------------------
def plot_metrics(result: SweepResult, metrics: Sequence[str], folder) -> list[Path]:
    """One PNG per metric and varied key: ``folder/<metric>__<key>.png``.

    Each figure plots the metric against the key, one line per combination of the other keys
    (labelled when there are at most 8). Metrics that no finished variant has are skipped.

    Example
    -------
    >>> [p.name for p in plot_metrics(result, ["T_max_K"], "plots")]      # doctest: +SKIP
    ['T_max_K__cooling.flow_lpm.png']
    """
    folder = Path(folder)
    ok = [o for o in result.outcomes if o.status == "ok"]
    keys = list(result.plan.keys)
    paths = []
    for m in metrics:
        points = [o for o in ok if _number(o.metrics.get(m))]
        if not points:
            continue
        for key in keys:
            fig = _figure()
            ax = fig.subplots()
            xs_all = [dict(o.overrides).get(key) for o in points]
            numeric = all(_number(x) for x in xs_all if x is not None)
            cats = list(dict.fromkeys(x for x in xs_all))
            others = [k for k in keys if k != key]
            groups: dict[tuple, list] = {}
            for o in points:
                p = dict(o.overrides)
                groups.setdefault(tuple(p.get(k) for k in others), []).append(
                    (p.get(key), float(o.metrics[m])))
            for combo, pts in groups.items():
                pts = [(x, y) for x, y in pts if x is not None]
                pts.sort(key=lambda t: t[0] if numeric else cats.index(t[0]))
                x = [p[0] if numeric else cats.index(p[0]) for p in pts]
                label = ", ".join(f"{k.rsplit('.', 1)[-1]}={_fmt(v)}"
                                  for k, v in zip(others, combo, strict=True)) or None
                ax.plot(x, [p[1] for p in pts], marker="o", label=label)
            if not numeric:
                ax.set_xticks(range(len(cats)), [_fmt(c) for c in cats])
            n_failed = sum(o.status != "ok" for o in result.outcomes)
            note = f" ({n_failed} failed variants not shown)" if n_failed else ""
            ax.set_title(f"{m} against {key}{note}", fontsize=10)
            ax.set_xlabel(key)
            ax.set_ylabel(m)
            ax.grid(True, alpha=0.3)
            if others and 1 < len(groups) <= 8:
                ax.legend(fontsize=8)
            paths.append(_save(fig, folder / f"{safe_name(m)}__{safe_name(key)}.png"))
    return paths


def pareto_front(a: Sequence[float], b: Sequence[float]) -> list[bool]:
    """Which points ``(a[i], b[i])`` are not dominated, both to be minimized.

    A point is dominated when another is no worse in both and better in one. O(n log n).

    Example
    -------
    >>> pareto_front([1, 1, 2], [2, 3, 1])
    [True, False, True]
    """
    order = sorted(range(len(a)), key=lambda i: (a[i], b[i]))
    front = [False] * len(a)
    best_b, last = math.inf, None
    for i in order:
        if b[i] < best_b or (last is not None and (a[i], b[i]) == last):
            front[i] = True
            best_b, last = b[i], (a[i], b[i])
    return front


def pareto_variants(result: SweepResult, pair) -> tuple[list[VariantOutcome], list[bool]]:
    """The finished variants having both metrics of ``pair`` and which are on the front."""
    (m1, s1), (m2, s2) = pair
    pts = [o for o in result.outcomes if o.status == "ok"
           and _number(o.metrics.get(m1)) and _number(o.metrics.get(m2))]
    sign = {"min": 1.0, "max": -1.0}
    a = [sign[s1] * float(o.metrics[m1]) for o in pts]
    b = [sign[s2] * float(o.metrics[m2]) for o in pts]
    return pts, pareto_front(a, b)


def plot_pareto(result: SweepResult, pair, path) -> Path | None:
    """The Pareto view of two metrics: every finished variant, the front marked and labelled
    (at most 12 labels). Also writes the front as CSV beside it (same name, ``.csv``). None if
    no variant has both metrics.

    Example
    -------
    >>> pair = parse_pareto("T_max_K,coolant_flow_m3_per_s")
    >>> plot_pareto(result, pair, "pareto.png")                          # doctest: +SKIP
    PosixPath('pareto.png')
    """
    (m1, s1), (m2, s2) = pair
    pts, front = pareto_variants(result, pair)
    if not pts:
        return None
    path = Path(path)
    fig = _figure()
    ax = fig.subplots()
    x = [float(o.metrics[m1]) for o in pts]
    y = [float(o.metrics[m2]) for o in pts]
    ax.scatter(x, y, color="0.6", s=18, label="variants")
    on = sorted((i for i, f in enumerate(front) if f), key=lambda i: x[i])
    ax.plot([x[i] for i in on], [y[i] for i in on], color="tab:red", marker="o",
            drawstyle="steps-post" if s1 == s2 else "default", label="non-dominated front")
    if len(on) <= 12:
        for i in on:
            text = ", ".join(f"{k.rsplit('.', 1)[-1]}={_fmt(v)}" for k, v in pts[i].overrides)
            ax.annotate(text, (x[i], y[i]), fontsize=7, xytext=(4, 4),
                        textcoords="offset points")
    better = {"min": "lower is better", "max": "higher is better"}
    ax.set_xlabel(f"{m1} ({better[s1]})")
    ax.set_ylabel(f"{m2} ({better[s2]})")
    ax.set_title(f"Pareto view: {len(on)} of {len(pts)} variants non-dominated", fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    _save(fig, path)
    keys = list(result.plan.keys)
    rows = [{"variant_id": pts[i].variant_id, **dict(pts[i].overrides), m1: x[i], m2: y[i]}
            for i in on]
    _write_csv(path.with_suffix(".csv"), ["variant_id", *keys, m1, m2], rows)
    return path


def _figure():
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.5, 4.8), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _save(fig, path: Path) -> Path:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    from .export import _atomic

    path.parent.mkdir(parents=True, exist_ok=True)
    with _atomic(path) as tmp:
        tmp.write_bytes(buf.getvalue())
    return path


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)
