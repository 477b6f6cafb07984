"""The single-laminate plate of wafersolve's mechanics, assembled and solved by scikit-fem.

The same discretization as :mod:`wafersolve.mechanics` for one free plate layer: bilinear
(Q1) membrane elements and Bogner-Fox-Schmit (C1 bicubic) plate elements, thermal force and
moment resultants constant per cell, rigid motion pinned at the centre node the same way. It
shares no code with wafersolve, so agreement to round-off checks wafersolve's assembly, its
matrix-free operator and its solver together. Used by ``tests/test_mechanics_vs_skfem.py`` and
by ``benchmarks/bench_mechanics.py`` (as the peer: scikit-fem assembly + scipy sparse direct).
"""

from __future__ import annotations

import numpy as np

PLATE_CASE = """
[case]
name = "plate"
[grid]
nx = {nx}
ny = {ny}
[[stack.layers]]
name = "wafer"
material = "silicon"
thickness_um = 775
cells = 2
[power]
layer = "wafer"
total_kW = 1
[cooling]
coolant = "water"
inlet_T_C = 21
flow_lpm = 100
h_W_per_m2_K = 3e4
[mechanics]
stress_free_T_C = 25
"""


def plate_case(nx: int, ny: int):
    """A free 775 um silicon wafer alone (two z cells), as a case with a [mechanics] section."""
    from wafersolve.case.load import load_case_text

    return load_case_text(PLATE_CASE.format(nx=nx, ny=ny), "plate.toml")


def skfem_plate(case, grid, T):
    """Solve ``case`` (one plate layer, two z cells) at ``T`` on ``grid``: (w, u, info).

    ``w`` and ``u`` are nodal (nodes y, nodes x) arrays like wafersolve's ``LayerMechanics``;
    ``info["vector"]`` is the whole solution in wafersolve's dof layout (to check residuals).
    """
    import scipy.sparse.linalg as spla
    from skfem import (
        Basis,
        BilinearForm,
        ElementQuad0,
        ElementQuad1,
        ElementQuadBFS,
        ElementVector,
        LinearForm,
        MeshQuad,
        asm,
        condense,
    )
    from skfem.helpers import dd, sym_grad

    el = case.layers[0].material.elastic
    q11, q12, q22, q66 = el.Q_Pa
    h, a = case.layers[0].thickness_m, el.alpha_per_K[0]
    qa = (q11 + q12) * a  # (Q alpha)_x = (Q alpha)_y: cubic, isotropic expansion
    theta = T - case.mechanics.stress_free_T_K
    z = grid.z_edges_m - h / 2
    NT = qa * sum(theta[k] * (z[k + 1] - z[k]) for k in range(2))
    MT = qa * sum(theta[k] * (z[k + 1] ** 2 - z[k] ** 2) / 2 for k in range(2))
    mesh = MeshQuad.init_tensor(grid.x_edges_m, grid.y_edges_m)
    bu, bw = Basis(mesh, ElementVector(ElementQuad1())), Basis(mesh, ElementQuadBFS())
    # cell (j, i) of the grid is element i * ny + j of init_tensor (y fastest)
    nt = bu.with_element(ElementQuad0()).interpolate(NT.T.ravel())
    mt = bw.with_element(ElementQuad0()).interpolate(MT.T.ravel())

    @BilinearForm
    def membrane(u, v, _):
        e, f = sym_grad(u), sym_grad(v)
        return h * (q11 * e[0, 0] * f[0, 0] + q12 * (e[0, 0] * f[1, 1] + e[1, 1] * f[0, 0])
                    + q22 * e[1, 1] * f[1, 1] + 4 * q66 * e[0, 1] * f[0, 1])

    @BilinearForm
    def bending(u, v, _):
        d, c, e = h**3 / 12, dd(u), dd(v)
        return d * (q11 * c[0, 0] * e[0, 0] + q12 * (c[0, 0] * e[1, 1] + c[1, 1] * e[0, 0])
                    + q22 * c[1, 1] * e[1, 1] + 4 * q66 * c[0, 1] * e[0, 1])

    @LinearForm
    def nload(v, w):
        e = sym_grad(v)
        return w["nt"] * (e[0, 0] + e[1, 1])

    @LinearForm
    def mload(v, w):
        return -w["mt"] * (dd(v)[0, 0] + dd(v)[1, 1])

    Ku, fu = asm(membrane, bu), asm(nload, bu, nt=nt)
    Kw, fw = asm(bending, bw), asm(mload, bw, mt=mt)
    # wafersolve's neutral point: node (ny + 1) // 2, (nx + 1) // 2, and the next one along x
    xc, yc = grid.x_edges_m[(grid.nx + 1) // 2], grid.y_edges_m[(grid.ny + 1) // 2]
    centre = int(np.argmin(np.hypot(mesh.p[0] - xc, mesh.p[1] - yc)))
    nxt = int(np.argmin(np.hypot(mesh.p[0] - xc - grid.dx_m, mesh.p[1] - yc)))
    pins_u = np.array([bu.nodal_dofs[0, centre], bu.nodal_dofs[1, centre], bu.nodal_dofs[1, nxt]])
    pins_w = bw.nodal_dofs[:3, centre]
    xu = spla.spsolve(*condense(Ku, fu, D=pins_u)[:2])
    xw = spla.spsolve(*condense(Kw, fw, D=pins_w)[:2])
    U, W = np.zeros(Ku.shape[0]), np.zeros(Kw.shape[0])
    U[np.setdiff1d(np.arange(U.size), pins_u)] = xu
    W[np.setdiff1d(np.arange(W.size), pins_w)] = xw
    ny, nx = grid.ny + 1, grid.nx + 1
    order = np.lexsort((mesh.p[0], mesh.p[1]))  # nodes in (y, x) raster order
    w = W[bw.nodal_dofs[0]][order].reshape(ny, nx)
    u = U[bu.nodal_dofs[0]][order].reshape(ny, nx)
    # every dof in wafersolve's layout (u, v, then w, w_x, w_y, w_xy interleaved 2 x 2 per node)
    full_w = np.zeros((2 * ny, 2 * nx))
    for d, (r, c) in enumerate(((0, 0), (0, 1), (1, 0), (1, 1))):
        full_w[r::2, c::2] = W[bw.nodal_dofs[d]][order].reshape(ny, nx)
    v = U[bu.nodal_dofs[1]][order].reshape(ny, nx)
    dofs = np.concatenate([u.ravel(), v.ravel(), full_w.ravel()])
    return w, u, {"dofs": Ku.shape[0] + Kw.shape[0], "vector": dofs}
