"""Preconditioned conjugate gradients on padded fields, with fused compiled vector updates.

Five fields live during a solve: the solution x, the right-hand side b, the residual r, the
direction p and one buffer that holds z = M^-1 r and then q = A p (z is dead once p is formed).

Example
-------
>>> import numpy as np
>>> from wafersolve.thermal.stencil import uniform_stencil, padded_zeros
>>> from wafersolve.thermal.multigrid import Multigrid
>>> st = uniform_stencil(12, 10, np.full(3, 1e-3), np.ones((3, 3)) * 5, 1e-3, 1e-3, 1e4, 0.0)
>>> b = padded_zeros(st.shape); b[0, 1:-1, 1:-1] = 1e-3
>>> x = padded_zeros(st.shape)
>>> stats = pcg(st, b, x, Multigrid(st), rtol=1e-10)
>>> stats.iterations < 15
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .._kernels import _stencil as _k
from ..errors import ConvergenceError, SolverError
from .stencil import Stencil, _check, apply_operator, padded_zeros


@dataclass(frozen=True)
class CGStats:
    iterations: int
    history: tuple[float, ...]  # relative residual before the first and after each iteration
    relative_residual: float  # recursive residual at exit
    residual_sum: float  # sum of the residual (W): the global energy imbalance


def pcg(st: Stencil, b: np.ndarray, x: np.ndarray, precond, rtol: float = 1e-8,
        max_iterations: int = 200, sum_tol: float | None = None, bnorm: float | None = None) -> CGStats:
    """Solve A x = b in place, starting from x (warm start).

    Stops when ||r|| <= rtol * ||b|| and, if ``sum_tol`` is given, |sum r| <= sum_tol (the heat
    not accounted for, in W). Raises :class:`ConvergenceError` with the residual history if
    ``max_iterations`` is reached, :class:`SolverError` on a breakdown (non-SPD or non-finite).
    """
    _check(st, b, x)
    if bnorm is None:
        bnorm = float(np.linalg.norm(b.ravel()))
    if bnorm == 0.0:
        x[...] = 0.0
        return CGStats(0, (0.0,), 0.0, 0.0)
    r = padded_zeros(st.shape)
    apply_operator(st, x, r)
    np.subtract(b, r, out=r)
    r[:, 0, :] = r[:, -1, :] = 0.0
    r[:, :, 0] = r[:, :, -1] = 0.0
    rf = r.reshape(-1)
    rel = float(np.linalg.norm(rf)) / bnorm
    rsum = float(rf.sum())
    history = [rel]

    def done(rel_, rsum_):
        return rel_ <= rtol and (sum_tol is None or abs(rsum_) <= sum_tol)

    if done(rel, rsum):
        return CGStats(0, tuple(history), rel, rsum)
    p = padded_zeros(st.shape)
    zq = padded_zeros(st.shape)
    xf, pf, zf = x.reshape(-1), p.reshape(-1), zq.reshape(-1)
    rho_old = 1.0
    for it in range(1, max_iterations + 1):
        precond(r, zq)
        rho = float(np.dot(rf, zf))
        beta = 0.0 if it == 1 else rho / rho_old
        pq = _k.update_direction_apply(zq, p, beta, *st.kernel_args())
        if not (math.isfinite(pq) and pq > 0.0 and math.isfinite(rho) and rho > 0.0):
            raise SolverError(
                f"conjugate gradients broke down at iteration {it} (p.Ap = {pq:.3e}, "
                f"r.z = {rho:.3e}): the operator or preconditioner is not positive definite "
                "or the input contains non-finite values")
        alpha = rho / pq
        rr, rsum = _k.cg_step(xf, rf, pf, zf, alpha)
        rel = math.sqrt(rr) / bnorm
        history.append(rel)
        if done(rel, rsum):
            return CGStats(it, tuple(history), rel, rsum)
        rho_old = rho
    raise ConvergenceError(
        f"conjugate gradients did not reach rtol={rtol:.1e} in {max_iterations} iterations "
        f"(last relative residual {rel:.3e}, unbalanced heat {rsum:.3e} W)", history)
