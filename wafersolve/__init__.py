"""wafersolve: check a wafer-scale chip package before anyone builds it.

The Python API mirrors the command line::

    import wafersolve
    case = wafersolve.load_case("cases/wse3.toml")
    result = wafersolve.solve_thermal(case)
    wafersolve.write_results(result, "out/wse3")
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["load_case", "build_grid", "solve_thermal", "write_results", "__version__"]


def __getattr__(name):
    # Imported on first use so that `import wafersolve` stays fast (pyvista is heavy).
    if name == "load_case":
        from .case.load import load_case

        return load_case
    if name == "build_grid":
        from .grid import build_grid

        return build_grid
    if name == "solve_thermal":
        from .thermal import solve_thermal

        return solve_thermal
    if name == "write_results":
        from .export import write_results

        return write_results
    raise AttributeError(f"module 'wafersolve' has no attribute {name!r}")
