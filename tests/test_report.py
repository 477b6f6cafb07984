"""The HTML report (wafersolve.report and ``wafersolve report``).

The report of a real result folder (``wafersolve run`` of cases/small.toml plus the [io]
section of cases/wse3.toml, then ``wafersolve check``; made once per module) is checked as a
file (self-contained: every image an embedded PNG that decodes, nothing fetched from anywhere;
the key numbers, pass/fail verdicts and the figures are there) and in a real headless browser,
Debian's chromium: the page loads, its inline check counts every figure decoded and no script
error, the DOM holds the key numbers and the screenshot is not blank. The browser tests are
skipped, with the reason, when ``chromium`` is not on PATH (``apt-get install -y chromium``).
"""

from __future__ import annotations

import base64
import html.parser
import io
import re
import shutil
import subprocess

import pytest
from viz_results import distinct_colours, rgb, run_small_io

from wafersolve.cli import main
from wafersolve.errors import ExportError
from wafersolve.report import collect_checks, write_report
from wafersolve.viz_data import ResultFolder

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not on PATH (Debian: apt-get install -y chromium)")


@pytest.fixture(scope="module")
def result(tmp_path_factory) -> ResultFolder:
    return ResultFolder(run_small_io(tmp_path_factory.mktemp("report") / "small_io"))


@pytest.fixture(scope="module")
def report(result, tmp_path_factory):
    """``wafersolve report RESULT_DIR -o report.html``: (path, text)."""
    path = tmp_path_factory.mktemp("page") / "report.html"
    assert main(["report", str(result.path), "-o", str(path)]) == 0
    return path, path.read_text(encoding="utf-8")


class _Tags(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _tags(text: str) -> list[tuple[str, dict]]:
    parser = _Tags()
    parser.feed(text)
    return parser.tags


# -- checks --------------------------------------------------------------------------------------
def test_checks_are_collected_with_units_and_verdicts(result):
    s = result.summary
    checks = {c.name: c for c in collect_checks(s)}
    assert {"wafer_sigma_1", "connector_shear_strain", "connector_gap_change_min", "ocp_flow",
            "ocp_rise", "ashrae_W32"} <= set(checks)
    for name, c in checks.items():
        assert c.passed is s[f"check_{name}_passed"]
    sigma = checks["wafer_sigma_1"]
    assert sigma.limit == "100 MPa" and sigma.sense == "≤" and sigma.actual.endswith(" MPa")
    assert checks["connector_gap_change_min"].sense == "≥"
    assert checks["connector_gap_change_min"].limit == "-50 µm"
    assert checks["ocp_flow"].actual.endswith("L/min per kW") and not checks["ocp_flow"].passed
    assert checks["ashrae_W32"].limit == "32 °C" and checks["ashrae_W32"].margin == "-11 K"


# -- the file ------------------------------------------------------------------------------------
def test_report_is_one_self_contained_file(report):
    from PIL import Image

    path, text = report
    tags = _tags(text)
    images = [a for t, a in tags if t == "img"]
    assert len(images) >= 10  # PyVista maps and matplotlib plots
    for attrs in images:
        src = attrs["src"]
        assert src.startswith("data:image/png;base64,")
        with Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1]))) as im:
            im.verify()
    for tag, attrs in tags:
        for key in ("src", "href"):
            value = attrs.get(key) or ""
            assert not value.startswith(("http:", "https:", "//", "file:")), (tag, value)
        assert tag != "link" and not (tag == "script" and "src" in attrs)
    assert not list(path.parent.glob(".*tmp*"))  # written atomically


def test_report_holds_the_key_numbers_and_verdicts(result, report):
    _, text = report
    s = result.summary
    assert f"{s['T_max_K'] - 273.15:.2f} °C" in text
    assert f"{s['coolant_rise_K']:.2f} K" in text
    assert f"{s['flow_lpm_per_kW']:.4g}" in text
    assert "FAIL" in text and ">pass<" in text
    assert "max principal stress of wafer" in text and "100 MPa" in text
    assert "shear strain of connector" in text
    assert "bandwidth density against GPUs" in text and "b200_nvlink_on_40mm" in text
    for alt in ("per-tile temperature", "coolant along the flow", "hop distances",
                "I/O trade-off", "density against GPUs", 'alt="stress"', 'alt="hops"'):
        assert alt in text, alt
    assert "Case inputs" in text and "775 µm" in text and "elastomer_connector" in text


def test_report_of_a_missing_folder_is_an_export_error(tmp_path):
    with pytest.raises(ExportError, match="no such result folder"):
        write_report(ResultFolder(tmp_path / "none"), tmp_path / "r.html")


def test_report_refuses_a_non_html_output(result, tmp_path, capsys):
    assert main(["report", str(result.path), "-o", str(tmp_path / "r.pdf")]) == 2
    assert "an .html file name" in capsys.readouterr().err


# -- in a real browser ---------------------------------------------------------------------------
def _chromium(*args, tmp_path):
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-extensions", f"--user-data-dir={tmp_path / 'profile'}",
         "--enable-logging=stderr", "--v=0", *args],
        capture_output=True, text=True, timeout=120)


@needs_chromium
def test_browser_loads_the_page_with_every_figure(report, result, tmp_path):
    path, text = report
    proc = _chromium("--virtual-time-budget=5000", "--dump-dom", path.as_uri(), tmp_path=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    dom = proc.stdout
    n_images = len([1 for t, _ in _tags(text) if t == "img"])
    assert 'data-loaded="yes"' in dom
    assert f'<span id="figures-loaded">{n_images} of {n_images}</span>' in dom
    assert '<span id="page-errors">none</span>' in dom
    assert not re.search(r"Uncaught|ERR_FILE_NOT_FOUND|ERR_NAME_NOT_RESOLVED", proc.stderr)
    s = result.summary
    assert f"{s['T_max_K'] - 273.15:.2f} °C" in dom
    assert re.search(r"<td>ocp_flow</td>.*?<td class=\"fail\">FAIL</td>", dom, re.S)
    assert re.search(r"<td>wafer_sigma_1</td>.*?<td class=\"pass\">pass</td>", dom, re.S)


@needs_chromium
def test_browser_screenshot_is_not_blank(report, tmp_path):
    path, _ = report
    shot = tmp_path / "shot.png"
    proc = _chromium(f"--screenshot={shot}", "--window-size=1200,4000",
                     "--hide-scrollbars", "--virtual-time-budget=5000", path.as_uri(),
                     tmp_path=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    image = rgb(shot)
    assert image.shape == (4000, 1200, 3)
    assert distinct_colours(image) > 500  # text, tables, pass/fail colours and the figures
    top = image[:1500]
    assert ((top[..., 0] > 200) & (top[..., 1] < 230) & (top[..., 2] < 230)).any()  # FAIL pink
    assert (image.mean(axis=2) < 100).mean() > 0.01  # dark text and maps, not an empty page
