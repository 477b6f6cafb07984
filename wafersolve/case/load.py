"""Load a case file (TOML) into a :class:`~wafersolve.case.model.Case`, converting units once.

The schema is documented key by key in ``docs/case-reference.md``. Loading is strict: unknown or
misspelled keys, missing units, wrong types, non-finite numbers and out-of-range values are all
:class:`~wafersolve.errors.CaseError` naming the file, the field path, the value and what was
expected. File paths inside a case are relative to the case file's folder. The power section is
read by :mod:`~wafersolve.case.load_power`; the elastic keys of ``[materials.NAME]`` and the
``[mechanics]`` section by :mod:`~wafersolve.case.load_mechanics`.

Example
-------
>>> load_case("cases/small.toml").wafer.n_tiles
84
>>> case = load_case_text('''
... [case]
... name = "demo"
... [grid]
... nx = 8
... ny = 8
... [[stack.layers]]
... name = "wafer"
... material = "silicon"
... thickness_um = 775
... [power]
... layer = "wafer"
... total_kW = 25
... [cooling]
... coolant = "water"
... inlet_T_C = 21
... flow_lpm = 100
... h_W_per_m2_K = 3e4
... ''')
>>> case.layers[0].thickness_m, round(case.cooling.inlet_T_K, 2)
(0.000775, 294.15)
"""

from __future__ import annotations

import difflib
import tomllib
from pathlib import Path

from ..errors import CaseError
from ..units import from_si
from .load_channels import parse_channels
from .load_io import parse_io
from .load_mechanics import ELASTIC_FIXED, ELASTIC_UNITS, parse_elastic, parse_mechanics
from .load_power import parse_power
from .materials import MATERIALS
from .model import (
    COOLANTS,
    FLOW_DIRECTIONS,
    Backside,
    Case,
    Contact,
    Cooling,
    GridSpec,
    Layer,
    Material,
    SolverSettings,
    Wafer,
)
from .schema import Section, tile_grid

SECTIONS = ("case", "wafer", "grid", "stack", "materials", "power", "cooling", "backside", "solver",
            "mechanics", "io")

#: Valid coolant inlet temperatures in degrees Celsius (liquid, below boiling at ~1 bar).
INLET_LIMITS_C = {"water": (1.0, 95.0), "pg25": (-5.0, 95.0)}


def load_case(path) -> Case:
    """Read and validate the case file at ``path``.

    Example
    -------
    >>> case = load_case("cases/wse3.toml")                     # doctest: +SKIP
    >>> case.wafer.n_tiles                                      # doctest: +SKIP
    84
    """
    label = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise CaseError(label, None, detail=f"cannot read the case file: {exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CaseError(label, None, detail=f"the case file is not UTF-8 text: {exc}") from None
    return load_case_text(text, label, base_dir=Path(path).parent, source_path=label)


def load_case_text(text: str, path_label: str = "<string>", *, base_dir=".",
                   source_path: str | None = None) -> Case:
    """Parse case-file text; ``path_label`` names it in messages, files resolve from ``base_dir``.

    Example
    -------
    >>> load_case_text("[case]\\nname = 1", "demo.toml")
    Traceback (most recent call last):
    ...
    wafersolve.errors.CaseError: demo.toml: case.name = 1: expected a string
    """
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CaseError(path_label, None, detail=f"invalid TOML: {exc}") from None
    return build_case(doc, path=path_label, base_dir=Path(base_dir), source_path=source_path)


def build_case(doc: dict, *, path, base_dir: Path, source_path: str | None = None) -> Case:
    """Build a Case from an already parsed TOML document (a dict).

    Example
    -------
    >>> build_case({}, path="c.toml", base_dir=Path("."))
    Traceback (most recent call last):
    ...
    wafersolve.errors.CaseError: c.toml: case: missing required section
    """
    top = Section(doc, path=path, where="")
    top.allow(SECTIONS)
    name, description = _case_info(top.table("case", required=True))
    wafer = _wafer(top.table("wafer"))
    grid, cells_default = _grid(top.table("grid", required=True), wafer)
    custom = _materials(top.table("materials"))
    stack = top.table("stack", required=True)
    stack.allow({"layers", "contacts"})
    layers = _layers(stack, custom, cells_default)
    contacts = _contacts(stack, layers)
    power = parse_power(top.table("power", required=True), wafer=wafer,
                        layer_names=tuple(layer.name for layer in layers), base_dir=base_dir)
    cooling = _cooling(top.table("cooling", required=True))
    backside = _backside(top.table("backside"))
    solver = _solver(top.table("solver"))
    mechanics = parse_mechanics(top.table("mechanics"), layers=layers, wafer=wafer, grid=grid)
    return Case(
        name=name,
        wafer=wafer,
        layers=layers,
        contacts=contacts,
        power=power,
        cooling=cooling,
        backside=backside,
        grid=grid,
        solver=solver,
        description=description,
        source_path=source_path,
        mechanics=mechanics,
        io=parse_io(top.table("io"), wafer=wafer),
    )


# -- [case], [wafer], [grid] -------------------------------------------------------------------
def _case_info(sec: Section) -> tuple[str, str]:
    sec.allow({"name", "description"})
    name = sec.string("name")
    if not name.strip():
        raise CaseError(sec.path, sec.field("name"), name, "a non-empty name")
    return name, sec.string("description", required=False, default="")


def _wafer(sec: Section | None) -> Wafer:
    if sec is None:
        return Wafer()
    sec.allow({"tiles"}, {"size": "length", "tile_size": "length"})
    size = sec.pair("size", required=False, default=Wafer().size_m, check=">0")
    tiles = tile_grid(sec, Wafer().tiles)
    tile_size = sec.pair("tile_size", required=False, check=">0")
    if tile_size is None:
        tile_size = (size[0] / tiles[0], size[1] / tiles[1])
    for axis, name in ((0, "x"), (1, "y")):
        span = tiles[axis] * tile_size[axis]
        if span > size[axis] * (1 + 1e-12):
            key = (sec.unit_key("tile_size") or sec.unit_key("size") or ("tiles",))[0]
            raise CaseError(sec.path, sec.field(key), sec.data.get(key), detail=(
                f"{tiles[axis]} tiles of {tile_size[axis] * 1e3:g} mm span {span * 1e3:g} mm "
                f"along {name}, more than the wafer's {size[axis] * 1e3:g} mm; expected tiles "
                "that fit the wafer outline"))
    return Wafer(size_m=size, tiles=tiles, tile_size_m=tile_size)


def _grid(sec: Section, wafer: Wafer) -> tuple[GridSpec, int]:
    sec.allow({"nx", "ny", "cells_per_layer"}, {"cell_size": "length"})
    cell = sec.quantity("cell_size", required=False, check=">0")
    if cell is not None:
        if sec.has("nx") or sec.has("ny"):
            key = "nx" if sec.has("nx") else "ny"
            raise CaseError(sec.path, sec.field(key), sec.data[key], detail=(
                "give either cell_size_<length> or nx and ny, not both"))
        nx, ny = (round(length / cell) for length in wafer.size_m)
        if min(nx, ny) < 1:
            key = sec.unit_key("cell_size")[0]
            raise CaseError(sec.path, sec.field(key), sec.data[key],
                            "a cell size no larger than the wafer")
    elif sec.has("nx") or sec.has("ny"):
        nx = sec.integer("nx", minimum=1)
        ny = sec.integer("ny", minimum=1)
    else:
        raise CaseError(sec.path, sec.where, detail=(
            "missing grid resolution: give cell_size_mm (or _um, _m) or both nx and ny"))
    cells = sec.integer("cells_per_layer", required=False, default=1, minimum=1)
    return GridSpec(nx=nx, ny=ny), cells


# -- [materials], [[stack.layers]], [[stack.contacts]] -----------------------------------------
_K = "thermal_conductivity"


def _materials(sec: Section | None) -> dict[str, Material]:
    out: dict[str, Material] = {}
    if sec is None:
        return out
    for name in sec.data:
        if name in MATERIALS:
            raise CaseError(sec.path, sec.field(name), detail=(
                f"{name!r} is a built-in material; expected a custom material with a new name"))
        sub = sec.table(name, required=True)
        sub.allow({"k_exponent", "source", *ELASTIC_FIXED},
                  {"k": _K, "kx": _K, "ky": _K, "kz": _K, "k_ref_T": "temperature",
                   **ELASTIC_UNITS})
        k = sub.quantity("k", required=False, check=">0")
        kxyz = [sub.quantity(b, required=False, check=">0") for b in ("kx", "ky", "kz")]
        given = [b for b, v in zip(("kx", "ky", "kz"), kxyz, strict=True) if v is not None]
        if k is not None and given:
            raise CaseError(sec.path, sub.field(f"{given[0]}_W_per_m_K"), detail=(
                "give either k_W_per_m_K (isotropic) or kx/ky/kz_W_per_m_K, not both"))
        if k is None and len(given) < 3:
            absent = [f"{b}_W_per_m_K" for b in ("kx", "ky", "kz") if b not in given]
            what = ("k_W_per_m_K, or all of kx_W_per_m_K, ky_W_per_m_K, kz_W_per_m_K" if not given
                    else "also " + ", ".join(absent))
            raise CaseError(sec.path, sub.field("k"), detail=f"missing conductivity: give {what}")
        k_tuple = (k, k, k) if k is not None else tuple(kxyz)
        k_ref_T_K = sub.quantity("k_ref_T", required=False, default=300.0)
        if not k_ref_T_K > 0:
            key = sub.unit_key("k_ref_T")[0]
            raise CaseError(sec.path, sub.field(key), sub.data[key], "a temperature above 0 K")
        source = sub.string("source", required=False, default="user-defined in the case file")
        out[name] = Material(
            name=name,
            k_W_per_m_K=k_tuple,
            k_exponent=sub.number("k_exponent", default=0.0),
            k_ref_T_K=k_ref_T_K,
            source=source,
            elastic=parse_elastic(sub, source=source),
        )
    return out


def _layers(stack: Section, custom: dict[str, Material], cells_default: int) -> tuple[Layer, ...]:
    sections = stack.tables("layers", required=True)
    if not sections:
        raise CaseError(stack.path, stack.field("layers"), [], "at least one [[stack.layers]]")
    known = {**MATERIALS, **custom}
    layers: list[Layer] = []
    for sec in sections:
        sec.allow({"name", "material", "cells"}, {"thickness": "length"})
        name = sec.string("name")
        if not name.strip():
            raise CaseError(sec.path, sec.field("name"), name, "a non-empty name")
        if any(layer.name == name for layer in layers):
            raise CaseError(sec.path, sec.field("name"), name, "a layer name not used before")
        mat_name = sec.string("material")
        if mat_name not in known:
            close = difflib.get_close_matches(mat_name, known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise CaseError(sec.path, sec.field("material"), mat_name, detail=(
                f"unknown material{hint} Known: {', '.join(known)} (docs/materials.md), or "
                "define it under [materials.NAME]"))
        thickness = sec.quantity("thickness", check=">0")
        cells = sec.integer("cells", required=False, default=cells_default, minimum=1)
        layers.append(Layer(name, known[mat_name], thickness, cells))
    return tuple(layers)


def _contacts(stack: Section, layers: tuple[Layer, ...]) -> tuple[Contact, ...]:
    names = [layer.name for layer in layers]
    order = ", ".join(names)
    out: list[Contact] = []
    for sec in stack.tables("contacts"):
        sec.allow({"between"}, {"resistance": "contact_resistance"})
        if not sec.has("between"):
            raise sec.missing("between")
        pair = sec.data["between"]
        field = sec.field("between")
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(p, str) for p in pair)):
            raise CaseError(sec.path, field, pair, 'two layer names ["lower", "upper"]')
        for p in pair:
            if p not in names:
                raise CaseError(sec.path, field, pair, f"names of layers in the stack ({order})",
                                detail=f"there is no layer {p!r}")
        lo, hi = names.index(pair[0]), names.index(pair[1])
        if hi != lo + 1:
            raise CaseError(sec.path, field, pair, detail=(
                "expected two adjacent layers, the lower one first; the stack from bottom to "
                f"top is {order}"))
        if any(c.lower == pair[0] for c in out):
            raise CaseError(sec.path, field, pair, "one contact per interface",
                            detail="this interface already has a contact")
        out.append(Contact(pair[0], pair[1], sec.quantity("resistance", check=">=0")))
    return tuple(out)


# -- [cooling], [backside], [solver] -----------------------------------------------------------
def _cooling(sec: Section) -> Cooling:
    sec.allow({"coolant", "direction", "channels"},
              {"inlet_T": "temperature", "flow": "volumetric_flow",
               "h": "heat_transfer_coefficient"})
    coolant = sec.string("coolant", choices=COOLANTS)
    inlet_T_K = sec.quantity("inlet_T")
    lo_C, hi_C = INLET_LIMITS_C[coolant]
    if not (lo_C + 273.15 <= inlet_T_K <= hi_C + 273.15):
        key, suffix = sec.unit_key("inlet_T")
        lo, hi = (from_si(t + 273.15, "temperature", suffix) for t in (lo_C, hi_C))
        unit = "°C" if suffix == "C" else "K"
        raise CaseError(sec.path, sec.field(key), sec.data[key],
                        f"an inlet temperature between {lo:g} and {hi:g} {unit} for {coolant}")
    flow = sec.quantity("flow", check=">0")
    direction = sec.string("direction", required=False, default="+x", choices=FLOW_DIRECTIONS)
    h_hit = sec.unit_key("h")
    if sec.has("channels") and h_hit:
        raise CaseError(sec.path, sec.field(h_hit[0]), sec.data[h_hit[0]], detail=(
            "give either an effective h or a [cooling.channels] table, not both: the channel "
            "model computes h from the flow"))
    if not sec.has("channels") and h_hit is None:
        raise CaseError(sec.path, sec.field("h"), detail=(
            "missing cold-plate model: give h_W_per_m2_K (an effective coefficient per "
            "footprint area) or a [cooling.channels] table"))
    channels = sec.table("channels")
    return Cooling(
        coolant=coolant,
        inlet_T_K=inlet_T_K,
        flow_m3_per_s=flow,
        direction=direction,
        h_W_per_m2_K=None if channels is not None else sec.quantity("h", check=">0"),
        channels=None if channels is None else parse_channels(channels),
    )


def _backside(sec: Section | None) -> Backside:
    if sec is None:
        return Backside(h_W_per_m2_K=0.0)
    sec.allow({"adiabatic"}, {"h": "heat_transfer_coefficient", "ambient_T": "temperature"})
    adiabatic = sec.boolean("adiabatic", default=False) if sec.has("adiabatic") else None
    h_hit, t_hit = sec.unit_key("h"), sec.unit_key("ambient_T")
    if adiabatic:
        if h_hit or t_hit:
            key = (h_hit or t_hit)[0]
            raise CaseError(sec.path, sec.field(key), sec.data[key], detail=(
                "backside.adiabatic = true excludes h and ambient_T; give one or the other"))
        return Backside(h_W_per_m2_K=0.0)
    if h_hit is None:
        raise CaseError(sec.path, sec.where, detail=(
            "give adiabatic = true, or h_W_per_m2_K with ambient_T_C (or ambient_T_K)"))
    h = sec.quantity("h", check=">=0")
    ambient_T_K = sec.quantity("ambient_T")
    if not ambient_T_K > 0:
        raise CaseError(sec.path, sec.field(t_hit[0]), sec.data[t_hit[0]],
                        "a temperature above 0 K")
    return Backside(h_W_per_m2_K=h, ambient_T_K=ambient_T_K)


def _solver(sec: Section | None) -> SolverSettings:
    d = SolverSettings()
    if sec is None:
        return d
    sec.allow({"rtol", "max_iterations", "temperature_dependent_k", "outer_tol_K",
               "max_outer_iterations"})
    return SolverSettings(
        rtol=sec.number("rtol", default=d.rtol, check=">0", upper=1.0),
        max_iterations=sec.integer("max_iterations", required=False, default=d.max_iterations,
                                   minimum=1),
        temperature_dependent_k=sec.boolean("temperature_dependent_k",
                                            default=d.temperature_dependent_k),
        outer_tol_K=sec.number("outer_tol_K", default=d.outer_tol_K, check=">0"),
        max_outer_iterations=sec.integer("max_outer_iterations", required=False,
                                         default=d.max_outer_iterations, minimum=1),
    )
