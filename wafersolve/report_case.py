"""The "case inputs" part of ``wafersolve report``: ``case_resolved.json`` (SI) as HTML tables in
engineering units (mm and µm, °C, kW, L/min, W/(m K), ppm/K, GPa, K mm²/W). Sections it does not
know are still shown, key by key, with the unit their key names.

Example
-------
>>> html = case_tables({"name": "demo", "wafer": {"size_m": [0.215, 0.215], "tiles": [12, 7]}})
>>> "215 x 215 mm" in html and "12 x 7" in html
True
"""

from __future__ import annotations

import numpy as np

from .report import ZERO_CELSIUS_K, _e, _key_quantity, _kv, _num, _table

_KNOWN = ("name", "description", "source_path", "format", "wafer", "grid", "layers", "contacts",
          "power", "cooling", "backside", "mechanics", "solver")


def _mm(v) -> str:
    return "-" if v is None else f"{v * 1e3:.4g} mm"


def _length(v) -> str:
    if v is None:
        return "-"
    return f"{v * 1e3:.4g} mm" if abs(v) >= 1e-3 else f"{v * 1e6:.4g} µm"


def _pair_mm(v) -> str:
    return " x ".join(f"{x * 1e3:.4g}" for x in v) + " mm" if v else "-"


def case_tables(case: dict) -> str:
    """HTML tables of a resolved case (the dict of ``case_resolved.json``); "" if empty.

    Example
    -------
    >>> "W/(m K)" in case_tables({"layers": [{"name": "wafer", "thickness_m": 7.75e-4,
    ...     "cells": 2, "material": {"name": "silicon", "k_W_per_m_K": [148, 148, 148]}}]})
    True
    """
    if not case:
        return ""
    out = []
    general = [("name", case.get("name", "-")), ("description", case.get("description") or "-"),
               ("case file", case.get("source_path") or "-")]
    wafer = case.get("wafer") or {}
    if wafer:
        general += [("wafer", _pair_mm(wafer.get("size_m"))),
                    ("reticle tiles", " x ".join(map(str, wafer.get("tiles", ()))) +
                     f" of {_pair_mm(wafer.get('tile_size_m'))}")]
    grid = case.get("grid") or {}
    if grid:
        general.append(("grid", f"{grid.get('nx')} x {grid.get('ny')} x {grid.get('nz')} cells, "
                                f"{_mm(grid.get('cell_size_x_m'))} x "
                                f"{_mm(grid.get('cell_size_y_m'))} in plane"))
    out.append("<h3>case</h3>" + _kv(general))
    if case.get("layers"):
        out.append("<h3>stack (bottom to top)</h3>" + _layers(case["layers"]))
    if case.get("contacts"):
        rows = [(f"{c['lower']} / {c['upper']}",
                 f"{c['resistance_m2_K_per_W'] * 1e6:.4g} K mm²/W") for c in case["contacts"]]
        out.append("<h3>contact resistances</h3>" + _table(("between", "resistance"), rows))
    if case.get("power"):
        out.append("<h3>power</h3>" + _power(case["power"]))
    if case.get("cooling"):
        out.append("<h3>cooling</h3>" + _cooling(case["cooling"]))
    if case.get("backside"):
        b = case["backside"]
        out.append("<h3>backside (under the PCB)</h3>" + _kv([
            ("boundary", "adiabatic" if b.get("adiabatic") else "convective"),
            ("h", f"{_num(b.get('h_W_per_m2_K'))} W/(m² K)"),
            ("ambient", f"{b['ambient_T_K'] - ZERO_CELSIUS_K:.2f} °C" if "ambient_T_K" in b
             else "-")]))
    if case.get("mechanics"):
        out.append("<h3>mechanics</h3>" + _mechanics(case["mechanics"]))
    if case.get("solver"):
        out.append("<h3>solver settings</h3>" + _kv(_flat(case["solver"])))
    for key in sorted(set(case) - set(_KNOWN)):
        value = case[key]
        out.append(f"<h3>{_e(key)}</h3>" + (_kv(_flat(value)) if isinstance(value, dict)
                                            else f"<p>{_e(_num(value))}</p>"))
    if "io" not in case:
        out.append('<p class="note">case_resolved.json holds no [io] section; the I/O layout '
                   "is described by the summary and io_layout.vtr above.</p>")
    return "".join(out)


def _layers(layers: list) -> str:
    rows = []
    for lay in layers:
        mat = lay.get("material") or {}
        k = "/".join(f"{v:g}" for v in mat.get("k_W_per_m_K", ()))
        if mat.get("k_exponent"):
            k += f" x ({mat.get('k_ref_T_K', 300):g} K / T)^{mat['k_exponent']:g}"
        el = mat.get("elastic") or {}
        cte = "/".join(f"{a * 1e6:.3g}" for a in el.get("alpha_per_K", ())) or "-"
        modulus = f"{el['biaxial_modulus_Pa'] / 1e9:.4g}" if "biaxial_modulus_Pa" in el else "-"
        rows.append((lay.get("name"), mat.get("name", "-"), _length(lay.get("thickness_m")),
                     lay.get("cells", "-"), k or "-", cte, modulus))
    return _table(("layer", "material", "thickness", "cells", "k x/y/z W/(m K)",
                   "CTE x/y ppm/K", "biaxial modulus GPa"), rows)


def _power(p: dict) -> str:
    rows = [("total", f"{p.get('total_W', 0) / 1e3:.4g} kW"), ("layer", p.get("layer", "-")),
            ("depth in the layer", p.get("depth", "-"))]
    tiles = p.get("tile_power_W")
    if tiles:
        arr = np.asarray(tiles, dtype=float)
        rows.append(("per tile", f"{arr.size} tiles, {arr.min():.4g} to {arr.max():.4g} W, "
                                 f"{arr.sum() / 1e3:.4g} kW in all"))
    rows += [("power maps", str(len(p.get("maps") or ()))),
             ("power meshes", str(len(p.get("meshes") or ())))]
    body = _kv(rows)
    if p.get("hotspots"):
        body += _table(("hot spot", "centre", "size", "power"),
                       [(h.get("name", "-"), _pair_mm(h.get("center_m")),
                         _pair_mm(h.get("size_m")), f"{h.get('power_W', 0):.4g} W")
                        for h in p["hotspots"]])
    return body


def _cooling(c: dict) -> str:
    rows = [("coolant", c.get("coolant", "-")),
            ("inlet", f"{c['inlet_T_K'] - ZERO_CELSIUS_K:.2f} °C" if "inlet_T_K" in c else "-"),
            ("flow", f"{c.get('flow_m3_per_s', 0) * 6e4:.4g} L/min"),
            ("direction", c.get("direction", "-"))]
    if c.get("channels"):
        rows.append(("h", "from the channel cold plate below"))
        rows += [(f"channels: {k}", v) for k, v in _flat(c["channels"])]
    else:
        rows.append(("h (cold plate to coolant)", f"{_num(c.get('h_W_per_m2_K'))} W/(m² K)"))
    return _kv(rows)


def _mechanics(m: dict) -> str:
    rows = [("stress-free temperature",
             f"{m['stress_free_T_K'] - ZERO_CELSIUS_K:.2f} °C" if "stress_free_T_K" in m else "-"),
            ("support", m.get("support", "-") + (f" ({m['support_layer']})"
                                                  if m.get("support_layer") else "")),
            ("mechanics cell size", _mm(m.get("cell_size_m"))),
            ("preload", f"{_num((m.get('preload_Pa') or 0) / 1e3)} kPa"),
            ("mechanics outline", "full rectangle" if m.get("outline_diameter_m") is None
             else f"clipped to a {_mm(m['outline_diameter_m'])} circle")]
    allow = m.get("allowables") or {}
    for layer, sigma in (allow.get("stress_Pa") or {}).items():
        rows.append((f"allowed stress, {layer}", f"{sigma / 1e6:.4g} MPa"))
    if allow.get("shear_strain") is not None:
        rows.append(("allowed shear strain", f"{allow['shear_strain']:.4g}"))
    if allow.get("gap_change_m"):
        lo, hi = allow["gap_change_m"]
        rows.append(("allowed gap change", f"{lo * 1e6:.4g} to {hi * 1e6:.4g} µm"))
    body = _kv(rows)
    if m.get("interfaces"):
        body += _table(("interface", "kind", "shear stiffness", "normal stiffness"),
                       [(i.get("layer"), i.get("kind"),
                         f"{i.get('shear_stiffness_Pa_per_m', 0) / 1e9:.4g} GPa/m",
                         f"{i.get('normal_stiffness_Pa_per_m', 0) / 1e9:.4g} GPa/m")
                        for i in m["interfaces"]])
    return body


def _flat(d: dict, prefix: str = "") -> list[tuple[str, str]]:
    rows = []
    for k, v in d.items():
        if isinstance(v, dict):
            rows += _flat(v, f"{prefix}{k}.")
        elif isinstance(v, list) and v and all(isinstance(x, int | float) for x in v):
            rows.append((prefix + k, ", ".join(_key_quantity(k, x)[1] for x in v)))
        else:
            name, shown = _key_quantity(k, v)
            rows.append((prefix + name, shown))
    return rows
