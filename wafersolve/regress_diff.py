"""The difference of two result folders: ``B - A`` of every wafer map, and the scalar changes.

:func:`diff_results` writes the difference field as a VTK ImageData (``.vti``, the same array
names as ``wafer.vti``, each holding B - A) and a JSON summary beside it, so a design change can
be looked at in ParaView, not only read.

Example
-------
>>> d = diff_results("results/wse3", "results/wse3_thick_tim")    # doctest: +SKIP
>>> print(d.format_table())                                       # doctest: +SKIP
difference B - A of results/wse3_thick_tim (B) and results/wse3 (A): ...
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .errors import ExportError

if TYPE_CHECKING:
    from .regress import Comparison


# -- difference of two results ------------------------------------------------------------------
@dataclass(frozen=True)
class FieldDiff:
    """Statistics of one array of ``B - A`` over the wafer (None where every cell is NaN)."""

    key: str
    min_change: float | None
    max_change: float | None
    max_abs_change: float | None
    at_m: tuple[float, float] | None


@dataclass(frozen=True, eq=False)
class ResultDiff:
    """What :func:`diff_results` wrote and found."""

    a: Path
    b: Path
    vti: Path
    summary: Path
    fields: tuple[FieldDiff, ...]
    only_in_a: tuple[str, ...]
    only_in_b: tuple[str, ...]
    scalars: Comparison

    def format_table(self, *, everything: bool = False) -> str:
        """The maps that changed (largest change and where), then the scalar changes."""
        from .regress import STATUS_ORDER

        moved = [f for f in self.fields if everything or f.max_abs_change]
        rows = [f"difference B - A of {self.b} (B) and {self.a} (A): {self.vti}",
                f"  maps: {len(moved)} of {len(self.fields)} changed"]
        width = max([len(f.key) for f in moved] + [5])
        for f in moved:
            if f.max_abs_change is None:
                rows.append(f"  {f.key:<{width}}  (no finite values)")
                continue
            rows.append(f"  {f.key:<{width}}  {f.min_change:+11.4g} .. {f.max_change:+11.4g}  "
                        f"max |change| {f.max_abs_change:.4g} at x = {f.at_m[0] * 1e3:.1f} mm, "
                        f"y = {f.at_m[1] * 1e3:.1f} mm")
        for label, names in (("only in A", self.only_in_a), ("only in B", self.only_in_b)):
            if names:
                rows.append(f"  {label}: {', '.join(names)}")
        counts = self.scalars.counts()
        moved = ", ".join(f"{counts[s]} {s}" for s in STATUS_ORDER if s != "same" and counts.get(s))
        table = self.scalars.format_table(everything=everything).split("\n")
        rows.append(f"  scalars of summary.json (B against A, default tolerances): "
                    f"{len(self.scalars.metrics)} compared, {moved or 'none moved'}")
        rows += table[1:]
        return "\n".join(rows)

    def to_dict(self) -> dict:
        """A JSON-ready dict of the difference (written next to the ``.vti``)."""
        return {"a": str(self.a), "b": str(self.b), "vti": str(self.vti),
                "note": "every cell array of wafer.vti common to A and B, as B - A",
                "fields": {f.key: {"min_change": f.min_change, "max_change": f.max_change,
                                   "max_abs_change": f.max_abs_change,
                                   "at_x_m": f.at_m[0] if f.at_m else None,
                                   "at_y_m": f.at_m[1] if f.at_m else None}
                           for f in self.fields},
                "only_in_a": list(self.only_in_a), "only_in_b": list(self.only_in_b),
                "scalars": self.scalars.to_dict()["metrics"]}


def diff_results(dir_a, dir_b, out=None) -> ResultDiff:
    """Write ``B - A`` of every common ``wafer.vti`` cell array of two result folders to
    ``out`` (default ``dir_b/diff_from_<name of dir_a>.vti``) and a JSON summary beside it
    (same name, ``.json``), with the scalar changes of their ``summary.json``. ExportError if
    a folder is missing or the two wafer grids differ.

    Example
    -------
    >>> d = diff_results("results/wse3", "results/wse3_thick_tim")    # doctest: +SKIP
    >>> d.scalars.metric("T_max_K").status                            # doctest: +SKIP
    'worse'
    """
    from .export import _add_names, _run_vtk_writer, _vtk_array, _write_json, read_vtk
    from .regress import compare, make_baseline

    a, b = Path(dir_a), Path(dir_b)
    for d in (a, b):
        if not d.is_dir():
            raise ExportError(f"{d}: no such result folder")
    out = Path(out) if out is not None else b / f"diff_from_{a.name or 'A'}.vti"
    if out.suffix != ".vti":
        raise ExportError(f"{out}: expected a .vti file name for the difference field")
    va, vb = read_vtk(a / "wafer.vti"), read_vtk(b / "wafer.vti")
    ga, gb = (va.x_edges_m, va.y_edges_m), (vb.x_edges_m, vb.y_edges_m)
    if not all(p.shape == q.shape and np.allclose(p, q, rtol=1e-9, atol=0)
               for p, q in zip(ga, gb, strict=True)):
        raise ExportError(f"cannot diff {a} and {b}: their wafer grids differ ({_grid_text(ga)} "
                          f"vs {_grid_text(gb)}): expected results on the same grid")
    from vtkmodules.vtkCommonDataModel import vtkImageData
    from vtkmodules.vtkIOXML import vtkXMLImageDataWriter

    x, y = ga
    data = vtkImageData()
    data.SetDimensions(x.size, y.size, 1)
    data.SetOrigin(float(x[0]), float(y[0]), 0.0)
    data.SetSpacing(float(x[1] - x[0]), float(y[1] - y[0]), float(x[1] - x[0]))
    stats = []
    for name, arr_a in va.cell_data.items():
        if name in vb.cell_data:
            d = np.subtract(vb.cell_data[name], arr_a)
            data.GetCellData().AddArray(_vtk_array(name, d))
            stats.append(_diff_stats(name, d, x, y))
    names = [str(p) for p in (a, b)]
    _add_names(data, (("diff", ("B - A", *names)), ("layer_names", vb.field_data.get(
        "layer_names", ())), ("case", (*va.field_data.get("case", ()),
                                       *vb.field_data.get("case", ())))))
    out.parent.mkdir(parents=True, exist_ok=True)
    _run_vtk_writer(vtkXMLImageDataWriter(), data, out)
    sa = replace(make_baseline(read_summary_of(a)), path=a / "summary.json")
    scalars = compare(b / "summary.json", sa)
    result = ResultDiff(a, b, out, out.with_suffix(".json"), tuple(stats),
                        tuple(n for n in va.cell_data if n not in vb.cell_data),
                        tuple(n for n in vb.cell_data if n not in va.cell_data), scalars)
    _write_json(result.to_dict(), result.summary)
    return result


def read_summary_of(folder) -> dict:
    """The ``summary.json`` of a result folder, as a dict (ExportError naming the file).

    Example
    -------
    >>> read_summary_of("results/small")["case"]      # doctest: +SKIP
    'small'
    """
    from .export import read_summary

    return read_summary(Path(folder) / "summary.json")


def _diff_stats(name, d, x, y) -> FieldDiff:
    d = np.asarray(d, dtype=np.float64)
    finite = np.isfinite(d)
    if not finite.any():
        return FieldDiff(name, None, None, None, None)
    mag = np.where(finite, np.abs(d), -1.0)
    j, i = np.unravel_index(int(np.argmax(mag)), d.shape)
    return FieldDiff(name, float(d[finite].min()), float(d[finite].max()), float(mag[j, i]),
                     (float(0.5 * (x[i] + x[i + 1])), float(0.5 * (y[j] + y[j + 1]))))


def _grid_text(g) -> str:
    x, y = g
    return (f"{x.size - 1} x {y.size - 1} cells over {(x[-1] - x[0]) * 1e3:.4g} x "
            f"{(y[-1] - y[0]) * 1e3:.4g} mm")

