"""The ``regress`` and ``diff`` commands of the command line (design regression).

``wafersolve regress CASES... --baseline DIR`` solves each case as ``wafersolve run`` does and
compares every scalar of its ``summary.json`` (and the golden maps, if the baseline has them)
with ``DIR/<case name>.json``; it prints what changed, by how much, better or worse, and exits
5 when anything regressed. ``--update`` writes the baselines instead, showing the diff.
``wafersolve diff RESULT_A RESULT_B`` writes the difference field B - A of two result folders.

Handlers return exit codes and raise :mod:`wafersolve.errors` exceptions; :func:`cli.main`
maps those to messages. Nothing heavy is imported until a command runs.

Example
-------
>>> from wafersolve.cli import main
>>> main(["regress", "cases/small.toml", "--baseline", "baselines"])     # doctest: +SKIP
0
"""

from __future__ import annotations

import sys
from pathlib import Path

EXIT_OK, EXIT_REGRESSION = 0, 5
EXIT_CODES = ("Exit codes: 0 no regression (or baselines written with --update), 5 a metric "
              "regressed, 2 case error, 3 solver error, 4 export error (also a missing or "
              "unreadable baseline), 1 unexpected error. See docs/regression.md.")


def add_commands(sub, common) -> None:
    """Register ``regress`` and ``diff`` on the argparse subparsers ``sub``.

    Example
    -------
    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="wafersolve")
    >>> add_commands(parser.add_subparsers(), argparse.ArgumentParser(add_help=False))
    >>> parser.parse_args(["diff", "results/a", "results/b"]).command
    'diff'
    """
    regress = sub.add_parser(
        "regress",
        parents=[common],
        help="run cases and compare their metrics with stored baselines (design regression)",
        description="Solve each CASE as 'wafersolve run' does (thermal, mechanics if the case "
        "has it, the design checks), write its results to OUTDIR/<case name>/ and compare "
        "every scalar of its summary.json with DIR/<case name>.json: each metric has its own "
        "relative and absolute tolerance, and a direction (higher temperature is worse, larger "
        "margin is better...). Prints a table of what changed, by how much, better or worse, "
        "and writes comparison.json next to the results. Timing keys are ignored and solver "
        "diagnostics (iterations, residuals) are shown but never fail. With --update, write "
        "the baselines instead (keeping their hand-edited tolerances) and show the diff.",
        epilog=EXIT_CODES,
    )
    regress.add_argument("cases", nargs="+", metavar="CASE", help="case files (.toml)")
    regress.add_argument("-b", "--baseline", required=True, metavar="DIR",
                         help="folder of the baselines, one <case name>.json per case")
    regress.add_argument("--update", action="store_true",
                         help="write the baselines from these runs (review the diff it shows "
                         "before committing them)")
    regress.add_argument("--fields", action="store_true",
                         help="with --update: also store golden wafer maps (T_max_K, "
                         "q_coldplate_W_per_m2, sigma_1_max_*_Pa, w_*_m) in "
                         "DIR/<case name>.fields.npz; they are compared whenever a baseline "
                         "has them")
    regress.add_argument("--field", dest="field_names", action="append", default=[],
                         metavar="NAME", help="with --update: store this wafer.vti array as a "
                         "golden map (repeatable)")
    regress.add_argument("-o", "--output", metavar="OUTDIR",
                         help="where the runs are written (default: results/regress)")
    regress.add_argument("--all", dest="everything", action="store_true",
                         help="list every metric, not only those that moved")
    regress.add_argument("--strict", action="store_true",
                         help="count improvements beyond tolerance as failures too (the "
                         "baseline is stale)")
    regress.add_argument("-q", "--quiet", action="store_true", help="no progress lines on stderr")
    regress.set_defaults(command="regress", handler=_cmd_regress)

    diff = sub.add_parser(
        "diff",
        parents=[common],
        help="difference field (.vti) and scalar changes of two result folders",
        description="Write B - A of every cell array common to RESULT_A/wafer.vti and "
        "RESULT_B/wafer.vti to OUT.vti (open it in ParaView or with pyvista.read), a JSON "
        "summary next to it (OUT.json), and print which maps changed, by how much and where, "
        "and which scalars of summary.json changed, better or worse. The two results must be "
        "on the same wafer grid.",
        epilog="Exit codes: 0 written, 4 export error (missing folder, different grids), "
        "1 unexpected error.",
    )
    diff.add_argument("a", metavar="RESULT_A", help="result folder A (the reference)")
    diff.add_argument("b", metavar="RESULT_B", help="result folder B (the new design)")
    diff.add_argument("-o", "--output", metavar="OUT.vti",
                      help="difference file (default: RESULT_B/diff_from_<name of RESULT_A>.vti)")
    diff.add_argument("--all", dest="everything", action="store_true",
                      help="list every map and scalar, not only those that changed")
    diff.set_defaults(command="diff", handler=_cmd_diff)


def _cmd_regress(args) -> int:
    from . import regress
    from .cli import _check_output, _load, _Progress, _safe_name
    from .errors import CaseError

    progress = _Progress(args.quiet)
    baseline_dir = Path(args.baseline)
    out_root = Path(args.output) if args.output else Path("results") / "regress"
    loaded, names = [], {}
    for arg in args.cases:  # every case and baseline is checked before the first solve
        case, grid = _load(arg, progress)
        name = _safe_name(case.name)
        if name in names:
            raise CaseError(arg, "case.name", case.name,
                            detail=f"the same name as {names[name]}: each case needs its own "
                            "baseline file")
        names[name] = arg
        path = regress.baseline_path(baseline_dir, case.name)
        if args.update:  # an existing baseline must be readable: its tolerances are kept
            base = regress.read_baseline(path) if path.exists() else None
        else:
            base = regress.read_baseline(path)
        loaded.append((arg, case, grid, path, base))
    if args.update:
        _check_output(baseline_dir, ())

    fields = True if args.fields else (args.field_names or False)
    if fields and not args.update:
        print("wafersolve: warning: --fields and --field only matter with --update (golden maps "
              "are compared whenever a baseline has them)", file=sys.stderr, flush=True)
    failed = []
    for arg, case, grid, path, base in loaded:
        folder = out_root / _safe_name(case.name)
        _check_output(folder, ())
        run = regress.run_design(case, folder, grid=grid, progress=progress)
        for text in run.warnings:
            print(f"wafersolve: warning: {text}", file=sys.stderr, flush=True)
        if args.update:
            update = regress.update_baseline(folder, path, case_file=arg, fields=fields)
            print(update.format(everything=args.everything), flush=True)
            continue
        comparison = regress.compare_result(folder, base, strict=args.strict)
        regress.write_comparison(comparison, folder / "comparison.json")
        print(comparison.format_table(everything=args.everything), flush=True)
        if comparison.regressed:
            failed.append(case.name)
    if len(loaded) > 1 and not args.update:
        verdict = (f"{len(failed)} of {len(loaded)} cases regressed: {', '.join(failed)}"
                   if failed else f"no regression in {len(loaded)} cases")
        print(f"wafersolve regress: {verdict}", flush=True)
    if failed:
        print(f"wafersolve: regression in {', '.join(failed)}: if intended, review and run "
              f"again with --update", file=sys.stderr, flush=True)
        return EXIT_REGRESSION
    return EXIT_OK


def _cmd_diff(args) -> int:
    from .regress import diff_results

    result = diff_results(args.a, args.b, out=args.output)
    print(result.format_table(everything=args.everything), flush=True)
    print(f"  wrote {result.vti} and {result.summary}", flush=True)
    return EXIT_OK
