"""The resolved case: everything a run used, in SI, as a JSON-serialisable dict.

Written next to results as ``case_resolved.json`` so a result records exactly what was solved:
defaults filled in, units converted, materials expanded with their sources and elastic data, the
``[mechanics]`` model (``None`` for a thermal-only case) with its interface stiffnesses and
allowables in SI. Small arrays (tile
powers) are written in full; density rasters and meshes are summarised by their source file,
shape, extent, total power and a SHA-256 of the SI values, which is enough to tell whether two
runs used the same map without copying megabytes.

Example
-------
>>> import json
>>> from wafersolve.case.load import load_case
>>> d = case_to_dict(load_case("cases/small.toml"))
>>> json.loads(json.dumps(d)) == d
True
"""

from __future__ import annotations

import hashlib

import numpy as np

from .model import Case, DensityMap, Elastic, Layer, Material, Mechanics, MeshMap

#: Format version of the resolved-case dict; bump when keys change meaning.
RESOLVED_FORMAT = 1


def case_to_dict(case: Case) -> dict:
    """The case in SI with units in key names, built from JSON types only (no NaN).

    Example
    -------
    >>> from wafersolve import load_case
    >>> d = case_to_dict(load_case("cases/small.toml"))
    >>> d["layers"][0]["thickness_m"]
    0.0032
    """
    w = case.wafer
    p = case.power
    return {
        "format": RESOLVED_FORMAT,
        "name": case.name,
        "description": case.description,
        "source_path": case.source_path,
        "wafer": {
            "size_m": _floats(w.size_m),
            "tiles": [int(w.tiles[0]), int(w.tiles[1])],
            "tile_size_m": _floats(w.tile_size_m),
            "tile_origin_m": _floats(w.tile_origin_m),
            "n_tiles": int(w.n_tiles),
        },
        "grid": {
            "nx": int(case.grid.nx),
            "ny": int(case.grid.ny),
            "nz": int(sum(layer.cells for layer in case.layers)),
            "cell_size_x_m": float(w.size_m[0] / case.grid.nx),
            "cell_size_y_m": float(w.size_m[1] / case.grid.ny),
        },
        "layers": [_layer(layer) for layer in case.layers],
        "contacts": [
            {"lower": c.lower, "upper": c.upper,
             "resistance_m2_K_per_W": float(c.resistance_m2_K_per_W)}
            for c in case.contacts
        ],
        "power": {
            "layer": p.layer,
            "depth": p.depth,
            "total_W": float(p.total_W),
            "tile_power_W": None if p.tile_power_W is None else _nested(p.tile_power_W),
            "tile_power_total_W": 0.0 if p.tile_power_W is None else float(p.tile_power_W.sum()),
            "hotspots": [
                {"name": h.name, "center_m": _floats(h.center_m), "size_m": _floats(h.size_m),
                 "power_W": float(h.power_W)}
                for h in p.hotspots
            ],
            "maps": [_raster(m) for m in p.maps],
            "meshes": [_mesh(m) for m in p.meshes],
        },
        "cooling": {
            "coolant": case.cooling.coolant,
            "inlet_T_K": float(case.cooling.inlet_T_K),
            "flow_m3_per_s": float(case.cooling.flow_m3_per_s),
            "direction": case.cooling.direction,
            "h_W_per_m2_K": (None if case.cooling.channels is not None
                             else float(case.cooling.h_W_per_m2_K)),
            "channels": (None if case.cooling.channels is None
                         else dict(vars(case.cooling.channels))),
        },
        "backside": {
            "adiabatic": case.backside.h_W_per_m2_K == 0.0,
            "h_W_per_m2_K": float(case.backside.h_W_per_m2_K),
            "ambient_T_K": float(case.backside.ambient_T_K),
        },
        "solver": {
            "rtol": float(case.solver.rtol),
            "max_iterations": int(case.solver.max_iterations),
            "temperature_dependent_k": bool(case.solver.temperature_dependent_k),
            "outer_tol_K": float(case.solver.outer_tol_K),
            "max_outer_iterations": int(case.solver.max_outer_iterations),
        },
        "mechanics": None if case.mechanics is None else _mechanics(case.mechanics),
    }


def _layer(layer: Layer) -> dict:
    return {
        "name": layer.name,
        "thickness_m": float(layer.thickness_m),
        "cells": int(layer.cells),
        "material": _material(layer.material),
    }


def _material(m: Material) -> dict:
    return {
        "name": m.name,
        "k_W_per_m_K": _floats(m.k_W_per_m_K),
        "k_exponent": float(m.k_exponent),
        "k_ref_T_K": float(m.k_ref_T_K),
        "source": m.source,
        "elastic": None if m.elastic is None else _elastic(m.elastic),
    }


def _elastic(e: Elastic) -> dict:
    return {
        "Q_Pa": _floats(e.Q_Pa),  # plane-stress Q11, Q12, Q22, Q66 in the wafer's x-y axes
        "biaxial_modulus_Pa": float(e.biaxial_modulus_Pa),
        "alpha_per_K": _floats(e.alpha_per_K),
        "alpha_z_per_K": float(e.alpha_z_per_K),
        "source": e.source,
    }


def _mechanics(m: Mechanics) -> dict:
    a = m.allowables
    return {
        "stress_free_T_K": float(m.stress_free_T_K),
        "cell_size_m": None if m.cell_size_m is None else float(m.cell_size_m),
        "support": m.support,
        "support_layer": m.support_layer,
        "preload_Pa": float(m.preload_Pa),
        "outline_diameter_m": (None if m.outline_diameter_m is None
                               else float(m.outline_diameter_m)),
        "interfaces": [
            {"layer": i.layer, "kind": i.kind,
             "shear_stiffness_Pa_per_m": float(i.shear_stiffness_Pa_per_m),
             "normal_stiffness_Pa_per_m": float(i.normal_stiffness_Pa_per_m)}
            for i in m.interfaces
        ],
        "allowables": {
            "stress_Pa": {name: float(v) for name, v in a.stress_Pa},
            "shear_strain": None if a.shear_strain is None else float(a.shear_strain),
            "gap_change_m": None if a.gap_change_m is None else _floats(a.gap_change_m),
        },
    }


def _raster(m: DensityMap) -> dict:
    d = m.density_W_per_m2
    return {
        "source": m.source,
        "shape": [int(s) for s in d.shape],
        "extent_m": _floats(m.extent_m),
        "power_W": float(m.power_W),
        "density_max_W_per_m2": float(d.max()),
        "sha256": _digest(d),
    }


def _mesh(m: MeshMap) -> dict:
    t = m.triangles_m.reshape(-1, 2)
    return {
        "source": m.source,
        "triangles": int(m.triangles_m.shape[0]),
        "bounds_m": [float(t[:, 0].min()), float(t[:, 0].max()),
                     float(t[:, 1].min()), float(t[:, 1].max())],
        "power_W": float(m.power_W),
        "density_max_W_per_m2": float(m.density_W_per_m2.max()),
        "sha256": _digest(np.concatenate([m.triangles_m.ravel(), m.density_W_per_m2])),
    }


def _digest(a: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(a, dtype="<f8").tobytes()).hexdigest()


def _floats(seq) -> list[float]:
    return [float(v) for v in seq]


def _nested(a: np.ndarray) -> list:
    return np.asarray(a, dtype=np.float64).tolist()
