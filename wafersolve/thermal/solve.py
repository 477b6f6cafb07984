"""The steady thermal solve: conduction, coolant warming and k(T), iterated to agreement.

Each outer iteration (i) builds the operator for the current k(T), (ii) solves the linear
conduction problem with multigrid-preconditioned CG, warm-started from the previous field, with
the coolant at its current temperatures, and (iii) marches the coolant along the flow with the
heat each strip of cells gave it in that very solve. It stops when neither the field nor the
coolant moves by more than ``solver.outer_tol_K``.

Example
-------
>>> from wafersolve import load_case
>>> result = solve_thermal(load_case("cases/small.toml"))
>>> round(result.coolant_rise_K, 2), abs(result.info.energy_balance_relative) < 1e-6
(3.64, True)
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from ..case.model import Case
from ..errors import ConvergenceError, SolverError
from ..grid import Grid, build_grid
from ..results import SolveInfo, ThermalResult
from .cg import pcg
from .model import ThermalModel, build_model
from .multigrid import Multigrid
from .post import make_result
from .stencil import apply_operator, padded_zeros

ENERGY_BALANCE_LIMIT = 1e-6  # |P_in - Q_out| / P_in accepted for a returned field
CG_SUM_TOLERANCE = 1e-9  # CG also runs until the unbalanced heat is below this fraction of P


def march_coolant(model: ThermalModel, Q_strips_W: np.ndarray):
    """Coolant temperatures along the flow from the heat picked up by each strip.

    Returns (T at the n + 1 strip boundaries, T at the n strip middles) in kelvin; the middle
    temperature is the one the convective faces of that strip see.
    """
    fluid = model.fluid
    h_in = float(fluid.h(model.T_in_K))
    h_edges = h_in + np.concatenate(([0.0], np.cumsum(Q_strips_W))) / model.m_dot_kg_per_s
    return fluid.T_from_h(h_edges), fluid.T_from_h(0.5 * (h_edges[:-1] + h_edges[1:]))


def _rhs(model: ThermalModel, op, theta_ref: np.ndarray, b: np.ndarray) -> None:
    b[...] = 0.0
    b[:, 1:-1, 1:-1] = model.source
    b[-1, 1:-1, 1:-1] += op.gtop[1:-1, 1:-1] * model.strips_to_columns(theta_ref)
    if model.h_bot > 0:
        b[0, 1:-1, 1:-1] += op.gbot[1:-1, 1:-1] * model.theta_amb_K


def _coolant_heat(model: ThermalModel, op, theta: np.ndarray, theta_ref: np.ndarray) -> np.ndarray:
    cols = op.gtop[1:-1, 1:-1] * (theta[-1, 1:-1, 1:-1] - model.strips_to_columns(theta_ref))
    return model.columns_to_strips(cols)


def solve_thermal(case: Case, grid: Grid | None = None, *,
                  progress: Callable[[str], None] | None = None) -> ThermalResult:
    """Solve the steady temperature field of a case (on ``grid``, or the case's own grid).

    ``progress`` (optional) receives one-line status messages; the library never prints.
    Raises :class:`~wafersolve.errors.ConvergenceError` if an iteration does not converge and
    :class:`~wafersolve.errors.SolverError` if the energy balance does not close.
    """
    t0 = time.perf_counter()
    say = progress or (lambda message: None)
    grid = grid if grid is not None else build_grid(case)
    model = build_model(case, grid)
    settings = case.solver
    say(f"grid {grid.nx} x {grid.ny} x {grid.nz} = {grid.n_cells:,} cells; "
        f"{len(model.variable)} slice(s) with k(T)")
    P = float(model.source.sum())
    sum_tol = CG_SUM_TOLERANCE * max(P, 1e-30)
    theta = padded_zeros(grid.shape)
    b = padded_zeros(grid.shape)
    theta_ref = np.zeros(model.n_strips)
    scale = model.slice_scale(None)
    iterations = 0
    outer_history = []
    prev = None
    for outer in range(1, settings.max_outer_iterations + 1):
        op, pc = model.stencils(scale)
        mg = Multigrid(pc)
        _rhs(model, op, theta_ref, b)
        if prev is not None:
            np.copyto(prev, theta)
        stats = pcg(op, b, theta, mg, rtol=settings.rtol, max_iterations=settings.max_iterations,
                    sum_tol=sum_tol)
        iterations += stats.iterations
        Q_strips = _coolant_heat(model, op, theta, theta_ref)
        T_edges, T_mid = march_coolant(model, Q_strips)
        new_ref = T_mid - model.T_in_K
        change = float("inf") if prev is None else float(np.max(np.abs(theta - prev)))
        ref_change = float(np.max(np.abs(new_ref - theta_ref))) if new_ref.size else 0.0
        outer_history.append(max(change, ref_change))
        moved = "first field" if prev is None else f"field moved {change:.2e} K"
        say(f"outer {outer}: {stats.iterations} CG iterations to {stats.relative_residual:.1e}, "
            f"{moved}, coolant moved {ref_change:.2e} K")
        if prev is None:
            prev = theta.copy()
        if change <= settings.outer_tol_K and ref_change <= settings.outer_tol_K:
            break
        theta_ref = new_ref
        if model.variable:
            scale = model.slice_scale(theta)
    else:
        raise ConvergenceError(
            f"the coupling of conduction, coolant warming and k(T) did not settle to "
            f"{settings.outer_tol_K:g} K in {settings.max_outer_iterations} outer iterations",
            outer_history)
    # Verify on the returned field itself: true residual and energy balance from face fluxes.
    r = padded_zeros(grid.shape)
    apply_operator(op, theta, r)
    r[:, 1:-1, 1:-1] = b[:, 1:-1, 1:-1] - r[:, 1:-1, 1:-1]
    true_rel = float(np.linalg.norm(r.ravel()) / np.linalg.norm(b.ravel()))
    del r
    if not true_rel <= 10.0 * settings.rtol:
        raise ConvergenceError(
            f"the recomputed residual {true_rel:.3e} is far above rtol={settings.rtol:g} "
            "(round-off drift in CG)", stats.history)
    Q_cool = float(Q_strips.sum())
    Q_back = 0.0
    if model.h_bot > 0:
        Q_back = float(np.sum(op.gbot[1:-1, 1:-1] * (theta[0, 1:-1, 1:-1] - model.theta_amb_K)))
    balance = (P - Q_cool - Q_back) / max(P, abs(Q_cool) + abs(Q_back), 1e-30)
    if not abs(balance) <= ENERGY_BALANCE_LIMIT:
        raise SolverError(
            f"energy balance does not close: power in {P:.6g} W, to coolant {Q_cool:.6g} W, "
            f"to backside {Q_back:.6g} W (relative error {balance:.2e} > {ENERGY_BALANCE_LIMIT:g})")
    info = SolveInfo(
        iterations=iterations,
        outer_iterations=outer,
        residual_history=stats.history,
        relative_residual=true_rel,
        wall_time_s=time.perf_counter() - t0,
        energy_balance_relative=float(balance),
        outer_change_K=outer_history[-1] if outer > 1 else 0.0,
        linear_solves=outer,
    )
    return make_result(model, op, theta, T_edges, P, Q_cool, Q_back, info)
