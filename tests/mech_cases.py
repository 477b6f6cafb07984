"""Building blocks for mechanics tests: stacks built directly as dataclasses (no case file).

Not collected by pytest (no ``test_`` prefix); imported by the mechanics tests.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from wafersolve.case.model import (
    Backside,
    Case,
    Cooling,
    Elastic,
    GridSpec,
    Layer,
    Material,
    Mechanics,
    MechInterface,
    Power,
    Wafer,
)
from wafersolve.grid import build_grid

T0_K = 298.15

SI = Elastic.isotropic(130e9, 0.278, 2.6e-6)
CU = Elastic.isotropic(117e9, 0.34, 17e-6)
PCB = Elastic.isotropic(25e9, 0.18, 16e-6)


def material(name: str, elastic: Elastic | None, k: float = 100.0) -> Material:
    return Material(name, (k, k, k), elastic=elastic)


def beam(el: Elastic) -> Elastic:
    """Beam (narrow strip) moduli: the same E with nu = 0, so the plate acts as a beam."""
    q11, q12, _, _ = el.Q_Pa
    nu = q12 / q11
    E = q11 * (1 - nu * nu)
    return Elastic.isotropic(E, 0.0, el.alpha_per_K[0])


def make_case(layers, *, size_m=(0.215, 0.215), n=(8, 8), interfaces=(), support="free",
              support_layer=None, preload_Pa=0.0, allowables=None, cell_size_m=None,
              outline_diameter_m=None) -> Case:
    """A case with ``layers`` = [(name, Elastic or None, thickness_m, cells), ...] bottom to top."""
    lay = tuple(Layer(nm, material(nm, el), t, c) for nm, el, t, c in layers)
    mech = Mechanics(stress_free_T_K=T0_K, interfaces=tuple(interfaces), support=support,
                     support_layer=support_layer, preload_Pa=preload_Pa,
                     cell_size_m=cell_size_m, outline_diameter_m=outline_diameter_m)
    if allowables is not None:
        mech = replace(mech, allowables=allowables)
    tiles = (1, 1)
    return Case(name="test", wafer=Wafer(size_m=size_m, tiles=tiles, tile_size_m=size_m),
                layers=lay, contacts=(), power=Power(layer=lay[0].name),
                cooling=Cooling(), backside=Backside(), grid=GridSpec(nx=n[0], ny=n[1]),
                mechanics=mech)


def compliant(layer: str, k_shear: float, k_normal: float) -> MechInterface:
    return MechInterface(layer, "compliant", k_shear, k_normal)


def slip(layer: str, k_normal: float) -> MechInterface:
    return MechInterface(layer, "slip", 0.0, k_normal)


def uniform_field(case: Case, rises_K: dict) -> tuple:
    """Grid and a temperature field with a uniform rise per layer (K over stress-free)."""
    grid = build_grid(case)
    T = np.full(grid.shape, T0_K)
    for name, sl in grid.layer_slices().items():
        T[sl] += rises_K.get(name, 0.0)
    return grid, T
