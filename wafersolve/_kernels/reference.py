"""NumPy twins of the compiled kernels in ``_stencil.pyx`` and ``_kron.pyx``: same signatures,
same results.

They exist for the tests (each compiled kernel is checked against its twin on small random
grids) and as readable documentation of what the loops compute. They are never used as a silent
fallback for a missing extension.
"""

from __future__ import annotations

import numpy as np


def _apply(x, cx, cy, fx, fy, wx, wy, cz, gtop, gbot, vslice, gxv, gyv, vface, gzv):
    nz = x.shape[0]
    out = np.zeros_like(x)
    inner = slice(1, -1)
    xc = x[:, inner, inner]
    for k in range(nz):
        v = vslice[k]
        if v < 0:
            gxl = cx[k] * wy[inner, None] * fx[None, :-1]
            gxr = cx[k] * wy[inner, None] * fx[None, 1:]
            gyd = cy[k] * fy[:-1, None] * wx[None, inner]
            gyu = cy[k] * fy[1:, None] * wx[None, inner]
        else:
            gxl = gxv[v, inner, :-2]
            gxr = gxv[v, inner, 1:-1]
            gyd = gyv[v, :-2, inner]
            gyu = gyv[v, 1:-1, inner]
        o = (gxl * (xc[k] - x[k, inner, :-2]) + gxr * (xc[k] - x[k, inner, 2:])
             + gyd * (xc[k] - x[k, :-2, inner]) + gyu * (xc[k] - x[k, 2:, inner]))
        area = wy[inner, None] * wx[None, inner]
        if k > 0:
            g = cz[k - 1] * area if vface[k - 1] < 0 else gzv[vface[k - 1], inner, inner]
            o = o + g * (xc[k] - xc[k - 1])
        else:
            o = o + gbot[inner, inner] * xc[k]
        if k < nz - 1:
            g = cz[k] * area if vface[k] < 0 else gzv[vface[k], inner, inner]
            o = o + g * (xc[k] - xc[k + 1])
        else:
            o = o + gtop[inner, inner] * xc[k]
        out[k, inner, inner] = o
    return out


def apply_operator(x, out, cx, cy, fx, fy, wx, wy, cz, gtop, gbot, vslice, gxv, gyv, vface, gzv):
    """out = A x on the interior; returns x . out."""
    out[:, 1:-1, 1:-1] = _apply(x, cx, cy, fx, fy, wx, wy, cz, gtop, gbot,
                                vslice, gxv, gyv, vface, gzv)[:, 1:-1, 1:-1]
    return float(np.vdot(x, out))


def update_direction_apply(zq, p, beta, cx, cy, fx, fy, wx, wy, cz, gtop, gbot,
                           vslice, gxv, gyv, vface, gzv):
    """p = zq + beta p; zq = A p; returns p . (A p)."""
    inner = slice(1, -1)
    p[:, inner, inner] = zq[:, inner, inner] + beta * p[:, inner, inner]
    q = _apply(p, cx, cy, fx, fy, wx, wy, cz, gtop, gbot, vslice, gxv, gyv, vface, gzv)
    zq[:, inner, inner] = q[:, inner, inner]
    return float(np.vdot(p, zq))


def cg_step(x, r, p, q, alpha):
    """x += alpha p; r -= alpha q; returns (r . r, sum r)."""
    x += alpha * p
    r -= alpha * q
    return float(np.dot(r, r)), float(r.sum())


def smooth(x, b, cx, cy, cz, sxl, sxr, syl, syr, iwx, iwy, unif, rowtype, minv, upc, forward, zero):
    """Red-black Gauss-Seidel over z-columns with exact (Thomas) column solves."""
    nz, ny2, nx2 = x.shape
    ny, nx = ny2 - 2, nx2 - 2
    jj, ii = np.meshgrid(np.arange(ny2), np.arange(nx2), indexing="ij")
    interior = (jj >= 1) & (jj <= ny) & (ii >= 1) & (ii <= nx)
    colours = (0, 1) if forward else (1, 0)
    if zero:
        x[:, interior] = 0.0
    for c in colours:
        mask = interior & ((ii + jj) % 2 == c)
        js, is_ = np.nonzero(mask)
        t = rowtype[js]
        g = np.empty((nz, js.size))
        for k in range(nz):
            d = (b[k, js, is_] * iwx[is_] * iwy[js]
                 + cx[k] * (sxl[is_] * x[k, js, is_ - 1] + sxr[is_] * x[k, js, is_ + 1])
                 + cy[k] * (syl[js] * x[k, js - 1, is_] + syr[js] * x[k, js + 1, is_]))
            if k > 0:
                d = d + cz[k - 1] * g[k - 1]
            g[k] = d * minv[t, k, is_]
        for k in range(nz - 2, -1, -1):
            g[k] = g[k] + upc[t, k, is_] * g[k + 1]
        x[:, js, is_] = g


def restrict_residual(x, b, bc, cx, cy, fx, fy, wx, wy, cz, gtop, gbot, vslice, gxv, gyv,
                      vface, gzv, rix, rwx, jy0, jy1, wy0, wy1, rrow, tmp):
    """bc = P^T (b - A x); in x the transpose is the gather sum_m rwx[inner, m] r[rix[inner, m]]."""
    r = b - _apply(x, cx, cy, fx, fy, wx, wy, cz, gtop, gbot, vslice, gxv, gyv, vface, gzv)
    r[:, :, 0] = 0.0
    r[:, :, -1] = 0.0
    ncx = bc.shape[2] - 2
    cols = np.arange(1, ncx + 1)
    rx = np.einsum("im,kjim->kji", rwx[cols], r[:, :, rix[cols]])  # (nz, ny + 2, ncx)
    bc[...] = 0.0
    ny = x.shape[1] - 2
    for j in range(1, ny + 1):
        bc[:, jy0[j], 1:-1] += wy0[j] * rx[:, j]
        bc[:, jy1[j], 1:-1] += wy1[j] * rx[:, j]


def prolong_add(xc, x, ix0, ix1, wx0, wx1, jy0, jy1, wy0, wy1, tmp):
    """x += P xc (bilinear, cell-centred, tensor product)."""
    inner = slice(1, -1)
    i = np.arange(1, x.shape[2] - 1)
    j = np.arange(1, x.shape[1] - 1)
    for J, vy in ((jy0[j], wy0[j]), (jy1[j], wy1[j])):
        for Ii, vx in ((ix0[i], wx0[i]), (ix1[i], wx1[i])):
            x[:, inner, inner] += vy[None, :, None] * vx[None, None, :] * xc[:, J[:, None], Ii[None, :]]


def smooth_restrict(x, b, bc, cx, cy, cz, sxl, sxr, syl, syr, iwx, iwy, unif, rowtype, minv, upc, zero,
                    fx, fy, wx, wy, gtop, gbot, vslice, gxv, gyv, vface, gzv, rix, rwx,
                    jy0, jy1, wy0, wy1, rrow):
    """A forward smoothing sweep, then bc = P^T (b - A x)."""
    smooth(x, b, cx, cy, cz, sxl, sxr, syl, syr, iwx, iwy, unif, rowtype, minv, upc, True, zero)
    restrict_residual(x, b, bc, cx, cy, fx, fy, wx, wy, cz, gtop, gbot, vslice, gxv, gyv, vface,
                      gzv, rix, rwx, jy0, jy1, wy0, wy1, rrow, None)


def prolong_smooth(xc, x, b, ix0, ix1, wx0, wx1, jy0, jy1, wy0, wy1, tmp, cx, cy, cz, sxl, sxr,
                   syl, syr, iwx, iwy, unif, rowtype, minv, upc):
    """x += P xc, then a backward (adjoint) smoothing sweep."""
    prolong_add(xc, x, ix0, ix1, wx0, wx1, jy0, jy1, wy0, wy1, tmp)
    smooth(x, b, cx, cy, cz, sxl, sxr, syl, syr, iwx, iwy, unif, rowtype, minv, upc, False, False)


# -- _kron.pyx ------------------------------------------------------------------------------------
def _band_matrix(kind, off, band, ncol):
    import scipy.sparse as sp

    w, ni = band.shape
    i = np.repeat(np.arange(ni), w)
    k = np.tile(np.arange(w), ni)
    start = {0: i + off, 1: 2 * i + off, 2: i // 2 + off}[kind]
    j = start + k
    keep = (j >= 0) & (j < ncol)
    return sp.csr_matrix((band.T.ravel()[keep], (i[keep], j[keep])), shape=(ni, ncol))


def kron_sum(out, xs, kinds_x, offs_x, bands_x, kinds_y, offs_y, bands_y, chunk=16):
    out[...] = 0.0
    for x, kx, ox, bx, ky, oy, by in zip(xs, kinds_x, offs_x, bands_x, kinds_y, offs_y, bands_y,
                                         strict=True):
        t = (_band_matrix(kx, ox, bx, x.shape[1]) @ x.T).T
        out += _band_matrix(ky, oy, by, t.shape[0]) @ t


def _fold_pairs(n, s):
    m = n // 2
    top = np.array([s * i + a for i in range(m) for a in range(s)], dtype=int)
    bot = np.array([s * (n - 1 - i) + a for i in range(m) for a in range(s)], dtype=int)
    sign = np.array([1.0 if a == 0 else -1.0 for _i in range(m) for a in range(s)])
    return m, top, bot, sign


def fold_first(R, s, e, o):
    n = R.shape[0] // s
    m, top, bot, sign = _fold_pairs(n, s)
    c = np.sqrt(0.5)
    e[:m * s] = (R[top] + sign[:, None] * R[bot]) * c
    o[:m * s] = (R[top] - sign[:, None] * R[bot]) * c
    if n % 2:
        e[m * s] = R[m * s]
        if s == 2:
            o[m * s] = R[m * s + 1]


def fold_last(R, s, e, o):
    fold_first(R.T, s, e.T, o.T)


def unfold_first(e, o, s, out):
    n = out.shape[0] // s
    m, top, bot, sign = _fold_pairs(n, s)
    c = np.sqrt(0.5)
    out[top] = (e[:m * s] + o[:m * s]) * c
    out[bot] = sign[:, None] * (e[:m * s] - o[:m * s]) * c
    if n % 2:
        out[m * s] = e[m * s]
        if s == 2:
            out[m * s + 1] = o[m * s]


def unfold_last(e, o, s, out):
    unfold_first(e.T, o.T, s, out.T)


def mode_combine(inv, hat, out):
    out[...] = np.einsum("ijp,jp->ip", inv, hat)


def inverse_3x3(P, out):
    out[...] = np.moveaxis(np.linalg.inv(np.moveaxis(P, -1, 0)), 0, -1)


def xpby(z, beta, p):
    p[...] = z + beta * p


def _tri_index(b):
    return [(p, q) for p in range(b) for q in range(p + 1)]


def btd_factor(Ad, As, Lpk):
    nn, b = Ad.shape[0], Ad.shape[1]
    bad = 0
    Li_prev = None
    for j in range(nn):
        S = np.moveaxis(Ad[j], -1, 0).copy()  # (modes, b, b)
        if j > 0:
            Asj = np.moveaxis(As[j if As.shape[0] > 1 else 0], -1, 0)
            Ls = np.einsum("kpr,kqr->kpq", Asj, Li_prev)
            S -= Ls @ np.swapaxes(Ls, 1, 2)
        L = np.zeros_like(S)
        for q in range(b):
            for p in range(q, b):
                v = S[:, p, q] - np.sum(L[:, p, :q] * L[:, q, :q], axis=1)
                if p == q:
                    ok = v > 0
                    bad += int(np.sum(~ok))
                    L[:, q, q] = np.sqrt(np.where(ok, v, 1.0))
                else:
                    L[:, p, q] = v / L[:, q, q]
        Li_prev = np.tril(np.linalg.inv(L))
        for t, (p, q) in enumerate(_tri_index(b)):
            Lpk[j, t] = Li_prev[:, p, q]
    return bad


def btd_solve(T, s, Lpk, As, k0):
    nn, m = Lpk.shape[0], Lpk.shape[2]
    b = As.shape[1]
    cols = slice(k0, k0 + m)

    def Li(j):  # (b, b, m) lower triangular
        out = np.zeros((b, b, m), dtype=Lpk.dtype)
        for t, (p, q) in enumerate(_tri_index(b)):
            out[p, q] = Lpk[j, t]
        return out

    def rows(j):  # (b, m) unknowns of node j
        return np.stack([T[p // s][s * j + p % s, cols] for p in range(b)])

    def put(j, v):
        for p in range(b):
            T[p // s][s * j + p % s, cols] = v[p]

    def sub(j):
        return As[j if As.shape[0] > 1 else 0]

    prev = None
    for j in range(nn):
        a = rows(j)
        if j > 0:
            a = a - np.einsum("pqk,qk->pk", sub(j), np.einsum("pqk,pk->qk", Li(j - 1), prev))
        prev = np.einsum("pqk,qk->pk", Li(j), a)
        put(j, prev)
    nxt = None
    for j in range(nn - 1, -1, -1):
        a = rows(j)
        if j < nn - 1:
            a = a - np.einsum("pqk,qk->pk", Li(j), np.einsum("qpk,qk->pk", sub(j + 1), nxt))
        nxt = np.einsum("qpk,qk->pk", Li(j), a)
        put(j, nxt)
