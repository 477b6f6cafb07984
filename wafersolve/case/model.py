"""The case: frozen dataclasses in SI units, built only by :func:`wafersolve.load_case`.

Everything dimensional carries its unit in its name (``thickness_m``, ``inlet_T_K``). Variants of a
case are made with :func:`dataclasses.replace`, never by mutation.

Coordinates: x and y span the wafer outline from (0, 0) to ``wafer.size_m``; z runs from the bottom
of the lowest layer (the PCB side) upward. Layers are listed bottom to top. Arrays laid out over the
wafer plane are indexed ``[j, i]`` = (y, x) with row 0 at y = 0.

Example
-------
>>> from wafersolve.case.model import Material
>>> si = Material("silicon", (148.0, 148.0, 148.0), k_exponent=1.3)
>>> round(si.k_at(350.0)[2], 2)
121.12
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

COOLANTS = ("water", "pg25")
FLOW_DIRECTIONS = ("+x", "-x", "+y", "-y")
POWER_DEPTHS = ("bottom", "top", "uniform")


@dataclass(frozen=True)
class Material:
    """A solid's thermal conductivity, possibly anisotropic and temperature dependent.

    ``k_W_per_m_K`` is (kx, ky, kz) at ``k_ref_T_K``; with a non-zero ``k_exponent`` every
    component scales as ``(k_ref_T_K / T) ** k_exponent`` (the power-law fit used for silicon).
    """

    name: str
    k_W_per_m_K: tuple[float, float, float]
    k_exponent: float = 0.0
    k_ref_T_K: float = 300.0
    source: str = ""

    @property
    def temperature_dependent(self) -> bool:
        return self.k_exponent != 0.0

    def k_at(self, T_K):
        """(kx, ky, kz) at temperature ``T_K`` (scalar)."""
        scale = (self.k_ref_T_K / float(T_K)) ** self.k_exponent
        return tuple(k * scale for k in self.k_W_per_m_K)

    def k_scale(self, T_K: np.ndarray) -> np.ndarray:
        """k(T) / k(k_ref_T_K), elementwise."""
        if not self.temperature_dependent:
            return np.ones_like(T_K)
        return (self.k_ref_T_K / T_K) ** self.k_exponent


@dataclass(frozen=True)
class Layer:
    """One layer of the stack, of uniform material, split into ``cells`` equal cells in z."""

    name: str
    material: Material
    thickness_m: float
    cells: int = 1


@dataclass(frozen=True)
class Contact:
    """A thermal contact resistance between two adjacent layers (``lower`` just below ``upper``)."""

    lower: str
    upper: str
    resistance_m2_K_per_W: float


@dataclass(frozen=True)
class Wafer:
    """The wafer outline and its reticle tile grid (tiles centred on the outline)."""

    size_m: tuple[float, float] = (0.215, 0.215)
    tiles: tuple[int, int] = (12, 7)  # (columns along x, rows along y)
    tile_size_m: tuple[float, float] = (0.215 / 12, 0.215 / 7)

    @property
    def tile_origin_m(self) -> tuple[float, float]:
        """Lower-left corner of tile (0, 0): the tile array is centred on the outline."""
        return (
            0.5 * (self.size_m[0] - self.tiles[0] * self.tile_size_m[0]),
            0.5 * (self.size_m[1] - self.tiles[1] * self.tile_size_m[1]),
        )

    @property
    def n_tiles(self) -> int:
        return self.tiles[0] * self.tiles[1]

    def tile_edges_m(self) -> tuple[np.ndarray, np.ndarray]:
        """x edges (tiles[0] + 1) and y edges (tiles[1] + 1) of the tile grid."""
        x0, y0 = self.tile_origin_m
        return (
            x0 + self.tile_size_m[0] * np.arange(self.tiles[0] + 1),
            y0 + self.tile_size_m[1] * np.arange(self.tiles[1] + 1),
        )


@dataclass(frozen=True)
class Hotspot:
    """A rectangle dissipating ``power_W`` uniformly, added on top of the other power."""

    name: str
    center_m: tuple[float, float]
    size_m: tuple[float, float]
    power_W: float


@dataclass(frozen=True, eq=False)
class DensityMap:
    """A power density raster covering ``extent_m`` = (x0, x1, y0, y1); row 0 is at y0."""

    density_W_per_m2: np.ndarray  # (rows along y, columns along x)
    extent_m: tuple[float, float, float, float]
    source: str = ""

    @property
    def power_W(self) -> float:
        x0, x1, y0, y1 = self.extent_m
        ny, nx = self.density_W_per_m2.shape
        return float(self.density_W_per_m2.sum() * (x1 - x0) / nx * (y1 - y0) / ny)


@dataclass(frozen=True, eq=False)
class MeshMap:
    """A power density given per triangle of a 2D mesh (quads are split into two triangles)."""

    triangles_m: np.ndarray  # (n, 3, 2) vertex coordinates
    density_W_per_m2: np.ndarray  # (n,)
    source: str = ""

    @property
    def power_W(self) -> float:
        t = self.triangles_m
        area = 0.5 * np.abs(
            (t[:, 1, 0] - t[:, 0, 0]) * (t[:, 2, 1] - t[:, 0, 1])
            - (t[:, 2, 0] - t[:, 0, 0]) * (t[:, 1, 1] - t[:, 0, 1])
        )
        return float(np.dot(area, self.density_W_per_m2))


@dataclass(frozen=True, eq=False)
class Power:
    """Where the heat is generated. All parts add up.

    ``tile_power_W`` is (tile rows along y, tile columns along x), row 0 at the lowest y, or None.
    Power is deposited into layer ``layer``: its bottom cell, its top cell, or all its cells.
    """

    layer: str
    depth: str = "bottom"
    tile_power_W: np.ndarray | None = None
    hotspots: tuple[Hotspot, ...] = ()
    maps: tuple[DensityMap, ...] = ()
    meshes: tuple[MeshMap, ...] = ()

    @property
    def total_W(self) -> float:
        total = 0.0 if self.tile_power_W is None else float(np.sum(self.tile_power_W))
        total += sum(h.power_W for h in self.hotspots)
        total += sum(m.power_W for m in self.maps)
        total += sum(m.power_W for m in self.meshes)
        return total


@dataclass(frozen=True)
class Cooling:
    """Coolant flowing over the top face of the top layer (the cold plate), across the wafer."""

    coolant: str = "water"  # one of COOLANTS
    inlet_T_K: float = 298.15
    flow_m3_per_s: float = 100.0 / 60000.0
    direction: str = "+x"  # one of FLOW_DIRECTIONS: where the coolant flows to
    h_W_per_m2_K: float = 20000.0


@dataclass(frozen=True)
class Backside:
    """Convection from the bottom face of the bottom layer (under the PCB); h = 0 is adiabatic."""

    h_W_per_m2_K: float = 0.0
    ambient_T_K: float = 308.15


@dataclass(frozen=True)
class GridSpec:
    """In-plane cell counts (uniform cells); z cells come from each layer's ``cells``."""

    nx: int
    ny: int


@dataclass(frozen=True)
class SolverSettings:
    """Tolerances and switches of the thermal solve."""

    rtol: float = 1e-8  # linear solve: ||b - A T|| <= rtol ||b||
    max_iterations: int = 200  # CG iterations per linear solve
    temperature_dependent_k: bool = True  # Picard iterations for materials with k(T)
    outer_tol_K: float = 1e-4  # Picard / coolant coupling: max |T_new - T_old|
    max_outer_iterations: int = 50


@dataclass(frozen=True, eq=False)
class Case:
    """A complete, validated engineering case in SI units."""

    name: str
    wafer: Wafer
    layers: tuple[Layer, ...]  # bottom to top
    contacts: tuple[Contact, ...]
    power: Power
    cooling: Cooling
    backside: Backside
    grid: GridSpec
    solver: SolverSettings = field(default_factory=SolverSettings)
    description: str = ""
    source_path: str | None = None

    def layer_index(self, name: str) -> int:
        for i, layer in enumerate(self.layers):
            if layer.name == name:
                return i
        raise KeyError(name)
