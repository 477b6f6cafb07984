# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Compiled kernels of the mechanics operator: a sparse 1D matrix applied along one axis of a
2D field, accumulating into a preallocated output. The matrix-free plate/membrane operator is a
sum of Kronecker products ``My X Mx^T`` of such 1D matrices (``wafersolve.mechanics.assemble``).

1D matrices are CSR (``indptr``, ``indices``, ``data``); fields are C-contiguous float64. The
wrappers validate shapes; these loops trust them. NumPy twins with the same signatures are in
``wafersolve._kernels.reference``.
"""

ctypedef double f8
ctypedef Py_ssize_t isz


def csr_apply_last(const isz[::1] indptr, const isz[::1] indices, const f8[::1] data,
                   const f8[:, ::1] x, f8[:, ::1] out):
    """out[r, i] = sum_p data[p] x[r, indices[p]] over row i of M (out = x M^T), overwriting."""
    cdef isz nr = x.shape[0], ni = out.shape[1]
    cdef isz r, i, p
    cdef f8 s
    with nogil:
        for r in range(nr):
            for i in range(ni):
                s = 0.0
                for p in range(indptr[i], indptr[i + 1]):
                    s = s + data[p] * x[r, indices[p]]
                out[r, i] = s


def csr_apply_first_add(const isz[::1] indptr, const isz[::1] indices, const f8[::1] data,
                        const f8[:, ::1] x, f8[:, ::1] out):
    """out[j, c] += sum_p data[p] x[indices[p], c] over row j of M (out += M x)."""
    cdef isz nj = out.shape[0], nc = out.shape[1]
    cdef isz j, c, p, k
    cdef f8 a
    with nogil:
        for j in range(nj):
            for p in range(indptr[j], indptr[j + 1]):
                a = data[p]
                k = indices[p]
                for c in range(nc):
                    out[j, c] = out[j, c] + a * x[k, c]
