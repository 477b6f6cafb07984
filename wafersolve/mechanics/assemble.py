"""Assemble the stiffness matrix and thermal load of the mechanics model from its energy.

The discrete strain energy is a sum of quadratic forms of linear "strain" expressions, each a
combination of field derivatives: membrane strains (u_x, v_y, u_y + v_x), curvatures
(-w_xx, -w_yy, -2 w_xy), the shear strain of an interface layer and its gap change. Every
field is a tensor product of 1D elements (:mod:`.fem1d`), so every block of the matrix is a sum
of Kronecker products of exactly integrated 1D matrices. Free edges need no special treatment:
they are natural boundary conditions of the energy.

Unknowns, laminate after laminate: u (nodes), v (nodes), w (4 Hermite dofs per node: w, w_x,
w_y, w_xy), each stored as a 2D array (y dofs, x dofs) flattened with x fastest.

Example
-------
>>> from wafersolve import load_case, build_grid
>>> import numpy as np
>>> case = load_case("cases/small.toml")
>>> grid = build_grid(case)
>>> from wafersolve.mechanics.model import build_mech_model
>>> sysm = assemble(build_mech_model(case, grid, np.full(grid.shape, 320.0)))
>>> sysm.K.shape[0] == sysm.layout.n_dofs, bool(abs(sysm.K - sysm.K.T).max() < 1e-6 * abs(sysm.K).max())
(True, True)
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp

from .._kernels import _kron
from .fem1d import STRIDE, gather_cells, kron2, scatter_cells
from .model import MechModel

FIELDS = ("u", "v", "w")
SPACE = {"u": "L", "v": "L", "w": "H"}


@dataclass(frozen=True)
class Op:
    """A derivative ``d^dx/dx d^dy/dy`` of field ``field`` of laminate ``lam``."""

    field: str
    lam: int
    dx: int = 0
    dy: int = 0

    @property
    def space(self) -> str:
        return SPACE[self.field]


@dataclass(frozen=True, eq=False)
class Layout:
    """Where each field's dofs sit in the global vector."""

    nodes_y: int
    nodes_x: int
    n_laminates: int

    def shape(self, field: str) -> tuple[int, int]:
        s = STRIDE[SPACE[field]]
        return (s * self.nodes_y, s * self.nodes_x)

    def size(self, field: str) -> int:
        a, b = self.shape(field)
        return a * b

    @property
    def per_laminate(self) -> int:
        return sum(self.size(f) for f in FIELDS)

    def offset(self, field: str, lam: int) -> int:
        off = lam * self.per_laminate
        for f in FIELDS:
            if f == field:
                return off
            off += self.size(f)
        raise KeyError(field)

    @property
    def n_dofs(self) -> int:
        return self.n_laminates * self.per_laminate

    def view(self, x: np.ndarray, field: str, lam: int) -> np.ndarray:
        """The 2D dof array of ``field`` of laminate ``lam`` inside the global vector ``x``."""
        o = self.offset(field, lam)
        return x[o:o + self.size(field)].reshape(self.shape(field))

    def index(self, field: str, lam: int, row: int, col: int) -> int:
        """Global index of the dof at (row, col) of a field's 2D dof array."""
        return self.offset(field, lam) + row * self.shape(field)[1] + col


@dataclass(frozen=True, eq=False)
class MechSystem:
    """The symmetric stiffness (as Kronecker terms, assembled on request) and load ``f``."""

    model: MechModel
    layout: Layout
    terms: _Terms
    f: np.ndarray
    outside: sp.csr_matrix | None = None  # stiffness of the cells outside a clipped outline

    @property
    def K(self) -> sp.csr_matrix:
        """The assembled sparse matrix (built on each access: small problems and tests only)."""
        K = self.terms.sparse()
        return K if self.outside is None else (K - self.outside).tocsr()

    def operator(self) -> KronOperator:
        """The matrix-free operator x -> K x (built once per system)."""
        return self._operator

    @cached_property
    def _operator(self) -> KronOperator:
        return KronOperator(self.terms, self.outside)

    def inactive_dofs(self) -> np.ndarray:
        """Dofs that no cell inside the outline touches (none without a clipped outline): they
        carry no stiffness and are held at zero."""
        model, lay = self.model, self.layout
        if not model.clipped:
            return np.zeros(0, dtype=np.intp)
        act = np.pad(model.active, 1)
        node = act[:-1, :-1] | act[:-1, 1:] | act[1:, :-1] | act[1:, 1:]  # (nodes y, nodes x)
        out = []
        for lam in range(lay.n_laminates):
            for f in FIELDS:
                s = STRIDE[SPACE[f]]
                dead = ~np.repeat(np.repeat(node, s, axis=0), s, axis=1)
                out.append(lay.offset(f, lam) + np.flatnonzero(dead.ravel()))
        return np.concatenate(out).astype(np.intp)


def membrane_bending_strains(lam: int) -> list[list[tuple[float, Op]]]:
    """The six generalized strains of a laminate as combinations of field derivatives."""
    return [
        [(1.0, Op("u", lam, 1, 0))],
        [(1.0, Op("v", lam, 0, 1))],
        [(1.0, Op("u", lam, 0, 1)), (1.0, Op("v", lam, 1, 0))],
        [(-1.0, Op("w", lam, 2, 0))],
        [(-1.0, Op("w", lam, 0, 2))],
        [(-2.0, Op("w", lam, 1, 1))],
    ]


def stiffness_matrix6(A, B, D) -> np.ndarray:
    """The 6 x 6 [[A, B], [B, D]] matrix from (11, 12, 22, 66) tuples."""

    def m3(c):
        return np.array([[c[0], c[1], 0.0], [c[1], c[2], 0.0], [0.0, 0.0, c[3]]])

    return np.block([[m3(A), m3(B)], [m3(B), m3(D)]])


def interface_strains(model: MechModel, n: int) -> tuple[list, list, list]:
    """Shear strain x height (x and y) and gap change of spring ``n``, as linear combinations.

    With each laminate's displacement through its thickness u(z) = u0 - (z - z_ref) w_x, the
    interlayer's shear strain is gamma = (u_upper(z_b) - u_lower(z_t)) / h + (w_x,l + w_x,u) / 2,
    which vanishes for a rigid rotation of the whole stack.
    """
    sp_ = model.springs[n]
    lo, up = model.laminates[sp_.lower], model.laminates[sp_.upper]
    h = sp_.height_m
    c_up = -(sp_.z_bottom_of_upper_m - up.z_ref_m) + 0.5 * h
    c_lo = (sp_.z_top_of_lower_m - lo.z_ref_m) + 0.5 * h
    a, b = sp_.lower, sp_.upper
    gx = [(1.0, Op("u", b)), (-1.0, Op("u", a)), (c_up, Op("w", b, 1, 0)), (c_lo, Op("w", a, 1, 0))]
    gy = [(1.0, Op("v", b)), (-1.0, Op("v", a)), (c_up, Op("w", b, 0, 1)), (c_lo, Op("w", a, 0, 1))]
    gap = [(1.0, Op("w", b)), (-1.0, Op("w", a))]
    return gx, gy, gap


class _Terms:
    """The energy as a list of Kronecker terms ``c kron(My, Mx)`` per block (f1, l1, f2, l2)."""

    def __init__(self, model: MechModel, layout: Layout):
        self.model, self.layout = model, layout
        # (f1, l1, f2, l2, y key, x key) -> coefficient; keys are (s1, a1, s2, a2) of Mesh1D
        self.terms: dict[tuple, float] = {}

    def add_form(self, C: np.ndarray, strains: list[list[tuple[float, Op]]]) -> None:
        """Add the stiffness of the energy 1/2 sum_IJ C_IJ s_I s_J (integrated over the wafer)."""
        for i, si in enumerate(strains):
            for j, sj in enumerate(strains):
                if C[i, j] == 0.0:
                    continue
                for ci, oi in si:
                    for cj, oj in sj:
                        key = (oi.field, oi.lam, oj.field, oj.lam,
                               (oi.space, oi.dy, oj.space, oj.dy),
                               (oi.space, oi.dx, oj.space, oj.dx))
                        self.terms[key] = self.terms.get(key, 0.0) + C[i, j] * ci * cj

    def outside(self, active: np.ndarray) -> sp.csr_matrix:
        """The stiffness the cells with ``active`` False would carry, assembled element by
        element (what a clipped outline subtracts from the full-rectangle operator)."""
        mesh_x, mesh_y, lay = self.model.mesh_x, self.model.mesh_y, self.layout
        jc, ic = np.nonzero(~active)
        rows, cols, vals = [], [], []
        for (f1, l1, f2, l2, ky, kx), c in self.terms.items():
            ey = mesh_y.element_matrices(*ky)[jc]  # (cells, a, a')
            ex = mesh_x.element_matrices(*kx)[ic]  # (cells, b, b')
            s1, s2 = SPACE[f1], SPACE[f2]
            ry, rx = mesh_y.dof_map(s1)[jc], mesh_x.dof_map(s1)[ic]  # (cells, a), (cells, b)
            cy, cx = mesh_y.dof_map(s2)[jc], mesh_x.dof_map(s2)[ic]
            r = lay.offset(f1, l1) + ry[:, :, None] * lay.shape(f1)[1] + rx[:, None, :]
            k = lay.offset(f2, l2) + cy[:, :, None] * lay.shape(f2)[1] + cx[:, None, :]
            v = c * np.einsum("nac,nbd->nabcd", ey, ex)
            shape = v.shape
            rows.append(np.broadcast_to(r[:, :, :, None, None], shape).ravel())
            cols.append(np.broadcast_to(k[:, None, None, :, :], shape).ravel())
            vals.append(v.ravel())
        n = lay.n_dofs
        if not rows:
            return sp.csr_matrix((n, n))
        m = sp.coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                          shape=(n, n)).tocsr()
        m.sum_duplicates()
        return m

    def sparse(self) -> sp.csr_matrix:
        """The assembled global matrix (for direct solves and tests)."""
        mesh_x, mesh_y = self.model.mesh_x, self.model.mesh_y
        blocks: dict[tuple, sp.csr_matrix] = {}
        for (f1, l1, f2, l2, ky, kx), c in self.terms.items():
            term = c * kron2(mesh_y.matrix(*ky), mesh_x.matrix(*kx))
            key = (f1, l1, f2, l2)
            blocks[key] = blocks[key] + term if key in blocks else term
        order = [(f, lam) for lam in range(self.layout.n_laminates) for f in FIELDS]
        grid = [[blocks.get((f1, l1, f2, l2)) for (f2, l2) in order] for (f1, l1) in order]
        for r, (f1, _l1) in enumerate(order):  # bmat needs each block row / column sized
            if grid[r][r] is None:
                grid[r][r] = sp.csr_matrix((self.layout.size(f1), self.layout.size(f1)))
        return sp.bmat(grid, format="csr")


class Band1D:
    """A 1D finite-element matrix as a band, the form the compiled kernels take.

    Row ``i`` couples to a window of ``w`` columns starting at ``i + off`` (rows and columns with
    the same dofs per node: kind 0), ``2 i + off`` (one row dof and two column dofs per node:
    kind 1) or ``i // 2 + off`` (two row dofs, one column dof: kind 2); ``band[k, i]`` is the
    entry at column start(i) + k, zero where the window leaves the matrix. Every matrix of the 1D
    meshes has this form (an element couples a node to its two neighbours only); a matrix that
    does not raises ``ValueError``.
    """

    MAX_WIDTH = 8

    def __init__(self, m: sp.spmatrix, period: int = 1):
        coo = sp.coo_matrix(sp.csr_matrix(m))
        coo.sum_duplicates()
        rows, cols = m.shape
        self.shape = (rows, cols)
        self.kind = 1 if cols > rows else (2 if rows > cols else 0)
        i, j = coo.row.astype(np.intp), coo.col.astype(np.intp)
        start0 = (i, 2 * i, i // 2)[self.kind]
        rel = j - start0
        self.off = int(rel.min()) if rel.size else 0
        w = int(rel.max()) - self.off + 1 if rel.size else 1
        if w > self.MAX_WIDTH:
            raise ValueError(f"a {rows} x {cols} matrix with a band {w} wide is not a 1D "
                             "finite-element matrix")
        self.band = np.zeros((w, rows))
        self.band[rel - self.off, i] = coo.data
        self.pattern, self.run = self._repeating(period)

    def _repeating(self, p: int) -> tuple[np.ndarray | None, tuple[int, int]]:
        """The longest run of rows around the middle whose band repeats with period ``p`` (the
        interior of a uniform mesh), as a (p, w) pattern and the run (lo, hi)."""
        w, rows = self.band.shape
        mid = (rows // 2) // p * p
        if rows < 8 * p or mid + p > rows:
            return None, (0, 0)
        pat = self.band[:, mid:mid + p]
        tol = 1e-14 * max(float(np.abs(pat).max()), 1e-300)
        # row i matches when its band equals the pattern's row i - mid (mod p)
        phase = (np.arange(rows) - mid) % p
        ok = np.abs(self.band - pat[:, phase]).max(axis=0) <= tol
        # whole periods only: a period matches when all its p rows do
        starts = np.arange(mid % p, rows - p + 1, p)
        good = ok[starts[:, None] + np.arange(p)[None, :]].all(axis=1)
        k = (mid - mid % p) // p  # the period that starts at mid
        lo_k = k
        while lo_k > 0 and good[lo_k - 1]:
            lo_k -= 1
        hi_k = k + 1
        while hi_k < good.size and good[hi_k]:
            hi_k += 1
        lo, hi = int(starts[lo_k]), int(starts[hi_k - 1] + p)
        if hi - lo < 8 * p:
            return None, (0, 0)
        return np.ascontiguousarray(pat.T), (lo, hi)


class Workspace:
    """Arrays kept from one call to the next, by name, so that a solver's hot loop allocates
    nothing. Memory the process has not touched before is expensive to fault in (on a VM
    ~3 ms per MB), and glibc hands the big temporaries of one iteration back to the system
    before the next: reusing them took ~1 s off a 430 x 430 stack solve (53,700 page faults
    down to ~14,000)."""

    def __init__(self):
        self._arrays: dict = {}

    def get(self, key, shape: tuple, dtype=np.float64) -> np.ndarray:
        """An array of that shape and dtype, the same one on every call with this key (its
        contents are whatever the last user left)."""
        a = self._arrays.get(key)
        if a is None or a.shape != tuple(shape) or a.dtype != np.dtype(dtype):
            a = self._arrays[key] = np.empty(shape, dtype=dtype)
        return a


def kernel_threads() -> int:
    """Threads for the mechanics operator: ``OMP_NUM_THREADS`` if set (capped at the CPU count),
    else 1. One thread is the default because the machine may be shared: a busy second core
    makes two threads slower, not faster."""
    raw = os.environ.get("OMP_NUM_THREADS", "").strip()
    try:
        n = int(raw) if raw else 1
    except ValueError:
        n = 1
    return max(1, min(n, os.cpu_count() or 1))


_POOLS: dict[int, ThreadPoolExecutor] = {}


def _pool(threads: int) -> ThreadPoolExecutor:
    if threads not in _POOLS:
        _POOLS[threads] = ThreadPoolExecutor(threads, thread_name_prefix="wafersolve-kron")
    return _POOLS[threads]


class KronOperator:
    """Matrix-free ``K x``: per block, sum_t c_t My_t X Mx_t^T with banded 1D factors.

    Terms of one output field sharing an input field and an x factor share one product
    X Mx^T; their y factors are summed (with their coefficients) into one banded matrix. Each
    output field is one compiled call (:func:`wafersolve._kernels._kron.kron_sum`) that builds
    the field in blocks of rows, so the intermediate products stay in cache. With a clipped
    outline, the (sparse) stiffness of the cells outside it is subtracted. With
    ``OMP_NUM_THREADS`` > 1 the output fields are computed in that many threads.
    """

    CHUNK_ROWS = 64  # output rows per block: measured best at 32-128 on a 430 x 430 mesh

    def __init__(self, terms: _Terms, outside: sp.csr_matrix | None = None):
        self.layout = terms.layout
        self.outside = outside
        self.threads = kernel_threads()
        mesh_x, mesh_y = terms.model.mesh_x, terms.model.mesh_y
        grouped: dict[tuple, dict[tuple, sp.csr_matrix]] = {}
        for (f1, l1, f2, l2, ky, kx), c in terms.terms.items():
            inner = grouped.setdefault((f1, l1), {})
            my = c * mesh_y.matrix(*ky)
            key = (f2, l2, kx)
            inner[key] = inner[key] + my if key in inner else my
        bands_x: dict[tuple, Band1D] = {}
        self.outputs = []
        for (f1, l1), inner in grouped.items():
            contributions = []
            for (f2, l2, kx), my in inner.items():
                if kx not in bands_x:
                    bands_x[kx] = Band1D(mesh_x.matrix(*kx), STRIDE[kx[0]])
                contributions.append((f2, l2, bands_x[kx], Band1D(my)))
            self.outputs.append((f1, l1, contributions))
        covered = {(f1, l1) for f1, l1, _c in self.outputs}
        self._untouched = [(f, lam) for lam in range(self.layout.n_laminates) for f in FIELDS
                           if (f, lam) not in covered]

    def norm_bound(self) -> float:
        """An upper bound of the largest absolute row sum of K (its infinity norm), from the 1D
        factors alone: for each output field, the sum over its contributions of the largest
        absolute row sum of the y factor times that of the x factor."""
        best = 0.0
        for _f1, _l1, contributions in self.outputs:
            total = sum(float(np.abs(by.band).sum(axis=0).max())
                        * float(np.abs(bx.band).sum(axis=0).max())
                        for _f2, _l2, bx, by in contributions)
            best = max(best, total)
        if self.outside is not None:
            best += float(abs(self.outside).sum(axis=1).max())
        return best

    def __call__(self, x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """K x, into ``out`` if given (a float64 vector not overlapping ``x``)."""
        lay = self.layout
        if x.shape != (lay.n_dofs,):
            raise ValueError(f"expected a vector of {lay.n_dofs} dofs, got shape {x.shape}")
        x = np.ascontiguousarray(x, dtype=np.float64)
        y = np.empty_like(x) if out is None else out
        for f, lam in self._untouched:
            self.layout.view(y, f, lam)[...] = 0.0
        if self.threads > 1:  # output fields are independent; the kernel releases the GIL
            list(_pool(self.threads).map(
                lambda o: self._sum(lay.view(y, o[0], o[1]), x, o[2]), self.outputs))
        else:
            for f1, l1, contributions in self.outputs:
                self._sum(lay.view(y, f1, l1), x, contributions)
        if self.outside is not None:
            y -= self.outside @ x
        return y

    def _sum(self, out: np.ndarray, x: np.ndarray, contributions) -> None:
        """out = the sum of one output field's contributions from ``x`` (full dof vector)."""
        lay = self.layout
        _kron.kron_sum(out, [lay.view(x, f2, l2) for f2, l2, _bx, _by in contributions],
                       [bx.kind for _f, _l, bx, _by in contributions],
                       [bx.off for _f, _l, bx, _by in contributions],
                       [bx.band for _f, _l, bx, _by in contributions],
                       [by.kind for _f, _l, _bx, by in contributions],
                       [by.off for _f, _l, _bx, by in contributions],
                       [by.band for _f, _l, _bx, by in contributions],
                       self.CHUNK_ROWS,
                       [bx.pattern for _f, _l, bx, _by in contributions],
                       [bx.run for _f, _l, bx, _by in contributions])


class FieldCoupling:
    """The block of K that couples field ``f_in`` into field ``f_out`` (all laminates), applied
    matrix-free: the off-diagonal block a block Gauss-Seidel preconditioner needs (e.g. the
    membranes' u-v cross terms A12 u_x v_y and A66 u_y v_x)."""

    def __init__(self, terms: _Terms, f_out: str, f_in: str):
        sub = _Terms(terms.model, terms.layout)
        sub.terms = {k: c for k, c in terms.terms.items() if k[0] == f_out and k[2] == f_in}
        self.op = KronOperator(sub)
        self.f_out = f_out
        self.work = Workspace()

    def subtract(self, x: np.ndarray, rhs: list[np.ndarray]) -> None:
        """rhs[l] -= (K x)[f_out of laminate l], for ``x`` a full dof vector (only its f_in
        parts are read)."""
        lay = self.op.layout
        x = np.ascontiguousarray(x, dtype=np.float64)
        for f1, l1, contributions in self.op.outputs:
            buf = self.work.get("out", lay.shape(f1))
            self.op._sum(buf, x, contributions)
            rhs[l1] -= buf


def assemble(model: MechModel) -> MechSystem:
    """The stiffness matrix and thermal load vector of ``model`` (no supports applied yet)."""
    ny, nx = model.shape_nodes
    layout = Layout(ny, nx, len(model.laminates))
    blocks = _Terms(model, layout)
    f = np.zeros(layout.n_dofs)
    for n, lam in enumerate(model.laminates):
        strains = membrane_bending_strains(n)
        blocks.add_form(stiffness_matrix6(lam.A, lam.B, lam.D), strains)
        loads = [lam.N_T[0], lam.N_T[1], None, lam.M_T[0], lam.M_T[1], None]
        for s, load in zip(strains, loads, strict=True):
            if load is None:
                continue
            for c, op in s:
                _add_cell_load(model, layout, f, op, c * load)
    for n, spring in enumerate(model.springs):
        gx, gy, gap = interface_strains(model, n)
        if spring.k_shear_Pa_per_m > 0:
            ks = np.array([[spring.k_shear_Pa_per_m]])
            blocks.add_form(ks, [gx])
            blocks.add_form(ks, [gy])
        if spring.k_normal_Pa_per_m > 0:
            blocks.add_form(np.array([[spring.k_normal_Pa_per_m]]), [gap])
    outside = blocks.outside(model.active) if model.clipped else None
    return MechSystem(model, layout, blocks, f, outside)


def _add_cell_load(model: MechModel, layout: Layout, f: np.ndarray, op: Op,
                   values: np.ndarray) -> None:
    """f[op's field] += integral of values (constant per cell) x the op'd test function."""
    gx = model.mesh_x.element_integrals(op.space, op.dx)
    gy = model.mesh_y.element_integrals(op.space, op.dy)
    s = STRIDE[op.space]
    layout.view(f, op.field, op.lam)[...] += scatter_cells(values, gy, gx, s, s,
                                                          layout.shape(op.field))


def evaluate_at_centres(model: MechModel, layout: Layout, x: np.ndarray,
                        combo: list[tuple[float, Op]]) -> np.ndarray:
    """A linear combination of field derivatives at the mechanics cell centres (ny, nx).

    Example
    -------
    >>> from wafersolve import load_case, build_grid
    >>> from wafersolve.mechanics.model import build_mech_model
    >>> case = load_case("cases/small.toml")
    >>> grid = build_grid(case)
    >>> m = build_mech_model(case, grid, np.full(grid.shape, 300.0))
    >>> s = assemble(m)
    >>> evaluate_at_centres(m, s.layout, np.zeros(s.layout.n_dofs), [(1.0, Op("u", 0, 1, 0))]).shape
    (16, 16)
    """
    out = np.zeros(model.shape_cells)
    for c, op in combo:
        gx = model.mesh_x.at_centres(op.space, op.dx)
        gy = model.mesh_y.at_centres(op.space, op.dy)
        s = STRIDE[op.space]
        out += c * gather_cells(layout.view(x, op.field, op.lam), gy, gx, s, s)
    return out
