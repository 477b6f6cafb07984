"""Design-space sweeps: specs, overrides, a real Dask LocalCluster, resuming, failures, tables.

Pins: ``KEY=a:b:n`` ranges and ``KEY=v1,v2`` lists parse to the right values and bad specs are
CaseErrors naming the spec; layer, interface, PHY, hot-spot and contact keys resolve by name
and a key in another unit replaces the case's spelling; a misspelled key fails before any
solve. On a real LocalCluster (2 workers x 1 thread, module-scoped), a sweep of the small case's
flow gives the same summary metrics as the same variants run one by one with ``run_design`` on
case files edited by hand; a variant with a negative TIM thickness or too few CG iterations
fails with its message while the others finish; deleting one variant's record makes a rerun
solve that one only; the CSV and Parquet tables read back with one row per variant; the
command line runs end to end on a cluster of its own, and bad specs exit 2 before any solve; a
sweep process interrupted with SIGINT part way exits 130 and resumes with only the unfinished
variants. The slow suite also kills one (SIGKILL) and runs on ``dask scheduler`` + ``dask
worker`` processes started apart, configured as docs/sweeps.md says.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from wafersolve import sweep
from wafersolve.cli import main
from wafersolve.errors import CaseError, WafersolveError
from wafersolve.export import read_summary
from wafersolve.regress import run_design
from wafersolve.sweep import (
    Variant,
    apply_overrides,
    load_variant,
    parse_vary,
    plan_sweep,
    product_variants,
    read_variant_table,
    resolve_key,
    run_sweep,
    variant_id,
)
from wafersolve.sweep_output import pareto_front, parse_pareto, plot_metrics, write_tables

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "cases" / "small.toml"
WSE3 = ROOT / "cases" / "wse3.toml"
FLOWS = (40, 80, 120, 160)
TIMING = ("solver_wall_time_s", "mech_wall_time_s")


# -- spec parsing -------------------------------------------------------------------------------
def test_range_gives_n_values_from_a_to_b_inclusive():
    assert parse_vary("cooling.flow_lpm=40:160:7").values == (40, 60, 80, 100, 120, 140, 160)
    assert parse_vary("cooling.flow_lpm=40:160:2").values == (40, 160)
    assert parse_vary("power.total_kW=20:25:3").values == (20.0, 22.5, 25.0)
    tim = parse_vary("stack.tim.thickness_um=0.1:0.3:3").values
    assert tim == (0.1, 0.2, 0.3) and all(isinstance(v, float) for v in tim)
    assert parse_vary("a.b=10:0:3").values == (10, 5, 0)  # descending is fine
    assert parse_vary("a.b=1:2:3").values == (1.0, 1.5, 2.0)  # not integral: floats


def test_lists_of_numbers_strings_and_booleans():
    assert parse_vary("stack.tim.thickness_um=25,50,100").values == (25, 50, 100)
    assert parse_vary("cooling.coolant=water,pg25").values == ("water", "pg25")
    assert parse_vary("solver.temperature_dependent_k=true,false").values == (True, False)
    assert parse_vary('case.name="100",x').values == ("100", "x")
    assert parse_vary("cooling.h_W_per_m2_K=1e4, 3e4").values == (1e4, 3e4)
    assert parse_vary("cooling.flow_lpm=100").values == (100,)


@pytest.mark.parametrize("spec, fragment", [
    ("cooling.flow_lpm", "expected KEY=a:b:n"),
    ("=1,2", "expected KEY=a:b:n"),
    ("cooling.flow_lpm=", "expected values after '='"),
    ("cooling.flow_lpm=40:160", "cooling.flow_lpm = '40:160': expected a range a:b:n"),
    ("cooling.flow_lpm=40:160:1", "for one value write it alone"),
    ("cooling.flow_lpm=40:160:x", "cooling.flow_lpm = '40:160:x': expected a range"),
    ("cooling.flow_lpm=40:160:2.5", "expected a range"),
    ("cooling.flow_lpm=a:160:3", "expected a range"),
    ("cooling.flow_lpm=40:40:3", "a != b"),
    ("cooling.flow_lpm=40,nan", "'nan': expected a finite number"),
    ("cooling.flow_lpm=40,,60", "without empty items"),
    ("cooling.flow_lpm=40,40", "40 is repeated"),
    ("flow_lpm=40,60", "flow_lpm: expected a dotted key section.key"),
    ("cooling..flow_lpm=4", "expected a dotted key"),
])
def test_bad_specs_are_case_errors_naming_the_spec(spec, fragment):
    with pytest.raises(CaseError) as err:
        parse_vary(spec)
    text = str(err.value)
    assert text.startswith("--vary"), text
    assert fragment in text, text


def test_the_same_key_varied_twice_is_an_error():
    with pytest.raises(CaseError, match="cooling.flow_lpm: varied twice"):
        product_variants([parse_vary("cooling.flow_lpm=1,2"), parse_vary("cooling.flow_lpm=3")])


def test_cartesian_product_order_and_stable_ids():
    vs = product_variants([parse_vary("cooling.flow_lpm=40:160:7"),
                           parse_vary("stack.tim.thickness_um=25,50,100")])
    assert len(vs) == 21
    assert vs[0].overrides == (("cooling.flow_lpm", 40), ("stack.tim.thickness_um", 25))
    assert vs[1].overrides == (("cooling.flow_lpm", 40), ("stack.tim.thickness_um", 50))
    assert len({v.id for v in vs}) == 21
    # the id depends on the overrides only, not on their order or on the other variants
    swapped = Variant((("stack.tim.thickness_um", 25), ("cooling.flow_lpm", 40)))
    assert swapped.id == vs[0].id == variant_id(vs[0].overrides)
    assert Variant((("cooling.flow_lpm", 41),)).id != Variant((("cooling.flow_lpm", 40),)).id
    assert vs[0].folder("out") == Path("out") / "variants" / vs[0].id


# -- keys and overrides -------------------------------------------------------------------------
def _doc(path=SMALL):
    import tomllib

    return tomllib.loads(path.read_text())


@pytest.mark.parametrize("key, field_path", [
    ("cooling.flow_lpm", "cooling.flow_lpm"),
    ("stack.tim.thickness_um", "stack.layers[3].thickness_um"),
    ("stack.layers.tim.thickness_um", "stack.layers[3].thickness_um"),
    ("mechanics.interfaces.tim.normal_modulus_MPa", "mechanics.interfaces[1].normal_modulus_MPa"),
    ("mechanics.allowables.stress_MPa.wafer", "mechanics.allowables.stress_MPa.wafer"),
    ("power.hotspots.core_cluster_b.power_W", "power.hotspots[1].power_W"),
    ("stack.contacts.wafer/tim.resistance_mm2_K_per_W", "stack.contacts[0].resistance_mm2_K_per_W"),
    ("solver.rtol", "solver.rtol"),  # a table the case does not have is created
])
def test_keys_resolve_by_name_to_the_case_field(key, field_path):
    assert resolve_key(_doc(), key)[2] == field_path


def test_overrides_reach_the_case_in_si():
    text = SMALL.read_text()
    case = load_variant(text, [("stack.tim.thickness_um", 50), ("cooling.flow_lpm", 60),
                               ("mechanics.interfaces.connector.shear_modulus_MPa", 2.5),
                               ("power.total_kW", 20)], base_dir=SMALL.parent)
    assert next(la for la in case.layers if la.name == "tim").thickness_m == pytest.approx(50e-6)
    assert case.cooling.flow_m3_per_s == pytest.approx(60e-3 / 60)
    itf = next(i for i in case.mechanics.interfaces if i.layer == "connector")
    assert itf.shear_stiffness_Pa_per_m == pytest.approx(2.5e6 / 1e-3)  # G / connector height
    assert case.power.total_W == pytest.approx(20e3 + 300)  # plus the two 150 W hot spots


def test_a_key_in_another_unit_replaces_the_cases_spelling():
    doc = apply_overrides(_doc(), [("stack.pcb.thickness_um", 1600),
                                   ("cooling.flow_m3_per_s", 1e-3)])
    pcb = doc["stack"]["layers"][0]
    assert "thickness_mm" not in pcb and pcb["thickness_um"] == 1600
    assert "flow_lpm" not in doc["cooling"]
    case = load_variant(SMALL.read_text(), [("stack.pcb.thickness_um", 1600)],
                        base_dir=SMALL.parent)
    assert case.layers[0].thickness_m == pytest.approx(1.6e-3)


def test_phy_keys_resolve_by_name_on_the_wse3_case():
    case = load_variant(WSE3.read_text(), [("io.phys.north_link.lanes", 4)], base_dir=WSE3.parent)
    lanes = {p.name: p.lanes for p in case.io.phys}
    assert lanes == {"north_link": 4, "south_link": 2}


@pytest.mark.parametrize("key, fragment", [
    ("stack.tm.thickness_um", "no entry named 'tm' in [[stack.layers]] (names: 'pcb', "
                              "'connector', 'wafer', 'tim', 'cold_plate')"),
    ("mechanics.interfaces.wafer.normal_modulus_MPa", "no entry named 'wafer' in "
                                                      "[[mechanics.interfaces]]"),
    ("stack.tim", None),  # caught by plan_sweep: an unknown key of [stack]
    ("power.hotspots.core_cluster_a", "names an entry of [[power.hotspots]]: give one of its keys"),
    ("cooling.flow_lpm.x", "cooling.flow_lpm is a value, not a table"),
])
def test_keys_that_address_nothing_are_case_errors(key, fragment):
    if fragment is None:
        with pytest.raises(CaseError, match=r"--vary stack.tim: .*stack.tim = 1: unknown key"):
            plan_sweep(SMALL, [Variant(((key, 1),))], outdir="unused")
        return
    with pytest.raises(CaseError) as err:
        apply_overrides(_doc(), [(key, 1)])
    assert fragment in str(err.value) and key in str(err.value)


def test_misspelled_keys_fail_before_any_solve(tmp_path):
    for key, hint in (("cooling.flow_lmp", "unknown unit suffix 'lmp'"),
                      ("coolng.flow_lpm", "unknown section, did you mean 'cooling'?"),
                      ("stack.tim.thicknes_um", "did you mean 'thickness_um'?")):
        with pytest.raises(CaseError) as err:
            plan_sweep(SMALL, product_variants([parse_vary(f"{key}=1,2")]), outdir=tmp_path)
        assert str(err.value).startswith(f"--vary {key}: ") and hint in str(err.value)
    assert not (tmp_path / "variants").exists()
    # a bad value is not a bad key: that variant fails when it runs
    plan = plan_sweep(SMALL, product_variants([parse_vary("stack.tim.thickness_um=-5,30")]),
                      outdir=tmp_path)
    assert len(plan.variants) == 2


def test_variant_table_csv(tmp_path):
    table = tmp_path / "variants.csv"
    table.write_text("# flow and TIM\ncooling.flow_lpm,stack.tim.thickness_um\n60,25\n100,\n"
                     "140,water\n")
    vs = read_variant_table(table)
    assert [v.overrides for v in vs] == [
        (("cooling.flow_lpm", 60), ("stack.tim.thickness_um", 25)),
        (("cooling.flow_lpm", 100),),
        (("cooling.flow_lpm", 140), ("stack.tim.thickness_um", "water"))]
    for text, fragment in (("a.b,c.d\n1\n", "row 2 = ['1']: expected 2 cells"),
                           ("a.b\n1\n1\n", "row 3 = ['1']: the same variant as row 2"),
                           ("a.b,a.b\n1,2\n", "a.b: column given twice"),
                           ("flow\n1\n", "flow: expected a dotted key"),
                           ("a.b\n", "no variants"), ("", "empty variant table")):
        table.write_text(text)
        with pytest.raises(CaseError) as err:
            read_variant_table(table)
        assert str(err.value).startswith(str(table)) and fragment in str(err.value), err.value


def test_pareto_front_and_senses():
    assert pareto_front([1, 2, 3, 2.5], [3, 1, 0.5, 2]) == [True, True, True, False]
    assert pareto_front([1, 1], [2, 2]) == [True, True]  # equal points do not dominate
    assert pareto_front([], []) == []
    assert parse_pareto("T_max_K,io_usable") == (("T_max_K", "min"), ("io_usable", "max"))
    with pytest.raises(CaseError, match="--pareto"):
        parse_pareto("T_max_K")
    with pytest.raises(CaseError, match="a sense min or max"):
        parse_pareto("T_max_K:low,io_usable")


# -- on a real LocalCluster ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def client():
    with sweep.local_cluster(2) as c:
        yield c


@pytest.fixture(scope="module")
def flow_sweep(client, tmp_path_factory):
    """Four flows of the small case (with its mechanics) on the cluster."""
    plan = plan_sweep(SMALL, product_variants([parse_vary("cooling.flow_lpm=40:160:4")]),
                      outdir=tmp_path_factory.mktemp("flow") / "sweep")
    return run_sweep(plan, client=client)


@pytest.fixture(scope="module")
def serial_runs(tmp_path_factory):
    """The same flows, each a case file edited by hand and solved by run_design."""
    root = tmp_path_factory.mktemp("serial")
    text = SMALL.read_text()
    assert text.count("flow_lpm = 100") == 1
    out = {}
    for flow in FLOWS:
        case = root / f"small_{flow}.toml"
        case.write_text(text.replace("flow_lpm = 100", f"flow_lpm = {flow}"))
        run = run_design(case, root / f"run_{flow}")
        out[flow] = read_summary(run.folder / "summary.json")
    return out


def test_worker_config_reaches_the_workers(client):
    envs = client.run(lambda: {k: os.environ.get(k) for k in
                               ("MALLOC_TRIM_THRESHOLD_", "OMP_NUM_THREADS",
                                "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")})
    assert len(envs) == 2
    for env in envs.values():
        assert env["MALLOC_TRIM_THRESHOLD_"] is None
        assert env["OMP_NUM_THREADS"] == env["OPENBLAS_NUM_THREADS"] == "1"
    info = client.scheduler_info()["workers"]
    assert [w["nthreads"] for w in info.values()] == [1, 1]
    assert sweep.check_workers(client) == []


def test_cluster_sweep_matches_the_same_variants_run_serially(flow_sweep, serial_runs):
    assert flow_sweep.counts() == {"ok": 4, "failed": 0, "resumed": 0, "not run": 0}
    assert not flow_sweep.interrupted
    assert len({o.worker for o in flow_sweep.outcomes}) >= 1
    for o, flow in zip(flow_sweep.outcomes, FLOWS, strict=True):
        assert dict(o.overrides) == {"cooling.flow_lpm": flow}
        ref = serial_runs[flow]
        numeric = [k for k, v in ref.items() if isinstance(v, int | float) and k not in TIMING]
        assert len(numeric) > 200
        for k in numeric:
            assert o.metrics[k] == pytest.approx(ref[k], rel=1e-9, abs=1e-12), k
        # and the folder holds what `wafersolve run` writes, plus the record
        folder = Path(o.folder)
        names = {p.name for p in folder.iterdir()}
        assert {"summary.json", "case_resolved.json", "temperature.vtr", "wafer.vti",
                "mechanics.vtr", "variant.json"} <= names
        record = json.loads((folder / "variant.json").read_text())
        assert record["status"] == "ok" and record["overrides"] == {"cooling.flow_lpm": flow}
    t_max = [o.metrics["T_max_K"] for o in flow_sweep.outcomes]
    assert t_max == sorted(t_max, reverse=True)  # more flow, cooler


def test_tables_read_back_with_one_row_per_variant(flow_sweep):
    paths = write_tables(flow_sweep)
    table = pq.read_table(paths["parquet"])
    assert table.num_rows == 4
    assert json.loads(table.schema.metadata[b"wafersolve:parameters"]) == ["cooling.flow_lpm"]
    cols = table.column_names
    assert cols[:4] == ["variant_id", "status", "resumed", "cooling.flow_lpm"]
    assert table.column("cooling.flow_lpm").to_pylist() == list(FLOWS)
    assert table.column("status").to_pylist() == ["ok"] * 4
    ref = [o.metrics["T_max_K"] for o in flow_sweep.outcomes]
    assert table.column("T_max_K").to_pylist() == ref
    assert str(table.schema.field("T_max_K").type) == "double"
    assert str(table.schema.field("grid_nx").type) == "int64"
    assert str(table.schema.field("mech_checks_passed").type) == "bool"
    with open(paths["csv"], newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 4 and list(rows[0]) == cols
    assert [float(r["T_max_K"]) for r in rows] == ref  # every digit kept
    assert [r["variant_id"] for r in rows] == [o.variant_id for o in flow_sweep.outcomes]
    with open(paths["failed"], newline="") as fh:
        assert list(csv.reader(fh)) == [["variant_id", "cooling.flow_lpm", "error_type", "error",
                                         "folder"]]


def test_plots_of_metrics_against_parameters(flow_sweep, tmp_path):
    paths = plot_metrics(flow_sweep, ["T_max_K", "no_such_metric"], tmp_path)
    assert [p.name for p in paths] == ["T_max_K__cooling.flow_lpm.png"]
    assert paths[0].read_bytes()[:4] == b"\x89PNG"


def test_a_failing_variant_is_isolated(client, tmp_path):
    vs = product_variants([parse_vary("stack.tim.thickness_um=-5,30"),
                           parse_vary("cooling.flow_lpm=60,120")])
    vs += (Variant((("solver.max_iterations", 1),)),)
    plan = plan_sweep(SMALL, vs, outdir=tmp_path / "sweep")
    result = run_sweep(plan, client=client)
    assert result.counts() == {"ok": 2, "failed": 3, "resumed": 0, "not run": 0}
    by_id = {o.variant_id: o for o in result.outcomes}
    for v in vs[:2]:
        o = by_id[v.id]
        assert o.status == "failed" and o.error_type == "CaseError" and not o.metrics
        assert o.error == f"{SMALL}: stack.layers[3].thickness_um = -5: expected a number > 0"
        record = json.loads((Path(o.folder) / "variant.json").read_text())
        assert record["status"] == "failed" and record["error"] == o.error
    stalled = by_id[vs[-1].id]
    assert stalled.error_type == "ConvergenceError"
    assert "did not reach rtol" in stalled.error
    assert [by_id[v.id].status for v in vs[2:4]] == ["ok", "ok"]
    paths = write_tables(result)
    with open(paths["failed"], newline="") as fh:
        failed = list(csv.DictReader(fh))
    assert [r["variant_id"] for r in failed] == [vs[0].id, vs[1].id, vs[-1].id]
    assert failed[0]["error"].endswith("thickness_um = -5: expected a number > 0")
    table = pq.read_table(paths["parquet"])
    assert table.column("status").to_pylist() == ["failed", "failed", "ok", "ok", "failed"]
    assert table.column("T_max_K").to_pylist()[0] is None
    # a rerun retries the failed variants only: the finished ones are not solved again
    again = run_sweep(plan, client=client)
    assert {o.variant_id for o in again.solved} == {vs[0].id, vs[1].id, vs[-1].id}


def test_resume_reruns_only_the_unfinished_variant(flow_sweep, client):
    plan = flow_sweep.plan
    unfinished = flow_sweep.outcomes[2]
    folder = Path(unfinished.folder)
    (folder / "variant.json").unlink()  # as if the run had died while writing it
    kept = {o.variant_id: (Path(o.folder) / "summary.json").stat().st_mtime_ns
            for o in flow_sweep.outcomes if o is not unfinished}
    again = run_sweep(plan, client=client)
    assert again.counts() == {"ok": 1, "failed": 0, "resumed": 3, "not run": 0}
    assert [o.variant_id for o in again.solved] == [unfinished.variant_id]
    for vid, mtime in kept.items():
        assert again.outcome(vid).resumed
        assert (Path(again.outcome(vid).folder) / "summary.json").stat().st_mtime_ns == mtime
    assert again.outcome(unfinished.variant_id).metrics["T_max_K"] == \
        unfinished.metrics["T_max_K"]
    # a different case text, or a different mechanics setting, is not "finished"
    other = sweep.SweepPlan(plan.case_label, plan.case_text + "\n# edited\n", plan.base_dir,
                            plan.case_name, plan.variants, plan.outdir, plan.mechanics)
    assert all(sweep.finished_outcome(other, v) is None for v in plan.variants)
    thermal = sweep.SweepPlan(plan.case_label, plan.case_text, plan.base_dir, plan.case_name,
                              plan.variants, plan.outdir, False)
    assert all(sweep.finished_outcome(thermal, v) is None for v in plan.variants)
    # no temporary folder is left behind
    assert not [p for p in (plan.outdir / "variants").iterdir() if p.name.startswith(".")]


def test_serial_runner_gives_the_same_outcomes(flow_sweep, tmp_path):
    plan = plan_sweep(SMALL, flow_sweep.plan.variants[:2], outdir=tmp_path)
    result = run_sweep(plan, serial=True)
    assert result.runner.startswith("serial")
    for o in result.outcomes:
        ref = flow_sweep.outcome(o.variant_id)
        assert o.metrics["T_max_K"] == pytest.approx(ref.metrics["T_max_K"], rel=1e-12)


# -- the command line ---------------------------------------------------------------------------
def _cli(*args, cwd=None, **kw):
    return subprocess.run([sys.executable, "-m", "wafersolve", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=300, **kw)


def test_cli_sweep_on_its_own_local_cluster(tmp_path):
    """One end-to-end run as a user types it: a LocalCluster started by the command."""
    out = tmp_path / "sweep"
    proc = _cli("sweep", SMALL, "--vary", "cooling.flow_lpm=60,120",
                "--vary", "stack.tim.thickness_um=-5,30", "-o", out, "--pareto",
                "T_max_K,coolant_rise_K", "--no-mechanics")
    assert proc.returncode == 0, proc.stderr
    assert "wafersolve sweep: small, 4 variants of cooling.flow_lpm (2) x " \
           "stack.tim.thickness_um (2)" in proc.stdout
    assert "2 solved, 0 already done, 2 failed, 0 not run: all ran; 2 FAILED" in proc.stdout
    assert "thickness_um = -5: expected a number > 0" in proc.stdout
    assert "LocalCluster (2 workers x 1 thread)" in proc.stdout
    assert "4/4: 2 done, 2 failed, 0 resumed, 0 remaining" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert pq.read_table(out / "sweep.parquet").num_rows == 4
    assert "mech_dofs" not in pq.read_table(out / "sweep.parquet").column_names
    plots = sorted(p.name for p in (out / "plots").glob("*.png"))
    assert "T_max_K__cooling.flow_lpm.png" in plots
    assert "pareto__T_max_K__coolant_rise_K.png" in plots
    with open(out / "plots" / "pareto__T_max_K__coolant_rise_K.csv", newline="") as fh:
        assert len(list(csv.DictReader(fh))) >= 1
    # the same command again: nothing left to solve but the two failures, which fail again
    again = _cli("sweep", SMALL, "--vary", "cooling.flow_lpm=60,120",
                 "--vary", "stack.tim.thickness_um=-5,30", "-o", out, "--no-mechanics", "-q")
    assert again.returncode == 0 and again.stderr == ""
    assert "0 solved, 2 already done, 2 failed" in again.stdout


@pytest.mark.parametrize("args, fragment", [
    (["--vary", "cooling.flow_lpm=40:160"], "wafersolve: case error: --vary: cooling.flow_lpm = "
                                            "'40:160': expected a range a:b:n"),
    (["--vary", "stack.tm.thickness_um=1,2"], "no entry named 'tm' in [[stack.layers]]"),
    (["--vary", "cooling.flow_lmp=1,2"], "--vary cooling.flow_lmp: "),
    ([], "nothing to vary"),
    (["--vary", "a.b=1", "--table", "t.csv"], "not both"),
    (["--table", "missing.csv"], "missing.csv: cannot read the variant table"),
    (["--vary", "cooling.flow_lpm=1", "--pareto", "T_max_K"], "--pareto"),
])
def test_cli_bad_specs_are_exit_2_before_any_solve(args, fragment, tmp_path, capsys):
    code = main(["sweep", str(SMALL), "-o", str(tmp_path / "out"), *args])
    err = capsys.readouterr().err
    assert code == 2, err
    assert fragment in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "out" / "variants").exists()


def test_cli_imports_no_dask_for_help():
    code = ("import sys; from wafersolve.cli import _build_parser; _build_parser(); "
            "print(sorted(m for m in ('dask', 'distributed', 'pyarrow', 'matplotlib') "
            "if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.stdout.strip() == "[]", proc.stderr
    help_text = _cli("sweep", "--help").stdout
    for option in ("--vary", "--table", "--scheduler", "--workers", "--metrics", "--pareto",
                   "--no-mechanics", "--quiet"):
        assert option in help_text


def test_unreachable_scheduler_is_a_clear_error(tmp_path):
    plan = plan_sweep(SMALL, [Variant((("cooling.flow_lpm", 40),))], outdir=tmp_path)
    with pytest.raises(WafersolveError) as err:
        run_sweep(plan, scheduler="tcp://127.0.0.1:9", connect_timeout_s=1.0)
    assert str(err.value).startswith("--scheduler tcp://127.0.0.1:9: cannot connect to the "
                                     "dask scheduler: ")
    assert "dask worker tcp://127.0.0.1:9" in str(err.value)


# -- interrupted and killed: a sweep process with its own cluster, stopped part way ------------
def test_resume_after_ctrl_c(client, tmp_path):
    """Ctrl-C (SIGINT to the process group, as a terminal sends it) part way: exit 130, the
    finished variants are kept and a rerun solves only the others."""
    _stop_part_way_and_resume(signal.SIGINT, client, tmp_path)


@pytest.mark.slow
def test_resume_after_the_sweep_process_is_killed(client, tmp_path):
    """SIGKILL of the command and its workers part way (a crash): the same."""
    _stop_part_way_and_resume(signal.SIGKILL, client, tmp_path)


def _stop_part_way_and_resume(sig, client, tmp_path):
    out = tmp_path / "sweep"
    n = 20
    spec = f"cooling.flow_lpm=40:160:{n}"
    proc = subprocess.Popen([sys.executable, "-m", "wafersolve", "sweep", str(SMALL), "--vary",
                             spec, "-o", str(out)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while len(_finished(out)) < 3:
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.02)
        os.killpg(proc.pid, sig)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    if sig == signal.SIGINT:
        assert proc.returncode == 130, stderr
        assert "interrupted" in stderr and "Traceback" not in stderr
        assert "not run (interrupted)" in stdout
    else:
        assert proc.returncode == -signal.SIGKILL
    finished = _finished(out)  # a folder killed before its rename is a hidden .tmp-* one
    assert 3 <= len(finished) < n
    plan = plan_sweep(SMALL, product_variants([parse_vary(spec)]), outdir=out)
    again = run_sweep(plan, client=client)
    assert again.counts()["not run"] == 0 and not again.failed
    assert {o.variant_id for o in again.outcomes if o.resumed} == finished
    assert {o.variant_id for o in again.solved} == {v.id for v in plan.variants} - finished
    t_max = [o.metrics["T_max_K"] for o in again.outcomes]
    assert np.all(np.diff(t_max) < 0)


def _finished(out: Path) -> set[str]:
    return {p.parent.name for p in out.glob("variants/*/variant.json")
            if not p.parent.name.startswith(".")}


@pytest.mark.slow
def test_sweep_on_a_dask_scheduler_and_workers_started_apart(tmp_path):
    """``dask scheduler`` and ``dask worker`` as on a multi-machine cluster (here on loopback),
    the workers' nanny configured by a YAML file as docs/sweeps.md says."""
    cfg = tmp_path / "dask"
    cfg.mkdir()
    (cfg / "wafersolve-workers.yaml").write_text(
        "distributed:\n  nanny:\n    pre-spawn-environ:\n      MALLOC_TRIM_THRESHOLD_: null\n")
    sched_file = tmp_path / "scheduler.json"
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_TRIM_THRESHOLD_"}
    dask = [sys.executable, "-m", "dask"]
    procs = [subprocess.Popen([*dask, "scheduler", "--host", "127.0.0.1", "--port", "0",
                               "--no-dashboard", "--scheduler-file", str(sched_file)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)]
    try:
        deadline = time.monotonic() + 60
        while not sched_file.exists():
            assert time.monotonic() < deadline
            time.sleep(0.1)
        procs.append(subprocess.Popen([*dask, "worker", "--scheduler-file", str(sched_file),
                                       "--nworkers", "2", "--nthreads", "1"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                      env={**env, "DASK_CONFIG": str(cfg)}))
        time.sleep(0.5)  # the scheduler file may be written before it is complete
        address = json.loads(sched_file.read_text())["address"]
        from dask.distributed import Client

        with Client(address, timeout="30s") as c:
            c.wait_for_workers(2, timeout=60)
            assert sweep.check_workers(c) == []
        plan = plan_sweep(SMALL, product_variants([parse_vary("cooling.flow_lpm=60,120")]),
                          outdir=tmp_path / "sweep")
        result = run_sweep(plan, scheduler=address)
        assert result.counts() == {"ok": 2, "failed": 0, "resumed": 0, "not run": 0}
        assert result.runner == f"dask scheduler {address} (2 workers, 2 threads)"
        assert result.warnings == ()
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in reversed(procs):
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
