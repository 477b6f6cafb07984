"""The full thermal solve on cases: energy balances, coolant warming, symmetry, k(T), failures."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from wafersolve import load_case, solve_thermal
from wafersolve.case.load import load_case_text
from wafersolve.cooling import coolant
from wafersolve.errors import ConvergenceError

UNIFORM = """
[case]
name = "uniform"
[wafer]
size_mm = [{L}, {L}]
tiles = [{tx}, {ty}]
[grid]
nx = {n}
ny = {n}
[[stack.layers]]
name = "pcb"
material = "pcb"
thickness_mm = 1.6
[[stack.layers]]
name = "wafer"
material = "silicon"
thickness_um = 775
cells = 2
[[stack.layers]]
name = "tim"
material = "tim_grease"
thickness_um = 50
[[stack.layers]]
name = "cold_plate"
material = "copper"
thickness_mm = 3
cells = 2
[[stack.contacts]]
between = ["wafer", "tim"]
resistance_mm2_K_per_W = 2.0
[power]
layer = "wafer"
total_kW = {P}
[cooling]
coolant = "{fluid}"
inlet_T_C = 21
flow_lpm = {lpm}
direction = "{direction}"
h_W_per_m2_K = 3e4
{backside}
"""


def uniform_case(direction="+x", P=25, lpm=100, fluid="water", n=24, L=215, tx=12, ty=7,
                 backside="[backside]\nadiabatic = true"):
    text = UNIFORM.format(direction=direction, P=P, lpm=lpm, fluid=fluid, n=n, L=L, tx=tx, ty=ty,
                          backside=backside)
    return load_case_text(text, "uniform.toml")


@pytest.fixture(scope="module")
def small_result(cases_dir=None):
    from pathlib import Path

    return solve_thermal(load_case(Path(__file__).resolve().parents[1] / "cases" / "small.toml"))


def test_global_energy_balance(small_result):
    r = small_result
    assert abs(r.info.energy_balance_relative) <= 1e-6
    assert r.P_W == pytest.approx(r.case.power.total_W, rel=1e-12)
    # recompute from the reported parts
    assert (r.P_W - r.Q_coolant_W - r.Q_backside_W) / r.P_W == pytest.approx(
        r.info.energy_balance_relative, abs=1e-12)
    assert r.Q_backside_W > 0  # the small case has a warm, weakly convective backside
    assert r.info.relative_residual <= r.case.solver.rtol * 10


@pytest.mark.parametrize("fluid", ["water", "pg25"])
def test_coolant_outlet_closes_the_energy_balance(fluid):
    """Adiabatic backside: all the power goes to the coolant, and the outlet enthalpy rise is
    P / m_dot to solver precision; the temperature rise is P / (m_dot cp) up to cp's variation."""
    case = uniform_case(fluid=fluid)
    r = solve_thermal(case)
    fl = coolant(fluid)
    m_dot = float(fl.rho(case.cooling.inlet_T_K)) * case.cooling.flow_m3_per_s
    dh = float(fl.h(r.coolant_outlet_T_K) - fl.h(r.coolant_inlet_T_K))
    assert dh == pytest.approx(r.P_W / m_dot, rel=1e-6)
    assert r.Q_backside_W == 0.0
    T_mean = 0.5 * (r.coolant_inlet_T_K + r.coolant_outlet_T_K)
    assert r.coolant_rise_K == pytest.approx(r.P_W / (m_dot * float(fl.cp(T_mean))), rel=1e-4)
    assert r.lpm_per_kW == pytest.approx(4.0)
    if fluid == "water":  # 25 kW in 100 L/min of water: about 3.6 K
        assert r.coolant_rise_K == pytest.approx(3.59, abs=0.01)
    # the coolant warms monotonically along the flow
    assert np.all(np.diff(r.coolant_T_K) > 0)


def test_low_flow_rises_as_lpm_per_kw_predicts():
    """1.5 L/min per kW: a ~9.6 K rise (the OCP design point)."""
    r = solve_thermal(uniform_case(lpm=37.5))
    assert r.lpm_per_kW == pytest.approx(1.5)
    assert r.coolant_rise_K == pytest.approx(9.6, abs=0.05)


def test_flow_direction_mirrors_the_field():
    a = solve_thermal(uniform_case("+x"))
    b = solve_thermal(uniform_case("-x"))
    np.testing.assert_allclose(a.T_K, b.T_K[:, :, ::-1], rtol=0, atol=1e-6)
    # with a square tile grid, +y is the transpose of +x
    c = solve_thermal(uniform_case("+x", tx=4, ty=4))
    d = solve_thermal(uniform_case("+y", tx=4, ty=4))
    np.testing.assert_allclose(c.T_K, np.swapaxes(d.T_K, 1, 2), rtol=0, atol=1e-6)
    # the outlet side is hotter
    assert a.T_K[:, :, -1].mean() > a.T_K[:, :, 0].mean()


def test_temperature_dependent_silicon_runs_hotter():
    case = uniform_case()
    hot = solve_thermal(case)
    frozen = solve_thermal(dataclasses.replace(
        case, solver=dataclasses.replace(case.solver, temperature_dependent_k=False)))
    # silicon conducts less when hot (k ~ T^-1.3): the wafer runs hotter than with k(300 K)
    assert hot.hotspot.T_K > frozen.hotspot.T_K
    assert hot.info.outer_iterations >= frozen.info.outer_iterations


def test_result_contents(small_result):
    r = small_result
    g = r.grid
    assert r.T_K.shape == g.shape
    assert [s.name for s in r.layer_stats] == [layer.name for layer in r.case.layers]
    for s in r.layer_stats:
        block = r.layer(s.name)
        assert s.T_min_K == block.min() and s.T_max_K == block.max()
    assert r.hotspot.T_K == r.T_K.max()
    # the hottest cell sits in a hot spot of the small case, in the heated layer
    hs = r.case.power.hotspots
    assert r.hotspot.layer == "wafer"
    assert any(abs(r.hotspot.x_m - h.center_m[0]) <= h.size_m[0] / 2 + g.dx_m
               and abs(r.hotspot.y_m - h.center_m[1]) <= h.size_m[1] / 2 + g.dy_m for h in hs)
    assert r.tile_T_max_K.shape == (7, 12)
    assert np.nanmax(r.tile_T_max_K) == pytest.approx(r.layer("wafer").max())
    # heat flux into the cold plate carries (almost) all the power
    q_total = r.q_coldplate_W_per_m2.sum() * g.dx_m * g.dy_m
    assert q_total == pytest.approx(r.Q_coolant_W, rel=1e-6)
    assert r.coolant_T_K.shape == (g.nx + 1,) and r.coolant_s_m[-1] == pytest.approx(0.215)
    s = r.summary()
    assert s["T_max_K"] == r.hotspot.T_K and s["coolant_rise_K"] == r.coolant_rise_K
    assert all(isinstance(v, (int, float, str)) for v in s.values())


def test_outer_iteration_limit_raises():
    case = uniform_case()
    tight = dataclasses.replace(case, solver=dataclasses.replace(case.solver, max_outer_iterations=1))
    with pytest.raises(ConvergenceError, match="did not settle"):
        solve_thermal(tight)


def test_linear_iteration_limit_raises():
    case = uniform_case()
    tight = dataclasses.replace(case, solver=dataclasses.replace(case.solver, max_iterations=2))
    with pytest.raises(ConvergenceError, match="conjugate gradients did not reach"):
        solve_thermal(tight)


def test_progress_messages():
    seen = []
    solve_thermal(uniform_case(n=12), progress=seen.append)
    assert seen[0].startswith("grid 12 x 12 x 6")
    assert any(m.startswith("outer 2:") for m in seen)
