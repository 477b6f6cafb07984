"""The discrete conduction operator of one grid level, and its thin validating wrappers.

A :class:`Stencil` holds everything the compiled kernels need to apply the 7-point finite-volume
operator ``A`` (W/K) to a padded field of shape (nz, ny + 2, nx + 2). Face conductances are
harmonic (series) combinations of the two half cells plus any contact resistance; the top and
bottom faces are convective (Robin) to a reference temperature that enters the right-hand side.

Layer-constant coefficients are stored per z slice (no per-cell traffic). Slices of a material
whose conductivity depends on temperature carry per-cell face conductances instead (``gxv``,
``gyv``, and ``gzv`` for z faces touching them).

Example
-------
>>> import numpy as np
>>> st = uniform_stencil(nx=4, ny=3, dz_m=np.array([1e-3, 2e-3]), k_W_per_m_K=np.array([[1, 1, 1]] * 2),
...                      dx_m=1e-3, dy_m=1e-3, h_top=1e4, h_bot=0.0)
>>> x = padded_zeros(st.shape); x[:, 1:-1, 1:-1] = 1.0
>>> out = padded_zeros(st.shape); _ = apply_operator(st, x, out)
>>> bool(np.isclose(out.sum(), st.gtop.sum()))   # a uniform field only loses heat through Robin faces
True
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .._kernels import _stencil as _k

_EMPTY3 = np.zeros((0, 1, 1))


def padded_zeros(shape) -> np.ndarray:
    """A zero field of interior ``shape`` = (nz, ny, nx) with one ghost cell in x and y."""
    nz, ny, nx = shape
    return np.zeros((nz, ny + 2, nx + 2))


@dataclass(frozen=True, eq=False)
class Stencil:
    """Conductances of one level. Arrays are float64 (indices: intp), C-contiguous.

    cx, cy (nz,): k_x dz and k_y dz of each slice (W/K per unit of wy fx / wx fy).
    fx (nx + 1), fy (ny + 1): reciprocal centre distances across faces; 0 on boundary faces.
    wx (nx + 2), wy (ny + 2): cell widths, 0 in ghosts.
    cz (nz - 1,): per-area conductance between slices k and k + 1 (W/m^2/K).
    ctop, cbot: per-area Robin conductance of the top / bottom face (used by the smoother).
    gtop, gbot (ny + 2, nx + 2): Robin conductances (W/K) per column used by the operator.
    vslice (nz,), vface (nz - 1,): index into gxv/gyv resp. gzv, or -1 for layer-constant.
    """

    cx: np.ndarray
    cy: np.ndarray
    fx: np.ndarray
    fy: np.ndarray
    wx: np.ndarray
    wy: np.ndarray
    cz: np.ndarray
    ctop: float
    cbot: float
    gtop: np.ndarray
    gbot: np.ndarray
    vslice: np.ndarray
    gxv: np.ndarray
    gyv: np.ndarray
    vface: np.ndarray
    gzv: np.ndarray

    @property
    def shape(self) -> tuple[int, int, int]:
        return (self.cx.size, self.wy.size - 2, self.wx.size - 2)

    @property
    def area(self) -> np.ndarray:
        """Column areas (ny + 2, nx + 2), zero in ghosts."""
        return self.wy[:, None] * self.wx[None, :]

    def kernel_args(self) -> tuple:
        return (self.cx, self.cy, self.fx, self.fy, self.wx, self.wy, self.cz, self.gtop,
                self.gbot, self.vslice, self.gxv, self.gyv, self.vface, self.gzv)

    @property
    def has_variable_slices(self) -> bool:
        return bool(np.any(self.vslice >= 0))


def _faces_inverse_distance(w: np.ndarray) -> np.ndarray:
    """fx for interior widths w (n,): 0, 2/(w0+w1), ..., 0 (n + 1 entries)."""
    f = np.zeros(w.size + 1)
    f[1:-1] = 2.0 / (w[:-1] + w[1:])
    return f


def _pad1(w: np.ndarray) -> np.ndarray:
    out = np.zeros(w.size + 2)
    out[1:-1] = w
    return out


def geometry_stencil(wx, wy, cx, cy, cz, ctop, cbot) -> Stencil:
    """A layer-constant stencil from interior widths and per-slice coefficients."""
    wx = np.ascontiguousarray(wx, dtype=np.float64)
    wy = np.ascontiguousarray(wy, dtype=np.float64)
    nz = len(cx)
    wxp, wyp = _pad1(wx), _pad1(wy)
    area = wyp[:, None] * wxp[None, :]
    return Stencil(
        cx=np.ascontiguousarray(cx, dtype=np.float64),
        cy=np.ascontiguousarray(cy, dtype=np.float64),
        fx=_faces_inverse_distance(wx),
        fy=_faces_inverse_distance(wy),
        wx=wxp,
        wy=wyp,
        cz=np.ascontiguousarray(cz, dtype=np.float64).reshape(max(nz - 1, 0)),
        ctop=float(ctop),
        cbot=float(cbot),
        gtop=np.ascontiguousarray(ctop * area),
        gbot=np.ascontiguousarray(cbot * area),
        vslice=np.full(nz, -1, dtype=np.intp),
        gxv=_EMPTY3,
        gyv=_EMPTY3,
        vface=np.full(max(nz - 1, 0), -1, dtype=np.intp),
        gzv=_EMPTY3,
    )


def robin_per_area(half_resistance: float, h: float) -> float:
    """Conductance per area of half a cell in series with a film coefficient h (0 if h = 0)."""
    return 0.0 if h <= 0.0 else 1.0 / (half_resistance + 1.0 / h)


def layered_coefficients(dz_m, k_W_per_m_K, contact_m2K_per_W=None):
    """Per-slice cx, cy (k dz) and per-area z conductances cz for a column of cells.

    ``k_W_per_m_K`` is (nz, 3); ``contact_m2K_per_W`` (nz - 1,) the contact resistance on each
    internal face (0 inside a layer). Returns (cx, cy, cz, half) with ``half`` = dz / (2 kz).
    """
    dz = np.asarray(dz_m, dtype=np.float64)
    k = np.asarray(k_W_per_m_K, dtype=np.float64)
    half = dz / (2.0 * k[:, 2])
    rc = np.zeros(max(dz.size - 1, 0)) if contact_m2K_per_W is None else np.asarray(contact_m2K_per_W)
    cz = 1.0 / (half[:-1] + rc + half[1:])
    return k[:, 0] * dz, k[:, 1] * dz, cz, half


def uniform_stencil(nx, ny, dz_m, k_W_per_m_K, dx_m, dy_m, h_top, h_bot, contact_m2K_per_W=None):
    """Stencil of a uniform x-y grid with layer-constant conductivities (used by tests/benchmarks)."""
    cx, cy, cz, half = layered_coefficients(dz_m, k_W_per_m_K, contact_m2K_per_W)
    return geometry_stencil(np.full(nx, dx_m), np.full(ny, dy_m), cx, cy, cz,
                            robin_per_area(half[-1], h_top), robin_per_area(half[0], h_bot))


def with_variable_slices(base: Stencil, scale: dict[int, np.ndarray], dz_m, k_W_per_m_K,
                         contact_m2K_per_W, h_top: float, h_bot: float) -> Stencil:
    """``base`` with per-cell conductivities ``k * scale[k]`` on the slices in ``scale``.

    ``scale[k]`` is an (ny, nx) array of k(T)/k_ref for slice k. In-plane faces become harmonic
    means of the two cells; z faces touching a scaled slice and the Robin faces are recomputed
    per column. The other slices keep their layer-constant coefficients.
    """
    if not scale:
        return base
    nz, ny, nx = base.shape
    dz = np.asarray(dz_m, dtype=np.float64)
    k = np.asarray(k_W_per_m_K, dtype=np.float64)
    rc = np.zeros(max(nz - 1, 0)) if contact_m2K_per_W is None else np.asarray(contact_m2K_per_W)
    half = dz / (2.0 * k[:, 2])
    area = base.area
    slices = sorted(scale)
    vslice = np.full(nz, -1, dtype=np.intp)
    gxv = np.zeros((len(slices), ny + 2, nx + 2))
    gyv = np.zeros((len(slices), ny + 2, nx + 2))
    s_full = {}
    for v, kk in enumerate(slices):
        s = np.ones((ny + 2, nx + 2))
        s[1:-1, 1:-1] = scale[kk]
        s_full[kk] = s
        vslice[kk] = v
        harm_x = 2.0 * s[:, :-1] * s[:, 1:] / (s[:, :-1] + s[:, 1:])
        gxv[v, :, :-1] = base.cx[kk] * base.wy[:, None] * base.fx[None, :] * harm_x
        harm_y = 2.0 * s[:-1, :] * s[1:, :] / (s[:-1, :] + s[1:, :])
        gyv[v, :-1, :] = base.cy[kk] * base.fy[:, None] * base.wx[None, :] * harm_y
    faces = sorted({f for kk in slices for f in (kk - 1, kk) if 0 <= f < nz - 1})
    vface = np.full(max(nz - 1, 0), -1, dtype=np.intp)
    gzv = np.zeros((len(faces), ny + 2, nx + 2)) if faces else _EMPTY3
    one = np.ones((ny + 2, nx + 2))
    for f_idx, f in enumerate(faces):
        s_lo = s_full.get(f, one)
        s_hi = s_full.get(f + 1, one)
        gzv[f_idx] = area / (half[f] / s_lo + rc[f] + half[f + 1] / s_hi)
        vface[f] = f_idx
    gtop, gbot = base.gtop, base.gbot
    if nz - 1 in s_full and h_top > 0:
        gtop = np.ascontiguousarray(area / (half[-1] / s_full[nz - 1] + 1.0 / h_top))
    if 0 in s_full and h_bot > 0:
        gbot = np.ascontiguousarray(area / (half[0] / s_full[0] + 1.0 / h_bot))
    return replace(base, vslice=vslice, gxv=gxv, gyv=gyv, vface=vface, gzv=gzv,
                   gtop=gtop, gbot=gbot)


# -- validating wrappers ----------------------------------------------------------------------
def _check(st: Stencil, *fields):
    shape = (st.shape[0], st.shape[1] + 2, st.shape[2] + 2)
    for f in fields:
        if f.dtype != np.float64 or not f.flags.c_contiguous or f.shape != shape:
            raise ValueError(f"field must be C-contiguous float64 of shape {shape}, "
                             f"got {f.dtype} {f.shape}")


def apply_operator(st: Stencil, x: np.ndarray, out: np.ndarray) -> float:
    """out = A x (interior); returns x . out."""
    _check(st, x, out)
    return _k.apply_operator(x, out, *st.kernel_args())


def update_direction_apply(st: Stencil, zq: np.ndarray, p: np.ndarray, beta: float) -> float:
    """p = zq + beta p; zq = A p; returns p . A p (fused CG step)."""
    _check(st, zq, p)
    return _k.update_direction_apply(zq, p, float(beta), *st.kernel_args())


def residual(st: Stencil, x: np.ndarray, b: np.ndarray) -> np.ndarray:
    """b - A x as a new padded array."""
    r = padded_zeros(st.shape)
    apply_operator(st, x, r)
    r[:, 1:-1, 1:-1] = b[:, 1:-1, 1:-1] - r[:, 1:-1, 1:-1]
    return r
