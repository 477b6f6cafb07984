"""Exact solves along y of one field's block after its transform along x (line solves).

After the x transform of :class:`.precond.Basis1D`, each x mode of a field's own block leaves a
system along y that is block tridiagonal, one (laminates x dofs per node) block per node. This
module builds those systems from the operator's terms, factors them once and solves them for
all modes at once with the compiled kernels ``btd_factor`` and ``btd_solve``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .._kernels import _kron
from ..errors import SolverError
from .assemble import Workspace, _Terms

if TYPE_CHECKING:
    from .precond import Basis1D


class LineSolves:
    """Exact solves along y of one field's block (all laminates), x mode by x mode.

    In the x basis of :class:`Basis1D` every x factor of the block's terms is diagonal (M0, and
    K1 or K2 of the pencil) or is replaced by its diagonal (the Hermite space's K1, and
    ∫ w_xx w_yy, which becomes the twist integral with the same diagonal: a positive
    definite choice). So each x mode k leaves one system along y, block tridiagonal with one
    block per node (laminates x dofs per node): sum_t c_t d_t[k] Ky_t, factored once
    (:func:`wafersolve._kernels._kron.btd_factor`) and solved in place for all modes at once
    (:func:`~wafersolve._kernels._kron.btd_solve`). For the membranes (L space) this is the same
    inverse as the diagonalization along y; for the plates it is exact along y. It replaces the
    y transforms (dense, O(n^3)) by O(n^2) line solves. The x modes that are rigid motions
    (constants, and linear functions of the H space) can leave singular y systems: they are
    ``null_modes`` (per x block, local columns), factored as identities and solved by the
    caller.
    """

    CHUNK = 64  # x modes factored together (and solved together: their columns share cache)
    MAX_BLOCK = 16  # unknowns per node that btd_solve takes (laminates x dofs per node)

    @classmethod
    def fits(cls, n_laminates: int, field: str) -> bool:
        """Whether a field's line systems (one block per node) fit the compiled solve."""
        return n_laminates * (2 if field == "w" else 1) <= cls.MAX_BLOCK

    def __init__(self, terms: _Terms, field: str, bx: Basis1D, dtype):
        model, lay = terms.model, terms.layout
        sp_ = "H" if field == "w" else "L"
        stride = 2 if sp_ == "H" else 1
        mesh_y = model.mesh_y
        nl = lay.n_laminates
        nn = mesh_y.n_nodes
        self.stride, self.b = stride, nl * stride
        diag = {(sp_, 0, sp_, 0): np.ones_like(bx.lam)}
        if sp_ == "L":
            diag[("L", 1, "L", 1)] = bx.lam
        else:
            diag.update({("H", 2, "H", 2): bx.lam, ("H", 1, "H", 1): bx.mu,
                         ("H", 2, "H", 0): -bx.mu, ("H", 0, "H", 2): -bx.mu})
        swap = {("H", 2, "H", 0), ("H", 0, "H", 2)}  # ∫ psi'' psi -> -∫ psi' psi' along y too
        blocks = {}
        for (f1, l1, f2, l2, ky, kx), c in terms.terms.items():
            if f1 != field or f2 != field:
                continue
            if kx not in diag:
                raise ValueError(f"no diagonal for the x factor {kx} of field {field}")
            if ky in swap:
                ky, c = ("H", 1, "H", 1), -c
            by_key = blocks.setdefault((l1, l2, ky), {})
            by_key[kx] = by_key.get(kx, 0.0) + c
        # per laminate pair (l1, l2): the terms' node blocks of the y factor (diagonal
        # (nodes, s, s), sub-diagonal A[j, j-1], one on a uniform mesh) as one
        # (nodes s s, terms) matrix, and their x-mode weights sum_kx c d_kx (terms, modes), so
        # a chunk's blocks are one product
        self.uniform = uniform = bool(np.all(mesh_y.h_m == mesh_y.h_m[0]))
        j = np.arange(nn)
        pairs: dict[tuple, list] = {}
        for (l1, l2, ky), per_kx in blocks.items():
            Kb = mesh_y.matrix(*ky).toarray().reshape(nn, stride, nn, stride)
            dblk = Kb[j, :, j, :]
            sblk = Kb[j[1:2], :, j[0:1], :] if uniform else np.concatenate(
                [np.zeros_like(dblk[:1]), Kb[j[1:], :, j[1:] - 1, :]])
            weights = sum(c * diag[kx] for kx, c in per_kx.items())
            pairs.setdefault((l1, l2), []).append((dblk, sblk, weights))
        self.pairs = [(l1, l2, np.stack([d.ravel() for d, _s, _w in t], axis=1),
                       np.stack([sb.ravel() for _d, sb, _w in t], axis=1),
                       np.stack([w for _d, _s, w in t])) for (l1, l2), t in pairs.items()]
        self.work = Workspace()  # the chunks' blocks (fresh memory is slow to fault in)
        self.null_modes = []
        self.factors = []  # per x block: [(first column, packed factor, sub-diagonal blocks)]
        for sl in bx.block_slices:
            lam = bx.lam[sl]
            null = np.flatnonzero(lam == 0.0)
            self.null_modes.append(null)
            chunks = []
            for k0 in range(0, lam.size, self.CHUNK):
                k1 = min(k0 + self.CHUNK, lam.size)
                chunks.append((k0, *self._factor(sl.start + k0, sl.start + k1,
                                                 null[(null >= k0) & (null < k1)] - k0, nn,
                                                 dtype)))
            self.factors.append(chunks)
        self.work = None  # the chunks' blocks are not needed once factored

    def _factor(self, g0: int, g1: int, null: np.ndarray, nn: int, dtype):
        b, s = self.b, self.stride
        m = g1 - g0
        na = 1 if self.uniform else nn
        Ad = self.work.get(("Ad", m), (nn, b, b, m))
        As = self.work.get(("As", m), (na, b, b, m))
        Ad[...] = 0.0
        As[...] = 0.0
        for l1, l2, dmat, smat, weights in self.pairs:
            w = weights[:, g0:g1]
            Ad[:, l1 * s:(l1 + 1) * s, l2 * s:(l2 + 1) * s, :] = (dmat @ w).reshape(nn, s, s, m)
            As[:, l1 * s:(l1 + 1) * s, l2 * s:(l2 + 1) * s, :] = (smat @ w).reshape(na, s, s, m)
        if null.size:  # rigid x modes: identities here, solved by the caller
            Ad[:, :, :, null] = np.eye(b)[None, :, :, None]
            As[:, :, :, null] = 0.0
        Lpk = np.empty((nn, b * (b + 1) // 2, m), dtype=dtype)
        bad = _kron.btd_factor(Ad, As, Lpk)
        if bad:  # positive stiffness and springs make them definite: a broken model
            raise SolverError(f"mechanics preconditioner: {bad} pivots of the line systems along "
                              "y are not positive (a layer without stiffness?); internal error")
        return Lpk, np.array(As, dtype=dtype)  # a copy: the buffer serves the next chunk

    def solve(self, jx: int, T: list[np.ndarray]) -> None:
        """Solve, in place, the systems of x block ``jx`` for the columns of ``T`` (per laminate,
        (y dofs, x modes of that block))."""
        for k0, Lpk, As in self.factors[jx]:
            _kron.btd_solve(T, self.stride, Lpk, As, k0)
