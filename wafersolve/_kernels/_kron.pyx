# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled kernels of the mechanics operator: a banded 1D matrix applied along one axis of a
2D field, into a preallocated output. The matrix-free plate/membrane operator is a sum of
Kronecker products ``My X Mx^T`` of such 1D matrices (``wafersolve.mechanics.assemble``).

1D matrices are bands (``kind``, ``off``, ``band``: see below); fields are C-contiguous float64.
The wrappers validate shapes; these loops trust them. NumPy twins with the same signatures are in
``wafersolve._kernels.reference``.
"""

ctypedef double f8
ctypedef Py_ssize_t isz
ctypedef fused real:
    float
    double

from libc.math cimport sqrt
from libc.stdlib cimport free, malloc


# -- banded 1D matrices (all finite-element matrices of the 1D meshes) ---------------------------
# Row i of a banded matrix has its columns in a window of ``w`` entries starting at
#   kind 0: i + off            (rows and columns with the same dofs per node)
#   kind 1: 2 i + off          (one dof per node in the rows, two in the columns)
#   kind 2: i // 2 + off       (two dofs per node in the rows, one in the columns)
# stored as band[k, i] (w x rows, zero where the window leaves the matrix). The loops over i
# (last axis) and over the columns c (first axis) are unit-stride, so they vectorize.

cdef inline isz _start(int kind, isz i, isz off) noexcept nogil:
    if kind == 0:
        return i + off
    if kind == 1:
        return 2 * i + off
    return i // 2 + off


cdef inline void _band_rows(int kind, isz off, isz w, isz lo, isz hi, const f8* b, isz bs,
                            const f8* xr, f8* o) noexcept nogil:
    """o[i] = sum_k b[k * bs + i] xr[start(i) + k] for lo <= i < hi (unrolled for w = 3, 6, 7)."""
    cdef isz i, k
    cdef f8 s
    cdef const f8* xi
    if kind == 0 and w == 7:
        for i in range(lo, hi):
            xi = xr + i + off
            o[i] = (b[i] * xi[0] + b[bs + i] * xi[1] + b[2 * bs + i] * xi[2]
                    + b[3 * bs + i] * xi[3] + b[4 * bs + i] * xi[4] + b[5 * bs + i] * xi[5]
                    + b[6 * bs + i] * xi[6])
    elif kind == 0 and w == 3:
        for i in range(lo, hi):
            xi = xr + i + off
            o[i] = b[i] * xi[0] + b[bs + i] * xi[1] + b[2 * bs + i] * xi[2]
    elif kind == 1 and w == 6:
        for i in range(lo, hi):
            xi = xr + 2 * i + off
            o[i] = (b[i] * xi[0] + b[bs + i] * xi[1] + b[2 * bs + i] * xi[2]
                    + b[3 * bs + i] * xi[3] + b[4 * bs + i] * xi[4] + b[5 * bs + i] * xi[5])
    elif kind == 2 and w == 3 and lo % 2 == 0 and hi % 2 == 0:
        for i in range(lo // 2, hi // 2):  # the two rows of node i share their columns
            xi = xr + i + off
            o[2 * i] = (b[2 * i] * xi[0] + b[bs + 2 * i] * xi[1] + b[2 * bs + 2 * i] * xi[2])
            o[2 * i + 1] = (b[2 * i + 1] * xi[0] + b[bs + 2 * i + 1] * xi[1]
                            + b[2 * bs + 2 * i + 1] * xi[2])
    else:
        for i in range(lo, hi):
            s = 0.0
            for k in range(w):
                s = s + b[k * bs + i] * xr[_start(kind, i, off) + k]
            o[i] = s


# -- the fused Kronecker sum of one output field ------------------------------------------------
cdef inline void _const_rows(int kind, isz off, isz w, int per, const f8* c, isz lo, isz hi,
                             const f8* xr, f8* o) noexcept nogil:
    """o[i] = sum_k c[(i % per) * w + k] xr[start(i) + k] for lo <= i < hi: rows whose band is
    one repeating pattern (a uniform mesh), with the coefficients held in registers."""
    cdef isz i, m, k
    cdef const f8* xi
    cdef f8 s, c0, c1, c2, c3, c4, c5, c6, d0, d1, d2, d3, d4, d5, d6
    if kind == 0 and w == 3 and per == 1:
        c0, c1, c2 = c[0], c[1], c[2]
        for i in range(lo, hi):
            xi = xr + i + off
            o[i] = c0 * xi[0] + c1 * xi[1] + c2 * xi[2]
    elif kind == 0 and w == 7 and per == 2 and lo % 2 == 0 and hi % 2 == 0:
        c0, c1, c2, c3, c4, c5, c6 = c[0], c[1], c[2], c[3], c[4], c[5], c[6]
        d0, d1, d2, d3, d4, d5, d6 = c[7], c[8], c[9], c[10], c[11], c[12], c[13]
        for m in range(lo // 2, hi // 2):
            xi = xr + 2 * m + off
            o[2 * m] = (c0 * xi[0] + c1 * xi[1] + c2 * xi[2] + c3 * xi[3] + c4 * xi[4]
                        + c5 * xi[5] + c6 * xi[6])
            o[2 * m + 1] = (d0 * xi[1] + d1 * xi[2] + d2 * xi[3] + d3 * xi[4] + d4 * xi[5]
                            + d5 * xi[6] + d6 * xi[7])
    elif kind == 1 and w == 6 and per == 1:
        c0, c1, c2, c3, c4, c5 = c[0], c[1], c[2], c[3], c[4], c[5]
        for i in range(lo, hi):
            xi = xr + 2 * i + off
            o[i] = c0 * xi[0] + c1 * xi[1] + c2 * xi[2] + c3 * xi[3] + c4 * xi[4] + c5 * xi[5]
    elif kind == 2 and w == 3 and per == 2 and lo % 2 == 0 and hi % 2 == 0:
        c0, c1, c2, d0, d1, d2 = c[0], c[1], c[2], c[3], c[4], c[5]
        for m in range(lo // 2, hi // 2):
            xi = xr + m + off
            o[2 * m] = c0 * xi[0] + c1 * xi[1] + c2 * xi[2]
            o[2 * m + 1] = d0 * xi[0] + d1 * xi[1] + d2 * xi[2]
    else:
        for i in range(lo, hi):
            s = 0.0
            for k in range(w):
                s = s + c[(i % per) * w + k] * xr[_start(kind, i, off) + k]
            o[i] = s


cdef inline void _last_rows(int kind, isz off, isz w, const f8* band, isz ni, const f8* x,
                            isz ncol, isz r0, isz r1, f8* t, const f8* pat, int per, isz plo,
                            isz phi) noexcept nogil:
    """t[r - r0, i] = sum_k band[k, i] x[r, start(i) + k] for rows r0 <= r < r1 of x; where
    ``pat`` is not NULL, rows plo <= i < phi repeat the (per x w) pattern ``pat``."""
    cdef isz r, i, k, j, lo = 0, hi = ni
    cdef f8 s
    while lo < ni and _start(kind, lo, off) < 0:
        lo += 1
    while hi > lo and _start(kind, hi - 1, off) + w > ncol:
        hi -= 1
    if pat != NULL:
        plo = max(plo, lo)
        phi = min(phi, hi)
        if per == 2:
            plo = plo + plo % 2
            phi = phi - phi % 2
        if phi <= plo:
            pat = NULL
    for r in range(r0, r1):
        if pat == NULL:
            _band_rows(kind, off, w, lo, hi, band, ni, x + r * ncol, t + (r - r0) * ni)
        else:
            _band_rows(kind, off, w, lo, plo, band, ni, x + r * ncol, t + (r - r0) * ni)
            _const_rows(kind, off, w, per, pat, plo, phi, x + r * ncol, t + (r - r0) * ni)
            _band_rows(kind, off, w, phi, hi, band, ni, x + r * ncol, t + (r - r0) * ni)
        # the few columns whose window leaves the matrix: [0, lo) and [hi, ni) only (a test
        # of every column here once cost as much as the products)
        i = 0
        while i < ni:
            if i == lo and hi > lo:
                i = hi
                continue
            s = 0.0
            for k in range(w):
                j = _start(kind, i, off) + k
                if 0 <= j < ncol:
                    s = s + band[k * ni + i] * x[r * ncol + j]
            t[(r - r0) * ni + i] = s
            i += 1


cdef inline void _axpy_rows(int cnt, const f8* a, const f8** t, f8* y, isz n) noexcept nogil:
    """y += sum_k a[k] t[k] over cnt <= 8 rows, in passes of up to four rows over y."""
    cdef isz c
    cdef int k = 0
    cdef const f8* t0
    cdef const f8* t1
    cdef const f8* t2
    cdef const f8* t3
    cdef f8 a0, a1, a2, a3
    while cnt - k >= 4:
        t0, t1, t2, t3 = t[k], t[k + 1], t[k + 2], t[k + 3]
        a0, a1, a2, a3 = a[k], a[k + 1], a[k + 2], a[k + 3]
        for c in range(n):
            y[c] += a0 * t0[c] + a1 * t1[c] + a2 * t2[c] + a3 * t3[c]
        k += 4
    if cnt - k == 3:
        t0, t1, t2 = t[k], t[k + 1], t[k + 2]
        a0, a1, a2 = a[k], a[k + 1], a[k + 2]
        for c in range(n):
            y[c] += a0 * t0[c] + a1 * t1[c] + a2 * t2[c]
    elif cnt - k == 2:
        t0, t1 = t[k], t[k + 1]
        a0, a1 = a[k], a[k + 1]
        for c in range(n):
            y[c] += a0 * t0[c] + a1 * t1[c]
    elif cnt - k == 1:
        t0 = t[k]
        a0 = a[k]
        for c in range(n):
            y[c] += a0 * t0[c]


def kron_sum(f8[:, ::1] out, list xs, list kinds_x, list offs_x, list bands_x, list kinds_y,
             list offs_y, list bands_y, isz chunk=16, list patterns_x=None, list runs_x=None):
    """out = sum_c My_c xs[c] Mx_c^T, with My_c, Mx_c banded 1D matrices (kind, off, band: see
    the banded section above).

    ``patterns_x[c]`` (optional, None or a (period, w) array) and ``runs_x[c]`` = (lo, hi): the
    rows lo <= i < hi of x band c repeat that pattern (uniform mesh), so their coefficients need
    no loads.

    The output is built in blocks of ``chunk`` rows: each block's rows of xs[c] Mx_c^T are
    computed into a small buffer and used at once, so the intermediate products never travel
    to main memory and the output is written once.
    """
    if chunk < 1:
        raise ValueError(f"chunk {chunk}: expected >= 1")
    cdef isz nc = len(xs), ny = out.shape[0], nx = out.shape[1]
    cdef isz c, j, j0, j1, k, m, r0, r1, col, maxrows = 0
    cdef f8 a
    cdef f8 coef[8]
    cdef const f8* rows[8]
    cdef int cnt
    cdef const f8[:, ::1] xv
    cdef const f8[:, ::1] bv
    if nc == 0:
        out[...] = 0.0
        return
    cdef const f8** xp = <const f8**> malloc(nc * sizeof(f8*))
    cdef const f8** bxp = <const f8**> malloc(nc * sizeof(f8*))
    cdef const f8** byp = <const f8**> malloc(nc * sizeof(f8*))
    cdef isz* dims = <isz*> malloc(nc * 8 * sizeof(isz))
    cdef const f8** pats = <const f8**> malloc(nc * sizeof(f8*))
    cdef isz* pdims = <isz*> malloc(nc * 3 * sizeof(isz))
    cdef const f8[:, ::1] pv
    cdef f8* t = NULL
    try:
        for c in range(nc):
            xv = xs[c]
            bv = bands_x[c]
            if bv.shape[1] != nx:
                raise ValueError(f"contribution {c}: x band has {bv.shape[1]} rows, output {nx}")
            xp[c] = &xv[0, 0]
            bxp[c] = &bv[0, 0]
            dims[8 * c + 0] = xv.shape[0]  # rows of the input
            dims[8 * c + 1] = xv.shape[1]  # columns of the input
            dims[8 * c + 2] = kinds_x[c]
            dims[8 * c + 3] = offs_x[c]
            dims[8 * c + 4] = bv.shape[0]  # x band width
            bv = bands_y[c]
            if bv.shape[1] != ny:
                raise ValueError(f"contribution {c}: y band has {bv.shape[1]} rows, output {ny}")
            byp[c] = &bv[0, 0]
            dims[8 * c + 5] = kinds_y[c]
            dims[8 * c + 6] = offs_y[c]
            dims[8 * c + 7] = bv.shape[0]  # y band width
            pats[c] = NULL
            pdims[3 * c] = 1
            pdims[3 * c + 1] = 0
            pdims[3 * c + 2] = 0
            if patterns_x is not None and patterns_x[c] is not None:
                pv = patterns_x[c]
                if pv.shape[1] != dims[8 * c + 4]:
                    raise ValueError(f"contribution {c}: pattern width {pv.shape[1]}, band "
                                     f"{dims[8 * c + 4]}")
                pats[c] = &pv[0, 0]
                pdims[3 * c] = pv.shape[0]
                pdims[3 * c + 1] = runs_x[c][0]
                pdims[3 * c + 2] = runs_x[c][1]
            r0 = _start(kinds_y[c], 0, offs_y[c])
            r1 = _start(kinds_y[c], min(chunk, ny) - 1, offs_y[c]) + bv.shape[0]
            maxrows = max(maxrows, r1 - r0 + 2)
        t = <f8*> malloc(maxrows * nx * sizeof(f8))
        with nogil:
            j0 = 0
            while j0 < ny:
                j1 = min(j0 + chunk, ny)
                for j in range(j0, j1):
                    for col in range(nx):
                        out[j, col] = 0.0
                for c in range(nc):
                    r0 = max(0, _start(dims[8 * c + 5], j0, dims[8 * c + 6]))
                    r1 = min(dims[8 * c + 0],
                             _start(dims[8 * c + 5], j1 - 1, dims[8 * c + 6]) + dims[8 * c + 7])
                    if r1 <= r0:
                        continue
                    _last_rows(dims[8 * c + 2], dims[8 * c + 3], dims[8 * c + 4], bxp[c], nx,
                               xp[c], dims[8 * c + 1], r0, r1, t, pats[c], pdims[3 * c],
                               pdims[3 * c + 1], pdims[3 * c + 2])
                    for j in range(j0, j1):
                        cnt = 0
                        for k in range(dims[8 * c + 7]):
                            m = _start(dims[8 * c + 5], j, dims[8 * c + 6]) + k
                            a = byp[c][k * ny + j]
                            if m < r0 or m >= r1 or a == 0.0:
                                continue
                            coef[cnt] = a
                            rows[cnt] = t + (m - r0) * nx
                            cnt += 1
                        _axpy_rows(cnt, coef, rows, &out[j, 0], nx)
                j0 = j1
    finally:
        free(xp)
        free(bxp)
        free(byp)
        free(dims)
        free(pats)
        free(pdims)
        free(t)


# -- the even/odd fold of the preconditioner's transforms (mirror-symmetric 1D meshes) ----------
# Along an axis of n nodes with s dofs per node (s = 2: value and slope), node i pairs with node
# n - 1 - i; the reflection keeps values and negates slopes. The fold maps a field to its
# coordinates in the orthonormal even and odd bases: e = (top + sign bottom) / sqrt 2,
# o = (top - sign bottom) / sqrt 2 per pair, and a centre node (n odd) puts its value in e and
# its slope in o. The unfold is its inverse (and transpose).
cdef double _R2 = 0.7071067811865476


def fold_first(const real[:, ::1] R, int s, real[:, ::1] e, real[:, ::1] o):
    """e = Qe^T R, o = Qo^T R along the first axis."""
    cdef isz n = R.shape[0] // s, m = R.shape[0] // s // 2, nc = R.shape[1]
    cdef isz i, a, c, top, bot
    cdef real sg, x, y
    with nogil:
        for i in range(m):
            for a in range(s):
                sg = 1.0 if a == 0 else -1.0
                top = s * i + a
                bot = s * (n - 1 - i) + a
                for c in range(nc):
                    x = R[top, c]
                    y = sg * R[bot, c]
                    e[top, c] = (x + y) * _R2
                    o[top, c] = (x - y) * _R2
        if n % 2:
            for c in range(nc):
                e[m * s, c] = R[m * s, c]
            if s == 2:
                for c in range(nc):
                    o[m * s, c] = R[m * s + 1, c]


def fold_last(const real[:, ::1] R, int s, real[:, ::1] e, real[:, ::1] o):
    """e = R Qe, o = R Qo along the last axis."""
    cdef isz n = R.shape[1] // s, m = R.shape[1] // s // 2, nr = R.shape[0]
    cdef isz r, i, j
    cdef const real* x
    cdef real* pe
    cdef real* po
    cdef real c = _R2
    with nogil:
        for r in range(nr):
            x = &R[r, 0]
            pe = &e[r, 0]
            po = &o[r, 0]
            if s == 1:
                for i in range(m):
                    j = n - 1 - i
                    pe[i] = (x[i] + x[j]) * c
                    po[i] = (x[i] - x[j]) * c
                if n % 2:
                    pe[m] = x[m]
            else:
                for i in range(m):
                    j = n - 1 - i
                    pe[2 * i] = (x[2 * i] + x[2 * j]) * c
                    po[2 * i] = (x[2 * i] - x[2 * j]) * c
                    pe[2 * i + 1] = (x[2 * i + 1] - x[2 * j + 1]) * c
                    po[2 * i + 1] = (x[2 * i + 1] + x[2 * j + 1]) * c
                if n % 2:
                    pe[2 * m] = x[2 * m]
                    po[2 * m] = x[2 * m + 1]


def unfold_first(const real[:, ::1] e, const real[:, ::1] o, int s, real[:, ::1] out):
    """out = Qe e + Qo o along the first axis."""
    cdef isz n = out.shape[0] // s, m = out.shape[0] // s // 2, nc = out.shape[1]
    cdef isz i, a, c, top, bot
    cdef real sg, x, y
    with nogil:
        for i in range(m):
            for a in range(s):
                sg = 1.0 if a == 0 else -1.0
                top = s * i + a
                bot = s * (n - 1 - i) + a
                for c in range(nc):
                    x = e[top, c]
                    y = o[top, c]
                    out[top, c] = (x + y) * _R2
                    out[bot, c] = sg * (x - y) * _R2
        if n % 2:
            for c in range(nc):
                out[m * s, c] = e[m * s, c]
            if s == 2:
                for c in range(nc):
                    out[m * s + 1, c] = o[m * s, c]


def unfold_last(const real[:, ::1] e, const real[:, ::1] o, int s, real[:, ::1] out):
    """out = e Qe^T + o Qo^T along the last axis."""
    cdef isz n = out.shape[1] // s, m = out.shape[1] // s // 2, nr = out.shape[0]
    cdef isz r, i, j
    cdef const real* pe
    cdef const real* po
    cdef real* y
    cdef real c = _R2
    with nogil:
        for r in range(nr):
            pe = &e[r, 0]
            po = &o[r, 0]
            y = &out[r, 0]
            if s == 1:
                for i in range(m):
                    j = n - 1 - i
                    y[i] = (pe[i] + po[i]) * c
                    y[j] = (pe[i] - po[i]) * c
                if n % 2:
                    y[m] = pe[m]
            else:
                for i in range(m):
                    j = n - 1 - i
                    y[2 * i] = (pe[2 * i] + po[2 * i]) * c
                    y[2 * j] = (pe[2 * i] - po[2 * i]) * c
                    y[2 * i + 1] = (pe[2 * i + 1] + po[2 * i + 1]) * c
                    y[2 * j + 1] = (po[2 * i + 1] - pe[2 * i + 1]) * c
                if n % 2:
                    y[2 * m] = pe[2 * m]
                    y[2 * m + 1] = po[2 * m]


# -- the preconditioner's mode-by-mode products and inverses ------------------------------------
def mode_combine(const real[:, :, ::1] inv, const real[:, ::1] hat, real[:, ::1] out):
    """out[i, p] = sum_j inv[i, j, p] hat[j, p]: mode by mode (p, flattened), the small matrix of
    the laminates' coupling (laminates i, j) times the transformed residuals."""
    cdef isz n = inv.shape[0], npts = inv.shape[2], i, j, p
    cdef const real* a
    cdef const real* h
    cdef real* y
    with nogil:
        for i in range(n):
            y = &out[i, 0]
            a = &inv[i, 0, 0]
            h = &hat[0, 0]
            for p in range(npts):
                y[p] = a[p] * h[p]
            for j in range(1, n):
                a = &inv[i, j, 0]
                h = &hat[j, 0]
                for p in range(npts):
                    y[p] += a[p] * h[p]


def inverse_3x3(const f8[:, :, ::1] P, f8[:, :, ::1] out):
    """out[:, :, p] = inverse of P[:, :, p] (3 x 3, entry-major) by the adjugate; a singular P
    gives non-finite entries."""
    cdef isz npts = P.shape[2], p
    cdef f8 a, b, c, d, e, f, g, h, k, c00, c01, c02, det
    with nogil:
        for p in range(npts):
            a, b, c = P[0, 0, p], P[0, 1, p], P[0, 2, p]
            d, e, f = P[1, 0, p], P[1, 1, p], P[1, 2, p]
            g, h, k = P[2, 0, p], P[2, 1, p], P[2, 2, p]
            c00 = e * k - f * h
            c01 = f * g - d * k
            c02 = d * h - e * g
            det = 1.0 / (a * c00 + b * c01 + c * c02)
            out[0, 0, p] = c00 * det
            out[0, 1, p] = (c * h - b * k) * det
            out[0, 2, p] = (b * f - c * e) * det
            out[1, 0, p] = c01 * det
            out[1, 1, p] = (a * k - c * g) * det
            out[1, 2, p] = (c * d - a * f) * det
            out[2, 0, p] = c02 * det
            out[2, 1, p] = (b * g - a * h) * det
            out[2, 2, p] = (a * e - b * d) * det


def xpby(const f8[::1] z, double beta, f8[::1] p):
    """p = z + beta p (the CG direction update), in place."""
    cdef isz n = p.shape[0], i
    with nogil:
        for i in range(n):
            p[i] = z[i] + beta * p[i]


# -- block-tridiagonal line solves (the preconditioner's exact solves along y) ------------------
# After the transform along x, every x mode leaves one system along y: block tridiagonal, one
# b x b block per node (b = laminates x dofs per node), symmetric positive definite. Thousands
# of these are solved at once, so every loop runs over the modes innermost (unit stride). The
# factor is a block Cholesky L L^T with L_j,j-1 = A_j,j-1 L_j-1,j-1^-T, kept as the packed lower
# triangles of Linv[j] = L_jj^-1 only (entry (p, q), q <= p, at p (p + 1) / 2 + q): the
# sub-diagonal blocks A_j,j-1 are applied as they are (one block for every node on a uniform
# mesh), which keeps the data a solve streams from memory to b (b + 1) / 2 numbers per node.
cdef inline isz _tri(isz p, isz q) noexcept nogil:
    return p * (p + 1) // 2 + q


def btd_factor(const f8[:, :, :, ::1] Ad, const f8[:, :, :, ::1] As, real[:, :, ::1] Lpk):
    """Packed block Cholesky factors ``Lpk`` (nodes, b (b + 1) / 2, modes) of the
    block-tridiagonal matrices with diagonal blocks ``Ad[j]`` (nodes, b, b, modes) and
    sub-diagonal blocks A[j, j-1] = ``As[j]`` (As[0] unused), or ``As[0]`` for every j when
    ``As`` holds one block. Returns the number of non-positive pivots (0: positive definite)."""
    cdef isz nn = Ad.shape[0], b = Ad.shape[1], m = Ad.shape[3], na = As.shape[0]
    cdef isz j, p, q, r, k, ja, bb = b * b
    cdef isz bad = 0
    cdef f8 v
    if na != 1 and na != nn:
        raise ValueError(f"{na} sub-diagonal blocks for {nn} nodes: expected 1 or {nn}")
    if Lpk.shape[0] != nn or Lpk.shape[1] != b * (b + 1) // 2 or Lpk.shape[2] != m:
        raise ValueError("factor array has the wrong shape")
    cdef f8* S = <f8*> malloc(bb * m * sizeof(f8))
    cdef f8* L = <f8*> malloc(bb * m * sizeof(f8))
    cdef f8* Li = <f8*> malloc(bb * m * sizeof(f8))
    cdef f8* Ls = <f8*> malloc(bb * m * sizeof(f8))
    cdef f8* acc = <f8*> malloc(m * sizeof(f8))
    if S == NULL or L == NULL or Li == NULL or Ls == NULL or acc == NULL:
        free(S)
        free(L)
        free(Li)
        free(Ls)
        free(acc)
        raise MemoryError()
    try:
        with nogil:
            for j in range(nn):
                for p in range(b):
                    for q in range(b):
                        for k in range(m):
                            S[(p * b + q) * m + k] = Ad[j, p, q, k]
                if j > 0:
                    ja = j if na > 1 else 0
                    # Ls = A[j, j-1] Li_prev^T (Li_prev lower: r <= q), then S -= Ls Ls^T
                    for p in range(b):
                        for q in range(b):
                            for k in range(m):
                                acc[k] = 0.0
                            for r in range(q + 1):
                                for k in range(m):
                                    acc[k] += As[ja, p, r, k] * Li[(q * b + r) * m + k]
                            for k in range(m):
                                Ls[(p * b + q) * m + k] = acc[k]
                    for p in range(b):
                        for q in range(p + 1):
                            for r in range(b):
                                for k in range(m):
                                    S[(p * b + q) * m + k] -= (Ls[(p * b + r) * m + k]
                                                               * Ls[(q * b + r) * m + k])
                # Cholesky of S (lower triangle)
                for q in range(b):
                    for p in range(q, b):
                        for k in range(m):
                            acc[k] = S[(p * b + q) * m + k]
                        for r in range(q):
                            for k in range(m):
                                acc[k] -= L[(p * b + r) * m + k] * L[(q * b + r) * m + k]
                        if p == q:
                            for k in range(m):
                                v = acc[k]
                                if not v > 0.0:
                                    bad += 1
                                    v = 1.0
                                L[(q * b + q) * m + k] = sqrt(v)
                        else:
                            for k in range(m):
                                L[(p * b + q) * m + k] = acc[k] / L[(q * b + q) * m + k]
                # Li = L^-1 (lower triangular), row by row
                for p in range(b):
                    for q in range(b):
                        for k in range(m):
                            Li[(p * b + q) * m + k] = 0.0
                    for k in range(m):
                        Li[(p * b + p) * m + k] = 1.0 / L[(p * b + p) * m + k]
                    for q in range(p):
                        for k in range(m):
                            acc[k] = 0.0
                        for r in range(q, p):
                            for k in range(m):
                                acc[k] += L[(p * b + r) * m + k] * Li[(r * b + q) * m + k]
                        for k in range(m):
                            Li[(p * b + q) * m + k] = -acc[k] * Li[(p * b + p) * m + k]
                for p in range(b):
                    for q in range(p + 1):
                        for k in range(m):
                            Lpk[j, _tri(p, q), k] = <real> Li[(p * b + q) * m + k]
    finally:
        free(S)
        free(L)
        free(Li)
        free(Ls)
        free(acc)
    return bad


cdef inline void _fma_rows(int cnt, const real** c, const real** x, real* y, isz m, real sign,
                           const real* base) noexcept nogil:
    """y[k] = base[k] + sign sum_i c[i][k] x[i][k] (base NULL: 0), summing four rows a pass."""
    cdef isz k
    cdef int i = 0
    cdef const real* c0
    cdef const real* c1
    cdef const real* c2
    cdef const real* c3
    cdef const real* x0
    cdef const real* x1
    cdef const real* x2
    cdef const real* x3
    cdef const real* b = base
    while True:
        if cnt - i >= 4:
            c0, c1, c2, c3 = c[i], c[i + 1], c[i + 2], c[i + 3]
            x0, x1, x2, x3 = x[i], x[i + 1], x[i + 2], x[i + 3]
            if b == NULL:
                for k in range(m):
                    y[k] = sign * (c0[k] * x0[k] + c1[k] * x1[k] + c2[k] * x2[k] + c3[k] * x3[k])
            else:
                for k in range(m):
                    y[k] = b[k] + sign * (c0[k] * x0[k] + c1[k] * x1[k] + c2[k] * x2[k]
                                          + c3[k] * x3[k])
            i += 4
        elif cnt - i == 3:
            c0, c1, c2 = c[i], c[i + 1], c[i + 2]
            x0, x1, x2 = x[i], x[i + 1], x[i + 2]
            if b == NULL:
                for k in range(m):
                    y[k] = sign * (c0[k] * x0[k] + c1[k] * x1[k] + c2[k] * x2[k])
            else:
                for k in range(m):
                    y[k] = b[k] + sign * (c0[k] * x0[k] + c1[k] * x1[k] + c2[k] * x2[k])
            i += 3
        elif cnt - i == 2:
            c0, c1 = c[i], c[i + 1]
            x0, x1 = x[i], x[i + 1]
            if b == NULL:
                for k in range(m):
                    y[k] = sign * (c0[k] * x0[k] + c1[k] * x1[k])
            else:
                for k in range(m):
                    y[k] = b[k] + sign * (c0[k] * x0[k] + c1[k] * x1[k])
            i += 2
        elif cnt - i == 1:
            c0, x0 = c[i], x[i]
            if b == NULL:
                for k in range(m):
                    y[k] = sign * c0[k] * x0[k]
            else:
                for k in range(m):
                    y[k] = b[k] + sign * c0[k] * x0[k]
            i += 1
        else:  # no rows at all
            if b == NULL:
                for k in range(m):
                    y[k] = 0.0
            elif b != y:
                for k in range(m):
                    y[k] = b[k]
            return
        if i >= cnt:
            return
        b = y  # later passes accumulate onto what the first wrote


def btd_solve(list T, int s, const real[:, :, ::1] Lpk, const real[:, :, :, ::1] As, isz k0):
    """Solve the factored block-tridiagonal systems (``Lpk`` from :func:`btd_factor`, ``As`` the
    same sub-diagonal blocks, in the working precision) in place, one per column
    k0 <= k < k0 + m of the fields ``T`` (one (s * nodes, columns) array per laminate): unknown
    p = l s + a of node j is T[l][s j + a, k]."""
    cdef isz nl = len(T), nn = Lpk.shape[0], m = Lpk.shape[2], na = As.shape[0]
    cdef isz b = As.shape[1]
    cdef isz j, p, q, l, ja
    cdef int cnt
    cdef real[:, ::1] tv
    if b != nl * s or b > 16 or Lpk.shape[1] != b * (b + 1) // 2 or As.shape[3] != m or (
            na != 1 and na != nn):
        raise ValueError(f"{nl} fields x {s} dofs per node do not match the factors' blocks")
    cdef real** base = <real**> malloc(nl * sizeof(real*))
    cdef isz* ld = <isz*> malloc(nl * sizeof(isz))
    cdef real* acc = <real*> malloc(2 * b * m * sizeof(real))
    cdef const real* cs[16]
    cdef const real* xs[16]
    cdef real* u
    if base == NULL or ld == NULL or acc == NULL:
        free(base)
        free(ld)
        free(acc)
        raise MemoryError()
    u = acc + b * m
    try:
        for l in range(nl):
            tv = T[l]
            if tv.shape[0] != s * nn or k0 < 0 or k0 + m > tv.shape[1]:
                raise ValueError(f"field {l}: shape {(tv.shape[0], tv.shape[1])} does not hold "
                                 f"{nn} nodes x {s} dofs and columns {k0}..{k0 + m}")
            base[l] = &tv[0, k0]
            ld[l] = tv.shape[1]
        with nogil:
            for j in range(nn):  # forward: L y = rhs
                if j > 0:
                    # u = L_j-1,j-1^-T y_j-1, then acc = rhs_j - A[j, j-1] u
                    for q in range(b):
                        cnt = 0
                        for p in range(q, b):
                            cs[cnt] = &Lpk[j - 1, _tri(p, q), 0]
                            xs[cnt] = base[p // s] + (s * (j - 1) + p % s) * ld[p // s]
                            cnt += 1
                        _fma_rows(cnt, cs, xs, u + q * m, m, 1.0, NULL)
                    ja = j if na > 1 else 0
                    for q in range(b):
                        xs[q] = u + q * m
                    for p in range(b):
                        for q in range(b):
                            cs[q] = &As[ja, p, q, 0]
                        _fma_rows(<int> b, cs, xs, acc + p * m, m, -1.0,
                                  base[p // s] + (s * j + p % s) * ld[p // s])
                else:
                    for p in range(b):
                        _fma_rows(0, cs, xs, acc + p * m, m, 1.0,
                                  base[p // s] + (s * j + p % s) * ld[p // s])
                for p in range(b):  # y_j = L_jj^-1 acc
                    for q in range(p + 1):
                        cs[q] = &Lpk[j, _tri(p, q), 0]
                        xs[q] = acc + q * m
                    _fma_rows(<int> (p + 1), cs, xs,
                              base[p // s] + (s * j + p % s) * ld[p // s], m, 1.0, NULL)
            for j in range(nn - 1, -1, -1):  # backward: L^T x = y
                if j < nn - 1:
                    # acc = y_j - L_jj^-1 A[j+1, j]^T x_j+1
                    ja = j + 1 if na > 1 else 0
                    for q in range(b):
                        xs[q] = base[q // s] + (s * (j + 1) + q % s) * ld[q // s]
                    for p in range(b):
                        for q in range(b):
                            cs[q] = &As[ja, q, p, 0]
                        _fma_rows(<int> b, cs, xs, u + p * m, m, 1.0, NULL)
                    for p in range(b):
                        for q in range(p + 1):
                            cs[q] = &Lpk[j, _tri(p, q), 0]
                            xs[q] = u + q * m
                        _fma_rows(<int> (p + 1), cs, xs, acc + p * m, m, -1.0,
                                  base[p // s] + (s * j + p % s) * ld[p // s])
                else:
                    for p in range(b):
                        _fma_rows(0, cs, xs, acc + p * m, m, 1.0,
                                  base[p // s] + (s * j + p % s) * ld[p // s])
                for p in range(b):  # x_j = L_jj^-T acc
                    cnt = 0
                    for q in range(p, b):
                        cs[cnt] = &Lpk[j, _tri(q, p), 0]
                        xs[cnt] = acc + q * m
                        cnt += 1
                    _fma_rows(cnt, cs, xs, base[p // s] + (s * j + p % s) * ld[p // s], m,
                              1.0, NULL)
    finally:
        free(base)
        free(ld)
        free(acc)
