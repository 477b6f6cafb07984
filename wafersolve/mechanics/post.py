"""From the mechanics solution vector to what the engineer reads: per-layer displacements and
stresses, what each interface must absorb, the allowables and the warnings.

Stresses are evaluated at mechanics cell centres on each plate layer's bottom and top
surfaces: sigma = Q (eps0 + (z - z_ref) kappa - alpha theta(z)), with theta the temperature rise
of the thermal cell at that surface.

Example
-------
>>> import numpy as np
>>> from wafersolve import load_case, build_grid
>>> from wafersolve.mechanics import solve_mechanics
>>> case = load_case("cases/small.toml")
>>> grid = build_grid(case)
>>> res = solve_mechanics(case, grid, np.full(grid.shape, case.mechanics.stress_free_T_K + 50))
>>> [c.name for c in res.checks][:1]
['wafer_sigma_1']
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..results import (
    AllowableCheck,
    InterfaceMechanics,
    LayerMechanics,
    MechanicsResult,
    MechSolveInfo,
)
from .assemble import Layout, Op, evaluate_at_centres, interface_strains
from .model import MechModel

#: Warn when the deflection exceeds this fraction of the laminate thickness (linear theory).
LARGE_DEFLECTION_RATIO = 0.3


def _nodal(layout: Layout, x: np.ndarray, field: str, lam: int, deriv: str = "") -> np.ndarray:
    """Nodal values of u, v, or w (``deriv`` "", "x", "y") of a laminate, (nodes y, nodes x)."""
    a = layout.view(x, field, lam)
    if field != "w":
        return a.copy()
    r, c = {"": (0, 0), "x": (0, 1), "y": (1, 0)}[deriv]
    return a[r::2, c::2].copy()


def _combo_nodal(layout: Layout, x: np.ndarray, combo) -> np.ndarray:
    out = 0.0
    for c, op in combo:
        deriv = {(0, 0): "", (1, 0): "x", (0, 1): "y"}[(op.dx, op.dy)]
        out = out + c * _nodal(layout, x, op.field, op.lam, deriv)
    return out


def make_mech_result(model: MechModel, layout: Layout, x: np.ndarray,
                     info: MechSolveInfo) -> MechanicsResult:
    """Assemble the :class:`MechanicsResult` of solution vector ``x``."""
    layers = []
    for n, lam in enumerate(model.laminates):
        u0, v0 = _nodal(layout, x, "u", n), _nodal(layout, x, "v", n)
        w, wx, wy = (_nodal(layout, x, "w", n, d) for d in ("", "x", "y"))
        ex = evaluate_at_centres(model, layout, x, [(1.0, Op("u", n, 1, 0))])
        ey = evaluate_at_centres(model, layout, x, [(1.0, Op("v", n, 0, 1))])
        gxy = evaluate_at_centres(model, layout, x, [(1.0, Op("u", n, 0, 1)),
                                                     (1.0, Op("v", n, 1, 0))])
        kx = evaluate_at_centres(model, layout, x, [(-1.0, Op("w", n, 2, 0))])
        ky = evaluate_at_centres(model, layout, x, [(-1.0, Op("w", n, 0, 2))])
        kxy = evaluate_at_centres(model, layout, x, [(-2.0, Op("w", n, 1, 1))])
        for p in lam.plates:
            zmid = 0.5 * (p.z0_m + p.z1_m) - lam.z_ref_m
            theta = model.theta_K[p.name]
            q11, q12, q22, q66 = p.elastic.Q_Pa
            qax, qay = p.Q_alpha
            sxx, syy, txy = [], [], []
            for z, t in ((p.z0_m, theta[0]), (p.z1_m, theta[-1])):
                dz = z - lam.z_ref_m
                e1, e2, e3 = ex + dz * kx, ey + dz * ky, gxy + dz * kxy
                sxx.append(q11 * e1 + q12 * e2 - qax * t)
                syy.append(q12 * e1 + q22 * e2 - qay * t)
                txy.append(q66 * e3)
            layers.append(LayerMechanics(
                name=p.name, laminate=n, u_m=u0 - zmid * wx, v_m=v0 - zmid * wy, w_m=w,
                sigma_xx_Pa=np.stack(sxx), sigma_yy_Pa=np.stack(syy), tau_xy_Pa=np.stack(txy)))

    preload = model.case.mechanics.preload_Pa
    interfaces = []
    for n, spring in enumerate(model.springs):
        gx, gy, gap = interface_strains(model, n)
        lo, up = model.laminates[spring.lower], model.laminates[spring.upper]
        h = spring.height_m
        # Relative face displacement: upper laminate at its bottom face minus lower at its top.
        du = (_nodal(layout, x, "u", spring.upper)
              - (spring.z_bottom_of_upper_m - up.z_ref_m) * _nodal(layout, x, "w", spring.upper, "x")
              - _nodal(layout, x, "u", spring.lower)
              + (spring.z_top_of_lower_m - lo.z_ref_m) * _nodal(layout, x, "w", spring.lower, "x"))
        dv = (_nodal(layout, x, "v", spring.upper)
              - (spring.z_bottom_of_upper_m - up.z_ref_m) * _nodal(layout, x, "w", spring.upper, "y")
              - _nodal(layout, x, "v", spring.lower)
              + (spring.z_top_of_lower_m - lo.z_ref_m) * _nodal(layout, x, "w", spring.lower, "y"))
        gamma = None
        if spring.kind == "compliant":
            gamma = np.hypot(_combo_nodal(layout, x, gx), _combo_nodal(layout, x, gy)) / h
        gap_change = None
        if spring.k_normal_Pa_per_m > 0:
            gap_change = _combo_nodal(layout, x, gap) - preload / spring.k_normal_Pa_per_m
        interfaces.append(InterfaceMechanics(
            name=spring.layer, kind=spring.kind, lower=lo.layers[-1], upper=up.layers[0],
            height_m=h, du_m=du, dv_m=dv, shear_strain=gamma, gap_change_m=gap_change))

    if model.clipped:
        layers, interfaces = _blank_outside(model, layers, interfaces)
    layers_t, interfaces_t = tuple(layers), tuple(interfaces)
    return MechanicsResult(
        case=model.case, x_nodes_m=model.mesh_x.nodes_m.copy(),
        y_nodes_m=model.mesh_y.nodes_m.copy(), layers=layers_t, interfaces=interfaces_t,
        checks=check_allowables(model, layers_t, interfaces_t),
        warnings=_warnings(model, layers_t), info=info)


def _blank_outside(model: MechModel, layers, interfaces):
    """NaN outside a clipped outline: cells outside it, and nodes no inside cell touches."""
    cell_out = ~model.active
    act = np.pad(model.active, 1)
    node_out = ~(act[:-1, :-1] | act[:-1, 1:] | act[1:, :-1] | act[1:, 1:])

    def nodal(a):
        return None if a is None else np.where(node_out, np.nan, a)

    def cells(a):
        return np.where(cell_out[None], np.nan, a)

    layers = [replace(lay, u_m=nodal(lay.u_m), v_m=nodal(lay.v_m), w_m=nodal(lay.w_m),
                      sigma_xx_Pa=cells(lay.sigma_xx_Pa), sigma_yy_Pa=cells(lay.sigma_yy_Pa),
                      tau_xy_Pa=cells(lay.tau_xy_Pa)) for lay in layers]
    interfaces = [replace(itf, du_m=nodal(itf.du_m), dv_m=nodal(itf.dv_m),
                          shear_strain=nodal(itf.shear_strain),
                          gap_change_m=nodal(itf.gap_change_m)) for itf in interfaces]
    return layers, interfaces


def check_allowables(model: MechModel, layers, interfaces) -> tuple[AllowableCheck, ...]:
    """The case's allowables against the results, in the order they are given."""
    allow = model.case.mechanics.allowables
    by_name = {lay.name: lay for lay in layers}
    checks = []
    for name, limit in allow.stress_Pa:
        checks.append(AllowableCheck(f"{name}_sigma_1", "stress", "max",
                                     float(np.nanmax(by_name[name].sigma_1_Pa)), limit))
    compliant = [i for i in interfaces if i.kind == "compliant"]
    if allow.shear_strain is not None:
        for itf in compliant:
            checks.append(AllowableCheck(f"{itf.name}_shear_strain", "strain", "max",
                                         float(np.nanmax(itf.shear_strain)), allow.shear_strain))
    if allow.gap_change_m is not None:
        lo, hi = allow.gap_change_m
        for itf in compliant:
            if itf.gap_change_m is None:
                continue
            checks.append(AllowableCheck(f"{itf.name}_gap_change_min", "length", "min",
                                         float(np.nanmin(itf.gap_change_m)), lo))
            checks.append(AllowableCheck(f"{itf.name}_gap_change_max", "length", "max",
                                         float(np.nanmax(itf.gap_change_m)), hi))
    return tuple(checks)


def _warnings(model: MechModel, layers) -> tuple[str, ...]:
    out = []
    for n, lam in enumerate(model.laminates):
        w = next(lay.w_m for lay in layers if lay.laminate == n)
        w_abs = float(np.nanmax(np.abs(w)))
        if w_abs > LARGE_DEFLECTION_RATIO * lam.thickness_m:
            out.append(
                f"laminate {'+'.join(lam.layers)}: max |w| = {w_abs * 1e6:.0f} um exceeds "
                f"{LARGE_DEFLECTION_RATIO:g} x its thickness ({lam.thickness_m * 1e3:.3g} mm): "
                "outside linear plate theory, the real stack deflects less and may snap to a "
                "cylindrical shape; read w and the stresses as an upper-bound trend")
    return tuple(out)
