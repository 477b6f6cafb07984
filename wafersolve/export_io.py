"""The edge I/O layout as a 2D field: ``io_layout.vtr`` (VTK RectilinearGrid on the core grid).

Cell arrays: ``tile`` (reticle tile index), ``phy`` (PHY macro index on PHY silicon, -1
elsewhere), ``port`` (1 where the core mesh leaves the wafer: usable PHYs, or the optical patch),
``core`` (1 where a core sits), ``hops`` (mesh hops to the nearest port; NaN where there is no
core) and ``reachable`` (1 where some port can be reached). Open it in ParaView or with
``pyvista.read``; ``wafersolve check -o OUTDIR`` writes it.

Example
-------
>>> from wafersolve import load_case
>>> from wafersolve.edge_io import solve_edge_io
>>> arrays = io_layout_arrays(solve_edge_io(load_case("cases/wse3.toml").io))
>>> sorted(arrays)
['core', 'hops', 'phy', 'port', 'reachable', 'tile']
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .edge_io import IOResult


def io_layout_arrays(io: IOResult) -> dict[str, np.ndarray]:
    """The cell arrays of ``io_layout.vtr``, each (core rows along y, core columns along x)."""
    hops = np.asarray(io.hop_map, dtype=np.float64)
    reachable = np.isfinite(hops)
    return {
        "tile": np.asarray(io.tile_map, dtype=np.int32),
        "phy": np.asarray(io.phy_map, dtype=np.int32),
        "port": np.asarray(io.port_map, dtype=np.int32),
        "core": np.asarray(io.core_map, dtype=np.int32),
        "hops": np.where(reachable, hops, np.nan),
        "reachable": reachable.astype(np.int32),
    }


def write_io_layout(io: IOResult, path: Path) -> Path:
    """Write ``io_layout.vtr`` atomically; return its path."""
    from vtkmodules.vtkCommonDataModel import vtkRectilinearGrid
    from vtkmodules.vtkIOXML import vtkXMLRectilinearGridWriter

    from .export import _add_names, _run_vtk_writer, _vtk_array

    data = vtkRectilinearGrid()
    data.SetDimensions(io.x_edges_m.size, io.y_edges_m.size, 1)
    data.SetXCoordinates(_vtk_array("x_m", io.x_edges_m))
    data.SetYCoordinates(_vtk_array("y_m", io.y_edges_m))
    data.SetZCoordinates(_vtk_array("z_m", np.zeros(1)))
    for name, arr in io_layout_arrays(io).items():
        data.GetCellData().AddArray(_vtk_array(name, arr))
    _add_names(data, (("phy_names", list(io.phy_names)), ("mode", [io.mode])))
    return _run_vtk_writer(vtkXMLRectilinearGridWriter(), data, Path(path))
