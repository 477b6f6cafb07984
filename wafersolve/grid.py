"""The structured finite-volume grid: uniform in x and y, layer-following in z.

Arrays on the grid are indexed ``[k, j, i]`` = (z, y, x), C order, so an x-row is contiguous.

Example
-------
>>> import numpy as np
>>> g = Grid.from_edges(np.linspace(0, 1, 5), np.linspace(0, 2, 3), np.array([0, .1, .3]),
...                     layer_of_cell=np.array([0, 1]), layer_names=("a", "b"))
>>> g.shape
(2, 2, 4)
>>> g.layer_slices()["b"]
slice(1, 2, None)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .case.model import Case


@dataclass(frozen=True, eq=False)
class Grid:
    """Cell edges in x, y, z (metres) and the layer each z cell belongs to."""

    x_edges_m: np.ndarray
    y_edges_m: np.ndarray
    z_edges_m: np.ndarray
    layer_of_cell: np.ndarray  # (nz,) int, index into layer_names
    layer_names: tuple[str, ...]

    @classmethod
    def from_edges(cls, x_edges_m, y_edges_m, z_edges_m, layer_of_cell, layer_names):
        """Build a grid from edge arrays, checking they increase and fit together."""
        x, y, z = (np.ascontiguousarray(a, dtype=np.float64) for a in (x_edges_m, y_edges_m, z_edges_m))
        for name, e in (("x", x), ("y", y), ("z", z)):
            if e.ndim != 1 or e.size < 2 or not np.all(np.diff(e) > 0):
                raise ValueError(f"{name} edges must be a strictly increasing 1D array of >= 2 values")
        for name, e in (("x", x), ("y", y)):
            d = np.diff(e)
            if not np.allclose(d, d[0], rtol=1e-9, atol=0):
                raise ValueError(f"{name} cells must be uniform")
        loc = np.ascontiguousarray(layer_of_cell, dtype=np.intp)
        if loc.shape != (z.size - 1,):
            raise ValueError("layer_of_cell needs one entry per z cell")
        return cls(x, y, z, loc, tuple(layer_names))

    # -- sizes --------------------------------------------------------------------------------
    @property
    def nx(self) -> int:
        return self.x_edges_m.size - 1

    @property
    def ny(self) -> int:
        return self.y_edges_m.size - 1

    @property
    def nz(self) -> int:
        return self.z_edges_m.size - 1

    @property
    def shape(self) -> tuple[int, int, int]:
        return (self.nz, self.ny, self.nx)

    @property
    def n_cells(self) -> int:
        return self.nx * self.ny * self.nz

    @property
    def dx_m(self) -> float:
        return float(self.x_edges_m[1] - self.x_edges_m[0])

    @property
    def dy_m(self) -> float:
        return float(self.y_edges_m[1] - self.y_edges_m[0])

    @property
    def dz_m(self) -> np.ndarray:
        return np.diff(self.z_edges_m)

    # -- centres ------------------------------------------------------------------------------
    @property
    def x_centers_m(self) -> np.ndarray:
        return 0.5 * (self.x_edges_m[1:] + self.x_edges_m[:-1])

    @property
    def y_centers_m(self) -> np.ndarray:
        return 0.5 * (self.y_edges_m[1:] + self.y_edges_m[:-1])

    @property
    def z_centers_m(self) -> np.ndarray:
        return 0.5 * (self.z_edges_m[1:] + self.z_edges_m[:-1])

    def layer_slices(self) -> dict[str, slice]:
        """z-cell range of every layer, by name."""
        out = {}
        for idx, name in enumerate(self.layer_names):
            ks = np.flatnonzero(self.layer_of_cell == idx)
            out[name] = slice(int(ks[0]), int(ks[-1]) + 1)
        return out


def build_grid(case: Case) -> Grid:
    """The grid of a case: ``case.grid`` cells in x and y, ``layer.cells`` equal cells per layer.

    Example
    -------
    >>> from wafersolve import load_case
    >>> build_grid(load_case("cases/small.toml")).shape
    (8, 64, 64)
    """
    lx, ly = case.wafer.size_m
    x = np.linspace(0.0, lx, case.grid.nx + 1)
    y = np.linspace(0.0, ly, case.grid.ny + 1)
    z = [0.0]
    loc = []
    for idx, layer in enumerate(case.layers):
        z0 = z[-1]
        z.extend(z0 + layer.thickness_m * np.arange(1, layer.cells + 1) / layer.cells)
        loc.extend([idx] * layer.cells)
    return Grid.from_edges(x, y, np.array(z), np.array(loc), tuple(layer.name for layer in case.layers))
