"""Line cuts through a result folder's maps: a field sampled along a straight line over the
wafer, in display units. No plotting here (:func:`wafersolve.viz.plot_line` draws it).

Example
-------
>>> cut = sample_line(ResultFolder("results/small"), (0, 0.1, 0.2, 0.1))   # doctest: +SKIP
>>> cut.field.unit                                                          # doctest: +SKIP
'°C'
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .errors import CaseError
from .viz_data import Field, ResultFolder, plane_of


@dataclass(frozen=True, eq=False)
class LineCut:
    """Values of a field sampled along a straight line over the wafer (display units).

    Example
    -------
    >>> cut = sample_line(ResultFolder("results/small"), (0, 0.1, 0.2, 0.1))   # doctest: +SKIP
    >>> cut.field.unit, cut.distance_m[-1]                                      # doctest: +SKIP
    ('°C', 0.2)
    """

    field: Field
    distance_m: np.ndarray
    x_m: np.ndarray
    y_m: np.ndarray
    values: np.ndarray
    label: str = ""


def sample_line(result: ResultFolder, line_m, field: str = "temperature", *,
                layer: str | None = None, z_m: float | None = None, n: int | None = None) -> LineCut:
    """Sample a map (or the z slice at ``z_m``) along ``line_m`` = (x0, y0, x1, y1) in metres:
    each sample takes the value of the cell it lies in (bilinear for nodal arrays).

    Example
    -------
    >>> cut = sample_line(ResultFolder("results/small"), (0, 0.15, 0.215, 0.15))   # doctest: +SKIP
    >>> cut.values.max() > cut.values.min()                                          # doctest: +SKIP
    True
    """
    plane = plane_of(result, field, layer=layer, z_m=z_m)
    x0, y0, x1, y1 = (float(v) for v in line_m)
    xs, ys = plane.x_m, plane.y_m
    for name, v, lo, hi in (("x0", x0, xs[0], xs[-1]), ("y0", y0, ys[0], ys[-1]),
                            ("x1", x1, xs[0], xs[-1]), ("y1", y1, ys[0], ys[-1])):
        if not lo - 1e-12 <= v <= hi + 1e-12:
            raise CaseError(result.path, "line", f"{name} = {v * 1e3:g} mm",
                            f"a point on the wafer, {lo * 1e3:g} to {hi * 1e3:g} mm")
    length = math.hypot(x1 - x0, y1 - y0)
    if length == 0:
        raise CaseError(result.path, "line", "x0,y0 = x1,y1", "two different end points")
    n = n or max(200, 2 * max(xs.size, ys.size))
    t = np.linspace(0.0, 1.0, n)
    px, py = x0 + t * (x1 - x0), y0 + t * (y1 - y0)
    if plane.values.shape == (ys.size, xs.size):  # nodal: bilinear
        from scipy.interpolate import RegularGridInterpolator

        vals = RegularGridInterpolator((ys, xs), plane.values)(np.column_stack([py, px]))
    else:
        i = np.clip(np.searchsorted(xs, px, side="right") - 1, 0, xs.size - 2)
        j = np.clip(np.searchsorted(ys, py, side="right") - 1, 0, ys.size - 2)
        vals = plane.values[j, i]
    return LineCut(plane.field, t * length, px, py, vals, plane.label)
