"""A fast-diagonalization preconditioner for the plate/membrane system.

Every stiffness block is a sum of Kronecker products of 1D matrices, and within a laminate the
coefficients are constant. In the basis of the generalized eigenvectors of the 1D pairs
(K1, M0) of the linear space and (K2, M0) of the Hermite space, the dominant terms become
diagonal: u_x^2 + u_y^2 terms of the membranes, w_xx^2 + w_yy^2 of the plates (with the twist
term approximated by the diagonal of K1 in that basis, its Rayleigh quotient), and every spring
"mass" term exactly. What is left out is the coupling between u and v (Poisson and shear
cross-terms), between membranes and bending (B matrices, spring moment arms). So the
preconditioner is, mode by mode, a small (laminates x laminates) matrix per field, inverted
once; applying it costs two dense transforms per field each way (BLAS), O(n^3) for n x n nodes,
in double or (``dtype=np.float32``, for large meshes) single precision.

Rigid-body modes (u, v translation, w lift and tilt) are zero modes of the preconditioner too
(the 1D null spaces are rotated so that they are exactly the constant and linear functions), and
are given zero weight (a pseudo-inverse).

Example
-------
>>> import numpy as np
>>> from wafersolve.mechanics.fem1d import Mesh1D
>>> b = Basis1D.build(Mesh1D(np.linspace(0.0, 1.0, 5)), "H")
>>> b.V.shape, bool(np.allclose(b.lam[:2], 0.0))
((10, 10), True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla

from .assemble import Layout, interface_strains
from .fem1d import Mesh1D
from .model import MechModel


@dataclass(frozen=True, eq=False)
class Basis1D:
    """Generalized eigenvectors ``V`` (M0-orthonormal) of a 1D space with eigenvalues ``lam``
    (of K1 for "L", K2 for "H") and ``mu`` = diag(V^T K1 V)."""

    V: np.ndarray
    lam: np.ndarray
    mu: np.ndarray

    @classmethod
    def build(cls, mesh: Mesh1D, space: str) -> Basis1D:
        M0 = mesh.matrix(space, 0, space, 0).toarray()
        K1 = mesh.matrix(space, 1, space, 1).toarray()
        K = K1 if space == "L" else mesh.matrix(space, 2, space, 2).toarray()
        lam, V = sla.eigh(K, M0)
        # The null space is known exactly: constants for K1 of "L", constants and linear
        # functions for K2 of "H" (its eigenvalues come out ~1e-16 x the largest, while the
        # first true mode of a fine mesh can be below 1e-11 x the largest: no threshold).
        null = np.arange(1 if space == "L" else 2)
        if null.size > 1:  # rotate the null space so that K1 is diagonal on it
            sub = V[:, null]
            mu_sub, R = np.linalg.eigh(sub.T @ K1 @ sub)
            V[:, null] = sub @ R
        lam[null] = 0.0
        mu = np.einsum("ij,ij->j", V, K1 @ V)
        if space == "L":
            mu = lam.copy()
        mu[0] = 0.0  # the constant function (first after the rotation): exactly no slope
        return cls(V, lam, mu)


class FastDiagonalPreconditioner:
    """z = P^+ r for the mechanics system of ``model`` with dof ``layout`` (see module doc)."""

    def __init__(self, model: MechModel, layout: Layout, dtype=np.float64):
        self.model, self.layout = model, layout
        self.dtype = np.dtype(dtype)
        self.bx = {s: Basis1D.build(model.mesh_x, s) for s in ("L", "H")}
        self.by = {s: Basis1D.build(model.mesh_y, s) for s in ("L", "H")}
        n = len(model.laminates)
        Lx, Ly = self.bx["L"], self.by["L"]
        Hx, Hy = self.bx["H"], self.by["H"]
        lxL, lyL = Lx.lam[None, :], Ly.lam[:, None]
        shape_L = (Ly.lam.size, Lx.lam.size)
        shape_H = (Hy.lam.size, Hx.lam.size)
        Pu = np.zeros((*shape_L, n, n))
        Pv = np.zeros((*shape_L, n, n))
        Pw = np.zeros((*shape_H, n, n))
        for i, lam in enumerate(model.laminates):
            A11, A12, A22, A66 = lam.A
            D11, D12, D22, D66 = lam.D
            Pu[..., i, i] += A11 * lxL + A66 * lyL
            Pv[..., i, i] += A22 * lyL + A66 * lxL
            Pw[..., i, i] += (D11 * Hx.lam[None, :] + D22 * Hy.lam[:, None]
                              + (2 * D12 + 4 * D66) * Hy.mu[:, None] * Hx.mu[None, :])
        for k, spring in enumerate(model.springs):
            a, b = spring.lower, spring.upper
            ks, kn = spring.k_shear_Pa_per_m, spring.k_normal_Pa_per_m
            gx, _gy, _gap = interface_strains(model, k)
            c = {op.lam: coef for coef, op in gx if op.field == "w"}  # moment-arm coefficients
            for P in (Pu, Pv):
                P[..., a, a] += ks
                P[..., b, b] += ks
                P[..., a, b] -= ks
                P[..., b, a] -= ks
            slope = Hx.mu[None, :] + Hy.mu[:, None]  # w_x^2 + w_y^2 (diagonal approximation)
            Pw[..., a, a] += kn + ks * c[a] ** 2 * slope
            Pw[..., b, b] += kn + ks * c[b] ** 2 * slope
            Pw[..., a, b] += -kn + ks * c[a] * c[b] * slope
            Pw[..., b, a] += -kn + ks * c[a] * c[b] * slope
        # (laminate i, laminate j) -> (y modes, x modes) contiguous arrays of the inverse
        dt = self.dtype
        self.inv = {f: [[np.ascontiguousarray(P[..., i, j], dtype=dt) for j in range(n)]
                        for i in range(n)]
                    for f, P in (("u", _pinv(Pu)), ("v", _pinv(Pv)), ("w", _pinv(Pw)))}
        self.V = {(axis, s): np.ascontiguousarray(b[s].V, dtype=dt)
                  for axis, b in (("x", self.bx), ("y", self.by)) for s in ("L", "H")}

    def __call__(self, r: np.ndarray) -> np.ndarray:
        lay = self.layout
        z = np.empty_like(r)
        n = lay.n_laminates
        dt = self.dtype
        for field in ("u", "v", "w"):
            s = "H" if field == "w" else "L"
            Vx, Vy = self.V[("x", s)], self.V[("y", s)]
            inv = self.inv[field]
            hat = [Vy.T @ lay.view(r, field, j).astype(dt) @ Vx for j in range(n)]
            for i in range(n):
                sol = inv[i][0] * hat[0]
                for j in range(1, n):
                    sol += inv[i][j] * hat[j]
                lay.view(z, field, i)[...] = Vy @ sol @ Vx.T
        return z


def _pinv(P: np.ndarray) -> np.ndarray:
    """Stacked pseudo-inverses of small symmetric matrices (zero modes get zero weight)."""
    w, U = np.linalg.eigh(P)
    top = max(float(np.abs(w).max()), 1e-300)  # one scale for all modes: a zero mode is zero
    inv_w = np.where(w > 1e-13 * top, 1.0 / np.where(w == 0, 1.0, w), 0.0)
    return np.einsum("...ik,...k,...jk->...ij", U, inv_w, U)
