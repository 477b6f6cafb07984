"""Assemble a :class:`Stencil` as an explicit scipy sparse matrix.

The matrix-free kernels never need it. It serves the coarsest multigrid level (a few hundred
unknowns, factorised densely), the tests (direct sparse solves of the same discrete system) and
the benchmarks (the same system handed to pyamg). Unknowns are numbered ``k * ny * nx + j * nx + i``
over interior cells.

Example
-------
>>> import numpy as np
>>> from wafersolve.thermal.stencil import uniform_stencil
>>> A = assemble_sparse(uniform_stencil(3, 2, np.full(2, 1e-3), np.ones((2, 3)), 1e-3, 1e-3, 10.0, 0.0))
>>> A.shape
(12, 12)
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .stencil import Stencil


def face_conductances(st: Stencil):
    """Interior face conductances (W/K): gx (nz, ny, nx-1), gy (nz, ny-1, nx), gz (nz-1, ny, nx)."""
    nz, ny, nx = st.shape
    inner = slice(1, -1)
    gx = np.empty((nz, ny, max(nx - 1, 0)))
    gy = np.empty((nz, max(ny - 1, 0), nx))
    gz = np.empty((max(nz - 1, 0), ny, nx))
    area = st.area[inner, inner]
    for k in range(nz):
        v = st.vslice[k]
        if v < 0:
            gx[k] = st.cx[k] * st.wy[inner, None] * st.fx[None, 1:-1]
            gy[k] = st.cy[k] * st.fy[1:-1, None] * st.wx[None, inner]
        else:
            gx[k] = st.gxv[v, inner, 1:-2]
            gy[k] = st.gyv[v, 1:-2, inner]
    for k in range(nz - 1):
        f = st.vface[k]
        gz[k] = st.cz[k] * area if f < 0 else st.gzv[f, inner, inner]
    return gx, gy, gz


def assemble_sparse(st: Stencil) -> sp.csr_matrix:
    """The operator as a CSR matrix over interior cells (symmetric positive definite)."""
    nz, ny, nx = st.shape
    n = nz * ny * nx
    idx = np.arange(n).reshape(nz, ny, nx)
    gx, gy, gz = face_conductances(st)
    rows, cols, vals = [], [], []
    diag = np.zeros((nz, ny, nx))
    for g, a, b in (
        (gx, idx[:, :, :-1], idx[:, :, 1:]),
        (gy, idx[:, :-1, :], idx[:, 1:, :]),
        (gz, idx[:-1], idx[1:]),
    ):
        rows += [a.ravel(), b.ravel()]
        cols += [b.ravel(), a.ravel()]
        vals += [-g.ravel(), -g.ravel()]
    diag[:, :, :-1] += gx
    diag[:, :, 1:] += gx
    diag[:, :-1, :] += gy
    diag[:, 1:, :] += gy
    diag[:-1] += gz
    diag[1:] += gz
    diag[0] += st.gbot[1:-1, 1:-1]
    diag[-1] += st.gtop[1:-1, 1:-1]
    rows.append(idx.ravel())
    cols.append(idx.ravel())
    vals.append(diag.ravel())
    A = sp.coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                      shape=(n, n))
    return A.tocsr()
