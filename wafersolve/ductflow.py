"""Single-phase duct-flow correlations: friction factor and Nusselt number in any regime, and the
efficiency of a straight fin. Used by :mod:`wafersolve.coldplate`; every function is plain
numbers in, numbers out.

Darcy friction factor f throughout; D = hydraulic diameter 4A/P; a = aspect ratio, short over
long side; Gz = Re Pr D / L.

* Fully developed laminar: circular tube Nu = 3.66 (uniform wall temperature, "T") and
  48/11 = 4.36 (uniform flux, "H"), f Re = 64. Rectangular ducts from the fits of Shah & London,
  *Laminar Flow Forced Convection in Ducts* (Academic Press, 1978), as reproduced in Incropera
  et al., *Fundamentals of Heat and Mass Transfer* (6th ed., table 8.1 lists the same values):
  f Re = 96 (1 - 1.3553a + 1.9467a^2 - 1.7012a^3 + 0.9564a^4 - 0.2537a^5),
  Nu_H1 = 8.235 (1 - 2.0421a + 3.0853a^2 - 2.4765a^3 + 1.0578a^4 - 0.1861a^5),
  Nu_T = 7.541 (1 - 2.610a + 4.970a^2 - 5.119a^3 + 2.702a^4 - 0.548a^5).
* Laminar thermal entry, mean Nu over the length: Hausen (1943),
  Nu = 3.66 + 0.0668 Gz / (1 + 0.04 Gz^(2/3)) (Incropera eq. 8.57). For other ducts and for the
  flux boundary the same relative gain Nu_Hausen(Gz) / 3.66 multiplies the duct's fully
  developed value: an approximation, exact for Gz -> 0 and for the circular T case.
* Turbulent: Gnielinski (1976) with the Petukhov friction factor f = (0.790 ln Re - 1.64)^-2,
  Nu = (f/8)(Re - 1000) Pr / (1 + 12.7 (f/8)^0.5 (Pr^(2/3) - 1)) [1 + (D/L)^(2/3)], on D for
  rectangular ducts.
* Transition, 2300 < Re < 1e4: linear in gamma = (Re - 2300) / (1e4 - 2300) between the laminar
  value at Re = 2300 and the turbulent value at Re = 1e4 (Gnielinski, Int. J. Heat Mass Transfer
  63 (2013) 134; VDI Heat Atlas G1), for Nu and, by the same rule (our choice), for f.
* Fin: straight fin of thickness t and height H with an adiabatic tip,
  eta = tanh(mH) / (mH), m = sqrt(2 h / (k t)) (Incropera table 3.4).

Example
-------
>>> laminar_fRe(None), round(laminar_fRe(1.0), 2), laminar_fRe(0.0)
(64.0, 56.92, 96.0)
>>> round(laminar_nusselt(1.0, "H"), 2), laminar_nusselt(0.0, "H")
(3.61, 8.235)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .errors import WafersolveError

RE_LAMINAR_MAX = 2300.0  # laminar below, transition above (Gnielinski 2013)
RE_TURBULENT_MIN = 1.0e4  # fully turbulent above
NU_CIRCULAR_T = 3.66  # uniform wall temperature
NU_CIRCULAR_H = 48.0 / 11.0  # uniform heat flux, 4.364
BOUNDARIES = ("H", "T")  # thermal boundary: uniform flux (H1 for ducts), uniform wall temperature


def hydraulic_diameter_m(width_m: float, height_m: float) -> float:
    """Hydraulic diameter 4A/P = 2wh/(w + h) of a rectangular channel.

    Example
    -------
    >>> round(hydraulic_diameter_m(300e-6, 4e-3) * 1e6, 1)
    558.1
    """
    if not (width_m > 0 and height_m > 0):
        raise WafersolveError(f"channel width and height must be > 0, got {width_m}, {height_m}")
    return 2.0 * width_m * height_m / (width_m + height_m)


def aspect_ratio(width_m: float, height_m: float) -> float:
    """Short over long side of a rectangular channel, in (0, 1].

    Example
    -------
    >>> aspect_ratio(300e-6, 4e-3)
    0.075
    """
    hydraulic_diameter_m(width_m, height_m)
    return min(width_m, height_m) / max(width_m, height_m)


def reynolds_number(velocity_m_per_s: float, diameter_m: float, rho_kg_per_m3: float,
                    mu_Pa_s: float) -> float:
    """Re = rho u D / mu.

    Example
    -------
    >>> round(reynolds_number(1.0, 1e-3, 997.0, 0.89e-3), 1)
    1120.2
    """
    return rho_kg_per_m3 * velocity_m_per_s * diameter_m / mu_Pa_s


def _check_aspect(aspect):
    if aspect is not None and not 0.0 <= aspect <= 1.0:
        raise WafersolveError(f"aspect ratio {aspect} is outside [0, 1] (short over long side)")


def _poly(a: float, c: tuple[float, ...]) -> float:
    return sum(ci * a**i for i, ci in enumerate(c))


def laminar_fRe(aspect: float | None = None) -> float:
    """Darcy f Re of fully developed laminar flow: circular (None) or rectangular (aspect).

    Example
    -------
    >>> round(laminar_fRe(0.5), 2)       # Shah & London's table: 62.19
    62.23
    """
    _check_aspect(aspect)
    if aspect is None:
        return 64.0
    return 96.0 * _poly(aspect, (1.0, -1.3553, 1.9467, -1.7012, 0.9564, -0.2537))


def laminar_nusselt(aspect: float | None = None, boundary: str = "H") -> float:
    """Fully developed laminar Nu: circular (None) or rectangular (aspect), flux H or wall T.

    Example
    -------
    >>> laminar_nusselt(None, "T"), round(laminar_nusselt(None, "H"), 2)
    (3.66, 4.36)
    >>> round(laminar_nusselt(1.0, "T"), 2), laminar_nusselt(0.0, "T")
    (2.98, 7.541)
    """
    _check_aspect(aspect)
    if boundary not in BOUNDARIES:
        raise WafersolveError(f"thermal boundary {boundary!r}: expected one of {BOUNDARIES}")
    if aspect is None:
        return NU_CIRCULAR_H if boundary == "H" else NU_CIRCULAR_T
    if boundary == "H":
        return 8.235 * _poly(aspect, (1.0, -2.0421, 3.0853, -2.4765, 1.0578, -0.1861))
    return 7.541 * _poly(aspect, (1.0, -2.610, 4.970, -5.119, 2.702, -0.548))


def hausen_nusselt(graetz: float) -> float:
    """Hausen's mean Nu of a circular tube in the laminar thermal entry, uniform wall T.

    ``graetz`` = Re Pr D / L. It tends to 3.66 for a long tube.

    Example
    -------
    >>> hausen_nusselt(0.0), round(hausen_nusselt(100.0), 3)
    (3.66, 7.248)
    """
    if not graetz >= 0:
        raise WafersolveError(f"Graetz number {graetz} must be >= 0")
    return NU_CIRCULAR_T + 0.0668 * graetz / (1.0 + 0.04 * graetz ** (2.0 / 3.0))


def laminar_mean_nusselt(graetz: float, aspect: float | None = None,
                         boundary: str = "H") -> float:
    """Mean laminar Nu over a thermally developing length: the fully developed value of the duct
    times Hausen's relative entry gain ``hausen_nusselt(Gz) / 3.66``.

    Example
    -------
    >>> round(laminar_mean_nusselt(0.0, 1.0), 3), round(laminar_mean_nusselt(100.0, None, "T"), 3)
    (3.61, 7.248)
    """
    return laminar_nusselt(aspect, boundary) * hausen_nusselt(graetz) / NU_CIRCULAR_T


def petukhov_friction(Re: float) -> float:
    """Darcy friction factor of a smooth tube, f = (0.790 ln Re - 1.64)^-2 (3e3 < Re < 5e6).

    Example
    -------
    >>> round(petukhov_friction(1e4), 5)
    0.03148
    """
    if not Re > 0:
        raise WafersolveError(f"Reynolds number {Re} must be > 0")
    return (0.790 * math.log(Re) - 1.64) ** -2


def gnielinski_nusselt(Re: float, Pr: float, D_over_L: float = 0.0) -> float:
    """Gnielinski's turbulent mean Nu with the Petukhov f and the entry factor 1 + (D/L)^(2/3).

    Valid for about 1e4 < Re < 5e6 and 0.5 < Pr < 2000 (see :func:`duct_flow` for transition).

    Example
    -------
    >>> round(gnielinski_nusselt(1e4, 7.0), 2)
    79.49
    """
    if not (Re > 0 and Pr > 0 and D_over_L >= 0):
        raise WafersolveError(f"Gnielinski needs Re > 0, Pr > 0, D/L >= 0; got {Re}, {Pr}, "
                              f"{D_over_L}")
    f8 = petukhov_friction(Re) / 8.0
    nu = f8 * (Re - 1000.0) * Pr / (1.0 + 12.7 * math.sqrt(f8) * (Pr ** (2.0 / 3.0) - 1.0))
    return nu * (1.0 + D_over_L ** (2.0 / 3.0))


@dataclass(frozen=True)
class DuctFlow:
    """Regime, Darcy friction factor and mean Nu of the flow in one duct."""

    regime: str  # "laminar", "transition" or "turbulent"
    Re: float
    Pr: float
    darcy_f: float
    Nu: float
    turbulent_weight: float  # gamma: 0 laminar, 1 turbulent


def duct_flow(Re: float, Pr: float, D_over_L: float, aspect: float | None = None,
              boundary: str = "H") -> DuctFlow:
    """Friction factor and mean Nu in any regime, with the transition interpolated explicitly.

    Example
    -------
    >>> flow = duct_flow(1000.0, 7.0, 1e-3, aspect=1.0)
    >>> flow.regime, round(flow.darcy_f * 1000.0, 2), round(flow.Nu, 3)
    ('laminar', 56.92, 4.013)
    >>> duct_flow(6150.0, 7.0, 0.0).turbulent_weight
    0.5
    """
    if not (Re > 0 and Pr > 0 and D_over_L >= 0):
        raise WafersolveError(f"duct flow needs Re > 0, Pr > 0, D/L >= 0; got {Re}, {Pr}, "
                              f"{D_over_L}")

    def laminar(re):
        return (laminar_fRe(aspect) / re,
                laminar_mean_nusselt(re * Pr * D_over_L, aspect, boundary))

    def turbulent(re):
        return petukhov_friction(re), gnielinski_nusselt(re, Pr, D_over_L)

    if Re <= RE_LAMINAR_MAX:
        f, nu = laminar(Re)
        return DuctFlow("laminar", Re, Pr, f, nu, 0.0)
    if Re >= RE_TURBULENT_MIN:
        f, nu = turbulent(Re)
        return DuctFlow("turbulent", Re, Pr, f, nu, 1.0)
    g = (Re - RE_LAMINAR_MAX) / (RE_TURBULENT_MIN - RE_LAMINAR_MAX)
    (f0, nu0), (f1, nu1) = laminar(RE_LAMINAR_MAX), turbulent(RE_TURBULENT_MIN)
    return DuctFlow("transition", Re, Pr, (1 - g) * f0 + g * f1, (1 - g) * nu0 + g * nu1, g)


def fin_efficiency(h_W_per_m2_K: float, k_W_per_m_K: float, thickness_m: float,
                   height_m: float) -> float:
    """Efficiency tanh(mH)/(mH) of a straight fin with an adiabatic tip, m = sqrt(2h/(k t)).

    Example
    -------
    >>> round(fin_efficiency(1e4, 398.0, 200e-6, 4e-3), 3)
    0.481
    """
    if not (h_W_per_m2_K >= 0 and k_W_per_m_K > 0 and thickness_m > 0 and height_m > 0):
        raise WafersolveError("fin efficiency needs h >= 0 and k, thickness, height > 0")
    mH = math.sqrt(2.0 * h_W_per_m2_K / (k_W_per_m_K * thickness_m)) * height_m
    return 1.0 if mH < 1e-8 else math.tanh(mH) / mH
