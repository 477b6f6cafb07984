"""Thermo-mechanics of the sandwich: CTE-mismatch stress, warpage and interface motion.

Plate layers bonded to one another form laminates (classical lamination theory); interface
layers (connector, TIM) are shear and normal springs between them. The discrete energy is
assembled exactly from tensor-product elements (linear membranes, Bogner-Fox-Schmit plates) on
the thermal grid's columns and solved once, sparse-direct. See ``docs/mechanics-theory.md``.

Example
-------
>>> import numpy as np
>>> from wafersolve import load_case, build_grid
>>> case = load_case("cases/small.toml")
>>> grid = build_grid(case)
>>> res = solve_mechanics(case, grid, np.full(grid.shape, case.mechanics.stress_free_T_K + 50))
>>> res.layer("wafer").sigma_1_Pa.shape[0]
2
"""

from .solve import solve_mechanics

__all__ = ["solve_mechanics"]
