"""Read a result folder for viewing: which arrays it holds, what each one is, in which unit to
show it, and the 2D planes drawn from it (line cuts: :mod:`wafersolve.viz_line`). No plotting
here (see :mod:`wafersolve.viz`); pyvista and vtk are imported only when a file is read.

:class:`ResultFolder` reads what ``wafersolve run`` / ``check`` wrote (``wafer.vti``,
``temperature.vtr``, ``mechanics.vtr``, ``io_layout.vtr``, ``summary.json``,
``case_resolved.json``) lazily: a file is read when a view needs it, its header when only its
array names are asked for. :func:`resolve_field` turns a user's field name (an array name such
as ``T_max_wafer_K``, ``source:array`` such as ``io_layout:tile``, or an alias of
:data:`ALIASES`: ``temperature``, ``heat_flux``, ``stress``, ``warpage``, ``displacement``,
``gap``, ``hops`` ...) into a :class:`Field` that knows its file, its quantity and its
engineering unit (°C, MPa, µm, W/cm², hops). Errors are :class:`~wafersolve.errors.ExportError`
(a missing or unreadable file) and :class:`~wafersolve.errors.CaseError` (an unknown field or
layer, a z or line outside the stack, listing what is valid).

Example
-------
>>> describe_array("q_coldplate_W_per_m2").title
'heat flux into the cold plate [W/cm²]'
>>> result = ResultFolder("results/small")                     # doctest: +SKIP
>>> plane_of(result, "stress").field.name                      # doctest: +SKIP
'sigma_1_max_wafer_Pa'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from .errors import CaseError, ExportError
from .export import _capture_vtk_errors, _first_lines, read_summary

ZERO_CELSIUS_K = 273.15
FILES = {"wafer": "wafer.vti", "temperature": "temperature.vtr", "mechanics": "mechanics.vtr",
         "io_layout": "io_layout.vtr"}
MAP_SOURCES = ("wafer", "mechanics", "io_layout", "temperature")  # where a map name is looked up
VOLUME_ARRAYS = ("T_C", "T_K", "power_W_per_m2", "layer")
ALIASES = {
    "temperature": "T max of the column, of a layer (--layer), or T in 3D views",
    "T_mean": "thickness-weighted mean T of a layer",
    "heat_flux": "heat flux into the cold plate",
    "power": "dissipated power density",
    "coolant": "coolant temperature along the flow",
    "tile_temperature": "hottest point of each reticle tile",
    "stress": "max principal stress of a plate layer",
    "von_mises": "von Mises stress of a plate layer",
    "warpage": "deflection w of a plate layer",
    "displacement": "in-plane displacement |(u, v)| of a plate layer",
    "slide": "in-plane slide across an interface",
    "gap": "gap change across an interface",
    "shear_strain": "shear strain of a compliant interface",
    "hops": "mesh hops from each core to the nearest I/O port",
}


# -- the result folder --------------------------------------------------------------------------
class ResultFolder:
    """A folder written by ``wafersolve run`` / ``check``, read lazily and cached per instance.

    Example
    -------
    >>> result = ResultFolder("results/small")          # doctest: +SKIP
    >>> result.layer_names                              # doctest: +SKIP
    ('pcb', 'connector', 'wafer', 'tim', 'cold_plate')
    """

    def __init__(self, path):
        self.path = Path(path)
        if not self.path.is_dir():
            raise ExportError(f"{self.path}: no such result folder")
        names = (*FILES.values(), "summary.json")
        if not any((self.path / n).is_file() for n in names):
            raise ExportError(f"{self.path}: not a wafersolve result folder: none of "
                              f"{', '.join(names)} is there (run 'wafersolve run CASE -o DIR')")
        self._datasets: dict = {}

    def has(self, source: str) -> bool:
        """Whether the folder holds ``source`` (a key of ``FILES``).

        Example
        -------
        >>> ResultFolder("results/small").has("io_layout")        # doctest: +SKIP
        False
        """
        return (self.path / FILES[source]).is_file()

    def file(self, source: str) -> Path:
        """The path of ``source``'s file; ExportError if it is not there.

        Example
        -------
        >>> ResultFolder("results/small").file("wafer").name     # doctest: +SKIP
        'wafer.vti'
        """
        path = self.path / FILES[source]
        if not path.is_file():
            hint = {"io_layout": " (written by 'wafersolve check' for a case with [io])",
                    "mechanics": " (written by 'wafersolve run' for a case with [mechanics])"}
            raise ExportError(f"{path}: no such file{hint.get(source, '')}")
        return path

    @cached_property
    def summary(self) -> dict:
        """``summary.json`` (SI); empty if the folder has none.

        Example
        -------
        >>> ResultFolder("results/small").summary["T_max_K"]      # doctest: +SKIP
        369.69...
        """
        path = self.path / "summary.json"
        return read_summary(path) if path.is_file() else {}

    @cached_property
    def case(self) -> dict:
        """``case_resolved.json`` (SI); empty if the folder has none.

        Example
        -------
        >>> ResultFolder("results/small").case["wafer"]["tiles"]  # doctest: +SKIP
        [12, 7]
        """
        path = self.path / "case_resolved.json"
        return read_summary(path) if path.is_file() else {}

    def dataset(self, source: str):
        """The pyvista dataset of ``source`` (read once); ExportError if missing or unreadable.

        Example
        -------
        >>> ResultFolder("results/small").dataset("wafer").n_cells  # doctest: +SKIP
        4096
        """
        if source not in self._datasets:
            self._datasets[source] = _read_dataset(self.file(source))
        return self._datasets[source]

    def arrays(self, source: str) -> dict[str, str]:
        """Array names of ``source`` mapped to ``"cell"`` or ``"point"`` ({} if absent); reads
        only the file's header.

        Example
        -------
        >>> ResultFolder("results/small").arrays("mechanics")["w_wafer_m"]   # doctest: +SKIP
        'point'
        """
        if not self.has(source):
            return {}
        if source in self._datasets:
            ds = self._datasets[source]
            return {**dict.fromkeys(ds.point_data.keys(), "point"),
                    **dict.fromkeys(ds.cell_data.keys(), "cell")}
        reader = _reader(self.file(source))
        reader.UpdateInformation()
        out = {reader.GetPointArrayName(i): "point" for i in range(reader.GetNumberOfPointArrays())}
        out.update({reader.GetCellArrayName(i): "cell" for i in range(reader.GetNumberOfCellArrays())})
        return out

    @cached_property
    def layer_names(self) -> tuple[str, ...]:
        """The thermal layers, bottom to top.

        Example
        -------
        >>> ResultFolder("results/small").layer_names[2]          # doctest: +SKIP
        'wafer'
        """
        if self.case.get("layers"):
            return tuple(layer["name"] for layer in self.case["layers"])
        found = [m.group(1) for n in self.arrays("wafer") if (m := re.fullmatch(r"T_max_(.+)_K", n))]
        return tuple(found)

    @cached_property
    def plate_layers(self) -> tuple[str, ...]:
        """The mechanics plate layers (those with stress maps), bottom to top.

        Example
        -------
        >>> ResultFolder("results/small").plate_layers            # doctest: +SKIP
        ('pcb', 'wafer', 'cold_plate')
        """
        names = {*self.arrays("wafer"), *self.arrays("mechanics")}
        return tuple(n for n in self.layer_names if f"sigma_1_max_{n}_Pa" in names)

    @cached_property
    def interfaces(self) -> tuple[str, ...]:
        """The mechanics interfaces (connector, TIM ...), bottom to top.

        Example
        -------
        >>> ResultFolder("results/small").interfaces              # doctest: +SKIP
        ('connector', 'tim')
        """
        names = {*self.arrays("wafer"), *self.arrays("mechanics")}
        return tuple(n for n in self.layer_names
                     if n not in self.plate_layers and f"displacement_{n}_m" in names)

    @cached_property
    def heated_layer(self) -> str | None:
        """The layer the power is dissipated in.

        Example
        -------
        >>> ResultFolder("results/small").heated_layer            # doctest: +SKIP
        'wafer'
        """
        name = self.case.get("power", {}).get("layer") or self.summary.get("hotspot_layer")
        return name if name in self.layer_names else None

    def tile_lines_m(self):
        """Reticle tile edges as ``(x_edges_m, y_edges_m)``, or None without tile information.

        Example
        -------
        >>> xs, ys = ResultFolder("results/small").tile_lines_m()    # doctest: +SKIP
        >>> len(xs), len(ys)                                           # doctest: +SKIP
        (13, 8)
        """
        wafer = self.case.get("wafer") or {}
        try:
            (cols, rows), (w, h) = wafer["tiles"], wafer["tile_size_m"]
            x0, y0 = wafer.get("tile_origin_m", (0.0, 0.0))
        except (KeyError, TypeError, ValueError):
            return None
        xs, ys = x0 + w * np.arange(cols + 1), y0 + h * np.arange(rows + 1)
        return np.where(abs(xs) < 1e-12, 0.0, xs), np.where(abs(ys) < 1e-12, 0.0, ys)

    def fields(self) -> list[str]:
        """Every field name :func:`resolve_field` accepts here: aliases, then stored arrays.

        Example
        -------
        >>> ResultFolder("results/small").fields()[:3]      # doctest: +SKIP
        ['temperature', 'T_mean', 'heat_flux']
        """
        names = [a for a in ALIASES if _alias_usable(self, a)]
        for source in MAP_SOURCES:
            names += [n for n in self.arrays(source) if n not in names]
        return names


def _reader(path: Path):
    from vtkmodules.vtkIOXML import vtkXMLImageDataReader, vtkXMLRectilinearGridReader

    reader = {".vti": vtkXMLImageDataReader, ".vtr": vtkXMLRectilinearGridReader}[path.suffix]()
    if not reader.CanReadFile(str(path)):
        raise ExportError(f"{path}: cannot read it: not a VTK XML {path.suffix} file")
    reader.SetFileName(str(path))
    return reader


def _read_dataset(path: Path):
    import pyvista as pv

    reader = _reader(path)
    errors = _capture_vtk_errors(reader)
    reader.Update()
    data = reader.GetOutput()
    if errors or data is None or data.GetNumberOfCells() == 0:
        raise ExportError(f"{path}: cannot read it: {_first_lines(errors) or 'no cells'}")
    return pv.wrap(data)


# -- fields: what an array is and in which unit it is shown ------------------------------------
@dataclass(frozen=True)
class Field:
    """One array of a result file and how it is shown: ``display = value * scale + offset``.

    Example
    -------
    >>> f = describe_array("T_max_wafer_K")
    >>> f.title, f.kind, round(float(f.to_display(373.15)), 2)
    ('T max, wafer [°C]', 'temperature', 100.0)
    """

    name: str
    quantity: str
    unit: str
    scale: float = 1.0
    offset: float = 0.0
    kind: str = "other"  # temperature, flux, stress, length, strain, hops, index, other
    source: str = "wafer"
    association: str = "cell"

    @property
    def title(self) -> str:
        """Quantity and unit, for colour bars and axes.

        Example
        -------
        >>> describe_array("w_wafer_m").title
        'deflection w, wafer [µm]'
        """
        return f"{self.quantity} [{self.unit}]" if self.unit else self.quantity

    def to_display(self, values):
        """``values`` (SI, as stored) in the display unit.

        Example
        -------
        >>> float(describe_array("power_W_per_m2").to_display(5.4e5))   # W/cm²
        54.0
        """
        return np.asarray(values, dtype=np.float64) * self.scale + self.offset


_C = ("°C", 1.0, -ZERO_CELSIUS_K, "temperature")
_RULES = (  # (pattern, quantity template, (unit, scale, offset, kind))
    (r"T_C", "T", ("°C", 1.0, 0.0, "temperature")),
    (r"T_K", "T", _C),
    (r"T_max_K", "T max of the column", _C),
    (r"T_(max|mean)_(.+)_K", "T {0}, {1}", _C),
    (r"coolant_T_K", "coolant T", _C),
    (r"tile_T_max_K", "tile T max", _C),
    (r"q_coldplate_W_per_m2", "heat flux into the cold plate", ("W/cm²", 1e-4, 0.0, "flux")),
    (r"power_W_per_m2", "power density", ("W/cm²", 1e-4, 0.0, "flux")),
    (r"sigma_1_max_(.+)_Pa", "max principal stress, {0}", ("MPa", 1e-6, 0.0, "stress")),
    (r"sigma_2_min_(.+)_Pa", "min principal stress, {0}", ("MPa", 1e-6, 0.0, "stress")),
    (r"von_mises_max_(.+)_Pa", "von Mises stress, {0}", ("MPa", 1e-6, 0.0, "stress")),
    (r"sigma_(xx|yy)_(.+)_(bottom|top)_Pa", "stress {0}, {1} {2}", ("MPa", 1e-6, 0.0, "stress")),
    (r"tau_xy_(.+)_(bottom|top)_Pa", "shear stress xy, {0} {1}", ("MPa", 1e-6, 0.0, "stress")),
    (r"w_(.+)_m", "deflection w, {0}", ("µm", 1e6, 0.0, "length")),
    (r"(u|v)_(.+)_m", "in-plane displacement {0}, {1}", ("µm", 1e6, 0.0, "length")),
    (r"inplane_(.+)_m", "in-plane displacement, {0}", ("µm", 1e6, 0.0, "length")),
    (r"slide_(.+)_m", "slide, {0}", ("µm", 1e6, 0.0, "length")),
    (r"displacement_(.+)_m", "displacement, {0}", ("µm", 1e6, 0.0, "length")),
    (r"gap_change_(.+)_m", "gap change, {0}", ("µm", 1e6, 0.0, "length")),
    (r"shear_strain_(.+)", "shear strain, {0}", ("-", 1.0, 0.0, "strain")),
    (r"hops", "mesh hops to the nearest port", ("hops", 1.0, 0.0, "hops")),
    (r"(layer|tile|phy|port|core|reachable)", "{0}", ("", 1.0, 0.0, "index")),
)
_SUFFIXES = (("_Pa", ("MPa", 1e-6, 0.0, "stress")), ("_W_per_m2", ("W/cm²", 1e-4, 0.0, "flux")),
             ("_m", ("µm", 1e6, 0.0, "length")), ("_K", _C))


def describe_array(name: str, source: str = "wafer", association: str = "cell") -> Field:
    """The quantity and engineering unit of a stored array, from its name.

    Example
    -------
    >>> describe_array("sigma_1_max_wafer_Pa").title
    'max principal stress, wafer [MPa]'
    >>> describe_array("hops", "io_layout").title
    'mesh hops to the nearest port [hops]'
    """
    for pattern, template, (unit, scale, offset, kind) in _RULES:
        m = re.fullmatch(pattern, name)
        if m:
            quantity = template.format(*m.groups())
            if name.startswith("displacement_") and source == "mechanics":
                quantity = f"displacement magnitude, {m.group(1)}"
            return Field(name, quantity, unit, scale, offset, kind, source, association)
    for suffix, (unit, scale, offset, kind) in _SUFFIXES:
        if name.endswith(suffix):
            return Field(name, name[: -len(suffix)], unit, scale, offset, kind, source, association)
    return Field(name, name, "", source=source, association=association)


def _alias_usable(result: ResultFolder, alias: str) -> bool:
    try:
        return _find(result, alias, None, False) is not None
    except (CaseError, ExportError):
        return False


def resolve_field(result: ResultFolder, name: str, *, layer: str | None = None,
                  volume: bool = False) -> Field:
    """The :class:`Field` a user means by ``name`` (an alias of ``ALIASES``, a stored array, or
    ``source:array`` such as ``io_layout:tile``), for ``layer`` where the name needs one.
    ``volume=True`` asks for a 3D array of ``temperature.vtr`` (z slices, exploded stack).
    Raises CaseError listing the valid names or layers.

    Example
    -------
    >>> resolve_field(ResultFolder("results/small"), "stress").name       # doctest: +SKIP
    'sigma_1_max_wafer_Pa'
    """
    found = _find(result, name, layer, volume)
    if found is not None:
        return found
    if volume:
        stored = ", ".join(result.arrays("temperature")) or "none: temperature.vtr is missing"
        raise CaseError(result.path, "field", name,
                        "a 3D field for a z slice or the exploded stack: temperature, power, "
                        f"an array of temperature.vtr ({stored}), or for the exploded stack "
                        "also stress, von_mises, warpage or displacement")
    raise CaseError(result.path, "field", name, "one of " + ", ".join(result.fields()))


def _find(result: ResultFolder, name: str, layer: str | None, volume: bool) -> Field | None:
    if name in ALIASES:
        name = _alias_array(result, name, layer, volume)
    sources = ("temperature",) if volume else MAP_SOURCES
    if ":" in name:
        wanted, name = name.split(":", 1)
        if wanted not in FILES:
            raise CaseError(result.path, "field", f"{wanted}:{name}",
                            f"a source among {', '.join(FILES)} before ':'")
        sources = (wanted,)
    m = re.fullmatch(r"inplane_(.+)_m", name)
    if m and not volume and {f"u_{m.group(1)}_m", f"v_{m.group(1)}_m"} <= set(result.arrays("wafer")):
        return describe_array(name, "wafer", "cell")
    for source in sources:
        association = result.arrays(source).get(name)
        if association is not None:
            return describe_array(name, source, association)
    return None


def _alias_array(result: ResultFolder, alias: str, layer: str | None, volume: bool) -> str:
    def pick(choices, default, what):
        if layer is None:
            if default is None:
                raise CaseError(result.path, "field", alias, f"a result with {what}")
            return default
        if layer not in choices:
            raise CaseError(result.path, "layer", layer,
                            f"one of the {what}: {', '.join(choices) or 'none in this result'}")
        return layer

    plates, interfaces = result.plate_layers, result.interfaces
    heated = result.heated_layer if result.heated_layer in plates else (plates or (None,))[0]
    compliant = [i for i in interfaces if f"shear_strain_{i}" in result.arrays("wafer")]
    first_itf = (compliant or interfaces or (None,))[0]
    if alias == "temperature":
        if volume:
            return "T_C" if "T_C" in result.arrays("temperature") else "T_K"
        return "T_max_K" if layer is None else f"T_max_{pick(result.layer_names, None, 'layers')}_K"
    if alias == "T_mean":
        return f"T_mean_{pick(result.layer_names, result.heated_layer, 'layers')}_K"
    if alias == "power":
        return "power_W_per_m2"
    simple = {"heat_flux": "q_coldplate_W_per_m2", "coolant": "coolant_T_K",
              "tile_temperature": "tile_T_max_K", "hops": "hops"}
    if alias in simple:
        return simple[alias]
    if alias in ("stress", "von_mises", "warpage", "displacement"):
        lay = pick(plates, heated, "plate layers")
        return {"stress": f"sigma_1_max_{lay}_Pa", "von_mises": f"von_mises_max_{lay}_Pa",
                "warpage": f"w_{lay}_m", "displacement": f"inplane_{lay}_m"}[alias]
    itf = pick(compliant if alias == "shear_strain" else interfaces,
               first_itf, "compliant interfaces" if alias == "shear_strain" else "interfaces")
    return {"slide": f"displacement_{itf}_m", "gap": f"gap_change_{itf}_m",
            "shear_strain": f"shear_strain_{itf}"}[alias]


# -- views -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class View:
    """What to draw. ``z_m``: a slice of the 3D field at that height (m, from the stack's
    bottom); ``line_m``: a cut from (x0, y0) to (x1, y1) (m) of the map, or of the slice at
    ``z_m``; ``exploded``: the stack exploded by layer; otherwise a wafer-plane map, of
    ``layer`` where the field has one per layer.

    Example
    -------
    >>> View("stress", layer="wafer").kind, View(z_m=4e-3).kind, View(exploded=True).kind
    ('map', 'slice', 'exploded')
    """

    field: str = "temperature"
    layer: str | None = None
    z_m: float | None = None
    line_m: tuple[float, float, float, float] | None = None
    exploded: bool = False

    @property
    def kind(self) -> str:
        """``"line"``, ``"exploded"``, ``"slice"`` or ``"map"``.

        Example
        -------
        >>> View(line_m=(0.0, 0.1, 0.2, 0.1)).kind
        'line'
        """
        if self.line_m is not None:
            return "line"
        return "exploded" if self.exploded else ("slice" if self.z_m is not None else "map")


@dataclass(frozen=True, eq=False)
class Plane:
    """A 2D array ready to draw: cell edges (m) and display values (ny, nx) or nodal (ny+1, nx+1).

    Example
    -------
    >>> p = Plane(describe_array("T_max_K"), np.array([0.0, 1e-3]), np.array([0.0, 1e-3]),
    ...           np.array([[25.0]]))
    >>> p.field.unit, p.values.shape
    ('°C', (1, 1))
    """

    field: Field
    x_m: np.ndarray
    y_m: np.ndarray
    values: np.ndarray
    label: str = ""  # e.g. "z = 4.39 mm (wafer)"


def plane_of(result: ResultFolder, field: str = "temperature", *, layer: str | None = None,
             z_m: float | None = None) -> Plane:
    """The 2D data of a map (``z_m`` None) or of a z slice of the 3D field, in display units.

    Example
    -------
    >>> p = plane_of(ResultFolder("results/small"), "temperature")     # doctest: +SKIP
    >>> p.values.shape                                                 # doctest: +SKIP
    (64, 64)
    """
    if z_m is None and layer is not None and field in VOLUME_ARRAYS:
        z_m = _layer_mid_z(result, layer)  # a layer map of a 3D array: its mid-plane
    if z_m is not None:
        f = resolve_field(result, field, volume=True)
        ds = result.dataset("temperature")
        x, y, z = (np.asarray(ds.x), np.asarray(ds.y), np.asarray(ds.z))
        if not z[0] <= z_m <= z[-1]:
            raise CaseError(result.path, None, detail=f"z = {z_m * 1e3:g} mm is outside the stack:"
                            f" expected {z[0] * 1e3:g} to {z[-1] * 1e3:g} mm")
        k = int(np.clip(np.searchsorted(z, z_m, side="right") - 1, 0, z.size - 2))
        vals = np.asarray(ds.cell_data[f.name]).reshape(z.size - 1, y.size - 1, x.size - 1)[k]
        names = ds.field_data["layer_names"] if "layer_names" in ds.field_data else ()
        lay = np.asarray(ds.cell_data["layer"]).reshape(z.size - 1, -1)[k, 0] if "layer" in \
            ds.cell_data else None
        where = f" ({names[lay]})" if lay is not None and lay < len(names) else ""
        return Plane(f, x, y, f.to_display(vals), f"z = {z_m * 1e3:.3g} mm{where}")
    f = resolve_field(result, field, layer=layer)
    if f.name in VOLUME_ARRAYS and f.source == "temperature":
        raise CaseError(result.path, "field", f.name,
                        "a map; this is a 3D field: give a layer or a z slice")
    ds = result.dataset(f.source)
    if ds.GetClassName() == "vtkRectilinearGrid":
        x, y = np.asarray(ds.x), np.asarray(ds.y)
    else:  # ImageData
        (x0, y0, _), (nx, ny, _), (dx, dy, _) = ds.origin, ds.dimensions, ds.spacing
        x, y = x0 + dx * np.arange(nx), y0 + dy * np.arange(ny)
    data = ds.point_data if f.association == "point" else ds.cell_data
    shape = (y.size, x.size) if f.association == "point" else (y.size - 1, x.size - 1)
    if f.name.startswith("inplane_"):
        lay = f.name[len("inplane_"):-2]
        vals = np.hypot(np.asarray(ds.cell_data[f"u_{lay}_m"]), np.asarray(ds.cell_data[f"v_{lay}_m"]))
    else:
        vals = np.asarray(data[f.name])
        if vals.ndim == 2:  # vectors: their length
            vals = np.linalg.norm(vals, axis=1)
    return Plane(f, x, y, f.to_display(vals.reshape(shape)))


def _layer_mid_z(result: ResultFolder, layer: str) -> float:
    ds = result.dataset("temperature")
    names = list(ds.field_data["layer_names"]) if "layer_names" in ds.field_data else []
    if layer not in names:
        raise CaseError(result.path, "layer", layer, f"one of the layers {', '.join(names)}")
    z = np.asarray(ds.z)
    idx = np.asarray(ds.cell_data["layer"]).reshape(z.size - 1, -1)[:, 0]
    ks = np.flatnonzero(idx == names.index(layer))
    return 0.5 * (z[ks[0]] + z[ks[-1] + 1])


def plane_grid_mm(plane: Plane, z_mm: float = 0.0):
    """``plane`` as a flat ``pyvista.RectilinearGrid`` in millimetres at height ``z_mm``, its
    one array named by the field's title (quantity and unit).

    Example
    -------
    >>> p = Plane(describe_array("T_max_K"), np.array([0.0, 1e-3]), np.array([0.0, 1e-3]),
    ...           np.array([[25.0]]))
    >>> grid = plane_grid_mm(p)
    >>> grid.bounds[1], list(grid.cell_data)
    (1.0, ['T max of the column [°C]'])
    """
    import pyvista as pv

    x_mm, y_mm = (np.where(abs(e) < 1e-9, 0.0, e * 1e3) for e in (plane.x_m, plane.y_m))
    grid = pv.RectilinearGrid(x_mm, y_mm, np.array([z_mm]))
    target = grid.point_data if plane.values.shape == (plane.y_m.size, plane.x_m.size) \
        else grid.cell_data
    target[plane.field.title] = np.ascontiguousarray(plane.values, dtype=np.float64).ravel()
    return grid
