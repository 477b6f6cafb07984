"""The built-in material library: thermal conductivities with the source of every value.

Names are what a case's ``stack.layers[i].material`` refers to. Values are (kx, ky, kz) in W/(m K)
at ``k_ref_T_K``; only silicon carries a temperature dependence. ``docs/materials.md`` lists the
same table with ranges and discussion. Where a value is an assumption rather than a measurement,
its ``source`` says so.

Example
-------
>>> get_material("silicon").k_W_per_m_K
(148.0, 148.0, 148.0)
>>> "copper" in material_names()
True
"""

from __future__ import annotations

import difflib
from types import MappingProxyType

from .model import Material


def _iso(name: str, k: float, source: str, **kw) -> Material:
    return Material(name, (float(k), float(k), float(k)), source=source, **kw)


def _aniso(name: str, k_in_plane: float, k_through: float, source: str) -> Material:
    k = float(k_in_plane)
    return Material(name, (k, k, float(k_through)), source=source)


_LIBRARY = (
    _iso(
        "silicon",
        148.0,
        "Glassbrenner & Slack, Phys. Rev. 134 (1964) A1058; power-law fit "
        "k = 148 (300 K / T)^1.3 W/(m K) to their data (about 122 W/(m K) at 348 K)",
        k_exponent=1.3,
        k_ref_T_K=300.0,
    ),
    _iso(
        "copper",
        398.0,
        "OFHC copper (C10100/C10200): 390-400 W/(m K) (ASM handbook data; the CCGA "
        "material table gives 400); 398 taken",
    ),
    _iso("aluminium_6061", 167.0, "Al 6061-T6, ASM / MatWeb standard value"),
    _aniso(
        "pcb",
        30.0,
        0.5,
        "effective multilayer PCB (glass/epoxy with copper planes), rule-of-mixtures "
        "estimate: in-plane 20-60, through-plane 0.4-1 W/(m K) depending on copper content "
        "(method: Daniel, Wang & Gotro, J. Electron. Packag. 112 (1990) 11); the mid-range "
        "values 30 / 0.5 are an assumption, model the real stack-up if it is known",
    ),
    _aniso(
        "fr4",
        1.06,
        0.4,
        "FR-4 laminate without copper. Through-plane 0.4 W/(m K): Isola 370HR datasheet. "
        "In-plane 1.06 W/(m K): measured on FR-4 epoxy/glass laminate by Sarvar, Poole & "
        "Witting, J. Electron. Mater. 19 (1990) 1345 (who found 0.343 through-plane)",
    ),
    _iso(
        "indium",
        86.0,
        "indium metal TIM, 86 W/(m K) (Indium Corporation; 81.8-86 in the literature)",
    ),
    _iso(
        "tim_grease",
        4.0,
        "generic thermal grease, 4 W/(m K) in the middle of the 1-8 W/(m K) product range; "
        "an assumption, use the chosen product's datasheet",
    ),
    _iso(
        "tim_pcm",
        8.5,
        "phase-change TIM of the Honeywell PTM7950 class, ~8.5 W/(m K) (vendor figure; "
        "other PCMs 1.8-6.5 W/(m K))",
    ),
    _iso(
        "tim_liquid_metal",
        30.0,
        "gallium-alloy liquid-metal TIM, 30 W/(m K): a representative vendor-class value, "
        "not one product's datasheet",
    ),
    _aniso(
        "graphite_pad",
        400.0,
        20.0,
        "synthetic graphite pad: vendor spread in-plane 400-1500+, through-plane 5-25 W/(m K); "
        "the low end in-plane and the high end through-plane are taken, check the datasheet",
    ),
    _iso(
        "silicone",
        0.2,
        "unfilled silicone elastomer, ~0.2 W/(m K) (typical; as used for metal-patterned "
        "elastomer sockets, Dejanovic et al. 2006)",
    ),
    _aniso(
        "elastomer_connector",
        0.3,
        2.0,
        "ASSUMPTION, no published value: a silicone sheet (0.2 W/(m K)) with metal-filled "
        "conducting columns. The columns carry heat through the sheet (effective kz = 2 W/(m K) "
        "assumed, about 0.5 % copper by area) but are isolated in-plane, so kx = ky stay near "
        "the matrix value (0.3 assumed). Replace with measured values for a real connector",
    ),
    _iso(
        "sac305",
        60.0,
        "SAC305 solder, 58-64 W/(m K) (NIST / Clech 2004 review of lead-free solder "
        "properties); 60 taken",
    ),
    _iso(
        "underfill",
        0.6,
        "capillary underfill, typical vendor range 0.5-0.8 W/(m K); use the product datasheet",
    ),
)

MATERIALS = MappingProxyType({m.name: m for m in _LIBRARY})
"""The library, read-only, by name."""


def material_names() -> tuple[str, ...]:
    """Names of the built-in materials, in library order.

    Example
    -------
    >>> material_names()[:3]
    ('silicon', 'copper', 'aluminium_6061')
    """
    return tuple(MATERIALS)


def get_material(name: str) -> Material:
    """The built-in material called ``name``; KeyError (with a suggestion) if there is none.

    Example
    -------
    >>> get_material("pcb").k_W_per_m_K
    (30.0, 30.0, 0.5)
    """
    try:
        return MATERIALS[name]
    except KeyError:
        close = difflib.get_close_matches(str(name), MATERIALS, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise KeyError(f"no built-in material {name!r}{hint}") from None
