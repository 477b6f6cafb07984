"""The command line, run as a user runs it: ``python -m wafersolve`` in a subprocess.

Checks the help and version, a full ``run`` of the shipped small case (files, progress on stderr,
summary table on stdout), ``validate``, and that every kind of failure is one message line on
stderr with the documented exit code and no traceback.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import wafersolve

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "cases" / "small.toml"


def wafersolve_cli(*args, cwd=None) -> subprocess.CompletedProcess:
    """Run ``python -m wafersolve ARGS`` with this checkout importable; capture text output."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env["PYTHONIOENCODING"] = "utf-8"
    return subprocess.run(
        [sys.executable, "-m", "wafersolve", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        encoding="utf-8",
        timeout=600,
    )


STAGE = re.compile(r"^\[\s*\d+\.\d\d s\] ")


def assert_one_line_error(proc: subprocess.CompletedProcess, code: int) -> str:
    """Exit ``code``, no traceback, and one error line on stderr after any progress lines."""
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.strip().splitlines() if not STAGE.match(line)]
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("wafersolve: ")
    assert proc.stderr.rstrip().endswith(lines[0])
    return lines[0]


# -- help and version -----------------------------------------------------------------------------
def test_help_lists_the_commands():
    proc = wafersolve_cli("--help")
    assert proc.returncode == 0
    assert proc.stdout.startswith("usage: wafersolve")
    for word in ("run", "validate", "--version", "Exit codes"):
        assert word in proc.stdout


def test_run_help_documents_its_options():
    proc = wafersolve_cli("run", "--help")
    assert proc.returncode == 0
    for word in ("CASE", "--output", "--format", "vtu", "xdmf", "--quiet", "results/<case name>"):
        assert word in proc.stdout


def test_version():
    proc = wafersolve_cli("--version")
    assert proc.returncode == 0
    assert proc.stdout == f"wafersolve {wafersolve.__version__}\n"


def test_console_script_points_at_main():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["wafersolve"] == "wafersolve.cli:main"
    from wafersolve.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0


def test_no_command_prints_usage_and_fails():
    proc = wafersolve_cli()
    assert proc.returncode == 2
    assert "usage: wafersolve" in proc.stderr


# -- run ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    """``wafersolve run cases/small.toml --format vtu --format xdmf`` in an empty folder."""
    cwd = tmp_path_factory.mktemp("run")
    proc = wafersolve_cli("run", SMALL, "--format", "vtu", "--format", "xdmf", cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    summary_files = list((cwd / "results").glob("*/summary.json"))
    assert len(summary_files) == 1, list(cwd.rglob("*"))
    return proc, summary_files[0].parent


def test_run_writes_every_file_into_results_case_name(small_run):
    proc, outdir = small_run
    summary = json.loads(outdir.joinpath("summary.json").read_text(encoding="utf-8"))
    assert outdir.name == summary["case"]
    names = sorted(p.name for p in outdir.iterdir())
    assert names == sorted(
        [
            "summary.json",
            "case_resolved.json",
            "temperature.vtr",
            "wafer.vti",
            "temperature.vtu",
            "temperature.xdmf",
            "temperature.h5",
            "mechanics.vtr",
        ]
    )


def test_run_prints_progress_on_stderr(small_run):
    proc, _ = small_run
    lines = [ln for ln in proc.stderr.strip().splitlines()
             if not ln.startswith("wafersolve: warning: ")]
    assert lines and all(STAGE.match(line) for line in lines), proc.stderr
    text = "\n".join(lines)
    for word in ("loading", "cells", "solving", "solved in", "writing", "wrote"):
        assert word in text
    assert not any(STAGE.match(line) for line in proc.stdout.splitlines())


def test_run_summary_table_agrees_with_summary_json(small_run):
    proc, outdir = small_run
    out = proc.stdout
    summary = json.loads(outdir.joinpath("summary.json").read_text(encoding="utf-8"))
    for word in (
        "power",
        "T max",
        "coolant",
        "inlet",
        "outlet",
        "rise",
        "L/min per kW",
        "W/cm²",
        "CG iterations",
        "wall time",
        "energy balance",
        "output",
    ):
        assert word in out, word
    t_max = re.search(r"T max\s+(-?\d+\.\d+) °C in layer '([^']+)' at x = ([\d.]+) mm", out)
    assert t_max, out
    assert float(t_max.group(1)) == pytest.approx(summary["T_max_K"] - 273.15, abs=0.006)
    assert t_max.group(2) == summary["hotspot_layer"]
    assert float(t_max.group(3)) == pytest.approx(summary["hotspot_x_m"] * 1e3, abs=0.06)
    layers = [k[len("layer_") : -len("_T_max_K")] for k in summary if k.endswith("_T_max_K")]
    assert layers
    for name in layers:
        row = re.search(rf"^\s+{re.escape(name)}\s+(\S+)\s+(\S+)\s+(\S+)$", out, re.M)
        assert row, name
        got = [float(v) for v in row.groups()]
        want = [summary[f"layer_{name}_T_{s}_K"] - 273.15 for s in ("min", "mean", "max")]
        assert got == pytest.approx(want, abs=0.006)
    flux = re.search(r"mean ([\d.]+) W/cm², peak ([\d.]+) W/cm²", out)
    assert float(flux.group(1)) == pytest.approx(
        summary["q_coldplate_mean_W_per_m2"] / 1e4, abs=0.06
    )
    assert str(outdir.relative_to(outdir.parents[1])) in out


def test_run_quiet_into_an_output_folder(tmp_path):
    outdir = tmp_path / "a" / "b"
    proc = wafersolve_cli("run", SMALL, "-o", outdir, "--quiet", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    # quiet drops progress; warnings for the engineer still appear
    assert all(ln.startswith("wafersolve: warning: ") for ln in proc.stderr.splitlines())
    assert sorted(p.name for p in outdir.iterdir()) == sorted(
        ["summary.json", "case_resolved.json", "temperature.vtr", "wafer.vti",
         "mechanics.vtr"]
    )
    assert "T max" in proc.stdout


def test_validate_describes_the_case_without_solving(tmp_path):
    proc = wafersolve_cli("validate", SMALL, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    for word in ("case:", "grid", "cells", "layers", "power", "cooling"):
        assert word in proc.stdout
    assert list(tmp_path.iterdir()) == []


# -- failures -------------------------------------------------------------------------------------
def broken_case(tmp_path: Path) -> tuple[Path, str]:
    """A copy of the small case with its first layer thickness set to -5."""
    text = SMALL.read_text(encoding="utf-8")
    match = re.search(r"^(\s*)(thickness_\w+)(\s*=\s*)[^\s#]+", text, re.M)
    assert match, "cases/small.toml has no thickness_<unit> key"
    bad = text[: match.start()] + f"{match[1]}{match[2]}{match[3]}-5" + text[match.end() :]
    path = tmp_path / "broken.toml"
    path.write_text(bad, encoding="utf-8")
    for extra in SMALL.parent.iterdir():  # files the case refers to (power maps ...)
        if extra.is_file() and extra.suffix != ".toml":
            shutil.copy(extra, tmp_path / extra.name)
    return path, match[2]


@pytest.mark.parametrize("command", ["run", "validate"])
def test_bad_case_is_exit_2_with_file_and_field(tmp_path, command):
    path, key = broken_case(tmp_path)
    options = ("-o", tmp_path / "out") if command == "run" else ()
    proc = wafersolve_cli(command, path, *options, cwd=tmp_path)
    line = assert_one_line_error(proc, 2)
    assert "broken.toml" in line and key in line and "-5" in line, line
    assert not (tmp_path / "out").exists()


def test_bad_case_with_debug_shows_the_traceback(tmp_path):
    path, _ = broken_case(tmp_path)
    proc = wafersolve_cli("run", path, "--debug", "-o", tmp_path / "out", cwd=tmp_path)
    assert proc.returncode == 2
    assert "Traceback" in proc.stderr and "CaseError" in proc.stderr


def test_toml_syntax_error_is_exit_2(tmp_path):
    path = tmp_path / "garbage.toml"
    path.write_text("[stack\nname = = 3\n", encoding="utf-8")
    line = assert_one_line_error(wafersolve_cli("run", path, "--quiet", cwd=tmp_path), 2)
    assert "garbage.toml" in line


def test_missing_case_file_is_a_clear_message(tmp_path):
    line = assert_one_line_error(wafersolve_cli("run", tmp_path / "nope.toml", cwd=tmp_path), 2)
    assert line.endswith("nope.toml: case file not found")


def test_unwritable_output_is_exit_4_before_solving(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    proc = wafersolve_cli("run", SMALL, "-o", blocker / "out", "-q", cwd=tmp_path)
    line = assert_one_line_error(proc, 4)
    assert "export error" in line and "cannot create the output folder" in line


def test_solver_failure_is_exit_3(tmp_path):
    """One CG iteration cannot reach the tolerance: ConvergenceError, exit 3, nothing written."""
    text = SMALL.read_text(encoding="utf-8")
    if re.search(r"^\[solver\]", text, re.M):
        text = re.sub(r"^max_iterations\s*=.*$", "", text, flags=re.M)
        text = re.sub(r"^\[solver\]", "[solver]\nmax_iterations = 1", text, flags=re.M)
    else:
        text += "\n[solver]\nmax_iterations = 1\n"
    path = tmp_path / "one_iteration.toml"
    path.write_text(text, encoding="utf-8")
    for extra in SMALL.parent.iterdir():
        if extra.is_file() and extra.suffix != ".toml":
            shutil.copy(extra, tmp_path / extra.name)
    proc = wafersolve_cli("run", path, "-o", tmp_path / "out", cwd=tmp_path)
    line = assert_one_line_error(proc, 3)
    assert line.startswith("wafersolve: solver error: ")
    assert list((tmp_path / "out").iterdir()) == []


# -- mechanics ----------------------------------------------------------------------------------
def test_run_reports_mechanics_consistently_with_summary_json(small_run):
    proc, outdir = small_run
    summary = json.loads(outdir.joinpath("summary.json").read_text(encoding="utf-8"))
    out = proc.stdout
    assert "mechanics:" in out and "interfaces" in out
    sigma = summary["mech_layer_wafer_sigma_1_max_Pa"] / 1e6
    assert f"{sigma:.2f}" in out
    gamma = summary["mech_interface_connector_shear_strain_max"]
    assert f"{gamma:.4f}" in out
    for check in ("wafer_sigma_1", "connector_shear_strain", "connector_gap_change_max"):
        assert f"check            {check}:" in out
        assert summary[f"check_{check}_passed"] is True
    # the warning on stderr is the one in summary.json
    assert summary["mech_warnings"] == len(summary["mech_warning_texts"]) == 1
    assert f"wafersolve: warning: {summary['mech_warning_texts'][0]}" in proc.stderr


def test_run_no_mechanics_skips_it(tmp_path):
    proc = wafersolve_cli("run", SMALL, "-o", tmp_path / "out", "--no-mechanics", "-q",
                          cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "mechanics:" not in proc.stdout
    assert not (tmp_path / "out" / "mechanics.vtr").exists()
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert not any(k.startswith("mech_") for k in summary)


# -- check ----------------------------------------------------------------------------------------
WSE3 = str(ROOT / "cases" / "wse3.toml")


def test_check_prints_io_density_and_flow_tables(tmp_path):
    proc = wafersolve_cli("check", WSE3, "-o", tmp_path / "out", "--no-runs", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "24 usable, 144 stranded of 168 (edge tiles: 34 of 84)" in out
    assert "150.0 GB/s per direction, 300.0 GB/s both directions" in out
    assert "0.1744 GB/s per mm of wafer edge (860 mm)" in out
    assert "<- MIXED: both directions over per direction" in out  # every ratio names its basis
    assert "check            ocp_flow: 4 <= 1.5 lpm_per_kW: FAIL" in out
    assert "edge I/O trade-off" in out  # the sweep of PHYs per tile edge
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert summary["io_edge_tiles"] == 34 and summary["io_usable"] == 24
    assert summary["io_density_h100_nvlink_wafer_GB_per_s_per_mm"] == pytest.approx(150 / 860)
    assert summary["flow_lpm_per_kW"] == pytest.approx(4.0)
    assert summary["check_ocp_flow_passed"] is False
    bw = [summary[f"io_sweep_{k}_per_edge_bandwidth_per_direction_bit_per_s"] for k in (1, 2, 3)]
    stranded = [summary[f"io_sweep_{k}_per_edge_stranded_area_fraction"] for k in (1, 2, 3)]
    assert bw == sorted(bw) and stranded == sorted(stranded) and bw[0] < bw[2]
    import pyvista as pv

    layout = pv.read(tmp_path / "out" / "io_layout.vtr")
    assert {"tile", "phy", "port", "hops"} <= set(layout.cell_data.keys())


def test_check_runs_the_case_at_other_flows(tmp_path):
    """A run, not a formula: at 1.5 L/min per kW the coolant rises ~9.6 K and the hot spot is
    hotter than at the case's own flow."""
    proc = wafersolve_cli("check", SMALL, "-o", tmp_path, "-q", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "cooling flow at 1.5 L/min per kW (solved)" in proc.stdout
    s = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert s["flow_at_1p5_lpm_per_kW_rise_K"] == pytest.approx(9.6, abs=0.1)
    assert s["flow_at_1p5_lpm_per_kW_hotspot_T_K"] > s["flow_hotspot_T_K"]


def test_run_summary_carries_the_checks(small_run):
    _, outdir = small_run
    summary = json.loads(outdir.joinpath("summary.json").read_text(encoding="utf-8"))
    assert summary["flow_rise_K"] == pytest.approx(summary["coolant_rise_K"])
    assert "check_ocp_rise_passed" in summary
