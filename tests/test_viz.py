"""Viewing result folders (wafersolve.viz, wafersolve.viz_data and ``wafersolve plot``).

Real components only: the result folders are written by the real command line
(``wafersolve run cases/small.toml``, once per module), images are rendered off-screen by VTK
(EGL, no display; every plotter is created with ``off_screen=True``, nothing global is set) and
read back as pixels. The checks: field names resolve to the right array, unit and error; a PNG
has the requested size, many colours, and is bright where the field is high (the hot spots of
the cold-plate heat flux) and dark where it is low; the exploded stack, z slice and line cut
render; the interactive HTML export is written, large and loads no script from the network;
the command line maps mistakes to one-line errors and exit codes, and does not import pyvista
for ``--help``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from viz_results import ROOT, distinct_colours, luminance, rgb, run_small, run_small_io

from wafersolve.cli import main
from wafersolve.errors import CaseError, ExportError
from wafersolve.viz import (
    View,
    add_map,
    add_view,
    export_html,
    new_plotter,
    render_image,
    render_png,
    sample_line,
)
from wafersolve.viz_data import ResultFolder, describe_array, resolve_field


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> ResultFolder:
    return ResultFolder(run_small(tmp_path_factory.mktemp("viz") / "small"))


@pytest.fixture(scope="module")
def small_io(tmp_path_factory) -> ResultFolder:
    return ResultFolder(run_small_io(tmp_path_factory.mktemp("viz_io") / "small_io"))


# -- fields and units ----------------------------------------------------------------------------
def test_aliases_resolve_to_arrays_with_engineering_units(small):
    expected = {
        "temperature": ("T_max_K", "°C"),
        "heat_flux": ("q_coldplate_W_per_m2", "W/cm²"),
        "stress": ("sigma_1_max_wafer_Pa", "MPa"),  # the heated plate layer by default
        "warpage": ("w_wafer_m", "µm"),
        "gap": ("gap_change_connector_m", "µm"),  # the first compliant interface
        "shear_strain": ("shear_strain_connector", "-"),
        "tile_temperature": ("tile_T_max_K", "°C"),
    }
    for alias, (name, unit) in expected.items():
        field = resolve_field(small, alias)
        assert (field.name, field.unit) == (name, unit), alias
        assert field.title.endswith(f"[{unit}]")
    assert resolve_field(small, "temperature", layer="cold_plate").name == "T_max_cold_plate_K"
    assert resolve_field(small, "stress", layer="pcb").name == "sigma_1_max_pcb_Pa"
    assert resolve_field(small, "temperature", volume=True).name == "T_C"
    assert resolve_field(small, "mechanics:w_wafer_m").association == "point"


def test_display_units_convert_from_si():
    assert describe_array("T_max_K").to_display(373.15) == pytest.approx(100.0)
    assert describe_array("sigma_1_max_wafer_Pa").to_display(3.5e6) == pytest.approx(3.5)
    assert describe_array("gap_change_connector_m").to_display(2e-6) == pytest.approx(2.0)
    assert describe_array("q_coldplate_W_per_m2").to_display(5.4e5) == pytest.approx(54.0)
    assert describe_array("hops", "io_layout").title == "mesh hops to the nearest port [hops]"


def test_an_unknown_field_lists_the_valid_ones(small):
    with pytest.raises(CaseError) as err:
        resolve_field(small, "stresss")
    text = str(err.value)
    assert "field = 'stresss'" in text
    for name in ("temperature", "stress", "gap", "T_max_K", "sigma_1_max_wafer_Pa"):
        assert name in text
    assert "hops" not in text.split("expected", 1)[1].split(", ")  # no io_layout.vtr here


def test_an_unknown_layer_lists_the_plate_layers(small):
    with pytest.raises(CaseError, match=r"layer = 'connector': expected one of the plate "
                                        r"layers: pcb, wafer, cold_plate"):
        resolve_field(small, "stress", layer="connector")


def test_missing_or_unreadable_files_are_export_errors(small, tmp_path):
    with pytest.raises(ExportError, match="no such result folder"):
        ResultFolder(tmp_path / "nowhere")
    with pytest.raises(ExportError, match="not a wafersolve result folder"):
        ResultFolder(tmp_path)
    with pytest.raises(ExportError, match=r"io_layout.vtr: no such file.*wafersolve check"):
        small.file("io_layout")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "wafer.vti").write_bytes(b"<?xml version='1.0'?><VTKFile type='ImageData'>")
    with pytest.raises(ExportError, match="wafer.vti: cannot read it"):
        ResultFolder(broken).dataset("wafer")


# -- images --------------------------------------------------------------------------------------
def _pixel(plotter, x_mm: float, y_mm: float, image: np.ndarray):
    from vtkmodules.vtkRenderingCore import vtkCoordinate

    c = vtkCoordinate()
    c.SetCoordinateSystemToWorld()
    c.SetValue(x_mm, y_mm, 0.0)
    px, py = c.GetComputedDisplayValue(plotter.renderer)
    return image[image.shape[0] - 1 - py, px]


def test_a_map_is_coloured_where_the_field_is(small):
    """The cold-plate heat flux peaks over the two hot spots of cases/small.toml (plasma colour
    map: bright yellow at the top, dark blue at the bottom) and is low elsewhere."""
    plotter = new_plotter((640, 520))
    try:
        field = add_map(plotter, small, "heat_flux")
        image = plotter.screenshot(None, return_img=True)
        assert image.shape[:2] == (520, 640)
        hot_a = _pixel(plotter, 60.0, 150.0, image)  # core_cluster_a
        hot_b = _pixel(plotter, 170.0, 50.0, image)  # core_cluster_b
        cold = _pixel(plotter, 100.0, 100.0, image)
        outside = _pixel(plotter, -20.0, 100.0, image)
    finally:
        plotter.close()
    assert field.unit == "W/cm²"
    assert luminance(hot_a) > luminance(cold) + 80
    assert luminance(hot_b) > luminance(cold) + 80
    assert tuple(outside[:3]) == (255, 255, 255)  # white background off the wafer
    assert distinct_colours(image) > 50


def test_render_png_has_the_requested_size_and_is_not_blank(small, tmp_path):
    path = render_png(small, View("temperature"), tmp_path / "T.png", size=(500, 400))
    image = rgb(path)
    assert image.shape == (400, 500, 3)
    assert distinct_colours(image) > 50
    assert (image < 128).any(axis=2).mean() > 0.1  # a dark map, not a white page
    assert not list(tmp_path.glob(".*tmp*"))  # written atomically, nothing left behind


@pytest.mark.parametrize("view", [View("stress", layer="wafer"), View("gap"),
                                  View(z_m=4.4e-3), View("T_K", layer="cold_plate"),
                                  View(exploded=True), View("warpage", exploded=True)],
                         ids=["stress", "gap", "z-slice", "layer-of-3d", "exploded",
                              "exploded-warpage"])
def test_every_view_renders(small, view):
    image = rgb(render_image(small, view, size=(420, 340)))
    assert image.shape == (340, 420, 3)
    assert distinct_colours(image) > 30


def test_add_view_draws_onto_the_plotter_passed_in(small):
    plotter = new_plotter((300, 240))
    try:
        field = add_view(plotter, small, View("displacement"))
        assert field.name == "inplane_wafer_m" and field.unit == "µm"
        assert plotter.scalar_bars  # titled with quantity and unit (drawn as a text above it)
        assert any(field.title in str(a.GetInput()) for a in plotter.renderer.actors.values()
                   if hasattr(a, "GetInput"))
    finally:
        plotter.close()


def test_z_slice_outside_the_stack_is_refused(small):
    with pytest.raises(CaseError, match=r"z = 50 mm is outside the stack: expected 0 to"):
        render_image(small, View(z_m=0.05))


def test_line_cut_through_a_hot_spot(small, tmp_path):
    cut = sample_line(small, (0.0, 0.15, 0.215, 0.15))  # y = 150 mm, through core_cluster_a
    peak = cut.distance_m[np.argmax(cut.values)]
    assert abs(peak - 0.06) < 0.006
    assert cut.values.max() > cut.values[0] + 20  # °C
    path = render_png(small, View(line_m=(0.0, 0.15, 0.215, 0.15)), tmp_path / "cut.png",
                      size=(640, 400))
    assert rgb(path).shape == (400, 640, 3)
    with pytest.raises(CaseError, match="x1 = 300 mm"):
        sample_line(small, (0.0, 0.1, 0.3, 0.1))


def test_hops_map_of_the_io_layout(small_io):
    assert resolve_field(small_io, "hops").source == "io_layout"
    image = rgb(render_image(small_io, View("hops"), size=(400, 320)))
    assert distinct_colours(image) > 50


def test_html_export_is_self_contained(small, tmp_path):
    path = export_html(small, View(exploded=True), tmp_path / "stack.html", size=(640, 480))
    text = path.read_text(encoding="utf-8")
    assert path.stat().st_size > 100_000
    assert text.lstrip().lower().startswith("<!doctype html")
    assert not re.search(r"<script[^>]+src\s*=\s*[\"']?https?://", text, re.I)
    assert not re.search(r"<link[^>]+href\s*=\s*[\"']?https?://", text, re.I)
    assert not list(tmp_path.glob(".*tmp*"))


# -- command line --------------------------------------------------------------------------------
def test_plot_command_writes_png_and_html(small, tmp_path, capsys):
    png, page = tmp_path / "s.png", tmp_path / "s.html"
    code = main(["plot", str(small.path), "--field", "stress", "-o", str(png),
                 "--html", str(page), "--size", "480x360"])
    assert code == 0
    assert rgb(png).shape == (360, 480, 3)
    assert page.stat().st_size > 100_000
    assert capsys.readouterr().out.splitlines() == [f"wrote {png}", f"wrote {page}"]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [(["--field", "nope", "-o", "x.png"], 2, "field = 'nope': expected one of temperature"),
     (["--line", "0,100,215,100", "--html", "x.html"], 2, "--line makes a 2D plot"),
     (["--exploded", "--z-slice", "2", "-o", "x.png"], 2, "exploded stack shows every layer"),
     (["-o", "x.jpg"], 2, "expected a .png file name"),
     ([], 2, "no display"),
     (["--field", "gap", "--layer", "wafer", "-o", "x.png"], 2, "one of the interfaces")],
    ids=["unknown-field", "html-line", "exploded-slice", "not-png", "no-display", "bad-layer"])
def test_plot_mistakes_are_one_line_errors(small, tmp_path, monkeypatch, capsys, args, code,
                                           message):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["plot", str(small.path), *args]) == code
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("wafersolve: ") and message in err[0]
    assert not list(tmp_path.glob("x.*"))


def test_plot_a_missing_folder_is_an_export_error(tmp_path, capsys):
    assert main(["plot", str(tmp_path / "none"), "-o", str(tmp_path / "x.png")]) == 4
    assert "no such result folder" in capsys.readouterr().err


def test_plot_list_names_fields_with_units(small, capsys):
    assert main(["plot", str(small.path), "--list"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^stress\s+max principal stress, wafer \[MPa\]$", out, re.M)
    assert re.search(r"^T_max_K\s+T max of the column \[°C\]$", out, re.M)


def test_help_does_not_import_pyvista():
    code = ("import sys, wafersolve.cli as c; p = c._build_parser(); "
            "p.parse_args(['plot', 'x', '-o', 'y.png']); p.parse_args(['report', 'x']); "
            "print(sorted(m for m in ('pyvista', 'vtkmodules', 'matplotlib') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True).stdout
    assert out.strip() == "[]"


def test_plot_help_documents_the_options():
    out = subprocess.run([sys.executable, "-m", "wafersolve", "plot", "--help"],
                         capture_output=True, text=True, cwd=ROOT, check=True).stdout
    for word in ("RESULT_DIR", "--field", "--layer", "--z-slice", "--line", "--exploded", "-o",
                 "--html", "--size", "WxH"):
        assert word in out
    assert Path(ROOT / "docs" / "visualize.md").is_file()


NO_NETWORK = """
import socket, sys
real = socket.getaddrinfo
def refuse(host, *args, **kwargs):
    if host not in ("127.0.0.1", "localhost", "::1", "0.0.0.0", None):
        print("NETWORK ATTEMPT", host, file=sys.stderr)
        raise OSError("no network in this test")
    return real(host, *args, **kwargs)
socket.getaddrinfo = refuse
from wafersolve._html_export import main
sys.exit(main(sys.argv[1:]))
"""


def test_html_export_makes_no_network_request(small, tmp_path):
    """trame-vtklocal would fetch VTK's WebAssembly bundle from the internet when a trame server
    starts; the export process skips that registration, so no host is ever looked up."""
    import json
    import subprocess
    import sys

    job = {"result": str(small.path), "out": str(tmp_path / "v.html"), "size": [400, 300],
           "view": {"field": "temperature", "layer": None, "z_m": None, "exploded": False}}
    proc = subprocess.run([sys.executable, "-c", NO_NETWORK, json.dumps(job)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "NETWORK ATTEMPT" not in proc.stderr
    assert (tmp_path / "v.html").stat().st_size > 100_000


def test_plot_opens_an_interactive_window_on_a_display(small, tmp_path):
    """With a display (a real X server: Xvfb) and no -o, `wafersolve plot` opens a window."""
    import shutil
    import time

    if shutil.which("Xvfb") is None or shutil.which("xwininfo") is None:
        pytest.skip("needs Xvfb and xwininfo (Debian: apt-get install xvfb x11-utils)")
    display = ":87"
    xvfb = subprocess.Popen(["Xvfb", display, "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    env = {k: v for k, v in os.environ.items() if k != "VTK_DEFAULT_OPENGL_WINDOW"}
    env["DISPLAY"] = display
    plot = None
    try:
        time.sleep(1.0)
        plot = subprocess.Popen([sys.executable, "-m", "wafersolve", "plot", str(small.path),
                                 "--field", "temperature"], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        found = ""
        for _ in range(60):  # up to ~30 s for the window to appear
            time.sleep(0.5)
            tree = subprocess.run(["xwininfo", "-root", "-tree"], env=env, capture_output=True,
                                  text=True, check=False).stdout
            found = next((ln for ln in tree.splitlines() if "wafersolve: temperature" in ln), "")
            if found or plot.poll() is not None:
                break
        assert found, f"no wafersolve window (exit code {plot.poll()})"
    finally:
        if plot is not None:
            plot.kill()
            plot.communicate(timeout=30)  # reaps it and closes the pipe
        xvfb.kill()
        xvfb.wait()
