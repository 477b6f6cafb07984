"""Arrays and files of a :class:`~wafersolve.results.MechanicsResult`.

``mechanics.vtr`` is a 2D VTK RectilinearGrid on the mechanics mesh (merged thermal cells, so
the last cell may be shorter): nodal (point) data for displacements and interface motion, cell
data for stresses at each plate layer's bottom and top surfaces. The same quantities, resampled
onto the thermal cells (each thermal cell takes its mechanics cell's value; node values averaged
to cell centres), are added to ``wafer.vti`` by :func:`mechanics_wafer_maps`, so one file shows
temperature, stress and gap side by side.

Names carry units (``_m``, ``_Pa``; shear strains are dimensionless). In ParaView, "Warp By
Vector" on ``displacement_<layer>_m`` shows the deformed layer.

Example
-------
>>> import numpy as np
>>> from wafersolve import load_case, build_grid
>>> from wafersolve.mechanics import solve_mechanics
>>> case = load_case("cases/small.toml")
>>> grid = build_grid(case)
>>> res = solve_mechanics(case, grid, np.full(grid.shape, 330.0))
>>> maps = mechanics_wafer_maps(res, grid)
>>> maps["sigma_1_max_wafer_Pa"].shape == (grid.ny, grid.nx)
True
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .grid import Grid
from .results import MechanicsResult


def mechanics_node_arrays(res: MechanicsResult) -> dict[str, np.ndarray]:
    """Point data of ``mechanics.vtr``, each (nodes y, nodes x) or (..., 3) for vectors."""
    out: dict[str, np.ndarray] = {}
    for lay in res.layers:
        out[f"displacement_{lay.name}_m"] = np.stack([lay.u_m, lay.v_m, lay.w_m], axis=-1)
        out[f"u_{lay.name}_m"] = lay.u_m
        out[f"v_{lay.name}_m"] = lay.v_m
        out[f"w_{lay.name}_m"] = lay.w_m
    for itf in res.interfaces:
        out[f"slide_{itf.name}_m"] = np.stack([itf.du_m, itf.dv_m, 0 * itf.du_m], axis=-1)
        out[f"displacement_{itf.name}_m"] = itf.displacement_m
        if itf.shear_strain is not None:
            out[f"shear_strain_{itf.name}"] = itf.shear_strain
        if itf.gap_change_m is not None:
            out[f"gap_change_{itf.name}_m"] = itf.gap_change_m
    return {k: np.ascontiguousarray(v, dtype=np.float64) for k, v in out.items()}


def mechanics_cell_arrays(res: MechanicsResult) -> dict[str, np.ndarray]:
    """Cell data of ``mechanics.vtr``, each (cells y, cells x)."""
    out: dict[str, np.ndarray] = {}
    for lay in res.layers:
        for k, side in enumerate(("bottom", "top")):
            out[f"sigma_xx_{lay.name}_{side}_Pa"] = lay.sigma_xx_Pa[k]
            out[f"sigma_yy_{lay.name}_{side}_Pa"] = lay.sigma_yy_Pa[k]
            out[f"tau_xy_{lay.name}_{side}_Pa"] = lay.tau_xy_Pa[k]
        out[f"sigma_1_max_{lay.name}_Pa"] = lay.sigma_1_Pa.max(axis=0)
        out[f"sigma_2_min_{lay.name}_Pa"] = lay.sigma_2_Pa.min(axis=0)
        out[f"von_mises_max_{lay.name}_Pa"] = lay.von_mises_Pa.max(axis=0)
    return {k: np.ascontiguousarray(v, dtype=np.float64) for k, v in out.items()}


def _node_to_cell(a: np.ndarray) -> np.ndarray:
    return 0.25 * (a[:-1, :-1] + a[1:, :-1] + a[:-1, 1:] + a[1:, 1:])


def mechanics_wafer_maps(res: MechanicsResult, grid: Grid) -> dict[str, np.ndarray]:
    """Mechanics maps on the thermal grid's cells (ny, nx), for ``wafer.vti``.

    Per plate layer: ``sigma_1_max_<layer>_Pa``, ``von_mises_max_<layer>_Pa`` (over its two
    surfaces), ``sigma_xx_<layer>_<bottom|top>_Pa`` (and ``sigma_yy``, ``tau_xy``),
    ``u_<layer>_m``, ``v_<layer>_m``, ``w_<layer>_m``; per interface:
    ``displacement_<name>_m``, ``shear_strain_<name>`` (compliant) and ``gap_change_<name>_m``.
    """
    ix = np.searchsorted(res.x_nodes_m, grid.x_centers_m) - 1
    iy = np.searchsorted(res.y_nodes_m, grid.y_centers_m) - 1
    nx_c, ny_c = res.x_nodes_m.size - 1, res.y_nodes_m.size - 1
    ix, iy = np.clip(ix, 0, nx_c - 1), np.clip(iy, 0, ny_c - 1)

    def sample(cells: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(cells[np.ix_(iy, ix)], dtype=np.float64)

    out: dict[str, np.ndarray] = {}
    for lay in res.layers:
        out[f"sigma_1_max_{lay.name}_Pa"] = sample(lay.sigma_1_Pa.max(axis=0))
        out[f"von_mises_max_{lay.name}_Pa"] = sample(lay.von_mises_Pa.max(axis=0))
        for k, side in enumerate(("bottom", "top")):
            out[f"sigma_xx_{lay.name}_{side}_Pa"] = sample(lay.sigma_xx_Pa[k])
            out[f"sigma_yy_{lay.name}_{side}_Pa"] = sample(lay.sigma_yy_Pa[k])
            out[f"tau_xy_{lay.name}_{side}_Pa"] = sample(lay.tau_xy_Pa[k])
        for comp, arr in (("u", lay.u_m), ("v", lay.v_m), ("w", lay.w_m)):
            out[f"{comp}_{lay.name}_m"] = sample(_node_to_cell(arr))
    for itf in res.interfaces:
        out[f"displacement_{itf.name}_m"] = sample(_node_to_cell(itf.displacement_m))
        if itf.shear_strain is not None:
            out[f"shear_strain_{itf.name}"] = sample(_node_to_cell(itf.shear_strain))
        if itf.gap_change_m is not None:
            out[f"gap_change_{itf.name}_m"] = sample(_node_to_cell(itf.gap_change_m))
    return out


def write_mechanics_vtr(res: MechanicsResult, path: Path) -> Path:
    """Write ``mechanics.vtr`` atomically (see the module docstring); return its path."""
    from vtkmodules.vtkCommonDataModel import vtkRectilinearGrid

    from .export import _add_names, _run_vtk_writer, _vtk_array

    data = vtkRectilinearGrid()
    data.SetDimensions(res.x_nodes_m.size, res.y_nodes_m.size, 1)
    data.SetXCoordinates(_vtk_array("x_m", res.x_nodes_m))
    data.SetYCoordinates(_vtk_array("y_m", res.y_nodes_m))
    data.SetZCoordinates(_vtk_array("z_m", np.zeros(1)))
    for name, arr in mechanics_node_arrays(res).items():
        data.GetPointData().AddArray(_vtk_array(name, arr.reshape(-1, 3) if arr.ndim == 3 else arr))
    for name, arr in mechanics_cell_arrays(res).items():
        data.GetCellData().AddArray(_vtk_array(name, arr))
    _add_names(data, (("plate_layers", [lay.name for lay in res.layers]),
                      ("interfaces", [itf.name for itf in res.interfaces]),
                      ("case", [res.case.name]), ("warnings", list(res.warnings))))
    from vtkmodules.vtkIOXML import vtkXMLRectilinearGridWriter

    return _run_vtk_writer(vtkXMLRectilinearGridWriter(), data, path)
