"""Command-line commands that look at a result folder: ``wafersolve plot`` and ``wafersolve report``.

Registered on cli.py's parser by :func:`add_commands`. Nothing heavy is imported here at
module level (pyvista, vtk and matplotlib load inside the handlers), so ``wafersolve --help``
stays fast. Handlers return an exit code, print one short line per file written, and raise
:mod:`wafersolve.errors` exceptions, which ``cli.main`` turns into a message and an exit code
(2 for a bad field, layer or option combination, 4 for a missing or unreadable result file).

Example
-------
>>> from wafersolve.cli import main
>>> main(["plot", "results/small", "--field", "stress", "-o", "stress.png"])   # doctest: +SKIP
wrote stress.png
0
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .errors import CaseError

DEFAULT_SIZE = (1000, 800)


def add_commands(sub, common) -> None:
    """Register ``plot`` and ``report`` on the argparse ``sub`` parsers (``common``: the shared
    ``--debug`` option).

    Example
    -------
    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="wafersolve")
    >>> add_commands(parser.add_subparsers(), argparse.ArgumentParser(add_help=False))
    >>> parser.parse_args(["plot", "results/small", "--line", "0,100,215,100"]).line
    (0.0, 100.0, 215.0, 100.0)
    """
    plot = sub.add_parser(
        "plot",
        parents=[common],
        help="render a field of a result folder (PNG, interactive HTML or a window)",
        description="Render a field of RESULT_DIR (written by 'wafersolve run' / 'check'): a "
        "wafer-plane map (of one layer with --layer), a z slice of the 3D temperature field "
        "(--z-slice), a cut along a line (--line, a 2D plot) or the stack exploded by layer "
        "(--exploded). Reticle tile outlines are drawn; the colour bar names the quantity and "
        "its unit (°C, MPa, µm, W/cm², hops). With -o and/or --html it renders off-screen; "
        "without them it opens a window (needs a display).",
        epilog="Fields: temperature, T_mean, heat_flux, power, coolant, tile_temperature, stress, "
        "von_mises, warpage, displacement, slide, gap, shear_strain, hops, or any array of the "
        "result files (see --list; source:array picks the file, e.g. io_layout:tile).",
    )
    plot.add_argument("result", metavar="RESULT_DIR", help="a result folder")
    plot.add_argument("--field", default="temperature", metavar="NAME",
                      help="what to show (default: temperature)")
    plot.add_argument("--layer", metavar="L",
                      help="the layer (or interface) of a per-layer field, e.g. wafer, connector")
    plot.add_argument("--z-slice", dest="z_slice", type=float, metavar="Z_MM",
                      help="slice the 3D field at this height, mm from the stack's bottom")
    plot.add_argument("--line", type=_line, metavar="x0,y0,x1,y1",
                      help="plot the field along the line between two points, mm")
    plot.add_argument("--exploded", action="store_true",
                      help="the 3D stack exploded by layer")
    plot.add_argument("-o", "--output", metavar="FILE.png", help="write a PNG (off-screen)")
    plot.add_argument("--html", metavar="FILE.html",
                      help="write a self-contained interactive page (needs trame-pyvista)")
    plot.add_argument("--size", type=_size, default=DEFAULT_SIZE, metavar="WxH",
                      help=f"image size in pixels (default {DEFAULT_SIZE[0]}x{DEFAULT_SIZE[1]})")
    plot.add_argument("--list", action="store_true",
                      help="list the fields of RESULT_DIR with their units and exit")
    plot.set_defaults(command="plot", handler=_cmd_plot)

    report = sub.add_parser(
        "report",
        parents=[common],
        help="write one self-contained HTML report of a result folder",
        description="Write one HTML file for RESULT_DIR: the case inputs with units, every "
        "check with pass/fail and margin (temperatures, flow, L/min per kW, I/O density "
        "against GPUs, stresses, connector shear), and the figures (PyVista field maps, "
        "matplotlib plots) embedded as images; it loads nothing from the network.",
    )
    report.add_argument("result", metavar="RESULT_DIR", help="a result folder")
    report.add_argument("-o", "--output", metavar="REPORT.html",
                        help="the HTML file (default: RESULT_DIR/report.html)")
    report.add_argument("--case", metavar="CASE",
                        help="case file for the I/O layout trade-off curve (default: the case "
                        "file named in case_resolved.json, if it is still there)")
    report.set_defaults(command="report", handler=_cmd_report)


def _line(text: str) -> tuple[float, float, float, float]:
    parts = text.split(",")
    try:
        values = tuple(float(p) for p in parts)
    except ValueError:
        values = ()
    if len(values) != 4:
        raise argparse.ArgumentTypeError(f"{text!r}: expected four numbers x0,y0,x1,y1 in mm")
    return values  # type: ignore[return-value]


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(p) for p in text.lower().split("x"))
    except ValueError:
        w = h = 0
    if not (16 <= w <= 8192 and 16 <= h <= 8192):
        raise argparse.ArgumentTypeError(f"{text!r}: expected WIDTHxHEIGHT in pixels, "
                                         "e.g. 1000x800 (16 to 8192 each)")
    return w, h


def _has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _off_screen_setup() -> None:
    """Without a display, let VTK go straight to EGL instead of trying X first."""
    if not _has_display():
        os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")


def _cmd_plot(args) -> int:
    from .viz_data import ResultFolder, View, resolve_field

    result = ResultFolder(args.result)
    if args.list:
        for name in result.fields():
            print(f"{name:<34} {resolve_field(result, name).title}")
        return 0
    view = View(args.field, args.layer,
                None if args.z_slice is None else args.z_slice * 1e-3,
                None if args.line is None else tuple(v * 1e-3 for v in args.line),
                args.exploded)
    _check_outputs(result, view, args)
    if not (args.output or args.html):
        if not _has_display():
            raise CaseError(result.path, None, detail="no display to open a window in (DISPLAY "
                            "is not set): give -o FILE.png or --html FILE.html")
        from .viz import show

        show(result, view, args.size)
        return 0
    _off_screen_setup()
    from .viz import export_html, render_png

    if args.output:
        print(f"wrote {render_png(result, view, args.output, args.size)}", flush=True)
    if args.html:
        print(f"wrote {export_html(result, view, args.html, args.size)}", flush=True)
    return 0


def _check_outputs(result, view, args) -> None:
    """Refuse what cannot work before any rendering starts."""
    from .viz import check_view, trame_missing
    from .viz_data import resolve_field

    check_view(result, view)
    for path, suffix, option in ((args.output, ".png", "-o"), (args.html, ".html", "--html")):
        if path and Path(path).suffix.lower() != suffix:
            raise CaseError(path, option, None, f"a {suffix} file name")
    if args.html and view.kind == "line":
        raise CaseError(result.path, None, detail="--line makes a 2D plot: write it with "
                        "-o FILE.png; --html is for maps, slices and the exploded stack")
    if args.html:
        why = trame_missing()
        if why:
            from .errors import ExportError

            raise ExportError(f"{args.html}: {why}")
    volume = view.kind == "exploded" and view.field not in (
        "stress", "von_mises", "warpage", "displacement") or view.z_m is not None
    resolve_field(result, view.field, layer=view.layer, volume=volume)


def _cmd_report(args) -> int:
    from .viz_data import ResultFolder

    result = ResultFolder(args.result)
    out = Path(args.output) if args.output else result.path / "report.html"
    if out.suffix.lower() not in (".html", ".htm"):
        raise CaseError(out, "-o", None, "an .html file name")
    rows, note = _io_sweep(result, args.case)
    if note:
        print(f"wafersolve: note: {note}", file=sys.stderr, flush=True)
    _off_screen_setup()
    from .report import write_report

    path = write_report(result, out, io_sweep=rows, notes=(note,) if note else ())
    print(f"wrote {path}", flush=True)
    return 0


def _io_sweep(result, case_arg):
    """The layout trade-off rows (PHYs per tile edge) for the report, or (None, why not).

    The result folder does not hold the [io] section, so the sweep is evaluated here from the
    case file, and only if that case's layout still gives the result's I/O numbers.
    """
    s = result.summary
    if "io_usable" not in s:
        return None, None
    source = case_arg or result.case.get("source_path")
    if not source or not Path(source).is_file():
        return None, (f"no case file for the I/O trade-off curve ({source or 'none named'} "
                      "not found): give --case CASE")
    from .case.load import load_case
    from .edge_io import solve_edge_io, sweep_phys_per_edge

    try:
        case = load_case(source)
    except CaseError:
        if case_arg:
            raise
        return None, f"{source}: not readable as a case any more; no I/O trade-off curve"
    if case.io is None:
        return None, f"{source} has no [io] section; no I/O trade-off curve"
    now = solve_edge_io(case.io).summary()
    keys = ("io_usable", "io_stranded", "io_bandwidth_per_direction_bit_per_s")
    if any(abs(float(now[k]) - float(s.get(k, float("nan")))) > 1e-9 * max(1.0, abs(now[k]))
           for k in keys):
        return None, (f"{source}: its [io] layout no longer gives this result's I/O numbers; "
                      "no I/O trade-off curve")
    try:
        return sweep_phys_per_edge(case.io).rows(), None
    except ValueError as exc:
        return None, f"I/O trade-off sweep not possible: {exc}"
