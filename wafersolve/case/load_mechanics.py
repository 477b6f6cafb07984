"""Load the thermo-mechanical parts of a case: elastic keys of ``[materials.NAME]`` and ``[mechanics]``.

Called by :func:`wafersolve.case.load.build_case`; the keys are documented in
``docs/case-reference.md``. As everywhere in case loading, every problem is a
:class:`~wafersolve.errors.CaseError` naming the file, the field, the value and what was expected,
and every value leaves here in SI.

Example
-------
>>> from wafersolve.case.schema import Section
>>> sec = Section({"E_GPa": 117, "nu": 0.34, "cte_ppm_per_K": 17}, path="c.toml",
...               where="materials.cu")
>>> sec.allow(ELASTIC_FIXED, ELASTIC_UNITS)
>>> el = parse_elastic(sec, source="handbook")
>>> round(el.biaxial_modulus_Pa / 1e9, 2), el.alpha_per_K
(177.27, (1.7e-05, 1.7e-05))
"""

from __future__ import annotations

from collections.abc import Mapping

from ..errors import CaseError
from ..units import check_number, from_si, to_si, unit_keys
from .model import (
    INTERFACE_KINDS,
    SUPPORTS,
    Allowables,
    Elastic,
    GridSpec,
    Layer,
    Mechanics,
    MechInterface,
    Wafer,
)
from .schema import Section

#: Plain (dimensionless) elastic keys a ``[materials.NAME]`` table may add.
ELASTIC_FIXED = frozenset({"nu", "nu_xy"})

#: Unit-suffixed elastic keys a ``[materials.NAME]`` table may add: ``{base: dimension}``.
ELASTIC_UNITS = {
    "E": "modulus",
    "Ex": "modulus",
    "Ey": "modulus",
    "G_xy": "modulus",
    "C11": "modulus",
    "C12": "modulus",
    "C44": "modulus",
    "cte": "cte",
    "cte_x": "cte",
    "cte_y": "cte",
    "cte_z": "cte",
}

#: The fields that identify each elastic form (the CTE keys ``cte`` and ``cte_z`` are shared).
_FORMS = {
    "isotropic": ("E", "nu"),
    "orthotropic": ("Ex", "Ey", "nu_xy", "G_xy", "cte_x", "cte_y"),
    "cubic": ("C11", "C12", "C44"),
}
_ELASTIC_CONSTANTS = {
    "isotropic": ("E", "nu"),
    "orthotropic": ("Ex", "Ey", "nu_xy", "G_xy"),
    "cubic": ("C11", "C12", "C44"),
}
_EXPANSION = {"isotropic": ("cte",), "orthotropic": ("cte_x", "cte_y"), "cubic": ("cte",)}

#: Largest |CTE| accepted, per kelvin: rubbers reach ~300 ppm/K; 1e-3 catches unit mix-ups.
CTE_LIMIT_PER_K = 1e-3

_SHEAR_KEYS = ("shear_modulus", "shear_stiffness", "pin_lateral_stiffness", "pin_density")
_INTERFACE_UNITS = {
    "shear_modulus": "modulus",
    "shear_stiffness": "stiffness_per_area",
    "pin_lateral_stiffness": "lateral_stiffness",
    "pin_density": "areal_density",
    "normal_modulus": "modulus",
    "normal_stiffness": "stiffness_per_area",
}


# -- elastic data of a custom material ----------------------------------------------------------
def parse_elastic(sec: Section, *, source: str) -> Elastic | None:
    """The :class:`Elastic` of custom material table ``sec``, or None if it gives no elastic keys.

    ``sec.allow`` must already have accepted :data:`ELASTIC_FIXED` and :data:`ELASTIC_UNITS`.
    One form is given: isotropic (``E_*``, ``nu``, ``cte_*``, optional ``cte_z_*``),
    orthotropic (``Ex_*``, ``Ey_*``, ``nu_xy``, ``G_xy_*``, ``cte_x_*``, ``cte_y_*``, optional
    ``cte_z_*``, which defaults to the mean in-plane CTE) or cubic (``C11_*``, ``C12_*``,
    ``C44_*``, ``cte_*``; a (100) wafer with x along [100]).

    Example
    -------
    >>> sec = Section({"C11_GPa": 165.7, "C12_GPa": 63.9, "C44_GPa": 79.6, "cte_per_K": 2.6e-6},
    ...               path="c.toml", where="materials.si")
    >>> sec.allow(ELASTIC_FIXED, ELASTIC_UNITS)
    >>> round(parse_elastic(sec, source="").Q_Pa[3] / 1e9, 1)
    79.6
    >>> sec = Section({"E_GPa": 1, "nu": 0.7, "cte_ppm_per_K": 9}, path="c.toml",
    ...               where="materials.foam")
    >>> sec.allow(ELASTIC_FIXED, ELASTIC_UNITS)
    >>> parse_elastic(sec, source="")
    Traceback (most recent call last):
    ...
    wafersolve.errors.CaseError: c.toml: materials.foam.nu = 0.7: expected a number > -1 and < 0.5
    """
    present = {f for f in (*ELASTIC_FIXED, *ELASTIC_UNITS) if _present(sec, f)}
    forms = [form for form, fields in _FORMS.items() if present & set(fields)]
    if not forms:
        stray = [f for f in ("cte", "cte_z") if f in present]
        if stray:
            key = _key(sec, stray[0])
            raise CaseError(sec.path, sec.field(key), sec.data[key], detail=(
                "thermal expansion without elastic constants: give also E_* and nu "
                "(isotropic), or use the orthotropic (Ex_*, Ey_*, nu_xy, G_xy_*, cte_x_*, "
                "cte_y_*) or cubic (C11_*, C12_*, C44_*, cte_*) form"))
        return None
    if len(forms) > 1:
        first, second = forms[:2]
        key = _key(sec, next(f for f in _FORMS[second] if f in present))
        raise CaseError(sec.path, sec.field(key), sec.data[key], detail=(
            f"mixes {first} ({_names(sec, _FORMS[first], present)}) and {second} "
            f"({_names(sec, _FORMS[second], present)}) elastic keys; give one form"))
    form = forms[0]
    missing = [f for f in _ELASTIC_CONSTANTS[form] if f not in present]
    if missing:
        raise CaseError(sec.path, sec.field(missing[0]), detail=(
            f"missing elastic constant: the {form} form needs "
            f"{_spelled(_ELASTIC_CONSTANTS[form])}; give also {_spelled(missing)}"))
    if form == "orthotropic" and "cte" in present:
        key = _key(sec, "cte")
        raise CaseError(sec.path, sec.field(key), sec.data[key], detail=(
            "the orthotropic form takes cte_x_* and cte_y_* (and optionally cte_z_*), not cte_*"))
    if form == "cubic" and "cte_z" in present:
        key = _key(sec, "cte_z")
        raise CaseError(sec.path, sec.field(key), sec.data[key], detail=(
            "a cubic crystal expands isotropically: give cte_* only"))
    missing = [f for f in _EXPANSION[form] if f not in present]
    if missing:
        raise CaseError(sec.path, sec.field(missing[0]), detail=(
            f"missing thermal expansion: the {form} form needs {_spelled(_EXPANSION[form])}, "
            f"e.g. {missing[0]}_ppm_per_K = 17; give also {_spelled(missing)}"))

    cte_z = _cte(sec, "cte_z") if "cte_z" in present else None
    if form == "isotropic":
        E = sec.quantity("E", check=">0")
        nu = _poisson(sec, "nu")
        return Elastic.isotropic(E, nu, _cte(sec, "cte"), cte_z, source=source)
    if form == "orthotropic":
        Ex = sec.quantity("Ex", check=">0")
        Ey = sec.quantity("Ey", check=">0")
        nu_xy = _poisson(sec, "nu_xy")
        G_xy = sec.quantity("G_xy", check=">0")
        margin = 1.0 - nu_xy * nu_xy * Ey / Ex
        if not margin > 0:
            raise CaseError(sec.path, sec.field("nu_xy"), sec.data["nu_xy"],
                            "1 - nu_xy^2 Ey/Ex > 0 (a positive-definite stiffness)",
                            detail=f"with Ey/Ex = {Ey / Ex:.4g} it is {margin:.4g}")
        ax, ay = _cte(sec, "cte_x"), _cte(sec, "cte_y")
        az = 0.5 * (ax + ay) if cte_z is None else cte_z
        return Elastic.orthotropic(Ex, Ey, nu_xy, G_xy, ax, ay, az, source=source)
    C11 = sec.quantity("C11", check=">0")
    C12 = sec.quantity("C12")
    C44 = sec.quantity("C44", check=">0")
    if not (C11 > abs(C12) and C11 + 2.0 * C12 > 0):
        k11, k12 = _key(sec, "C11"), _key(sec, "C12")
        raise CaseError(sec.path, sec.field(k12), sec.data[k12],
                        "C11 > |C12| and C11 + 2 C12 > 0 (a positive-definite cubic stiffness)",
                        detail=f"{k11} = {sec.data[k11]!r} and {k12} = {sec.data[k12]!r} are not")
    return Elastic.cubic(C11, C12, C44, _cte(sec, "cte"), source=source)


def _present(sec: Section, name: str) -> bool:
    return sec.has(name) if name in ELASTIC_FIXED else sec.unit_key(name) is not None


def _key(sec: Section, name: str) -> str:
    """The key spelling field ``name`` in ``sec`` (which must be present)."""
    return name if name in ELASTIC_FIXED else sec.unit_key(name)[0]


def _names(sec: Section, fields, present) -> str:
    return ", ".join(_key(sec, f) for f in fields if f in present)


def _spelled(fields) -> str:
    names = [f if f in ELASTIC_FIXED else f"{f}_*" for f in fields]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _poisson(sec: Section, key: str) -> float:
    value = check_number(sec.data[key], path=sec.path, field=sec.field(key))
    if not -1.0 < value < 0.5:
        raise CaseError(sec.path, sec.field(key), sec.data[key], "a number > -1 and < 0.5")
    return value


def _cte(sec: Section, base: str) -> float:
    alpha = sec.quantity(base)
    if not abs(alpha) <= CTE_LIMIT_PER_K:
        key, suffix = sec.unit_key(base)
        lim = from_si(CTE_LIMIT_PER_K, "cte", suffix)
        raise CaseError(sec.path, sec.field(key), sec.data[key], detail=(
            f"expected a thermal expansion between -{lim:g} and {lim:g} {suffix.replace('_', ' ')}"
            " (check the unit suffix: cte_ppm_per_K = 17 is 17e-6 per K)"))
    return alpha


# -- [mechanics] --------------------------------------------------------------------------------
def parse_mechanics(sec: Section | None, *, layers: tuple[Layer, ...], wafer: Wafer,
                    grid: GridSpec) -> Mechanics | None:
    """The :class:`Mechanics` of a case from its ``[mechanics]`` table (None if absent).

    ``layers`` (bottom to top, materials resolved), ``wafer`` and ``grid`` come from the rest of
    the case: interfaces refer to layers by name, shear and normal moduli are divided by the
    interface layer's thickness, and ``cell_size_*`` is checked against the thermal grid. Every
    layer not listed under ``[[mechanics.interfaces]]`` is a plate and needs elastic data.

    Example
    -------
    >>> from wafersolve.case.materials import get_material
    >>> stack = (Layer("wafer", get_material("silicon"), 775e-6),
    ...          Layer("tim", get_material("tim_pcm"), 30e-6),
    ...          Layer("lid", get_material("copper"), 3e-3))
    >>> sec = Section({"interfaces": [{"layer": "tim", "kind": "slip",
    ...                                "normal_modulus_MPa": 100}]},
    ...               path="c.toml", where="mechanics")
    >>> mech = parse_mechanics(sec, layers=stack, wafer=Wafer(), grid=GridSpec(64, 64))
    >>> mech.stress_free_T_K, mech.interface("tim").shear_stiffness_Pa_per_m
    (298.15, 0.0)
    >>> f"{mech.interface('tim').normal_stiffness_Pa_per_m:.4g} N/m^3"
    '3.333e+12 N/m^3'
    """
    if sec is None:
        return None
    sec.allow({"support", "support_layer", "interfaces", "allowables"},
              {"stress_free_T": "temperature", "cell_size": "length", "preload": "pressure",
               "outline_diameter": "length"})
    stress_free_T_K = sec.quantity("stress_free_T", required=False, default=298.15)
    if not stress_free_T_K > 0:
        key = sec.unit_key("stress_free_T")[0]
        raise CaseError(sec.path, sec.field(key), sec.data[key], "a temperature above 0 K")
    cell_size_m = _cell_size(sec, wafer, grid)
    interfaces = _interfaces(sec, layers)
    springs = {itf.layer for itf in interfaces}
    plates = tuple(layer.name for layer in layers if layer.name not in springs)
    _check_plate_materials(sec.path, layers, springs)
    support, support_layer = _support(sec, plates, springs)
    preload_Pa = sec.quantity("preload", required=False, default=0.0, check=">=0")
    allowables = _allowables(sec.table("allowables"), plates, springs)
    outline = _outline(sec, wafer, support)
    return Mechanics(
        stress_free_T_K=stress_free_T_K,
        interfaces=interfaces,
        cell_size_m=cell_size_m,
        allowables=allowables,
        support=support,
        support_layer=support_layer,
        preload_Pa=preload_Pa,
        outline_diameter_m=outline,
    )


def _outline(sec: Section, wafer: Wafer, support: str) -> float | None:
    diameter = sec.quantity("outline_diameter", required=False, check=">0")
    if diameter is None:
        return None
    key, suffix = sec.unit_key("outline_diameter")
    smallest = min(wafer.size_m)
    if diameter < 0.5 * smallest:
        raise CaseError(sec.path, sec.field(key), sec.data[key], (
            f"a diameter >= half the wafer's smaller side, "
            f"{from_si(0.5 * smallest, 'length', suffix):g} {suffix}"), detail=(
            "the clipped outline must keep the centre of the footprint and most of its area"))
    if support == "simply_supported":
        raise CaseError(sec.path, sec.field(key), sec.data[key], detail=(
            "a clipped outline cannot be combined with support = 'simply_supported' (the "
            "support holds the edges of the full rectangle)"))
    return diameter


def _cell_size(sec: Section, wafer: Wafer, grid: GridSpec) -> float | None:
    cell = sec.quantity("cell_size", required=False, check=">0")
    if cell is None:
        return None
    key, suffix = sec.unit_key("cell_size")
    thermal = max(wafer.size_m[0] / grid.nx, wafer.size_m[1] / grid.ny)
    largest = min(wafer.size_m)
    if cell < thermal * (1.0 - 1e-9):
        raise CaseError(sec.path, sec.field(key), sec.data[key], (
            f"a cell size >= the thermal cell size, {from_si(thermal, 'length', suffix):g} "
            f"{suffix} from [grid]"), detail=(
            "mechanics cells are made by merging whole thermal cells; refine [grid] for a finer "
            "mechanics mesh"))
    if cell > largest * (1.0 + 1e-9):
        raise CaseError(sec.path, sec.field(key), sec.data[key], (
            f"a cell size <= the wafer size, {from_si(largest, 'length', suffix):g} {suffix}"))
    return cell


def _interfaces(sec: Section, layers: tuple[Layer, ...]) -> tuple[MechInterface, ...]:
    names = [layer.name for layer in layers]
    seen: dict[str, tuple[int, str]] = {}  # layer -> (stack index, field path of its entry)
    out: list[MechInterface] = []
    for sub in sec.tables("interfaces"):
        sub.allow({"layer", "kind"}, _INTERFACE_UNITS)
        name = sub.string("layer")
        field = sub.field("layer")
        if name not in names:
            raise CaseError(sub.path, field, name,
                            "the name of a layer in [[stack.layers]]: " + ", ".join(names))
        if name in seen:
            raise CaseError(sub.path, field, name, "each layer at most once in "
                            "[[mechanics.interfaces]]", detail=f"{seen[name][1]} already lists it")
        idx = names.index(name)
        if idx in (0, len(names) - 1):
            end = "bottom" if idx == 0 else "top"
            raise CaseError(sub.path, field, name, "a layer with a plate below and above it",
                            detail=(f"{name!r} is the {end} layer of the stack; an interface "
                                    "joins the plates on either side of it"))
        for other, (j, where) in seen.items():
            if abs(j - idx) == 1:
                raise CaseError(sub.path, field, name, detail=(
                    f"interface layers {other!r} ({where}) and {name!r} are adjacent; expected "
                    "a plate layer between two interfaces"))
        kind = sub.string("kind", choices=INTERFACE_KINDS)
        thickness = layers[idx].thickness_m
        shear = _shear_stiffness(sub, kind, name, thickness)
        normal = _normal_stiffness(sub, thickness)
        seen[name] = (idx, sub.where)
        out.append(MechInterface(layer=name, kind=kind, shear_stiffness_Pa_per_m=shear,
                                 normal_stiffness_Pa_per_m=normal))
    return tuple(out)


def _shear_stiffness(sub: Section, kind: str, name: str, thickness_m: float) -> float:
    hits = {base: sub.unit_key(base) for base in _SHEAR_KEYS}
    given = [base for base in _SHEAR_KEYS if hits[base] is not None]
    if kind == "slip":
        if given:
            key = hits[given[0]][0]
            raise CaseError(sub.path, sub.field(key), sub.data[key], detail=(
                "a slip interface carries no shear (k_s = 0); remove this key or use "
                "kind = 'compliant'"))
        return 0.0
    ways = [base for base in ("shear_modulus", "shear_stiffness") if base in given]
    if "pin_lateral_stiffness" in given or "pin_density" in given:
        ways.append("pin")
    options = ("shear_modulus_* (k_s = G / thickness), shear_stiffness_* (k_s itself), or "
               "pin_lateral_stiffness_* with pin_density_* (k_s = their product)")
    if not ways:
        raise CaseError(sub.path, sub.where, detail=(
            f"missing shear stiffness of compliant interface {name!r}: give {options}"))
    if len(ways) > 1:
        keys = [hits[b][0] for b in given]
        raise CaseError(sub.path, sub.field(keys[-1]), sub.data[keys[-1]], detail=(
            f"give exactly one of {options}; this interface gives {' and '.join(keys)}"))
    if ways == ["shear_modulus"]:
        return sub.quantity("shear_modulus", check=">0") / thickness_m
    if ways == ["shear_stiffness"]:
        return sub.quantity("shear_stiffness", check=">0")
    for have, need in (("pin_lateral_stiffness", "pin_density"),
                       ("pin_density", "pin_lateral_stiffness")):
        if hits[need] is None:
            choices = ", ".join(unit_keys(need, _INTERFACE_UNITS[need]))
            raise CaseError(sub.path, sub.field(need), detail=(
                f"missing required key: {hits[have][0]} needs {need}_* too (k_s = lateral "
                f"stiffness per pin x pins per area); give one of {choices}"))
    return (sub.quantity("pin_lateral_stiffness", check=">0")
            * sub.quantity("pin_density", check=">0"))


def _normal_stiffness(sub: Section, thickness_m: float) -> float:
    modulus, stiffness = sub.unit_key("normal_modulus"), sub.unit_key("normal_stiffness")
    if modulus and stiffness:
        raise CaseError(sub.path, sub.field(stiffness[0]), sub.data[stiffness[0]], detail=(
            f"give either normal_modulus_* or normal_stiffness_*, not both ({modulus[0]} is "
            "given too)"))
    if modulus:
        return sub.quantity("normal_modulus", check=">=0") / thickness_m
    if stiffness:
        return sub.quantity("normal_stiffness", check=">=0")
    raise CaseError(sub.path, sub.where, detail=(
        "missing normal stiffness: give normal_modulus_* (k_n = E_n / thickness) or "
        "normal_stiffness_*; 0 means the plates are not held together out of plane"))


def _check_plate_materials(path, layers: tuple[Layer, ...], springs: set[str]) -> None:
    for i, layer in enumerate(layers):
        if layer.name in springs or layer.material.elastic is not None:
            continue
        mat = layer.material.name
        raise CaseError(path, f"stack.layers[{i}].material", mat, detail=(
            f"layer {layer.name!r} is a plate for [mechanics] and needs elastic properties, but "
            f"material {mat!r} has none; list layer {layer.name!r} under "
            "[[mechanics.interfaces]] or use a material with E, nu and cte"))


def _support(sec: Section, plates: tuple[str, ...], springs: set[str]) -> tuple[str, str | None]:
    support = sec.string("support", required=False, default="free", choices=SUPPORTS)
    if not sec.has("support_layer"):
        if support == "simply_supported":
            raise CaseError(sec.path, sec.field("support_layer"), detail=(
                "missing required key: support = 'simply_supported' needs the plate layer whose "
                "laminate is held at w = 0 along its edges"))
        return support, None
    name = sec.string("support_layer")
    if support != "simply_supported":
        raise CaseError(sec.path, sec.field("support_layer"), name, detail=(
            f"support_layer applies only to support = 'simply_supported' (support is "
            f"{support!r}); remove it or set support = 'simply_supported'"))
    _check_plate(sec.path, sec.field("support_layer"), name, plates, springs)
    return support, name


def _check_plate(path, field: str, name: str, plates, springs) -> None:
    """``name`` must be a plate layer (a stack layer not listed as an interface)."""
    if name in springs:
        raise CaseError(path, field, name, "a plate layer: " + ", ".join(plates),
                        detail=f"{name!r} is listed under [[mechanics.interfaces]]")
    if name not in plates:
        raise CaseError(path, field, name, "the name of a plate layer: " + ", ".join(plates))


def _allowables(sec: Section | None, plates: tuple[str, ...], springs: set[str]) -> Allowables:
    if sec is None:
        return Allowables()
    sec.allow({"shear_strain"}, {"stress": "modulus", "gap_change": "length"})
    stress: list[tuple[str, float]] = []
    hit = sec.unit_key("stress")
    if hit is not None:
        key, suffix = hit
        table = sec.data[key]
        if not isinstance(table, Mapping) or not table:
            raise CaseError(sec.path, sec.field(key), table, (
                f"a table of plate layer names and stresses, e.g. {key} = "
                f"{{ {plates[0]} = 100 }}"))
        for name, value in table.items():
            field = f"{sec.field(key)}.{name}"
            if name not in plates:
                why = ("it is listed under [[mechanics.interfaces]]" if name in springs
                       else "there is no such layer")
                raise CaseError(sec.path, field, value, "the name of a plate layer as the key: "
                                + ", ".join(plates), detail=f"{name!r}: {why}")
            number = check_number(value, path=sec.path, field=field)
            if not number > 0:
                raise CaseError(sec.path, field, value, "a number > 0")
            stress.append((name, float(to_si(number, "modulus", suffix))))
    shear_strain = sec.number("shear_strain", check=">0")
    gap = sec.pair("gap_change", required=False)
    if gap is not None and not gap[0] < gap[1]:
        key = sec.unit_key("gap_change")[0]
        raise CaseError(sec.path, sec.field(key), sec.data[key],
                        "a pair [min, max] with min < max (negative = closing)")
    return Allowables(stress_Pa=tuple(stress), shear_strain=shear_strain, gap_change_m=gap)
