"""One-dimensional building blocks of the plate model: linear and cubic Hermite elements.

The mechanics grid is a tensor product of 1D meshes in x and y, and every stiffness term of
the model is a product of an x integral and a y integral. So each 2D matrix is a Kronecker
product ``kron(My, Mx)`` of assembled 1D matrices, integrated exactly here once per mesh.

Two 1D spaces live on the same nodes:

- ``"L"``: continuous piecewise-linear functions, one value per node (in-plane displacements);
- ``"H"``: cubic Hermite functions, value and slope per node (deflection: their tensor product
  is the Bogner-Fox-Schmit C1 plate element, with w, w_x, w_y, w_xy at every node).

Global 1D dof numbering: ``"L"`` node n -> n; ``"H"`` node n -> 2n (value), 2n + 1 (slope).

Example
-------
>>> import numpy as np
>>> mesh = Mesh1D(np.array([0.0, 1.0, 3.0]))
>>> M = mesh.matrix("L", 0, "L", 0).toarray()      # consistent mass matrix of the linear space
>>> round(float(M.sum()), 12)                      # integrates 1 * 1 over [0, 3]
3.0
>>> K = mesh.matrix("H", 2, "H", 2)                 # bending stiffness integral of w'' w''
>>> x = np.array([0, 0, 0.5, 1, 4.5, 3])            # w = x**2 / 2 (values, slopes): w'' = 1
>>> round(float(x @ K @ x), 12)
3.0
"""

from __future__ import annotations

from functools import cached_property

import numpy as np
import scipy.sparse as sp

#: Gauss-Legendre rule on [0, 1], exact for polynomials of degree 2 * 5 - 1 = 9.
_GAUSS_X, _GAUSS_W = np.polynomial.legendre.leggauss(5)
GAUSS_XI = 0.5 * (_GAUSS_X + 1.0)
GAUSS_W = 0.5 * _GAUSS_W

SPACES = ("L", "H")
STRIDE = {"L": 1, "H": 2}  # global 1D dofs per node
LOCAL = {"L": 2, "H": 4}  # local dofs per element


def basis(space: str, order: int, xi: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Derivative ``order`` (0, 1 or 2) of the local shape functions, in physical units.

    ``xi`` are points in [0, 1] (m,), ``h`` element lengths (e,); returns (e, m, local dofs).

    Example
    -------
    >>> basis("L", 1, np.array([0.5]), np.array([2.0]))[0, 0]
    array([-0.5,  0.5])
    """
    xi = np.asarray(xi, dtype=float)[None, :]
    h = np.asarray(h, dtype=float)[:, None]
    one = np.ones_like(xi * h)
    if space == "L":
        if order == 0:
            cols = [(1 - xi) * one, xi * one]
        elif order == 1:
            cols = [-one / h, one / h]
        else:
            cols = [0 * one, 0 * one]
    elif space == "H":
        if order == 0:
            cols = [1 - 3 * xi**2 + 2 * xi**3, h * (xi - 2 * xi**2 + xi**3),
                    3 * xi**2 - 2 * xi**3, h * (-(xi**2) + xi**3)]
            cols = [c * one for c in cols]
        elif order == 1:
            cols = [(-6 * xi + 6 * xi**2) / h, 1 - 4 * xi + 3 * xi**2,
                    (6 * xi - 6 * xi**2) / h, -2 * xi + 3 * xi**2]
            cols = [c * one for c in cols]
        elif order == 2:
            cols = [(-6 + 12 * xi) / h**2, (-4 + 6 * xi) / h, (6 - 12 * xi) / h**2,
                    (-2 + 6 * xi) / h]
            cols = [c * one for c in cols]
        else:
            raise ValueError(f"derivative order {order} of a cubic: expected 0, 1 or 2")
    else:
        raise ValueError(f"unknown space {space!r}: expected 'L' or 'H'")
    return np.stack(cols, axis=-1)


class Mesh1D:
    """A 1D mesh (node coordinates) with its exactly integrated, assembled matrices."""

    def __init__(self, nodes_m: np.ndarray):
        nodes = np.ascontiguousarray(nodes_m, dtype=float)
        if nodes.ndim != 1 or nodes.size < 2 or not np.all(np.diff(nodes) > 0):
            raise ValueError("mesh nodes must be a strictly increasing 1D array of >= 2 values")
        self.nodes_m = nodes
        h = np.diff(nodes)
        uniform = (nodes[-1] - nodes[0]) / h.size
        # spacings equal to round-off (np.linspace, grid edges) are made exactly equal, so that
        # every interior row of a matrix is the same: the compiled kernels use that pattern
        self.h_m = np.full(h.size, uniform) if np.all(np.abs(h - uniform) <= 1e-12 * uniform) else h
        self._cache: dict = {}

    @property
    def n_elements(self) -> int:
        return self.h_m.size

    @property
    def n_nodes(self) -> int:
        return self.nodes_m.size

    def n_dofs(self, space: str) -> int:
        """Global 1D dofs of ``space`` on this mesh."""
        return STRIDE[space] * self.n_nodes

    def dof_map(self, space: str) -> np.ndarray:
        """(elements, local dofs) global dof numbers."""
        s, m = STRIDE[space], LOCAL[space]
        return s * np.arange(self.n_elements)[:, None] + np.arange(m)[None, :]

    @cached_property
    def _weights(self) -> np.ndarray:
        return self.h_m[:, None] * GAUSS_W[None, :]  # (e, q)

    def matrix(self, s1: str, a1: int, s2: str, a2: int) -> sp.csr_matrix:
        """Assembled ``∫ d^a1 phi_i(s1) d^a2 phi_j(s2) dx`` (rows: s1 dofs, columns: s2 dofs)."""
        key = (s1, a1, s2, a2)
        if key not in self._cache:
            local = self.element_matrices(s1, a1, s2, a2)
            d1, d2 = self.dof_map(s1), self.dof_map(s2)
            rows = np.broadcast_to(d1[:, :, None], local.shape).ravel()
            cols = np.broadcast_to(d2[:, None, :], local.shape).ravel()
            mat = sp.coo_matrix((local.ravel(), (rows, cols)),
                                shape=(self.n_dofs(s1), self.n_dofs(s2))).tocsr()
            mat.sum_duplicates()
            self._cache[key] = mat
        return self._cache[key]

    def element_matrices(self, s1: str, a1: int, s2: str, a2: int) -> np.ndarray:
        """(elements, local s1 dofs, local s2 dofs): each element's share of :meth:`matrix`
        (computed once per mesh and key; read-only)."""
        key = ("elements", s1, a1, s2, a2)
        if key not in self._cache:
            b1 = basis(s1, a1, GAUSS_XI, self.h_m)
            b2 = basis(s2, a2, GAUSS_XI, self.h_m)
            local = np.einsum("eq,eqi,eqj->eij", self._weights, b1, b2)
            local.flags.writeable = False
            self._cache[key] = local
        return self._cache[key]

    def element_integrals(self, space: str, order: int) -> np.ndarray:
        """(elements, local dofs): ``∫_e d^order phi_a dx`` for loads constant per element."""
        b = basis(space, order, GAUSS_XI, self.h_m)
        return np.einsum("eq,eqa->ea", self._weights, b)

    def at_centres(self, space: str, order: int) -> np.ndarray:
        """(elements, local dofs): the shape function derivatives at element mid-points."""
        return basis(space, order, np.array([0.5]), self.h_m)[:, 0, :]


def kron2(my: sp.spmatrix, mx: sp.spmatrix) -> sp.csr_matrix:
    """The 2D matrix of an x-y separable integral: y factor outer, x factor inner (i fastest).

    Example
    -------
    >>> import numpy as np
    >>> mesh = Mesh1D(np.linspace(0, 1, 3))
    >>> m = mesh.matrix("L", 0, "L", 0)
    >>> round(float(kron2(m, m).sum()), 12)            # area of the unit square
    1.0
    """
    return sp.kron(my, mx, format="csr")


def scatter_cells(values: np.ndarray, gy: np.ndarray, gx: np.ndarray, sy: int, sx: int,
                  shape: tuple[int, int]) -> np.ndarray:
    """Assemble a load constant per cell: ``out[sy*j + a, sx*i + b] += v[j, i] gy[j, a] gx[i, b]``.

    ``values`` is (ny, nx) per cell, ``gy`` (ny, local y dofs), ``gx`` (nx, local x dofs) the
    element integrals of the two 1D factors, ``shape`` the 2D dof array (y dofs, x dofs).

    Example
    -------
    >>> import numpy as np
    >>> mesh = Mesh1D(np.linspace(0, 1, 3))
    >>> g = mesh.element_integrals("L", 0)
    >>> round(float(scatter_cells(np.ones((2, 2)), g, g, 1, 1, (3, 3)).sum()), 12)
    1.0
    """
    ny, nx = values.shape
    out = np.zeros(shape)
    for a in range(gy.shape[1]):
        ya = values * gy[:, a][:, None]
        for b in range(gx.shape[1]):
            out[a:a + sy * ny:sy, b:b + sx * nx:sx] += ya * gx[:, b][None, :]
    return out


def gather_cells(dofs: np.ndarray, gy: np.ndarray, gx: np.ndarray, sy: int, sx: int) -> np.ndarray:
    """The transpose of :func:`scatter_cells`: per cell, ``sum_ab dofs[sy j + a, sx i + b] gy gx``.

    Used to evaluate a field (or a derivative) at cell centres from its 2D dof array.

    Example
    -------
    >>> import numpy as np
    >>> mesh = Mesh1D(np.linspace(0, 1, 3))
    >>> c = mesh.at_centres("L", 0)
    >>> gather_cells(np.arange(9.0).reshape(3, 3), c, c, 1, 1)
    array([[2., 3.],
           [5., 6.]])
    """
    ny, nx = gy.shape[0], gx.shape[0]
    out = np.zeros((ny, nx))
    row, tmp = np.empty((ny, nx)), np.empty((ny, nx))
    for a in range(gy.shape[1]):  # sum over b along x first, then weight by the y factor
        np.multiply(dofs[a:a + sy * ny:sy, 0:sx * nx:sx], gx[:, 0][None, :], out=row)
        for b in range(1, gx.shape[1]):
            np.multiply(dofs[a:a + sy * ny:sy, b:b + sx * nx:sx], gx[:, b][None, :], out=tmp)
            row += tmp
        row *= gy[:, a][:, None]
        out += row
    return out
