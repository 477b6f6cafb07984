"""Verification of the conduction discretisation against closed-form solutions.

* 1D multilayer slab, planar source, convective faces, contact resistances: the series-resistance
  network is the exact solution, so the finite-volume field must match it to round-off.
* 3D manufactured solution on a non-uniform z grid with anisotropic, layer-wise k and Robin faces:
  observed order of convergence 2 (Roache, "Code Verification by the Method of Manufactured
  Solutions", J. Fluids Eng. 124 (2002) 4).
* Temperature-dependent silicon k(T) = k0 (T0/T)^n in a slab with uniform heating: exact by the
  Kirchhoff transform (Carslaw & Jaeger, Conduction of Heat in Solids, 2nd ed., section 1.7), with
  the full case -> Picard -> coolant pipeline; observed order 2.
"""

from __future__ import annotations

import numpy as np
import pytest

from wafersolve.case.load import load_case_text
from wafersolve.cooling import coolant
from wafersolve.thermal import solve_thermal
from wafersolve.thermal.cg import pcg
from wafersolve.thermal.multigrid import Multigrid
from wafersolve.thermal.stencil import padded_zeros, uniform_stencil


def observed_order(h, err):
    return np.polyfit(np.log(h), np.log(err), 1)[0]


# -- 1D slab ----------------------------------------------------------------------------------
@pytest.mark.parametrize("source_slice", [0, 3, 6])
def test_multilayer_slab_matches_series_resistances(source_slice):
    dz = np.array([1.6e-3, 1.6e-3, 1e-3, 0.3875e-3, 0.3875e-3, 30e-6, 1.5e-3])
    kz = np.array([0.5, 0.5, 2.0, 148.0, 148.0, 8.5, 398.0])
    rc = np.array([0.0, 2e-5, 0.0, 0.0, 1e-6, 3e-6])
    k = np.column_stack([kz * 3, kz * 2, kz])  # in-plane k is irrelevant in 1D: make it differ
    h_top, h_bot, T_top, T_bot, q = 3e4, 25.0, 0.0, 14.0, 5.4e5
    st = uniform_stencil(5, 4, dz, k, 1e-3, 1.3e-3, h_top, h_bot, rc)
    area = 1e-3 * 1.3e-3
    b = padded_zeros(st.shape)
    b[source_slice, 1:-1, 1:-1] += q * area
    b[-1, 1:-1, 1:-1] += st.gtop[1:-1, 1:-1] * T_top
    b[0, 1:-1, 1:-1] += st.gbot[1:-1, 1:-1] * T_bot
    x = padded_zeros(st.shape)
    pcg(st, b, x, Multigrid(st), rtol=1e-14)

    s = source_slice
    half = dz / (2 * kz)
    # resistance per area from the source cell centre to each cell centre and to the ambients
    R_to = np.zeros(dz.size)
    for kk in range(s + 1, dz.size):
        R_to[kk] = R_to[kk - 1] + half[kk - 1] + rc[kk - 1] + half[kk]
    for kk in range(s - 1, -1, -1):
        R_to[kk] = R_to[kk + 1] + half[kk + 1] + rc[kk] + half[kk]
    R_up = R_to[-1] + half[-1] + 1 / h_top
    R_dn = R_to[0] + half[0] + 1 / h_bot
    T_s = (q + T_top / R_up + T_bot / R_dn) / (1 / R_up + 1 / R_dn)
    q_up, q_dn = (T_s - T_top) / R_up, (T_s - T_bot) / R_dn
    expect = np.where(np.arange(dz.size) >= s, T_s - q_up * R_to, T_s - q_dn * R_to)
    got = x[:, 1:-1, 1:-1]
    np.testing.assert_allclose(got, np.broadcast_to(expect[:, None, None], got.shape),
                               rtol=1e-11, atol=0)
    assert q_up + q_dn == pytest.approx(q, rel=1e-14)


# -- 3D manufactured solution -----------------------------------------------------------------
LX, LY = 1.0, 0.8
H = np.array([0.2, 0.05, 0.3])
KL = np.array([[3.0, 2.0, 0.5], [1.0, 1.0, 5.0], [10.0, 4.0, 2.0]])
HB, HT = 2.0, 20.0


class Manufactured:
    """T = cos(pi x/Lx) cos(pi y/Ly) Z(z), with kz Z' = g(z) = c cos(pi z/Ht) + d continuous
    across the layers (so T and the normal flux are continuous) and Z chosen to satisfy the
    Robin conditions -k dT/dn = h T on the top and bottom faces (ambient 0)."""

    def __init__(self):
        self.zl = np.concatenate(([0.0], np.cumsum(H)))
        self.Ht = self.zl[-1]
        w = np.pi / self.Ht
        Ic = sum((np.sin(w * self.zl[ly + 1]) - np.sin(w * self.zl[ly])) / (w * KL[ly, 2])
                 for ly in range(3))
        Id = sum(H[ly] / KL[ly, 2] for ly in range(3))
        self.c = 1.0
        self.d = self.c * (1 - HT / HB - HT * Ic) / (1 + HT / HB + HT * Id)
        self.Z0 = (self.c + self.d) / HB
        self.Zl = [self.Z0]
        for ly in range(3):
            self.Zl.append(self._Z_in(ly, self.zl[ly + 1]))

    def _Z_in(self, ly, z):
        w = np.pi / self.Ht
        Zs = self.Zl[ly]
        return Zs + (self.c * (np.sin(w * z) - np.sin(w * self.zl[ly])) / w
                     + self.d * (z - self.zl[ly])) / KL[ly, 2]

    def layer_of(self, z):
        return np.minimum(np.searchsorted(self.zl, z, side="right") - 1, 2)

    def Z(self, z):
        z = np.asarray(z, dtype=float)
        out = np.empty_like(z)
        for ly in range(3):
            m = self.layer_of(z) == ly
            out[m] = self._Z_in(ly, z[m])
        return out

    def source_z(self, z, ly):
        """q / (X Y) inside layer ly."""
        a2, b2 = (np.pi / LX) ** 2, (np.pi / LY) ** 2
        return (self._Z_in(ly, z) * (KL[ly, 0] * a2 + KL[ly, 1] * b2)
                + self.c * np.pi / self.Ht * np.sin(np.pi * z / self.Ht))


def solve_manufactured(r):
    mms = Manufactured()
    nx, ny = 6 * r, 5 * r
    cells = np.array([2, 1, 3]) * r
    dz = np.concatenate([np.full(n, H[ly] / n) for ly, n in enumerate(cells)])
    layer = np.concatenate([np.full(n, ly) for ly, n in enumerate(cells)])
    k = KL[layer]
    st = uniform_stencil(nx, ny, dz, k, LX / nx, LY / ny, HT, HB)
    xe, ye = np.linspace(0, LX, nx + 1), np.linspace(0, LY, ny + 1)
    ze = np.concatenate(([0.0], np.cumsum(dz)))
    Xi = LX / np.pi * np.diff(np.sin(np.pi * xe / LX))
    Yi = LY / np.pi * np.diff(np.sin(np.pi * ye / LY))
    g, wts = np.polynomial.legendre.leggauss(4)
    Zi = np.array([0.5 * (ze[c + 1] - ze[c])
                   * np.dot(wts, mms.source_z(0.5 * (ze[c] + ze[c + 1]) + 0.5 * (ze[c + 1] - ze[c]) * g,
                                              layer[c]))
                   for c in range(dz.size)])
    b = padded_zeros(st.shape)
    b[:, 1:-1, 1:-1] = Zi[:, None, None] * Yi[None, :, None] * Xi[None, None, :]
    x = padded_zeros(st.shape)
    pcg(st, b, x, Multigrid(st), rtol=1e-13)
    xc, yc, zc = 0.5 * (xe[1:] + xe[:-1]), 0.5 * (ye[1:] + ye[:-1]), 0.5 * (ze[1:] + ze[:-1])
    exact = (mms.Z(zc)[:, None, None] * np.cos(np.pi * yc / LY)[None, :, None]
             * np.cos(np.pi * xc / LX)[None, None, :])
    return float(np.abs(x[:, 1:-1, 1:-1] - exact).max() / np.abs(exact).max())


def test_manufactured_solution_is_second_order():
    """Observed order over three refinements (four grids): 2 +/- 0.1."""
    rs = np.array([1, 2, 4, 8])
    err = np.array([solve_manufactured(r) for r in rs])
    order = observed_order(1.0 / rs, err)
    assert 1.9 <= order <= 2.1, (order, err)
    assert err[-1] < 2e-3


# -- k(T): Kirchhoff transform ----------------------------------------------------------------
K0, T0, NEXP = 148.0, 300.0, 1.3
SLAB_CASE = """
[case]
name = "kirchhoff"
[wafer]
size_mm = [10, 10]
tiles = [1, 1]
[grid]
nx = 3
ny = 1
[[stack.layers]]
name = "si"
material = "silicon"
thickness_mm = 3
cells = {cells}
[power]
layer = "si"
depth = "uniform"
total_W = {power}
[cooling]
coolant = "water"
inlet_T_C = 25
flow_lpm = 100
direction = "+y"               # one strip across the single row: one coolant temperature
h_W_per_m2_K = 1e5
[solver]
rtol = 1e-12
outer_tol_K = 1e-10
"""


def kirchhoff_U(T):
    return K0 * T0**NEXP * (T ** (1 - NEXP) - T0 ** (1 - NEXP)) / (1 - NEXP)


def kirchhoff_T(U):
    return (U * (1 - NEXP) / (K0 * T0**NEXP) + T0 ** (1 - NEXP)) ** (1 / (1 - NEXP))


def kirchhoff_error(cells, power=170.0):
    case = load_case_text(SLAB_CASE.format(cells=cells, power=power), "kirchhoff.toml")
    res = solve_thermal(case)
    Hs = 3e-3
    qv = power / (1e-2 * 1e-2 * Hs)  # W/m^3, uniform
    z = res.grid.z_centers_m
    # the faces see the coolant at the enthalpy midpoint of the (single) strip
    fluid = coolant("water")
    Tc = float(fluid.T_from_h(0.5 * (fluid.h(res.coolant_T_K[0]) + fluid.h(res.coolant_T_K[-1]))))
    T_surface = Tc + qv * Hs / 1e5
    exact = kirchhoff_T(kirchhoff_U(T_surface) + qv * (Hs**2 - z**2) / 2)
    return float(np.abs(res.T_K - exact[:, None, None]).max()), res


def test_temperature_dependent_silicon_matches_kirchhoff_solution():
    cells = np.array([4, 8, 16, 32])
    errs = []
    for c in cells:
        e, res = kirchhoff_error(int(c))
        errs.append(e)
        assert res.info.outer_iterations > 2  # the Picard loop really iterated
    order = observed_order(1.0 / cells, np.array(errs))
    assert 1.8 <= order <= 2.2, (order, errs)
    assert errs[-1] < 1e-2
    # and the non-linearity matters: with k frozen at 300 K the same grid is off by far more
    frozen = load_case_text(SLAB_CASE.format(cells=32, power=170.0)
                            + "temperature_dependent_k = false\n", "kirchhoff.toml")
    diff = np.abs(solve_thermal(frozen).T_K - res.T_K).max()
    assert diff > 100 * errs[-1]
