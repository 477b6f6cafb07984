"""Independent finite-element reference: plane-stress x-z cross-section of a multilayer strip.

This is the scikit-fem model of the project's shared mechanics reference (mechanics.md) §3, used by the tests as an
oracle for cases with no closed form (finite length, edge zones, T varying along x, compliant
interlayers). It shares no code with wafersolve.

Model. A strip of length L, layers stacked bottom to top in z, each linear-elastic and isotropic,
with a temperature rise dT(x) per layer. Plane stress in the x-z plane (a narrow strip, "beam
moduli" of mechanics.md §1.1): sigma = 2 mu eps + lam* tr(eps) I - E/(1 - nu) alpha dT I with
lam* = 2 lam mu / (lam + 2 mu). Only the half 0 <= x <= L/2 is meshed: u_x = 0 on x = 0 (symmetry)
and u_z = 0 at the origin (rigid motion). A soft interlayer is just another continuum layer.

Discretisation. ``MeshQuad.init_tensor`` with node rows on the layer interfaces, columns graded
toward the free end x = L/2, ``ElementVector(ElementQuad2())``; material parameters are constant
per element and dT is sampled at the quadrature points. The load is the integral of
E/(1 - nu) alpha dT tr(eps(v)).

Post-processing, at the mesh columns x_m. The axial force per unit width in a layer,
N(x) = integral of sigma_xx dz, is the 3-point Gauss rule in z of the FE stress on each element's
edge at x_m (exact for the FE field, which is quadratic in z there). The curvature is the
least-squares fit w = w0 + kappa x^2 / 2 to the bottom-surface u_z over x < L/4 (mechanics.md §3).
The shear stress sigma_xz is taken at mid-height of the interlayer, defined as the interior layer
(neither bottom nor top) with the smallest E; there is none with fewer than three layers.
Within about one laminate thickness of x = L/2 the values are not converged: the bimaterial corner
is singular and the free face is traction-free only weakly. For example, the Si/PCB bimetal gives
N(L/2) of about 800 N/m instead of 0. Compare profiles only away from the end.

Example:

>>> si = StripLayer(0.775e-3, 130e9, 0.278, 2.6e-6, 50.0)
>>> pcb = StripLayer(3.2e-3, 25e9, 0.18, 16e-6, 50.0)
>>> sol = solve_strip([pcb, si], 0.215, nx=60)
>>> round(sol.curvature_per_m, 4), round(float(sol.force_N_per_m[1][0]), 0)
(0.238, 8780.0)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from skfem import (
    Basis,
    BilinearForm,
    ElementQuad2,
    ElementVector,
    LinearForm,
    MeshQuad,
    asm,
    condense,
    solve,
)
from skfem.helpers import ddot, div, sym_grad, trace

_GAUSS_Z = (0.5 - np.sqrt(0.15), 0.5, 0.5 + np.sqrt(0.15))  # 3-point Gauss on [0, 1]
_GAUSS_W = (5 / 18, 8 / 18, 5 / 18)
_PROBE = np.array([0.0, 1.0, *_GAUSS_Z])  # reference coordinates probed along both axes


@dataclass(frozen=True)
class StripLayer:
    """One layer of the strip, SI units; ``dT_K`` is a constant or a function of x (metres)."""

    thickness_m: float
    E_Pa: float
    nu: float
    alpha_per_K: float
    dT_K: Callable[[np.ndarray], np.ndarray] | float


@dataclass(frozen=True)
class StripSolution:
    """Sections at ``x_m`` (0 ... L/2): per-layer force, bottom deflection, interlayer shear."""

    x_m: np.ndarray
    force_N_per_m: list[np.ndarray]
    w_m: np.ndarray
    curvature_per_m: float
    shear_Pa: np.ndarray | None


def _temperature(layer: StripLayer, x_m: np.ndarray) -> np.ndarray:
    if callable(layer.dT_K):
        return np.broadcast_to(np.asarray(layer.dT_K(x_m), dtype=float), x_m.shape)
    return np.full(x_m.shape, float(layer.dT_K))


@BilinearForm
def _stiffness(u, v, w):
    eu, ev = sym_grad(u), sym_grad(v)
    return 2.0 * w.mu * ddot(eu, ev) + w.lam * trace(eu) * trace(ev)


@LinearForm
def _thermal_load(v, w):
    return w.beta_dT * div(v)


def solve_strip(
    layers: Sequence[StripLayer],
    length_m: float,
    *,
    nx: int = 300,
    nz_per_layer: int = 4,
    grading: float = 1.5,
) -> StripSolution:
    """Solve the plane-stress strip on its symmetry half; layers are listed bottom to top.

    Columns sit at x = (L/2) (1 - (1 - s)^grading) for s uniform in [0, 1], so ``grading`` > 1
    refines toward the free end (1 is a uniform mesh).

    >>> layer = StripLayer(1e-3, 100e9, 0.3, 1e-5, 10.0)   # one free layer: no stress, no bending
    >>> sol = solve_strip([layer], 0.02, nx=10)
    >>> abs(sol.curvature_per_m) < 1e-9, float(np.abs(sol.force_N_per_m[0]).max()) < 1e-3
    (True, True)
    """
    if not layers or length_m <= 0 or nx < 1 or nz_per_layer < 1 or grading < 1:
        raise ValueError("need >= 1 layer, length_m > 0, nx >= 1, nz_per_layer >= 1, grading >= 1")
    half = 0.5 * length_m
    xs = half * (1.0 - (1.0 - np.linspace(0.0, 1.0, nx + 1)) ** grading)
    xs[0], xs[-1] = 0.0, half
    z_if = np.concatenate([[0.0], np.cumsum([ly.thickness_m for ly in layers])])
    zs = np.unique(np.concatenate(
        [np.linspace(z_if[i], z_if[i + 1], nz_per_layer + 1) for i in range(len(layers))]))
    mesh = MeshQuad.init_tensor(xs, zs)
    basis = Basis(mesh, ElementVector(ElementQuad2()), intorder=4)

    # Element geometry: column index, layer index, size.
    pe = mesh.p[:, mesh.t]                        # (2, 4, nelems)
    lo, hi = pe.min(axis=1), pe.max(axis=1)
    col = np.searchsorted(xs, lo[0] + 1e-3 * (hi[0] - lo[0])) - 1
    lay = np.searchsorted(z_if, 0.5 * (lo[1] + hi[1])) - 1
    E = np.array([ly.E_Pa for ly in layers])[lay]
    nu = np.array([ly.nu for ly in layers])[lay]
    alpha = np.array([ly.alpha_per_K for ly in layers])[lay]
    mu = E / (2.0 * (1.0 + nu))
    lam = E * nu / ((1.0 + nu) * (1.0 - 2.0 * nu))
    lam = 2.0 * lam * mu / (lam + 2.0 * mu)       # plane stress
    beta = E / (1.0 - nu) * alpha                 # thermal stress per kelvin

    def beta_dT_at(b: Basis) -> np.ndarray:
        x = b.mapping.F(b.X)[0]                   # (nelems, nqp)
        dT = np.empty_like(x)
        for i, layer in enumerate(layers):
            dT[lay == i] = _temperature(layer, x[lay == i])
        return beta[:, None] * dT

    nqp = basis.X.shape[1]
    K = asm(_stiffness, basis, mu=np.repeat(mu[:, None], nqp, 1), lam=np.repeat(lam[:, None], nqp, 1))
    f = asm(_thermal_load, basis, beta_dT=beta_dT_at(basis))
    fixed = basis.get_dofs(lambda x: np.isclose(x[0], 0.0)).all("u^1")
    origin = np.flatnonzero(np.isclose(mesh.p[0], 0.0) & np.isclose(mesh.p[1], 0.0))
    fixed = np.concatenate([fixed, basis.nodal_dofs[1, origin]])
    u = solve(*condense(K, f, D=fixed))

    # Stresses at probe points: a symmetric tensor grid, so the reference-axis orientation of the
    # mesh does not matter; each point is classified by its fractional position in the element.
    X = np.array(np.meshgrid(_PROBE, _PROBE, indexing="ij")).reshape(2, -1)
    probe = Basis(mesh, basis.elem, quadrature=(X, np.ones(X.shape[1])))
    grad = probe.interpolate(u).grad              # (2, 2, nelems, nprobe)
    xq = probe.mapping.F(probe.X)              # (2, nelems, nprobe)
    frac = (xq - lo[:, :, None]) / (hi - lo)[:, :, None]
    exx, ezz = grad[0, 0], grad[1, 1]
    sxx = (2.0 * mu + lam)[:, None] * exx + lam[:, None] * ezz - beta_dT_at(probe)
    sxz = mu[:, None] * (grad[0, 1] + grad[1, 0])
    dz = (hi - lo)[1]

    def at_columns(values: np.ndarray, weight: np.ndarray, elems: np.ndarray) -> np.ndarray:
        """Sum weight * values over elems on each column's left edge (and the last right edge)."""
        out = np.zeros(nx + 1)
        for edge, shift in ((0.0, 0), (1.0, 1)):
            on = np.isclose(frac[0], edge)[elems] * weight[elems]
            keep = (col[elems] + shift == nx) if shift else np.ones(elems.size, bool)
            np.add.at(out, col[elems][keep] + shift, (on * values[elems]).sum(1)[keep])
        return out

    gauss_w = np.zeros_like(frac[1])
    for g, wg in zip(_GAUSS_Z, _GAUSS_W, strict=True):
        gauss_w[np.isclose(frac[1], g)] = wg
    gauss_w *= dz[:, None]
    forces = [at_columns(sxx, gauss_w, np.flatnonzero(lay == i)) for i in range(len(layers))]

    shear = None
    if len(layers) >= 3:
        k = 1 + int(np.argmin([ly.E_Pa for ly in layers[1:-1]]))
        z_mid = 0.5 * (z_if[k] + z_if[k + 1])
        at_mid = np.isclose(xq[1], z_mid, rtol=0.0, atol=1e-9 * z_if[-1])
        elems = np.flatnonzero((lay == k) & at_mid.any(axis=1))
        count = at_columns(np.ones_like(sxz), at_mid.astype(float), elems)
        shear = at_columns(sxz, at_mid.astype(float), elems) / count

    bottom = np.flatnonzero(np.isclose(mesh.p[1], 0.0))
    bottom = bottom[np.argsort(mesh.p[0, bottom])]
    w = u[basis.nodal_dofs[1, bottom]]
    w = w - w[0]
    fit = xs < 0.25 * length_m
    A = np.column_stack([np.ones(fit.sum()), 0.5 * xs[fit] ** 2])
    (_, kappa), *_ = np.linalg.lstsq(A, w[fit], rcond=None)
    return StripSolution(xs, forces, w, float(kappa), shear)
