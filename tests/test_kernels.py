"""Every compiled kernel against its NumPy twin on small random grids.

The grids are deliberately awkward: odd and prime sizes, a single slice, unequal cell widths
(as on coarse multigrid levels), random layer conductivities over four decades, contact
resistances, and slices with per-cell (temperature-dependent) conductivity.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from wafersolve._kernels import _stencil as K
from wafersolve._kernels import reference as R
from wafersolve.thermal.multigrid import Multigrid, _merge_widths
from wafersolve.thermal.stencil import (
    geometry_stencil,
    layered_coefficients,
    padded_zeros,
    robin_per_area,
    with_variable_slices,
)

SHAPES = [(1, 3, 4), (2, 5, 7), (5, 7, 9), (4, 13, 6), (3, 1, 11), (6, 10, 1)]


def random_stencil(shape, rng, variable=False, widths="uniform"):
    nz, ny, nx = shape
    dz = rng.uniform(2e-5, 3e-3, nz)
    k = 10.0 ** rng.uniform(-0.5, 2.6, (nz, 3))
    rc = rng.uniform(0, 2e-6, max(nz - 1, 0))
    cx, cy, cz, half = layered_coefficients(dz, k, rc)
    if widths == "uniform":
        wx, wy = np.full(nx, 2.5e-4), np.full(ny, 2.5e-4)
    else:  # a coarse level: merged pairs with a leftover cell
        wx = _merge_widths(np.full(2 * nx - 1, 2.5e-4)) if nx > 1 else np.full(1, 5e-4)
        wy = _merge_widths(np.full(2 * ny - 1, 2.5e-4)) if ny > 1 else np.full(1, 5e-4)
    h_top, h_bot = 2e4, rng.choice([0.0, 15.0])
    st = geometry_stencil(wx, wy, cx, cy, cz, robin_per_area(half[-1], h_top),
                          robin_per_area(half[0], h_bot))
    if variable:
        picks = sorted({0, nz - 1, int(rng.integers(0, nz))})
        scale = {kk: rng.uniform(0.6, 1.5, (ny, nx)) for kk in picks}
        st = with_variable_slices(st, scale, dz, k, rc, h_top, h_bot)
    return st


def random_field(shape, rng):
    x = padded_zeros(shape)
    x[:, 1:-1, 1:-1] = rng.standard_normal(shape)
    return x


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("variable", [False, True])
@pytest.mark.parametrize("widths", ["uniform", "merged"])
def test_apply_operator_matches_twin(shape, variable, widths):
    rng = np.random.default_rng(zlib.crc32(repr((shape, variable, widths)).encode()))
    st = random_stencil(shape, rng, variable, widths)
    x = random_field(shape, rng)
    out_c, out_r = padded_zeros(shape), padded_zeros(shape)
    d_c = K.apply_operator(x, out_c, *st.kernel_args())
    d_r = R.apply_operator(x, out_r, *st.kernel_args())
    scale = np.abs(out_r).max()
    assert np.abs(out_c - out_r).max() <= 1e-13 * scale
    assert d_c == pytest.approx(d_r, rel=1e-12, abs=1e-12 * scale)
    assert not out_c[:, 0, :].any() and not out_c[:, :, -1].any()  # ghosts untouched


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("variable", [False, True])
def test_update_direction_apply_matches_twin(shape, variable):
    rng = np.random.default_rng(7)
    st = random_stencil(shape, rng, variable)
    z, p = random_field(shape, rng), random_field(shape, rng)
    z2, p2 = z.copy(), p.copy()
    s_c = K.update_direction_apply(z, p, 0.37, *st.kernel_args())
    s_r = R.update_direction_apply(z2, p2, 0.37, *st.kernel_args())
    assert np.abs(p - p2).max() <= 1e-15 * np.abs(p2).max()
    assert np.abs(z - z2).max() <= 1e-13 * np.abs(z2).max()
    assert s_c == pytest.approx(s_r, rel=1e-12)


def test_cg_step_matches_twin():
    rng = np.random.default_rng(3)
    x, r, p, q = (rng.standard_normal(1001) for _ in range(4))
    x2, r2 = x.copy(), r.copy()
    rr_c, rs_c = K.cg_step(x, r, p, q, 0.123)
    rr_r, rs_r = R.cg_step(x2, r2, p, q, 0.123)
    np.testing.assert_allclose(x, x2, rtol=0, atol=1e-15)
    np.testing.assert_allclose(r, r2, rtol=0, atol=1e-15)
    assert rr_c == pytest.approx(rr_r, rel=1e-13)
    assert rs_c == pytest.approx(rs_r, rel=1e-10, abs=1e-12)


def _hierarchy(shape, rng, widths="uniform"):
    st = random_stencil(shape, rng, False, widths)
    return Multigrid(st)


@pytest.mark.parametrize("shape", [(2, 5, 7), (5, 7, 9), (4, 13, 6), (3, 1, 11), (6, 10, 1), (3, 17, 16)])
@pytest.mark.parametrize("forward", [True, False])
@pytest.mark.parametrize("zero", [True, False])
def test_smooth_matches_twin(shape, forward, zero):
    rng = np.random.default_rng(11)
    mg = _hierarchy(shape, rng)
    for level in mg.levels:
        sh = level.st.shape
        b = random_field(sh, rng)
        x = random_field(sh, rng)
        x2 = x.copy()
        K.smooth(x, b, *level.smoother_args(), forward, zero)
        R.smooth(x2, b, *level.smoother_args(), forward, zero)
        assert np.abs(x - x2).max() <= 1e-12 * np.abs(x2).max()


@pytest.mark.parametrize("shape", [(2, 5, 7), (5, 7, 9), (4, 13, 6), (3, 1, 11), (6, 10, 1), (3, 17, 16)])
def test_transfers_match_twins(shape):
    rng = np.random.default_rng(5)
    mg = _hierarchy(shape, rng, widths="merged")
    for fine, coarse in zip(mg.levels[:-1], mg.levels[1:], strict=True):
        x, b = random_field(fine.st.shape, rng), random_field(fine.st.shape, rng)
        bc_c, bc_r = padded_zeros(coarse.st.shape), padded_zeros(coarse.st.shape)
        args = (*fine.st.kernel_args(), *fine.restrict_x, *fine.to_coarse[4:])
        K.restrict_residual(x, b, bc_c, *args, fine.rrow, fine.tmp)
        R.restrict_residual(x, b, bc_r, *args, fine.rrow, fine.tmp)
        assert np.abs(bc_c - bc_r).max() <= 1e-12 * np.abs(bc_r).max()
        xc = random_field(coarse.st.shape, rng)
        y_c, y_r = x.copy(), x.copy()
        K.prolong_add(xc, y_c, *fine.to_coarse, fine.tmp)
        R.prolong_add(xc, y_r, *fine.to_coarse, fine.tmp)
        assert np.abs(y_c - y_r).max() <= 1e-13 * np.abs(y_r).max()


def test_restriction_is_transpose_of_prolongation():
    """<P xc, r> = <xc, P^T r>: the V-cycle is symmetric only if this holds."""
    rng = np.random.default_rng(9)
    mg = _hierarchy((3, 11, 14), rng, widths="merged")
    fine, coarse = mg.levels[0], mg.levels[1]
    # restrict_residual computes P^T (b - A x); with x = 0 it is P^T b
    b = random_field(fine.st.shape, rng)
    bc = padded_zeros(coarse.st.shape)
    K.restrict_residual(padded_zeros(fine.st.shape), b, bc, *fine.st.kernel_args(),
                        *fine.restrict_x, *fine.to_coarse[4:], fine.rrow, fine.tmp)
    xc = random_field(coarse.st.shape, rng)
    px = padded_zeros(fine.st.shape)
    K.prolong_add(xc, px, *fine.to_coarse, fine.tmp)
    assert np.vdot(px, b) == pytest.approx(np.vdot(xc, bc), rel=1e-12)


def test_prolongation_reproduces_constants_and_linears():
    """Bilinear interpolation is exact for linear fields between coarse centres."""
    rng = np.random.default_rng(1)
    mg = _hierarchy((1, 9, 12), rng, widths="uniform")
    fine, coarse = mg.levels[0], mg.levels[1]
    xcen = lambda w: np.cumsum(w) - 0.5 * w  # noqa: E731
    Xc, Yc = xcen(coarse.st.wx[1:-1]), xcen(coarse.st.wy[1:-1])
    xf, yf = xcen(fine.st.wx[1:-1]), xcen(fine.st.wy[1:-1])
    xc = padded_zeros(coarse.st.shape)
    xc[0, 1:-1, 1:-1] = 2.0 + 3.0 * Xc[None, :] - 5.0 * Yc[:, None]
    y = padded_zeros(fine.st.shape)
    K.prolong_add(xc, y, *fine.to_coarse, fine.tmp)
    expect = 2.0 + 3.0 * xf[None, :] - 5.0 * yf[:, None]
    inside = (xf >= Xc[0]) & (xf <= Xc[-1])
    inside_y = (yf >= Yc[0]) & (yf <= Yc[-1])
    got = y[0, 1:-1, 1:-1]
    np.testing.assert_allclose(got[np.ix_(inside_y, inside)], expect[np.ix_(inside_y, inside)],
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("shape", [(2, 5, 7), (5, 7, 9), (4, 13, 6), (3, 1, 11), (6, 10, 1), (3, 17, 16)])
@pytest.mark.parametrize("zero", [True, False])
def test_fused_cycle_kernels_match_twins(shape, zero):
    """smooth_restrict = smooth + restrict_residual; prolong_smooth = prolong_add + smooth."""
    rng = np.random.default_rng(13)
    mg = _hierarchy(shape, rng, widths="merged")
    for fine, coarse in zip(mg.levels[:-1], mg.levels[1:], strict=True):
        st = fine.st
        b = random_field(st.shape, rng)
        x = random_field(st.shape, rng)
        tail = (st.fx, st.fy, st.wx, st.wy, st.gtop, st.gbot, st.vslice, st.gxv, st.gyv,
                st.vface, st.gzv, *fine.restrict_x, *fine.to_coarse[4:], fine.rrow)
        x_c, x_r = x.copy(), x.copy()
        bc_c, bc_r = padded_zeros(coarse.st.shape), padded_zeros(coarse.st.shape)
        K.smooth_restrict(x_c, b, bc_c, *fine.smoother_args(), zero, *tail)
        R.smooth_restrict(x_r, b, bc_r, *fine.smoother_args(), zero, *tail)
        assert np.abs(x_c - x_r).max() <= 1e-12 * np.abs(x_r).max()
        assert np.abs(bc_c - bc_r).max() <= 1e-11 * np.abs(bc_r).max()
        xc = random_field(coarse.st.shape, rng)
        y_c, y_r = x.copy(), x.copy()
        K.prolong_smooth(xc, y_c, b, *fine.to_coarse, fine.tmp, *fine.smoother_args())
        R.prolong_smooth(xc, y_r, b, *fine.to_coarse, fine.tmp, *fine.smoother_args())
        assert np.abs(y_c - y_r).max() <= 1e-12 * np.abs(y_r).max()
