"""The multigrid-preconditioned CG solver: a valid preconditioner, grid-independent iteration
counts, agreement with a direct sparse solve, and loud failure when it cannot converge."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse.linalg as spla

from wafersolve.errors import ConvergenceError
from wafersolve.thermal.assemble import assemble_sparse
from wafersolve.thermal.cg import pcg
from wafersolve.thermal.multigrid import Multigrid
from wafersolve.thermal.stencil import padded_zeros, uniform_stencil, with_variable_slices

# A wafer-like stack, bottom to top: PCB (anisotropic), connector, silicon, TIM, copper.
DZ = np.array([1.6e-3, 1.6e-3, 1e-3, 0.3875e-3, 0.3875e-3, 30e-6, 1.5e-3, 1.5e-3])
K = np.array([[30, 30, 0.5], [30, 30, 0.5], [2, 2, 2], [148] * 3, [148] * 3, [8.5] * 3,
              [398] * 3, [398] * 3], dtype=float)
RC = np.array([0, 0, 0, 0, 1e-6, 0, 0])


def stack(n_x, n_y, h_bot=10.0):
    return uniform_stencil(n_x, n_y, DZ, K, 0.215 / n_x, 0.215 / n_y, 3e4, h_bot, RC)


def tile_source(st, rng):
    nz, ny, nx = st.shape
    b = padded_zeros(st.shape)
    tiles = rng.uniform(0.6, 1.4, (7, 12))
    jj = np.minimum((np.arange(ny) + 0.5) / ny * 7, 6).astype(int)
    ii = np.minimum((np.arange(nx) + 0.5) / nx * 12, 11).astype(int)
    q = tiles[jj[:, None], ii[None, :]]
    b[3, 1:-1, 1:-1] = 25e3 * q / q.sum()
    return b


def test_preconditioner_is_symmetric_positive_definite():
    st = stack(9, 7)
    mg = Multigrid(st)
    nz, ny, nx = st.shape
    n = nz * ny * nx
    M = np.empty((n, n))
    for c in range(n):
        unit = np.zeros(n)
        unit[c] = 1.0
        e = padded_zeros(st.shape)
        e[:, 1:-1, 1:-1] = unit.reshape(st.shape)
        z = padded_zeros(st.shape)
        mg(e, z)
        M[:, c] = z[:, 1:-1, 1:-1].ravel()
    assert np.abs(M - M.T).max() <= 1e-12 * np.abs(M).max()
    assert np.linalg.eigvalsh(0.5 * (M + M.T)).min() > 0
    # and a good one: the preconditioned operator is well conditioned
    ev = np.linalg.eigvals(M @ assemble_sparse(st).toarray()).real
    assert ev.max() / ev.min() < 3.0


@pytest.mark.parametrize("n_x, n_y", [(16, 16), (33, 29), (97, 61), (128, 128), (251, 7)])
def test_iterations_do_not_grow_with_the_grid(n_x, n_y):
    st = stack(n_x, n_y)
    b = tile_source(st, np.random.default_rng(0))
    x = padded_zeros(st.shape)
    stats = pcg(st, b, x, Multigrid(st), rtol=1e-8)
    assert stats.relative_residual <= 1e-8
    assert stats.iterations <= 12, stats.history


@pytest.mark.parametrize("variable", [False, True])
def test_matches_direct_sparse_solve(variable):
    """Same discrete system, solved by scipy's sparse LU: agreement to 1e-9 relative."""
    rng = np.random.default_rng(4)
    st = stack(23, 19)
    op = st
    if variable:
        scale = {3: rng.uniform(0.8, 1.2, (19, 23)), 4: rng.uniform(0.8, 1.2, (19, 23))}
        op = with_variable_slices(st, scale, DZ, K, RC, 3e4, 10.0)
    b = tile_source(st, rng)
    b[0, 1:-1, 1:-1] += op.gbot[1:-1, 1:-1] * 14.0  # backside ambient 14 K above the coolant
    x = padded_zeros(st.shape)
    pcg(op, b, x, Multigrid(st), rtol=1e-13)
    A = assemble_sparse(op)
    direct = spla.spsolve(A.tocsc(), b[:, 1:-1, 1:-1].ravel())
    got = x[:, 1:-1, 1:-1].ravel()
    assert np.linalg.norm(got - direct) <= 1e-9 * np.linalg.norm(direct)


def test_sparse_assembly_matches_matrix_free_operator():
    rng = np.random.default_rng(2)
    st = with_variable_slices(stack(12, 9), {3: rng.uniform(0.5, 2, (9, 12))}, DZ, K, RC, 3e4, 10.0)
    x = padded_zeros(st.shape)
    x[:, 1:-1, 1:-1] = rng.standard_normal(st.shape)
    from wafersolve.thermal.stencil import apply_operator

    out = padded_zeros(st.shape)
    apply_operator(st, x, out)
    A = assemble_sparse(st)
    np.testing.assert_allclose(A @ x[:, 1:-1, 1:-1].ravel(), out[:, 1:-1, 1:-1].ravel(),
                               rtol=1e-12, atol=1e-12 * np.abs(out).max())
    assert abs(A - A.T).max() == 0.0


def test_non_convergence_raises_with_history():
    st = stack(40, 40)
    b = tile_source(st, np.random.default_rng(1))
    x = padded_zeros(st.shape)
    with pytest.raises(ConvergenceError, match="did not reach rtol") as info:
        pcg(st, b, x, Multigrid(st), rtol=1e-14, max_iterations=3)
    assert len(info.value.history) == 4
    assert "relative residual history" in str(info.value)


def test_warm_start_from_the_solution_needs_no_iteration():
    st = stack(20, 20)
    b = tile_source(st, np.random.default_rng(3))
    x = padded_zeros(st.shape)
    mg = Multigrid(st)
    pcg(st, b, x, mg, rtol=1e-10)
    again = pcg(st, b, x, mg, rtol=1e-9)
    assert again.iterations == 0
