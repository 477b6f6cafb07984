"""The child process of :func:`wafersolve.viz.export_html`: redraw one view from a result folder
and write it as an interactive HTML page with trame, so that trame's side effects (an asyncio
patch, a local server, a download attempt) stay out of the caller's process.

Run as ``python -m wafersolve._html_export JOB_JSON``; JOB_JSON holds ``result`` (folder),
``out`` (file to write), ``size`` ([width, height]) and ``view`` (the fields of
:class:`wafersolve.viz_data.View` but ``line_m``). Exit code 0 when the file is written;
otherwise one ``wafersolve: ...`` line on stderr.

Example
-------
>>> import json
>>> job = {"result": "results/small", "out": "t.html", "size": [800, 600],
...        "view": {"field": "temperature", "layer": None, "z_m": None, "exploded": True}}
>>> main([json.dumps(job)])                                    # doctest: +SKIP
0
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    """Do the job described by ``argv[0]`` (JSON); return the exit code.

    Example
    -------
    >>> main(["not json"])                                         # doctest: +SKIP
    2
    """
    try:
        job = json.loads(argv[0])
        view_args = job["view"]
    except (IndexError, ValueError, KeyError, TypeError) as exc:
        print(f"wafersolve: bad export job: {exc}", file=sys.stderr)
        return 2
    _skip_wasm_download()
    from .errors import WafersolveError
    from .viz import add_view, new_plotter, scene_html
    from .viz_data import ResultFolder, View

    try:
        result = ResultFolder(job["result"])
        plotter = new_plotter(tuple(job["size"]))
        try:
            add_view(plotter, result, View(**view_args))
            page = scene_html(plotter)
        finally:
            plotter.close()
        Path(job["out"]).write_text(page, encoding="utf-8")
    except (WafersolveError, OSError) as exc:
        print(f"wafersolve: {exc}", file=sys.stderr)
        return 1
    return 0


def _skip_wasm_download() -> None:
    """trame-vtklocal (a dependency of trame-pyvista) registers VTK's WebAssembly bundle when a
    trame server starts, and downloads it from the internet when it is not cached. The static
    vtk.js page written here does not use it, so its registration is skipped in this child
    process: the export makes no network request at all (checked in the tests)."""
    try:
        import trame_vtklocal.module as vtklocal
    except ImportError:
        return
    vtklocal.setup = lambda *args, **kwargs: None


if __name__ == "__main__":
    code = main(sys.argv[1:])
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # do not wait for trame's server task or its download attempt
