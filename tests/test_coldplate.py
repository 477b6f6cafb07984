"""Channel cold plate: textbook correlation values, hand computations, pressure-drop scaling, the
[cooling.channels] case keys and their errors, and the thermal solve taking h from the plate."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest

from wafersolve import build_grid, load_case, solve_thermal
from wafersolve.case.load import load_case_text
from wafersolve.case.model import ChannelPlate, Cooling, GridSpec
from wafersolve.coldplate import (
    channel_layout,
    channel_performance,
    effective_h_W_per_m2_K,
    evaluate_channels,
    mean_coolant_T_K,
)
from wafersolve.cooling import coolant
from wafersolve.ductflow import (
    duct_flow,
    fin_efficiency,
    gnielinski_nusselt,
    hausen_nusselt,
    hydraulic_diameter_m,
    laminar_fRe,
    laminar_mean_nusselt,
    laminar_nusselt,
    petukhov_friction,
)
from wafersolve.errors import CaseError, WafersolveError
from wafersolve.thermal.model import build_model

CASES = Path(__file__).resolve().parents[1] / "cases"
WATER = coolant("water")


# -- textbook values -----------------------------------------------------------------------------
def test_circular_tube_fully_developed_laminar():
    """Nu = 3.66 (uniform wall T), 48/11 = 4.36 (uniform flux), f Re = 64 (Hagen-Poiseuille)."""
    assert laminar_nusselt(None, "T") == 3.66
    assert laminar_nusselt(None, "H") == pytest.approx(4.364, abs=1e-3)
    assert laminar_fRe(None) == 64.0
    assert duct_flow(500.0, 7.0, 0.0).darcy_f == pytest.approx(64.0 / 500.0, rel=1e-14)


def test_square_duct_and_parallel_plates_shah_london():
    """Shah & London (1978) table values: square duct f Re = 56.91, Nu_H1 = 3.61, Nu_T = 2.98;
    parallel plates f Re = 96, Nu_H1 = 8.235, Nu_T = 7.541. The fits reproduce them to 2e-4."""
    assert laminar_fRe(1.0) == pytest.approx(56.91, rel=2e-4)
    assert laminar_nusselt(1.0, "H") == pytest.approx(3.608, rel=1e-3)
    assert laminar_nusselt(1.0, "T") == pytest.approx(2.976, rel=1e-3)
    assert laminar_fRe(0.0) == 96.0
    assert laminar_nusselt(0.0, "H") == 8.235 and laminar_nusselt(0.0, "T") == 7.541


#: Incropera et al., Fundamentals of Heat and Mass Transfer, 6th ed., table 8.1 (from Shah &
#: London): long over short side b/a, Nu (uniform flux), Nu (uniform T), f Re (rounded).
INCROPERA_8_1 = [(1.0, 3.61, 2.98, 57), (1.43, 3.73, 3.08, 59), (2.0, 4.12, 3.39, 62),
                 (3.0, 4.79, 3.96, 69), (4.0, 5.33, 4.44, 73), (8.0, 6.49, 5.60, 82)]


@pytest.mark.parametrize("ratio, nu_h, nu_t, fre", INCROPERA_8_1)
def test_rectangular_duct_fits_match_the_table(ratio, nu_h, nu_t, fre):
    """Within 1 % of the (rounded) table over the aspect-ratio range."""
    a = 1.0 / ratio
    assert laminar_nusselt(a, "H") == pytest.approx(nu_h, rel=0.01)
    assert laminar_nusselt(a, "T") == pytest.approx(nu_t, rel=0.01)
    assert laminar_fRe(a) == pytest.approx(fre, rel=0.01)


def test_hausen_thermal_entry():
    """Hausen: 3.66 for a long tube, rising monotonically with Gz; the duct form keeps the
    fully developed value of the duct as its long-duct limit."""
    assert hausen_nusselt(0.0) == 3.66
    gz = np.logspace(-2, 4, 50)
    nu = [hausen_nusselt(g) for g in gz]
    assert np.all(np.diff(nu) > 0)
    # 3.66 + 0.0668 * 100 / (1 + 0.04 * 100^(2/3)), by hand
    assert hausen_nusselt(100.0) == pytest.approx(3.66 + 6.68 / (1 + 0.04 * 21.5443469), rel=1e-8)
    assert laminar_mean_nusselt(0.0, 0.25, "H") == laminar_nusselt(0.25, "H")
    assert laminar_mean_nusselt(50.0, None, "T") == hausen_nusselt(50.0)


def test_gnielinski_against_hand_computation():
    """Re = 1e4, Pr = 7: f = (0.790 ln 1e4 - 1.64)^-2 = 5.63617^-2 = 0.031480; f/8 = 0.0039350;
    Nu = 0.0039350 * 9000 * 7 / (1 + 12.7 * 0.062730 * (7^(2/3) - 1)) = 247.90 / 3.1186 = 79.49.
    Re = 5e4, Pr = 4: f = 6.9076^-2 = 0.020958, Nu = 513.46 / 1.98793 = 258.29."""
    assert petukhov_friction(1e4) == pytest.approx(0.031480, rel=1e-4)
    assert gnielinski_nusselt(1e4, 7.0) == pytest.approx(79.49, abs=0.01)
    assert gnielinski_nusselt(5e4, 4.0) == pytest.approx(258.29, abs=0.02)
    # entry factor 1 + (D/L)^(2/3)
    assert gnielinski_nusselt(1e4, 7.0, 1e-3) == pytest.approx(79.49 * 1.01, abs=0.01)
    assert duct_flow(2e4, 7.0, 0.0).regime == "turbulent"


def test_transition_is_explicit_and_continuous():
    """Laminar up to 2300, Gnielinski from 1e4, linear in between (Gnielinski 2013)."""
    Pr, DL, a = 6.5, 1 / 400, 0.075
    lo, hi = duct_flow(2300.0, Pr, DL, a), duct_flow(1e4, Pr, DL, a)
    assert (lo.regime, hi.regime) == ("laminar", "turbulent")
    mid = duct_flow(6150.0, Pr, DL, a)
    assert mid.regime == "transition" and mid.turbulent_weight == pytest.approx(0.5)
    assert mid.Nu == pytest.approx(0.5 * (lo.Nu + hi.Nu), rel=1e-12)
    assert mid.darcy_f == pytest.approx(0.5 * (lo.darcy_f + hi.darcy_f), rel=1e-12)
    for edge in (2300.0, 1e4):
        below, above = duct_flow(edge * (1 - 1e-9), Pr, DL, a), duct_flow(edge * (1 + 1e-9), Pr,
                                                                           DL, a)
        assert above.Nu == pytest.approx(below.Nu, rel=1e-6)
        assert above.darcy_f == pytest.approx(below.darcy_f, rel=1e-6)
    nus = [duct_flow(re, Pr, DL, a).Nu for re in np.linspace(200, 2e4, 200)]
    assert np.all(np.diff(nus) > 0)  # more flow, more heat transfer, in every regime


def test_fin_efficiency_and_hydraulic_diameter():
    assert fin_efficiency(0.0, 398.0, 2e-4, 4e-3) == 1.0
    mH = math.sqrt(2 * 1e5 / (398.0 * 2e-4)) * 4e-3
    assert fin_efficiency(1e5, 398.0, 2e-4, 4e-3) == pytest.approx(math.tanh(mH) / mH, rel=1e-14)
    assert hydraulic_diameter_m(1e-3, 1e-3) == pytest.approx(1e-3)
    assert hydraulic_diameter_m(1e-4, 1.0) == pytest.approx(2e-4, rel=1e-3)  # parallel plates


# -- the plate ---------------------------------------------------------------------------------
PLATE = ChannelPlate(300e-6, 4e-3, pitch_m=500e-6, manifold_loss_coefficient=2.4)


def test_plate_effective_h_by_hand():
    """h_eff = N h (w + 2 eta H) / span with h = Nu k / D, from the plate's own numbers."""
    m_dot = 998.0 * 100 / 60000
    p = evaluate_channels(PLATE, WATER, m_dot, 296.0, 0.215, 0.215, 398.0)
    assert p.count == 430 and p.fin_thickness_m == pytest.approx(200e-6)
    h = p.flow.Nu * float(WATER.k(296.0)) / p.hydraulic_diameter_m
    eta = fin_efficiency(h, 398.0, 200e-6, 4e-3)
    assert p.h_channel_W_per_m2_K == pytest.approx(h, rel=1e-12)
    assert p.h_eff_W_per_m2_K == pytest.approx(430 * h * (300e-6 + 2 * eta * 4e-3) / 0.215,
                                               rel=1e-12)
    u = m_dot / 430 / (float(WATER.rho(296.0)) * 300e-6 * 4e-3)
    assert p.velocity_m_per_s == pytest.approx(u, rel=1e-12)
    head = 0.5 * float(WATER.rho(296.0)) * u * u
    assert p.dp_minor_Pa == pytest.approx((0.5 + 1.0 + 2.4) * head, rel=1e-12)
    assert p.pump_power_W == pytest.approx(p.flow_m3_per_s * p.dp_Pa / 0.5, rel=1e-12)


def test_laminar_pressure_drop_scales_with_flow():
    """Hagen-Poiseuille: with f Re constant the friction loss is proportional to the flow, the
    minor losses to its square; the hydraulic power therefore grows at least as V^2."""
    base = 998.0 * 30 / 60000
    p1, p2 = (evaluate_channels(PLATE, WATER, m, 296.0, 0.215, 0.215, 398.0)
              for m in (base, 2 * base))
    assert p1.flow.regime == p2.flow.regime == "laminar"
    assert p2.dp_friction_Pa / p1.dp_friction_Pa == pytest.approx(2.0, rel=1e-12)
    assert p2.dp_minor_Pa / p1.dp_minor_Pa == pytest.approx(4.0, rel=1e-12)
    assert p2.hydraulic_power_W / p1.hydraulic_power_W >= 4.0
    slope = np.polyfit(np.log([1.0, 2.0]), np.log([p1.dp_friction_Pa, p2.dp_friction_Pa]), 1)[0]
    assert slope == pytest.approx(1.0, abs=1e-12)


def test_count_or_pitch_layout():
    assert channel_layout(ChannelPlate(3e-4, 4e-3, count=200), 0.2) == (200, pytest.approx(1e-3))
    assert channel_layout(ChannelPlate(3e-4, 4e-3, pitch_m=7e-4), 0.2)[0] == 285
    with pytest.raises(CaseError, match=r"cooling.channels.count = 700: expected at most 666 "):
        channel_layout(ChannelPlate(3e-4, 4e-3, count=700), 0.2)


# -- the shipped case and the thermal solve ----------------------------------------------------
def test_shipped_channel_case():
    case = load_case(CASES / "wse3_channels.toml")
    ch = case.cooling.channels
    assert case.cooling.h_W_per_m2_K is None
    assert (ch.width_m, ch.height_m, ch.pitch_m) == pytest.approx((300e-6, 4e-3, 500e-6))
    assert ch.manifold_loss_coefficient == 2.4 and ch.length_m is None
    assert mean_coolant_T_K(case) == pytest.approx(294.15 + 3.594 / 2, abs=2e-3)
    p = channel_performance(case)
    assert p.flow.regime == "laminar" and 1850 < p.flow.Re < 2000
    assert p.h_eff_W_per_m2_K == pytest.approx(8.74e4, rel=2e-3)
    assert p.dp_Pa == pytest.approx(111.4e3, rel=2e-3)
    assert p.hydraulic_power_W == pytest.approx(185.8, rel=2e-3)


def small_channels():
    case = load_case(CASES / "wse3_channels.toml")
    return dataclasses.replace(case, grid=GridSpec(64, 64), mechanics=None)


def test_thermal_solve_takes_h_from_the_plate():
    """The solve with [cooling.channels] is the solve with h set to the plate's h_eff."""
    case = small_channels()
    h = channel_performance(case).h_eff_W_per_m2_K
    assert build_model(case, build_grid(case)).h_top == h == effective_h_W_per_m2_K(case)
    fixed = dataclasses.replace(case, cooling=dataclasses.replace(case.cooling, channels=None,
                                                                  h_W_per_m2_K=h))
    a, b = solve_thermal(case), solve_thermal(fixed)
    np.testing.assert_allclose(a.T_K, b.T_K, rtol=0, atol=1e-9)


def test_less_flow_means_a_hotter_hot_spot():
    """At 1.5 L/min per kW the coolant rises 9.6 K and the plate's h falls (shorter thermal entry
    gain), so the hot spot warms by more than the coolant outlet does."""
    case = small_channels()
    runs = {}
    for per_kW in (4.0, 1.5):
        flow = per_kW * case.power.total_W / 1000.0 / 60000.0
        variant = dataclasses.replace(case, cooling=dataclasses.replace(case.cooling,
                                                                        flow_m3_per_s=flow))
        runs[per_kW] = (solve_thermal(variant), channel_performance(variant))
    (r4, p4), (r15, p15) = runs[4.0], runs[1.5]
    assert r15.coolant_rise_K == pytest.approx(9.59, abs=0.02)
    assert r4.coolant_rise_K == pytest.approx(3.59, abs=0.01)
    assert p15.h_eff_W_per_m2_K < p4.h_eff_W_per_m2_K
    assert r15.hotspot.T_K - r4.hotspot.T_K > r15.coolant_rise_K - r4.coolant_rise_K + 0.3
    assert p15.dp_Pa < p4.dp_Pa / 2.5


# -- case keys and errors ----------------------------------------------------------------------
BASE = (CASES / "small.toml").read_text()
H_LINE = "h_W_per_m2_K = 3.0e4\n"
CHANNELS = "[cooling.channels]\nwidth_um = 300\nheight_mm = 4\npitch_um = 500\n"


def with_channels(table: str = CHANNELS, keep_h: bool = False) -> str:
    text = BASE if keep_h else BASE.replace(H_LINE, "", 1)
    return text.replace("\n[backside]", "\n" + table + "\n[backside]", 1)


def error(text: str) -> str:
    with pytest.raises(CaseError) as err:
        load_case_text(text, "t.toml", base_dir=CASES)
    return str(err.value)


def test_channel_keys_load_in_si():
    table = CHANNELS.replace("pitch_um = 500", "count = 400") + (
        "length_mm = 230\nwall_material = \"aluminium_6061\"\nentrance_loss_coefficient = 0.8\n"
        "exit_loss_coefficient = 0.9\nmanifold_loss_coefficient = 3\npump_efficiency = 0.4\n")
    ch = load_case_text(with_channels(table), "t.toml", base_dir=CASES).cooling.channels
    assert (ch.count, ch.pitch_m, ch.length_m) == (400, None, pytest.approx(0.23))
    assert ch.wall_k_W_per_m_K == pytest.approx(167.0, rel=0.2)
    assert (ch.entrance_loss_coefficient, ch.exit_loss_coefficient,
            ch.manifold_loss_coefficient, ch.pump_efficiency) == (0.8, 0.9, 3, 0.4)
    table = CHANNELS + "wall_k_W_per_m_K = 150\n"
    assert load_case_text(with_channels(table), "t.toml",
                          base_dir=CASES).cooling.channels.wall_k_W_per_m_K == 150.0


@pytest.mark.parametrize("table, message", [
    (CHANNELS.replace("pitch_um = 500", "count = 400\npitch_um = 500"),
     "t.toml: cooling.channels.count = 400: give either count or pitch_um, not both"),
    (CHANNELS.replace("pitch_um = 500\n", ""),
     "t.toml: cooling.channels: missing channel layout: give count (channels across the plate) "
     "or pitch_um (or pitch_mm, pitch_m)"),
    (CHANNELS.replace("pitch_um = 500", "pitch_um = 300"),
     "t.toml: cooling.channels.pitch_um = 300: expected a pitch larger than the channel width "
     "(width_um = 300): the walls between channels need a thickness > 0"),
    (CHANNELS.replace("width_um = 300", "width_um = -3"),
     "t.toml: cooling.channels.width_um = -3: expected a number > 0"),
    (CHANNELS.replace("width_um = 300", "width = 300"),
     "t.toml: cooling.channels.width = 300: missing unit suffix"),
    (CHANNELS.replace("pitch_um = 500", "count = 2.5"),
     "t.toml: cooling.channels.count = 2.5: expected an integer"),
    (CHANNELS.replace("pitch_um = 500", "count = 0"),
     "t.toml: cooling.channels.count = 0: expected an integer >= 1"),
    (CHANNELS + 'wall_material = "coper"\n',
     "t.toml: cooling.channels.wall_material = 'coper': unknown built-in material; did you mean "
     "'copper'?"),
    (CHANNELS + 'wall_material = "copper"\nwall_k_W_per_m_K = 300\n',
     "t.toml: cooling.channels.wall_material = 'copper': give either wall_material or "
     "wall_k_W_per_m_K, not both"),
    (CHANNELS + "pump_efficiency = 1.5\n",
     "t.toml: cooling.channels.pump_efficiency = 1.5: expected a number > 0 and <= 1"),
    (CHANNELS + "manifold_loss_coefficient = -1\n",
     "t.toml: cooling.channels.manifold_loss_coefficient = -1: expected a number >= 0"),
    (CHANNELS + "hieght_mm = 4\n",
     "t.toml: cooling.channels.hieght_mm = 4: unknown key, did you mean 'height_mm'?"),
])
def test_bad_channel_tables(table, message):
    assert error(with_channels(table)).startswith(message)


def test_h_and_channels_are_exclusive():
    assert error(with_channels(keep_h=True)) == (
        "t.toml: cooling.h_W_per_m2_K = 30000.0: give either an effective h or a "
        "[cooling.channels] table, not both: the channel model computes h from the flow")
    assert error(BASE.replace(H_LINE, "", 1)) == (
        "t.toml: cooling.h: missing cold-plate model: give h_W_per_m2_K (an effective coefficient "
        "per footprint area) or a [cooling.channels] table")
    assert "expected a table [cooling.channels]" in error(BASE.replace(H_LINE, "channels = 3\n"))
    with pytest.raises(CaseError, match="give either h_W_per_m2_K or channels, not both"):
        Cooling(h_W_per_m2_K=3e4, channels=PLATE)
    with pytest.raises(CaseError, match="give exactly one of count and pitch"):
        ChannelPlate(3e-4, 4e-3)
    assert Cooling().h_W_per_m2_K == 20000.0  # library default without channels


def test_channels_that_do_not_fit_the_wafer(tmp_path):
    path = tmp_path / "dense.toml"
    path.write_text(with_channels(CHANNELS.replace("pitch_um = 500", "count = 800")))
    with pytest.raises(CaseError) as err:
        solve_thermal(load_case(path))
    assert str(err.value) == (
        f"{path}: cooling.channels.count = 800: expected at most 716 channels of 300 um in the "
        "215 mm plate width (fins need a thickness > 0)")


@pytest.mark.parametrize("call", [
    lambda: laminar_fRe(1.5), lambda: laminar_nusselt(0.5, "X"), lambda: petukhov_friction(0.0),
    lambda: hausen_nusselt(-1.0), lambda: gnielinski_nusselt(1e4, -1.0),
    lambda: hydraulic_diameter_m(0.0, 1.0), lambda: fin_efficiency(1.0, 0.0, 1.0, 1.0),
    lambda: duct_flow(-5.0, 7.0, 0.0),
    lambda: evaluate_channels(PLATE, WATER, 0.0, 296.0, 0.2, 0.2, 398.0),
    lambda: channel_performance(load_case(CASES / "small.toml")),
])
def test_bad_arguments_raise(call):
    with pytest.raises(WafersolveError):
        call()
