"""Every shipped case solves, closes its energy balance and gives physically sensible numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from wafersolve import load_case, solve_thermal

CASES = Path(__file__).resolve().parents[1] / "cases"


def check(result):
    assert abs(result.info.energy_balance_relative) <= 1e-6
    assert result.info.relative_residual <= 10 * result.case.solver.rtol
    # 25 kW-class loads in 100 L/min of water: a 3.4-3.7 K coolant rise
    assert 3.3 < result.coolant_rise_K < 3.8
    T_in = result.case.cooling.inlet_T_K
    assert result.T_K.min() > T_in  # nothing in the stack is colder than the coolant inlet
    assert result.hotspot.layer == result.case.power.layer
    assert result.hotspot.T_K < T_in + 150


@pytest.mark.parametrize("name", ["small", "power_map", "hotspot_mesh"])
def test_shipped_case_solves(name):
    check(solve_thermal(load_case(CASES / f"{name}.toml")))


@pytest.mark.slow
def test_wse3_baseline():
    """The 860 x 860 x 8 baseline (about 3 s of solve)."""
    result = solve_thermal(load_case(CASES / "wse3.toml"))
    check(result)
    assert result.grid.shape == (8, 860, 860)
    assert result.lpm_per_kW == pytest.approx(4.0)
    assert result.coolant_rise_K == pytest.approx(3.59, abs=0.01)
    # uniform tiles: the hottest tile is on the outlet side of the flow (+x)
    row, col = divmod(int(result.tile_T_max_K.argmax()), result.tile_T_max_K.shape[1])
    assert col >= result.tile_T_max_K.shape[1] // 2
