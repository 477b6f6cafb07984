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
in double or (``dtype=np.float32``, for large meshes) single precision. On a mesh that is its
own mirror image (the usual case: a uniform wafer grid) the 1D eigenvectors are even or odd, so
each transform is a fold plus two dense products of half the size: half the flops.

Given the operator's terms, only the x direction is transformed: each x mode then leaves a
block-tridiagonal system along y (one block of laminates x dofs per node), which is factored once
and solved exactly (:class:`LineSolves`). That is the same inverse for the membranes, a better
one for the plates (their twist terms are exact along y), and O(n^2) line solves instead of the
O(n^3) y transforms: on the 430 x 430 wafer stack, 16 CG iterations instead of 18 and ~30 %
less time per application.

Given the operator's terms, the membranes are then coupled back by a symmetric block
Gauss-Seidel sweep (u, v, u, v, u): each field's own block is solved exactly by the
diagonalization, and the u-v cross terms are applied matrix-free between the solves
(:class:`.assemble.FieldCoupling`). That cuts the CG iterations of a free stack by ~40 %. The
plate block's worst modes, twist modes at the four corners, are solved exactly on small corner
patches before and after its transforms (:class:`CornerCorrection`): ~20 % fewer iterations.

Rigid-body modes (u, v translation, w lift and tilt) are zero modes of the preconditioner too
(the 1D null spaces are rotated so that they are exactly the constant and linear functions), and
are given zero weight (a pseudo-inverse).

Example
-------
>>> import numpy as np
>>> from wafersolve.mechanics.fem1d import Mesh1D
>>> b = Basis1D.build(Mesh1D(np.linspace(0.0, 1.0, 5)), "H")   # symmetric: even and odd
>>> b.We.shape, b.Wo.shape, int(np.sum(b.lam == 0.0))            # modes; constant and linear
((5, 5), (5, 5), 2)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla

from .._kernels import _kron
from .assemble import FieldCoupling, Layout, Workspace, _Terms, interface_strains
from .corners import CornerCorrection
from .fem1d import Mesh1D
from .lines import LineSolves
from .model import MechModel

__all__ = ["Basis1D", "CornerCorrection", "FastDiagonalPreconditioner", "LineSolves",
           "mirror_symmetric"]


def mirror_symmetric(mesh: Mesh1D) -> bool:
    """True when the mesh is its own mirror image about its centre (to round-off)."""
    x = mesh.nodes_m
    return bool(np.allclose(x + x[::-1], x[0] + x[-1], rtol=0,
                            atol=1e-12 * max(float(x[-1] - x[0]), 1e-300)))


@dataclass(frozen=True, eq=False)
class Basis1D:
    """Generalized eigenvectors (M0-orthonormal) of a 1D space with eigenvalues ``lam`` (of K1
    for "L", K2 for "H") and ``mu`` = diag(V^T K1 V).

    On a mirror-symmetric mesh the 1D matrices commute with the reflection (node order reversed,
    slopes negated), so the eigenvectors split into even and odd ones: ``V = [Qe We, Qo Wo]``,
    with ``Qe``, ``Qo`` the orthonormal fold onto the even and odd subspaces and ``We``, ``Wo``
    dense of half the size. Each transform then costs half the flops of a dense ``V`` (and the
    eigenproblems an eighth). ``We`` is None on a mesh that is not symmetric; ``V`` is then the
    dense basis.
    """

    space: str
    lam: np.ndarray
    mu: np.ndarray
    V: np.ndarray | None = None
    We: np.ndarray | None = None
    Wo: np.ndarray | None = None

    @property
    def stride(self) -> int:
        return 1 if self.space == "L" else 2

    @classmethod
    def build(cls, mesh: Mesh1D, space: str, *, split: bool | None = None) -> Basis1D:
        M0 = mesh.matrix(space, 0, space, 0).toarray()
        K1 = mesh.matrix(space, 1, space, 1).toarray()
        K = K1 if space == "L" else mesh.matrix(space, 2, space, 2).toarray()
        split = mirror_symmetric(mesh) if split is None else split
        s = 1 if space == "L" else 2
        if split:
            halves = {name: _fold_both(A, s) for name, A in (("K", K), ("M", M0), ("K1", K1))}
            le, We = sla.eigh(halves["K"][0], halves["M"][0])
            lo, Wo = sla.eigh(halves["K"][1], halves["M"][1])
            lam = np.concatenate([le, lo])
            V = None  # the transforms use the fold and the two halves
            # the null space: the constant is even (first even mode), the linear function odd
            null = [0] if space == "L" else [0, le.size]
            lam[null] = 0.0
            mu = lam.copy() if space == "L" else np.concatenate(
                [np.einsum("ij,ij->j", W, K1h @ W) for W, K1h in zip((We, Wo), halves["K1"],
                                                                     strict=True)])
        else:
            lam, V = sla.eigh(K, M0)
            null = list(range(1 if space == "L" else 2))
            We = Wo = None
            # The null space is known exactly: constants for K1 of "L", constants and linear
            # functions for K2 of "H" (eigenvalues ~1e-16 x the largest, while the first true
            # mode of a fine mesh can be below 1e-11 x the largest: no threshold). Rotate it so
            # that K1 is diagonal on it.
            if len(null) > 1:
                sub = V[:, null]
                _mu, R = np.linalg.eigh(sub.T @ K1 @ sub)
                V[:, null] = sub @ R
            lam[null] = 0.0
            mu = lam.copy() if space == "L" else np.einsum("ij,ij->j", V, K1 @ V)
        mu[null[0]] = 0.0  # the constant function: exactly no slope
        return cls(space, lam, mu, V=V, We=We, Wo=Wo)

    def with_dtype(self, dtype) -> Basis1D:
        def cast(a):
            return None if a is None else np.ascontiguousarray(a, dtype=dtype)

        return Basis1D(self.space, self.lam, self.mu, V=cast(self.V) if self.We is None else None,
                       We=cast(self.We), Wo=cast(self.Wo))

    # -- transforms, block by block: [V] (dense) or [We, Wo] (after the even/odd fold) ------
    @property
    def blocks(self) -> list[np.ndarray]:
        return [self.V] if self.We is None else [self.We, self.Wo]

    @property
    def block_slices(self) -> list[slice]:
        """Where each block's modes sit in ``lam`` and ``mu``."""
        if self.We is None:
            return [slice(0, self.lam.size)]
        ne = self.We.shape[1]
        return [slice(0, ne), slice(ne, self.lam.size)]

    # (``ws``, ``key``: a :class:`.assemble.Workspace` to take the outputs from, or None)
    def _out(self, ws, key, shape, dtype) -> np.ndarray:
        return np.empty(shape, dtype=dtype) if ws is None else ws.get(key, shape, dtype)

    def fold_last(self, R: np.ndarray, ws=None, key=None) -> list[np.ndarray]:
        """[R Qe, R Qo] (or [R] without the fold)."""
        if self.We is None:
            return [R]
        e = self._out(ws, (key, "e"), (R.shape[0], self.We.shape[0]), R.dtype)
        o = self._out(ws, (key, "o"), (R.shape[0], self.Wo.shape[0]), R.dtype)
        _kron.fold_last(R, self.stride, e, o)
        return [e, o]

    def fold_first(self, R: np.ndarray, ws=None, key=None) -> list[np.ndarray]:
        """[Qe^T R, Qo^T R] (or [R])."""
        if self.We is None:
            return [R]
        e = self._out(ws, (key, "e"), (self.We.shape[0], R.shape[1]), R.dtype)
        o = self._out(ws, (key, "o"), (self.Wo.shape[0], R.shape[1]), R.dtype)
        _kron.fold_first(R, self.stride, e, o)
        return [e, o]

    def unfold_last(self, parts: list[np.ndarray], ws=None, key=None) -> np.ndarray:
        """e Qe^T + o Qo^T: the transpose (and inverse) of :meth:`fold_last`."""
        if self.We is None:
            return parts[0]
        out = self._out(ws, key, (parts[0].shape[0], self.lam.size), parts[0].dtype)
        _kron.unfold_last(parts[0], parts[1], self.stride, out)
        return out

    def unfold_first(self, parts: list[np.ndarray], ws=None, key=None) -> np.ndarray:
        """Qe e + Qo o: the transpose (and inverse) of :meth:`fold_first`."""
        if self.We is None:
            return parts[0]
        out = self._out(ws, key, (self.lam.size, parts[0].shape[1]), parts[0].dtype)
        _kron.unfold_first(parts[0], parts[1], self.stride, out)
        return out


def _fold_both(A: np.ndarray, s: int) -> tuple[np.ndarray, np.ndarray]:
    """(Qe^T A Qe, Qo^T A Qo) of a dense symmetric 1D matrix that commutes with the reflection
    (its even-odd blocks vanish), by the O(n^2) folds."""
    n = A.shape[0] // s
    m = n // 2
    ne = m * s + (1 if n % 2 else 0)
    no = m * s + (1 if n % 2 and s == 2 else 0)
    e, o = np.empty((ne, A.shape[1])), np.empty((no, A.shape[1]))
    _kron.fold_first(np.ascontiguousarray(A), s, e, o)
    ee, eo = np.empty((ne, ne)), np.empty((ne, no))
    _kron.fold_last(e, s, ee, eo)
    oe, oo = np.empty((no, ne)), np.empty((no, no))
    _kron.fold_last(o, s, oe, oo)
    return ee, oo


class FastDiagonalPreconditioner:
    """z = P^+ r for the mechanics system of ``model`` with dof ``layout`` (see module doc).

    ``dtype``: precision of the transforms and line solves; ``terms``: the operator's terms
    (without them each field is diagonalized along both axes and the fields stay uncoupled);
    ``sweeps``: forward and backward u-v pairs of the membranes' Gauss-Seidel; ``lines``: solve
    along y exactly after the x transform (:class:`LineSolves`; needs ``terms``, and a field's
    block per node must fit the compiled solve: up to 16 laminates for the membranes, 8 for the
    plates) instead of transforming along y too.
    """

    def __init__(self, model: MechModel, layout: Layout, dtype=np.float64, *,
                 terms: _Terms | None = None, sweeps: int = 2, lines: bool = True):
        self.model, self.layout = model, layout
        self.dtype = np.dtype(dtype)
        self.work = Workspace()  # the transforms' buffers, reused by every call
        # Symmetric block Gauss-Seidel over the membranes (u, v, u, ... : ``sweeps`` forward and
        # backward pairs) with their coupling terms, when the operator's terms are given. The
        # u and v blocks are solved exactly by the fast diagonalization on a full rectangle; a
        # clipped outline makes them approximate, and then the fields stay uncoupled (block
        # Jacobi), which is safe with approximate blocks.
        self.sequence: tuple[str, ...] = ("u", "v")
        self.coupling: dict[tuple[str, str], FieldCoupling] = {}
        if terms is not None and sweeps > 0 and not model.clipped:
            self.sequence = ("u",) + ("v", "u") * sweeps
            self.coupling = {("u", "v"): FieldCoupling(terms, "u", "v"),
                             ("v", "u"): FieldCoupling(terms, "v", "u")}
        self.bx = {s: Basis1D.build(model.mesh_x, s) for s in ("L", "H")}
        same = (model.mesh_y.n_nodes == model.mesh_x.n_nodes
                and np.array_equal(model.mesh_y.nodes_m, model.mesh_x.nodes_m))
        self.by = self.bx if same else {s: Basis1D.build(model.mesh_y, s) for s in ("L", "H")}
        dt = self.dtype
        # Along y, each field's block is solved exactly, x mode by x mode (line solves), when
        # the operator's terms are given; else (and for the x modes that are rigid motions,
        # whose y systems can be singular) by the diagonalization along y too.
        # field -> {(y block, x block): the inverse mode matrices, (laminates, laminates,
        # y modes, x modes)}, built block by block in double precision (a block at a time keeps
        # the set-up's memory small: fresh memory is slow to fault in)
        self.lines: dict[str, LineSolves] = {}
        self.inv = {}
        for f in ("u", "v", "w"):
            s = "H" if f == "w" else "L"
            if terms is not None and lines and LineSolves.fits(layout.n_laminates, f):
                self.lines[f] = LineSolves(terms, f, self.bx[s], dt)
            self.inv[f] = {}
            for jy, sy in enumerate(self.by[s].block_slices):
                for jx, sx in enumerate(self.bx[s].block_slices):
                    if f in self.lines:  # only the rigid x modes go by the diagonalization
                        sx = self.lines[f].null_modes[jx] + sx.start
                        if sx.size == 0:
                            continue
                    P, rigid = self._mode_matrices(f, sy, sx)
                    inv = _pinv(P, rigid)
                    self.inv[f][(jy, jx)] = (inv if f in self.lines
                                             else np.ascontiguousarray(inv, dtype=dt))
        self.tx = {s: b.with_dtype(dt) for s, b in self.bx.items()}
        self.ty = self.tx if same else {s: b.with_dtype(dt) for s, b in self.by.items()}
        # The plate block's worst-approximated modes sit at the corners (where the twist terms
        # of two free edges meet): solve those patches exactly before and after the transforms.
        self.corners = (CornerCorrection(terms) if terms is not None and not model.clipped
                        and model.support_laminate is None else None)
        if self.corners is not None and not self.corners.patches:
            self.corners = None

    def _mode_matrices(self, field: str, sy: slice, sx: slice) -> tuple[np.ndarray, np.ndarray]:
        """The small (laminates x laminates) matrices of ``field`` for the y modes ``sy`` and x
        modes ``sx``, stored entry-major: P[i, j] is the (y modes, x modes) array of entry
        (laminate i, laminate j); and where no laminate has stiffness of its own (rigid-body
        modes of the 1D spaces: only there can the springs leave a matrix singular)."""
        model = self.model
        n = len(model.laminates)
        if field == "w":
            Hx, Hy = self.bx["H"], self.by["H"]
            lx, ly = Hx.lam[None, sx], Hy.lam[sy, None]
            mx, my = Hx.mu[None, sx], Hy.mu[sy, None]
        else:
            lx, ly = self.bx["L"].lam[None, sx], self.by["L"].lam[sy, None]
        P = np.zeros((n, n, ly.size, lx.size))
        for i, lam in enumerate(model.laminates):
            A11, _A12, A22, A66 = lam.A
            D11, D12, D22, D66 = lam.D
            if field == "u":
                P[i, i] += A11 * lx + A66 * ly
            elif field == "v":
                P[i, i] += A22 * ly + A66 * lx
            else:
                P[i, i] += D11 * lx + D22 * ly + (2 * D12 + 4 * D66) * my * mx
        rigid = P[0, 0] == 0.0
        for k, spring in enumerate(model.springs):
            a, b = spring.lower, spring.upper
            ks, kn = spring.k_shear_Pa_per_m, spring.k_normal_Pa_per_m
            if field != "w":
                P[a, a] += ks
                P[b, b] += ks
                P[a, b] -= ks
                P[b, a] -= ks
                continue
            gx, _gy, _gap = interface_strains(model, k)
            c = {op.lam: coef for coef, op in gx if op.field == "w"}  # moment-arm coefficients
            slope = mx + my  # w_x^2 + w_y^2 (diagonal approximation)
            P[a, a] += kn + ks * c[a] ** 2 * slope
            P[b, b] += kn + ks * c[b] ** 2 * slope
            P[a, b] += -kn + ks * c[a] * c[b] * slope
            P[b, a] += -kn + ks * c[a] * c[b] * slope
        return P, rigid

    def __call__(self, r: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """P^+ r, into ``out`` if given (a float64 vector not overlapping ``r``)."""
        lay = self.layout
        n = lay.n_laminates
        z = np.empty_like(r) if out is None else out
        rhs_w = [lay.view(r, "w", j) for j in range(n)]
        if self.corners is None:
            self._solve_field("w", rhs_w, z)
        else:
            self.corners.apply(rhs_w, [lay.view(z, "w", j) for j in range(n)],
                               lambda rhs: self._solve_field("w", rhs, z), self.dtype)
        done: set[str] = set()
        for f in self.sequence:
            g = "v" if f == "u" else "u"
            rhs = [lay.view(r, f, j) for j in range(n)]
            if g in done and self.coupling:  # the other field's latest correction enters
                rhs = [self._copy(("coupled", j), a) for j, a in enumerate(rhs)]
                self.coupling[(f, g)].subtract(z, rhs)
            self._solve_field(f, rhs, z)
            done.add(f)
        return z

    def _copy(self, key, a: np.ndarray, dtype=None) -> np.ndarray:
        """``a`` (as ``dtype``) in the workspace buffer ``key``."""
        buf = self.work.get(key, a.shape, a.dtype if dtype is None else dtype)
        np.copyto(buf, a)
        return buf

    def _solve_field(self, field: str, rhs: list[np.ndarray], z: np.ndarray) -> None:
        """z[field] = the fast-diagonalization solve of that field's block (all laminates)."""
        if field in self.lines:
            self._solve_lines(field, rhs, z)
            return
        lay = self.layout
        n = lay.n_laminates
        dt = self.dtype
        s = "H" if field == "w" else "L"
        bx, by = self.tx[s], self.ty[s]
        inv = self.inv[field]
        ws = self.work
        hat = {q: ws.get((s, "hat", q), (n, *a.shape[2:]), dt) for q, a in inv.items()}
        for j in range(n):
            R = rhs[j] if rhs[j].dtype == dt else self._copy((s, "rhs"), rhs[j], dt)
            self._forward(bx, by, R, hat, j, s)
        sol = {q: ws.get((s, "sol", q), h.shape, dt) for q, h in hat.items()}
        for q, h in hat.items():
            _kron.mode_combine(inv[q].reshape(n, n, -1), h.reshape(n, -1), sol[q].reshape(n, -1))
        for i in range(n):
            lay.view(z, field, i)[...] = self._back(bx, by, {q: a[i] for q, a in sol.items()}, s)

    def _solve_lines(self, field: str, rhs: list[np.ndarray], z: np.ndarray) -> None:
        """z[field] = the x transform, the exact line solves along y, the inverse transform."""
        lay, ws, dt = self.layout, self.work, self.dtype
        n = lay.n_laminates
        s = "H" if field == "w" else "L"
        bx = self.tx[s]
        lines = self.lines[field]
        T = [[None] * n for _ in bx.blocks]  # T[x block][laminate]: (y dofs, x modes)
        for j in range(n):
            R = rhs[j] if rhs[j].dtype == dt else self._copy((s, "rhs"), rhs[j], dt)
            for jx, (part, Wx) in enumerate(zip(bx.fold_last(R, ws, (s, "fx")), bx.blocks,
                                                strict=True)):
                T[jx][j] = ws.get((s, "T", jx, j), (part.shape[0], Wx.shape[1]), dt)
                np.matmul(part, Wx, out=T[jx][j])
        for jx, Tb in enumerate(T):
            cols = lines.null_modes[jx]
            rigid = [np.array(t[:, cols], dtype=np.float64) for t in Tb] if cols.size else None
            lines.solve(jx, Tb)
            if rigid is not None:
                for t, zc in zip(Tb, self._solve_y(field, jx, rigid), strict=True):
                    t[:, cols] = zc
        for j in range(n):
            parts = []
            for jx, Wx in enumerate(bx.blocks):
                part = ws.get((s, "bx", jx), (T[jx][j].shape[0], Wx.shape[0]), dt)
                np.matmul(T[jx][j], Wx.T, out=part)
                parts.append(part)
            lay.view(z, field, j)[...] = bx.unfold_last(parts, ws, (s, "ux"))

    def _solve_y(self, field: str, jx: int, R: list[np.ndarray]) -> list[np.ndarray]:
        """The diagonalization along y of the columns ``R`` (per laminate, (y dofs, columns);
        the x block ``jx``'s rigid x modes), in double precision."""
        s = "H" if field == "w" else "L"
        by = self.by[s]
        n = len(R)
        hats = [[Wy.T @ part for part, Wy in zip(by.fold_first(r), by.blocks, strict=True)]
                for r in R]
        out = []
        for i in range(n):
            parts = []
            for jy, Wy in enumerate(by.blocks):
                inv = self.inv[field][(jy, jx)]
                parts.append(Wy @ sum(inv[i, k] * hats[k][jy] for k in range(n)))
            out.append(by.unfold_first(parts))
        return out

    def _forward(self, bx: Basis1D, by: Basis1D, R: np.ndarray, hat: dict, j: int,
                 tag: str) -> None:
        """hat[(y block, x block)][j] = the blocks of Vy^T R Vx. (Stacking the laminates into
        larger products was tried: no faster, BLAS runs near this core's peak at these sizes.)"""
        ws, dt = self.work, R.dtype
        for jx, (part, Wx) in enumerate(zip(bx.fold_last(R, ws, (tag, "fx")), bx.blocks,
                                            strict=True)):
            T = ws.get((tag, "T", jx), (part.shape[0], Wx.shape[1]), dt)
            np.matmul(part, Wx, out=T)
            for jy, (rows, Wy) in enumerate(zip(by.fold_first(T, ws, (tag, "fy", jx)),
                                                by.blocks, strict=True)):
                np.matmul(Wy.T, rows, out=hat[(jy, jx)][j])

    def _back(self, bx: Basis1D, by: Basis1D, S: dict, tag: str) -> np.ndarray:
        """Vy S Vx^T from blocks (the transpose of :meth:`_forward`)."""
        ws = self.work
        parts = []
        for jx, Wx in enumerate(bx.blocks):
            ys = []
            for jy, Wy in enumerate(by.blocks):
                Sq = S[(jy, jx)]
                ys.append(ws.get((tag, "by", jy, jx), (Wy.shape[0], Sq.shape[1]), Sq.dtype))
                np.matmul(Wy, Sq, out=ys[-1])
            T = by.unfold_first(ys, ws, (tag, "uy", jx))
            part = ws.get((tag, "bx", jx), (T.shape[0], Wx.shape[0]), T.dtype)
            np.matmul(T, Wx.T, out=part)
            parts.append(part)
        return bx.unfold_last(parts, ws, (tag, "ux"))


def _pinv(P: np.ndarray, rigid: np.ndarray) -> np.ndarray:
    """Inverses of the small symmetric mode matrices ``P`` (n, n, modes...); where ``rigid``,
    pseudo-inverses (zero modes get zero weight). Elsewhere every matrix is a positive diagonal
    plus the positive semi-definite spring coupling, so a plain inverse is safe."""
    out = _inv_small(P)  # rigid modes are overwritten below
    if rigid.any():
        sub = np.moveaxis(P[:, :, rigid], -1, 0)  # (k, n, n)
        w, U = np.linalg.eigh(sub)
        # one scale for all modes (a zero is zero): the largest diagonal entry, which bounds
        # every entry of these positive semi-definite matrices
        top = max(max(float(P[i, i].max()) for i in range(P.shape[0])), 1e-300)
        inv_w = np.where(w > 1e-13 * top, 1.0 / np.where(w == 0, 1.0, w), 0.0)
        out[:, :, rigid] = np.moveaxis(np.einsum("kia,ka,kja->kij", U, inv_w, U), 0, -1)
    return out


def _inv_small(P: np.ndarray) -> np.ndarray:
    """Inverses of the matrices P[:, :, modes...] (entry-major, so every entry is one
    contiguous array): the adjugate formula up to 3 x 3, else LAPACK. A singular matrix gives
    non-finite entries (the caller overwrites its rigid modes)."""
    n = P.shape[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        if n == 1:
            return 1.0 / P
        if n == 2:
            det = P[0, 0] * P[1, 1] - P[0, 1] * P[1, 0]
            return np.stack([np.stack([P[1, 1], -P[0, 1]]), np.stack([-P[1, 0], P[0, 0]])]) / det
        if n == 3:
            flat = np.ascontiguousarray(P, dtype=np.float64).reshape(3, 3, -1)
            out = np.empty_like(flat)
            _kron.inverse_3x3(flat, out)
            return out.reshape(P.shape)
    rigid_free = np.moveaxis(P, (0, 1), (-2, -1))
    inv = np.linalg.pinv(rigid_free, hermitian=True)  # singular rigid modes must not raise
    return np.moveaxis(inv, (-2, -1), (0, 1))
