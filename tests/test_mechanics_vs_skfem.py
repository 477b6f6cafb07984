"""The mechanics solver against an independent finite-element model (scikit-fem, plane-stress
x-z cross-section with the interlayer as a continuum; ``tests/skfem_strip.py``) on a case with
no closed form: a finite Si / elastomer / PCB strip whose temperatures vary along it and differ
per layer. wafersolve models the elastomer as springs (k_s = G/h, k_n = E/h) between Kirchhoff
plates; the shear-lag theory behind that agrees with the continuum to ~0.2 % for uniform
temperatures (shared mechanics reference §3), so the profiles must agree to about that.
"""

from __future__ import annotations

import numpy as np
import pytest
from mech_cases import PCB, SI, T0_K, beam, compliant, make_case
from skfem_strip import StripLayer, solve_strip

from wafersolve.grid import build_grid
from wafersolve.mechanics import solve_mechanics

L = 0.215
H_SI, H0, H_PCB = 0.775e-3, 1e-3, 3.2e-3


def dT_si(x):
    return 50.0 - 20.0 * (2 * x / L) ** 2


def dT_pcb(x):
    return 20.0 + 10.0 * np.cos(np.pi * x / L)


@pytest.mark.parametrize("G0", [1e6, 10e6])
def test_strip_with_varying_temperature_matches_scikit_fem(G0):
    nu0 = 0.45
    E0 = 2 * G0 * (1 + nu0)
    fe = solve_strip([StripLayer(H_PCB, 25e9, 0.18, 16e-6, dT_pcb),
                      StripLayer(H0, E0, nu0, 0.0, 0.0),
                      StripLayer(H_SI, 130e9, 0.278, 2.6e-6, dT_si)], L, nx=200)

    nx = 400
    case = make_case([("pcb", beam(PCB), H_PCB, 1), ("conn", None, H0, 1),
                      ("si", beam(SI), H_SI, 1)], size_m=(L, 0.002), n=(nx, 1),
                     interfaces=[compliant("conn", G0 / H0, E0 / H0)])
    grid = build_grid(case)
    x = grid.x_centers_m - L / 2
    T = np.full(grid.shape, T0_K)
    T[0] += dT_pcb(x)[None, :]
    T[2] += dT_si(x)[None, :]
    res = solve_mechanics(case, grid, T)
    si = res.layer("si")
    N = (H_SI * 0.5 * (si.sigma_xx_Pa[0] + si.sigma_xx_Pa[1]))[0]

    right = x > 0
    probe = np.array([0.0, L / 8, L / 4, 3 * L / 8])
    ours = np.interp(probe, x[right], N[right], left=0.5 * (N[nx // 2 - 1] + N[nx // 2]))
    theirs = np.interp(probe, fe.x_m, fe.force_N_per_m[2])
    scale = abs(theirs[0])
    assert scale > 1000.0  # a real load transfer, not a trivial comparison
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=5e-3 * scale)


def test_same_discretization_assembled_by_scikit_fem():
    """One free Si plate under an in-plane and through-thickness temperature pattern: scikit-fem
    (Q1 membrane + Bogner-Fox-Schmit plate, scipy direct solve) and wafersolve (Kronecker
    assembly, matrix-free PCG) solve the same discrete problem: fields agree to round-off."""
    from skfem_plate import plate_case, skfem_plate

    case = plate_case(9, 6)
    grid = build_grid(case)
    x, y = grid.x_centers_m / L, grid.y_centers_m / L
    T = 328.15 + 15.0 * np.cos(np.pi * x)[None, :] * np.cos(2 * np.pi * y)[:, None]
    dz = 1.5 + np.sin(np.pi * x)[None, :] * np.cos(np.pi * y)[:, None]
    T = np.stack([T + dz, T - dz])
    w_fe, u_fe, _ = skfem_plate(case, grid, T)
    lay = solve_mechanics(case, grid, T).layer("wafer")
    np.testing.assert_allclose(lay.w_m, w_fe, rtol=0, atol=1e-8 * np.abs(w_fe).max())
    np.testing.assert_allclose(lay.u_m, u_fe, rtol=0, atol=1e-8 * np.abs(u_fe).max())
