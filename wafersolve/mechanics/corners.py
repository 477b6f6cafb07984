"""Exact solves of the plate (w-w) block on small patches at the four corners of the wafer.

The fast diagonalization's worst plate modes are twist modes at the corners, where two free
edges meet; :class:`CornerCorrection` solves them exactly before and after the preconditioner's
own w solve (symmetric multiplicative Schwarz).
"""

from __future__ import annotations

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp

from .assemble import Workspace, _Terms
from .fem1d import Mesh1D


class CornerCorrection:
    """Exact solves of the plate (w-w) block on small patches at the four corners, applied before
    and after another w solve ``B`` (symmetric multiplicative Schwarz: C, B, C).

    The fast diagonalization approximates the twist terms, and its worst modes are twist modes
    localized at the corners, where two free edges meet: on a free plate of 40 x 40 cells the
    eigenvalues of B K_ww span 0.56-3.49, the top eight of them at the corners, the rest below
    1.9. Each patch is ``nodes`` x ``nodes`` nodes at a corner with all laminates' w dofs; its
    stiffness is the Kronecker sum of the 1D matrices of the p + 1 cells next to it (which hold
    every cell of the patch nodes, so those rows are K_ww's own). Exact patch solves keep the
    combination symmetric positive semi-definite whatever B is (2C - CKC and
    (I - CK) B (I - KC) both are). Measured: 40 x 40 free plate, spectrum 0.56-1.48 with 5-node
    patches (condition 6.3 -> 2.6); the full stack's CG iterations 19 -> 14 at 108 x 108 and
    23 -> 18 at 430 x 430 (8 nodes), for ~3 ms per application and ~0.15 s of set-up.
    """

    #: patch size in nodes: 8 from 300 nodes a side, 6 below (measured on the wse3 stack: 6
    #: and 8 give the same iterations at 108² and 215², 8 saves one at 430², and the set-up of
    #: a patch grows as its size to the sixth power)
    NODES = 8
    NODES_SMALL = 6
    REUSE_MIRRORED = True  # derive mirrored corners' matrices from the first (tests turn it off)

    def __init__(self, terms: _Terms, nodes: int | None = None):
        model, lay = terms.model, terms.layout
        ny, nx = model.shape_nodes
        if nodes is None:
            nodes = self.NODES if min(ny, nx) >= 300 else self.NODES_SMALL
        p = min(nodes, (min(ny, nx) - 2) // 2 - 2)  # regions of opposite corners stay apart
        self.patches: list[tuple] = []
        self.work = Workspace()
        if p < 2:
            return
        n2y, n2x = lay.shape("w")
        nl = lay.n_laminates
        ww = [(l1, l2, ky, kx, c) for (f1, l1, f2, l2, ky, kx), c in terms.terms.items()
              if f1 == "w" and f2 == "w"]
        reg, pat = 2 * (p + 2), 2 * p  # dofs per axis: region (patch + 2 nodes), patch
        # A corner whose cells mirror those of the first corner (a symmetric mesh) reuses its
        # matrices: a reflection reverses the nodes and negates the slopes
        ends = {ax: bool(np.allclose(m.h_m[:p + 1], m.h_m[::-1][:p + 1], rtol=1e-12, atol=0))
                for ax, m in (("y", model.mesh_y), ("x", model.mesh_x))}
        r = np.arange(reg)
        flip = 2 * (p + 1 - r // 2) + r % 2  # local dof -> its mirror image's
        sign = np.where(r % 2 == 1, -1.0, 1.0)
        grid = np.arange(nl * reg * reg).reshape(nl, reg, reg)
        first = None
        for ylow in (True, False):
            for xlow in (True, False):
                ry = slice(0, reg) if ylow else slice(n2y - reg, n2y)
                rx = slice(0, reg) if xlow else slice(n2x - reg, n2x)
                py = slice(0, pat) if ylow else slice(n2y - pat, n2y)
                px = slice(0, pat) if xlow else slice(n2x - pat, n2x)
                inside = np.zeros((nl, reg, reg), dtype=bool)
                inside[:, (py.start - ry.start):(py.stop - ry.start),
                       (px.start - rx.start):(px.stop - rx.start)] = True
                pi = np.flatnonzero(inside.ravel())
                if (first is not None and self.REUSE_MIRRORED and (ylow or ends["y"])
                        and (xlow or ends["x"])):
                    A_rp0, inv0, pi0 = first
                    fy = r if ylow else flip
                    fx = r if xlow else flip
                    perm = grid[:, fy, :][:, :, fx].ravel()
                    sg = ((sign if not ylow else np.ones(reg))[:, None]
                          * (sign if not xlow else np.ones(reg))[None, :])
                    sg = np.broadcast_to(sg, (nl, reg, reg)).ravel()
                    q = np.searchsorted(pi0, perm[pi])
                    A_rp = (sp.diags(sg) @ A_rp0[perm][:, q] @ sp.diags(sg[pi])).tocsr()
                    inv = inv0[np.ix_(q, q)] * sg[pi][:, None] * sg[pi][None, :]
                else:
                    # the region's nodes and the p + 1 cells between them, which hold every
                    # cell of the patch nodes: those rows of K_ww are complete
                    ny_ = model.mesh_y.nodes_m[:p + 2] if ylow else model.mesh_y.nodes_m[-p - 2:]
                    nx_ = model.mesh_x.nodes_m[:p + 2] if xlow else model.mesh_x.nodes_m[-p - 2:]
                    A_loc = _plate_block(ww, nl, Mesh1D(ny_), Mesh1D(nx_))
                    # a principal block of the positive semi-definite K_ww that holds no rigid
                    # mode (those move the whole plate): positive definite
                    inv = _spd_inverse(A_loc[np.ix_(pi, pi)])
                    A_rp = sp.csr_matrix(A_loc[:, pi])
                    if first is None:
                        first = (A_rp, inv, pi)
                self.patches.append((ry, rx, py, px, A_rp, inv))

    def apply(self, rhs: list[np.ndarray], z: list[np.ndarray], solve, dtype=np.float64) -> None:
        """z = (C, B, C) applied to ``rhs`` (per laminate, the w dof arrays); ``solve(rhs)``
        writes B rhs into ``z`` (B's right-hand side is handed over in ``dtype``)."""
        r1 = []
        for j, a in enumerate(rhs):
            r1.append(self.work.get(("r1", j), a.shape, dtype))
            np.copyto(r1[-1], a)
        first = []
        for ry, rx, py, px, A_rp, inv in self.patches:
            zp = inv @ np.concatenate([a[py, px].ravel() for a in rhs])
            d = (A_rp @ zp).reshape(len(rhs), ry.stop - ry.start, rx.stop - rx.start)
            for a, da in zip(r1, d, strict=True):
                a[ry, rx] -= da
            first.append(zp)
        solve(r1)
        for (_ry, _rx, py, px, _A, _inv), zp in zip(self.patches, first, strict=True):
            self._add(z, py, px, zp)
        for ry, rx, py, px, A_rp, inv in self.patches:
            zr = np.concatenate([a[ry, rx].ravel() for a in z])
            rp = np.concatenate([a[py, px].ravel() for a in rhs]) - A_rp.T @ zr
            self._add(z, py, px, inv @ rp)

    @staticmethod
    def _add(z: list[np.ndarray], py: slice, px: slice, v: np.ndarray) -> None:
        v = v.reshape(len(z), py.stop - py.start, px.stop - px.start)
        for a, va in zip(z, v, strict=True):
            a[py, px] += va


def _plate_block(ww: list[tuple], nl: int, mesh_y: Mesh1D, mesh_x: Mesh1D) -> np.ndarray:
    """The dense w-w stiffness of all laminates on a small mesh (laminate, y dof, x dof order)
    from the terms ``ww`` = [(l1, l2, y key, x key, coefficient)]."""
    m = 4 * mesh_y.n_nodes * mesh_x.n_nodes
    A = np.zeros((nl * m, nl * m))
    for l1, l2, ky, kx, c in ww:
        A[l1 * m:(l1 + 1) * m, l2 * m:(l2 + 1) * m] += c * np.kron(
            mesh_y.matrix(*ky).toarray(), mesh_x.matrix(*kx).toarray())
    return A


def _spd_inverse(A: np.ndarray) -> np.ndarray:
    """The inverse of a symmetric positive definite matrix, from its Cholesky factor (half the
    flops of an LU inverse), symmetric to the last bit."""
    c, info = sla.lapack.dpotrf(A, lower=True)
    if info == 0:
        c, info = sla.lapack.dpotri(c, lower=True)
    if info != 0:
        raise np.linalg.LinAlgError(f"patch stiffness is not positive definite (LAPACK {info})")
    low = np.tril(c)
    return low + np.tril(low, -1).T
