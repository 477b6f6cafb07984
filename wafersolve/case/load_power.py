"""The ``[power]`` section of a case file: tile powers, hot spots, density rasters and meshes.

Every power source is checked here (shape, sign, finiteness, inside the wafer outline) and
converted to SI, so that :func:`wafersolve.sources.deposit_power` can trust a :class:`Power`.
File paths are relative to the case file's folder.

Example
-------
>>> from pathlib import Path
>>> from wafersolve.case.model import Wafer
>>> from wafersolve.case.schema import Section
>>> sec = Section({"layer": "wafer", "total_kW": 25}, path="c.toml", where="power")
>>> p = parse_power(sec, wafer=Wafer(), layer_names=("wafer",), base_dir=Path("."))
>>> round(p.total_W), p.tile_power_W.shape
(25000, (7, 12))
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from ..errors import CaseError
from ..units import DIMENSIONS, check_number, to_si
from .model import POWER_DEPTHS, DensityMap, Hotspot, MeshMap, Power, Wafer
from .schema import Section

#: Relative tolerance on "inside the wafer outline" (rounding only).
OUTLINE_RTOL = 1e-12

_AREA_CELLS = {"triangle": 3, "quad": 4}
_IGNORED_CELLS = ("vertex", "line", "line3")


def parse_power(sec: Section, *, wafer: Wafer, layer_names, base_dir: Path) -> Power:
    """Build :class:`Power` from the ``[power]`` section (see docs/case-reference.md).

    Example
    -------
    >>> from wafersolve.case.model import Wafer
    >>> from wafersolve.case.schema import Section
    >>> sec = Section({"layer": "w", "tile_powers_W": [1.0, 2.0]}, path="c.toml", where="power")
    >>> parse_power(sec, wafer=Wafer(tiles=(2, 1), tile_size_m=(0.1, 0.2)), layer_names=("w",),
    ...             base_dir=Path(".")).tile_power_W
    array([[1., 2.]])
    """
    sec.allow(
        {"layer", "depth", "hotspots", "mesh"},
        {"total": "power", "tile_powers": "power", "map": "power_density"},
    )
    layer = sec.string("layer", choices=None)
    if layer not in layer_names:
        raise CaseError(sec.path, sec.field("layer"), layer,
                        "the name of a layer in [[stack.layers]]: " + ", ".join(layer_names))
    depth = sec.string("depth", required=False, default="bottom", choices=POWER_DEPTHS)

    total_W = sec.quantity("total", required=False, check=">=0")
    tiles_hit = sec.unit_key("tile_powers")
    if total_W is not None and tiles_hit is not None:
        raise CaseError(sec.path, sec.field(tiles_hit[0]), detail=(
            f"give either {sec.field('total_*')} or {sec.field('tile_powers_*')}, not both"))
    tile_power_W = None
    if total_W is not None:
        tile_power_W = np.full((wafer.tiles[1], wafer.tiles[0]), total_W / wafer.n_tiles)
    elif tiles_hit is not None:
        tile_power_W = _tile_powers(sec, *tiles_hit, wafer=wafer, base_dir=base_dir)

    hotspots = tuple(_hotspot(h, i, wafer) for i, h in enumerate(sec.tables("hotspots")))

    maps = ()
    map_hit = sec.unit_key("map")
    if map_hit is not None:
        maps = (_density_map(sec, *map_hit, wafer=wafer, base_dir=base_dir),)

    meshes = ()
    mesh_sec = sec.table("mesh")
    if mesh_sec is not None:
        meshes = (_mesh_map(mesh_sec, wafer=wafer, base_dir=base_dir),)

    if tile_power_W is None and not hotspots and not maps and not meshes:
        raise CaseError(sec.path, sec.where, detail=(
            "no power source: give total_<unit>, tile_powers_<unit>, map_<unit>, "
            "[[power.hotspots]] or [power.mesh]"))
    power = Power(layer=layer, depth=depth, tile_power_W=tile_power_W, hotspots=hotspots,
                  maps=maps, meshes=meshes)
    if not power.total_W > 0:
        raise CaseError(sec.path, sec.where, detail="the power sources add up to 0 W; "
                        "expected a total power > 0")
    return power


# -- tile powers -------------------------------------------------------------------------------
def _tile_powers(sec: Section, key: str, suffix: str, *, wafer: Wafer, base_dir: Path):
    rows, cols = wafer.tiles[1], wafer.tiles[0]
    value = sec.data[key]
    field = sec.field(key)
    layout = (f"{rows * cols} numbers (x fastest, tile row 0 at the lowest y) "
              f"or {rows} rows of {cols} numbers")
    if isinstance(value, str):
        arr = read_array_file(value, path=sec.path, field=field, base_dir=base_dir)
        if arr.shape != (rows, cols):
            raise CaseError(sec.path, field, value, f"a table of {rows} rows x {cols} columns "
                            "(tile row 0 at the lowest y)", detail=f"the file holds shape "
                            f"{arr.shape}")
        _check_finite_nonneg(arr, path=sec.path, field=field, value=value)
    elif isinstance(value, list) and value and all(isinstance(r, list) for r in value):
        lengths = [len(r) for r in value]
        if lengths != [cols] * rows:
            raise CaseError(sec.path, field, value, layout,
                            detail=f"got {len(value)} rows of lengths {lengths}")
        arr = np.array([[_nonneg(v, sec.path, f"{field}[{r}][{c}]") for c, v in enumerate(row)]
                        for r, row in enumerate(value)])
    elif isinstance(value, list):
        if len(value) != rows * cols:
            raise CaseError(sec.path, field, value, layout, detail=f"got {len(value)} numbers")
        flat = [_nonneg(v, sec.path, f"{field}[{i}]") for i, v in enumerate(value)]
        arr = np.array(flat, dtype=np.float64).reshape(rows, cols)
    else:
        raise CaseError(sec.path, field, value, f"a list of {layout}, or a CSV/NPY file path")
    return np.ascontiguousarray(to_si(arr.astype(np.float64), "power", suffix))


def _nonneg(value, path, field) -> float:
    num = check_number(value, path=path, field=field)
    if num < 0:
        raise CaseError(path, field, value, "a number >= 0")
    return num


# -- hot spots ---------------------------------------------------------------------------------
def _hotspot(h: Section, index: int, wafer: Wafer) -> Hotspot:
    h.allow({"name"}, {"center": "length", "size": "length", "power": "power"})
    name = h.string("name", required=False, default=f"hotspot{index}")
    center = h.pair("center")
    size = h.pair("size", check=">0")
    power_W = h.quantity("power", check=">=0")
    lx, ly = wafer.size_m
    x0, x1 = center[0] - size[0] / 2, center[0] + size[0] / 2
    y0, y1 = center[1] - size[1] / 2, center[1] + size[1] / 2
    tol = OUTLINE_RTOL * max(lx, ly)
    if power_W > 0 and (x0 < -tol or y0 < -tol or x1 > lx + tol or y1 > ly + tol):
        key = h.unit_key("center")[0]
        raise CaseError(h.path, h.field(key), h.data[key], detail=(
            f"the hot spot spans x {x0 * 1e3:g}..{x1 * 1e3:g} mm, y {y0 * 1e3:g}..{y1 * 1e3:g} "
            f"mm, outside the wafer outline 0..{lx * 1e3:g} mm x 0..{ly * 1e3:g} mm; expected "
            "a rectangle inside the wafer (center from the wafer's lower-left corner)"))
    return Hotspot(name, center, size, power_W)


# -- density rasters ---------------------------------------------------------------------------
def _density_map(sec: Section, key: str, suffix: str, *, wafer: Wafer, base_dir: Path):
    value = sec.data[key]
    field = sec.field(key)
    if not isinstance(value, str):
        raise CaseError(sec.path, field, value, "a path to a CSV or NPY file")
    arr = read_array_file(value, path=sec.path, field=field, base_dir=base_dir)
    if arr.ndim != 2:
        raise CaseError(sec.path, field, value, "a 2D array (rows along y, columns along x)",
                        detail=f"the file holds shape {arr.shape}")
    if arr.size == 0:
        raise CaseError(sec.path, field, value, "a non-empty 2D array",
                        detail=f"the file holds shape {arr.shape}")
    _check_finite_nonneg(arr, path=sec.path, field=field, value=value)
    density = np.ascontiguousarray(to_si(arr.astype(np.float64), "power_density", suffix))
    lx, ly = wafer.size_m
    return DensityMap(density, (0.0, lx, 0.0, ly), source=value)


# -- meshes ------------------------------------------------------------------------------------
def _mesh_map(msec: Section, *, wafer: Wafer, base_dir: Path) -> MeshMap:
    msec.allow({"file", "length_unit"}, {"field": "power_density"})
    file = msec.string("file")
    length_unit = msec.string("length_unit", required=False, default="m",
                              choices=tuple(DIMENSIONS["length"]))
    fkey, fsuffix = msec.require_unit_key("field")
    name = msec.data[fkey]
    if not isinstance(name, str):
        raise CaseError(msec.path, msec.field(fkey), name, "the name of a cell-data field")
    field = msec.field("file")
    triangles, values = read_mesh_file(file, name, path=msec.path, field=field,
                                       base_dir=base_dir, field_key=msec.field(fkey))
    triangles = to_si(triangles, "length", length_unit)
    if not np.all(np.isfinite(values)) or np.any(values < 0):
        bad = int(np.flatnonzero(~(values >= 0))[0])
        raise CaseError(msec.path, msec.field(fkey), name, "finite values >= 0",
                        detail=f"cell {bad} holds {float(values[bad])!r}")
    density = to_si(values, "power_density", fsuffix)
    lx, ly = wafer.size_m
    tol = OUTLINE_RTOL * max(lx, ly)
    hot = density > 0
    if hot.any():
        pts = triangles[hot].reshape(-1, 2)
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        if lo[0] < -tol or lo[1] < -tol or hi[0] > lx + tol or hi[1] > ly + tol:
            raise CaseError(msec.path, field, file, detail=(
                f"the heated cells span x {lo[0]:g}..{hi[0]:g} m, y {lo[1]:g}..{hi[1]:g} m, "
                f"outside the wafer outline 0..{lx:g} m x 0..{ly:g} m; expected a mesh inside "
                f"the wafer (coordinates read in {length_unit!r}: check power.mesh.length_unit)"))
    return MeshMap(np.ascontiguousarray(triangles), np.ascontiguousarray(density), source=file)


def read_mesh_file(file: str, name: str, *, path, field: str, base_dir: Path, field_key: str):
    """Triangles ``(n, 3, 2)`` and cell values ``(n,)`` of cell field ``name`` of a 2D mesh.

    Quads are split into two triangles along the diagonal that keeps both inside the quad.
    Vertex and line cells are ignored; any other cell type is an error.

    Example
    -------
    >>> read_mesh_file("meshes/hotspots.vtu", "q", path="c.toml", field="power.mesh.file",
    ...                base_dir=Path("."), field_key="power.mesh.field_W_per_m2")  # doctest: +SKIP
    """
    resolved = base_dir / file
    _check_readable(resolved, path=path, field=field, value=file)
    mesh = _read_with_meshio(resolved, path=path, field=field, file=file)
    if name not in mesh.cell_data:
        have = ", ".join(sorted(mesh.cell_data)) or "none"
        raise CaseError(path, field_key, name, f"a cell-data field of {file}",
                        detail=f"the mesh's cell fields are: {have}")
    pts = np.asarray(mesh.points, dtype=np.float64)
    if pts.ndim != 2 or pts.shape[1] not in (2, 3):
        raise CaseError(path, field, file, "a mesh with 2D or 3D points")
    if pts.shape[1] == 3 and pts.shape[0] and np.ptp(pts[:, 2]) > 0:
        raise CaseError(path, field, file, "a flat 2D mesh (all z equal)",
                        detail=f"its z coordinates span {np.ptp(pts[:, 2]):g}")
    xy = pts[:, :2]
    tris, vals = [], []
    for block, data in zip(mesh.cells, mesh.cell_data[name], strict=True):
        if block.type in _IGNORED_CELLS:
            continue
        if block.type not in _AREA_CELLS:
            raise CaseError(path, field, file, "a mesh of triangles and quads",
                            detail=f"it has cells of type {block.type!r}")
        v = np.asarray(data, dtype=np.float64)
        if v.ndim == 2 and v.shape[1] == 1:
            v = v[:, 0]
        if v.shape != (len(block.data),):
            raise CaseError(path, field_key, name, "a scalar value per cell",
                            detail=f"the field has shape {np.shape(data)} on {block.type} cells")
        corners = xy[np.asarray(block.data)]
        if block.type == "triangle":
            tris.append(corners)
            vals.append(v)
        else:
            tris.append(_split_quads(corners))
            vals.append(np.repeat(v, 2))
    if not tris:
        raise CaseError(path, field, file, "a mesh with triangle or quad cells",
                        detail="it has none")
    return np.concatenate(tris), np.concatenate(vals)


def _read_with_meshio(resolved: Path, *, path, field: str, file: str):
    """Read a mesh with the format readers meshio has for its extension.

    ``meshio.read`` itself prints and calls ``sys.exit`` when no reader succeeds, so the
    per-format readers are called directly and their failures become a CaseError.
    """
    import meshio  # imported here: heavy, and only needed for mesh power maps

    expected = "a 2D mesh file meshio can read (.vtu, .msh, ...)"
    formats = meshio.extension_to_filetypes.get(resolved.suffix.lower(), [])
    readers = [getattr(meshio, f, None) for f in formats]
    readers = [r for r in readers if r is not None and hasattr(r, "read")]
    if not readers:
        raise CaseError(path, field, file, expected,
                        detail=f"meshio has no reader for {resolved.suffix!r} files")
    problems = []
    for reader in readers:
        try:
            return reader.read(str(resolved))
        except Exception as exc:  # malformed input makes readers raise many types
            why = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            problems.append(f"as {reader.__name__.rsplit('.', 1)[-1]}: {why}")
    raise CaseError(path, field, file, expected, detail="cannot parse it " + "; ".join(problems))


def _split_quads(q: np.ndarray) -> np.ndarray:
    """(n, 4, 2) quads -> (2n, 3, 2) triangles, cutting along a diagonal inside each quad."""

    def signed(a, b, c):
        return (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (c[:, 0] - a[:, 0]) * (b[:, 1] - a[:, 1])

    p0, p1, p2, p3 = q[:, 0], q[:, 1], q[:, 2], q[:, 3]
    # Diagonal 0-2 is inside the quad when triangles (0,1,2) and (0,2,3) have the same sense.
    use02 = signed(p0, p1, p2) * signed(p0, p2, p3) >= 0
    t1 = np.where(use02[:, None, None], np.stack([p0, p1, p2], 1), np.stack([p0, p1, p3], 1))
    t2 = np.where(use02[:, None, None], np.stack([p0, p2, p3], 1), np.stack([p1, p2, p3], 1))
    return np.stack([t1, t2], axis=1).reshape(-1, 3, 2)


# -- array files -------------------------------------------------------------------------------
def read_array_file(value: str, *, path, field: str, base_dir: Path) -> np.ndarray:
    """A numeric array from a ``.npy`` or ``.csv`` file (``value`` relative to ``base_dir``).

    CSV files hold comma-separated numbers, one table row per line; ``#`` starts a comment.

    Example
    -------
    >>> read_array_file("maps/wse3_power.npy", path="c.toml", field="power.map_W_per_cm2",
    ...                 base_dir=Path("cases"))  # doctest: +SKIP
    """
    resolved = base_dir / value
    ext = resolved.suffix.lower()
    if ext not in (".npy", ".csv"):
        raise CaseError(path, field, value, "a .csv or .npy file")
    _check_readable(resolved, path=path, field=field, value=value)
    try:
        if ext == ".npy":
            arr = np.load(resolved, allow_pickle=False)
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # an empty file warns; it is reported below
                arr = np.loadtxt(resolved, delimiter=",", ndmin=2, dtype=np.float64)
    except (ValueError, OSError, EOFError) as exc:
        kind = "an NPY file" if ext == ".npy" else "a CSV file of comma-separated numbers"
        raise CaseError(path, field, value, kind, detail=f"cannot parse {resolved}: {exc}") from None
    if not isinstance(arr, np.ndarray) or arr.dtype == np.bool_ or not (
        np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)
    ):
        raise CaseError(path, field, value, "an array of real numbers",
                        detail=f"the file holds dtype {getattr(arr, 'dtype', type(arr))}")
    return arr


def _check_readable(resolved: Path, *, path, field: str, value: str) -> None:
    try:
        with open(resolved, "rb"):
            pass
    except OSError as exc:
        raise CaseError(path, field, value, detail=f"cannot read the file: {exc}") from None


def _check_finite_nonneg(arr: np.ndarray, *, path, field: str, value) -> None:
    bad = ~np.isfinite(arr) | (arr < 0)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        raise CaseError(path, field, value, "finite values >= 0",
                        detail=f"entry {list(idx)} (row, column) is {float(arr[idx])!r}")
