"""Geometric multigrid for the layered stack: z-line smoothing, coarsening in x and y only.

Design (see docs/thermal-theory.md):

* Smoother: red-black Gauss-Seidel over z columns, each column's tridiagonal system solved
  exactly. All z coupling, including the ~1000x conductivity jumps between layers, is handled
  exactly; in-plane every layer is isotropic enough for column-wise smoothing.
* Coarsening: pairs of cells are merged in x and/or y (a leftover single cell for odd counts, so
  any nx, ny works), nz is kept. Coarse operators are rediscretised on the coarse tensor grid with
  the same per-slice coefficients, so each coarse level is again a layer-constant 7-point stencil.
  A direction is coarsened only while its cells are not much wider than the other direction's.
* Transfers: cell-centred bilinear prolongation P (linear interpolation between coarse centres,
  constant beyond the outermost ones) and restriction P^T, fused with the residual.
* Coarsest level (<= 16 columns): dense Cholesky.
* The V-cycle uses forward sweeps before and the adjoint (reversed colour) sweeps after the
  coarse correction, with a zero initial guess, so it is a fixed symmetric positive definite
  operator: a valid preconditioner for conjugate gradients.

Example
-------
>>> import numpy as np
>>> from wafersolve.thermal.stencil import uniform_stencil, padded_zeros
>>> st = uniform_stencil(20, 17, np.full(3, 1e-3), np.ones((3, 3)) * 10, 1e-3, 1e-3, 1e4, 0.0)
>>> mg = Multigrid(st)
>>> len(mg.levels) > 1
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg

from .._kernels import _stencil as _k
from .assemble import assemble_sparse
from .stencil import Stencil, geometry_stencil, padded_zeros

MAX_COARSE_COLUMNS = 16


def _merge_widths(w: np.ndarray) -> np.ndarray:
    """Widths of the cells made by merging neighbours in pairs (a single cell left over if odd)."""
    n = w.size
    out = w[0 : n - n % 2 : 2] + w[1 : n - n % 2 : 2]
    if n % 2:
        out = np.append(out, w[-1])
    return out


def _interpolation(w_fine: np.ndarray, w_coarse: np.ndarray | None):
    """1D linear interpolation from coarse to fine cell centres, as padded index/weight arrays.

    Returns (i0, i1, w0, w1) of length n_fine + 2 so that fine cell i (padded index) receives
    w0[i] * coarse[i0[i]] + w1[i] * coarse[i1[i]]. Without coarsening it is the identity.
    """
    n = w_fine.size
    i0 = np.zeros(n + 2, dtype=np.intp)
    i1 = np.zeros(n + 2, dtype=np.intp)
    a0 = np.zeros(n + 2)
    a1 = np.zeros(n + 2)
    if w_coarse is None:
        i0[1:-1] = i1[1:-1] = np.arange(1, n + 1)
        a0[1:-1] = 1.0
        return i0, i1, a0, a1
    xf = np.cumsum(w_fine) - 0.5 * w_fine
    xc = np.cumsum(w_coarse) - 0.5 * w_coarse
    hi = np.searchsorted(xc, xf, side="right")  # first coarse centre strictly right of xf
    lo = hi - 1
    lo_c = np.clip(lo, 0, xc.size - 1)
    hi_c = np.clip(hi, 0, xc.size - 1)
    span = xc[hi_c] - xc[lo_c]
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(span > 0, (xf - xc[lo_c]) / np.where(span > 0, span, 1.0), 0.0)
    t = np.where(lo < 0, 1.0, t)  # left of the first centre: all weight on coarse 0
    t = np.where(hi >= xc.size, 0.0, t)  # right of the last centre: all weight on the last
    i0[1:-1] = lo_c + 1
    i1[1:-1] = hi_c + 1
    a0[1:-1] = 1.0 - t
    a1[1:-1] = t
    return i0, i1, a0, a1


def _transpose_gather(i0, i1, a0, a1, n_coarse: int):
    """The transpose of a 1D interpolation as a padded gather table (rix, rwx).

    Coarse cell I (padded index) receives sum_m rwx[I, m] * fine[rix[I, m]]; unused slots point
    at ghost 0 with weight 0.
    """
    n = i0.size - 2
    contrib: list[list[tuple[int, float]]] = [[] for _ in range(n_coarse + 2)]
    for i in range(1, n + 1):
        for c, w in ((i0[i], a0[i]), (i1[i], a1[i])):
            if w != 0.0:
                contrib[c].append((i, float(w)))
    width = max(1, max(len(c) for c in contrib))
    rix = np.zeros((n_coarse + 2, width), dtype=np.intp)
    rwx = np.zeros((n_coarse + 2, width))
    for c, lst in enumerate(contrib):
        for m, (i, w) in enumerate(lst):
            rix[c, m] = i
            rwx[c, m] = w
    return rix, rwx


@dataclass(eq=False)
class Level:
    """One level of the hierarchy: its stencil, smoother tables, work arrays and transfers."""

    st: Stencil
    sxl: np.ndarray
    sxr: np.ndarray
    syl: np.ndarray
    syr: np.ndarray
    iwx: np.ndarray
    iwy: np.ndarray
    unif: np.ndarray  # [1, sx, iwx] if the level is uniform in x, else [0, 0, 0]
    rowtype: np.ndarray
    minv: np.ndarray
    upc: np.ndarray
    x: np.ndarray | None = None  # work arrays (coarse levels only)
    b: np.ndarray | None = None
    to_coarse: tuple | None = None  # prolongation: (ix0, ix1, wx0, wx1, jy0, jy1, wy0, wy1)
    restrict_x: tuple | None = None  # x part of the restriction P^T as a gather: (rix, rwx)
    rrow: np.ndarray | None = None
    tmp: np.ndarray | None = None
    dense: tuple | None = None  # Cholesky factor on the coarsest level

    def smoother_args(self) -> tuple:
        st = self.st
        return (st.cx, st.cy, st.cz, self.sxl, self.sxr, self.syl, self.syr, self.iwx, self.iwy,
                self.unif, self.rowtype, self.minv, self.upc)


def _scaled_faces(f: np.ndarray, w: np.ndarray):
    """Face coefficients divided by the cell width: left and right, padded like w."""
    left = np.zeros_like(w)
    right = np.zeros_like(w)
    inner = w[1:-1]
    left[1:-1] = f[:-1] / inner
    right[1:-1] = f[1:] / inner
    return left, right


def _column_factors(st: Stencil, ex: np.ndarray, ey_types: np.ndarray):
    """Thomas pivots of every column type: minv[t, k, i] = 1/m_k and upc[t, k, i] = u_k.

    Column (j, i) of type t = rowtype[j] has, divided by its area, the tridiagonal system
    diag_k = cx_k ex_i + cy_k ey_t + cz_{k-1} + cz_k (+ Robin), off-diagonals -cz.
    """
    nz = st.cx.size
    cz_below = np.concatenate(([0.0], st.cz))
    cz_above = np.concatenate((st.cz, [0.0]))
    robin = np.zeros(nz)
    robin[0] += st.cbot
    robin[-1] += st.ctop
    vert = cz_below + cz_above + robin
    diag = (st.cx[None, :, None] * ex[None, None, :] + st.cy[None, :, None] * ey_types[:, None, None]
            + vert[None, :, None])
    m = np.empty_like(diag)
    u = np.zeros_like(diag)
    m[:, 0] = diag[:, 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        for k in range(nz):
            if k > 0:
                m[:, k] = diag[:, k] - st.cz[k - 1] * u[:, k - 1]
            if k < nz - 1:
                u[:, k] = st.cz[k] / m[:, k]
        minv = 1.0 / m
    minv[:, :, 0] = minv[:, :, -1] = 0.0
    u[:, :, 0] = u[:, :, -1] = 0.0
    if not np.all(np.isfinite(minv)) or np.any(m[:, :, 1:-1] <= 0):
        raise ValueError("a column of the operator is singular: is any face convective?")
    return np.ascontiguousarray(minv), np.ascontiguousarray(u)


def _make_level(st: Stencil) -> Level:
    sxl, sxr = _scaled_faces(st.fx, st.wx)
    syl, syr = _scaled_faces(st.fy, st.wy)
    ey = syl + syr
    interior = ey[1:-1]
    # rows with the same scaled in-plane diagonal share pre-factored column pivots
    keys = np.round(interior / max(float(np.max(np.abs(interior))), 1e-300), 12)
    types, inverse = np.unique(keys, return_inverse=True)
    rowtype = np.zeros(ey.size, dtype=np.intp)
    rowtype[1:-1] = inverse
    first = np.array([np.flatnonzero(inverse == t)[0] for t in range(types.size)])
    minv, upc = _column_factors(st, sxl + sxr, interior[first])
    with np.errstate(divide="ignore"):
        iwx = np.where(st.wx > 0, 1.0 / np.where(st.wx > 0, st.wx, 1.0), 0.0)
        iwy = np.where(st.wy > 0, 1.0 / np.where(st.wy > 0, st.wy, 1.0), 0.0)
    return Level(st, sxl, sxr, syl, syr, iwx, iwy, _uniform_x(sxl, sxr, iwx), rowtype, minv, upc)


def _uniform_x(sxl: np.ndarray, sxr: np.ndarray, iwx: np.ndarray) -> np.ndarray:
    """[1, s, w] if every interior column has the same x coefficients (sxl = sxr = s away from
    the boundary faces, iwx = w), else zeros. The smoother then uses the constants; at the
    boundary columns the missing face multiplies a zero ghost, so nothing changes."""
    n = iwx.size - 2
    if n >= 2:
        s, w = sxr[1], iwx[1]
        if (np.all(sxl[2:n + 1] == s) and np.all(sxr[1:n] == s) and np.all(iwx[1:n + 1] == w)):
            return np.array([1.0, s, w])
    return np.zeros(3)


class Multigrid:
    """A V-cycle preconditioner for a layer-constant stencil: ``mg(r, z)`` sets z = M^-1 r.

    ``nu`` is the number of smoothing sweeps before and after each coarse correction.
    """

    def __init__(self, st: Stencil, nu: int = 1):
        if st.has_variable_slices:
            raise ValueError("the multigrid hierarchy needs a layer-constant stencil")
        self.nu = int(nu)
        self.levels: list[Level] = []
        level = _make_level(st)
        while True:
            self.levels.append(level)
            nz, ny, nx = level.st.shape
            if nx * ny <= MAX_COARSE_COLUMNS:
                break
            wx, wy = level.st.wx[1:-1], level.st.wy[1:-1]
            hx, hy = float(wx.max()), float(wy.max())
            cx_ok = nx > 1 and (hx <= 1.5 * hy or ny == 1)
            cy_ok = ny > 1 and (hy <= 1.5 * hx or nx == 1)
            wxc = _merge_widths(wx) if cx_ok else None
            wyc = _merge_widths(wy) if cy_ok else None
            ix = _interpolation(wx, wxc)
            jy = _interpolation(wy, wyc)
            level.to_coarse = (*ix, *jy)
            level.restrict_x = _transpose_gather(*ix, n_coarse=nx if wxc is None else wxc.size)
            coarse_st = geometry_stencil(wx if wxc is None else wxc, wy if wyc is None else wyc,
                                         st.cx, st.cy, st.cz, st.ctop, st.cbot)
            ncx = coarse_st.shape[2]
            level.rrow = np.zeros((nz, nx + 2))
            level.tmp = np.zeros((nz, ncx + 2))
            level = _make_level(coarse_st)
            level.x = padded_zeros(coarse_st.shape)
            level.b = padded_zeros(coarse_st.shape)
        coarsest = self.levels[-1]
        if coarsest.x is None:  # a single-level hierarchy: solve directly
            coarsest.x = padded_zeros(coarsest.st.shape)
            coarsest.b = padded_zeros(coarsest.st.shape)
        dense = assemble_sparse(coarsest.st).toarray()
        coarsest.dense = scipy.linalg.cho_factor(dense, lower=True)

    @property
    def shapes(self) -> list[tuple[int, int, int]]:
        return [lv.st.shape for lv in self.levels]

    def __call__(self, r: np.ndarray, z: np.ndarray) -> None:
        """z = M^-1 r (both padded fine-level fields; z's input value is ignored)."""
        self._cycle(0, z, r)

    def _cycle(self, lev: int, x: np.ndarray, b: np.ndarray) -> None:
        level = self.levels[lev]
        if level.dense is not None:
            sol = scipy.linalg.cho_solve(level.dense, b[:, 1:-1, 1:-1].ravel())
            x[:, 1:-1, 1:-1] = sol.reshape(level.st.shape)
            return
        args = level.smoother_args()
        st = level.st
        coarse = self.levels[lev + 1]
        for s in range(self.nu - 1):
            _k.smooth(x, b, *args, True, s == 0)
        # last pre-smoothing sweep fused with residual + restriction
        _k.smooth_restrict(x, b, coarse.b, *args, self.nu == 1, st.fx, st.fy, st.wx, st.wy,
                           st.gtop, st.gbot, st.vslice, st.gxv, st.gyv, st.vface, st.gzv,
                           *level.restrict_x, *level.to_coarse[4:], level.rrow)
        self._cycle(lev + 1, coarse.x, coarse.b)
        # prolongation fused with the first post-smoothing sweep
        _k.prolong_smooth(coarse.x, x, b, *level.to_coarse, level.tmp, *args)
        for _ in range(self.nu - 1):
            _k.smooth(x, b, *args, False, False)
