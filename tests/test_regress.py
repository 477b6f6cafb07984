"""Design regression: baselines, comparisons, ``wafersolve regress`` / ``diff`` and the pytest plugin.

Pins: the default tolerances and directions by key pattern; an identical rerun passes (every
metric "same", timing ignored); a thicker TIM and more power are caught with the right metrics
named (T_max_K worse, power_W changed) and the unchanged ones not named; a missing or corrupt
baseline is an error naming the file, before any solve; ``--update`` writes the baseline, shows
the diff and keeps hand-edited tolerances; golden maps catch a changed field; ``diff`` writes a
readable ``.vti`` whose arrays are B - A and refuses different grids; the assert_design failure
message names the metrics; and the shipped baselines pass (small here, on every CI run; wse3 in
the slow suite).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import tomllib
from dataclasses import replace
from importlib.metadata import distributions
from pathlib import Path

import numpy as np
import pytest

from wafersolve import load_case
from wafersolve.cli import main
from wafersolve.errors import ExportError
from wafersolve.export import read_vtk
from wafersolve.pytest_plugin import assert_design
from wafersolve.regress import (
    Tolerance,
    compare,
    compare_result,
    default_tolerance,
    diff_results,
    direction_of,
    make_baseline,
    read_baseline,
    run_design,
    update_baseline,
    write_baseline,
)

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "cases" / "small.toml"
BASELINES = ROOT / "baselines"


# -- fixtures: the small case solved once, a thicker-TIM variant, a baseline of the first -------
@pytest.fixture(scope="module")
def base_run(tmp_path_factory):
    return run_design(SMALL, tmp_path_factory.mktemp("base") / "small")


@pytest.fixture(scope="module")
def thick_tim_run(tmp_path_factory):
    """The small case with its TIM 30 -> 90 um: hotter wafer, same power and coolant rise."""
    case = load_case(SMALL)
    layers = tuple(replace(la, thickness_m=3 * la.thickness_m) if la.name == "tim" else la
                   for la in case.layers)
    return run_design(replace(case, layers=layers), tmp_path_factory.mktemp("tim") / "small")


@pytest.fixture(scope="module")
def baseline_dir(tmp_path_factory, base_run):
    """A baseline folder holding small.json (+ golden maps) written from ``base_run``."""
    folder = tmp_path_factory.mktemp("baselines")
    update_baseline(base_run.folder, folder / "small.json", case_file=SMALL, fields=True)
    return folder


def tampered(src: Path, dst: Path, **values) -> Path:
    """Copy baseline ``src`` to ``dst`` with some metric values replaced."""
    data = json.loads(src.read_text(encoding="utf-8"))
    for key, value in values.items():
        data["metrics"][key]["value"] = value
    data.pop("fields", None)
    data.pop("fields_file", None)
    dst.write_text(json.dumps(data), encoding="utf-8")
    return dst


# -- default tolerances and directions ----------------------------------------------------------
@pytest.mark.parametrize("key, value, expected", [
    ("T_max_K", 360.0, Tolerance(abs_tol=0.01)),
    ("check_ocp_rise_margin_K", 6.3, Tolerance(abs_tol=0.01)),
    ("mech_layer_wafer_sigma_1_max_Pa", 3.8e6, Tolerance(rel_tol=1e-3, abs_tol=1.0)),
    ("mech_layer_wafer_bow_m", 2.5e-4, Tolerance(rel_tol=1e-3, abs_tol=1e-9)),
    ("coldplate_h_eff_W_per_m2_K", 3e4, Tolerance(rel_tol=1e-4, abs_tol=1e-12)),  # not a T
    ("io_density_edge_per_direction_bit_per_s_per_m", 1.4e12,
     Tolerance(rel_tol=1e-4, abs_tol=1e-12)),  # a density, not a length
    ("power_W", 25300.0, Tolerance(rel_tol=1e-4, abs_tol=1e-12)),
    ("grid_nx", 64, Tolerance(mode="exact")),
    ("check_wafer_sigma_1_passed", True, Tolerance(mode="exact")),
    ("hotspot_layer", "wafer", Tolerance(mode="exact")),
    ("solver_iterations", 28, Tolerance(mode="info")),
    ("mech_iterations", 29, Tolerance(mode="info")),
    ("solver_relative_residual", 3e-9, Tolerance(mode="info")),
    ("solver_outer_change_K", 9e-6, Tolerance(mode="info")),  # a diagnostic, despite _K
    ("energy_balance_relative", 1e-12, Tolerance(mode="info")),
    ("solver_wall_time_s", 0.4, None),
    ("mech_wall_time_s", 0.1, None),
    ("wafersolve_version", "0.1.0", None),
    ("mech_warning_texts", ["text"], None),
])
def test_default_tolerance_by_key_pattern(key, value, expected):
    assert default_tolerance(key, value) == expected


@pytest.mark.parametrize("key, expected", [
    ("T_max_K", "lower"), ("layer_wafer_T_mean_K", "lower"), ("coolant_rise_K", "lower"),
    ("check_wafer_sigma_1_margin", "higher"), ("check_ocp_rise_margin_K", "higher"),
    ("check_ocp_rise_passed", "true"), ("mech_checks_passed", "true"),
    ("mech_layer_wafer_sigma_1_max_Pa", "lower"),
    ("mech_layer_wafer_sigma_2_min_Pa", "smaller_magnitude"),
    ("mech_interface_connector_gap_change_min_m", "smaller_magnitude"),
    ("mech_interface_connector_shear_strain_max", "lower"), ("io_usable", "higher"),
    ("io_stranded_area_m2", "lower"), ("io_hop_mean", "lower"),
    ("power_W", None), ("check_ocp_rise_limit_K", None), ("coolant_inlet_T_K", None),
])
def test_direction_table(key, expected):
    assert direction_of(key) == expected


def test_comparison_statuses_on_synthetic_summaries():
    old = {"T_max_K": 350.0, "check_x_margin": 0.2, "mech_layer_w_sigma_2_min_Pa": -4e6,
           "check_x_passed": True, "power_W": 1000.0, "io_usable": 24, "gone_K": 300.0,
           "solver_iterations": 28, "solver_wall_time_s": 1.0, "case": "demo"}
    base = make_baseline(old)
    new = dict(old, T_max_K=350.009, check_x_margin=0.3, mech_layer_w_sigma_2_min_Pa=-5e6,
               check_x_passed=False, power_W=1100.0, io_usable=24, solver_iterations=29,
               solver_wall_time_s=9.0, brand_new_m=1.0)
    del new["gone_K"]
    c = compare(new, base)
    status = {m.key: m.status for m in c.metrics}
    assert status == {"T_max_K": "same", "check_x_margin": "better",
                      "mech_layer_w_sigma_2_min_Pa": "worse", "check_x_passed": "worse",
                      "power_W": "changed", "io_usable": "same", "gone_K": "missing",
                      "solver_iterations": "info", "brand_new_m": "added"}
    assert sorted(m.key for m in c.regressions) == [
        "check_x_passed", "gone_K", "mech_layer_w_sigma_2_min_Pa", "power_W"]
    power = c.metric("power_W")
    assert power.change == pytest.approx(100.0) and power.relative_change == pytest.approx(0.1)
    # strict: an improvement beyond tolerance means a stale baseline
    assert "check_x_margin" in {m.key for m in compare(new, base, strict=True).regressions}
    # the case name is checked too
    assert compare(dict(old, case="other"), base).metric("case").status == "changed"


# -- baseline files -----------------------------------------------------------------------------
def test_baseline_round_trip_keeps_values_tolerances_and_fields(tmp_path):
    maps = {"T_max_K": np.array([[300.0, 301.5], [302.0, np.nan]])}
    grid = (np.array([0.0, 0.1, 0.2]), np.array([0.0, 0.1, 0.2]))
    b = make_baseline({"T_max_K": 350.0, "grid_nx": 2, "check_a_passed": False,
                       "hotspot_layer": "wafer"}, case="demo", case_file="cases/demo.toml",
                      fields=maps, grid=grid)
    path = write_baseline(b, tmp_path / "demo.json")
    text = path.read_text(encoding="utf-8")
    assert '    "T_max_K": {"value": 350.0, "rel_tol": 0.0, "abs_tol": 0.01}' in text
    back = read_baseline(path)
    assert back.case == "demo" and back.case_file == "cases/demo.toml"
    assert {k: (m.value, m.tolerance) for k, m in back.metrics.items()} == {
        k: (m.value, m.tolerance) for k, m in b.metrics.items()}
    np.testing.assert_array_equal(back.field_values["T_max_K"], maps["T_max_K"])
    assert not compare({"T_max_K": 350.0, "grid_nx": 2, "check_a_passed": False,
                        "hotspot_layer": "wafer"}, back, fields=maps, grid=grid).regressed


@pytest.mark.parametrize("content, message", [
    ('{"format": "wafersolve-baseline/1", "metrics": {', "not valid JSON"),
    ("[1, 2]", "format = 'list': expected 'wafersolve-baseline/1'"),
    ('{"format": "something-else", "metrics": {}}', "format = 'something-else'"),
    ('{"format": "wafersolve-baseline/1"}', "metrics: expected an object"),
    ('{"format": "wafersolve-baseline/1", "metrics": {"T_max_K": 350}}',
     "metrics.T_max_K = 350: expected an object with a value"),
    ('{"format": "wafersolve-baseline/1", "metrics": {"T_max_K": {"value": 1, "abs_tol": -1}}}',
     "metrics.T_max_K.abs_tol = -1: expected a number >= 0"),
    ('{"format": "wafersolve-baseline/1", "metrics": {"T_max_K": {"value": 1, "tol": 1}}}',
     "metrics.T_max_K.tol: unknown key"),
    ('{"format": "wafersolve-baseline/1", "metrics": {}, "fields": {"T_max_K": {"abs_tol": 1}},'
     ' "fields_file": "gone.npz"}', "gone.npz: no such file"),
])
def test_corrupt_baseline_is_an_error_naming_the_file(tmp_path, content, message):
    path = tmp_path / "small.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ExportError) as err:
        read_baseline(path)
    assert str(path.parent) in str(err.value) and message in str(err.value)


def test_missing_baseline_is_an_error_naming_the_file(tmp_path):
    with pytest.raises(ExportError, match=r"small\.json: no such baseline file .*--update"):
        read_baseline(tmp_path / "small.json")


# -- the command line ---------------------------------------------------------------------------
def test_ci_regression_small_case_against_shipped_baseline(tmp_path, capsys):
    """The project's own design regression: cases/small.toml against baselines/small.json."""
    code = main(["regress", str(SMALL), "--baseline", str(BASELINES), "-o", str(tmp_path),
                 "--quiet"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "small against" in out and "no regression" in out
    saved = json.loads((tmp_path / "small" / "comparison.json").read_text(encoding="utf-8"))
    assert saved["regressed"] is False and saved["fields"]  # the golden maps were compared


def test_shipped_baselines_are_well_formed():
    for path in sorted(BASELINES.glob("*.json")):
        b = read_baseline(path)
        assert path.stem == b.case and (ROOT / b.case_file).is_file()
        assert not any("wall_time" in k for k in b.metrics)


@pytest.mark.parametrize("content", [None, "{ not json", '{"format": "x"}'])
def test_regress_cli_missing_or_corrupt_baseline_fails_before_solving(tmp_path, capsys, content):
    if content is not None:
        (tmp_path / "small.json").write_text(content, encoding="utf-8")
    code = main(["regress", str(SMALL), "--baseline", str(tmp_path), "-o", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert code == 4
    lines = [ln for ln in err.splitlines() if ln.startswith("wafersolve: ")]
    assert len(lines) == 1 and str(tmp_path / "small.json") in lines[0], err
    assert "solving" not in err and not (tmp_path / "r").exists()


def test_more_power_is_caught_then_accepted_with_update(tmp_path, capsys, base_run):
    bdir = tmp_path / "baselines"
    update_baseline(base_run.folder, bdir / "small.json", case_file=SMALL)
    data = json.loads((bdir / "small.json").read_text(encoding="utf-8"))
    data["metrics"]["mech_dofs"]["info"] = True  # a hand edit that --update must keep
    del data["metrics"]["mech_dofs"]["exact"]
    (bdir / "small.json").write_text(json.dumps(data), encoding="utf-8")
    case = tmp_path / "small.toml"
    case.write_text(SMALL.read_text(encoding="utf-8").replace("total_kW = 25", "total_kW = 30"),
                    encoding="utf-8")
    args = ["regress", str(case), "--baseline", str(bdir), "-o", str(tmp_path / "r"), "-q"]

    assert main(args) == 5
    out, err = capsys.readouterr()
    rows = {ln.split()[0]: ln.split()[-1] for ln in out.splitlines()[2:]}
    assert rows["T_max_K"] == "worse" and rows["coolant_rise_K"] == "worse"
    assert rows["power_W"] == "changed" and rows["check_wafer_sigma_1_margin"] == "worse"
    assert "grid_nx" not in rows and "solver_wall_time_s" not in rows
    assert out.startswith("small against") and "REGRESSION" in out.splitlines()[0]
    assert "regression in small" in err
    saved = json.loads((tmp_path / "r" / "small" / "comparison.json").read_text("utf-8"))
    assert saved["regressed"] and {m["key"] for m in saved["metrics"] if m["regression"]} >= {
        "T_max_K", "power_W"}

    assert main([*args, "--update", "--field", "T_max_K"]) == 0
    out = capsys.readouterr().out
    assert "small.json: updated" in out and "T_max_K" in out  # the diff it shows
    new = read_baseline(bdir / "small.json")
    assert new.metrics["power_W"].value == pytest.approx(30300.0)
    assert new.metrics["mech_dofs"].tolerance.mode == "info"  # the hand edit survived
    assert list(new.fields) == ["T_max_K"] and (bdir / "small.fields.npz").is_file()
    written = (bdir / "small.json").stat().st_mtime_ns
    assert main([*args, "--update"]) == 0  # same values again: reported, file not rewritten
    assert "small.json: unchanged" in capsys.readouterr().out
    assert (bdir / "small.json").stat().st_mtime_ns == written


# -- the library: reruns, variants, fields ------------------------------------------------------
def test_identical_rerun_passes(baseline_dir):
    """assert_design solves the case again: every metric and map the same, timing ignored."""
    comparison = assert_design(SMALL, baseline=baseline_dir / "small.json")
    assert not comparison.regressed
    assert set(comparison.counts()) == {"same"}, comparison.format_table()
    assert comparison.metric("T_max_K").change == 0.0
    assert len(comparison.fields) == 8


def test_thicker_tim_is_caught_with_the_right_metrics(baseline_dir, thick_tim_run):
    c = compare_result(thick_tim_run.folder, read_baseline(baseline_dir / "small.json"))
    status = {m.key: m.status for m in c.metrics}
    assert c.regressed
    for key in ("T_max_K", "layer_wafer_T_max_K", "layer_tim_T_max_K", "tile_T_max_max_K"):
        assert status[key] == "worse", key
    assert c.metric("T_max_K").change > 1.0
    for key in ("power_W", "coolant_rise_K", "grid_cells"):  # same power and flow
        assert status[key] == "same", key
    field = next(f for f in c.fields if f.key == "T_max_K")
    assert field.regression and field.max_abs_change > 1.0 and field.at_m is not None


def test_golden_map_change_alone_is_caught(tmp_path, base_run, baseline_dir):
    base = read_baseline(baseline_dir / "small.json")
    maps = dict(base.field_values)
    maps["T_max_K"] = maps["T_max_K"].copy()
    maps["T_max_K"][10, 20] -= 0.5  # one cell of the golden map differs by 0.5 K
    path = write_baseline(replace(base, field_values=maps), tmp_path / "small.json")
    c = compare_result(base_run.folder, read_baseline(path))
    assert [m.key for m in c.regressions] == ["T_max_K"]
    f = c.regressions[0]
    assert f.max_abs_change == pytest.approx(0.5) and "field T_max_K" in c.format_table()
    x = read_vtk(base_run.folder / "wafer.vti").x_edges_m
    assert f.at_m[0] == pytest.approx(0.5 * (x[20] + x[21]))


def test_assert_design_failure_message_is_readable(tmp_path, base_run, baseline_dir):
    path = tampered(baseline_dir / "small.json", tmp_path / "small.json",
                    T_max_K=360.0, mech_layer_wafer_sigma_1_max_Pa=4.5e6)
    with pytest.raises(AssertionError) as err:
        assert_design(SMALL, baseline=path)
    text = str(err.value)
    first, second = text.splitlines()[:2]
    assert first.startswith(f"design 'small' regressed against {path}: ")
    assert second.startswith("regressed: ") and "T_max_K (worse)" in second
    assert "mech_layer_wafer_sigma_1_max_Pa (better)" not in second  # better, not a regression
    assert "mech_layer_wafer_sigma_1_max_Pa" in text  # but shown
    assert "wafersolve regress" in text and "--update" in text
    assert "solver_wall_time_s" not in text


def test_assert_design_missing_baseline_is_an_error_before_solving(tmp_path):
    with pytest.raises(ExportError, match="no such baseline file"):
        assert_design(tmp_path / "no_such_case.toml", baseline=tmp_path / "none.json")


def test_pytest_plugin_fixture_in_another_suite(tmp_path, baseline_dir):
    """A team's own suite: the fixture comes from the plugin, the failure names the metrics."""
    path = tampered(baseline_dir / "small.json", tmp_path / "small.json", T_max_K=360.0)
    (tmp_path / "test_design.py").write_text(textwrap.dedent(f"""
        def test_small_design(assert_design):
            assert_design({str(SMALL)!r}, baseline={str(path)!r})
    """), encoding="utf-8")
    # pytest loads every installed distribution's pytest11 entry points (as pluggy does, without
    # de-duplication); where wafersolve is installed with this plugin, it must come from there
    registered = any(ep.group == "pytest11" and ep.value == "wafersolve.pytest_plugin"
                     for dist in distributions() for ep in dist.entry_points)
    plugin = [] if registered else ["-p", "wafersolve.pytest_plugin"]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p))
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           *plugin, "test_design.py"], cwd=tmp_path, env=env,
                          capture_output=True, encoding="utf-8", timeout=600)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "design 'small' regressed against" in proc.stdout
    assert "regressed: T_max_K (worse)" in proc.stdout
    assert "--wafersolve-update-baselines" in proc.stdout


def test_pyproject_registers_the_pytest_plugin():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert meta["entry-points"]["pytest11"] == {"wafersolve": "wafersolve.pytest_plugin"}


# -- diff ---------------------------------------------------------------------------------------
def test_diff_writes_b_minus_a_as_vti(tmp_path, capsys, base_run, thick_tim_run):
    out = tmp_path / "diff" / "tim.vti"
    assert main(["diff", str(base_run.folder), str(thick_tim_run.folder), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "T_max_K" in printed and "worse" in printed
    a = read_vtk(base_run.folder / "wafer.vti").cell_data
    b = read_vtk(thick_tim_run.folder / "wafer.vti").cell_data
    d = read_vtk(out)
    assert set(d.cell_data) == set(a) & set(b)
    for name, arr in d.cell_data.items():
        np.testing.assert_array_equal(arr, b[name] - a[name], err_msg=name)
    assert d.field_data["diff"][0] == "B - A"
    import pyvista as pv

    assert pv.read(out).n_cells == a["T_max_K"].size
    summary = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    assert summary["fields"]["T_max_K"]["max_abs_change"] == pytest.approx(
        float(np.max(np.abs(b["T_max_K"] - a["T_max_K"]))))
    scalars = {m["key"]: m for m in summary["scalars"]}
    assert scalars["T_max_K"]["status"] == "worse" and scalars["power_W"]["status"] == "same"


def test_diff_refuses_different_grids(tmp_path, base_run):
    coarse = replace(load_case(SMALL), grid=replace(load_case(SMALL).grid, nx=32, ny=32))
    other = run_design(coarse, tmp_path / "coarse", mechanics=False)
    with pytest.raises(ExportError, match="grids differ .64 x 64 cells.* vs 32 x 32 cells"):
        diff_results(base_run.folder, other.folder, tmp_path / "d.vti")
    with pytest.raises(ExportError, match="no such result folder"):
        diff_results(base_run.folder, tmp_path / "nothing")


# -- the shipped WSE-3 case (about 15 s) --------------------------------------------------------
@pytest.mark.slow
def test_wse3_regression_against_shipped_baseline():
    comparison = assert_design(ROOT / "cases" / "wse3.toml", baseline=BASELINES / "wse3.json")
    assert not comparison.regressed
