"""The ``wafersolve`` command line: the only module that reads argv, prints or exits.

Exit codes: 0 ok, 1 unexpected error, 2 bad case file (or command line), 3 solver error,
4 export error, 5 a design regression (``regress``), 130 interrupted. Errors are one message line on stderr; ``--debug`` adds the
traceback. Progress goes to stderr, the summary table to stdout.

Example
-------
>>> from wafersolve.cli import main
>>> main(["run", "cases/small.toml", "-o", "results/small"])     # doctest: +SKIP
0
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from pathlib import Path

from . import __version__
from .errors import CaseError, ExportError, SolverError, WafersolveError

EXIT_OK, EXIT_UNEXPECTED, EXIT_CASE, EXIT_SOLVER, EXIT_EXPORT, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130
EXTRA_FORMATS = ("vtu", "xdmf")
ZERO_CELSIUS_K = 273.15


def main(argv: list[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit code.

    Example
    -------
    >>> main(["--version"])          # doctest: +SKIP
    wafersolve 0.1.0
    """
    for stream in (sys.stdout, sys.stderr):  # never die on a terminal that cannot show "°"
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_CASE
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        _fail("interrupted", args)
        return EXIT_INTERRUPTED
    except CaseError as exc:
        _fail(f"case error: {exc}", args)
        return EXIT_CASE
    except SolverError as exc:
        _fail(f"solver error: {exc}", args)
        return EXIT_SOLVER
    except ExportError as exc:
        _fail(f"export error: {exc}", args)
        return EXIT_EXPORT
    except WafersolveError as exc:
        _fail(f"error: {exc}", args)
        return EXIT_UNEXPECTED
    except Exception as exc:  # anything else is a bug: still one line unless --debug
        first = (str(exc).strip().splitlines() or [""])[0]
        hint = "" if args.debug else " (run again with --debug for the traceback)"
        _fail(f"unexpected {type(exc).__name__}: {first}{hint}", args)
        return EXIT_UNEXPECTED


# -- parser -----------------------------------------------------------------------------------
def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wafersolve",
        description="Check a wafer-scale chip package: steady 3D temperature field of a layered "
        "stack cooled by a cold plate, and the CTE stress, warpage and connector motion it "
        "causes.",
        epilog="Exit codes: 0 ok, 1 unexpected error, 2 case error, 3 solver error, "
        "4 export error, 5 design regression (regress). Documentation: docs/output.md, "
        "docs/case-reference.md, docs/visualize.md, docs/regression.md.",
    )
    parser.add_argument("--version", action="version", version=f"wafersolve {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    parser.set_defaults(command=None)
    # --debug is accepted after the subcommand too; SUPPRESS keeps it from resetting the main one
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks"
    )
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    run = sub.add_parser(
        "run",
        parents=[common],
        help="solve a case and write the results",
        description="Load CASE, build its grid, solve the steady temperature field and, when the "
        "case has a [mechanics] section, the thermo-mechanics on it; write the results "
        "(temperature.vtr, wafer.vti, mechanics.vtr, summary.json, case_resolved.json) and print a "
        "summary table. Progress and warnings go to stderr, the table to stdout.",
    )
    run.add_argument("case", metavar="CASE", help="case file (.toml)")
    run.add_argument(
        "-o",
        "--output",
        metavar="OUTDIR",
        help="output folder (default: results/<case name> in the current directory)",
    )
    run.add_argument(
        "--format",
        dest="formats",
        action="append",
        choices=EXTRA_FORMATS,
        default=[],
        help="also write this format of the 3D field: vtu (meshio), xdmf (+ .h5, needs h5py); "
        "repeat for both",
    )
    run.add_argument("--no-mechanics", dest="mechanics", action="store_false",
                     help="skip the thermo-mechanics even if the case has a [mechanics] section")
    run.add_argument("-q", "--quiet", action="store_true", help="no progress lines on stderr (warnings and errors still appear)")
    run.set_defaults(command="run", handler=_cmd_run)

    check = sub.add_parser(
        "check",
        parents=[common],
        help="edge I/O, bandwidth density against GPUs and cooling flow, with pass/fail",
        description="Load CASE and print the checks that need no mechanics: the edge I/O layout "
        "of its [io] section (usable and stranded PHYs, off-chip bandwidth, density per mm of "
        "edge, hop distances; the optical area-I/O alternative), that density against GPUs "
        "under explicit definitions, and the cooling flow (rise, L/min per kW, cold-plate "
        "pressure drop) against the GB200 / OCP / ASHRAE envelopes, each with pass/fail and "
        "margin. The case is also solved at the flows given by --lpm-per-kw. The numbers go to "
        "OUTDIR/summary.json (merged into one written by 'run') and the layout to "
        "OUTDIR/io_layout.vtr.",
    )
    check.add_argument("case", metavar="CASE", help="case file (.toml)")
    check.add_argument("-o", "--output", metavar="OUTDIR",
                       help="output folder (default: results/<case name>)")
    check.add_argument("--lpm-per-kw", dest="lpm_per_kw", type=float, action="append",
                       default=None, metavar="X",
                       help="also solve the case at X litres per minute per kW of power and "
                       "check it (repeatable; default 1.5, the GB200 NVL72 design point)")
    check.add_argument("--no-runs", action="store_true",
                       help="no thermal solves: formulas and correlations only")
    check.add_argument("-q", "--quiet", action="store_true", help="no progress lines on stderr")
    check.set_defaults(command="check", handler=_cmd_check)

    validate = sub.add_parser(
        "validate",
        parents=[common],
        help="load a case and describe it, without solving",
        description="Load CASE and build its grid; print the layers, cells, power and cooling.",
    )
    validate.add_argument("case", metavar="CASE", help="case file (.toml)")
    validate.set_defaults(command="validate", handler=_cmd_validate)

    # The commands that work on result folders (plot, report, regress, diff) live in their own
    # command-line modules; importing them must stay light (no pyvista at import time).
    from . import cli_regress, cli_sweep, cli_viz

    cli_viz.add_commands(sub, common)
    cli_regress.add_commands(sub, common)
    cli_sweep.add_commands(sub, common)
    return parser


def _fail(message: str, args) -> None:
    if getattr(args, "debug", False):
        traceback.print_exc(file=sys.stderr)
    print(f"wafersolve: {message}", file=sys.stderr, flush=True)


class _Progress:
    """Prints ``[   1.23 s] message`` lines to stderr, timed from its creation."""

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.t0 = time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.t0

    def __call__(self, message: str) -> None:
        if not self.quiet:
            print(f"[{self.elapsed():8.2f} s] {message}", file=sys.stderr, flush=True)

    def solver(self, message: str) -> None:
        self(f"  {message}")


# -- commands ---------------------------------------------------------------------------------
def _load(case_arg: str, progress: _Progress):
    path = Path(case_arg)
    if not path.exists():
        raise CaseError(path, None, detail="case file not found")
    if path.is_dir():
        raise CaseError(path, None, detail="is a folder: expected a case file (.toml)")

    from .case.load import load_case
    from .grid import build_grid

    progress(f"loading {path}")
    case = load_case(path)
    grid = build_grid(case)
    progress(
        f"case {case.name!r}: {len(case.layers)} layers, {_kW(case.power.total_W)} kW; "
        f"grid {grid.nx} x {grid.ny} x {grid.nz} = {grid.n_cells:,} cells"
    )
    return case, grid


def _cmd_run(args) -> int:
    progress = _Progress(args.quiet)
    case, grid = _load(args.case, progress)
    outdir = Path(args.output) if args.output else Path("results") / _safe_name(case.name)
    _check_output(outdir, args.formats)  # fail before a long solve, not after it

    from .export import DEFAULT_FORMATS, write_results
    from .thermal import solve_thermal

    progress("solving the steady temperature field")
    t = progress.elapsed()
    result = solve_thermal(case, grid, progress=progress.solver)
    progress(f"solved in {progress.elapsed() - t:.2f} s")

    mech = None
    if case.mechanics is not None and args.mechanics:
        from .mechanics import solve_mechanics

        progress("solving the thermo-mechanics (stress, warpage, interface motion)")
        t = progress.elapsed()
        mech = solve_mechanics(case, grid, result.T_K, progress=progress.solver)
        progress(f"solved in {progress.elapsed() - t:.2f} s")
        for text in mech.warnings:
            print(f"wafersolve: warning: {text}", file=sys.stderr, flush=True)

    from .checks import run_checks

    checks = run_checks(case, thermal=result)
    formats = tuple(DEFAULT_FORMATS) + tuple(f for f in EXTRA_FORMATS if f in args.formats)
    progress(f"writing {', '.join(formats)} to {outdir}")
    t = progress.elapsed()
    paths = write_results(result, outdir, formats=formats, mechanics=mech,
                          extra_summary=checks.summary())
    progress(f"wrote {len(paths)} files in {progress.elapsed() - t:.2f} s")

    table = format_summary(result, outdir)
    if mech is not None:
        table += "\n" + format_mechanics(mech)
    print(table, flush=True)
    return EXIT_OK


def _check_output(outdir: Path, formats) -> None:
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        detail = exc.strerror or str(exc)
        raise ExportError(f"{outdir}: cannot create the output folder: {detail}") from exc
    if "xdmf" in formats:
        try:
            import h5py  # noqa: F401
        except ImportError as exc:
            raise ExportError("--format xdmf needs h5py: pip install h5py") from exc


def _cmd_check(args) -> int:
    progress = _Progress(args.quiet)
    case, grid = _load(args.case, progress)
    outdir = Path(args.output) if args.output else Path("results") / _safe_name(case.name)
    _check_output(outdir, ())

    from .checks import run_checks
    from .export import merge_summary
    from .thermal import solve_thermal

    flows = () if args.no_runs else tuple(args.lpm_per_kw or (1.5,))
    base = None
    if flows:
        progress("solving the case as given, then at "
                 f"{', '.join(f'{f:g}' for f in flows)} L/min per kW")
        base = solve_thermal(case, grid)
    report = run_checks(case, thermal=base, solve=lambda c: solve_thermal(c, grid),
                        lpm_per_kW=flows, sweep=True)
    paths = [merge_summary(outdir / "summary.json", report.summary())]
    if report.io is not None:
        from .export_io import write_io_layout

        paths.append(write_io_layout(report.io, outdir / "io_layout.vtr"))
    progress(f"wrote {', '.join(p.name for p in paths)} to {outdir}")
    print(format_checks(report), flush=True)
    return EXIT_OK


def format_checks(report) -> str:
    """The tables ``wafersolve check`` prints: I/O layout, density against GPUs, cooling flow.

    Example
    -------
    >>> from wafersolve import load_case
    >>> from wafersolve.checks import run_checks
    >>> print(format_checks(run_checks(load_case("cases/wse3.toml"))))   # doctest: +ELLIPSIS
    wafersolve check: wse3
    ...
    """
    rows = [f"wafersolve check: {report.case.name}"]
    for label, io in (("edge I/O", report.io), ("area I/O", report.io_area)):
        if io is None:
            continue
        gbps = io.bandwidth_per_direction_bit_per_s / 8e9
        rows += [
            f"{label} ({io.mode})",
            _row("PHYs", f"{io.n_usable} usable, {io.n_stranded} stranded of {io.n_sites} "
                         f"(edge tiles: {io.n_edge_tiles} of {io.layout.tiles[0] * io.layout.tiles[1]})"),
            _row("bandwidth", f"{gbps:,.1f} GB/s per direction, {2 * gbps:,.1f} GB/s both "
                              "directions"),
            _row("density", f"{io.density_edge_per_direction_bit_per_s_per_m / 8e12:.4g} GB/s "
                            f"per mm of wafer edge ({io.edge_length_m * 1e3:.0f} mm), "
                            f"{io.density_area_per_direction_bit_per_s_per_m2 / 8e15:.3g} GB/s "
                            "per mm² of silicon, per direction"),
            _row("stranded", f"{io.stranded_area_m2 * 1e6:.1f} mm² of PHY silicon "
                             f"({io.stranded_area_fraction:.2%} of the wafer)"),
            _row("mesh hops", f"mean {io.hop_mean:.1f}, max {io.hop_max:.0f} to the nearest "
                              f"port ({io.n_unreachable_cores} cores unreachable)"),
        ]
    if report.io_sweep is not None:
        rows.append("edge I/O trade-off (copies of the first PHY macro per tile edge)")
        rows.append(_row("per edge", f"{'usable':>7}  {'GB/s per dir':>12}  {'stranded':>9}  "
                                     f"{'mean hops':>9}"))
        for k, r in zip(report.io_sweep.phys_per_edge, report.io_sweep.edge, strict=True):
            rows.append(_row(f"{k}", f"{r.n_usable:>7}  "
                                     f"{r.bandwidth_per_direction_bit_per_s / 8e9:>12,.1f}  "
                                     f"{r.stranded_area_fraction:>9.2%}  {r.hop_mean:>9.1f}"))
    rows.append(report.density_table())
    solved = " (solved)" if report.flow.hotspot_T_K is not None else ""
    rows += [_flow_rows(report.flow, f"cooling flow as given{solved}")]
    for rep in report.flow_variants:
        rows.append(_flow_rows(rep, f"cooling flow at {rep.lpm_per_kW:.3g} L/min per kW (solved)"))
    failed = sum(not c.passed for r in (report.flow, *report.flow_variants) for c in r.checks)
    rows.append(_row("checks", f"{failed} failed" if failed else "all passed"))
    return "\n".join(rows)


def _flow_rows(rep, title: str) -> str:
    lpm = rep.flow_m3_per_s * 60000.0
    rows = [title,
            _row("flow", f"{lpm:.1f} L/min of {rep.coolant} for {_kW(rep.power_W)} kW = "
                         f"{_per_kW(rep.lpm_per_kW)} L/min per kW"),
            _row("coolant rise", f"{rep.rise_K:.2f} K from {_C(rep.inlet_T_K)} °C")]
    if rep.hotspot_T_K is not None:
        rows.append(_row("T max", f"{_C(rep.hotspot_T_K)} °C"))
    if rep.channels is not None:
        ch = rep.channels.summary()
        rows.append(_row("cold plate", ", ".join(f"{k} {v:.4g}" for k, v in ch.items()
                                                if isinstance(v, float))[:300]))
    for c in rep.checks:
        verdict = "pass" if c.passed else "FAIL"
        rows.append(_row("check", f"{c.key}: {c.value:.4g} {c.sense} {c.limit:.4g} "
                                  f"{c.envelope.unit}: {verdict} (margin {c.margin:+.3g})"))
    return "\n".join(rows)


def _cmd_validate(args) -> int:
    progress = _Progress(quiet=True)
    case, grid = _load(args.case, progress)
    print(format_case(case, grid), flush=True)
    return EXIT_OK


# -- tables -----------------------------------------------------------------------------------
def format_summary(result, outdir) -> str:
    """The summary table ``wafersolve run`` prints: power, hot spot, layers, coolant, solver.

    Example
    -------
    >>> print(format_summary(result, "results/wse3"))     # doctest: +SKIP
    wafersolve: wse3 ...
    """
    grid, case, info, hot = result.grid, result.case, result.info, result.hotspot
    q = result.q_coldplate_W_per_m2
    lpm = case.cooling.flow_m3_per_s * 60000.0
    width = max([len(s.name) for s in result.layer_stats] + [5])
    rows = [
        f"wafersolve: {case.name}  (grid {grid.nx} x {grid.ny} x {grid.nz} = {grid.n_cells:,} cells)",
        _row("power", f"{_kW(result.P_W)} kW"),
        _row(
            "T max",
            f"{_C(hot.T_K)} °C in layer {hot.layer!r} at x = {hot.x_m * 1e3:.1f} mm, "
            f"y = {hot.y_m * 1e3:.1f} mm",
        ),
        _row("layers", f"{'layer':<{width}}  {'min °C':>8}  {'mean °C':>8}  {'max °C':>8}"),
    ]
    for s in result.layer_stats:
        cols = f"{_C(s.T_min_K):>8}  {_C(s.T_mean_K):>8}  {_C(s.T_max_K):>8}"
        rows.append(_row("", f"{s.name:<{width}}  {cols}"))
    rows += [
        _row(
            "coolant",
            f"inlet {_C(result.coolant_inlet_T_K)} °C, outlet {_C(result.coolant_outlet_T_K)} °C, "
            f"rise {result.coolant_rise_K:.2f} K",
        ),
        _row("flow", f"{lpm:.1f} L/min = {_per_kW(result.lpm_per_kW)} L/min per kW"),
        _row(
            "cold plate flux",
            f"mean {float(q.mean()) * 1e-4:.1f} W/cm², peak {float(q.max()) * 1e-4:.1f} W/cm²",
        ),
        _row(
            "solver",
            f"{info.iterations} CG iterations, {info.outer_iterations} outer, relative residual "
            f"{info.relative_residual:.1e}, wall time {info.wall_time_s:.2f} s",
        ),
        _row(
            "energy balance",
            f"in {result.P_W:.1f} W, coolant {result.Q_coolant_W:.1f} W, backside "
            f"{result.Q_backside_W:.1f} W, relative error {info.energy_balance_relative:.1e}",
        ),
        _row("output", str(outdir)),
    ]
    return "\n".join(rows)


def format_mechanics(mech) -> str:
    """The mechanics part of the ``wafersolve run`` table: layers, interfaces, checks.

    Example
    -------
    >>> print(format_mechanics(mech))     # doctest: +SKIP
    mechanics: ...
    """
    import numpy as np  # NaN-aware maxima: a clipped outline leaves NaN outside it

    info = mech.info
    width = max([len(x.name) for x in (*mech.layers, *mech.interfaces)] + [5])
    rows = [
        f"mechanics: {mech.x_nodes_m.size - 1} x {mech.y_nodes_m.size - 1} cells, stress-free at "
        f"{_C(mech.case.mechanics.stress_free_T_K)} °C",
        _row("plates", f"{'layer':<{width}}  {'σ1 max MPa':>10}  {'σ2 min MPa':>10}  "
                       f"{'|u| max µm':>10}  {'bow µm':>8}"),
    ]
    for lay in mech.layers:
        u = float(np.nanmax(lay.u_m**2 + lay.v_m**2)) ** 0.5
        rows.append(_row("", f"{lay.name:<{width}}  {float(np.nanmax(lay.sigma_1_Pa)) / 1e6:>10.2f}  "
                             f"{float(np.nanmin(lay.sigma_2_Pa)) / 1e6:>10.2f}  {u * 1e6:>10.1f}  "
                             f"{lay.bow_m * 1e6:>8.1f}"))
    rows.append(_row("interfaces", f"{'layer':<{width}}  {'kind':<9}  {'slide µm':>8}  "
                                   f"{'γ max':>7}  {'gap change µm':>17}"))
    for itf in mech.interfaces:
        gamma = "-" if itf.shear_strain is None else f"{float(np.nanmax(itf.shear_strain)):.4f}"
        gap = "-" if itf.gap_change_m is None else (
            f"{float(np.nanmin(itf.gap_change_m)) * 1e6:+.2f} .. {float(np.nanmax(itf.gap_change_m)) * 1e6:+.2f}")
        rows.append(_row("", f"{itf.name:<{width}}  {itf.kind:<9}  "
                             f"{float(np.nanmax(itf.displacement_m)) * 1e6:>8.1f}  {gamma:>7}  {gap:>17}"))
    for chk in mech.checks:
        scale, unit = {"stress": (1e-6, " MPa"), "length": (1e6, " µm")}.get(chk.quantity, (1, ""))
        sign = "<=" if chk.limit == "max" else ">="
        verdict = "pass" if chk.passed else "FAIL"
        rows.append(_row("check", f"{chk.name}: {chk.actual * scale:.4g}{unit} {sign} "
                                  f"{chk.allowed * scale:.4g}{unit}: {verdict} (margin "
                                  f"{chk.margin:+.0%})"))
    rows.append(_row("solver", f"{info.dofs:,} unknowns, {info.iterations} PCG iterations, "
                               f"relative residual {info.relative_residual:.1e}, wall time "
                               f"{info.wall_time_s:.2f} s"))
    if mech.warnings:
        rows.append(_row("warnings", f"{len(mech.warnings)} (see stderr and summary.json)"))
    return "\n".join(rows)


def format_case(case, grid) -> str:
    """The description ``wafersolve validate`` prints: stack, grid, power and cooling.

    Example
    -------
    >>> print(format_case(case, build_grid(case)))     # doctest: +SKIP
    case: wse3 ...
    """
    lx, ly = case.wafer.size_m
    cols, rows_ = case.wafer.tiles
    width = max([len(layer.name) for layer in case.layers] + [5])
    mwidth = max([len(layer.material.name) for layer in case.layers] + [8])
    out = [f"case: {case.name}" + (f"  ({case.source_path})" if case.source_path else "")]
    if case.description:
        out.append(_row("description", case.description.strip().splitlines()[0]))
    out += [
        _row("wafer", f"{lx * 1e3:.1f} x {ly * 1e3:.1f} mm, {cols} x {rows_} reticle tiles"),
        _row(
            "grid",
            f"{grid.nx} x {grid.ny} x {grid.nz} = {grid.n_cells:,} cells, "
            f"dx = {grid.dx_m * 1e3:.3f} mm, dy = {grid.dy_m * 1e3:.3f} mm, "
            f"dz = {_length(grid.dz_m.min())} to {_length(grid.dz_m.max())}",
        ),
        _row(
            "layers",
            f"{'layer':<{width}}  {'material':<{mwidth}}  {'thickness':>9}  cells  "
            "k x/y/z W/(m K)   (bottom to top)",
        ),
    ]
    for layer in case.layers:
        k = "/".join(f"{v:g}" for v in layer.material.k_W_per_m_K)
        out.append(
            _row(
                "",
                f"{layer.name:<{width}}  {layer.material.name:<{mwidth}}  "
                f"{_length(layer.thickness_m):>9}  {layer.cells:>5}  {k}",
            )
        )
    for c in case.contacts:
        out.append(
            _row("contact", f"{c.lower} / {c.upper}: {c.resistance_m2_K_per_W * 1e6:.2f} K mm²/W")
        )
    p = case.power
    out += [
        _row("power", f"{_kW(p.total_W)} kW in layer {p.layer!r} ({p.depth})"),
        _row(
            "cooling",
            f"{case.cooling.coolant}, inlet {_C(case.cooling.inlet_T_K)} °C, "
            f"{case.cooling.flow_m3_per_s * 60000.0:.1f} L/min towards {case.cooling.direction}, "
            + (f"h = {case.cooling.h_W_per_m2_K:,.0f} W/(m² K)" if case.cooling.channels is None
               else "h from [cooling.channels]"),
        ),
        _row(
            "backside",
            "adiabatic"
            if case.backside.h_W_per_m2_K == 0
            else f"h = {case.backside.h_W_per_m2_K:,.0f} W/(m² K) to "
            f"{_C(case.backside.ambient_T_K)} °C",
        ),
    ]
    return "\n".join(out)


def _row(label: str, text: str) -> str:
    return f"  {label:<16} {text}"


def _C(T_K: float) -> str:
    return f"{T_K - ZERO_CELSIUS_K:.2f}"


def _kW(P_W: float) -> str:
    return f"{P_W / 1000.0:.3f}"


def _per_kW(value: float) -> str:
    return f"{value:.2f}" if value != float("inf") else "inf (no power)"


def _length(x_m: float) -> str:
    return f"{x_m * 1e3:.3g} mm" if x_m >= 1e-3 else f"{x_m * 1e6:.3g} um"


def _safe_name(name: str) -> str:
    keep = "".join(c if c.isalnum() or c in "-_." else "_" for c in name.strip())
    return keep.strip(".") or "case"
