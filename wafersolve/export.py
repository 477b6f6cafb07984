"""Write a :class:`~wafersolve.results.ThermalResult` to a folder of standard files, and read them back.

The grid is a tensor grid whose z cells follow the layers (50 um to several mm thick), so the 3D
field goes to a VTK *RectilinearGrid* (``temperature.vtr``), which keeps the true x, y and z edges.
The wafer-plane maps have uniform x-y cells and go to a 2D VTK *ImageData* (``wafer.vti``). Scalars
go to JSON. meshio's ``.vtu`` and ``.xdmf`` (+ ``.h5``) copies of the 3D field are written on request.

Every file is written under a temporary name in the destination folder (same extension), flushed
to disk, then renamed over the final name with :func:`os.replace`; a failed or interrupted write
leaves neither a truncated file under the final name nor a temporary file behind.

pyvista, vtk and meshio are imported inside the functions that need them.

Example
-------
>>> from wafersolve import load_case, solve_thermal
>>> result = solve_thermal(load_case("cases/small.toml"))          # doctest: +SKIP
>>> paths = write_results(result, "results/small")                 # doctest: +SKIP
>>> sorted(paths)                                                  # doctest: +SKIP
['case', 'summary', 'vti', 'vtr']
"""

from __future__ import annotations

import json
import math
import os
import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .case.model import Case
from .errors import ExportError
from .grid import Grid
from .results import MechanicsResult, ThermalResult
from .sources import tile_index_map

FORMATS = ("vtr", "vti", "json", "vtu", "xdmf")
DEFAULT_FORMATS = ("vtr", "vti", "json")
ZERO_CELSIUS_K = 273.15

UNITS_NOTE = (
    "SI units; each key names its unit: _K kelvin, _m metres, _s seconds, _W watts, "
    "_W_per_m2 watts per square metre, _m3_per_s cubic metres per second; "
    "flow_lpm_per_kW is litres per minute per kilowatt of dissipated power; "
    "keys ending in _relative and solver_relative_residual are dimensionless ratios; "
    "grid_* and solver_*iterations are counts; mechanics (mech_*, check_*): _Pa pascals, "
    "shear strains and margins dimensionless, *_passed booleans; io_* bit_per_s bits per "
    "second, io_density_*_GB_per_s_per_mm gigabytes per second per mm of edge."
)


# -- public API -------------------------------------------------------------------------------
def write_results(
    result: ThermalResult, folder, formats: Iterable[str] = DEFAULT_FORMATS, *,
    mechanics: MechanicsResult | None = None, extra_summary: dict | None = None,
) -> dict[str, Path]:
    """Write ``result`` into ``folder`` (created if needed); return the paths written, by kind.

    ``formats`` picks from ``"vtr"`` (``temperature.vtr``, the 3D field), ``"vti"``
    (``wafer.vti``, the 2D wafer maps), ``"json"`` (``summary.json`` and ``case_resolved.json``),
    ``"vtu"`` (``temperature.vtu``, meshio hexahedra) and ``"xdmf"`` (``temperature.xdmf`` +
    ``temperature.h5``, needs h5py). The keys of the returned dict are ``"summary"``, ``"case"``,
    ``"vtr"``, ``"vti"``, ``"vtu"``, ``"xdmf"`` and ``"h5"``, for the files actually written.
    With a ``mechanics`` result (of the same case and temperature field), ``summary.json`` gets
    its scalars, ``wafer.vti`` its maps, and ``"vtr"`` also writes ``mechanics.vtr`` (key
    ``"mechanics_vtr"``; see :mod:`wafersolve.export_mechanics`). ``extra_summary`` adds scalars
    to ``summary.json`` (the design checks of :mod:`wafersolve.checks`).
    Raises :class:`~wafersolve.errors.ExportError` if anything cannot be written; files already
    written stay, and no file is ever left half-written.

    Example
    -------
    >>> paths = write_results(result, "results/wse3", formats=("json", "vtr"))   # doctest: +SKIP
    >>> paths["summary"].name                                                    # doctest: +SKIP
    'summary.json'
    """
    wanted = _check_formats(formats)
    _check_result(result)
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"{folder}: cannot create the output folder: {exc}") from exc

    written: dict[str, Path] = {}
    if "json" in wanted:  # first: cheap, and it refuses NaN before the large files are written
        written["summary"] = _write_summary(result, folder / "summary.json", mechanics,
                                            extra_summary)
        written["case"] = _write_resolved_case(result.case, folder / "case_resolved.json")
    if "vtr" in wanted:
        written["vtr"] = _write_vtr(result, folder / "temperature.vtr")
    if "vti" in wanted:
        written["vti"] = _write_vti(result, folder / "wafer.vti", mechanics)
    if "vtr" in wanted and mechanics is not None:
        from .export_mechanics import write_mechanics_vtr

        written["mechanics_vtr"] = write_mechanics_vtr(mechanics, folder / "mechanics.vtr")
    if "vtu" in wanted:
        written["vtu"] = _write_meshio(result, folder / "temperature.vtu", "vtu")
    if "xdmf" in wanted:
        written["xdmf"] = _write_meshio(result, folder / "temperature.xdmf", "xdmf")
        written["h5"] = folder / "temperature.h5"
    return written


def field_arrays(result: ThermalResult) -> dict[str, np.ndarray]:
    """The cell arrays of the 3D field, each (nz, ny, nx), as written to ``temperature.vtr``.

    ``T_K`` and ``T_C`` (temperature), ``layer`` (int32 index into ``grid.layer_names``) and
    ``power_W_per_m2``: the areal power density of the heated layer, repeated over each of its
    cells, 0 in every other layer.

    Example
    -------
    >>> arrays = field_arrays(result)                    # doctest: +SKIP
    >>> arrays["T_K"].shape == result.grid.shape         # doctest: +SKIP
    True
    """
    grid = result.grid
    T_K = np.ascontiguousarray(result.T_K, dtype=np.float64)
    layer = np.broadcast_to(grid.layer_of_cell.astype(np.int32)[:, None, None], grid.shape)
    power = np.zeros(grid.shape)
    power[grid.layer_slices()[result.case.power.layer]] = _power_density(result)
    return {
        "T_K": T_K,
        "T_C": T_K - ZERO_CELSIUS_K,
        "layer": np.ascontiguousarray(layer),
        "power_W_per_m2": power,
    }


def wafer_maps(result: ThermalResult) -> dict[str, np.ndarray]:
    """The 2D maps over the wafer plane, each (ny, nx) with row 0 at y = 0, as in ``wafer.vti``.

    Per layer ``T_max_<layer>_K`` and ``T_mean_<layer>_K`` (thickness-weighted mean over the
    layer's cells); ``T_max_K`` over the whole column; ``q_coldplate_W_per_m2``;
    ``power_W_per_m2``; ``coolant_T_K`` (mean coolant temperature over the cell's strip);
    ``tile`` (int32 reticle tile index ``row * columns + column``, -1 outside the tile array) and
    ``tile_T_max_K`` (the maximum of the cell's tile in the heated layer, NaN outside tiles).

    Example
    -------
    >>> maps = wafer_maps(result)                                           # doctest: +SKIP
    >>> maps["T_max_K"].shape == (result.grid.ny, result.grid.nx)           # doctest: +SKIP
    True
    """
    grid = result.grid
    dz = grid.dz_m
    maps: dict[str, np.ndarray] = {}
    for name, sl in grid.layer_slices().items():
        block = result.T_K[sl]
        maps[f"T_max_{name}_K"] = block.max(axis=0)
        maps[f"T_mean_{name}_K"] = np.tensordot(dz[sl], block, axes=1) / dz[sl].sum()
    maps["T_max_K"] = result.T_K.max(axis=0)
    maps["q_coldplate_W_per_m2"] = np.asarray(result.q_coldplate_W_per_m2, dtype=np.float64)
    maps["power_W_per_m2"] = _power_density(result)
    maps["coolant_T_K"] = _coolant_map(result)
    tile = tile_index_map(result.case, grid).astype(np.int32)
    tile_max = np.full(tile.shape, np.nan)
    inside = tile >= 0
    tile_max[inside] = np.asarray(result.tile_T_max_K, dtype=np.float64).ravel()[tile[inside]]
    maps["tile"] = tile
    maps["tile_T_max_K"] = tile_max
    return {k: np.ascontiguousarray(v) for k, v in maps.items()}


@dataclass(frozen=True, eq=False)
class CellFields:
    """What :func:`read_vtk` found in a ``.vtr`` or ``.vti`` file.

    ``cell_data`` arrays are (nz, ny, nx) for a 3D file and (ny, nx) for a 2D one (a single
    layer of cells); ``z_edges_m`` of a 2D file holds the one z coordinate of its plane.
    ``field_data`` holds string arrays as tuples of str and numeric ones as arrays.
    """

    x_edges_m: np.ndarray
    y_edges_m: np.ndarray
    z_edges_m: np.ndarray
    cell_data: dict[str, np.ndarray]
    field_data: dict[str, object]


def read_vtk(path) -> CellFields:
    """Read a ``.vtr`` (RectilinearGrid) or ``.vti`` (ImageData) file written by wafersolve.

    Example
    -------
    >>> fields = read_vtk("results/wse3/temperature.vtr")     # doctest: +SKIP
    >>> fields.cell_data["T_K"].shape                         # doctest: +SKIP
    (18, 512, 512)
    """
    from vtkmodules.util.numpy_support import vtk_to_numpy
    from vtkmodules.vtkIOXML import vtkXMLImageDataReader, vtkXMLRectilinearGridReader

    path = Path(path)
    readers = {".vtr": vtkXMLRectilinearGridReader, ".vti": vtkXMLImageDataReader}
    if path.suffix not in readers:
        raise ExportError(
            f"{path}: cannot read {path.suffix or 'this'} files: expected .vtr or .vti"
        )
    if not path.is_file():
        raise ExportError(f"{path}: no such file")
    reader = readers[path.suffix]()
    if not reader.CanReadFile(str(path)):
        raise ExportError(f"{path}: cannot read it: not a VTK XML {path.suffix} file")
    reader.SetFileName(str(path))
    errors = _capture_vtk_errors(reader)
    reader.Update()
    data = reader.GetOutput()
    if errors or data is None or data.GetNumberOfCells() == 0:
        raise ExportError(f"{path}: cannot read it: {_first_lines(errors) or 'no cells'}")

    nxp, nyp, nzp = data.GetDimensions()
    if path.suffix == ".vtr":
        edges = [
            vtk_to_numpy(c).astype(np.float64)
            for c in (data.GetXCoordinates(), data.GetYCoordinates(), data.GetZCoordinates())
        ]
    else:
        origin, spacing = data.GetOrigin(), data.GetSpacing()
        edges = [origin[a] + spacing[a] * np.arange(n) for a, n in enumerate((nxp, nyp, nzp))]
    cells = tuple(max(n - 1, 1) for n in (nzp, nyp, nxp))
    shape = cells if nzp > 1 else cells[1:]
    cd = data.GetCellData()
    cell_data = {
        cd.GetArrayName(i): vtk_to_numpy(cd.GetArray(i)).reshape(shape)
        for i in range(cd.GetNumberOfArrays())
    }
    field_data: dict[str, object] = {}
    fd = data.GetFieldData()
    for i in range(fd.GetNumberOfArrays()):
        arr = fd.GetAbstractArray(i)
        if arr.IsA("vtkStringArray"):
            field_data[arr.GetName()] = tuple(
                arr.GetValue(v) for v in range(arr.GetNumberOfValues())
            )
        else:
            field_data[arr.GetName()] = vtk_to_numpy(arr)
    return CellFields(*edges, cell_data=cell_data, field_data=field_data)


def read_summary(path) -> dict:
    """Read a ``summary.json`` (or any JSON file wafersolve wrote); NaN or Infinity is an error.

    Example
    -------
    >>> read_summary("results/wse3/summary.json")["T_max_K"]     # doctest: +SKIP
    358.2
    """
    path = Path(path)

    def refuse(token):
        raise ExportError(f"{path}: contains {token}, which is not a JSON number")

    try:
        return json.loads(path.read_text(encoding="utf-8"), parse_constant=refuse)
    except OSError as exc:
        raise ExportError(f"{path}: cannot read it: {exc.strerror or exc}") from exc
    except json.JSONDecodeError as exc:
        raise ExportError(f"{path}: not valid JSON: {exc}") from exc


# -- checks -------------------------------------------------------------------------------------
def _check_formats(formats: Iterable[str]) -> set[str]:
    if isinstance(formats, str):
        formats = (formats,)
    wanted = set()
    for f in formats:
        key = str(f).lower().lstrip(".")
        if key not in FORMATS:
            raise ExportError(f"unknown output format {f!r}: expected one of {', '.join(FORMATS)}")
        wanted.add(key)
    return wanted


def _check_result(result: ThermalResult) -> None:
    grid = result.grid
    plane = (grid.ny, grid.nx)
    expected = {"T_K": grid.shape, "power_W": plane, "q_coldplate_W_per_m2": plane}
    for name, shape in expected.items():
        got = np.shape(getattr(result, name))
        if got != shape:
            raise ExportError(f"result.{name} has shape {got}: expected {shape} from the grid")
    if result.case.power.layer not in grid.layer_names:
        raise ExportError(
            f"result.case.power.layer = {result.case.power.layer!r}: expected one of the grid's "
            f"layers {', '.join(grid.layer_names)}"
        )
    strips = grid.nx if result.case.cooling.direction in ("+x", "-x") else grid.ny
    if np.shape(result.coolant_T_K) != (strips + 1,):
        raise ExportError(
            f"result.coolant_T_K has shape {np.shape(result.coolant_T_K)}: expected ({strips + 1},),"
            f" one entry per strip across flow direction {result.case.cooling.direction} plus the outlet"
        )


# -- arrays -------------------------------------------------------------------------------------
def _power_density(result: ThermalResult) -> np.ndarray:
    return np.asarray(result.power_W, dtype=np.float64) / (result.grid.dx_m * result.grid.dy_m)


def _coolant_map(result: ThermalResult) -> np.ndarray:
    ny, nx = result.grid.ny, result.grid.nx
    T = np.asarray(result.coolant_T_K, dtype=np.float64)
    strip = 0.5 * (T[:-1] + T[1:])  # along the flow
    direction = result.case.cooling.direction
    if direction.startswith("-"):
        strip = strip[::-1]  # back to increasing x or y
    if direction.endswith("x"):
        return np.broadcast_to(strip[None, :], (ny, nx))
    return np.broadcast_to(strip[:, None], (ny, nx))


# -- JSON ---------------------------------------------------------------------------------------
def _write_summary(result: ThermalResult, path: Path, mechanics=None, extra=None) -> Path:
    from . import __version__

    data = dict(result.summary())
    data["solver_residual_history"] = [float(r) for r in result.info.residual_history]
    data.update(extra or {})
    if mechanics is not None:
        data.update(mechanics.summary())
        data["mech_warning_texts"] = list(mechanics.warnings)
        data["mech_residual_history"] = [float(r) for r in mechanics.info.residual_history]
    data["units_note"] = UNITS_NOTE
    data["wafersolve_version"] = __version__
    return _write_json(data, path)


def merge_summary(path, values: dict) -> Path:
    """Add ``values`` to the JSON summary at ``path`` (created if absent), atomically.

    Example
    -------
    >>> merge_summary("results/wse3/summary.json", {"io_usable": 24})    # doctest: +SKIP
    PosixPath('results/wse3/summary.json')
    """
    from . import __version__

    path = Path(path)
    data = read_summary(path) if path.exists() else {"units_note": UNITS_NOTE}
    data.update(values)
    data["wafersolve_version"] = __version__
    return _write_json(data, path)


def _write_resolved_case(case: Case, path: Path) -> Path:
    from .case.resolved import case_to_dict

    return _write_json(case_to_dict(case), path)


def _write_json(data, path: Path) -> Path:
    plain = _plain(data, path.name)
    text = json.dumps(plain, sort_keys=True, indent=2, allow_nan=False, ensure_ascii=False) + "\n"
    with _atomic(path) as tmp:
        with open(tmp, "x", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
    return path


def _plain(value, where: str):
    """Convert numpy scalars and arrays to JSON types; refuse NaN and infinities by key path."""
    if isinstance(value, dict):
        return {str(k): _plain(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, np.ndarray):
        return _plain(value.tolist(), where)
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        raise ExportError(f"{where} = {value}: expected a finite number (JSON has no NaN or inf)")
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise ExportError(f"{where} = {value!r}: cannot be written as JSON")


# -- VTK XML ------------------------------------------------------------------------------------
def _write_vtr(result: ThermalResult, path: Path) -> Path:
    from vtkmodules.vtkCommonDataModel import vtkRectilinearGrid
    from vtkmodules.vtkIOXML import vtkXMLRectilinearGridWriter

    grid = result.grid
    data = vtkRectilinearGrid()
    data.SetDimensions(grid.nx + 1, grid.ny + 1, grid.nz + 1)
    data.SetXCoordinates(_vtk_array("x_m", grid.x_edges_m))
    data.SetYCoordinates(_vtk_array("y_m", grid.y_edges_m))
    data.SetZCoordinates(_vtk_array("z_m", grid.z_edges_m))
    for name, arr in field_arrays(result).items():
        data.GetCellData().AddArray(_vtk_array(name, arr))
    _add_field_data(data, result)
    return _run_vtk_writer(vtkXMLRectilinearGridWriter(), data, path)


def _write_vti(result: ThermalResult, path: Path, mechanics=None) -> Path:
    from vtkmodules.vtkCommonDataModel import vtkImageData
    from vtkmodules.vtkIOXML import vtkXMLImageDataWriter

    grid = result.grid
    data = vtkImageData()
    data.SetDimensions(grid.nx + 1, grid.ny + 1, 1)
    data.SetOrigin(float(grid.x_edges_m[0]), float(grid.y_edges_m[0]), 0.0)
    data.SetSpacing(grid.dx_m, grid.dy_m, grid.dx_m)
    maps = wafer_maps(result)
    if mechanics is not None:
        from .export_mechanics import mechanics_wafer_maps

        maps.update(mechanics_wafer_maps(mechanics, grid))
    for name, arr in maps.items():
        data.GetCellData().AddArray(_vtk_array(name, arr))
    _add_field_data(data, result)
    return _run_vtk_writer(vtkXMLImageDataWriter(), data, path)


def _vtk_array(name: str, values: np.ndarray):
    """A named VTK array of ``values`` in C order (x fastest); (n, 3) arrays become vectors."""
    from vtkmodules.util.numpy_support import numpy_to_vtk

    values = np.ascontiguousarray(values)
    flat = values if (values.ndim == 2 and values.shape[1] == 3) else values.ravel()
    arr = numpy_to_vtk(flat, deep=True)
    arr.SetName(name)
    return arr


def _add_field_data(data, result: ThermalResult) -> None:
    _add_names(data, (("layer_names", result.grid.layer_names), ("case", (result.case.name,))))


def _add_names(data, pairs) -> None:
    """Attach string arrays ``(name, values)`` to a VTK dataset's field data."""
    from vtkmodules.vtkCommonCore import vtkStringArray

    for name, values in pairs:
        arr = vtkStringArray()
        arr.SetName(name)
        for v in values:
            arr.InsertNextValue(str(v))
        data.GetFieldData().AddArray(arr)


def _run_vtk_writer(writer, data, path: Path) -> Path:
    """Write ``data`` with a VTK XML ``writer`` (zlib-compressed, appended binary) atomically."""
    writer.SetInputData(data)
    writer.SetDataModeToAppended()
    writer.EncodeAppendedDataOff()
    writer.SetCompressorTypeToZLib()
    writer.SetCompressionLevel(1)  # on temperature fields as small as level 5, and faster
    writer.SetHeaderTypeToUInt64()
    errors = _capture_vtk_errors(writer)
    with _atomic(path) as tmp:
        writer.SetFileName(str(tmp))
        ok = writer.Write()
        if ok != 1 or errors:
            raise ExportError(
                f"{path}: VTK could not write it: {_first_lines(errors) or 'unknown'}"
            )
    return path


def _capture_vtk_errors(algorithm) -> list[str]:
    """Route a VTK algorithm's error and warning events into a list instead of stderr."""
    from vtkmodules.util.misc import calldata_type
    from vtkmodules.util.vtkConstants import VTK_STRING
    from vtkmodules.vtkCommonCore import vtkCommand

    messages: list[str] = []

    @calldata_type(VTK_STRING)
    def collect(_obj, _event, text):
        messages.append(str(text))

    for obj in (algorithm, algorithm.GetExecutive()):
        obj.AddObserver(vtkCommand.ErrorEvent, collect)
        obj.AddObserver(vtkCommand.WarningEvent, collect)
    return messages


def _first_lines(messages: list[str]) -> str:
    # VTK messages look like "ERROR: In file.cxx, line 632\nvtkWriter (0x..): what happened\n".
    useful = []
    for m in messages:
        lines = [s.strip() for s in m.splitlines() if s.strip()]
        if len(lines) > 1:
            useful.append(lines[1].split("): ", 1)[-1])
    return "; ".join(useful[:2])


# -- meshio -------------------------------------------------------------------------------------
def _hexahedra(grid: Grid) -> tuple[np.ndarray, np.ndarray]:
    """Points (n, 3) and VTK-ordered hexahedron connectivity (nz * ny * nx, 8), cells in C order."""
    nx, ny, nz = grid.nx, grid.ny, grid.nz
    Z, Y, X = np.meshgrid(grid.z_edges_m, grid.y_edges_m, grid.x_edges_m, indexing="ij")
    points = np.column_stack([X.ravel(), Y.ravel(), Z.ravel()])
    k, j, i = (
        a.ravel() for a in np.meshgrid(np.arange(nz), np.arange(ny), np.arange(nx), indexing="ij")
    )

    def pid(kk, jj, ii):
        return (kk * (ny + 1) + jj) * (nx + 1) + ii

    hexa = np.column_stack(
        [
            pid(k, j, i), pid(k, j, i + 1), pid(k, j + 1, i + 1), pid(k, j + 1, i),
            pid(k + 1, j, i), pid(k + 1, j, i + 1), pid(k + 1, j + 1, i + 1), pid(k + 1, j + 1, i),
        ]
    )  # fmt: skip
    return points, hexa.astype(np.int64)


def _write_meshio(result: ThermalResult, path: Path, fmt: str) -> Path:
    import meshio

    points, hexa = _hexahedra(result.grid)
    cell_data = {name: [arr.ravel()] for name, arr in field_arrays(result).items()}
    mesh = meshio.Mesh(points, [("hexahedron", hexa)], cell_data=cell_data)
    if fmt == "vtu":
        with _atomic(path) as tmp:
            _meshio_write(meshio, tmp, mesh, "vtu")
        return path

    try:
        import h5py  # noqa: F401  (meshio's XDMF writer needs it)
    except ImportError as exc:
        raise ExportError(f"{path}: writing .xdmf needs h5py (pip install h5py)") from exc
    h5_path = path.with_suffix(".h5")
    with _atomic(path) as tmp:
        tmp_h5 = tmp.with_suffix(".h5")  # where meshio puts the heavy data, named in the .xdmf
        try:
            _meshio_write(meshio, tmp, mesh, "xdmf")
            text = tmp.read_text(encoding="utf-8")
            tmp.write_text(
                text.replace(f">{tmp_h5.name}:/", f">{h5_path.name}:/"), encoding="utf-8"
            )
            _fsync(tmp_h5)
            os.replace(tmp_h5, h5_path)  # the data first, then (on leaving) the .xdmf naming it
        finally:
            tmp_h5.unlink(missing_ok=True)
    return path


def _meshio_write(meshio, tmp: Path, mesh, fmt: str) -> None:
    try:
        meshio.write(str(tmp), mesh, file_format=fmt)
    except OSError:
        raise
    except Exception as exc:  # meshio raises assorted types for unwritable data
        raise ExportError(f"{tmp}: meshio could not write {fmt}: {exc}") from exc


# -- atomic files -------------------------------------------------------------------------------
@contextmanager
def _atomic(path: Path) -> Iterator[Path]:
    """Yield a fresh temporary path beside ``path`` (same extension) for the caller to write.

    On success the temporary file is flushed to disk and renamed to ``path``; on any exception
    (including KeyboardInterrupt) it is removed. OSError becomes ExportError naming ``path``.
    """
    tmp = path.with_name(f".{path.stem}.{os.getpid()}-{secrets.token_hex(4)}.tmp{path.suffix}")
    try:
        yield tmp
        if not tmp.is_file():
            raise ExportError(f"{path}: the writer produced no file")
        _fsync(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ExportError(f"{path}: cannot write it: {exc.strerror or exc}") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if os.name == "posix":  # make the rename itself durable
        try:
            _fsync(path.parent)
        except OSError:
            pass


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
