"""From a case and its grid to the discrete thermal model: per-slice conductivities, contact
resistances, convective faces, the heat source and the coolant strips.

The unknown is the temperature rise over the coolant inlet, theta = T - T_inlet (K).

Example
-------
>>> from wafersolve import load_case, build_grid
>>> case = load_case("cases/small.toml")
>>> model = build_model(case, build_grid(case))
>>> model.variable                                   # the two silicon slices have k(T)
(3, 4)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..case.model import Case
from ..coldplate import effective_h_W_per_m2_K
from ..cooling import Coolant, coolant, mass_flow_kg_per_s
from ..errors import SolverError
from ..grid import Grid
from ..sources import deposit_power
from .stencil import (
    Stencil,
    geometry_stencil,
    layered_coefficients,
    robin_per_area,
    with_variable_slices,
)


@dataclass(frozen=True, eq=False)
class ThermalModel:
    """Everything the solve needs, in SI, on the grid of the case."""

    case: Case
    grid: Grid
    dz_m: np.ndarray  # (nz,)
    k_ref: np.ndarray  # (nz, 3) conductivity of each slice's material at its reference T
    contact: np.ndarray  # (nz - 1,) contact resistance on each internal z face (m^2 K / W)
    variable: tuple[int, ...]  # slices whose k depends on temperature (if enabled)
    h_top: float
    h_bot: float
    T_in_K: float
    theta_amb_K: float  # backside ambient minus coolant inlet
    power_W: np.ndarray  # (ny, nx) per column
    source: np.ndarray  # (nz, ny, nx) W per cell
    fluid: Coolant
    m_dot_kg_per_s: float
    strip_axis: int  # 1 = strips are x columns (flow along x), 0 = y rows
    strip_reversed: bool  # flow towards -x / -y

    @property
    def n_strips(self) -> int:
        return self.grid.nx if self.strip_axis == 1 else self.grid.ny

    def slice_scale(self, theta: np.ndarray | None) -> dict[int, np.ndarray]:
        """k(T)/k_ref on each temperature-dependent slice; theta None means T = T_inlet."""
        out = {}
        for k in self.variable:
            mat = self.case.layers[self.grid.layer_of_cell[k]].material
            if theta is None:
                T = np.full(self.grid.shape[1:], self.T_in_K)
            else:
                T = theta[k, 1:-1, 1:-1] + self.T_in_K
            if np.any(T <= 0):
                raise SolverError("temperature fell to or below 0 K during the k(T) iteration")
            out[k] = mat.k_scale(T)
        return out

    def stencils(self, scale: dict[int, np.ndarray]) -> tuple[Stencil, Stencil]:
        """(operator, preconditioner) stencils for the given k(T) scales.

        The operator has per-cell conductances on scaled slices; the preconditioner uses each such
        slice's mean scale, keeping the multigrid hierarchy layer-constant.
        """
        k_mean = self.k_ref.copy()
        for kk, s in scale.items():
            k_mean[kk] *= float(s.mean())
        cx, cy, cz, half = layered_coefficients(self.dz_m, k_mean, self.contact)
        g = self.grid
        const = geometry_stencil(np.full(g.nx, g.dx_m), np.full(g.ny, g.dy_m), cx, cy, cz,
                                 robin_per_area(half[-1], self.h_top),
                                 robin_per_area(half[0], self.h_bot))
        if not scale:
            return const, const
        rel = {kk: s / float(s.mean()) for kk, s in scale.items()}
        op = with_variable_slices(const, rel, self.dz_m, k_mean, self.contact, self.h_top,
                                  self.h_bot)
        return op, const

    def strips_to_columns(self, values: np.ndarray) -> np.ndarray:
        """Broadcast one value per strip (in flow order) to a (ny, nx) map."""
        v = values[::-1] if self.strip_reversed else values
        ny, nx = self.grid.ny, self.grid.nx
        return np.broadcast_to(v[None, :] if self.strip_axis == 1 else v[:, None], (ny, nx))

    def columns_to_strips(self, col: np.ndarray) -> np.ndarray:
        """Sum a (ny, nx) map over each strip, in flow order."""
        s = col.sum(axis=0) if self.strip_axis == 1 else col.sum(axis=1)
        return s[::-1] if self.strip_reversed else s

    def strip_edges_m(self) -> np.ndarray:
        """Distance along the flow of the strip boundaries (n_strips + 1)."""
        e = self.grid.x_edges_m if self.strip_axis == 1 else self.grid.y_edges_m
        return e - e[0]


def build_model(case: Case, grid: Grid) -> ThermalModel:
    """Translate a case on a grid into the discrete thermal model."""
    layers = case.layers
    loc = grid.layer_of_cell
    dz = grid.dz_m
    k_ref = np.array([layers[m].material.k_W_per_m_K for m in loc], dtype=np.float64)
    contact = np.zeros(max(grid.nz - 1, 0))
    by_pair = {(c.lower, c.upper): c.resistance_m2_K_per_W for c in case.contacts}
    for f in range(grid.nz - 1):
        lo, hi = layers[loc[f]].name, layers[loc[f + 1]].name
        if lo != hi:
            contact[f] = by_pair.get((lo, hi), 0.0)
    variable: tuple[int, ...] = ()
    if case.solver.temperature_dependent_k:
        variable = tuple(int(k) for k in range(grid.nz) if layers[loc[k]].material.temperature_dependent)
    power = deposit_power(case, grid)
    source = np.zeros(grid.shape)
    sl = grid.layer_slices()[case.power.layer]
    ks = np.arange(sl.start, sl.stop)
    if case.power.depth == "bottom":
        weights = {int(ks[0]): 1.0}
    elif case.power.depth == "top":
        weights = {int(ks[-1]): 1.0}
    else:
        w = dz[ks] / dz[ks].sum()
        weights = {int(k): float(wk) for k, wk in zip(ks, w, strict=True)}
    for k, w in weights.items():
        source[k] += w * power
    fluid = coolant(case.cooling.coolant)
    direction = case.cooling.direction
    return ThermalModel(
        case=case,
        grid=grid,
        dz_m=dz,
        k_ref=k_ref,
        contact=contact,
        variable=variable,
        h_top=effective_h_W_per_m2_K(case),  # the case's h, or the channel model's
        h_bot=case.backside.h_W_per_m2_K,
        T_in_K=case.cooling.inlet_T_K,
        theta_amb_K=case.backside.ambient_T_K - case.cooling.inlet_T_K,
        power_W=power,
        source=source,
        fluid=fluid,
        m_dot_kg_per_s=mass_flow_kg_per_s(fluid, case.cooling.flow_m3_per_s, case.cooling.inlet_T_K),
        strip_axis=1 if direction.endswith("x") else 0,
        strip_reversed=direction.startswith("-"),
    )
