"""Coolant properties and flow arithmetic (L/min per kW, temperature rise by energy balance).

Properties are tabulated every 1 K at 2 bar from CoolProp 8.0.0 (water: IAPWS-95; ``pg25``:
25 wt% propylene glycol) in ``wafersolve/data/coolant_*.csv`` and interpolated linearly. The
specific enthalpy h(T) is tabulated too, so a coolant stream warmed by Q watts leaves at
h(T_out) = h(T_in) + Q / m_dot exactly, whatever cp does in between.

The volumetric flow of a case is taken at the inlet temperature: m_dot = rho(T_in) * V_dot.

Example
-------
>>> w = coolant("water")
>>> round(coolant_rise_K(w, 25e3, 100 / 60000, 298.15), 2)   # 25 kW in 100 L/min
3.6
>>> lpm_per_kW(100 / 60000, 25e3)
4.0
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np

from .errors import SolverError, WafersolveError

COOLANT_NAMES = ("water", "pg25")


@dataclass(frozen=True, eq=False)
class Coolant:
    """Tabulated properties of one coolant against temperature (kelvin)."""

    name: str
    T_K: np.ndarray
    rho_kg_per_m3: np.ndarray
    cp_J_per_kg_K: np.ndarray
    mu_Pa_s: np.ndarray
    k_W_per_m_K: np.ndarray
    h_J_per_kg: np.ndarray  # relative to 25 C

    @property
    def T_range_K(self) -> tuple[float, float]:
        return float(self.T_K[0]), float(self.T_K[-1])

    def _check(self, T_K) -> np.ndarray:
        T = np.asarray(T_K, dtype=np.float64)
        lo, hi = self.T_range_K
        if np.any(T < lo - 1e-9) or np.any(T > hi + 1e-9) or not np.all(np.isfinite(T)):
            bad = T[(T < lo) | (T > hi) | ~np.isfinite(T)].ravel()[0]
            raise SolverError(
                f"{self.name} temperature {bad - 273.15:.2f} C is outside the property table "
                f"({lo - 273.15:.0f} to {hi - 273.15:.0f} C)")
        return T

    def rho(self, T_K):
        return np.interp(self._check(T_K), self.T_K, self.rho_kg_per_m3)

    def cp(self, T_K):
        return np.interp(self._check(T_K), self.T_K, self.cp_J_per_kg_K)

    def mu(self, T_K):
        return np.interp(self._check(T_K), self.T_K, self.mu_Pa_s)

    def k(self, T_K):
        return np.interp(self._check(T_K), self.T_K, self.k_W_per_m_K)

    def h(self, T_K):
        """Specific enthalpy (J/kg, relative to 25 C), piecewise linear in T."""
        return np.interp(self._check(T_K), self.T_K, self.h_J_per_kg)

    def T_from_h(self, h_J_per_kg):
        """Exact inverse of :meth:`h` (h is strictly increasing)."""
        h = np.asarray(h_J_per_kg, dtype=np.float64)
        lo, hi = self.h_J_per_kg[0], self.h_J_per_kg[-1]
        if np.any(h < lo) or np.any(h > hi) or not np.all(np.isfinite(h)):
            raise SolverError(
                f"{self.name} would leave its property table ({self.T_range_K[0] - 273.15:.0f} to "
                f"{self.T_range_K[1] - 273.15:.0f} C): the flow is too small for the heat load")
        return np.interp(h, self.h_J_per_kg, self.T_K)


@cache
def coolant(name: str) -> Coolant:
    """The property table of coolant ``name`` (one of :data:`COOLANT_NAMES`)."""
    if name not in COOLANT_NAMES:
        raise WafersolveError(f"unknown coolant {name!r}; expected one of {', '.join(COOLANT_NAMES)}")
    text = resources.files("wafersolve.data").joinpath(f"coolant_{name}.csv").read_text()
    rows = [line for line in text.splitlines() if line and not line.startswith("#")]
    data = np.array([[float(v) for v in line.split(",")] for line in rows[1:]])
    for col in data.T:
        col.setflags(write=False)
    return Coolant(name, data[:, 0] + 273.15, data[:, 1], data[:, 2], data[:, 3], data[:, 4],
                   data[:, 5])


def mass_flow_kg_per_s(fluid: Coolant, flow_m3_per_s: float, inlet_T_K: float) -> float:
    """Mass flow of a volumetric flow measured at the inlet temperature."""
    return float(fluid.rho(inlet_T_K)) * flow_m3_per_s


def coolant_rise_K(fluid: Coolant, heat_W: float, flow_m3_per_s: float, inlet_T_K: float) -> float:
    """Outlet minus inlet temperature of a stream picking up ``heat_W`` (enthalpy balance)."""
    m = mass_flow_kg_per_s(fluid, flow_m3_per_s, inlet_T_K)
    return float(fluid.T_from_h(fluid.h(inlet_T_K) + heat_W / m)) - inlet_T_K


def lpm_per_kW(flow_m3_per_s: float, heat_W: float) -> float:
    """Flow in litres per minute per kilowatt of heat."""
    return flow_m3_per_s * 60000.0 / (heat_W / 1000.0)
