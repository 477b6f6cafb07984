"""Steady 3D heat conduction through the wafer stack (finite volumes, multigrid-preconditioned CG).

Example
-------
>>> from wafersolve import load_case
>>> from wafersolve.thermal import solve_thermal
>>> result = solve_thermal(load_case("cases/small.toml"))
>>> result.hotspot.layer
'wafer'
"""

from .solve import solve_thermal

__all__ = ["solve_thermal"]
