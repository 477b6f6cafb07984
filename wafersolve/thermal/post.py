"""What engineers read off a converged field: layer statistics, the hot spot, per-tile maxima
and the heat flux into the cold plate."""

from __future__ import annotations

import numpy as np

from ..results import HotSpot, LayerStats, SolveInfo, ThermalResult
from ..sources import tile_index_map
from .assemble import face_conductances
from .model import ThermalModel
from .stencil import Stencil


def tile_maxima(T_col: np.ndarray, tiles: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Max of a (ny, nx) map over each tile (tile ids row-major, -1 = outside); NaN if empty."""
    n = shape[0] * shape[1]
    out = np.full(n, -np.inf)
    inside = tiles >= 0
    np.maximum.at(out, tiles[inside], T_col[inside])
    out[np.isinf(out)] = np.nan
    return out.reshape(shape)


def coldplate_flux(model: ThermalModel, op: Stencil, theta: np.ndarray) -> np.ndarray:
    """Heat flux (W/m^2) into the bottom face of the top layer, per column.

    For a one-layer stack it is the flux into the coolant instead.
    """
    grid = model.grid
    top = grid.layer_slices()[grid.layer_names[-1]]
    area = grid.dx_m * grid.dy_m
    if top.start == 0:
        return op.gtop[1:-1, 1:-1] * (theta[-1, 1:-1, 1:-1]) / area
    f = top.start - 1
    _, _, gz = face_conductances(op)
    return gz[f] * (theta[f, 1:-1, 1:-1] - theta[f + 1, 1:-1, 1:-1]) / area


def make_result(model: ThermalModel, op: Stencil, theta: np.ndarray, coolant_T_K: np.ndarray,
                P: float, Q_cool: float, Q_back: float, info: SolveInfo) -> ThermalResult:
    """Assemble the :class:`ThermalResult` of a converged solve."""
    grid, case = model.grid, model.case
    T = theta[:, 1:-1, 1:-1] + model.T_in_K
    stats = []
    for name, sl in grid.layer_slices().items():
        block = T[sl]
        stats.append(LayerStats(name, float(block.min()), float(block.mean()), float(block.max())))
    k, j, i = np.unravel_index(int(np.argmax(T)), T.shape)
    hot = HotSpot(float(T[k, j, i]), float(grid.x_centers_m[i]), float(grid.y_centers_m[j]),
                  float(grid.z_centers_m[k]), grid.layer_names[grid.layer_of_cell[k]],
                  (int(k), int(j), int(i)))
    heated = T[grid.layer_slices()[case.power.layer]].max(axis=0)
    tiles = tile_maxima(heated, tile_index_map(case, grid), case.wafer.tiles[::-1])
    return ThermalResult(
        case=case,
        grid=grid,
        T_K=np.ascontiguousarray(T),
        power_W=model.power_W,
        layer_stats=tuple(stats),
        hotspot=hot,
        tile_T_max_K=tiles,
        coolant_T_K=np.asarray(coolant_T_K, dtype=np.float64),
        coolant_s_m=model.strip_edges_m(),
        q_coldplate_W_per_m2=coldplate_flux(model, op, theta),
        P_W=P,
        Q_coolant_W=Q_cool,
        Q_backside_W=Q_back,
        info=info,
    )
