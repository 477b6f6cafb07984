"""The thermo-mechanical solve: matrix-free PCG, rigid-body motion removed exactly, checks.

A free stack under a thermal load is in self-equilibrium and its stiffness is singular: the
stack can translate, spin and tilt without strain. The default solver runs preconditioned
conjugate gradients on that singular but consistent system (matrix-free Kronecker operator,
fast-diagonalization preconditioner, :mod:`.precond`), then removes the rigid-body motion so
that the node nearest the wafer centre (the neutral point) does not move: per set of laminates
joined by shear springs, u = v = 0 there and v = 0 at the next node along x (no spin); per set
joined by normal springs, w = w_x = w_y = 0 there (no lift, no tilt). ``method="direct"``
solves the same discrete system with those pins by sparse LU instead (small problems; used to
cross-check). A simply supported laminate is held at w = 0 along its edges (no w pins then).

The load's share along the rigid-body modes (net force and moment of the thermal load, zero in
exact self-equilibrium) is checked and reported as ``rigid_load_relative``.

Example
-------
>>> import numpy as np
>>> from wafersolve import load_case, build_grid
>>> case = load_case("cases/small.toml")
>>> grid = build_grid(case)
>>> res = solve_mechanics(case, grid, np.full(grid.shape, case.mechanics.stress_free_T_K + 50))
>>> res.info.relative_residual < 1e-9
True
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from .._kernels import _kron, _stencil
from ..case.model import Case
from ..errors import ConvergenceError, SolverError
from ..grid import Grid
from ..results import MechanicsResult, MechSolveInfo
from .assemble import MechSystem, assemble, interface_strains
from .model import MechModel, build_mech_model
from .post import make_mech_result
from .precond import FastDiagonalPreconditioner

RTOL = 5e-10  # ||K x - f|| / ||f|| of the returned field (PCG stops here): fields to ~1e-7
MAX_ITERATIONS = 2000
RIGID_LOAD_LIMIT = 1e-6  # |R^T f| / |f| accepted (R: unit rigid-body modes)
#: Above this many unknowns the preconditioner's dense transforms run in single precision
#: (twice as fast; PCG still converges to RTOL, each field then agrees with the double-precision
#: run to ~1e-7). Below it they run in double, so small problems solve to round-off.
SINGLE_PRECISION_DOFS = 250_000
METHODS = ("pcg", "direct")


def solve_mechanics(case: Case, grid: Grid, T_K: np.ndarray, *, method: str = "pcg",
                    progress: Callable[[str], None] | None = None) -> MechanicsResult:
    """Displacements, stresses and interface motion of ``case`` at temperature ``T_K``.

    ``T_K`` is a (nz, ny, nx) field on ``grid``, usually ``solve_thermal(case).T_K``.
    ``method`` is ``"pcg"`` (default, scales to full-wafer grids) or ``"direct"`` (sparse LU
    of the same discrete system, for small grids and cross-checks). Raises
    :class:`~wafersolve.errors.SolverError` if the case has no ``[mechanics]`` section or a
    plate layer has no elastic properties, and :class:`~wafersolve.errors.ConvergenceError`
    if PCG does not reach its tolerance.

    Example
    -------
    >>> from wafersolve import load_case, build_grid
    >>> case = load_case("cases/small.toml")
    >>> grid = build_grid(case)
    >>> res = solve_mechanics(case, grid, np.full(grid.shape, 298.15))
    >>> float(abs(res.layer("wafer").sigma_xx_Pa).max())      # no temperature change, no stress
    0.0
    """
    if method not in METHODS:
        raise ValueError(f"method {method!r}: expected one of {', '.join(METHODS)}")
    say = progress or (lambda _msg: None)
    t0 = time.perf_counter()
    model = build_mech_model(case, grid, T_K)
    ny, nx = model.shape_cells
    if nx < 1 or ny < 1 or model.shape_nodes[1] < 3:
        raise SolverError("the mechanics mesh needs at least two cells along x")
    say(f"mechanics: {len(model.laminates)} laminates, {len(model.springs)} interfaces, "
        f"{nx} x {ny} cells")
    system = assemble(model)
    pins, supported = _fixed_dofs(model, system)
    # two full vectors shared by the rigid-mode check and PCG (fresh memory is slow to fault in)
    work = [np.empty(system.layout.n_dofs), np.empty(system.layout.n_dofs)]
    rigid, gram_chol = rigid_modes(model, system, supported, work=work)
    f_norm = float(np.linalg.norm(system.f))
    rigid_load = 0.0
    if f_norm > 0 and rigid.count:  # |f projected on the modes| / |f|
        proj = np.linalg.solve(gram_chol, rigid.dot(system.f))
        rigid_load = float(np.linalg.norm(proj)) / f_norm
    if rigid_load > RIGID_LOAD_LIMIT:
        raise SolverError(f"mechanics: {rigid_load:.2e} of the thermal load acts on rigid-body "
                          "modes; a thermal load should be in self-equilibrium (internal error)")
    if method == "pcg":
        x, iterations, history, spare = _solve_pcg(model, system, supported, say, work)
        _remove_rigid(x, rigid, pins)
    else:
        x = _solve_direct(system, pins, supported)
        iterations, history, spare = 1, (), None
    op = system.operator()
    r = op(x, out=spare)
    r -= system.f
    r[supported] = 0.0
    residual = float(np.linalg.norm(r)) / f_norm if f_norm > 0 else 0.0
    if not np.isfinite(residual) or residual > 10 * RTOL:
        raise SolverError(f"mechanics solve inaccurate: relative residual {residual:.2e} > "
                          f"{10 * RTOL:g}")
    wall = time.perf_counter() - t0
    say(f"mechanics: {system.layout.n_dofs} unknowns, {iterations} iterations, relative "
        f"residual {residual:.1e} ({wall:.1f} s)")
    info = MechSolveInfo(dofs=system.layout.n_dofs, iterations=iterations,
                         relative_residual=residual, rigid_load_relative=rigid_load,
                         wall_time_s=wall, residual_history=tuple(history), method=method)
    return make_mech_result(model, system.layout, x, info)


# -- constraints and rigid-body modes -----------------------------------------------------------
def _components(n: int, links: list[tuple[int, int]]) -> list[list[int]]:
    parent = list(range(n))

    def root(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, b in links:
        parent[root(a)] = root(b)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(root(i), []).append(i)
    return list(groups.values())


def _shear_components(model: MechModel) -> list[list[int]]:
    links = [(s.lower, s.upper) for s in model.springs if s.k_shear_Pa_per_m > 0]
    return _components(len(model.laminates), links)


def _normal_components(model: MechModel) -> list[list[int]]:
    links = [(s.lower, s.upper) for s in model.springs if s.k_normal_Pa_per_m > 0]
    comps = _components(len(model.laminates), links)
    return [c for c in comps if model.support_laminate not in c]


def _centre(model: MechModel) -> tuple[int, int]:
    ny, nx = model.shape_nodes
    return ny // 2, nx // 2


def _fixed_dofs(model: MechModel, system: MechSystem) -> tuple[np.ndarray, np.ndarray]:
    """(pinned dofs: one per rigid-body mode; dofs held at zero: supported edges, and the dofs
    outside a clipped outline)."""
    lay = system.layout
    jc, ic = _centre(model)
    pins: list[int] = []
    for comp in _shear_components(model):
        lam = comp[0]
        pins += [lay.index("u", lam, jc, ic), lay.index("v", lam, jc, ic),
                 lay.index("v", lam, jc, ic + 1)]
    for comp in _normal_components(model):
        lam = comp[0]
        pins += [lay.index("w", lam, 2 * jc, 2 * ic), lay.index("w", lam, 2 * jc, 2 * ic + 1),
                 lay.index("w", lam, 2 * jc + 1, 2 * ic)]
    supported = np.zeros(0, dtype=np.intp)
    if model.support_laminate is not None:
        ny, nx = model.shape_nodes
        w = np.zeros(lay.shape("w"), dtype=bool)
        edge_x = np.zeros((ny, nx), dtype=bool)  # nodes on x = const edges: w = 0, w_y = 0
        edge_x[:, [0, -1]] = True
        edge_y = np.zeros((ny, nx), dtype=bool)  # nodes on y = const edges: w = 0, w_x = 0
        edge_y[[0, -1], :] = True
        w[0::2, 0::2] = edge_x | edge_y
        w[0::2, 1::2] = edge_y
        w[1::2, 0::2] = edge_x
        supported = lay.offset("w", model.support_laminate) + np.flatnonzero(w.ravel())
    held = np.union1d(supported, system.inactive_dofs()).astype(np.intp)
    return np.array(pins, dtype=np.intp), held


class RigidModes:
    """Rigid-body modes stored field by field: ``pieces[i]`` maps (field, laminate) to the mode's
    values there (an array of the field's dof shape, or a scalar for a constant), so a mode
    costs memory only where it moves. Acts like the (modes x dofs) matrix R."""

    def __init__(self, layout, pieces: list[dict]):
        self.layout, self.pieces = layout, pieces

    @property
    def count(self) -> int:
        return len(self.pieces)

    def dense(self, i: int, out: np.ndarray | None = None) -> np.ndarray:
        """Mode i as a full dof vector (into ``out`` if given)."""
        if out is None:
            out = np.zeros(self.layout.n_dofs)
        else:
            out[...] = 0.0
        for (f, lam), a in self.pieces[i].items():
            self.layout.view(out, f, lam)[...] = a
        return out

    def dot(self, v: np.ndarray) -> np.ndarray:
        """R v."""
        lay = self.layout
        return np.array([sum(float(np.sum(a * lay.view(v, f, lam))) for (f, lam), a in p.items())
                         for p in self.pieces])

    def gram(self) -> np.ndarray:
        """R R^T."""
        lay = self.layout
        G = np.zeros((self.count, self.count))
        for i, pi in enumerate(self.pieces):
            for j, pj in enumerate(self.pieces[:i + 1]):
                g = 0.0
                for key in pi.keys() & pj.keys():
                    prod = np.multiply(pi[key], pj[key])
                    g += float(prod) * lay.size(key[0]) if np.ndim(prod) == 0 else float(prod.sum())
                G[i, j] = G[j, i] = g
        return G

    def at(self, dofs: np.ndarray) -> np.ndarray:
        """R[:, dofs]."""
        return np.stack([self.dense_at(i, dofs) for i in range(self.count)])

    def dense_at(self, i: int, dofs: np.ndarray) -> np.ndarray:
        lay = self.layout
        out = np.zeros(len(dofs))
        for (f, lam), a in self.pieces[i].items():
            o = lay.offset(f, lam)
            local = dofs - o
            hit = (local >= 0) & (local < lay.size(f))
            out[hit] = np.broadcast_to(a, lay.shape(f)).ravel()[local[hit]]
        return out

    def subtract(self, x: np.ndarray, c: np.ndarray, *, in_place: bool = False) -> np.ndarray:
        """x - R^T c (into ``x`` itself if ``in_place``)."""
        if not in_place:
            x = x.copy()
        for ci, p in zip(c, self.pieces, strict=True):
            for (f, lam), a in p.items():
                self.layout.view(x, f, lam)[...] -= ci * a
        return x


def rigid_modes(model: MechModel, system: MechSystem, supported: np.ndarray,
                work: list[np.ndarray] | None = None) -> tuple[RigidModes, np.ndarray]:
    """The rigid-body motions of the stack (null of K) as :class:`RigidModes`, and the Cholesky
    factor L of their Gram matrix (R R^T = L L^T: L^-1 R is orthonormal).

    In-plane: translation and spin of each set of shear-linked laminates. Out of plane: lift and
    the two tilts of each set of normal-linked laminates. A tilt of a stack is a rotation: with
    the slopes, each laminate slides in-plane so that no shear spring strains; those shifts
    follow exactly from the spring strains (:func:`.assemble.interface_strains`) laminate by
    laminate up the stack, and each tilt mode is verified to be strain-free. Held dofs
    (``supported``) are zero in every mode. ``work``: two full-size vectors the check may use
    as scratch.
    """
    lay = system.layout
    X = model.mesh_x.nodes_m - model.mesh_x.nodes_m[_centre(model)[1]]
    Y = model.mesh_y.nodes_m - model.mesh_y.nodes_m[_centre(model)[0]]
    XX, YY = np.meshgrid(X, Y)
    pieces: list[dict] = []
    for comp in _shear_components(model):
        pieces.append({("u", lam): 1.0 for lam in comp})
        pieces.append({("v", lam): 1.0 for lam in comp})
        spin = {}
        for lam in comp:
            spin[("u", lam)], spin[("v", lam)] = -YY, XX
        pieces.append(spin)
    checked: list[int] = []
    for comp in _normal_components(model):
        tilted = np.zeros(lay.n_laminates)
        tilted[comp] = 1.0
        shift = _tilt_shifts(model, tilted)
        for kind in ("lift", "tilt_x", "tilt_y"):
            w = np.zeros(lay.shape("w"))
            if kind == "lift":
                w[0::2, 0::2] = 1.0
            elif kind == "tilt_x":
                w[0::2, 0::2] = XX
                w[0::2, 1::2] = 1.0
            else:
                w[0::2, 0::2] = YY
                w[1::2, 0::2] = 1.0
            mode = {("w", lam): w for lam in comp}
            if kind != "lift":
                field = "u" if kind == "tilt_x" else "v"
                mode.update({(field, lam): float(shift[lam]) for lam in range(lay.n_laminates)
                             if shift[lam] != 0.0})
                checked.append(len(pieces))
            pieces.append(mode)
    if supported.size:  # held dofs take no part in any mode
        for mode in pieces:
            for (f, lam), a in list(mode.items()):
                o = lay.offset(f, lam)
                local = supported[(supported >= o) & (supported < o + lay.size(f))] - o
                if local.size:
                    full = np.array(np.broadcast_to(a, lay.shape(f)), dtype=float)
                    full.ravel()[local] = 0.0
                    mode[(f, lam)] = full
    R = RigidModes(lay, pieces)
    if R.count == 0:
        return R, np.zeros((0, 0))
    op = system.operator()
    if checked:
        # one operator application checks all tilt modes: a combination with incommensurate
        # weights is strain-free only if each mode is; its force K v is measured against the
        # largest row sum of |K| (so it is ~1e-16 for a mode that is exactly strain-free)
        combo, mode = work if work is not None else (np.empty(lay.n_dofs), np.empty(lay.n_dofs))
        combo[...] = 0.0
        for k, j in enumerate(checked):  # field by field: a mode moves few of them
            pieces = R.pieces[j].items()
            top = max(float(np.abs(a).max()) for _key, a in pieces)
            for (f, lam), a in pieces:
                lay.view(combo, f, lam)[...] += np.sqrt(k + 1.0) / max(top, 1e-300) * a
        scale = max(op.norm_bound(), 1e-300)
        leak = (float(np.abs(op(combo, out=mode)).max())
                / (scale * max(float(np.abs(combo).max()), 1e-300)))
        if leak > 1e-12:  # round-off gives ~1e-17; a 1 % wrong shift ~5e-9
            raise SolverError(f"mechanics: the tilt modes {checked} are not strain-free "
                              f"({leak:.1e}); internal error")
    return R, np.linalg.cholesky(R.gram())


def _tilt_shifts(model: MechModel, tilted: np.ndarray) -> np.ndarray:
    """In-plane shift of each laminate that keeps every shear spring unstrained under a unit
    slope of the ``tilted`` laminates (1) while the others stay level (0)."""
    shift = np.zeros(len(model.laminates))
    for k, spring in enumerate(model.springs):  # spring k joins laminates k (below), k + 1
        if spring.k_shear_Pa_per_m <= 0:
            continue  # a new set of shear-linked laminates starts above: its own reference
        gx, _gy, _gap = interface_strains(model, k)
        c = {op.lam: coef for coef, op in gx if op.field == "w"}
        a, b = spring.lower, spring.upper
        shift[b] = shift[a] - c[b] * tilted[b] - c[a] * tilted[a]
    return shift


def _remove_rigid(x: np.ndarray, R: RigidModes, pins: np.ndarray) -> np.ndarray:
    """x -= R^T c, in place, with c such that the pinned dofs are zero (R: independent
    modes)."""
    if R.count == 0:
        return x
    c, *_ = np.linalg.lstsq(R.at(pins).T, x[pins], rcond=None)
    return R.subtract(x, c, in_place=True)


def _free_mask(n: int, supported: np.ndarray) -> np.ndarray:
    mask = np.ones(n)
    mask[supported] = 0.0
    return mask


# -- the two solvers -----------------------------------------------------------------------------
def _solve_pcg(model: MechModel, system: MechSystem, supported: np.ndarray, say,
               work: list[np.ndarray] | None = None):
    """(x, iterations, history, a spare full-size vector) of PCG on the system; ``work``: two
    full-size vectors to use as x and as scratch."""
    mask = _free_mask(system.layout.n_dofs, supported) if supported.size else None
    b = system.f if mask is None else system.f * mask
    if float(np.linalg.norm(b)) == 0.0:
        return np.zeros_like(b), 0, (0.0,), None
    dtype = np.float32 if system.layout.n_dofs > SINGLE_PRECISION_DOFS else np.float64
    precond = FastDiagonalPreconditioner(model, system.layout, dtype=dtype, terms=system.terms)
    return _pcg(system.operator(), precond, mask, b, say, work=work, spare=True)


def _pcg(op, precond, mask, b: np.ndarray, say, *, work: list[np.ndarray] | None = None,
         spare: bool = False):
    """Preconditioned CG for op(x) = b (masked dofs held at zero) to RTOL: (x, iterations,
    relative residual history), and with ``spare`` the residual's buffer (free for reuse).
    ``b`` is not changed; ``work``: two full-size vectors to use as x and as scratch. The
    operator, vectors and scalars are double precision: the plate stiffness is too
    ill-conditioned for a single-precision operator (tried: the residual of smooth modes drowns
    in its round-off)."""

    def masked(v: np.ndarray) -> np.ndarray:
        if mask is not None:
            v *= mask
        return v

    b_norm = float(np.linalg.norm(b))
    x, z = work if work is not None else (np.empty_like(b), np.empty_like(b))
    x[...] = 0.0
    q = z  # one buffer for q = K p and z = P r (q is spent before z is due)
    r = b.copy()
    p = masked(precond(r))
    rz = float(r @ p)
    history = [1.0]
    for it in range(1, MAX_ITERATIONS + 1):
        q = masked(op(p, out=q))
        pq = float(p @ q)
        if not (pq > 0 and np.isfinite(pq)):
            raise SolverError(f"mechanics PCG breakdown at iteration {it} (p.Kp = {pq:.3e}): the "
                              "stiffness is not positive on the search direction")
        rr, _rs = _stencil.cg_step(x, r, p, q, rz / pq)  # x += alpha p, r -= alpha q
        rel = float(np.sqrt(rr)) / b_norm
        history.append(rel)
        if rel <= RTOL:
            return (x, it, history, r) if spare else (x, it, history)
        if it % 50 == 0:
            say(f"mechanics: PCG iteration {it}, relative residual {rel:.1e}")
        z = masked(precond(r, out=z))
        rz_new = float(r @ z)
        _kron.xpby(z, rz_new / rz, p)  # p = z + beta p
        rz = rz_new
    raise ConvergenceError(f"mechanics PCG did not reach {RTOL:g} in {MAX_ITERATIONS} iterations",
                           history)


def _solve_direct(system: MechSystem, pins: np.ndarray, supported: np.ndarray) -> np.ndarray:
    K, f = system.K, system.f
    mask = np.ones(K.shape[0], dtype=bool)
    mask[pins] = False
    mask[supported] = False
    free = np.flatnonzero(mask)
    x = np.zeros(K.shape[0])
    Kff = K[free][:, free].tocsc()
    d = Kff.diagonal()
    if np.any(d <= 0):
        raise SolverError("the mechanics stiffness has a zero or negative diagonal: part of the "
                          "stack is not connected")
    s = 1.0 / np.sqrt(d)
    S = sp.diags(s)
    try:
        lu = spla.splu((S @ Kff @ S).tocsc(), permc_spec="MMD_AT_PLUS_A")
    except RuntimeError as exc:
        raise SolverError(f"mechanics factorization failed: {exc}") from None
    x[free] = s * lu.solve(s * f[free])
    r = f[free] - K[free] @ x
    x[free] += s * lu.solve(s * r)  # one step of iterative refinement
    return x
