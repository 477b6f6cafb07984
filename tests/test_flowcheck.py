"""Cooling-flow check: the hand-computed rises of io-cooling.md §B1-B2 and §6, the envelope table,
pass/fail with margins, and the WSE-3 channel case re-run at 1.5 L/min per kW."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from wafersolve import load_case, solve_thermal
from wafersolve.case.model import GridSpec
from wafersolve.errors import WafersolveError
from wafersolve.flowcheck import (
    ENVELOPES,
    LPM,
    check_flow,
    compare_flows,
    engines_per_cdu,
    flow_at_lpm_per_kW,
    flow_for_rise,
    flow_variant,
    formula_rise_K,
    rise_K,
)

CASES = Path(__file__).resolve().parents[1] / "cases"
T25 = 298.15


def test_rise_at_100_lpm_for_25_kW():
    """io-cooling.md §6: dT = P / (rho cp V) = 25e3 / (997.1 * 4181 * 100/60000) = 3.60 K for
    water at 25 °C; PG25 3.74 K with the reference's APG tables, 3.75 K with ours (MPG, 25 wt%:
    rho 1017.2, cp 3933 at 25 °C, CoolProp)."""
    assert formula_rise_K("water", 25e3, 100 * LPM, T25) == pytest.approx(
        25e3 / (997.1 * 4181 * 100 / 60000), rel=2e-4)
    assert formula_rise_K("water", 25e3, 100 * LPM, T25) == pytest.approx(3.60, abs=0.005)
    assert formula_rise_K("pg25", 25e3, 100 * LPM, T25) == pytest.approx(3.74, rel=5e-3)
    # the exact enthalpy balance from the 21 °C supply of the WSE-3 case
    assert rise_K("water", 25e3, 100 * LPM, 294.15) == pytest.approx(3.594, abs=1e-3)


def test_rise_at_one_and_a_half_lpm_per_kW():
    """dT [K] = 14.39 / (L/min per kW) for water at 25 °C: 9.59 K at 1.5 (the OCP 10 K rule);
    PG25 10.0 K; 25 kW at 10 K needs 36.0 L/min."""
    flow = flow_at_lpm_per_kW(1.5, 25e3)
    assert flow / LPM == pytest.approx(37.5)
    assert formula_rise_K("water", 25e3, flow, T25) == pytest.approx(9.59, abs=0.01)
    assert formula_rise_K("water", 120e3, flow_at_lpm_per_kW(1.5, 120e3), T25) == pytest.approx(
        9.59, abs=0.01)  # GB200 NVL72 at the OCP rule: the same rise for any power
    assert formula_rise_K("pg25", 25e3, flow, T25) == pytest.approx(10.0, abs=0.03)
    assert rise_K("water", 25e3, flow, T25) == pytest.approx(9.60, abs=0.01)
    assert flow_for_rise("water", 25e3, 10.0, T25) / LPM == pytest.approx(36.0, abs=0.05)
    assert rise_K("water", 25e3, flow_for_rise("water", 25e3, 7.0, T25), T25) == pytest.approx(
        7.0, abs=1e-9)


def test_envelope_table_is_sourced():
    assert {e.kind for e in ENVELOPES.values()} <= {"P", "S", "D", "U"}
    assert all(e.source and e.what for e in ENVELOPES.values())
    assert ENVELOPES["ocp_lpm_per_kW"].value == 1.5 and ENVELOPES["ocp_rise_K"].value == 10.0
    assert [ENVELOPES[f"ashrae_{c}_K"].value - 273.15 for c in ("W32", "W40", "W45")] == (
        pytest.approx([32.0, 40.0, 45.0]))
    assert ENVELOPES["ocp_rpu_dp_Pa"].value == pytest.approx(275.8e3, rel=1e-3)  # 40 psi
    assert ENVELOPES["ocp_rpu_hydraulic_W_per_kW"].value == pytest.approx(6.89, abs=0.01)
    assert ENVELOPES["coolit_chx2000_power_W"].kind == "U"
    with pytest.raises(TypeError):
        ENVELOPES["ocp_rise_K"] = None  # frozen


def test_wse3_checks_with_margins():
    """WSE-3: 4 L/min per kW is 2.7x the OCP allocation (fails by 2.5 L/min per kW) and rises
    3.6 K (passes by 6.4 K); a 21 °C supply has not shown any warm-water class."""
    report = check_flow(load_case(CASES / "wse3_channels.toml"))
    assert report.lpm_per_kW == pytest.approx(4.0)
    flow, rise = report.check("ocp_flow"), report.check("ocp_rise")
    assert (flow.passed, flow.margin) == (False, pytest.approx(-2.5))
    assert (rise.passed, rise.margin) == (True, pytest.approx(10 - 3.594, abs=1e-3))
    w32 = report.check("ashrae_W32")
    assert not w32.passed and w32.margin == pytest.approx(21.0 - 32.0)
    assert report.check("ocp_rpu_power").passed and report.check("ocp_rpu_flow").passed
    assert report.check("ocp_rpu_dp").passed  # 1.1 bar against 2.76 bar
    assert not report.check("gb200_plate_dp").passed  # one 215 mm plate against 20 kPa
    assert report.check("ocp_rpu_hydraulic").value == pytest.approx(185.8 / 25, rel=2e-3)
    assert [c.key for c in report.failed] == ["ocp_flow", "ashrae_W32", "ashrae_W40",
                                              "ashrae_W45", "gb200_plate_dp",
                                              "ocp_rpu_hydraulic"]
    text = json.dumps(report.summary(), allow_nan=False)
    assert '"check_ocp_flow_margin_lpm_per_kW": -2.5' in text
    assert report.summary()["coldplate_h_eff_W_per_m2_K"] == pytest.approx(8.74e4, rel=2e-3)
    with pytest.raises(KeyError):
        report.check("nope")


def test_cases_with_a_free_h_skip_the_plate_checks():
    report = check_flow(load_case(CASES / "wse3.toml"))
    assert report.channels is None
    assert "ocp_rpu_dp" not in {c.key for c in report.checks}


def test_engines_per_cdu_is_flow_limited_at_high_flow():
    assert engines_per_cdu(25e3, 100 * LPM, 2.0e6, 2125 * LPM) == 21  # flow-limited
    assert engines_per_cdu(25e3, 37.5 * LPM, 2.0e6, 2125 * LPM) == 56
    assert engines_per_cdu(25e3, 100 * LPM, 100e3, 150 * LPM) == 1  # OCP RPU


def test_one_and_a_half_lpm_per_kW_is_a_run():
    """The WSE-3 channel case on a small.toml-sized grid (64 x 64) solved at 4 and 1.5 L/min per
    kW: the solved rise is 9.6 K and meets the OCP rule with 0.4 K to spare, the flow meets the
    allocation, the pressure drop falls about 3x (laminar) and the hot spot is hotter."""
    case = dataclasses.replace(load_case(CASES / "wse3_channels.toml"), grid=GridSpec(64, 64),
                               mechanics=None)
    high, low = compare_flows(case, (4.0, 1.5), solve_thermal)
    assert low.lpm_per_kW == pytest.approx(1.5) and low.check("ocp_flow").passed
    assert low.rise_K == pytest.approx(9.59, abs=0.02)
    assert low.check("ocp_rise").passed and low.check("ocp_rise").margin == pytest.approx(
        0.41, abs=0.02)
    assert high.rise_K == pytest.approx(3.59, abs=0.01)
    assert low.hotspot_T_K > high.hotspot_T_K + 6.0
    assert low.channels.dp_Pa == pytest.approx(high.channels.dp_Pa / 3.2, rel=0.05)
    assert low.channels.hydraulic_power_W < high.channels.hydraulic_power_W / 7.0
    assert low.check("ocp_rpu_hydraulic").passed and not high.check("ocp_rpu_hydraulic").passed


def test_bad_inputs():
    case = load_case(CASES / "small.toml")
    with pytest.raises(WafersolveError):
        flow_at_lpm_per_kW(0.0, 25e3)
    with pytest.raises(WafersolveError):
        flow_for_rise("water", 25e3, -1.0, T25)
    with pytest.raises(WafersolveError, match="unknown coolant"):
        formula_rise_K("oil", 1.0, 1.0, T25)
    other = dataclasses.replace(case, name="other")
    result = solve_thermal(case)
    with pytest.raises(WafersolveError, match="result of case 'small' given for 'other'"):
        check_flow(other, result)
    assert check_flow(case, result).hotspot_T_K == result.hotspot.T_K
    assert flow_variant(case, 2.0).cooling.flow_m3_per_s == pytest.approx(
        2.0 * case.power.total_W / 1000 * LPM)
