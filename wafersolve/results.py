"""Result types: frozen dataclasses of arrays plus :class:`SolveInfo`, one type per solver.

Example
-------
>>> info = SolveInfo(iterations=12, outer_iterations=1, residual_history=(1.0, 1e-9),
...                  relative_residual=1e-9, wall_time_s=0.1, energy_balance_relative=1e-12)
>>> info.converged_to(1e-8)
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .case.model import Case
from .grid import Grid


@dataclass(frozen=True)
class SolveInfo:
    """How a solve went: iteration counts, residuals, time and the energy balance."""

    iterations: int  # CG iterations, summed over all linear solves
    outer_iterations: int  # Picard / coolant-coupling iterations (1 = a single linear solve)
    residual_history: tuple[float, ...]  # relative residual per CG iteration of the last solve
    relative_residual: float  # final ||b - A T|| / ||b||, recomputed from the field
    wall_time_s: float
    energy_balance_relative: float  # (P_in - Q_coolant - Q_backside) / P_in
    outer_change_K: float = 0.0  # max |T change| in the last outer iteration
    linear_solves: int = 1
    method: str = "CG + geometric multigrid (z-line red-black smoothing, x-y coarsening)"

    def converged_to(self, rtol: float) -> bool:
        return self.relative_residual <= rtol


@dataclass(frozen=True)
class LayerStats:
    """Temperature statistics of one layer (kelvin)."""

    name: str
    T_min_K: float
    T_mean_K: float
    T_max_K: float


@dataclass(frozen=True)
class HotSpot:
    """Where the hottest cell is."""

    T_K: float
    x_m: float
    y_m: float
    z_m: float
    layer: str
    index: tuple[int, int, int]  # (k, j, i)


@dataclass(frozen=True, eq=False)
class ThermalResult:
    """A converged steady temperature field and what engineers read off it.

    ``T_K`` is (nz, ny, nx) on ``grid``. Maps over the wafer plane are (ny, nx), row 0 at y = 0.
    The coolant arrays run along the flow, one entry per strip of cells crossing the flow.
    """

    case: Case
    grid: Grid
    T_K: np.ndarray
    power_W: np.ndarray  # (ny, nx) power per column deposited in the power layer
    layer_stats: tuple[LayerStats, ...]
    hotspot: HotSpot
    tile_T_max_K: np.ndarray  # (tile rows, tile columns) max temperature in the power layer
    coolant_T_K: np.ndarray  # strip inlet temperatures along the flow, plus the outlet (n + 1)
    coolant_s_m: np.ndarray  # distance along the flow of those points (n + 1)
    q_coldplate_W_per_m2: np.ndarray  # (ny, nx) heat flux into the bottom face of the top layer
    P_W: float
    Q_coolant_W: float
    Q_backside_W: float
    info: SolveInfo

    # -- derived scalars ---------------------------------------------------------------------
    @property
    def coolant_inlet_T_K(self) -> float:
        return float(self.coolant_T_K[0])

    @property
    def coolant_outlet_T_K(self) -> float:
        return float(self.coolant_T_K[-1])

    @property
    def coolant_rise_K(self) -> float:
        return self.coolant_outlet_T_K - self.coolant_inlet_T_K

    @property
    def lpm_per_kW(self) -> float:
        lpm = self.case.cooling.flow_m3_per_s * 60000.0
        return lpm / (self.P_W / 1000.0) if self.P_W > 0 else float("inf")

    def layer(self, name: str) -> np.ndarray:
        """The (cells, ny, nx) block of ``T_K`` belonging to layer ``name``."""
        return self.T_K[self.grid.layer_slices()[name]]

    def summary(self) -> dict:
        """SI scalars with units in their names, as written to ``summary.json``."""
        q = self.q_coldplate_W_per_m2
        out = {
            "case": self.case.name,
            "grid_nx": self.grid.nx,
            "grid_ny": self.grid.ny,
            "grid_nz": self.grid.nz,
            "grid_cells": self.grid.n_cells,
            "power_W": self.P_W,
            "T_max_K": self.hotspot.T_K,
            "hotspot_x_m": self.hotspot.x_m,
            "hotspot_y_m": self.hotspot.y_m,
            "hotspot_z_m": self.hotspot.z_m,
            "hotspot_layer": self.hotspot.layer,
            "coolant_inlet_T_K": self.coolant_inlet_T_K,
            "coolant_outlet_T_K": self.coolant_outlet_T_K,
            "coolant_rise_K": self.coolant_rise_K,
            "coolant_flow_m3_per_s": self.case.cooling.flow_m3_per_s,
            "flow_lpm_per_kW": self.lpm_per_kW,
            "Q_coolant_W": self.Q_coolant_W,
            "Q_backside_W": self.Q_backside_W,
            "q_coldplate_mean_W_per_m2": float(q.mean()),
            "q_coldplate_peak_W_per_m2": float(q.max()),
            "tile_T_max_max_K": float(self.tile_T_max_K.max()),
            "tile_T_max_min_K": float(self.tile_T_max_K.min()),
            "energy_balance_relative": self.info.energy_balance_relative,
            "solver_iterations": self.info.iterations,
            "solver_outer_iterations": self.info.outer_iterations,
            "solver_linear_solves": self.info.linear_solves,
            "solver_relative_residual": self.info.relative_residual,
            "solver_outer_change_K": self.info.outer_change_K,
            "solver_wall_time_s": self.info.wall_time_s,
        }
        for s in self.layer_stats:
            out[f"layer_{s.name}_T_min_K"] = s.T_min_K
            out[f"layer_{s.name}_T_mean_K"] = s.T_mean_K
            out[f"layer_{s.name}_T_max_K"] = s.T_max_K
        return out
