"""Validate the scikit-fem strip reference (tests/skfem_strip.py) against closed forms.

Sources: the project's shared mechanics reference (mechanics.md) §1.1 (Timoshenko 1925 bimetal strip), §1.2 (classical
lamination theory), §1.3 (Suhir shear lag with a compliant bond, corrected arm e = (h1+h2)/2 + h0)
and §3 (the scikit-fem numbers). Plane stress in x-z is the "beam moduli" (E) column of those tables.

No order of convergence is observable for the bonded cases: away from the free end the exact 2D
solution is piecewise polynomial in x and z and the Q2 elements reproduce it, so the error is at
round-off / fitting level (~1e-7) on every mesh. The compliant-interlayer values are mesh-independent
to ~1e-5 between nx = 100, 300 and 600.
"""

from __future__ import annotations

import numpy as np
import pytest
from skfem_strip import StripLayer, StripSolution, solve_strip

LENGTH_M = 0.215
HALF_M = 0.5 * LENGTH_M
DT_K = 50.0
SI = StripLayer(thickness_m=0.775e-3, E_Pa=130e9, nu=0.278, alpha_per_K=2.6e-6, dT_K=DT_K)
PCB = StripLayer(thickness_m=3.2e-3, E_Pa=25e9, nu=0.18, alpha_per_K=16e-6, dT_K=DT_K)

# mechanics.md "Reference values to assert" and §3 (beam moduli, Delta T = 50 K).
TIMOSHENKO_KAPPA_PER_M = 0.238038
TIMOSHENKO_FORCE_N_PER_M = 8780.10


def interlayer(G0_Pa: float, thickness_m: float = 1e-3, nu: float = 0.45) -> StripLayer:
    """A compliant bond given by its shear modulus (E = 2 G (1 + nu)), with alpha = 0."""
    return StripLayer(thickness_m, 2.0 * G0_Pa * (1.0 + nu), nu, 0.0, DT_K)


def beam_laminate(layers: list[StripLayer], x_m: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Local classical lamination theory (mechanics.md §1.2) with beam moduli E.

    Returns the per-layer forces N_i(x) and the curvature kappa(x) of eps = eps0 + kappa z
    (z up from the bottom), evaluated with each layer's dT at x. Valid where dT varies slowly
    compared with the laminate thickness. For a curling-up strip kappa < 0, while w'' > 0.
    """
    z = np.concatenate([[0.0], np.cumsum([ly.thickness_m for ly in layers])])
    z1, z2 = z[:-1], z[1:]
    E = np.array([ly.E_Pa for ly in layers])
    a = np.array([ly.alpha_per_K for ly in layers])
    dT = np.array([ly.dT_K(x_m) if callable(ly.dT_K) else np.full_like(x_m, ly.dT_K)
                   for ly in layers])
    A, B, D = (np.sum(E * (z2**p - z1**p) / p) for p in (1, 2, 3))
    N_T = np.sum((E * a * (z2 - z1))[:, None] * dT, axis=0)
    M_T = np.sum((E * a * (z2**2 - z1**2) / 2)[:, None] * dT, axis=0)
    eps0 = (D * N_T - B * M_T) / (A * D - B * B)
    kappa = (A * M_T - B * N_T) / (A * D - B * B)
    forces = [E[i] * (eps0 * (z2[i] - z1[i]) + kappa * (z2[i] ** 2 - z1[i] ** 2) / 2
                      - a[i] * dT[i] * (z2[i] - z1[i])) for i in range(len(layers))]
    return forces, kappa


def suhir_si(G0_Pa: float, x_m: float, h0_m: float = 1e-3) -> tuple[float, float, float]:
    """Suhir (1986) shear lag, corrected arm, beam moduli: (N_Si(x), tau(x), k l), mechanics.md §1.3."""
    (E1, h1, n1), (E2, h2, n2) = ((ly.E_Pa, ly.thickness_m, ly.nu) for ly in (SI, PCB))
    D = (E1 * h1**3 + E2 * h2**3) / 12.0
    e = 0.5 * (h1 + h2) + h0_m
    lam = 1.0 / (E1 * h1) + 1.0 / (E2 * h2) + e**2 / D
    compliance = h1 / (3 * E1 / (2 * (1 + n1))) + h2 / (3 * E2 / (2 * (1 + n2))) + h0_m / G0_Pa
    k = np.sqrt(lam / compliance)
    mismatch = (PCB.alpha_per_K - SI.alpha_per_K) * DT_K
    force = mismatch / lam * (1.0 - np.cosh(k * x_m) / np.cosh(k * HALF_M))
    tau = mismatch * k / lam * np.sinh(k * x_m) / np.cosh(k * HALF_M)
    return float(force), float(tau), float(k * HALF_M)


@pytest.fixture(scope="module")
def bimetal() -> StripSolution:
    """Si 0.775 mm on PCB 3.2 mm, uniform +50 K, perfectly bonded."""
    return solve_strip([PCB, SI], LENGTH_M)


def test_bimetal_matches_timoshenko(bimetal: StripSolution) -> None:
    """Interior curvature and mid-span layer force equal Timoshenko (1925), beam moduli.

    Measured: kappa 0.23803841 (7e-8 from the exact formula), N_Si(0) 8780.1009 (2e-7).
    """
    assert bimetal.curvature_per_m == pytest.approx(TIMOSHENKO_KAPPA_PER_M, rel=1e-4)
    n_pcb, n_si = bimetal.force_N_per_m
    assert n_si[0] == pytest.approx(TIMOSHENKO_FORCE_N_PER_M, rel=1e-4)  # Si in tension
    assert n_pcb[0] == pytest.approx(-TIMOSHENKO_FORCE_N_PER_M, rel=1e-4)
    assert bimetal.shear_Pa is None
    # PCB (bottom) expands more: the ends curl up, w grows as kappa x^2 / 2.
    assert bimetal.w_m[0] == 0.0
    interior = bimetal.x_m < 0.25 * LENGTH_M
    np.testing.assert_allclose(bimetal.w_m[interior], 0.5 * bimetal.curvature_per_m
                               * bimetal.x_m[interior] ** 2, rtol=1e-6, atol=1e-12)
    # A free strip carries no net axial force through any section.
    np.testing.assert_allclose(n_si[interior] + n_pcb[interior], 0.0,
                               atol=1e-6 * TIMOSHENKO_FORCE_N_PER_M)


def test_constant_callable_temperature_equals_float(bimetal: StripSolution) -> None:
    si = StripLayer(SI.thickness_m, SI.E_Pa, SI.nu, SI.alpha_per_K, lambda x: np.full_like(x, DT_K))
    sol = solve_strip([PCB, si], LENGTH_M)
    np.testing.assert_allclose(sol.w_m, bimetal.w_m, rtol=1e-12, atol=0.0)
    np.testing.assert_allclose(sol.force_N_per_m[1], bimetal.force_N_per_m[1], rtol=1e-12)


def test_temperature_per_layer_and_along_x_matches_local_laminate_theory() -> None:
    """Si +50 K at the centre falling to +30 K at the ends (parabolic), PCB +20 K uniform.

    The temperature varies over ~L >> thickness, so local CLT (mechanics.md §1.2, beam moduli) holds
    in the interior up to O((h/L)^2). Measured: N_Si within 3.5e-5, w(x) within 4e-6.
    """
    si = StripLayer(SI.thickness_m, SI.E_Pa, SI.nu, SI.alpha_per_K,
                    lambda x: 50.0 - 20.0 * (x / HALF_M) ** 2)
    pcb = StripLayer(PCB.thickness_m, PCB.E_Pa, PCB.nu, PCB.alpha_per_K, 20.0)
    sol = solve_strip([pcb, si], LENGTH_M)
    forces, kappa = beam_laminate([pcb, si], sol.x_m)
    interior = sol.x_m < 0.9 * HALF_M
    for fe, clt in zip(sol.force_N_per_m, forces, strict=True):
        np.testing.assert_allclose(fe[interior], clt[interior], rtol=2e-4)
    # w'' = -kappa (z up); integrate twice from the symmetry plane, w(0) = w'(0) = 0.
    dx = np.diff(sol.x_m)
    slope = np.concatenate([[0.0], np.cumsum(-0.5 * (kappa[1:] + kappa[:-1]) * dx)])
    w = np.concatenate([[0.0], np.cumsum(0.5 * (slope[1:] + slope[:-1]) * dx)])
    quarter = (sol.x_m > 0.1 * HALF_M) & (sol.x_m < 0.75 * HALF_M)
    np.testing.assert_allclose(sol.w_m[quarter], w[quarter], rtol=1e-4)


@pytest.mark.parametrize(
    ("G0_Pa", "fe_force_N_per_m", "suhir_force_N_per_m"),
    [(1e6, 2265.4, 2270.4), (10e6, 4482.4, 4490.1)],
)
def test_compliant_interlayer_matches_suhir(
    G0_Pa: float, fe_force_N_per_m: float, suhir_force_N_per_m: float
) -> None:
    """Si / 1 mm bond of shear modulus G0 (nu 0.45, alpha 0) / PCB, +50 K, mechanics.md §1.3 and §3.

    Measured N_Si(0): 2265.37 (G0 = 1 MPa) and 4482.37 (10 MPa), i.e. within 1.5e-5 of the §3 FE
    values and 0.22 % / 0.17 % below corrected Suhir. Suhir's shear is matched to 0.2 % / 0.7 %.
    """
    sol = solve_strip([PCB, interlayer(G0_Pa), SI], LENGTH_M)
    n_pcb, n_bond, n_si = (f[0] for f in sol.force_N_per_m)
    suhir_force, _, _ = suhir_si(G0_Pa, 0.0)
    assert suhir_force == pytest.approx(suhir_force_N_per_m, rel=1e-4)  # formula transcription
    assert n_si == pytest.approx(fe_force_N_per_m, rel=1e-3)
    assert n_si == pytest.approx(suhir_force, rel=1e-2)
    assert n_pcb + n_bond + n_si == pytest.approx(0.0, abs=1e-6 * n_si)
    assert abs(n_bond) < 3e-3 * n_si
    # Shear: Si over [x, L/2] is loaded only through its bottom face, N_Si(x) = -int_x^L/2 sigma_xz;
    # at the bond's mid-height the bond's own upper half adds ~N_bond / 2.
    assert sol.shear_Pa is not None
    integral = -np.sum(0.5 * (sol.shear_Pa[1:] + sol.shear_Pa[:-1]) * np.diff(sol.x_m))
    assert integral == pytest.approx(n_si + 0.5 * n_bond, rel=1e-3)
    j = int(np.argmin(np.abs(sol.x_m - 0.5 * HALF_M)))
    _, tau, _ = suhir_si(G0_Pa, float(sol.x_m[j]))
    assert -sol.shear_Pa[j] == pytest.approx(tau, rel=2e-2)


def test_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="length_m > 0"):
        solve_strip([], LENGTH_M)
    with pytest.raises(ValueError, match="grading >= 1"):
        solve_strip([SI], LENGTH_M, grading=0.5)
