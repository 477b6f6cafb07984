# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled kernels of the thermal solver: 7-point finite-volume operator, z-line red-black
smoother, multigrid transfers and fused CG vector updates.

All 3D arrays are float64, C-contiguous, shaped (nz, ny + 2, nx + 2): one ghost cell on each side
in x and y, kept at zero, so no loop needs a boundary branch (boundary faces have zero
conductance). The wrappers in ``wafersolve.thermal`` validate shapes; these loops trust them.
Every kernel has a NumPy twin with the same signature in ``wafersolve._kernels.reference``.

Stencil of one level (all conductances in W/K):
  x-face between (k, j, i) and (k, j, i+1):  cx[k] * wy[j] * fx[i]    (fx: 1 / centre distance)
  y-face between (k, j, i) and (k, j+1, i):  cy[k] * wx[i] * fy[j]
  z-face between (k, j, i) and (k+1, j, i):  cz[k] * wx[i] * wy[j]    (cz: W/m^2/K, series of halves)
  Robin faces: gbot[j, i] (bottom of k = 0) and gtop[j, i] (top of k = nz-1), to T = 0.
Slices whose conductivity varies cell by cell (temperature-dependent k) instead take their face
conductances from gxv / gyv [vslice[k], j, i]; z-faces touching them from gzv[vface[k], j, i].
"""

ctypedef double f8


cdef inline void _apply_row(Py_ssize_t k, Py_ssize_t j, Py_ssize_t nz, Py_ssize_t nx,
                            const f8[:, :, ::1] x, f8* out,
                            const f8[::1] cx, const f8[::1] cy, const f8[::1] fx,
                            const f8[::1] fy, const f8[::1] wx, const f8[::1] wy,
                            const f8[::1] cz, const f8[:, ::1] gtop, const f8[:, ::1] gbot,
                            const Py_ssize_t[::1] vslice, const f8[:, :, ::1] gxv,
                            const f8[:, :, ::1] gyv, const Py_ssize_t[::1] vface,
                            const f8[:, :, ::1] gzv) noexcept nogil:
    """out[i] = (A x)[k, j, i] for i = 1 .. nx (out indexed like the padded row)."""
    cdef Py_ssize_t i
    cdef Py_ssize_t v = vslice[k]
    cdef Py_ssize_t fb = vface[k - 1] if k > 0 else -1
    cdef Py_ssize_t fa = vface[k] if k < nz - 1 else -1
    cdef f8 a, b, cb, ca, xc
    cdef f8 wyj = wy[j]
    cdef f8 fyl = fy[j - 1]
    cdef f8 fyr = fy[j]
    cdef const f8* x0 = &x[k, j, 0]
    cdef const f8* xs = &x[k, j - 1, 0]
    cdef const f8* xn = &x[k, j + 1, 0]
    cdef const f8* xd
    cdef const f8* xu
    cdef const f8* pf = &fx[0]
    cdef const f8* pw = &wx[0]
    cdef const f8* pg
    if v < 0 and fb < 0 and fa < 0:
        # layer-constant slice with layer-constant z faces: one fused loop
        a = cx[k] * wyj
        b = cy[k] * fyl
        cb = cy[k] * fyr
        if 0 < k < nz - 1:
            xd = &x[k - 1, j, 0]
            xu = &x[k + 1, j, 0]
            ca = cz[k - 1] * wyj
            xc = cz[k] * wyj
            for i in range(1, nx + 1):
                out[i] = (a * (pf[i - 1] * (x0[i] - x0[i - 1]) + pf[i] * (x0[i] - x0[i + 1]))
                          + pw[i] * (b * (x0[i] - xs[i]) + cb * (x0[i] - xn[i])
                                     + ca * (x0[i] - xd[i]) + xc * (x0[i] - xu[i])))
            return
        if k == 0 and nz > 1:
            xu = &x[k + 1, j, 0]
            xc = cz[k] * wyj
            pg = &gbot[j, 0]
            for i in range(1, nx + 1):
                out[i] = (a * (pf[i - 1] * (x0[i] - x0[i - 1]) + pf[i] * (x0[i] - x0[i + 1]))
                          + pw[i] * (b * (x0[i] - xs[i]) + cb * (x0[i] - xn[i])
                                     + xc * (x0[i] - xu[i])) + pg[i] * x0[i])
            return
        if k == nz - 1 and nz > 1:
            xd = &x[k - 1, j, 0]
            ca = cz[k - 1] * wyj
            pg = &gtop[j, 0]
            for i in range(1, nx + 1):
                out[i] = (a * (pf[i - 1] * (x0[i] - x0[i - 1]) + pf[i] * (x0[i] - x0[i + 1]))
                          + pw[i] * (b * (x0[i] - xs[i]) + cb * (x0[i] - xn[i])
                                     + ca * (x0[i] - xd[i])) + pg[i] * x0[i])
            return
    # general path: per-cell conductances on variable slices / faces, or a single slice
    if v < 0:
        a = cx[k] * wyj
        b = cy[k]
        for i in range(1, nx + 1):
            xc = x0[i]
            out[i] = (a * (pf[i - 1] * (xc - x0[i - 1]) + pf[i] * (xc - x0[i + 1]))
                      + b * pw[i] * (fyl * (xc - xs[i]) + fyr * (xc - xn[i])))
    else:
        for i in range(1, nx + 1):
            xc = x0[i]
            out[i] = (gxv[v, j, i - 1] * (xc - x0[i - 1]) + gxv[v, j, i] * (xc - x0[i + 1])
                      + gyv[v, j - 1, i] * (xc - xs[i]) + gyv[v, j, i] * (xc - xn[i]))
    if k > 0:
        xd = &x[k - 1, j, 0]
        if fb < 0:
            cb = cz[k - 1] * wyj
            for i in range(1, nx + 1):
                out[i] += cb * pw[i] * (x0[i] - xd[i])
        else:
            pg = &gzv[fb, j, 0]
            for i in range(1, nx + 1):
                out[i] += pg[i] * (x0[i] - xd[i])
    else:
        pg = &gbot[j, 0]
        for i in range(1, nx + 1):
            out[i] += pg[i] * x0[i]
    if k < nz - 1:
        xu = &x[k + 1, j, 0]
        if fa < 0:
            ca = cz[k] * wyj
            for i in range(1, nx + 1):
                out[i] += ca * pw[i] * (x0[i] - xu[i])
        else:
            pg = &gzv[fa, j, 0]
            for i in range(1, nx + 1):
                out[i] += pg[i] * (x0[i] - xu[i])
    else:
        pg = &gtop[j, 0]
        for i in range(1, nx + 1):
            out[i] += pg[i] * x0[i]


def apply_operator(const f8[:, :, ::1] x, f8[:, :, ::1] out,
                   const f8[::1] cx, const f8[::1] cy, const f8[::1] fx, const f8[::1] fy,
                   const f8[::1] wx, const f8[::1] wy, const f8[::1] cz,
                   const f8[:, ::1] gtop, const f8[:, ::1] gbot,
                   const Py_ssize_t[::1] vslice, const f8[:, :, ::1] gxv, const f8[:, :, ::1] gyv,
                   const Py_ssize_t[::1] vface, const f8[:, :, ::1] gzv):
    """out = A x on the interior (ghosts of out untouched); returns x . out.

    Rows are visited y-major (all z slices of row j, then row j + 1) so the three rows of every
    slice that the stencil touches stay in cache and x is read from memory once."""
    cdef Py_ssize_t nz = x.shape[0], ny = x.shape[1] - 2, nx = x.shape[2] - 2
    cdef Py_ssize_t k, j, i
    cdef f8 s = 0.0
    with nogil:
        for j in range(1, ny + 1):
            for k in range(nz):
                _apply_row(k, j, nz, nx, x, &out[k, j, 0], cx, cy, fx, fy, wx, wy, cz,
                           gtop, gbot, vslice, gxv, gyv, vface, gzv)
                for i in range(1, nx + 1):
                    s += x[k, j, i] * out[k, j, i]
    return s


def update_direction_apply(f8[:, :, ::1] zq, f8[:, :, ::1] p, double beta,
                           const f8[::1] cx, const f8[::1] cy, const f8[::1] fx,
                           const f8[::1] fy, const f8[::1] wx, const f8[::1] wy,
                           const f8[::1] cz, const f8[:, ::1] gtop, const f8[:, ::1] gbot,
                           const Py_ssize_t[::1] vslice, const f8[:, :, ::1] gxv,
                           const f8[:, :, ::1] gyv, const Py_ssize_t[::1] vface,
                           const f8[:, :, ::1] gzv):
    """CG direction update fused with the operator, in one pass over memory:
    p = zq + beta p, then zq = A p (zq held z on entry, holds q = A p on exit); returns p . q.

    Row j + 1 of p (all slices) is updated before q is formed on row j, so q sees final p."""
    cdef Py_ssize_t nz = p.shape[0], ny = p.shape[1] - 2, nx = p.shape[2] - 2
    cdef Py_ssize_t k, j, i, jj
    cdef f8 s = 0.0
    with nogil:
        for jj in range(1, ny + 2):
            if jj <= ny:
                for k in range(nz):
                    for i in range(1, nx + 1):
                        p[k, jj, i] = zq[k, jj, i] + beta * p[k, jj, i]
            j = jj - 1
            if j >= 1:
                for k in range(nz):
                    _apply_row(k, j, nz, nx, p, &zq[k, j, 0], cx, cy, fx, fy, wx, wy, cz,
                               gtop, gbot, vslice, gxv, gyv, vface, gzv)
                    for i in range(1, nx + 1):
                        s += p[k, j, i] * zq[k, j, i]
    return s


def cg_step(f8[::1] x, f8[::1] r, const f8[::1] p, const f8[::1] q, double alpha):
    """x += alpha p; r -= alpha q (flat views); returns (r . r, sum r)."""
    cdef Py_ssize_t n = x.shape[0], i
    cdef f8 rr = 0.0, rs = 0.0, ri
    with nogil:
        for i in range(n):
            x[i] += alpha * p[i]
            ri = r[i] - alpha * q[i]
            r[i] = ri
            rr += ri * ri
            rs += ri
    return rr, rs


cdef inline void _half_row(Py_ssize_t j, int color, bint zero, Py_ssize_t nz, Py_ssize_t nx,
                           f8[:, :, ::1] x, const f8[:, :, ::1] b,
                           const f8[::1] cx, const f8[::1] cy, const f8[::1] cz,
                           const f8[::1] sxl, const f8[::1] sxr, const f8[::1] syl,
                           const f8[::1] syr, const f8[::1] iwx, const f8[::1] iwy,
                           const f8[::1] unif, const Py_ssize_t[::1] rowtype,
                           const f8[:, :, ::1] minv, const f8[:, :, ::1] upc) noexcept nogil:
    """Exact z-line solves on the columns (j, i) of one colour ((i + j) % 2 == color):
    right-hand side and forward elimination in one loop per slice, then back substitution.
    unif[0] != 0 marks a level uniform in x, where sxl = sxr = unif[1] and iwx = unif[2] on every
    interior column (the zero ghosts make the boundary columns agree too): constants replace
    three array loads per cell."""
    cdef Py_ssize_t i, k
    cdef Py_ssize_t i0 = 1 if ((1 + j) & 1) == color else 2
    cdef Py_ssize_t t = rowtype[j]
    cdef f8 cxk, cyl, cyr, czl
    cdef f8 yl = syl[j], yr = syr[j], iy = iwy[j]
    cdef f8* x0
    cdef const f8* xs
    cdef const f8* xn
    cdef const f8* xd
    cdef const f8* xu
    cdef const f8* b0
    cdef const f8* mi
    cdef const f8* up
    cdef const f8* pl = &sxl[0]
    cdef const f8* pr = &sxr[0]
    cdef const f8* pw = &iwx[0]
    cdef bint uni = unif[0] != 0.0
    cdef f8 us = unif[1], uw = unif[2] * iwy[j]
    for k in range(nz):
        x0 = &x[k, j, 0]
        b0 = &b[k, j, 0]
        mi = &minv[t, k, 0]
        cxk = cx[k]
        cyl = cy[k] * yl
        cyr = cy[k] * yr
        if k > 0:
            xd = &x[k - 1, j, 0]
            czl = cz[k - 1]
            if zero:
                for i in range(i0, nx + 1, 2):
                    x0[i] = (b0[i] * pw[i] * iy + czl * xd[i]) * mi[i]
            elif uni:
                xs = &x[k, j - 1, 0]
                xn = &x[k, j + 1, 0]
                cxk = cxk * us
                for i in range(i0, nx + 1, 2):
                    x0[i] = (b0[i] * uw + cxk * (x0[i - 1] + x0[i + 1])
                             + cyl * xs[i] + cyr * xn[i] + czl * xd[i]) * mi[i]
            else:
                xs = &x[k, j - 1, 0]
                xn = &x[k, j + 1, 0]
                for i in range(i0, nx + 1, 2):
                    x0[i] = (b0[i] * pw[i] * iy + cxk * (pl[i] * x0[i - 1] + pr[i] * x0[i + 1])
                             + cyl * xs[i] + cyr * xn[i] + czl * xd[i]) * mi[i]
        else:
            if zero:
                for i in range(i0, nx + 1, 2):
                    x0[i] = b0[i] * pw[i] * iy * mi[i]
            elif uni:
                xs = &x[k, j - 1, 0]
                xn = &x[k, j + 1, 0]
                cxk = cxk * us
                for i in range(i0, nx + 1, 2):
                    x0[i] = (b0[i] * uw + cxk * (x0[i - 1] + x0[i + 1])
                             + cyl * xs[i] + cyr * xn[i]) * mi[i]
            else:
                xs = &x[k, j - 1, 0]
                xn = &x[k, j + 1, 0]
                for i in range(i0, nx + 1, 2):
                    x0[i] = (b0[i] * pw[i] * iy + cxk * (pl[i] * x0[i - 1] + pr[i] * x0[i + 1])
                             + cyl * xs[i] + cyr * xn[i]) * mi[i]
    for k in range(nz - 2, -1, -1):
        x0 = &x[k, j, 0]
        xu = &x[k + 1, j, 0]
        up = &upc[t, k, 0]
        for i in range(i0, nx + 1, 2):
            x0[i] += up[i] * xu[i]


def smooth(f8[:, :, ::1] x, const f8[:, :, ::1] b,
           const f8[::1] cx, const f8[::1] cy, const f8[::1] cz,
           const f8[::1] sxl, const f8[::1] sxr, const f8[::1] syl, const f8[::1] syr,
           const f8[::1] iwx, const f8[::1] iwy, const f8[::1] unif,
           const Py_ssize_t[::1] rowtype, const f8[:, :, ::1] minv, const f8[:, :, ::1] upc,
           bint forward, bint zero):
    """One red-black Gauss-Seidel sweep over z-columns, each column solved exactly (Thomas with
    pre-factored pivots). forward: colour 0 then 1; else 1 then 0 (the adjoint sweep).
    zero: x is taken as zero on entry (its values are never read).

    The two colours are interleaved row by row (row j of the first colour, then row j - 1 of the
    second), which gives the same result as two full passes but reads memory once."""
    cdef Py_ssize_t nz = x.shape[0], ny = x.shape[1] - 2, nx = x.shape[2] - 2
    cdef Py_ssize_t j
    cdef int c0 = 0 if forward else 1
    cdef int c1 = 1 - c0
    with nogil:
        for j in range(1, ny + 2):
            if j <= ny:
                _half_row(j, c0, zero, nz, nx, x, b, cx, cy, cz, sxl, sxr, syl, syr, iwx, iwy,
                          unif, rowtype, minv, upc)
            if j >= 2:
                _half_row(j - 1, c1, False, nz, nx, x, b, cx, cy, cz, sxl, sxr, syl, syr,
                          iwx, iwy, unif, rowtype, minv, upc)


cdef inline void _restrict_row(Py_ssize_t j, Py_ssize_t nz, Py_ssize_t nx,
                               const f8[:, :, ::1] x, const f8[:, :, ::1] b, f8[:, :, ::1] bc,
                               const f8[::1] cx, const f8[::1] cy, const f8[::1] fx,
                               const f8[::1] fy, const f8[::1] wx, const f8[::1] wy,
                               const f8[::1] cz, const f8[:, ::1] gtop, const f8[:, ::1] gbot,
                               const Py_ssize_t[::1] vslice, const f8[:, :, ::1] gxv,
                               const f8[:, :, ::1] gyv, const Py_ssize_t[::1] vface,
                               const f8[:, :, ::1] gzv, const Py_ssize_t[:, ::1] rix,
                               const f8[:, ::1] rwx, const Py_ssize_t[::1] jy0,
                               const Py_ssize_t[::1] jy1, const f8[::1] wy0, const f8[::1] wy1,
                               f8[:, ::1] rrow) noexcept nogil:
    """Add P^T of the residual of fine row j (all slices) into the coarse rows it feeds."""
    cdef Py_ssize_t ncx = bc.shape[2] - 2
    cdef Py_ssize_t nm = rix.shape[1]
    cdef Py_ssize_t k, i, m
    cdef Py_ssize_t J0 = jy0[j], J1 = jy1[j]
    cdef f8 v0 = wy0[j], v1 = wy1[j], acc
    cdef f8* rr
    cdef const f8* b0
    for k in range(nz):
        rr = &rrow[k, 0]
        b0 = &b[k, j, 0]
        _apply_row(k, j, nz, nx, x, rr, cx, cy, fx, fy, wx, wy, cz, gtop, gbot, vslice, gxv,
                   gyv, vface, gzv)
        for i in range(1, nx + 1):
            rr[i] = b0[i] - rr[i]
        rr[0] = 0.0
        rr[nx + 1] = 0.0
        for i in range(1, ncx + 1):
            acc = 0.0
            for m in range(nm):
                acc = acc + rwx[i, m] * rr[rix[i, m]]
            bc[k, J0, i] += v0 * acc
            bc[k, J1, i] += v1 * acc


cdef inline void _zero(f8[:, :, ::1] a) noexcept nogil:
    cdef Py_ssize_t k, j, i
    for k in range(a.shape[0]):
        for j in range(a.shape[1]):
            for i in range(a.shape[2]):
                a[k, j, i] = 0.0


def restrict_residual(const f8[:, :, ::1] x, const f8[:, :, ::1] b, f8[:, :, ::1] bc,
                      const f8[::1] cx, const f8[::1] cy, const f8[::1] fx, const f8[::1] fy,
                      const f8[::1] wx, const f8[::1] wy, const f8[::1] cz,
                      const f8[:, ::1] gtop, const f8[:, ::1] gbot,
                      const Py_ssize_t[::1] vslice, const f8[:, :, ::1] gxv,
                      const f8[:, :, ::1] gyv, const Py_ssize_t[::1] vface,
                      const f8[:, :, ::1] gzv, const Py_ssize_t[:, ::1] rix,
                      const f8[:, ::1] rwx, const Py_ssize_t[::1] jy0,
                      const Py_ssize_t[::1] jy1, const f8[::1] wy0, const f8[::1] wy1,
                      f8[:, ::1] rrow, f8[:, ::1] tmp):
    """bc = P^T (b - A x): the residual, formed row by row and never stored, restricted with the
    transpose of the bilinear prolongation. In x the transpose is a gather: coarse column I sums
    rwx[I, m] * r[rix[I, m]]. rrow is (nz, nx + 2) scratch; tmp is unused (kept for symmetry
    with prolong_add)."""
    cdef Py_ssize_t nz = x.shape[0], ny = x.shape[1] - 2, nx = x.shape[2] - 2
    cdef Py_ssize_t j
    with nogil:
        _zero(bc)
        for j in range(1, ny + 1):
            _restrict_row(j, nz, nx, x, b, bc, cx, cy, fx, fy, wx, wy, cz, gtop, gbot, vslice,
                          gxv, gyv, vface, gzv, rix, rwx, jy0, jy1, wy0, wy1, rrow)


cdef inline void _prolong_row(Py_ssize_t j, Py_ssize_t nz, Py_ssize_t nx,
                              const f8[:, :, ::1] xc, f8[:, :, ::1] x,
                              const Py_ssize_t[::1] ix0, const Py_ssize_t[::1] ix1,
                              const f8[::1] wx0, const f8[::1] wx1, const Py_ssize_t[::1] jy0,
                              const Py_ssize_t[::1] jy1, const f8[::1] wy0, const f8[::1] wy1,
                              f8[:, ::1] tmp) noexcept nogil:
    """x[:, j, :] += (P xc)[:, j, :]: along y into a coarse row, then along x."""
    cdef Py_ssize_t ncx = xc.shape[2] - 2
    cdef Py_ssize_t k, i
    cdef Py_ssize_t J0 = jy0[j], J1 = jy1[j]
    cdef f8 v0 = wy0[j], v1 = wy1[j]
    cdef f8* t
    cdef f8* x0
    cdef const f8* c0
    cdef const f8* c1
    for k in range(nz):
        t = &tmp[k, 0]
        c0 = &xc[k, J0, 0]
        c1 = &xc[k, J1, 0]
        for i in range(ncx + 2):
            t[i] = v0 * c0[i] + v1 * c1[i]
        x0 = &x[k, j, 0]
        for i in range(1, nx + 1):
            x0[i] += wx0[i] * t[ix0[i]] + wx1[i] * t[ix1[i]]


def prolong_add(const f8[:, :, ::1] xc, f8[:, :, ::1] x,
                const Py_ssize_t[::1] ix0, const Py_ssize_t[::1] ix1, const f8[::1] wx0,
                const f8[::1] wx1, const Py_ssize_t[::1] jy0, const Py_ssize_t[::1] jy1,
                const f8[::1] wy0, const f8[::1] wy1, f8[:, ::1] tmp):
    """x += P xc, P the tensor-product (bilinear, cell-centred) interpolation; tmp is
    (nz, ncx + 2) scratch."""
    cdef Py_ssize_t nz = x.shape[0], ny = x.shape[1] - 2, nx = x.shape[2] - 2
    cdef Py_ssize_t j
    with nogil:
        for j in range(1, ny + 1):
            _prolong_row(j, nz, nx, xc, x, ix0, ix1, wx0, wx1, jy0, jy1, wy0, wy1, tmp)


def smooth_restrict(f8[:, :, ::1] x, const f8[:, :, ::1] b, f8[:, :, ::1] bc,
                    const f8[::1] cx, const f8[::1] cy, const f8[::1] cz,
                    const f8[::1] sxl, const f8[::1] sxr, const f8[::1] syl,
                    const f8[::1] syr, const f8[::1] iwx, const f8[::1] iwy,
                    const f8[::1] unif, const Py_ssize_t[::1] rowtype,
                    const f8[:, :, ::1] minv, const f8[:, :, ::1] upc, bint zero,
                    const f8[::1] fx, const f8[::1] fy, const f8[::1] wx, const f8[::1] wy,
                    const f8[:, ::1] gtop, const f8[:, ::1] gbot,
                    const Py_ssize_t[::1] vslice, const f8[:, :, ::1] gxv,
                    const f8[:, :, ::1] gyv, const Py_ssize_t[::1] vface,
                    const f8[:, :, ::1] gzv, const Py_ssize_t[:, ::1] rix,
                    const f8[:, ::1] rwx, const Py_ssize_t[::1] jy0,
                    const Py_ssize_t[::1] jy1, const f8[::1] wy0, const f8[::1] wy1,
                    f8[:, ::1] rrow):
    """A forward smoothing sweep followed by bc = P^T (b - A x), in one pass over memory:
    the residual of row j is formed as soon as rows j - 1 .. j + 1 are final. Same result as
    ``smooth(..., True, zero)`` then ``restrict_residual``."""
    cdef Py_ssize_t nz = x.shape[0], ny = x.shape[1] - 2, nx = x.shape[2] - 2
    cdef Py_ssize_t jj
    with nogil:
        _zero(bc)
        for jj in range(1, ny + 3):
            if jj <= ny:
                _half_row(jj, 0, zero, nz, nx, x, b, cx, cy, cz, sxl, sxr, syl, syr, iwx, iwy,
                          unif, rowtype, minv, upc)
            if 2 <= jj <= ny + 1:
                _half_row(jj - 1, 1, False, nz, nx, x, b, cx, cy, cz, sxl, sxr, syl, syr,
                          iwx, iwy, unif, rowtype, minv, upc)
            if 3 <= jj:
                _restrict_row(jj - 2, nz, nx, x, b, bc, cx, cy, fx, fy, wx, wy, cz, gtop, gbot,
                              vslice, gxv, gyv, vface, gzv, rix, rwx, jy0, jy1, wy0, wy1, rrow)


def prolong_smooth(const f8[:, :, ::1] xc, f8[:, :, ::1] x, const f8[:, :, ::1] b,
                   const Py_ssize_t[::1] ix0, const Py_ssize_t[::1] ix1, const f8[::1] wx0,
                   const f8[::1] wx1, const Py_ssize_t[::1] jy0, const Py_ssize_t[::1] jy1,
                   const f8[::1] wy0, const f8[::1] wy1, f8[:, ::1] tmp,
                   const f8[::1] cx, const f8[::1] cy, const f8[::1] cz,
                   const f8[::1] sxl, const f8[::1] sxr, const f8[::1] syl,
                   const f8[::1] syr, const f8[::1] iwx, const f8[::1] iwy,
                   const f8[::1] unif, const Py_ssize_t[::1] rowtype,
                   const f8[:, :, ::1] minv, const f8[:, :, ::1] upc):
    """x += P xc followed by a backward (adjoint) smoothing sweep, in one pass over memory.
    Same result as ``prolong_add`` then ``smooth(..., False, False)``."""
    cdef Py_ssize_t nz = x.shape[0], ny = x.shape[1] - 2, nx = x.shape[2] - 2
    cdef Py_ssize_t jj
    with nogil:
        for jj in range(1, ny + 3):
            if jj <= ny:
                _prolong_row(jj, nz, nx, xc, x, ix0, ix1, wx0, wx1, jy0, jy1, wy0, wy1, tmp)
            if 2 <= jj <= ny + 1:
                _half_row(jj - 1, 1, False, nz, nx, x, b, cx, cy, cz, sxl, sxr, syl, syr,
                          iwx, iwy, unif, rowtype, minv, upc)
            if 3 <= jj:
                _half_row(jj - 2, 0, False, nz, nx, x, b, cx, cy, cz, sxl, sxr, syl, syr,
                          iwx, iwy, unif, rowtype, minv, upc)
