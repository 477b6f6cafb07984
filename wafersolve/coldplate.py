"""Channel cold plate: heat-transfer coefficient, pressure drop and pump power from the geometry.

The plate is a row of parallel straight rectangular channels along the flow, cut into the top face
of the top stack layer; the walls between channels are fins whose tips touch an adiabatic cover
(:class:`~wafersolve.case.model.ChannelPlate`). The thermal solve takes from here the effective
coefficient referred to the footprint, so the flow rate drives the temperatures. The duct
correlations (Shah & London, Hausen, Gnielinski/Petukhov, transition) are in
:mod:`wafersolve.ductflow`; docs/cooling.md derives and discusses the model.

Heat transfer per channel: the floor (width w) and both fin faces (height H, fin efficiency eta)
see the same h = Nu k / D with the uniform-flux (H1) Nu, so over the plate width across the flow
h_eff = N h (w + 2 eta H) / span. Assumptions: fully developed velocity (Pr > 5 for water and
PG25, so the velocity develops well before the temperature); all four walls heated in the Nu fits
although the cover is not (slightly optimistic); no wall-viscosity correction; one h for the
whole plate, with the coolant properties at the bulk mean temperature T_in + dT/2.

Pressure drop: dp = (f L / D + K_entrance + K_exit + K_manifold) rho u^2 / 2 (Darcy-Weisbach with
minor losses referred to the channel velocity). The extra loss of the hydrodynamic entrance
(Hagenbach factor K(inf), about 0.7-1.5 velocity heads, Shah & London) is not added: for the
shipped plate it is about 4 % of dp at 100 L/min and 2 % at 37.5 L/min; add it to
``entrance_loss_coefficient`` if it matters. Hydraulic power = V dp; pump (shaft) power =
V dp / pump_efficiency.

Example
-------
>>> plate = ChannelPlate(300e-6, 4e-3, pitch_m=500e-6)
>>> perf = evaluate_channels(plate, coolant("water"), 1.66, 296.0, 0.215, 0.215, 398.0)
>>> perf.count, perf.flow.regime, round(perf.fin_efficiency, 2)
(430, 'laminar', 0.46)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .case.model import Case, ChannelPlate
from .cooling import Coolant, coolant, coolant_rise_K
from .ductflow import DuctFlow, aspect_ratio, duct_flow, fin_efficiency, hydraulic_diameter_m
from .errors import CaseError, WafersolveError


@dataclass(frozen=True)
class ChannelPerformance:
    """A channel plate at one flow: geometry, regime, coefficients, pressure drop, power (SI)."""

    count: int
    pitch_m: float
    width_m: float
    height_m: float
    fin_thickness_m: float
    length_m: float
    span_m: float  # plate width across the flow
    hydraulic_diameter_m: float
    aspect_ratio: float
    T_K: float  # temperature at which the coolant properties are taken
    flow_m3_per_s: float  # total, at that temperature
    velocity_m_per_s: float
    flow: DuctFlow
    h_channel_W_per_m2_K: float
    fin_efficiency: float
    h_eff_W_per_m2_K: float  # referred to the footprint, what the thermal solve uses
    dp_friction_Pa: float
    dp_minor_Pa: float
    pump_efficiency: float

    @property
    def dp_Pa(self) -> float:
        return self.dp_friction_Pa + self.dp_minor_Pa

    @property
    def hydraulic_power_W(self) -> float:
        return self.flow_m3_per_s * self.dp_Pa

    @property
    def pump_power_W(self) -> float:
        return self.hydraulic_power_W / self.pump_efficiency

    def summary(self) -> dict:
        """SI scalars with units in their names (for ``summary.json``)."""
        return {
            "channel_count": self.count,
            "channel_pitch_m": self.pitch_m,
            "channel_hydraulic_diameter_m": self.hydraulic_diameter_m,
            "channel_regime": self.flow.regime,
            "channel_Re": self.flow.Re,
            "channel_Pr": self.flow.Pr,
            "channel_Nu": self.flow.Nu,
            "channel_darcy_f": self.flow.darcy_f,
            "channel_velocity_m_per_s": self.velocity_m_per_s,
            "channel_property_T_K": self.T_K,
            "channel_h_W_per_m2_K": self.h_channel_W_per_m2_K,
            "fin_efficiency": self.fin_efficiency,
            "h_eff_W_per_m2_K": self.h_eff_W_per_m2_K,
            "dp_Pa": self.dp_Pa,
            "dp_friction_Pa": self.dp_friction_Pa,
            "dp_minor_Pa": self.dp_minor_Pa,
            "hydraulic_power_W": self.hydraulic_power_W,
            "pump_power_W": self.pump_power_W,
        }


def channel_layout(plate: ChannelPlate, span_m: float, *, path=None) -> tuple[int, float]:
    """(count, pitch) of the channels over a plate ``span_m`` wide; CaseError if they do not fit.

    Example
    -------
    >>> channel_layout(ChannelPlate(300e-6, 4e-3, pitch_m=500e-6), 0.215)
    (430, 0.0005)
    >>> channel_layout(ChannelPlate(300e-6, 4e-3, count=1000), 0.215)
    Traceback (most recent call last):
    ...
    wafersolve.errors.CaseError: <case>: cooling.channels.count = 1000: expected at most 716 \
channels of 300 um in the 215 mm plate width (fins need a thickness > 0)
    """
    if plate.pitch_m is not None:
        count = int(math.floor(span_m / plate.pitch_m * (1 + 1e-12)))
        if count < 1:
            raise CaseError(path, "cooling.channels.pitch", f"{plate.pitch_m * 1e6:g} um",
                            f"a pitch no larger than the {span_m * 1e3:g} mm plate width")
        return count, plate.pitch_m
    count, pitch = int(plate.count), span_m / plate.count
    if not pitch > plate.width_m:
        n_max = math.ceil(span_m / plate.width_m) - 1
        raise CaseError(path, "cooling.channels.count", count, (
            f"at most {n_max} channels of {plate.width_m * 1e6:g} um in the "
            f"{span_m * 1e3:g} mm plate width (fins need a thickness > 0)"))
    return count, pitch


def evaluate_channels(plate: ChannelPlate, fluid: Coolant, m_dot_kg_per_s: float, T_K: float,
                      span_m: float, length_m: float, wall_k_W_per_m_K: float, *,
                      path=None) -> ChannelPerformance:
    """The plate at mass flow ``m_dot_kg_per_s``, coolant properties taken at ``T_K``.

    Example
    -------
    >>> plate = ChannelPlate(300e-6, 4e-3, pitch_m=500e-6)
    >>> perf = evaluate_channels(plate, coolant("water"), 1.66, 296.0, 0.215, 0.215, 398.0)
    >>> perf.flow.regime, round(perf.h_eff_W_per_m2_K, -3), round(perf.dp_Pa / 1e3)
    ('laminar', 87000.0, 99)
    """
    if not m_dot_kg_per_s > 0:
        raise WafersolveError(f"mass flow {m_dot_kg_per_s} kg/s must be > 0")
    count, pitch = channel_layout(plate, span_m, path=path)
    w, H = plate.width_m, plate.height_m
    D = hydraulic_diameter_m(w, H)
    a = aspect_ratio(w, H)
    rho, cp = float(fluid.rho(T_K)), float(fluid.cp(T_K))
    mu, k = float(fluid.mu(T_K)), float(fluid.k(T_K))
    area = w * H
    m1 = m_dot_kg_per_s / count
    u = m1 / (rho * area)
    flow = duct_flow(m1 * D / (area * mu), cp * mu / k, D / length_m, a, "H")
    h = flow.Nu * k / D
    t_fin = pitch - w
    eta = fin_efficiency(h, wall_k_W_per_m_K, t_fin, H)
    h_eff = count * h * (w + 2.0 * eta * H) / span_m
    head = 0.5 * rho * u * u
    minor = (plate.entrance_loss_coefficient + plate.exit_loss_coefficient
             + plate.manifold_loss_coefficient)
    return ChannelPerformance(
        count=count, pitch_m=pitch, width_m=w, height_m=H, fin_thickness_m=t_fin,
        length_m=length_m, span_m=span_m, hydraulic_diameter_m=D, aspect_ratio=a, T_K=T_K,
        flow_m3_per_s=m_dot_kg_per_s / rho, velocity_m_per_s=u, flow=flow,
        h_channel_W_per_m2_K=h, fin_efficiency=eta, h_eff_W_per_m2_K=h_eff,
        dp_friction_Pa=flow.darcy_f * length_m / D * head, dp_minor_Pa=minor * head,
        pump_efficiency=plate.pump_efficiency,
    )


def plate_extent_m(case: Case) -> tuple[float, float]:
    """(span across the flow, length along it) of the cold plate: the wafer outline.

    Example
    -------
    >>> from wafersolve import load_case
    >>> plate_extent_m(load_case("cases/wse3_channels.toml"))
    (0.215, 0.215)
    """
    lx, ly = case.wafer.size_m
    return (ly, lx) if case.cooling.direction.endswith("x") else (lx, ly)


def mean_coolant_T_K(case: Case) -> float:
    """Bulk mean coolant temperature T_in + dT/2, dT from the energy balance on the full power.

    Example
    -------
    >>> from wafersolve import load_case
    >>> round(mean_coolant_T_K(load_case("cases/wse3_channels.toml")) - 273.15, 2)
    22.8
    """
    c = case.cooling
    rise = coolant_rise_K(coolant(c.coolant), case.power.total_W, c.flow_m3_per_s, c.inlet_T_K)
    return c.inlet_T_K + 0.5 * rise


def channel_performance(case: Case, T_K: float | None = None) -> ChannelPerformance:
    """The channel plate of ``case`` at its flow; properties at ``T_K`` (default: the bulk mean
    coolant temperature, :func:`mean_coolant_T_K`). The wall conductivity defaults to kz of the
    top stack layer's material at that temperature.

    Example
    -------
    >>> from wafersolve import load_case
    >>> perf = channel_performance(load_case("cases/wse3_channels.toml"))
    >>> perf.count, perf.flow.regime, round(perf.h_eff_W_per_m2_K, -2)
    (430, 'laminar', 87400.0)
    """
    c = case.cooling
    if c.channels is None:
        raise WafersolveError(f"case {case.name!r} has no [cooling.channels]")
    fluid = coolant(c.coolant)
    T = mean_coolant_T_K(case) if T_K is None else float(T_K)
    span, length = plate_extent_m(case)
    plate = c.channels
    k_wall = plate.wall_k_W_per_m_K
    if k_wall is None:
        k_wall = case.layers[-1].material.k_at(T)[2]
    m_dot = float(fluid.rho(c.inlet_T_K)) * c.flow_m3_per_s
    return evaluate_channels(plate, fluid, m_dot, T, span,
                             plate.length_m if plate.length_m is not None else length, k_wall,
                             path=case.source_path)


def effective_h_W_per_m2_K(case: Case) -> float:
    """The footprint coefficient the thermal solve uses: the case's h, or the channel model's.

    Example
    -------
    >>> from wafersolve import load_case
    >>> effective_h_W_per_m2_K(load_case("cases/small.toml"))
    30000.0
    """
    if case.cooling.channels is None:
        return float(case.cooling.h_W_per_m2_K)
    return channel_performance(case).h_eff_W_per_m2_K
