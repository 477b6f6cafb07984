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


# -- mechanics -------------------------------------------------------------------------------
@dataclass(frozen=True)
class MechSolveInfo:
    """How a mechanics solve went.

    ``rigid_load_relative`` is the share of the thermal load along the rigid-body modes (net
    force and moment): zero for a load in self-equilibrium, checked before solving.
    """

    dofs: int
    iterations: int
    relative_residual: float  # ||K x - f|| / ||f||, recomputed from the returned field
    rigid_load_relative: float
    wall_time_s: float
    residual_history: tuple[float, ...] = ()
    method: str = "pcg"  # "pcg": matrix-free CG, fast-diagonalization preconditioner; "direct"


@dataclass(frozen=True, eq=False)
class LayerMechanics:
    """Displacements and stresses of one plate layer.

    Nodal maps are (nodes y, nodes x) on the mechanics mesh; cell maps are (2, cells y, cells x)
    for the layer's bottom [0] and top [1] surfaces, where the extreme stresses sit.
    ``u_m``, ``v_m`` are the in-plane displacements of the layer's mid-plane; ``w_m`` is the
    deflection (the laminate's). Stresses are plane stress, sigma_zz = 0.
    """

    name: str
    laminate: int
    u_m: np.ndarray
    v_m: np.ndarray
    w_m: np.ndarray
    sigma_xx_Pa: np.ndarray
    sigma_yy_Pa: np.ndarray
    tau_xy_Pa: np.ndarray

    @property
    def sigma_1_Pa(self) -> np.ndarray:
        """Maximum principal in-plane stress, per surface and cell."""
        c = 0.5 * (self.sigma_xx_Pa + self.sigma_yy_Pa)
        r = np.hypot(0.5 * (self.sigma_xx_Pa - self.sigma_yy_Pa), self.tau_xy_Pa)
        return c + r

    @property
    def sigma_2_Pa(self) -> np.ndarray:
        """Minimum principal in-plane stress, per surface and cell."""
        c = 0.5 * (self.sigma_xx_Pa + self.sigma_yy_Pa)
        r = np.hypot(0.5 * (self.sigma_xx_Pa - self.sigma_yy_Pa), self.tau_xy_Pa)
        return c - r

    @property
    def von_mises_Pa(self) -> np.ndarray:
        """Von Mises equivalent stress (plane stress), per surface and cell."""
        sx, sy, t = self.sigma_xx_Pa, self.sigma_yy_Pa, self.tau_xy_Pa
        return np.sqrt(sx * sx - sx * sy + sy * sy + 3.0 * t * t)

    @property
    def bow_m(self) -> float:
        """Peak-to-valley deflection over the layer."""
        return float(np.nanmax(self.w_m) - np.nanmin(self.w_m))


@dataclass(frozen=True, eq=False)
class InterfaceMechanics:
    """What an interface layer (connector, TIM) has to absorb, as nodal maps.

    ``du_m``, ``dv_m``: in-plane displacement of the upper face relative to the lower face.
    ``shear_strain``: magnitude of the interlayer's shear strain (relative displacement over the
    height, corrected for the rotation of the faces), for compliant interfaces; None for a slip
    interface, whose faces simply slide by ``displacement_m``. ``gap_change_m``: change of the gap
    across the interface (w of the upper face minus w of the lower, minus the preload
    compression; positive = opening); None when the interface has no normal stiffness.
    """

    name: str
    kind: str
    lower: str
    upper: str
    height_m: float
    du_m: np.ndarray
    dv_m: np.ndarray
    shear_strain: np.ndarray | None
    gap_change_m: np.ndarray | None

    @property
    def displacement_m(self) -> np.ndarray:
        return np.hypot(self.du_m, self.dv_m)


@dataclass(frozen=True)
class AllowableCheck:
    """One result checked against an allowable.

    ``limit`` is ``"max"`` (actual must not exceed allowed) or ``"min"`` (must not fall below).
    ``margin`` is the distance to the limit as a fraction of it: >= 0 passes.

    Example
    -------
    >>> AllowableCheck("wafer_sigma_1", "stress", "max", 40e6, 100e6).margin
    0.6
    """

    name: str
    quantity: str  # "stress", "length" or "strain": decides the unit suffix in summaries
    limit: str
    actual: float
    allowed: float

    @property
    def margin(self) -> float:
        scale = abs(self.allowed) if self.allowed != 0 else 1.0
        diff = self.allowed - self.actual if self.limit == "max" else self.actual - self.allowed
        return diff / scale

    @property
    def passed(self) -> bool:
        return self.margin >= 0.0


@dataclass(frozen=True, eq=False)
class MechanicsResult:
    """Displacements, stresses, interface motion and checks of the sandwich under a temperature.

    ``x_nodes_m``, ``y_nodes_m`` are the mechanics mesh nodes (cell edges of merged thermal
    cells). ``warnings`` are conditions the engineer must read (e.g. deflection beyond linear
    plate theory); they do not stop the run.
    """

    case: Case
    x_nodes_m: np.ndarray
    y_nodes_m: np.ndarray
    layers: tuple[LayerMechanics, ...]
    interfaces: tuple[InterfaceMechanics, ...]
    checks: tuple[AllowableCheck, ...]
    warnings: tuple[str, ...]
    info: MechSolveInfo

    def layer(self, name: str) -> LayerMechanics:
        for item in self.layers:
            if item.name == name:
                return item
        raise KeyError(name)

    def interface(self, name: str) -> InterfaceMechanics:
        for item in self.interfaces:
            if item.name == name:
                return item
        raise KeyError(name)

    def summary(self) -> dict:
        """SI scalars with units in their names, merged into ``summary.json``."""
        out: dict = {
            "mech_stress_free_T_K": self.case.mechanics.stress_free_T_K,
            "mech_cells_x": self.x_nodes_m.size - 1,
            "mech_cells_y": self.y_nodes_m.size - 1,
            "mech_dofs": self.info.dofs,
            "mech_relative_residual": self.info.relative_residual,
            "mech_iterations": self.info.iterations,
            "mech_rigid_load_relative": self.info.rigid_load_relative,
            "mech_wall_time_s": self.info.wall_time_s,
        }
        for lay in self.layers:
            p = f"mech_layer_{lay.name}_"
            out[p + "sigma_1_max_Pa"] = float(np.nanmax(lay.sigma_1_Pa))
            out[p + "sigma_2_min_Pa"] = float(np.nanmin(lay.sigma_2_Pa))
            out[p + "von_mises_max_Pa"] = float(np.nanmax(lay.von_mises_Pa))
            out[p + "u_inplane_max_m"] = float(np.nanmax(np.hypot(lay.u_m, lay.v_m)))
            out[p + "w_min_m"] = float(np.nanmin(lay.w_m))
            out[p + "w_max_m"] = float(np.nanmax(lay.w_m))
            out[p + "bow_m"] = lay.bow_m
        for itf in self.interfaces:
            p = f"mech_interface_{itf.name}_"
            out[p + "displacement_max_m"] = float(np.nanmax(itf.displacement_m))
            if itf.shear_strain is not None:
                out[p + "shear_strain_max"] = float(np.nanmax(itf.shear_strain))
            if itf.gap_change_m is not None:
                out[p + "gap_change_min_m"] = float(np.nanmin(itf.gap_change_m))
                out[p + "gap_change_max_m"] = float(np.nanmax(itf.gap_change_m))
        for chk in self.checks:
            p = f"check_{chk.name}_"
            out[p + "actual" + _unit_suffix(chk.quantity)] = chk.actual
            out[p + "allowed" + _unit_suffix(chk.quantity)] = chk.allowed
            out[p + "margin"] = chk.margin
            out[p + "passed"] = chk.passed
        out["mech_checks_passed"] = all(c.passed for c in self.checks)
        out["mech_warnings"] = len(self.warnings)
        return out


def _unit_suffix(quantity: str) -> str:
    return {"stress": "_Pa", "length": "_m"}.get(quantity, "")
