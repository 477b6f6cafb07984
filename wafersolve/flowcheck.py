"""Cooling-flow check: coolant rise, flow per kW, pressure drop and pump power of a case, each
checked against a frozen table of reference envelopes (GB200 NVL72 / OCP guidance, ASHRAE liquid
classes, CDUs) with pass/fail and a margin.

The coolant rise is the enthalpy balance h(T_out) = h(T_in) + P / (rho(T_in) V) with the
temperature-dependent water and PG25 tables of :mod:`wafersolve.cooling` (a ``ThermalResult``, if
given, supplies the solved rise and the hot spot instead). :func:`formula_rise_K` is the plain
dT = P / (rho cp V) at one temperature, as the reference tables use it. Every envelope carries its
source and a tag: P primary, S secondary, D derived here, U unverified (io-cooling.md §0).

Example
-------
>>> round(formula_rise_K("water", 25e3, 100 / 60000, 298.15), 2)     # 25 kW in 100 L/min
3.6
>>> round(formula_rise_K("water", 25e3, flow_at_lpm_per_kW(1.5, 25e3), 298.15), 2)
9.59
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from types import MappingProxyType

from .case.model import Case
from .coldplate import ChannelPerformance, channel_performance
from .cooling import coolant, coolant_rise_K, lpm_per_kW
from .errors import WafersolveError

LPM = 1e-3 / 60.0  # m^3/s per litre per minute
PSI_Pa = 6894.757

_PROPHET = ("ProphetStor summary of the OCP documents: https://prophetstor.com/white-papers/"
            "why-fixed-flow-gpu-rack-cooling-wastes-energy/ (OCP originals not read)")
_SA = "SemiAnalysis, 'Cerebras - Faster Tokens Please' (2026), free preview"
_ASHRAE = ("ASHRAE TC 9.9 liquid classes (Thermal Guidelines, 5th ed., 2021) as listed at "
           "https://resistancezero.com/cdu-checklist.html")
_COOLIT = ("secondary copies of CoolIT CHx2000 datasheets (to check against "
           "https://www.coolitsystems.com)")


@dataclass(frozen=True)
class Envelope:
    """One sourced reference number; ``value`` in the unit named by ``unit``."""

    key: str
    what: str
    value: float
    unit: str  # "K", "Pa", "W", "m3_per_s", "lpm_per_kW", "W_per_kW"
    kind: str  # P, S, D or U
    source: str


def _table(*rows: Envelope):
    return MappingProxyType({r.key: r for r in rows})


#: The reference envelopes (io-cooling.md §B3, §B5), frozen.
ENVELOPES = _table(
    Envelope("ocp_lpm_per_kW", "OCP OAI / GB200 NVL72 facility flow, 1.5 L/min per kW "
             "(OCP range 1.25-2.0)", 1.5, "lpm_per_kW", "S", f"{_PROPHET}; {_SA}"),
    Envelope("ocp_rise_K", "OCP design rise of the technology cooling loop", 10.0, "K", "S",
             _PROPHET),
    Envelope("ashrae_W32_K", "ASHRAE W32 maximum facility supply, 32 °C", 305.15, "K", "S",
             _ASHRAE),
    Envelope("ashrae_W40_K", "ASHRAE W40 maximum facility supply, 40 °C", 313.15, "K", "S",
             _ASHRAE),
    Envelope("ashrae_W45_K", "ASHRAE W45 maximum facility supply, 45 °C (GB200 NVL72 allowed "
             "inlet)", 318.15, "K", "S", f"{_ASHRAE}; {_SA}"),
    Envelope("ocp_rpu_power_W", "OCP rack-level CDU (RPU) heat load", 100e3, "W", "S", _PROPHET),
    Envelope("ocp_rpu_flow_m3_per_s", "OCP RPU flow, 150 L/min", 150 * LPM, "m3_per_s", "S",
             _PROPHET),
    Envelope("ocp_rpu_dp_Pa", "OCP RPU available head, 40 psi at 150 L/min", 40 * PSI_Pa, "Pa",
             "S", _PROPHET),
    Envelope("ocp_rpu_hydraulic_W_per_kW", "OCP RPU hydraulic power per kW of heat: 150 L/min "
             "x 40 psi / 100 kW", 150 * LPM * 40 * PSI_Pa / 100.0, "W_per_kW", "D",
             f"derived from the RPU figures; {_PROPHET}"),
    Envelope("gb200_plate_dp_Pa", "GB200 cold-plate pressure-drop target (vendor)", 20e3, "Pa",
             "S", "vendor marketing: https://www.kenfatech.com/gb200-liquid-cooling-plate-design"),
    Envelope("coolit_chx2000_power_W", "CoolIT CHx2000 CDU capacity at 5 K approach", 2.0e6,
             "W", "U", _COOLIT),
    Envelope("coolit_chx2000_flow_m3_per_s", "CoolIT CHx2000 CDU flow, 2,125 L/min at 35 psi",
             2125 * LPM, "m3_per_s", "U", _COOLIT),
)


@dataclass(frozen=True)
class Check:
    """One comparison of a case value against an envelope: ``value <= limit`` or ``>=``."""

    key: str
    what: str
    value: float
    envelope: Envelope
    sense: str  # "<=" or ">="

    @property
    def limit(self) -> float:
        return self.envelope.value

    @property
    def margin(self) -> float:
        """How far inside the envelope (positive) or outside it (negative), in its unit."""
        return self.limit - self.value if self.sense == "<=" else self.value - self.limit

    @property
    def passed(self) -> bool:
        """Inside or on the envelope (round-off of 1e-9 relative counts as on it)."""
        return self.margin >= -1e-9 * abs(self.limit)


@dataclass(frozen=True)
class FlowReport:
    """The cooling-flow figures of one case and their checks (SI, units in the names)."""

    case_name: str
    coolant: str
    power_W: float
    flow_m3_per_s: float
    inlet_T_K: float
    rise_K: float
    lpm_per_kW: float
    channels: ChannelPerformance | None
    hotspot_T_K: float | None
    checks: tuple[Check, ...]

    @property
    def failed(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if not c.passed)

    def check(self, key: str) -> Check:
        """The check called ``key``; KeyError if the case has none."""
        for c in self.checks:
            if c.key == key:
                return c
        raise KeyError(key)

    def summary(self) -> dict:
        """Scalars for ``summary.json``: flow figures, the channel plate, every check.

        Example
        -------
        >>> from wafersolve import load_case
        >>> s = check_flow(load_case("cases/small.toml")).summary()
        >>> round(s["flow_lpm_per_kW"], 3), s["check_ocp_rise_passed"]    # 25.3 kW
        (3.953, True)
        """
        out = {
            "flow_power_W": self.power_W,
            "flow_m3_per_s": self.flow_m3_per_s,
            "flow_lpm_per_kW": self.lpm_per_kW,
            "flow_inlet_T_K": self.inlet_T_K,
            "flow_rise_K": self.rise_K,
            "flow_hotspot_T_K": self.hotspot_T_K,
        }
        if self.channels is not None:
            out.update({f"coldplate_{k}": v for k, v in self.channels.summary().items()})
        for c in self.checks:
            unit = c.envelope.unit
            out.update({f"check_{c.key}_value_{unit}": c.value,
                        f"check_{c.key}_limit_{unit}": c.limit,
                        f"check_{c.key}_margin_{unit}": c.margin,
                        f"check_{c.key}_passed": c.passed})
        return out


def formula_rise_K(coolant_name: str, heat_W: float, flow_m3_per_s: float, T_K: float) -> float:
    """dT = P / (rho cp V) with rho and cp taken at ``T_K``.

    Example
    -------
    >>> round(formula_rise_K("pg25", 25e3, 100 / 60000, 298.15), 2)    # 25 wt% (MPG)
    3.75
    """
    fluid = coolant(coolant_name)
    return heat_W / (float(fluid.rho(T_K)) * float(fluid.cp(T_K)) * flow_m3_per_s)


def rise_K(coolant_name: str, heat_W: float, flow_m3_per_s: float, inlet_T_K: float) -> float:
    """Exact coolant rise by enthalpy balance, the flow measured at the inlet temperature.

    Example
    -------
    >>> round(rise_K("water", 25e3, 100 / 60000, 294.15), 3)
    3.594
    """
    return coolant_rise_K(coolant(coolant_name), heat_W, flow_m3_per_s, inlet_T_K)


def flow_for_rise(coolant_name: str, heat_W: float, rise_K: float, inlet_T_K: float) -> float:
    """The flow (m^3/s at the inlet) that warms by ``rise_K`` while taking up ``heat_W``.

    Example
    -------
    >>> round(flow_for_rise("water", 25e3, 10.0, 298.15) / LPM, 1)       # L/min
    36.0
    """
    if not (heat_W > 0 and rise_K > 0):
        raise WafersolveError(f"heat {heat_W} W and rise {rise_K} K must both be > 0")
    fluid = coolant(coolant_name)
    m_dot = heat_W / float(fluid.h(inlet_T_K + rise_K) - fluid.h(inlet_T_K))
    return m_dot / float(fluid.rho(inlet_T_K))


def flow_at_lpm_per_kW(lpm_per_kW_value: float, heat_W: float) -> float:
    """The flow (m^3/s) that gives ``lpm_per_kW_value`` L/min per kW at ``heat_W``.

    Example
    -------
    >>> round(flow_at_lpm_per_kW(1.5, 25e3) / LPM, 3)
    37.5
    """
    if not (lpm_per_kW_value > 0 and heat_W > 0):
        raise WafersolveError(f"L/min per kW {lpm_per_kW_value} and heat {heat_W} W must be > 0")
    return lpm_per_kW_value * heat_W / 1000.0 * LPM


def flow_variant(case: Case, lpm_per_kW_value: float) -> Case:
    """The case with its flow set to ``lpm_per_kW_value`` L/min per kW of its power.

    Example
    -------
    >>> from wafersolve import load_case
    >>> round(flow_variant(load_case("cases/wse3_channels.toml"), 1.5).cooling.flow_m3_per_s
    ...       / LPM, 3)
    37.5
    """
    flow = flow_at_lpm_per_kW(lpm_per_kW_value, case.power.total_W)
    return replace(case, cooling=replace(case.cooling, flow_m3_per_s=flow))


def engines_per_cdu(power_W: float, flow_m3_per_s: float, cdu_power_W: float,
                    cdu_flow_m3_per_s: float) -> int:
    """How many identical loads one CDU carries, limited by its heat capacity or its flow.

    Example
    -------
    >>> engines_per_cdu(25e3, 100 * LPM, 2.0e6, 2125 * LPM)     # flow-limited: 21, not 80
    21
    """
    return int(math.floor(min(cdu_power_W / power_W, cdu_flow_m3_per_s / flow_m3_per_s)
                          * (1 + 1e-12)))


def check_flow(case: Case, result=None, *, envelopes=ENVELOPES) -> FlowReport:
    """The cooling-flow figures of ``case`` and their checks against ``envelopes``.

    ``result`` (a ``ThermalResult`` of this case, optional) supplies the solved coolant rise and
    the hot-spot temperature; otherwise the rise comes from the enthalpy balance on the full
    power. Pressure-drop and pump checks need ``[cooling.channels]``.

    Example
    -------
    >>> from wafersolve import load_case
    >>> report = check_flow(load_case("cases/wse3_channels.toml"))
    >>> [c.key for c in report.failed]
    ['ocp_flow', 'ashrae_W32', 'ashrae_W40', 'ashrae_W45', 'gb200_plate_dp', 'ocp_rpu_hydraulic']
    >>> round(report.check("ocp_flow").margin, 2), round(report.check("ocp_rise").margin, 2)
    (-2.5, 6.41)
    """
    c = case.cooling
    P = case.power.total_W
    if result is not None and result.case.name != case.name:
        raise WafersolveError(f"result of case {result.case.name!r} given for {case.name!r}")
    rise = result.coolant_rise_K if result is not None else rise_K(c.coolant, P, c.flow_m3_per_s,
                                                                   c.inlet_T_K)
    per_kW = lpm_per_kW(c.flow_m3_per_s, P)
    e = envelopes
    checks = [
        Check("ocp_rise", "coolant rise within the OCP 10 K design rise", rise,
              e["ocp_rise_K"], "<="),
        Check("ocp_flow", "flow demand within the OCP / NVL72 facility allocation", per_kW,
              e["ocp_lpm_per_kW"], "<="),
    ]
    for cls in ("W32", "W40", "W45"):
        checks.append(Check(f"ashrae_{cls}", f"evaluated at an inlet as warm as ASHRAE {cls} "
                            "facility water", c.inlet_T_K, e[f"ashrae_{cls}_K"], ">="))
    checks += [
        Check("ocp_rpu_power", "heat load within one OCP RPU", P, e["ocp_rpu_power_W"], "<="),
        Check("ocp_rpu_flow", "flow within one OCP RPU", c.flow_m3_per_s,
              e["ocp_rpu_flow_m3_per_s"], "<="),
        Check("chx2000_power", "heat load within one CoolIT CHx2000", P,
              e["coolit_chx2000_power_W"], "<="),
        Check("chx2000_flow", "flow within one CoolIT CHx2000", c.flow_m3_per_s,
              e["coolit_chx2000_flow_m3_per_s"], "<="),
    ]
    perf = None
    if c.channels is not None:
        perf = channel_performance(case)
        checks += [
            Check("gb200_plate_dp", "plate pressure drop within the GB200 cold-plate target",
                  perf.dp_Pa, e["gb200_plate_dp_Pa"], "<="),
            Check("ocp_rpu_dp", "plate pressure drop within the OCP RPU head", perf.dp_Pa,
                  e["ocp_rpu_dp_Pa"], "<="),
            Check("ocp_rpu_hydraulic", "hydraulic power per kW within the OCP RPU's",
                  perf.hydraulic_power_W / (P / 1000.0), e["ocp_rpu_hydraulic_W_per_kW"], "<="),
        ]
    return FlowReport(
        case_name=case.name, coolant=c.coolant, power_W=P, flow_m3_per_s=c.flow_m3_per_s,
        inlet_T_K=c.inlet_T_K, rise_K=rise, lpm_per_kW=per_kW, channels=perf,
        hotspot_T_K=None if result is None else result.hotspot.T_K, checks=tuple(checks))


def compare_flows(case: Case, lpm_per_kW_values: Iterable[float],
                  solve: Callable) -> tuple[FlowReport, ...]:
    """Re-run the case at each flow per kW with ``solve`` (e.g. ``solve_thermal``) and check it.

    The solver is passed in so that this module stays on the results side of the solvers.

    Example
    -------
    >>> from wafersolve import load_case, solve_thermal
    >>> reports = compare_flows(load_case("cases/small.toml"), (4.0, 1.5), solve_thermal)
    >>> [round(r.rise_K, 1) for r in reports]
    [3.6, 9.6]
    """
    out = []
    for value in lpm_per_kW_values:
        variant = flow_variant(case, value)
        out.append(check_flow(variant, solve(variant)))
    return tuple(out)
