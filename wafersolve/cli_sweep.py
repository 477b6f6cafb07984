"""The ``sweep`` command of the command line (design-space sweeps on Dask distributed).

``wafersolve sweep CASE --vary KEY=SPEC [--vary ...]`` (or ``--table variants.csv``) solves
every variant as a task on a ``LocalCluster`` it starts (2 workers x 1 thread) or on the
scheduler given by ``--scheduler``, shows a progress bar on stderr, and writes the variants'
folders, the result table (``sweep.csv``, ``sweep.parquet``), ``failed.csv`` and plots into
OUTDIR. Rerunning the same command resumes: finished variants are not solved again.

Handlers return exit codes and raise :mod:`wafersolve.errors` exceptions; :func:`cli.main`
maps those to messages. Dask, pyarrow and matplotlib are imported only when the command runs.

Example
-------
>>> from wafersolve.cli import main
>>> main(["sweep", "cases/small.toml", "--vary", "cooling.flow_lpm=40:160:4"])   # doctest: +SKIP
0
"""

from __future__ import annotations

import sys
from pathlib import Path

EXIT_OK, EXIT_INTERRUPTED = 0, 130
EXIT_CODES = ("Exit codes: 0 every variant ran (some may have failed: see the summary and "
              "failed.csv), 2 a bad case, --vary spec or --table, 4 export error, 130 "
              "interrupted (finished variants are kept: run the same command again to resume), "
              "1 unexpected error (also a scheduler that cannot be reached). See docs/sweeps.md.")


def add_commands(sub, common) -> None:
    """Register ``sweep`` on the argparse subparsers ``sub``.

    Example
    -------
    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="wafersolve")
    >>> add_commands(parser.add_subparsers(), argparse.ArgumentParser(add_help=False))
    >>> args = parser.parse_args(["sweep", "c.toml", "--vary", "cooling.flow_lpm=40:160:7"])
    >>> args.command, args.vary
    ('sweep', ['cooling.flow_lpm=40:160:7'])
    """
    sweep = sub.add_parser(
        "sweep",
        parents=[common],
        help="solve many variants of a case on Dask (a local cluster or --scheduler)",
        description="Solve variants of CASE as 'wafersolve run' does, each as a task on Dask "
        "distributed: a LocalCluster started for the sweep (2 workers x 1 thread by default) or "
        "an existing scheduler (--scheduler). Keys address the case file as written, unit "
        "suffix included (cooling.flow_lpm, power.total_kW); layers by name "
        "(stack.tim.thickness_um), likewise mechanics.interfaces.<layer>.<key> and "
        "io.phys.<name>.<key>. Several --vary give their cartesian product. Writes "
        "OUTDIR/variants/<id>/ per variant, sweep.csv and sweep.parquet (the varied keys and "
        "every scalar of summary.json, one row per variant), failed.csv and plots/. A variant "
        "that fails is reported with its error and does not stop the sweep; rerunning the same "
        "command skips the variants already finished.",
        epilog=EXIT_CODES,
    )
    sweep.add_argument("case", metavar="CASE", help="the base case file (.toml)")
    sweep.add_argument("--vary", action="append", default=[], metavar="KEY=SPEC",
                       help="a varied key: KEY=a:b:n (n evenly spaced values from a to b "
                       "inclusive) or KEY=v1,v2,... (numbers or strings); repeat for more keys "
                       "(cartesian product)")
    sweep.add_argument("--table", metavar="VARIANTS.csv",
                       help="the variants as a CSV table instead: a header of keys, one row "
                       "per variant (an empty cell keeps the case's value)")
    sweep.add_argument("-o", "--output", metavar="OUTDIR",
                       help="sweep folder (default: results/sweeps/<case name>)")
    sweep.add_argument("--scheduler", metavar="ADDR",
                       help="run on this Dask scheduler (tcp://HOST:PORT) instead of a local "
                       "cluster; OUTDIR must be on a file system the workers share")
    sweep.add_argument("--workers", type=_positive_int, default=None, metavar="N",
                       help="workers of the local cluster, 1 thread each (default 2)")
    sweep.add_argument("--metrics", metavar="M1,M2",
                       help="summary metrics to plot against each varied key (default: T_max_K, "
                       "coolant_rise_K and, when present, coldplate_dp_Pa, "
                       "mech_layer_wafer_sigma_1_max_Pa)")
    sweep.add_argument("--pareto", metavar="M1,M2",
                       help="two metrics for the Pareto view, each optionally :min or :max "
                       "(default: by the metric's direction; T_max_K against the pump power "
                       "or the coolant flow when not given)")
    sweep.add_argument("--no-mechanics", dest="mechanics", action="store_false",
                       help="skip the thermo-mechanics even if the case has a [mechanics] "
                       "section")
    sweep.add_argument("-q", "--quiet", action="store_true",
                       help="no progress bar or messages on stderr")
    sweep.set_defaults(command="sweep", handler=_cmd_sweep)


def _positive_int(text: str) -> int:
    import argparse

    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a whole number of workers >= 1")
    return value


def _cmd_sweep(args) -> int:
    from . import sweep
    from . import sweep_output as out
    from .cli import _Progress
    from .errors import CaseError

    progress = _Progress(args.quiet)
    if args.vary and args.table:
        raise CaseError("--table", None, detail="give either --vary specs or a --table, not both")
    if not args.vary and not args.table:
        raise CaseError("--vary", None, detail="nothing to vary: give --vary KEY=SPEC (for "
                        "example cooling.flow_lpm=40:160:7) or --table variants.csv")
    metrics = out.parse_metrics(args.metrics)
    pareto = out.parse_pareto(args.pareto) if args.pareto else None
    if args.table:
        variants, source = sweep.read_variant_table(args.table), args.table
    else:
        source = "--vary"
        variants = sweep.product_variants([sweep.parse_vary(s) for s in args.vary])
    if args.scheduler and args.workers is not None:
        print("wafersolve: warning: --workers applies to the local cluster only; the workers "
              f"of {args.scheduler} are the ones started there", file=sys.stderr, flush=True)
    plan = sweep.plan_sweep(args.case, variants, outdir=args.output, mechanics=args.mechanics,
                            source=source)
    progress(f"sweep of {plan.case_name!r}: {len(plan.variants)} variants of "
             f"{', '.join(plan.keys)} into {plan.outdir}")

    bar = _Bar(len(plan.variants), quiet=args.quiet)
    try:
        result = sweep.run_sweep(plan, scheduler=args.scheduler,
                                 n_workers=2 if args.workers is None else args.workers,
                                 progress=lambda m: (bar.clear(), progress(m)),
                                 on_variant=bar)
    finally:
        bar.close()
    for text in result.warnings:
        print(f"wafersolve: warning: {text}", file=sys.stderr, flush=True)

    tables = out.write_tables(result)
    chosen = metrics or out.default_metrics(result)
    plots = out.plot_metrics(result, chosen, plan.outdir / "plots")
    pair = pareto or out.default_pareto(result)
    pareto_path = None
    if pair is not None:
        name = f"pareto__{out.safe_name(pair[0][0])}__{out.safe_name(pair[1][0])}.png"
        pareto_path = out.plot_pareto(result, pair, plan.outdir / "plots" / name)
    asked = [*(metrics or ()), *([m for m, _ in pareto] if pareto else [])]
    for text in out.unknown_metrics(result, asked):
        print(f"wafersolve: warning: {text}", file=sys.stderr, flush=True)

    print(format_sweep(result, tables, plots, pareto_path, pair, chosen), flush=True)
    if result.interrupted:
        c = result.counts()
        print(f"wafersolve: interrupted: {c['not run']} of {len(plan.variants)} variants not "
              "run; the finished ones are kept: run the same command again to resume",
              file=sys.stderr, flush=True)
        return EXIT_INTERRUPTED
    return EXIT_OK


def format_sweep(result, tables, plots, pareto_path, pair, metrics) -> str:
    """The summary ``wafersolve sweep`` prints: counts, where it ran, files, failures, ranges.

    Example
    -------
    >>> print(format_sweep(result, tables, plots, None, None, ["T_max_K"]))   # doctest: +SKIP
    wafersolve sweep: small, 4 variants of cooling.flow_lpm
    ...
    """
    from .sweep_output import pareto_variants

    plan, c = result.plan, result.counts()
    n = len(plan.variants)
    values = {k: len({repr(dict(v.overrides).get(k)) for v in plan.variants}) for k in plan.keys}
    shape = " x ".join(f"{k} ({values[k]})" for k in plan.keys)
    ran = len(result.solved)
    rate = f", {ran / result.wall_time_s * 60:.1f} variants per minute" if ran and \
        result.wall_time_s > 0 else ""
    verdict = ("all ran" if not c["not run"] else f"{c['not run']} not run (interrupted)")
    if c["failed"]:
        verdict += f"; {c['failed']} FAILED (see failed.csv)"
    rows = [f"wafersolve sweep: {plan.case_name}, {n} variants of {shape}",
            _row("variants", f"{c['ok']} solved, {c['resumed']} already done, {c['failed']} "
                             f"failed, {c['not run']} not run: {verdict}"),
            _row("ran on", f"{result.runner} in {result.wall_time_s:.1f} s{rate}" if ran else
                 "nothing to solve: every variant had finished before"),
            _row("table", f"{tables['csv']} and {tables['parquet'].name} ({n} rows)")]
    if c["failed"]:
        rows.append(_row("failed", str(tables["failed"])))
        for o in result.failed[:10]:
            label = ", ".join(f"{k}={v}" for k, v in o.overrides)
            rows.append(_row("", f"{o.variant_id}  {label}: {o.error_type}: {o.error}"[:400]))
        if len(result.failed) > 10:
            rows.append(_row("", f"... and {len(result.failed) - 10} more"))
    ok = [o for o in result.outcomes if o.status == "ok"]
    for m in metrics:
        pts = [(o.metrics[m], o) for o in ok if isinstance(o.metrics.get(m), int | float)]
        if pts:
            lo, hi = min(pts, key=lambda t: t[0]), max(pts, key=lambda t: t[0])
            rows.append(_row(m, f"{lo[0]:.6g} ({_label(lo[1])}) .. {hi[0]:.6g} "
                                f"({_label(hi[1])})"))
    if plots:
        rows.append(_row("plots", f"{len(plots)} in {Path(plots[0]).parent}"))
    if pareto_path is not None:
        pts, front = pareto_variants(result, pair)
        rows.append(_row("pareto", f"{pareto_path.name}: {sum(front)} of {len(pts)} variants "
                                   f"non-dominated in {pair[0][0]} ({pair[0][1]}) and "
                                   f"{pair[1][0]} ({pair[1][1]}); list in "
                                   f"{pareto_path.with_suffix('.csv').name}"))
    rows.append(_row("folders", str(plan.outdir / "variants")))
    return "\n".join(rows)


def _label(o) -> str:
    return ", ".join(f"{k.rsplit('.', 1)[-1]}={v}" for k, v in o.overrides)


def _row(label: str, text: str) -> str:
    return f"  {label:<16} {text}"


class _Bar:
    """A text progress bar on stderr: redrawn in place on a terminal, a line per variant
    otherwise; a failed variant's error is printed as it comes."""

    WIDTH = 30

    def __init__(self, total: int, *, quiet: bool):
        self.total, self.quiet = total, quiet
        self.tty = sys.stderr.isatty()
        self.shown = False

    def __call__(self, p) -> None:
        if self.quiet:
            return
        if p.last is not None and p.last.status != "ok":
            self.clear()
            label = ", ".join(f"{k}={v}" for k, v in p.last.overrides)
            print(f"wafersolve: variant {p.last.variant_id} ({label}) failed: "
                  f"{p.last.error_type}: {p.last.error}", file=sys.stderr, flush=True)
        finished = p.done + p.failed + p.resumed
        filled = int(self.WIDTH * finished / max(self.total, 1))
        bar = "#" * filled + "." * (self.WIDTH - filled)
        text = (f"[{bar}] {finished}/{self.total}: {p.done} done, {p.failed} failed, "
                f"{p.resumed} resumed, {p.remaining} remaining, {p.elapsed_s:.1f} s")
        if self.tty:
            print("\r" + text, end="", file=sys.stderr, flush=True)
            self.shown = True
        elif p.last is not None or finished == 0:
            print(text, file=sys.stderr, flush=True)

    def clear(self) -> None:
        """Erase the bar (a terminal) before another line is printed; it is redrawn next."""
        if self.shown:
            print("\r\x1b[K", end="", file=sys.stderr, flush=True)
            self.shown = False

    def close(self) -> None:
        """End the bar's line, leaving the last state shown."""
        if self.shown:
            print(file=sys.stderr, flush=True)
            self.shown = False
