"""Design-space sweeps: many variants of one case, each solved as a task on Dask distributed.

A *variant* is the base case file with a few keys overridden, addressed the way the case file
spells them, unit suffix included (``cooling.flow_lpm``, ``power.total_kW``); layers, interfaces
and PHY macros are addressed by name (``stack.tim.thickness_um`` is the ``[[stack.layers]]``
entry named ``tim``; ``mechanics.interfaces.connector.shear_modulus_MPa``;
``io.phys.north_link.lanes``). :func:`parse_vary` reads ``KEY=a:b:n`` (n evenly spaced values
from a to b inclusive) and ``KEY=v1,v2,...`` specs; :func:`product_variants` forms their
cartesian product and :func:`read_variant_table` reads a CSV of variants instead. Overrides are
applied to the parsed TOML document before validation (:func:`apply_overrides`), so a bad
combination is an ordinary :class:`~wafersolve.errors.CaseError` of that variant.

:func:`plan_sweep` checks the keys against the case (a misspelled key fails at once, before any
solve) and :func:`run_sweep` runs the variants not already finished: on a ``LocalCluster`` it
starts itself (2 workers x 1 thread by default), on an existing scheduler, or serially in this
process. Each task (:func:`solve_variant`) solves as ``wafersolve run`` does
(:func:`wafersolve.regress.run_design`), writes the variant's folder under a temporary name with
its record ``variant.json`` last and renames it into place, so a folder either is complete or
is not there. A failing variant returns its error instead of raising. A rerun skips the
variants whose folder holds a finished record of the same case text and overrides, which makes
a sweep resumable after Ctrl-C, a killed worker or a crash. The result tables and plots are
written by :mod:`wafersolve.sweep_output`.

Dask is imported only inside the functions that start or use a cluster.

Example
-------
>>> vary = [parse_vary("cooling.flow_lpm=40:160:4"), parse_vary("stack.tim.thickness_um=25,50")]
>>> vary[0].values
(40, 80, 120, 160)
>>> variants = product_variants(vary)
>>> len(variants), variants[1].label()
(8, 'cooling.flow_lpm=40, stack.tim.thickness_um=50')
>>> plan = plan_sweep("cases/small.toml", variants, outdir="results/sweeps/small")  # doctest: +SKIP
>>> result = run_sweep(plan)                     # a LocalCluster of 2 workers   # doctest: +SKIP
>>> result.counts()                                                             # doctest: +SKIP
{'ok': 8, 'failed': 0, 'resumed': 0, 'not run': 0}
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import secrets
import shutil
import socket
import time
import tomllib
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .errors import CaseError, ExportError, WafersolveError
from .sweep_cluster import (  # noqa: F401  (re-exported: the public API of sweeps)
    LOCAL_HTTP_ADDRESS,
    WORKER_THREAD_ENV,
    _connect,
    _describe,
    _one_line,
    check_workers,
    local_cluster,
    worker_config,
)
from .sweep_spec import (  # noqa: F401  (re-exported: the public API of sweeps)
    VARIANTS_DIR,
    Variant,
    Vary,
    apply_overrides,
    load_variant,
    parse_vary,
    product_variants,
    read_variant_table,
    resolve_key,
    safe_name,
    variant_id,
)

RECORD = "variant.json"
RECORD_FORMAT = "wafersolve-sweep-variant/1"
#: Summary keys left out of the sweep table (a constant text, not a metric).
NOT_METRICS = frozenset({"units_note"})


# -- the plan -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class SweepPlan:
    """A sweep ready to run: the base case (its text and where it is), the variants, where the
    results go, and whether the mechanics are solved."""

    case_label: str
    case_text: str
    base_dir: str
    case_name: str
    variants: tuple[Variant, ...]
    outdir: Path
    mechanics: bool = True

    @property
    def keys(self) -> tuple[str, ...]:
        """The varied keys, in order of first appearance."""
        return tuple(dict.fromkeys(k for v in self.variants for k, _ in v.overrides))

    @property
    def case_sha256(self) -> str:
        """The hash of the case text: a finished variant of other case text is rerun."""
        return hashlib.sha256(self.case_text.encode("utf-8")).hexdigest()


def plan_sweep(case, variants: Sequence[Variant], *, outdir=None, mechanics: bool = True,
               source: str = "--vary") -> SweepPlan:
    """Check the base ``case`` file and that every varied key addresses a key of it.

    Each key is tried alone on the case with its first value: a key that addresses nothing or
    that the case format does not know is a :class:`CaseError` now, before any solve (a bad
    *value* is an error of that variant only, reported when it runs). ``source`` names where
    the keys come from in messages: ``--vary``, or the path of a variant table. ``outdir``
    defaults to ``results/sweeps/<case name>``.

    Example
    -------
    >>> plan = plan_sweep("cases/small.toml", product_variants([parse_vary("cooling.flow_lmp=9")]),
    ...                   outdir="results/sweeps/small")
    Traceback (most recent call last):
    ...
    wafersolve.errors.CaseError: --vary cooling.flow_lmp: cases/small.toml: cooling.flow_lmp = 9: unknown unit suffix 'lmp', expected one of flow_lpm, flow_m3_per_s
    """
    from .case.load import build_case, load_case_text

    label = str(case)
    path = Path(case)
    if not path.is_file():
        raise CaseError(label, None, detail="case file not found" if not path.exists()
                        else "is a folder: expected a case file (.toml)")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CaseError(label, None, detail=f"cannot read the case file: {exc}") from None
    base_dir = str(path.resolve().parent)
    base = load_case_text(text, label, base_dir=base_dir)  # the case itself must be valid
    variants = tuple(variants)
    if not variants:
        raise CaseError(label, None, detail="no variants to run: give --vary KEY=SPEC or --table")
    doc = tomllib.loads(text)
    first: dict[str, object] = {}
    for v in variants:
        for k, value in v.overrides:
            first.setdefault(k, value)
    for key, value in first.items():
        trial = apply_overrides(doc, [(key, value)], source=source)
        field_path = resolve_key(copy.deepcopy(doc), key, source=source)[2]
        try:
            build_case(trial, path=label, base_dir=Path(base_dir))
        except CaseError as exc:
            bad = exc.field or ""
            if (exc.detail.startswith("unknown") and
                    (field_path == bad or field_path.startswith(bad + "."))):
                where = f"--vary {key}" if source == "--vary" else f"{source}: column {key}"
                raise CaseError(where, None, detail=str(exc)) from None
    if outdir is None:
        outdir = Path("results") / "sweeps" / safe_name(base.name)
    return SweepPlan(label, text, base_dir, base.name, variants, Path(outdir), mechanics)


# -- one variant (the task) ---------------------------------------------------------------------
@dataclass(frozen=True)
class VariantTask:
    """Everything a worker needs to solve one variant (sent to it with the task)."""

    case_label: str
    case_text: str
    base_dir: str
    case_sha256: str
    overrides: tuple[tuple[str, object], ...]
    folder: str
    mechanics: bool = True

    @property
    def variant_id(self) -> str:
        return variant_id(self.overrides)


@dataclass(frozen=True)
class VariantOutcome:
    """How one variant ended: ``status`` ``"ok"`` (with its scalar ``metrics``) or
    ``"failed"`` (with ``error_type`` and ``error``); ``resumed`` if it was finished before."""

    variant_id: str
    overrides: tuple[tuple[str, object], ...]
    status: str
    folder: str
    metrics: Mapping[str, object] = field(default_factory=dict)
    error: str = ""
    error_type: str = ""
    wall_time_s: float = 0.0
    worker: str = ""
    resumed: bool = False


def solve_variant(task: VariantTask) -> VariantOutcome:
    """Solve one variant and write its folder; never raises for a problem of the variant.

    The folder is written under a temporary name beside its final one, ending with the record
    ``variant.json``, then renamed into place (a previous, unfinished folder is replaced). A
    failure (CaseError, SolverError, ConvergenceError, ExportError or any other exception) is
    recorded with its message, in the outcome and in the folder's record.

    Example
    -------
    >>> from pathlib import Path
    >>> import tempfile
    >>> task = VariantTask("cases/small.toml", Path("cases/small.toml").read_text(), "cases",
    ...                    "", (("stack.tim.thickness_um", -5),), tempfile.mkdtemp() + "/v1")
    >>> out = solve_variant(task)
    >>> out.status, out.error
    ('failed', 'cases/small.toml: stack.layers[3].thickness_um = -5: expected a number > 0')
    """
    from .regress import run_design

    t0 = time.perf_counter()
    final = Path(task.folder)
    tmp = final.with_name(f".tmp-{final.name}-{os.getpid()}-{secrets.token_hex(3)}")
    worker = f"{socket.gethostname()}:{os.getpid()}"
    metrics, error, etype, tb = {}, "", "", ""
    try:
        case = load_variant(task.case_text, task.overrides, path_label=task.case_label,
                            base_dir=task.base_dir, source_path=task.case_label)
        tmp.mkdir(parents=True)
        run = run_design(case, tmp, mechanics=task.mechanics)
        metrics = scalar_metrics(_read_json(run.paths["summary"]))
    except Exception as exc:  # a failing variant is a result of the sweep, not its end
        error, etype = _one_line(exc), type(exc).__name__
        tb = "" if isinstance(exc, WafersolveError) else traceback.format_exc()
    status = "failed" if etype else "ok"
    record = {"format": RECORD_FORMAT, "variant_id": task.variant_id, "status": status,
              "overrides": dict(task.overrides), "case": task.case_label,
              "case_sha256": task.case_sha256, "mechanics": task.mechanics,
              "wall_time_s": time.perf_counter() - t0, "worker": worker,
              "error_type": etype, "error": error, "traceback": tb, "metrics": metrics}
    try:
        from .export import _write_json

        tmp.mkdir(parents=True, exist_ok=True)
        _write_json(record, tmp / RECORD)  # last: its presence marks a complete folder
        _publish(tmp, final)
    except Exception as exc:  # the results could not be kept: that is the variant's error
        shutil.rmtree(tmp, ignore_errors=True)
        status, metrics = "failed", {}
        etype = etype or type(exc).__name__
        error = "; ".join(e for e in (error, f"{final}: cannot write the result folder: "
                                      f"{_one_line(exc)}") if e)
    return VariantOutcome(task.variant_id, tuple(task.overrides), status, str(final), metrics,
                          error, etype, time.perf_counter() - t0, worker)


def scalar_metrics(summary: Mapping) -> dict[str, object]:
    """The scalars of a ``summary.json`` (numbers, booleans, texts), sorted by key.

    Example
    -------
    >>> scalar_metrics({"T_max_K": 350.0, "solver_residual_history": [1e-3], "case": "small"})
    {'T_max_K': 350.0, 'case': 'small'}
    """
    return {k: summary[k] for k in sorted(summary) if k not in NOT_METRICS
            and isinstance(summary[k], bool | int | float | str)}


def finished_outcome(plan: SweepPlan, variant: Variant) -> VariantOutcome | None:
    """The outcome of ``variant`` if its folder holds a finished record of this plan (same case
    text, overrides and mechanics setting, status ok), else None: it has to run.

    Example
    -------
    >>> finished_outcome(plan, plan.variants[0]) is None      # not run yet   # doctest: +SKIP
    True
    """
    folder = variant.folder(plan.outdir)
    try:
        rec = json.loads((folder / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    same = (isinstance(rec, dict) and rec.get("format") == RECORD_FORMAT
            and rec.get("status") == "ok" and rec.get("case_sha256") == plan.case_sha256
            and rec.get("mechanics") == plan.mechanics
            and rec.get("overrides") == dict(variant.overrides)
            and isinstance(rec.get("metrics"), dict))
    if not same:
        return None
    return VariantOutcome(variant.id, variant.overrides, "ok", str(folder.resolve()),
                          rec["metrics"], wall_time_s=float(rec.get("wall_time_s") or 0.0),
                          worker=str(rec.get("worker", "")), resumed=True)


def _publish(tmp: Path, final: Path) -> None:
    """Rename the finished folder ``tmp`` to ``final``, replacing an unfinished one."""
    if final.exists():
        old = final.with_name(f".old-{final.name}-{os.getpid()}-{secrets.token_hex(3)}")
        os.replace(final, old)
        os.replace(tmp, final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, final)


def _read_json(path) -> dict:
    from .export import read_summary

    return read_summary(path)


# -- running ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SweepProgress:
    """Counts after each finished variant, for a progress bar."""

    total: int
    done: int
    failed: int
    resumed: int
    elapsed_s: float
    last: VariantOutcome | None = None

    @property
    def remaining(self) -> int:
        return self.total - self.done - self.failed - self.resumed


@dataclass(frozen=True, eq=False)
class SweepResult:
    """The outcome of every variant that ended (in plan order), how the sweep ran, and whether
    it was interrupted (the variants without an outcome did not run)."""

    plan: SweepPlan
    outcomes: tuple[VariantOutcome, ...]
    interrupted: bool
    wall_time_s: float
    runner: str
    warnings: tuple[str, ...] = ()

    @property
    def failed(self) -> tuple[VariantOutcome, ...]:
        return tuple(o for o in self.outcomes if o.status != "ok")

    @property
    def solved(self) -> tuple[VariantOutcome, ...]:
        """Outcomes solved in this run (not resumed), ok or failed."""
        return tuple(o for o in self.outcomes if not o.resumed)

    def counts(self) -> dict[str, int]:
        """``ok`` (solved now), ``failed``, ``resumed`` (finished before) and ``not run``."""
        ok = sum(o.status == "ok" and not o.resumed for o in self.outcomes)
        resumed = sum(o.resumed for o in self.outcomes)
        return {"ok": ok, "failed": len(self.failed), "resumed": resumed,
                "not run": len(self.plan.variants) - len(self.outcomes)}

    def outcome(self, variant_id: str) -> VariantOutcome:
        """The outcome of one variant; KeyError if it did not run."""
        for o in self.outcomes:
            if o.variant_id == variant_id:
                return o
        raise KeyError(variant_id)


def run_sweep(plan: SweepPlan, *, client=None, scheduler: str | None = None,
              n_workers: int = 2, serial: bool = False,
              malloc_trim_threshold: int | None = None, connect_timeout_s: float = 10.0,
              progress: Callable[[str], None] | None = None,
              on_variant: Callable[[SweepProgress], None] | None = None) -> SweepResult:
    """Run every variant of ``plan`` that is not finished yet; return all their outcomes.

    Where: an existing ``client``; else the scheduler at ``scheduler`` (``tcp://host:port``);
    else a ``LocalCluster`` of ``n_workers`` x 1 thread started for this sweep (see
    :func:`local_cluster`); or ``serial=True``: one after the other in this process.
    ``progress`` gets messages, ``on_variant`` the counts after each variant. Ctrl-C
    (KeyboardInterrupt) stops the sweep: finished variants are kept, and the result says
    ``interrupted``. Stale temporary folders of killed runs are removed first.

    Example
    -------
    >>> result = run_sweep(plan, n_workers=2)                           # doctest: +SKIP
    >>> [o.status for o in result.outcomes]                             # doctest: +SKIP
    ['ok', 'ok', 'failed', 'ok']
    """
    say = progress or (lambda _m: None)
    t0 = time.perf_counter()
    root = plan.outdir / VARIANTS_DIR
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"{root}: cannot create the output folder: "
                          f"{exc.strerror or exc}") from exc
    for stale in list(root.glob(".tmp-*")) + list(root.glob(".old-*")):
        shutil.rmtree(stale, ignore_errors=True)
    outcomes: dict[str, VariantOutcome] = {}
    todo = []
    for v in plan.variants:
        done = finished_outcome(plan, v)
        if done is not None:
            outcomes[v.id] = done
        else:
            todo.append(v)
    if outcomes:
        say(f"{len(outcomes)} of {len(plan.variants)} variants already finished in "
            f"{root} (not rerun)")
    counter = _Counter(len(plan.variants), len(outcomes), t0, on_variant)
    tasks = [_task(plan, v) for v in todo]
    warnings: list[str] = []
    if serial:
        runner = "serial (this process)"
        interrupted = _run_serial(tasks, outcomes, counter)
    elif client is not None:
        runner = f"dask client {_describe(client)}"
        interrupted = _run_dask(client, tasks, outcomes, counter, say, warnings)
    elif scheduler:
        client = _connect(scheduler, connect_timeout_s)
        with client:
            runner = f"dask scheduler {scheduler} ({_describe(client)})"
            interrupted = _run_dask(client, tasks, outcomes, counter, say, warnings)
    elif tasks:
        say(f"starting a LocalCluster: {n_workers} workers x 1 thread")
        with local_cluster(n_workers, malloc_trim_threshold=malloc_trim_threshold) as client:
            runner = f"LocalCluster ({n_workers} workers x 1 thread)"
            interrupted = _run_dask(client, tasks, outcomes, counter, say, warnings)
    else:
        runner, interrupted = "nothing to run", False
    ordered = tuple(outcomes[v.id] for v in plan.variants if v.id in outcomes)
    return SweepResult(plan, ordered, interrupted, time.perf_counter() - t0, runner,
                       tuple(warnings))


class _Counter:
    def __init__(self, total, resumed, t0, callback):
        self.total, self.resumed, self.t0, self.callback = total, resumed, t0, callback
        self.done = self.failed = 0

    def __call__(self, outcome: VariantOutcome | None) -> None:
        if outcome is not None:
            if outcome.status == "ok":
                self.done += 1
            else:
                self.failed += 1
        if self.callback is not None:
            self.callback(SweepProgress(self.total, self.done, self.failed, self.resumed,
                                        time.perf_counter() - self.t0, outcome))


def _task(plan: SweepPlan, v: Variant) -> VariantTask:
    return VariantTask(plan.case_label, plan.case_text, plan.base_dir, plan.case_sha256,
                       v.overrides, str(v.folder(plan.outdir).resolve()), plan.mechanics)


def _run_serial(tasks, outcomes, counter) -> bool:
    counter(None)
    try:
        for task in tasks:
            out = solve_variant(task)
            outcomes[out.variant_id] = out
            counter(out)
    except KeyboardInterrupt:
        return True
    return False


def _run_dask(client, tasks, outcomes, counter, say, warnings) -> bool:
    from dask.distributed import as_completed

    warnings.extend(check_workers(client))
    token = secrets.token_hex(4)
    futures = {client.submit(solve_variant, t, key=f"wafersolve-variant-{t.variant_id}-{token}",
                             pure=False): t for t in tasks}
    counter(None)
    try:
        for fut in as_completed(list(futures)):
            task = futures[fut]
            try:
                out = fut.result()
            except Exception as exc:  # the task itself died: a killed worker, a pickling error
                out = VariantOutcome(task.variant_id, task.overrides, "failed", task.folder,
                                     error=_one_line(exc) or "the task failed",
                                     error_type=type(exc).__name__)
            fut.release()
            outcomes[out.variant_id] = out
            counter(out)
    except KeyboardInterrupt:
        say("interrupted: cancelling the variants not finished")
        try:
            client.cancel(list(futures), force=True)
        except Exception:  # the cluster may be going down with us
            pass
        return True
    return False
