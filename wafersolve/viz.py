"""Look at a result folder: maps, z slices, line cuts and an exploded 3D stack, drawn with PyVista.

:class:`ResultFolder` reads what ``wafersolve run`` / ``check`` wrote (``wafer.vti``,
``temperature.vtr``, ``mechanics.vtr``, ``io_layout.vtr``, ``summary.json``,
``case_resolved.json``), lazily: a file is read when a view needs it. :func:`resolve_field` turns
a user's field name (an array name such as ``T_max_wafer_K``, or an alias: ``temperature``,
``heat_flux``, ``stress``, ``warpage``, ``displacement``, ``gap``, ``hops`` ...) into a
:class:`Field` that knows its file, its quantity and its engineering unit (°C, MPa, µm,
W/cm², hops). A :class:`View` says what to draw: a wafer-plane map (of a layer with
``layer``), a z slice of the 3D field, a cut along a line, or the stack exploded by layer.

The reading side (the folder, field names and units, planes, line samples) is
:mod:`wafersolve.viz_data`, re-exported here; this module draws. The ``add_*`` functions draw
onto a ``pyvista.Plotter`` passed in (no global theme, no global
off-screen switch); :func:`render_png`, :func:`export_html` and :func:`show` create their own
plotter. Geometry is drawn in millimetres; reticle tile outlines come from
``case_resolved.json``. The library never prints; errors are :class:`~wafersolve.errors.ExportError`
(a missing or unreadable file) and :class:`~wafersolve.errors.CaseError` (an unknown field or
layer, a z or line outside the stack, listing what is valid).

Example
-------
>>> result = ResultFolder("results/small")                                   # doctest: +SKIP
>>> render_png(result, View("temperature", layer="wafer"), "T.png")          # doctest: +SKIP
PosixPath('T.png')
"""

from __future__ import annotations

import io
import math
from dataclasses import replace
from pathlib import Path

import numpy as np

from .errors import CaseError, ExportError
from .export import _atomic
from .viz_data import (  # noqa: F401  (re-exported: the viewing API in one place)
    ALIASES,
    FILES,
    ZERO_CELSIUS_K,
    Field,
    Plane,
    ResultFolder,
    View,
    describe_array,
    plane_grid_mm,
    plane_of,
    resolve_field,
)
from .viz_line import LineCut, sample_line  # noqa: F401  (re-exported too)

_NAN_COLOR = "#d0d0d0"


# -- drawing onto a plotter passed in ----------------------------------------------------------
def _colours(field: Field, values) -> dict:
    finite = np.asarray(values)[np.isfinite(values)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if hi <= lo:
        hi = lo + max(abs(lo) * 1e-6, 1e-12)
    if field.kind in ("stress", "length") and lo < 0 < hi:
        m = max(-lo, hi)
        return {"cmap": "coolwarm", "clim": (-m, m)}
    cmap = {"temperature": "inferno", "flux": "plasma", "stress": "magma", "length": "viridis",
            "strain": "viridis", "hops": "viridis", "index": "tab20"}.get(field.kind, "viridis")
    return {"cmap": cmap, "clim": (lo, hi)}


def _bar(title: str) -> dict:
    return {"title": title, "color": "black", "vertical": False, "position_x": 0.15,
            "position_y": 0.01, "width": 0.7, "height": 0.09, "fmt": "%.4g", "n_labels": 5,
            "title_font_size": 18, "label_font_size": 15}


def _labels_below(plotter, title: str) -> None:
    """Title the colour bar with a text of its own above its numbers (VTK's own bar title
    overlaps them when it is long)."""
    bar = plotter.scalar_bars[title] if title in plotter.scalar_bars else None
    if bar is None:
        return
    bar.SetTitle("")
    bar.SetBarRatio(0.45)
    width, height = plotter.window_size
    text = plotter.add_text(title, position=(width / 2, 0.105 * height), font_size=11,
                            color="black")
    text.GetTextProperty().SetJustificationToCentered()


def _tile_outlines(result: ResultFolder, z_mm: float):
    import pyvista as pv

    lines = result.tile_lines_m()
    if lines is None:
        return None
    xs, ys = lines[0] * 1e3, lines[1] * 1e3
    pts, segs = [], []
    for x in xs:
        pts += [(x, ys[0], z_mm), (x, ys[-1], z_mm)]
    for y in ys:
        pts += [(xs[0], y, z_mm), (xs[-1], y, z_mm)]
    for i in range(0, len(pts), 2):
        segs += [2, i, i + 1]
    return pv.PolyData(np.array(pts, dtype=float), lines=np.array(segs))


def add_plane(plotter, result: ResultFolder, plane: Plane, *, tiles: bool = True,
              z_mm: float = 0.0, colours: dict | None = None, scalar_bar: bool = True):
    """Draw ``plane`` (from :func:`plane_of`) at height ``z_mm`` with tile outlines.

    Example
    -------
    >>> pl = new_plotter()                                                 # doctest: +SKIP
    >>> add_plane(pl, result, plane_of(result, "heat_flux"))               # doctest: +SKIP
    """
    colours = colours or _colours(plane.field, plane.values)
    plotter.add_mesh(plane_grid_mm(plane, z_mm), scalars=plane.field.title, nan_color=_NAN_COLOR,
                     show_scalar_bar=scalar_bar, scalar_bar_args=_bar(plane.field.title),
                     **colours)
    if scalar_bar:
        _labels_below(plotter, plane.field.title)
    outline = _tile_outlines(result, z_mm + 0.05) if tiles else None
    if outline is not None:
        dark = colours["cmap"] in ("inferno", "magma", "plasma", "viridis")
        plotter.add_mesh(outline, color="white" if dark else "black", line_width=1.5,
                         opacity=0.7)
    return plane.field


def add_map(plotter, result: ResultFolder, field: str = "temperature", *,
            layer: str | None = None, z_m: float | None = None, tiles: bool = True) -> Field:
    """Draw a wafer-plane map (or the z slice at ``z_m``) seen from above, with tile outlines,
    the hot spot of temperature maps and a colour bar titled with quantity and unit.

    Example
    -------
    >>> pl = new_plotter()                                       # doctest: +SKIP
    >>> add_map(pl, result, "temperature", layer="wafer").title  # doctest: +SKIP
    'T max, wafer [°C]'
    """
    plane = plane_of(result, field, layer=layer, z_m=z_m)
    add_plane(plotter, result, plane, tiles=tiles)
    hot = result.summary
    if plane.field.kind == "temperature" and plane.field.name.startswith("T_max") \
            and "hotspot_x_m" in hot:
        at = np.array([[hot["hotspot_x_m"] * 1e3, hot["hotspot_y_m"] * 1e3, 0.1]])
        plotter.add_point_labels(at, [f"T max {hot['T_max_K'] - ZERO_CELSIUS_K:.2f} °C"],
                                 font_size=14, point_size=10, point_color="cyan",
                                 text_color="black", shape_color="white", shape_opacity=0.7,
                                 always_visible=True, render_points_as_spheres=True)
    title = plane.field.quantity + (f" at {plane.label}" if plane.label else "")
    plotter.add_text(f"{result.summary.get('case', result.path.name)}: {title}",
                     position="upper_edge", font_size=10, color="black")
    plotter.show_bounds(xtitle="x (mm)", ytitle="y (mm)", ztitle="z", show_zaxis=False,
                        color="black", location="front", ticks="outside", font_size=9,
                        n_xlabels=5, n_ylabels=5, fmt="%.0f")
    _frame_plane(plotter, plane)
    return plane.field


def _frame_plane(plotter, plane: Plane) -> None:
    """Look straight down, the map filling the band between the title and the colour bar."""
    x0, x1 = plane.x_m[0] * 1e3, plane.x_m[-1] * 1e3
    y0, y1 = plane.y_m[0] * 1e3, plane.y_m[-1] * 1e3
    width, height = plotter.window_size
    scale = max((y1 - y0) / 0.56, (x1 - x0) / 0.78 * height / width) / 2  # half the view height
    cx, cy = 0.5 * (x0 + x1), 0.5 * (y0 + y1) - 0.2 * scale  # map centre 10 % above the middle
    plotter.enable_parallel_projection()
    plotter.camera_position = [(cx, cy, 1000.0), (cx, cy, 0.0), (0.0, 1.0, 0.0)]
    plotter.camera.parallel_scale = scale
    plotter.camera.clipping_range = (1.0, 2000.0)


def add_exploded(plotter, result: ResultFolder, field: str = "temperature", *,
                 gap: float = 0.45, max_cells: int = 300) -> Field:
    """Draw the stack exploded by layer: each layer of the 3D field (``temperature.vtr``) as a
    slab, or for the per-layer maps of mechanics (``stress``, ``warpage``, ``displacement``,
    ``von_mises``) each plate layer's map, lifted apart by ``gap`` x the wafer width and
    labelled; tile outlines on the heated layer. Planes above ``max_cells`` cells per side are
    shown subsampled.

    Example
    -------
    >>> pl = new_plotter()                                    # doctest: +SKIP
    >>> add_exploded(pl, result, "temperature").title         # doctest: +SKIP
    'T [°C]'
    """
    family = field in ("stress", "von_mises", "warpage", "displacement")
    if family:
        planes = [(lay, plane_of(result, field, layer=lay)) for lay in result.plate_layers]
        f = planes[0][1].field if planes else resolve_field(result, field)
        f = replace(f, quantity=f.quantity.rsplit(",", 1)[0])
        planes = [(lay, replace(p, field=f)) for lay, p in planes]
        width = (planes[0][1].x_m[-1] - planes[0][1].x_m[0]) * 1e3
        slabs = [(lay, plane_grid_mm(p), 0.0) for lay, p in planes]
    else:
        f = resolve_field(result, field, volume=True)
        slabs, width = _volume_slabs(result, f, max_cells)
    values = np.concatenate([np.asarray(s.cell_data[f.title] if f.title in s.cell_data else
                                        s.point_data[f.title]) for _, s, _ in slabs])
    colours = _colours(f, values)
    step, z = gap * width, 0.0
    heated = result.heated_layer
    for i, (name, slab, thickness) in enumerate(slabs):
        slab = slab.translate((0, 0, z - slab.bounds[4]), inplace=False)
        plotter.add_mesh(slab, scalars=f.title, nan_color=_NAN_COLOR, show_scalar_bar=i == 0,
                         scalar_bar_args=_bar(f.title), **colours)
        if i == 0:
            _labels_below(plotter, f.title)
        top = z + thickness
        if name == heated or (family and name == (result.heated_layer or name)):
            outline = _tile_outlines(result, top + 0.3)
            if outline is not None:
                plotter.add_mesh(outline, color="black", line_width=1.0, opacity=0.6)
        b = slab.bounds
        plotter.add_point_labels(np.array([[b[0] - 0.04 * width, b[3], top]]), [name],
                                 font_size=14, text_color="black", shape_opacity=0.0,
                                 show_points=False, always_visible=True)
        z = top + step
    plotter.add_text(f"{result.summary.get('case', result.path.name)}: {f.quantity} by layer "
                     "(exploded, thickness not to scale)", position="upper_edge",
                     font_size=10, color="black")
    _frame_stack(plotter, z)
    return f


def _frame_stack(plotter, height: float, elevation_deg: float = 20.0,
                 azimuth_deg: float = 30.0) -> None:
    """Look at the exploded stack from the front left, slightly from above."""
    plotter.reset_camera()
    focal = np.array(plotter.camera.focal_point)
    e, a = math.radians(elevation_deg), math.radians(azimuth_deg)
    direction = np.array([-math.cos(e) * math.sin(a), -math.cos(e) * math.cos(a), math.sin(e)])
    plotter.camera_position = [tuple(focal + 10 * max(height, 1.0) * direction), tuple(focal),
                               (0.0, 0.0, 1.0)]
    plotter.reset_camera()
    plotter.camera.zoom(0.82)
    pos, foc, up = plotter.camera_position  # lift the stack clear of the colour bar
    shift = np.array([0.0, 0.0, 0.06 * height])
    plotter.camera_position = [tuple(np.array(pos) - shift), tuple(np.array(foc) - shift), up]


def _volume_slabs(result: ResultFolder, f: Field, max_cells: int):
    import pyvista as pv

    ds = result.dataset("temperature")
    x, y, z = (np.asarray(ds.x) * 1e3, np.asarray(ds.y) * 1e3, np.asarray(ds.z) * 1e3)
    nz, ny, nx = z.size - 1, y.size - 1, x.size - 1
    vals = f.to_display(np.asarray(ds.cell_data[f.name]).reshape(nz, ny, nx))
    idx = np.asarray(ds.cell_data["layer"]).reshape(nz, -1)[:, 0]
    names = list(ds.field_data["layer_names"]) if "layer_names" in ds.field_data else \
        [str(i) for i in range(int(idx.max()) + 1)]
    sx, sy = max(1, math.ceil(nx / max_cells)), max(1, math.ceil(ny / max_cells))
    xe, ye = np.append(x[:-1:sx], x[-1]), np.append(y[:-1:sy], y[-1])
    width = x[-1] - x[0]
    spans = {k: (z[np.flatnonzero(idx == k)[0]], z[np.flatnonzero(idx == k)[-1] + 1])
             for k in np.unique(idx)}
    thick = max(hi - lo for lo, hi in spans.values())
    z_scale = 0.04 * width / thick  # the thickest layer drawn 4 % of the wafer width
    slabs = []
    for k, (lo, _hi) in spans.items():
        ks = np.flatnonzero(idx == k)
        ze = (z[ks[0]: ks[-1] + 2] - lo) * z_scale
        ze[-1] = max(ze[-1], ze[0] + 0.2)  # keep very thin layers visible
        grid = pv.RectilinearGrid(xe, ye, ze)
        grid.cell_data[f.title] = np.ascontiguousarray(vals[ks][:, ::sy, ::sx]).ravel()
        slabs.append((names[k] if k < len(names) else str(k), grid, ze[-1]))
    return slabs, width


def plot_line(ax, result: ResultFolder, line_m, field: str = "temperature", *,
              layer: str | None = None, z_m: float | None = None) -> LineCut:
    """Draw the cut of :func:`sample_line` on a matplotlib ``ax``: value against distance (mm),
    with the reticle tile boundaries it crosses as dotted lines.

    Example
    -------
    >>> from matplotlib.figure import Figure
    >>> ax = Figure().add_subplot()
    >>> plot_line(ax, ResultFolder("results/small"), (0, 0.1, 0.2, 0.1))   # doctest: +SKIP
    """
    cut = sample_line(result, line_m, field, layer=layer, z_m=z_m)
    d = cut.distance_m * 1e3
    ax.plot(d, cut.values, color="tab:red", lw=1.5)
    lines = result.tile_lines_m()
    if lines is not None:
        col = np.searchsorted(lines[0], cut.x_m) * 1000 + np.searchsorted(lines[1], cut.y_m)
        for k in np.flatnonzero(np.diff(col) != 0):
            ax.axvline(0.5 * (d[k] + d[k + 1]), color="0.6", lw=0.8, ls=":")
    x0, y0, x1, y1 = (v * 1e3 for v in line_m)
    where = f", {cut.label}" if cut.label else ""
    ax.set_title(f"{cut.field.quantity}{where}\nalong ({x0:.0f}, {y0:.0f}) to "
                 f"({x1:.0f}, {y1:.0f}) mm; dotted: tile boundaries", fontsize=10)
    ax.set_xlabel("distance along the cut (mm)")
    ax.set_ylabel(cut.field.title)
    ax.grid(True, alpha=0.3)
    ax.set_xlim(d[0], d[-1])
    return cut


# -- caller-facing helpers: make the plotter, render, export -----------------------------------
def new_plotter(size=(1000, 800), *, off_screen: bool = True):
    """A ``pyvista.Plotter`` of ``size`` (width, height) pixels, white background.

    Example
    -------
    >>> pl = new_plotter((400, 300))       # doctest: +SKIP
    >>> pl.window_size                     # doctest: +SKIP
    [400, 300]
    """
    import pyvista as pv

    plotter = pv.Plotter(off_screen=off_screen, window_size=list(size))
    plotter.set_background("white")
    return plotter


def add_view(plotter, result: ResultFolder, view: View) -> Field:
    """Draw ``view`` (map, slice or exploded) onto ``plotter``; line cuts use :func:`plot_line`.

    Example
    -------
    >>> add_view(new_plotter(), result, View("gap"))      # doctest: +SKIP
    """
    check_view(result, view)
    if view.kind == "exploded":
        return add_exploded(plotter, result, view.field)
    if view.kind == "line":
        raise CaseError(result.path, "line", None,
                        detail="a line cut is a 2D plot: use plot_line or render_png")
    return add_map(plotter, result, view.field, layer=view.layer, z_m=view.z_m)


def check_view(result: ResultFolder, view: View) -> None:
    """Refuse a view whose parts do not go together (exploded with a slice or a line).

    Example
    -------
    >>> check_view(None, View(exploded=True, z_m=1e-3))
    Traceback (most recent call last):
    ...
    wafersolve.errors.CaseError: <case>: the exploded stack shows every layer: drop the z slice and the line
    """
    if view.exploded and (view.z_m is not None or view.line_m is not None):
        where = getattr(result, "path", None)
        raise CaseError(where, None, detail="the exploded stack shows every layer: drop the z "
                        "slice and the line")


def render_image(result: ResultFolder, view: View, size=(1000, 800)) -> bytes:
    """``view`` rendered off-screen as PNG bytes of exactly ``size`` (width, height) pixels.

    Example
    -------
    >>> png = render_image(ResultFolder("results/small"), View())     # doctest: +SKIP
    >>> png[:4]                                                       # doctest: +SKIP
    b'\\x89PNG'
    """
    check_view(result, view)
    if view.kind == "line":
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        fig = Figure(figsize=(size[0] / 100, size[1] / 100), dpi=100, layout="constrained")
        FigureCanvasAgg(fig)
        plot_line(fig.add_subplot(), result, view.line_m, view.field, layer=view.layer,
                  z_m=view.z_m)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=100)
        return buf.getvalue()
    plotter = new_plotter(size)
    try:
        add_view(plotter, result, view)
        image = plotter.screenshot(None, return_img=True)
    finally:
        plotter.close()
    return png_bytes(image)


def png_bytes(image) -> bytes:
    """An RGB(A) uint8 array (height, width, channels) as PNG bytes.

    Example
    -------
    >>> png_bytes(np.zeros((2, 3, 3), dtype=np.uint8))[:4]
    b'\\x89PNG'
    """
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image)).save(buf, format="png")
    return buf.getvalue()


def render_png(result: ResultFolder, view: View, path, size=(1000, 800)) -> Path:
    """Render ``view`` off-screen into the PNG file ``path`` (atomically); return its path.

    Example
    -------
    >>> render_png(ResultFolder("results/small"), View("stress"), "s.png")    # doctest: +SKIP
    PosixPath('s.png')
    """
    data = render_image(result, view, size)
    path = Path(path)
    with _atomic(path) as tmp:
        tmp.write_bytes(data)
    return path


def trame_missing() -> str | None:
    """Why the interactive HTML export cannot run here (the pip command), or None.

    Example
    -------
    >>> trame_missing() is None or "pip install" in trame_missing()
    True
    """
    import importlib.util

    missing = [pkg for pkg, mod in (("trame-pyvista", "trame_pyvista"),
                                    ("nest-asyncio2", "nest_asyncio2"))
               if importlib.util.find_spec(mod) is None]
    if not missing:
        return None
    return (f"the interactive HTML export needs {' and '.join(missing)}: "
            "pip install trame-pyvista nest-asyncio2  (or pip install 'wafersolve[viz]')")


def scene_html(plotter) -> str:
    """The scene of ``plotter`` as a self-contained interactive HTML page (vtk.js), through
    trame-pyvista. Note what trame does on the way, in the calling process: it patches asyncio
    (nest-asyncio2), starts a local trame server on 127.0.0.1 and, with trame-vtklocal
    installed, tries to fetch VTK's WebAssembly bundle; :func:`export_html` therefore runs this
    in a child process.

    Example
    -------
    >>> pl = new_plotter(); _ = add_view(pl, result, View())     # doctest: +SKIP
    >>> scene_html(pl).startswith("<!DOCTYPE html>")            # doctest: +SKIP
    True
    """
    why = trame_missing()
    if why:
        raise ExportError(why)
    component = getattr(plotter, "trame", None)
    if component is None:
        raise ExportError("pyvista did not register its trame component: "
                          "pip install trame-pyvista nest-asyncio2")
    return component.export_html(None).read()


def export_html(result: ResultFolder, view: View, path, size=(1000, 800), *,
                timeout_s: float = 300.0) -> Path:
    """Write ``view`` as a self-contained interactive HTML page (vtk.js, via trame) to ``path``
    atomically; ExportError naming the pip command if trame-pyvista is missing. The export runs
    in a child Python process (see :func:`scene_html` for why), which redraws the view from the
    result folder.

    Example
    -------
    >>> export_html(ResultFolder("results/small"), View(exploded=True), "s.html")  # doctest: +SKIP
    PosixPath('s.html')
    """
    import json
    import subprocess
    import sys

    check_view(result, view)
    path = Path(path)
    if view.kind == "line":
        raise CaseError(result.path, "line", None,
                        detail="a line cut is a 2D plot: write it as PNG, not HTML")
    why = trame_missing()
    if why:
        raise ExportError(f"{path}: {why}")
    with _atomic(path) as tmp:
        job = {"result": str(Path(result.path).resolve()), "out": str(tmp.resolve()),
               "size": list(size), "view": {"field": view.field, "layer": view.layer,
                                            "z_m": view.z_m, "exploded": view.exploded}}
        try:
            proc = subprocess.run([sys.executable, "-m", "wafersolve._html_export",
                                   json.dumps(job)], capture_output=True, text=True,
                                  timeout=timeout_s, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as exc:
            raise ExportError(f"{path}: the HTML export took over {timeout_s:g} s") from exc
        if proc.returncode != 0 or not tmp.is_file() or tmp.stat().st_size == 0:
            lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("wafersolve: ")]
            detail = lines[-1][len("wafersolve: "):] if lines else \
                (proc.stderr.strip().splitlines() or ["no output"])[-1]
            raise ExportError(f"{path}: the HTML export failed: {detail}")
    return path


def show(result: ResultFolder, view: View, size=(1000, 800)) -> None:
    """Open ``view`` in an interactive window (needs a display).

    Example
    -------
    >>> show(ResultFolder("results/small"), View("temperature"))      # doctest: +SKIP
    """
    check_view(result, view)
    if view.kind == "line":
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(size[0] / 100, size[1] / 100), layout="constrained")
        plot_line(ax, result, view.line_m, view.field, layer=view.layer, z_m=view.z_m)
        plt.show()
        return
    plotter = new_plotter(size, off_screen=False)
    add_view(plotter, result, view)
    plotter.show(title=f"wafersolve: {view.field} ({result.path.name})")
