"""The built-in material library: conductivities and elastic data with the source of every value.

Names are what a case's ``stack.layers[i].material`` refers to. Values are (kx, ky, kz) in W/(m K)
at ``k_ref_T_K``; only silicon carries a temperature dependence. Every solid a mechanics plate
can be made of also carries an :class:`~wafersolve.case.model.Elastic` (plane-stress stiffness
and CTE, with its own ``source``); materials that are only ever modelled as interfaces (TIMs,
silicone, the elastomer connector, graphite pads) have ``elastic = None``. ``docs/materials.md``
lists the same tables with ranges and discussion. Where a value is an assumption rather than a
measurement, its ``source`` says so.

Example
-------
>>> get_material("silicon").k_W_per_m_K
(148.0, 148.0, 148.0)
>>> "copper" in material_names()
True
>>> round(get_material("silicon").elastic.biaxial_modulus_Pa / 1e9, 1)
180.3
>>> get_material("tim_pcm").elastic is None
True
"""

from __future__ import annotations

import difflib
from types import MappingProxyType

from .model import Elastic, Material


def _iso(name: str, k: float, source: str, **kw) -> Material:
    return Material(name, (float(k), float(k), float(k)), source=source, **kw)


def _aniso(name: str, k_in_plane: float, k_through: float, source: str, **kw) -> Material:
    k = float(k_in_plane)
    return Material(name, (k, k, float(k_through)), source=source, **kw)


def _elastic(E_GPa: float, nu: float, cte_ppm_per_K: float, source: str, *,
             cte_z_ppm_per_K: float | None = None) -> Elastic:
    """An in-plane isotropic Elastic from engineering units (GPa, ppm/K)."""
    alpha_z = None if cte_z_ppm_per_K is None else cte_z_ppm_per_K / 1e6
    return Elastic.isotropic(E_GPa * 1e9, nu, cte_ppm_per_K / 1e6, alpha_z, source=source)


_LIBRARY = (
    _iso(
        "silicon",
        148.0,
        "Glassbrenner & Slack, Phys. Rev. 134 (1964) A1058; power-law fit "
        "k = 148 (300 K / T)^1.3 W/(m K) to their data (about 122 W/(m K) at 348 K)",
        k_exponent=1.3,
        k_ref_T_K=300.0,
        elastic=Elastic.cubic(
            165.7e9,
            63.9e9,
            79.6e9,
            2.6e-6,
            source="cubic stiffness C11/C12/C44 = 165.7/63.9/79.6 GPa: Hopcroft, Nix & Kenny, "
            "J. Microelectromech. Syst. 19 (2010) 229; (100) wafer with x along [100], plane "
            "stress: Q11 = 141.1, Q12 = 39.3, Q66 = 79.6 GPa, biaxial modulus 180.3 GPa. "
            "CTE 2.6 ppm/K constant: Okada & Tokumaru, J. Appl. Phys. 56 (1984) 314 give 2.57 at "
            "300 K and 2.93 at 350 K (mean 2.75 over 25-75 °C), so a constant 2.6 slightly "
            "underestimates the expansion of a hot wafer",
        ),
    ),
    _iso(
        "copper",
        398.0,
        "OFHC copper (C10100/C10200): 390-400 W/(m K) (ASM handbook data; the CCGA "
        "material table gives 400); 398 taken",
        elastic=_elastic(
            117.0, 0.34, 17.0,
            "OFHC copper, annealed: E 115-120 GPa, nu 0.34, CTE 16.5-17.0 ppm/K (ASM handbook "
            "data; the CCGA material table gives 115 GPa, 17 ppm/K); 117 GPa / 17 ppm/K taken. "
            "Linear elastic only: annealed copper yields at a few tens of MPa",
        ),
    ),
    _iso(
        "aluminium_6061",
        167.0,
        "Al 6061-T6, ASM / MatWeb standard value",
        elastic=_elastic(68.9, 0.33, 23.6, "Al 6061-T6: E 68.9 GPa, nu 0.33, CTE 23.6 ppm/K "
                         "(20-100 °C), ASM / MatWeb standard values"),
    ),
    _aniso(
        "pcb",
        30.0,
        0.5,
        "effective multilayer PCB (glass/epoxy with copper planes), rule-of-mixtures "
        "estimate: in-plane 20-60, through-plane 0.4-1 W/(m K) depending on copper content "
        "(method: Daniel, Wang & Gotro, J. Electron. Packag. 112 (1990) 11); the mid-range "
        "values 30 / 0.5 are an assumption, model the real stack-up if it is known",
        elastic=_elastic(
            25.0, 0.18, 16.0,
            "effective multilayer PCB in plane, rule-of-mixtures range E 20-30 GPa, nu "
            "0.15-0.2, CTE 14-17 ppm/K (method: Daniel, Wang & Gotro 1990); 25 GPa / 0.18 / "
            "16 ppm/K are typical mid-range values, an ASSUMPTION: use the stack-up (CLT over "
            "copper and dielectric) when it is known. Through-thickness CTE 45 ppm/K: FR-4 "
            "class laminate below Tg (Isola 370HR datasheet), assumed for the whole board",
            cte_z_ppm_per_K=45.0,
        ),
    ),
    _aniso(
        "fr4",
        1.06,
        0.4,
        "FR-4 laminate without copper. Through-plane 0.4 W/(m K): Isola 370HR datasheet. "
        "In-plane 1.06 W/(m K): measured on FR-4 epoxy/glass laminate by Sarvar, Poole & "
        "Witting, J. Electron. Mater. 19 (1990) 1345 (who found 0.343 through-plane)",
        elastic=_elastic(
            22.0, 0.15, 14.0,
            "FR-4 (woven E-glass/epoxy) laminate. CTE x/y 13-14 ppm/K and z 45 ppm/K below Tg "
            "(230 above): Isola 370HR datasheet. E 22 GPa and nu 0.15 are typical values for "
            "woven E-glass/epoxy (20-25 GPa, 0.12-0.18), not on that datasheet",
            cte_z_ppm_per_K=45.0,
        ),
    ),
    _iso(
        "indium",
        86.0,
        "indium metal TIM, 86 W/(m K) (Indium Corporation; 81.8-86 in the literature)",
        elastic=_elastic(
            11.0, 0.45, 32.1,
            "indium: E 10.6-12.7 GPa (11 taken), nu 0.45, CTE 32.1 ppm/K (typical handbook values). "
            "Indium yields at ~1-2 MPa and creeps at room temperature (T/Tm = 0.69), so an "
            "elastic plate overstates what it transmits; a slip interface is usually the "
            "better model of an indium TIM",
        ),
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
        elastic=_elastic(
            51.0, 0.38, 22.0,
            "SAC305 at 25 °C: E ~51 GPa falling with temperature, nu 0.36-0.40, CTE 21-23 "
            "ppm/K (NIST / Clech 2004 review of lead-free solder properties). Linear elastic "
            "only: solder creeps and yields in service",
        ),
    ),
    _iso(
        "underfill",
        0.6,
        "capillary underfill, typical vendor range 0.5-0.8 W/(m K); use the product datasheet",
        elastic=_elastic(
            8.0, 0.33, 30.0,
            "capillary underfill below Tg: typical vendor ranges E 6-12 GPa, nu 0.30-0.35, CTE "
            "25-35 ppm/K; 8 GPa / 0.33 / 30 ppm/K taken, an assumption: use the product "
            "datasheet",
        ),
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
