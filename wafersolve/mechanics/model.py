"""From a case, its thermal grid and a temperature field to the discrete mechanics model.

The stack is split into **laminates** (maximal runs of neighbouring plate layers, bonded to one
another) separated by **interface layers** that act as springs (``[[mechanics.interfaces]]``).
Each laminate is a classical-lamination-theory plate: membrane displacements (u, v) of its
reference plane (the laminate's mid-height) and a deflection w, with the A, B, D stiffness
matrices and the thermal force and moment resultants N_T, M_T integrated through its layers
from the temperature of every thermal cell. Interfaces couple the laminates above and below by
a shear stiffness per area (lateral) and a normal stiffness per area (gap).

The mechanics mesh uses the thermal grid's x and y cell edges, merging whole thermal cells into
coarser mechanics cells when ``mechanics.cell_size`` asks for it; temperatures are averaged over
the merged cells (area-weighted, exact for piecewise-constant fields).

Example
-------
>>> from wafersolve import load_case, build_grid
>>> import numpy as np
>>> case = load_case("cases/small.toml")
>>> grid = build_grid(case)
>>> model = build_mech_model(case, grid, np.full(grid.shape, 348.15))
>>> [lam.layers for lam in model.laminates]
[('pcb',), ('wafer',), ('cold_plate',)]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..case.model import Case, Elastic
from ..errors import SolverError
from ..grid import Grid
from .fem1d import Mesh1D


@dataclass(frozen=True)
class PlateLayer:
    """One plate layer of a laminate: its z range and elasticity."""

    name: str
    z0_m: float
    z1_m: float
    elastic: Elastic

    @property
    def Q_alpha(self) -> tuple[float, float]:
        """Thermal stress coefficients (Q alpha)_x, (Q alpha)_y in Pa/K."""
        q11, q12, q22, _ = self.elastic.Q_Pa
        ax, ay = self.elastic.alpha_per_K
        return (q11 * ax + q12 * ay, q12 * ax + q22 * ay)


@dataclass(frozen=True, eq=False)
class Laminate:
    """A bonded group of plate layers with its CLT stiffness and thermal resultants.

    ``A``, ``B``, ``D`` are (11, 12, 22, 66) tuples about the reference plane ``z_ref_m``.
    ``N_T`` and ``M_T`` are (2, ny, nx) per mechanics cell: x and y components (the xy
    components vanish for materials with orthotropic axes along x and y).
    """

    layers: tuple[str, ...]
    plates: tuple[PlateLayer, ...]
    z0_m: float
    z1_m: float
    z_ref_m: float
    A: tuple[float, float, float, float]
    B: tuple[float, float, float, float]
    D: tuple[float, float, float, float]
    N_T: np.ndarray
    M_T: np.ndarray

    @property
    def thickness_m(self) -> float:
        return self.z1_m - self.z0_m


@dataclass(frozen=True)
class Spring:
    """An interface layer between laminate ``lower`` (below) and ``upper`` (above)."""

    layer: str
    kind: str
    lower: int
    upper: int
    z_top_of_lower_m: float
    z_bottom_of_upper_m: float
    k_shear_Pa_per_m: float
    k_normal_Pa_per_m: float

    @property
    def height_m(self) -> float:
        return self.z_bottom_of_upper_m - self.z_top_of_lower_m


@dataclass(frozen=True, eq=False)
class MechModel:
    """The discrete mechanics problem of a case."""

    case: Case
    mesh_x: Mesh1D
    mesh_y: Mesh1D
    laminates: tuple[Laminate, ...]
    springs: tuple[Spring, ...]
    theta_K: dict  # layer name -> (cells, ny, nx) temperature rise over stress-free, per z cell
    cell_z_m: dict  # layer name -> (cells + 1,) z edges of the layer's thermal cells
    support_laminate: int | None  # laminate held at w = 0 along its edges, if any
    stress_free_T_K: float
    active: np.ndarray | None = None  # (ny, nx) cells inside the outline; None: all of them

    @property
    def clipped(self) -> bool:
        return self.active is not None and not bool(self.active.all())

    @property
    def shape_nodes(self) -> tuple[int, int]:
        return (self.mesh_y.n_nodes, self.mesh_x.n_nodes)

    @property
    def shape_cells(self) -> tuple[int, int]:
        return (self.mesh_y.n_elements, self.mesh_x.n_elements)

    def laminate_of(self, layer: str) -> int:
        """Index of the laminate a plate layer belongs to."""
        for idx, lam in enumerate(self.laminates):
            if layer in lam.layers:
                return idx
        raise KeyError(layer)


def mech_edges(edges_m: np.ndarray, cell_size_m: float | None) -> tuple[np.ndarray, np.ndarray]:
    """Mechanics cell edges made of whole thermal cells, and the thermal-cell start of each.

    Each mechanics cell merges ``f = round(cell_size / dx)`` thermal cells (at least 1); a last,
    shorter cell takes the remainder.

    Example
    -------
    >>> e, starts = mech_edges(np.linspace(0, 1, 11), 0.3)
    >>> e.round(2).tolist(), starts.tolist()
    ([0.0, 0.3, 0.6, 0.9, 1.0], [0, 3, 6, 9])
    """
    n = edges_m.size - 1
    dx = edges_m[1] - edges_m[0]
    f = 1 if cell_size_m is None else max(1, int(round(cell_size_m / dx)))
    starts = np.arange(0, n, f)
    edges = np.append(edges_m[starts], edges_m[-1])
    return edges, starts


def _coarsen(field: np.ndarray, sy: np.ndarray, sx: np.ndarray) -> np.ndarray:
    """Mean of a (..., ny, nx) field over blocks starting at rows ``sy`` and columns ``sx``."""
    ny, nx = field.shape[-2:]
    if sy.size == ny and sx.size == nx:
        return np.array(field, dtype=float)
    s = np.add.reduceat(np.add.reduceat(field, sy, axis=-2), sx, axis=-1)
    cy = np.diff(np.append(sy, ny))
    cx = np.diff(np.append(sx, nx))
    return s / (cy[:, None] * cx[None, :])


def build_mech_model(case: Case, grid: Grid, T_K: np.ndarray) -> MechModel:
    """The mechanics model of ``case`` loaded by the temperature ``T_K`` (nz, ny, nx) on ``grid``.

    Raises :class:`SolverError` if the case has no ``[mechanics]`` section or the field does not
    fit the grid.

    Example
    -------
    >>> from wafersolve import load_case, build_grid
    >>> case = load_case("cases/small.toml")
    >>> grid = build_grid(case)
    >>> m = build_mech_model(case, grid, np.full(grid.shape, case.mechanics.stress_free_T_K))
    >>> float(abs(m.laminates[1].N_T).max())             # no rise, no thermal load
    0.0
    """
    mech = case.mechanics
    if mech is None:
        raise SolverError(f"case {case.name!r} has no [mechanics] section: nothing to solve")
    T = np.asarray(T_K, dtype=float)
    if T.shape != grid.shape:
        raise SolverError(f"temperature field of shape {T.shape} does not fit the grid {grid.shape}")
    if not np.all(np.isfinite(T)):
        raise SolverError("the temperature field has non-finite values")
    ex, sx = mech_edges(grid.x_edges_m, mech.cell_size_m)
    ey, sy = mech_edges(grid.y_edges_m, mech.cell_size_m)
    mesh_x, mesh_y = Mesh1D(ex), Mesh1D(ey)
    slices = grid.layer_slices()
    theta, cell_z = {}, {}
    for layer in case.layers:
        sl = slices[layer.name]
        theta[layer.name] = _coarsen(T[sl], sy, sx) - mech.stress_free_T_K
        cell_z[layer.name] = grid.z_edges_m[sl.start:sl.stop + 1].copy()

    # Split the stack into laminates (runs of plates) and springs (interface layers).
    runs: list[list[int]] = [[]]
    between: list[int] = []
    for idx, layer in enumerate(case.layers):
        if mech.interface(layer.name) is None:
            runs[-1].append(idx)
        else:
            between.append(idx)
            runs.append([])
    if any(not run for run in runs):
        raise SolverError("every interface layer needs a plate layer below and above it")
    active = None
    if mech.outline_diameter_m is not None:
        active = outline_mask(mesh_x, mesh_y, mech.outline_diameter_m)
    laminates = tuple(_laminate(case, run, theta, cell_z, active) for run in runs)
    springs = []
    for n, idx in enumerate(between):
        itf = mech.interface(case.layers[idx].name)
        springs.append(Spring(
            layer=itf.layer, kind=itf.kind, lower=n, upper=n + 1,
            z_top_of_lower_m=laminates[n].z1_m, z_bottom_of_upper_m=laminates[n + 1].z0_m,
            k_shear_Pa_per_m=itf.shear_stiffness_Pa_per_m,
            k_normal_Pa_per_m=itf.normal_stiffness_Pa_per_m))
    support = None
    if mech.support == "simply_supported":
        support = next(i for i, lam in enumerate(laminates) if mech.support_layer in lam.layers)
    return MechModel(case, mesh_x, mesh_y, laminates, tuple(springs), theta, cell_z, support,
                     mech.stress_free_T_K, active)


def outline_mask(mesh_x: Mesh1D, mesh_y: Mesh1D, diameter_m: float) -> np.ndarray:
    """(ny, nx) True for the mechanics cells whose centre lies inside the circle of
    ``diameter_m`` centred on the footprint.

    Example
    -------
    >>> m = outline_mask(Mesh1D(np.linspace(0, 1, 5)), Mesh1D(np.linspace(0, 1, 5)), 1.0)
    >>> m.astype(int)
    array([[0, 1, 1, 0],
           [1, 1, 1, 1],
           [1, 1, 1, 1],
           [0, 1, 1, 0]])
    """
    xn, yn = mesh_x.nodes_m, mesh_y.nodes_m
    xc, yc = 0.5 * (xn[1:] + xn[:-1]), 0.5 * (yn[1:] + yn[:-1])
    x0, y0 = 0.5 * (xn[0] + xn[-1]), 0.5 * (yn[0] + yn[-1])
    r2 = (xc[None, :] - x0) ** 2 + (yc[:, None] - y0) ** 2
    return r2 <= (0.5 * diameter_m) ** 2


def _laminate(case: Case, run: list[int], theta: dict, cell_z: dict,
              active: np.ndarray | None = None) -> Laminate:
    plates = []
    for idx in run:
        layer = case.layers[idx]
        el = layer.material.elastic
        if el is None:
            raise SolverError(f"plate layer {layer.name!r} (material {layer.material.name!r}) has "
                              "no elastic properties")
        zs = cell_z[layer.name]
        plates.append(PlateLayer(layer.name, float(zs[0]), float(zs[-1]), el))
    z0, z1 = plates[0].z0_m, plates[-1].z1_m
    zr = 0.5 * (z0 + z1)
    A, B, D = np.zeros(4), np.zeros(4), np.zeros(4)
    ny, nx = next(iter(theta.values())).shape[-2:]
    N_T, M_T = np.zeros((2, ny, nx)), np.zeros((2, ny, nx))
    for p in plates:
        q = np.asarray(p.elastic.Q_Pa)
        a, b = p.z0_m - zr, p.z1_m - zr
        A += q * (b - a)
        B += q * (b**2 - a**2) / 2
        D += q * (b**3 - a**3) / 3
        qa = np.asarray(p.Q_alpha)[:, None, None]
        zs = cell_z[p.name] - zr
        for k in range(zs.size - 1):
            t = theta[p.name][k]
            N_T += qa * t * (zs[k + 1] - zs[k])
            M_T += qa * t * (zs[k + 1] ** 2 - zs[k] ** 2) / 2
    if active is not None:  # cells outside the outline carry no load
        N_T[:, ~active] = 0.0
        M_T[:, ~active] = 0.0
    return Laminate(tuple(p.name for p in plates), tuple(plates), z0, z1, zr,
                    tuple(A), tuple(B), tuple(D), N_T, M_T)
