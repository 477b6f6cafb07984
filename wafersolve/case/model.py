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

from ..errors import CaseError
from .io_model import IOLayout

COOLANTS = ("water", "pg25")
FLOW_DIRECTIONS = ("+x", "-x", "+y", "-y")
POWER_DEPTHS = ("bottom", "top", "uniform")


@dataclass(frozen=True)
class Elastic:
    """In-plane (plane-stress) elasticity and thermal expansion of a material.

    ``Q_Pa`` = (Q11, Q12, Q22, Q66): the plane-stress stiffness in the wafer's x-y axes, so that
    sigma_xx = Q11 e_xx + Q12 e_yy, sigma_yy = Q12 e_xx + Q22 e_yy, tau_xy = Q66 gamma_xy.
    ``alpha_per_K`` = (alpha_x, alpha_y) in-plane CTE; ``alpha_z_per_K`` the through-thickness CTE.
    Build one with :meth:`isotropic`, :meth:`orthotropic` or :meth:`cubic`.
    """

    Q_Pa: tuple[float, float, float, float]
    alpha_per_K: tuple[float, float]
    alpha_z_per_K: float = 0.0
    source: str = ""

    @classmethod
    def isotropic(cls, E_Pa, nu, alpha_per_K, alpha_z_per_K=None, source=""):
        q = E_Pa / (1.0 - nu * nu)
        return cls((q, nu * q, q, E_Pa / (2.0 * (1.0 + nu))), (alpha_per_K, alpha_per_K),
                   alpha_per_K if alpha_z_per_K is None else alpha_z_per_K, source)

    @classmethod
    def orthotropic(cls, E1_Pa, E2_Pa, nu12, G12_Pa, alpha1_per_K, alpha2_per_K,
                    alpha_z_per_K=0.0, source=""):
        nu21 = nu12 * E2_Pa / E1_Pa
        d = 1.0 - nu12 * nu21
        return cls((E1_Pa / d, nu12 * E2_Pa / d, E2_Pa / d, G12_Pa), (alpha1_per_K, alpha2_per_K),
                   alpha_z_per_K, source)

    @classmethod
    def cubic(cls, C11_Pa, C12_Pa, C44_Pa, alpha_per_K, source=""):
        """A cubic crystal cut on (100) with x along [100] (silicon wafers), plane stress."""
        q11 = C11_Pa - C12_Pa**2 / C11_Pa
        q12 = C12_Pa - C12_Pa**2 / C11_Pa
        return cls((q11, q12, q11, C44_Pa), (alpha_per_K, alpha_per_K), alpha_per_K, source)

    @property
    def biaxial_modulus_Pa(self) -> float:
        """Equibiaxial (plate) modulus M = E/(1 - nu) for an in-plane isotropic material."""
        return self.Q_Pa[0] + self.Q_Pa[1]


@dataclass(frozen=True)
class Material:
    """A solid's thermal conductivity, possibly anisotropic and temperature dependent, and
    optionally its elasticity (needed for a layer that the mechanics treats as a plate).

    ``k_W_per_m_K`` is (kx, ky, kz) at ``k_ref_T_K``; with a non-zero ``k_exponent`` every
    component scales as ``(k_ref_T_K / T) ** k_exponent`` (the power-law fit used for silicon).
    """

    name: str
    k_W_per_m_K: tuple[float, float, float]
    k_exponent: float = 0.0
    k_ref_T_K: float = 300.0
    source: str = ""
    elastic: Elastic | None = None

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
class ChannelPlate:
    """Parallel straight rectangular channels in the cold plate, running along the flow.

    The channels are cut into the top face of the top stack layer (the plate's base); the walls
    between them are fins of thickness ``pitch - width`` and height ``height_m`` whose tips touch
    an adiabatic cover. Give exactly one of ``count`` (spread over the plate width across the
    flow) and ``pitch_m``. ``length_m`` None: the wafer's extent along the flow;
    ``wall_k_W_per_m_K`` None: kz of the top layer's material. The loss coefficients are referred
    to the velocity head in the channels; ``pump_efficiency`` turns hydraulic into shaft power.
    :mod:`wafersolve.coldplate` computes h, pressure drop and pump power from it.
    """

    width_m: float
    height_m: float
    count: int | None = None
    pitch_m: float | None = None
    length_m: float | None = None
    wall_k_W_per_m_K: float | None = None
    entrance_loss_coefficient: float = 0.5  # sharp-edged inlet
    exit_loss_coefficient: float = 1.0  # sudden expansion into the outlet plenum
    manifold_loss_coefficient: float = 0.0
    pump_efficiency: float = 0.5

    def __post_init__(self):
        if (self.count is None) == (self.pitch_m is None):
            raise CaseError(None, "cooling.channels", detail=(
                "give exactly one of count and pitch_<length>"))
        if self.pitch_m is not None and not self.pitch_m > self.width_m:
            raise CaseError(None, "cooling.channels.pitch_m", self.pitch_m,
                            f"a pitch larger than the channel width {self.width_m:g} m")


@dataclass(frozen=True)
class Cooling:
    """Coolant flowing over the top face of the top layer (the cold plate), across the wafer.

    The cold plate is either an effective coefficient ``h_W_per_m2_K`` referred to the footprint,
    or a channel model ``channels`` from which the thermal solve computes h; not both. With
    neither, h defaults to 2e4 W/(m^2 K) (case files must give one of them).
    """

    coolant: str = "water"  # one of COOLANTS
    inlet_T_K: float = 298.15
    flow_m3_per_s: float = 100.0 / 60000.0
    direction: str = "+x"  # one of FLOW_DIRECTIONS: where the coolant flows to
    h_W_per_m2_K: float | None = None  # None with channels
    channels: ChannelPlate | None = None

    def __post_init__(self):
        if self.channels is not None and self.h_W_per_m2_K is not None:
            raise CaseError(None, "cooling", detail=(
                "give either h_W_per_m2_K or channels, not both: the channel model computes h"))
        if self.channels is None and self.h_W_per_m2_K is None:
            object.__setattr__(self, "h_W_per_m2_K", 20000.0)


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


INTERFACE_KINDS = ("compliant", "slip")
SUPPORTS = ("free", "simply_supported")


@dataclass(frozen=True)
class MechInterface:
    """A stack layer that mechanically acts as springs between the plates above and below it.

    ``shear_stiffness_Pa_per_m`` (k_s, N/m^3): lateral force per area per metre of relative
    in-plane displacement of the two faces; G/height for an elastomer, pin lateral stiffness x pin
    density for a pin field; 0 for a slip interface. ``normal_stiffness_Pa_per_m`` (k_n): normal
    (compression/tension) stiffness per area, E_n/height; 0 means the plates do not hold each
    other out of plane at all.
    """

    layer: str
    kind: str  # one of INTERFACE_KINDS
    shear_stiffness_Pa_per_m: float
    normal_stiffness_Pa_per_m: float


@dataclass(frozen=True)
class Allowables:
    """Limits the mechanics results are checked against (None or empty: not checked).

    ``stress_Pa``: (layer, allowed maximum principal stress) pairs, plate layers only.
    ``shear_strain``: allowed max |shear strain| of every compliant interface.
    ``gap_change_m``: allowed (min, max) change of the gap across every interface with a normal
    stiffness (positive = opening), i.e. the connector's compression window.
    """

    stress_Pa: tuple[tuple[str, float], ...] = ()
    shear_strain: float | None = None
    gap_change_m: tuple[float, float] | None = None


@dataclass(frozen=True)
class Mechanics:
    """The thermo-mechanical model of a case: which layers are springs, and the allowables.

    Layers not listed as interfaces are plates; neighbouring plates with no interface layer
    between them are bonded into one laminate (classical lamination theory). Every plate layer's
    material needs :class:`Elastic` properties.

    ``cell_size_m``: in-plane size of the mechanics cells, made by merging whole thermal cells
    (None: one mechanics cell per thermal column). ``support``: ``"free"`` (the stack floats,
    held only at its centre against rigid motion) or ``"simply_supported"``: the edges of the
    laminate containing ``support_layer`` are held at w = 0 (a frame). ``preload_Pa``: a
    uniform clamping pressure that compresses every interface with a normal stiffness.
    ``outline_diameter_m``: when set, the mechanics domain is the footprint clipped to a circle of
    this diameter centred on it (the round wafer a square engine is cut from, or a disk):
    mechanics cells whose centre lies outside carry no stiffness and no load.
    """

    stress_free_T_K: float = 298.15  # assembly temperature: no thermal strain at this T
    interfaces: tuple[MechInterface, ...] = ()
    cell_size_m: float | None = None
    allowables: Allowables = field(default_factory=Allowables)
    support: str = "free"  # one of SUPPORTS
    support_layer: str | None = None
    preload_Pa: float = 0.0
    outline_diameter_m: float | None = None

    def interface(self, layer: str) -> MechInterface | None:
        """The interface definition of stack layer ``layer``, or None if it is a plate."""
        for itf in self.interfaces:
            if itf.layer == layer:
                return itf
        return None


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
    mechanics: Mechanics | None = None
    io: IOLayout | None = None  # the [io] section (edge / area I/O layout), wafersolve.edge_io

    def layer_index(self, name: str) -> int:
        for i, layer in enumerate(self.layers):
            if layer.name == name:
                return i
        raise KeyError(name)
