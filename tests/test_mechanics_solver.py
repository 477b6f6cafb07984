"""The mechanics solver's machinery: compiled kernels against their NumPy twins, the matrix-free
operator against the assembled matrix, PCG against a direct solve of the same discrete system,
rigid-body handling, allowables, warnings and errors."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import scipy.sparse as sp
from mech_cases import CU, PCB, SI, beam, compliant, make_case, slip, uniform_field

from wafersolve import build_grid, load_case
from wafersolve._kernels import _kron as K
from wafersolve._kernels import reference as R
from wafersolve._kernels import reference as R_
from wafersolve.case.model import Allowables
from wafersolve.errors import ConvergenceError, SolverError
from wafersolve.mechanics import solve as solve_module
from wafersolve.mechanics import solve_mechanics
from wafersolve.mechanics.assemble import assemble
from wafersolve.mechanics.model import build_mech_model, mech_edges
from wafersolve.mechanics.precond import FastDiagonalPreconditioner


def wse3_like(n=(9, 7), ks=1e9, kn=3e9, **kw):
    return make_case([("pcb", PCB, 3.2e-3, 2), ("conn", None, 1e-3, 1), ("si", SI, 0.775e-3, 2),
                      ("tim", None, 30e-6, 1), ("cu", CU, 3e-3, 2)], n=n,
                     interfaces=[compliant("conn", ks, kn), slip("tim", 3e12)], **kw)


def rough_field(case, seed=0):
    grid, T = uniform_field(case, {"pcb": 20, "conn": 35, "si": 50, "cu": 15})
    T += np.random.default_rng(seed).uniform(-8, 8, T.shape)
    return grid, T


# -- kernels ---------------------------------------------------------------------------------------
def test_band_form_holds_every_1d_matrix():
    from wafersolve.mechanics.assemble import Band1D
    from wafersolve.mechanics.fem1d import Mesh1D

    mesh = Mesh1D(np.cumsum(np.random.default_rng(1).uniform(0.5, 2.0, 9)))
    rng = np.random.default_rng(2)
    for s1, a1, s2, a2 in [("L", 0, "L", 1), ("H", 2, "H", 1), ("L", 1, "H", 2), ("H", 0, "L", 1)]:
        m = mesh.matrix(s1, a1, s2, a2)
        b = Band1D(m)
        np.testing.assert_allclose(R._band_matrix(b.kind, b.off, b.band, m.shape[1]).toarray(),
                                   m.toarray(), rtol=0, atol=1e-15 * abs(m).max())
        # and the compiled Kronecker sum with it along x (identity along y) is m applied
        x = rng.standard_normal((5, m.shape[1]))
        out = np.empty((5, m.shape[0]))
        K.kron_sum(out, [x], [b.kind], [b.off], [b.band], [0], [0], [np.ones((1, 5))])
        np.testing.assert_allclose(out, (m @ x.T).T, rtol=1e-13, atol=1e-13 * abs(m).max())
    with pytest.raises(ValueError, match="not a 1D finite-element matrix"):
        Band1D(sp.csr_matrix(np.ones((10, 10))))


def test_matrix_free_operator_matches_assembled_matrix():
    case = wse3_like()
    grid, T = rough_field(case)
    system = assemble(build_mech_model(case, grid, T))
    Kmat = system.K
    assert abs(Kmat - Kmat.T).max() <= 1e-12 * abs(Kmat).max()
    x = np.random.default_rng(3).standard_normal(system.layout.n_dofs)
    np.testing.assert_allclose(system.operator()(x), Kmat @ x, rtol=0,
                               atol=1e-12 * np.abs(Kmat @ x).max())


def test_preconditioner_is_symmetric_positive_semidefinite():
    case = wse3_like(n=(5, 4))
    grid, T = rough_field(case)
    model = build_mech_model(case, grid, T)
    system = assemble(model)
    n = system.layout.n_dofs
    for P in (FastDiagonalPreconditioner(model, system.layout),  # block Jacobi
              FastDiagonalPreconditioner(model, system.layout, terms=system.terms)):  # u-v SGS
        Pm = np.stack([P(e) for e in np.eye(n)], axis=1)
        assert abs(Pm - Pm.T).max() <= 1e-10 * abs(Pm).max()
        assert np.linalg.eigvalsh(0.5 * (Pm + Pm.T)).min() >= -1e-10 * abs(Pm).max()


def test_corner_correction_keeps_the_preconditioner_symmetric_positive_semidefinite():
    case = wse3_like(n=(10, 9))
    grid, T = rough_field(case)
    model = build_mech_model(case, grid, T)
    system = assemble(model)
    P = FastDiagonalPreconditioner(model, system.layout, terms=system.terms)
    assert P.corners is not None and len(P.corners.patches) == 4
    n = system.layout.n_dofs
    Pm = np.stack([P(e) for e in np.eye(n)], axis=1)
    assert abs(Pm - Pm.T).max() <= 1e-10 * abs(Pm).max()
    assert np.linalg.eigvalsh(0.5 * (Pm + Pm.T)).min() >= -1e-10 * abs(Pm).max()


@pytest.mark.parametrize("mirrored", [True, False])
def test_corner_patches_hold_the_exact_plate_stiffness(mirrored, monkeypatch):
    """A w field living on the corner patches is recovered exactly from its load K_ww e: the
    patches' stiffness (assembled from their cells, or reflected from the first corner's on a
    symmetric mesh) is the plate block's own."""
    from wafersolve.mechanics.precond import CornerCorrection

    monkeypatch.setattr(CornerCorrection, "REUSE_MIRRORED", mirrored)
    case = wse3_like(n=(24, 20))
    grid, T = rough_field(case)
    system = assemble(build_mech_model(case, grid, T))
    lay = system.layout
    corners = CornerCorrection(system.terms)
    assert len(corners.patches) == 4
    e = np.zeros(lay.n_dofs)
    rng = np.random.default_rng(2)
    for _ry, _rx, py, px, _A, _inv in corners.patches:
        for j in range(lay.n_laminates):
            lay.view(e, "w", j)[py, px] = rng.standard_normal((py.stop - py.start,
                                                              px.stop - px.start))
    load = system.K @ e  # its w rows are K_ww e (e has no u, v part)
    z = np.zeros_like(e)
    zw = [lay.view(z, "w", j) for j in range(lay.n_laminates)]
    corners.apply([lay.view(load, "w", j) for j in range(lay.n_laminates)], zw,
                  lambda rhs: None)  # no other solve in between: C, then C again
    # (a wrong or missing cell would be an O(1) error; the patch matrices mix w, slopes and
    # twists, condition ~1e8: round-off ~1e-8)
    np.testing.assert_allclose(z, e, rtol=0, atol=1e-6 * abs(e).max())


def test_corner_correction_cuts_the_iterations_of_a_free_stack():
    case = wse3_like(n=(60, 60))
    grid, T = rough_field(case, seed=3)
    model = build_mech_model(case, grid, T)
    system = assemble(model)
    counts = []
    for corners in (False, True):
        P = FastDiagonalPreconditioner(model, system.layout, terms=system.terms)
        if not corners:
            P.corners = None
        _x, it, _h = solve_module._pcg(system.operator(), P, None, system.f, lambda m: None)
        counts.append(it)
    assert counts[1] < counts[0], counts


# -- PCG against direct --------------------------------------------------------------------------
@pytest.mark.parametrize("kw", [{}, {"ks": 1e12}, {"kn": 0.0}, {"n": (12, 3)}])
def test_pcg_matches_direct_solve(kw):
    """Same discrete system, two solvers: fields agree to 1e-7 relative."""
    case = wse3_like(**kw)
    grid, T = rough_field(case, seed=1)
    a = solve_mechanics(case, grid, T, method="pcg")
    b = solve_mechanics(case, grid, T, method="direct")
    assert a.info.relative_residual < 1e-8 and b.info.relative_residual < 1e-12
    for la, lb in zip(a.layers, b.layers, strict=True):
        for name in ("u_m", "v_m", "w_m", "sigma_xx_Pa", "sigma_yy_Pa", "tau_xy_Pa"):
            fa, fb = getattr(la, name), getattr(lb, name)
            np.testing.assert_allclose(fa, fb, rtol=0, atol=1e-7 * np.abs(fb).max())
    for ia, ib in zip(a.interfaces, b.interfaces, strict=True):
        np.testing.assert_allclose(ia.du_m, ib.du_m, atol=1e-7 * np.abs(ib.du_m).max())


def test_rigid_motion_is_pinned_at_the_centre():
    """The first laminate of each shear-linked set (pcb for pcb+wafer, cu alone behind the slip
    TIM) has u = v = 0 at the centre node and v = 0 at the next node in x; the first of the
    normal-linked set (pcb) has w = 0 and zero slopes there."""
    case = wse3_like(n=(8, 6))
    grid, T = rough_field(case, seed=2)
    res = solve_mechanics(case, grid, T)
    j, i = 3, 4
    for name in ("pcb", "cu"):
        lay = res.layer(name)
        scale = np.abs(lay.u_m).max()
        assert abs(lay.u_m[j, i]) < 1e-12 * scale and abs(lay.v_m[j, i]) < 1e-12 * scale
        assert abs(lay.v_m[j, i + 1]) < 1e-12 * scale
    w = res.layer("pcb").w_m
    assert abs(w[j, i]) < 1e-12 * np.abs(w).max()
    assert abs(res.layer("cu").w_m[j, i]) > 0  # held by the springs only
    assert res.info.rigid_load_relative < 1e-12


def test_results_do_not_depend_on_the_pin_node():
    """Stresses and relative motions are invariant under rigid motion: shifting the centre (an
    odd number of nodes versus an even one) changes nothing but the reference."""
    case = wse3_like(n=(8, 8))
    grid, T = uniform_field(case, {"pcb": 20, "conn": 35, "si": 50, "cu": 15})
    res = solve_mechanics(case, grid, T)
    flip = res.layer("si").sigma_xx_Pa[:, ::-1, ::-1]
    np.testing.assert_allclose(res.layer("si").sigma_xx_Pa, flip, atol=1e-6 * abs(flip).max())


# -- mesh, allowables, warnings ---------------------------------------------------------------------
def test_mechanics_cells_merge_whole_thermal_cells():
    edges, starts = mech_edges(np.linspace(0, 0.215, 861), 1e-3)
    assert edges.size == 216 and starts[1] == 4
    case = wse3_like(n=(10, 10), cell_size_m=0.215 / 10 * 3)
    grid, T = rough_field(case)
    model = build_mech_model(case, grid, T)
    assert model.shape_cells == (4, 4)  # 3 + 3 + 3 + 1 thermal cells
    # the merged temperature is the area mean of the thermal cells
    theta = model.theta_K["si"][0]
    assert theta[0, 0] == pytest.approx(T[3, :3, :3].mean() - 298.15)


def test_allowables_pass_and_fail_with_margins():
    allow = Allowables(stress_Pa=(("si", 1e6),), shear_strain=10.0, gap_change_m=(-1e-3, 1e-9))
    case = wse3_like(allowables=allow)
    grid, T = rough_field(case)
    res = solve_mechanics(case, grid, T)
    checks = {c.name: c for c in res.checks}
    assert set(checks) == {"si_sigma_1", "conn_shear_strain", "conn_gap_change_min",
                           "conn_gap_change_max"}
    s = checks["si_sigma_1"]
    assert s.actual == pytest.approx(res.layer("si").sigma_1_Pa.max())
    assert not s.passed and s.margin == pytest.approx((1e6 - s.actual) / 1e6)
    assert checks["conn_shear_strain"].passed
    summary = res.summary()
    assert summary["check_si_sigma_1_passed"] is False and summary["mech_checks_passed"] is False
    assert "mech_interface_tim_shear_strain_max" not in summary  # slip: the faces just slide
    assert summary["mech_interface_tim_displacement_max_m"] > 0


def test_large_deflection_warning():
    """Si rigidly bonded on PCB bows by millimetres: far outside linear plate theory."""
    case = make_case([("pcb", PCB, 3.2e-3, 1), ("si", SI, 0.775e-3, 1)], n=(6, 6))
    grid, T = uniform_field(case, {"pcb": 50, "si": 50})
    res = solve_mechanics(case, grid, T)
    assert len(res.warnings) == 1 and "outside linear plate theory" in res.warnings[0]
    small = solve_mechanics(case, *uniform_field(case, {"pcb": 0.05, "si": 0.05}))
    assert small.warnings == ()


def test_preload_compresses_the_gap():
    case = wse3_like(preload_Pa=0.3e6)
    grid, T = uniform_field(case, {})
    res = solve_mechanics(case, grid, T)
    np.testing.assert_allclose(res.interface("conn").gap_change_m, -0.3e6 / 3e9)


# -- errors ----------------------------------------------------------------------------------------
def test_errors_are_clear():
    case = wse3_like()
    grid, T = rough_field(case)
    with pytest.raises(SolverError, match="no \\[mechanics\\] section"):
        solve_mechanics(replace(case, mechanics=None), grid, T)
    with pytest.raises(SolverError, match="does not fit the grid"):
        solve_mechanics(case, grid, T[:, :, 1:])
    bad = T.copy()
    bad[0, 0, 0] = np.nan
    with pytest.raises(SolverError, match="non-finite"):
        solve_mechanics(case, grid, bad)
    with pytest.raises(ValueError, match="method"):
        solve_mechanics(case, grid, T, method="magic")
    no_elastic = make_case([("pcb", None, 1e-3, 1)], n=(4, 4))
    with pytest.raises(SolverError, match="no elastic properties"):
        solve_mechanics(no_elastic, *uniform_field(no_elastic, {}))


def test_non_convergence_raises_with_history(monkeypatch):
    monkeypatch.setattr(solve_module, "MAX_ITERATIONS", 2)
    case = wse3_like()
    grid, T = rough_field(case)
    with pytest.raises(ConvergenceError, match="did not reach") as info:
        solve_mechanics(case, grid, T)
    assert len(info.value.history) == 3


# -- the shipped small case ---------------------------------------------------------------------------
def test_small_case_runs_and_checks():
    case = load_case("cases/small.toml")
    grid = build_grid(case)
    T = np.full(grid.shape, case.mechanics.stress_free_T_K + 30.0)
    res = solve_mechanics(case, grid, T)
    assert [lay.name for lay in res.layers] == ["pcb", "wafer", "cold_plate"]
    assert [i.name for i in res.interfaces] == ["connector", "tim"]
    # uniform +30 K: the connector must absorb the PCB/Si mismatch, less than fully decoupled
    corner = np.hypot(0.1075, 0.1075)
    free = (16e-6 - 2.6e-6) * 30.0 * corner
    d = res.interface("connector").displacement_m.max()
    assert 0.3 * free < d < free
    assert all(c.passed for c in res.checks)


def test_beam_helper_is_a_strip():
    """The beam moduli helper keeps E and sets nu = 0 (plate stiffness = beam stiffness)."""
    b = beam(SI)
    assert b.Q_Pa[1] == 0.0 and b.Q_Pa[0] == pytest.approx(130e9)


def test_single_precision_preconditioner_gives_the_same_field(monkeypatch):
    """Large meshes run the preconditioner's transforms in float32; PCG still reaches its
    tolerance and the field matches the double-precision run."""
    case = wse3_like(n=(20, 16))
    grid, T = rough_field(case, seed=4)
    ref = solve_mechanics(case, grid, T)
    monkeypatch.setattr(solve_module, "SINGLE_PRECISION_DOFS", 0)
    single = solve_mechanics(case, grid, T)
    assert single.info.relative_residual < 1e-8
    for a, b in zip(single.layers, ref.layers, strict=True):
        np.testing.assert_allclose(a.w_m, b.w_m, atol=1e-6 * np.abs(b.w_m).max())
        np.testing.assert_allclose(a.sigma_1_Pa, b.sigma_1_Pa, atol=1e-6 * np.abs(b.sigma_1_Pa).max())


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_small_inverses_match_lapack(n):
    from wafersolve.mechanics.precond import _inv_small

    rng = np.random.default_rng(n)
    A = rng.standard_normal((40, n, n))
    A = A @ A.transpose(0, 2, 1) + 1e-3 * np.eye(n)  # symmetric positive definite, cond ~1e4
    P = np.moveaxis(A, 0, -1).reshape(n, n, 5, 8)  # entry-major, as the preconditioner has it
    got = np.moveaxis(_inv_small(P).reshape(n, n, 40), -1, 0)
    np.testing.assert_allclose(got, np.linalg.inv(A), rtol=1e-9, atol=1e-9 * abs(got).max())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("nodes, s", [(1, 1), (2, 1), (5, 1), (6, 2), (7, 2), (1, 2)])
def test_fold_kernels_match_numpy_twins_and_invert(nodes, s, dtype):
    rng = np.random.default_rng(nodes * 10 + s)
    n = nodes * s
    m = nodes // 2
    ne, no = m * s + nodes % 2, m * s + (nodes % 2 if s == 2 else 0)
    R = rng.standard_normal((n, 3)).astype(dtype)
    outs = {}
    for mod in (K, R_):
        e, o = np.zeros((ne, 3), dtype), np.zeros((no, 3), dtype)
        mod.fold_first(R, s, e, o)
        back = np.zeros((n, 3), dtype)
        mod.unfold_first(e, o, s, back)
        eT, oT = np.zeros((3, ne), dtype), np.zeros((3, no), dtype)
        mod.fold_last(np.ascontiguousarray(R.T), s, eT, oT)
        backT = np.zeros((3, n), dtype)
        mod.unfold_last(eT, oT, s, backT)
        outs[mod] = (e, o, back, eT, oT, backT)
        np.testing.assert_allclose(back, R, rtol=1e-6, atol=1e-6)  # the fold is orthogonal
        np.testing.assert_allclose(backT, R.T, rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(eT, e.T, rtol=1e-6, atol=1e-6)
        assert np.isclose(float(np.sum(e.astype(float) ** 2) + np.sum(o.astype(float) ** 2)),
                          float(np.sum(R.astype(float) ** 2)), rtol=1e-5)
    for a, b in zip(outs[K], outs[R_], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("m", [1, 2, 3, 7])
def test_kron_sum_matches_numpy_twin(m):
    """Every band kind along x and y, on meshes so small that the windows leave the matrix at
    both ends (the kernel's edge rows), and on a larger one."""
    rng = np.random.default_rng(5 + m)
    ny, nx = 2 * m, m + 2
    xs = [rng.standard_normal((2 * m, 2 * (m + 2))), rng.standard_normal((m, m + 2)),
          rng.standard_normal((4 * m, m + 2))]
    spec = [(1, -2, 6, 0, -3, 7), (0, -1, 3, 2, -1, 3), (0, -1, 3, 0, -3, 7)]
    args = [list(a) for a in zip(*[(x, kx, ox, rng.standard_normal((wx, nx)), ky, oy,
                                    rng.standard_normal((wy, ny)))
                                   for x, (kx, ox, wx, ky, oy, wy) in zip(xs, spec, strict=True)],
                                 strict=True)]
    args[0][2] = np.ascontiguousarray(args[0][2])
    out_c, out_r = np.full((ny, nx), 3.0), np.full((ny, nx), 3.0)
    for chunk in (1, 4, 64):
        K.kron_sum(out_c, *args, chunk)
        R_.kron_sum(out_r, *args, chunk)
        np.testing.assert_allclose(out_c, out_r, rtol=1e-12, atol=1e-12)


def test_even_odd_basis_gives_the_dense_preconditioner():
    from wafersolve.mechanics import precond as pc

    case = wse3_like(n=(6, 7))
    grid, T = rough_field(case)
    model = build_mech_model(case, grid, T)
    layout = assemble(model).layout
    assert pc.mirror_symmetric(model.mesh_x) and pc.mirror_symmetric(model.mesh_y)
    split = pc.FastDiagonalPreconditioner(model, layout)
    assert split.tx["H"].We is not None
    original = pc.Basis1D.build
    try:
        pc.Basis1D.build = classmethod(lambda cls, mesh, space: original(mesh, space, split=False))
        dense = pc.FastDiagonalPreconditioner(model, layout)
    finally:
        pc.Basis1D.build = original
    assert dense.tx["H"].We is None
    r = np.random.default_rng(0).standard_normal(layout.n_dofs)
    np.testing.assert_allclose(split(r), dense(r), rtol=1e-8, atol=1e-8 * abs(dense(r)).max())


def test_preconditioner_kernels_match_numpy_twins():
    rng = np.random.default_rng(11)
    for dtype in (np.float32, np.float64):
        inv = rng.standard_normal((3, 3, 50)).astype(dtype)
        hat = rng.standard_normal((3, 50)).astype(dtype)
        a, b = np.empty_like(hat), np.empty_like(hat)
        K.mode_combine(inv, hat, a)
        R.mode_combine(inv, hat, b)
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    A = rng.standard_normal((40, 3, 3))
    A = A @ A.transpose(0, 2, 1) + 0.1 * np.eye(3)
    P = np.ascontiguousarray(np.moveaxis(A, 0, -1))
    a, b = np.empty_like(P), np.empty_like(P)
    K.inverse_3x3(P, a)
    R.inverse_3x3(P, b)
    np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10 * abs(b).max())
    z, p1 = rng.standard_normal(30), rng.standard_normal(30)
    p2 = p1.copy()
    K.xpby(z, 0.7, p1)
    R.xpby(z, 0.7, p2)
    np.testing.assert_allclose(p1, p2, rtol=1e-15)


def test_repeating_band_pattern_gives_the_same_products():
    """On a uniform mesh the interior rows of every 1D matrix repeat one pattern, which the
    kernel then holds in registers: the products must not change."""
    from wafersolve.mechanics.assemble import Band1D
    from wafersolve.mechanics.fem1d import STRIDE, Mesh1D

    mesh = Mesh1D(np.linspace(0.0, 0.215, 41))
    rng = np.random.default_rng(4)
    for key in [("L", 1, "L", 1), ("H", 2, "H", 2), ("L", 1, "H", 1), ("H", 1, "L", 0)]:
        bx = Band1D(mesh.matrix(*key), STRIDE[key[0]])
        assert bx.pattern is not None and bx.run[1] - bx.run[0] >= bx.band.shape[1] - 4 * 2
        by = Band1D(mesh.matrix("H", 0, "H", 0), 2)
        x = rng.standard_normal((by.shape[1], bx.shape[1]))
        args = ([x], [bx.kind], [bx.off], [bx.band], [by.kind], [by.off], [by.band])
        plain, fast = np.empty((by.shape[0], bx.shape[0])), np.empty((by.shape[0], bx.shape[0]))
        K.kron_sum(plain, *args, 16)
        K.kron_sum(fast, *args, 16, [bx.pattern], [bx.run])
        np.testing.assert_allclose(fast, plain, rtol=1e-13, atol=1e-13 * abs(plain).max())


def test_operator_threads_give_the_same_product(monkeypatch):
    from wafersolve.mechanics.assemble import kernel_threads

    case = wse3_like()
    grid, T = rough_field(case)
    system = assemble(build_mech_model(case, grid, T))
    op = system.operator()
    x = np.random.default_rng(8).standard_normal(system.layout.n_dofs)
    one = op(x)
    op.threads = 2
    np.testing.assert_array_equal(op(x), one)  # each output field is computed the same way
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    assert kernel_threads() == min(2, __import__("os").cpu_count())
    for bad in ("", "zero", "-3"):
        monkeypatch.setenv("OMP_NUM_THREADS", bad)
        assert kernel_threads() == 1


def test_rigid_modes_stored_by_field_act_like_the_dense_matrix():
    case = wse3_like(n=(7, 6))
    grid, T = rough_field(case)
    model = build_mech_model(case, grid, T)
    system = assemble(model)
    pins, held = solve_module._fixed_dofs(model, system)
    R, L = solve_module.rigid_modes(model, system, held)
    D = np.stack([R.dense(i) for i in range(R.count)])
    assert R.count == 9  # pcb+wafer and cu each translate twice and spin; the stack lifts, tilts
    G = D @ D.T
    np.testing.assert_allclose(R.gram(), G, rtol=1e-12, atol=1e-12 * abs(G).max())
    np.testing.assert_allclose(L @ L.T, G, rtol=1e-12, atol=1e-12 * abs(G).max())
    v = np.random.default_rng(2).standard_normal(system.layout.n_dofs)
    np.testing.assert_allclose(R.dot(v), D @ v, rtol=1e-12, atol=1e-12 * abs(D @ v).max())
    np.testing.assert_array_equal(R.at(pins), D[:, pins])
    c = np.arange(1.0, R.count + 1)
    np.testing.assert_allclose(R.subtract(v, c), v - c @ D, rtol=1e-12, atol=1e-12)
    K = system.K
    assert np.abs(K @ D.T).max() <= 1e-8 * abs(K).max() * np.abs(D).max()  # strain-free


def test_a_wrong_tilt_mode_is_caught(monkeypatch):
    """The rigid-body tilt modes are checked to be strain-free (one operator application for
    all of them): a wrong in-plane shift under the tilt raises, it is not used silently."""
    case = wse3_like()
    grid, T = rough_field(case)
    original = solve_module._tilt_shifts
    monkeypatch.setattr(solve_module, "_tilt_shifts",
                        lambda model, tilted: original(model, tilted) * 1.5)
    with pytest.raises(SolverError, match="not strain-free"):
        solve_mechanics(case, grid, T)


# -- line solves along y ---------------------------------------------------------------------------
def _block_tridiagonal(rng, nn, b, m, uniform):
    """Random symmetric positive definite block-tridiagonal matrices (one per mode), as the
    kernels take them (diagonal blocks, sub-diagonal blocks) and dense."""
    Ad = np.zeros((nn, b, b, m))
    As = np.zeros((1 if uniform else nn, b, b, m))
    dense = []
    sub0 = 0.3 * rng.standard_normal((b, b, m))
    for k in range(m):
        A = np.zeros((nn * b, nn * b))
        for j in range(nn):
            X = rng.standard_normal((b, b))
            A[j * b:(j + 1) * b, j * b:(j + 1) * b] = X @ X.T + 3 * b * np.eye(b)
            Ad[j, :, :, k] = A[j * b:(j + 1) * b, j * b:(j + 1) * b]
            if j:
                S = sub0[:, :, k] if uniform else 0.3 * rng.standard_normal((b, b))
                A[j * b:(j + 1) * b, (j - 1) * b:j * b] = S
                A[(j - 1) * b:j * b, j * b:(j + 1) * b] = S.T
                if not uniform:
                    As[j, :, :, k] = S
        if uniform:
            As[0] = sub0
        dense.append(A)
    return Ad, As, dense


@pytest.mark.parametrize("uniform", [True, False])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_line_solve_kernels_match_numpy_twins_and_a_dense_solve(uniform, dtype):
    rng = np.random.default_rng(5)
    nn, nl, s, m = 7, 3, 2, 5
    b = nl * s
    Ad, As, dense = _block_tridiagonal(rng, nn, b, m, uniform)
    Lc, Lr = (np.empty((nn, b * (b + 1) // 2, m), dtype=dtype) for _ in range(2))
    assert K.btd_factor(Ad, As, Lc) == 0
    assert R.btd_factor(Ad, As, Lr) == 0
    tol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(Lc, Lr, rtol=tol, atol=tol * abs(Lr).max())
    Asd = np.ascontiguousarray(As, dtype=dtype)
    T0 = [rng.standard_normal((s * nn, m + 3)).astype(dtype) for _ in range(nl)]
    Tc, Tr = [t.copy() for t in T0], [t.copy() for t in T0]
    K.btd_solve(Tc, s, Lc, Asd, 2)  # columns 2..6 of each field; 0, 1 untouched
    R.btd_solve(Tr, s, Lc, Asd, 2)
    for c, r, t0 in zip(Tc, Tr, T0, strict=True):
        np.testing.assert_allclose(c, r, rtol=tol, atol=tol * abs(r).max())
        np.testing.assert_array_equal(c[:, :2], t0[:, :2])
    for k in range(m):  # unknown p = l s + a of node j sits at T[l][s j + a]
        pick = [(p // s, s * j + p % s) for j in range(nn) for p in range(b)]
        rhs = np.array([T0[lam][i, 2 + k] for lam, i in pick], dtype=np.float64)
        got = np.array([Tc[lam][i, 2 + k] for lam, i in pick], dtype=np.float64)
        want = np.linalg.solve(dense[k], rhs)
        np.testing.assert_allclose(got, want, rtol=0, atol=30 * tol * abs(want).max())


def test_line_factor_reports_an_indefinite_system():
    Ad = np.zeros((3, 2, 2, 4))
    Ad[:, 0, 0] = Ad[:, 1, 1] = 1.0
    Ad[1, 1, 1, 2] = -1.0  # one mode is indefinite
    L = np.empty((3, 3, 4))
    assert K.btd_factor(Ad, np.zeros((1, 2, 2, 4)), L) > 0


@pytest.mark.parametrize("cell_size", [None, 0.215 / 10 * 3])  # uniform; uneven, not symmetric
def test_line_solves_give_the_same_membrane_solve_as_the_diagonalization(cell_size):
    """The membranes' x factors are diagonal in the x basis, so the line solves along y invert
    each membrane block exactly, as the full diagonalization does: the same answer."""
    case = wse3_like(n=(10, 10), cell_size_m=cell_size)
    grid, T = rough_field(case)
    model = build_mech_model(case, grid, T)
    system = assemble(model)
    lay = system.layout
    lines = FastDiagonalPreconditioner(model, lay, terms=system.terms)
    diag = FastDiagonalPreconditioner(model, lay, terms=system.terms, lines=False)
    assert set(lines.lines) == {"u", "v", "w"} and not diag.lines
    r = np.random.default_rng(4).standard_normal(lay.n_dofs)
    for field in ("u", "v"):
        rhs = [lay.view(r, field, j) for j in range(lay.n_laminates)]
        a, b = np.zeros_like(r), np.zeros_like(r)
        lines._solve_field(field, rhs, a)
        diag._solve_field(field, rhs, b)
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-9 * abs(b).max())


def test_line_solves_invert_the_plate_block_with_its_x_factors_diagonalized():
    """The w line solves are the exact inverse of the plate block whose x factors are replaced by
    their diagonals in the x basis (K1 by its Rayleigh quotients; ∫ w_xx w_yy by the twist
    integral), on fields with no rigid x mode."""
    from wafersolve.mechanics.precond import Basis1D

    case = wse3_like(n=(8, 7))
    grid, T = rough_field(case)
    model = build_mech_model(case, grid, T)
    system = assemble(model)
    lay = system.layout
    P = FastDiagonalPreconditioner(model, lay, terms=system.terms)
    mx, my = model.mesh_x, model.mesh_y
    basis = Basis1D.build(mx, "H", split=False)
    V, lam, mu = basis.V, basis.lam, basis.mu
    M0 = mx.matrix("H", 0, "H", 0).toarray()
    d = {("H", 0, "H", 0): np.ones_like(lam), ("H", 2, "H", 2): lam, ("H", 1, "H", 1): mu,
         ("H", 2, "H", 0): -mu, ("H", 0, "H", 2): -mu}
    m = lay.size("w")
    nl = lay.n_laminates
    A = np.zeros((nl * m, nl * m))
    for (f1, l1, f2, l2, ky, kx), c in system.terms.terms.items():
        if f1 != "w" or f2 != "w":
            continue
        Ky = my.matrix(*ky).toarray()
        if ky in (("H", 2, "H", 0), ("H", 0, "H", 2)):
            Ky = -my.matrix("H", 1, "H", 1).toarray()
        Kx = M0 @ V @ np.diag(d[kx]) @ V.T @ M0
        A[l1 * m:(l1 + 1) * m, l2 * m:(l2 + 1) * m] += c * np.kron(Ky, Kx)
    rng = np.random.default_rng(6)
    e = []
    for _ in range(nl):
        coef = rng.standard_normal((lay.shape("w")[0], lam.size))
        coef[:, lam == 0] = 0.0  # no rigid x mode: x coefficients (e M0 V) vanish there
        e.append(coef @ V.T)
    e = np.concatenate([a.ravel() for a in e])
    load = A @ e
    z = np.zeros(lay.n_dofs)
    P._solve_field("w", [load[j * m:(j + 1) * m].reshape(lay.shape("w")) for j in range(nl)], z)
    got = np.concatenate([lay.view(z, "w", j).ravel() for j in range(nl)])
    np.testing.assert_allclose(got, e, rtol=0, atol=1e-7 * abs(e).max())


def test_an_indefinite_line_system_is_an_error_not_a_field(monkeypatch):
    from wafersolve.mechanics import precond as pc

    case = wse3_like(n=(8, 7))
    grid, T = rough_field(case)
    model = build_mech_model(case, grid, T)
    system = assemble(model)
    monkeypatch.setattr(pc._kron, "btd_factor", lambda Ad, As, L: 3)  # as if 3 pivots failed
    with pytest.raises(SolverError, match="not positive"):
        FastDiagonalPreconditioner(model, system.layout, terms=system.terms)


def test_fields_too_wide_for_the_line_solves_fall_back_to_the_diagonalization(monkeypatch):
    """A stack with more laminates than the compiled line solve takes per node (8 for the plate
    field) keeps the full diagonalization for that field, and the solve still converges."""
    from wafersolve.mechanics.lines import LineSolves

    case = wse3_like(n=(7, 6))
    grid, T = rough_field(case)
    model = build_mech_model(case, grid, T)
    system = assemble(model)
    monkeypatch.setattr(LineSolves, "MAX_BLOCK", 4)  # 3 laminates: u, v fit, w (6) does not
    P = FastDiagonalPreconditioner(model, system.layout, terms=system.terms)
    assert set(P.lines) == {"u", "v"}
    n = system.layout.n_dofs
    Pm = np.stack([P(e) for e in np.eye(n)], axis=1)
    assert abs(Pm - Pm.T).max() <= 1e-10 * abs(Pm).max()
    _x, it, hist = solve_module._pcg(system.operator(), P, None, system.f, lambda m: None)
    assert hist[-1] <= solve_module.RTOL and it < 60
