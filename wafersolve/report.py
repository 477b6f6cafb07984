"""``wafersolve report``: one self-contained HTML page of a result folder.

The page holds the verdict (how many checks pass), the key numbers, every check of
``summary.json`` with pass/fail and margin (mechanics allowables ``check_*_actual/_allowed``,
cooling envelopes ``check_*_value/_limit``), the temperatures per layer, the cooling flow
(``flow_*``, ``coldplate_*``, the runs at other flows per kW), the mechanics (``mech_*``), the
I/O layout and its density against GPUs (``io_*``), the solver figures, the field maps rendered
with PyVista and the matplotlib plots of :mod:`wafersolve.report_figures`, and the case as
solved (``case_resolved.json``) in engineering units. Every image is embedded as a base64 PNG;
the page loads nothing from anywhere (no CDN, no external file). A few lines of inline script
only count the figures the browser decoded and record script errors, in the page footer.

Units on the page: °C for temperatures (K for differences), MPa, µm, W/cm², kW, L/min,
GB/s; the files stay SI.

Example
-------
>>> from wafersolve.viz_data import ResultFolder
>>> write_report(ResultFolder("results/small"), "results/small/report.html")   # doctest: +SKIP
PosixPath('results/small/report.html')
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from . import report_figures as figs
from .export import _atomic
from .viz_data import ZERO_CELSIUS_K, ResultFolder, View

MAP_SIZE = (760, 600)


# -- checks ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Check:
    """One pass/fail line of ``summary.json``, in display units.

    Example
    -------
    >>> Check("ocp_rise", "cooling", "OCP rise", "3.6 K", "≤", "10 K", "+6.4 K", True).passed
    True
    """

    name: str
    group: str  # "mechanics" (allowables) or "cooling" (envelopes)
    what: str
    actual: str
    sense: str  # "≤" or "≥"
    limit: str
    margin: str
    passed: bool


def collect_checks(summary: dict) -> list[Check]:
    """Every ``check_<name>_passed`` of ``summary`` with its actual value, limit and margin.

    Example
    -------
    >>> s = {"check_wafer_sigma_1_actual_Pa": 3.8e6, "check_wafer_sigma_1_allowed_Pa": 1e8,
    ...      "check_wafer_sigma_1_margin": 0.962, "check_wafer_sigma_1_passed": True}
    >>> c = collect_checks(s)[0]
    >>> c.actual, c.sense, c.limit, c.margin, c.passed
    ('3.8 MPa', '≤', '100 MPa', '+96.2 %', True)
    """
    out = []
    names = sorted(k[len("check_"):-len("_passed")] for k in summary
                   if k.startswith("check_") and k.endswith("_passed"))
    for name in names:
        p = f"check_{name}_"
        parts = {k[len(p):]: v for k, v in summary.items() if k.startswith(p)}
        passed = bool(parts.get("passed"))
        allowed = next((k for k in parts if k.startswith("allowed")), None)
        if allowed is not None:  # a mechanics allowable: margin is a fraction of the limit
            unit = allowed[len("allowed_"):]
            actual = parts.get(f"actual_{unit}" if unit else "actual")
            sense = "≥" if name.endswith("_min") else "≤"
            margin = parts.get("margin")
            out.append(Check(name, "mechanics", _mech_what(name), _quantity(actual, unit),
                             sense, _quantity(parts[allowed], unit),
                             "-" if margin is None else f"{margin * 100:+.1f} %", passed))
            continue
        limit_key = next((k for k in parts if k.startswith("limit")), None)
        if limit_key is None:
            continue
        unit = limit_key[len("limit_"):]
        value, limit = parts.get(f"value_{unit}"), parts[limit_key]
        margin = parts.get(f"margin_{unit}")
        sense = "≤"
        if None not in (value, limit, margin) and abs((value - limit) - margin) < \
                abs((limit - value) - margin):
            sense = "≥"
        absolute = unit == "K" and limit is not None and limit > 150.0  # a temperature, not a rise
        shown = "C" if absolute else unit
        out.append(Check(name, "cooling", _envelope_what(name, unit), _quantity(value, shown),
                         sense, _quantity(limit, shown),
                         _quantity(margin, unit, signed=True), passed))
    return out


def _mech_what(name: str) -> str:
    for suffix, text in (("_sigma_1", "max principal stress of {}"),
                         ("_shear_strain", "shear strain of {}"),
                         ("_gap_change_min", "gap change of {} (closing)"),
                         ("_gap_change_max", "gap change of {} (opening)")):
        if name.endswith(suffix):
            return text.format(name[: -len(suffix)])
    return name


def _envelope_what(name: str, unit: str) -> str:
    try:
        from .flowcheck import ENVELOPES
    except ImportError:  # pragma: no cover - a trimmed install
        return name
    key = {"ocp_flow": "ocp_lpm_per_kW", "chx2000_power": "coolit_chx2000_power_W",
           "chx2000_flow": "coolit_chx2000_flow_m3_per_s"}.get(name, f"{name}_{unit}")
    env = ENVELOPES.get(key)
    if env is None:
        return name
    return env.what + (" (the check: an inlet at least this warm)"
                       if name.startswith("ashrae_") else "")


# -- number formatting -------------------------------------------------------------------------
_UNITS = {  # SI unit suffix -> (display unit, scale, offset)
    "C": ("°C", 1.0, -ZERO_CELSIUS_K), "K": ("K", 1.0, 0.0), "Pa": ("MPa", 1e-6, 0.0),
    "m": ("µm", 1e6, 0.0), "W": ("kW", 1e-3, 0.0), "m3_per_s": ("L/min", 6e4, 0.0),
    "lpm_per_kW": ("L/min per kW", 1.0, 0.0), "W_per_kW": ("W per kW", 1.0, 0.0),
    "W_per_m2": ("W/cm²", 1e-4, 0.0), "W_per_m2_K": ("W/(m² K)", 1.0, 0.0),
    "m_per_s": ("m/s", 1.0, 0.0), "s": ("s", 1.0, 0.0), "m2": ("mm²", 1e6, 0.0),
    "bit_per_s": ("GB/s", 1.25e-10, 0.0), "bit_per_s_per_m": ("GB/s per mm", 1.25e-13, 0.0),
    "bit_per_s_per_m2": ("GB/s per mm²", 1.25e-16, 0.0), "": ("", 1.0, 0.0),
}


def _num(value, digits: int = 4, signed: bool = False) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return value
    v = float(value)
    if v == 0:
        text = "0"
    elif abs(v) >= 1e7 or abs(v) < 1e-3:
        text = f"{v:.{digits - 1}e}"
    elif abs(v) >= 10**digits:
        text = f"{v:,.0f}"
    else:
        text = f"{v:.{digits}g}"
    return ("+" + text) if signed and v > 0 else text


def _quantity(value, unit: str, *, signed: bool = False, digits: int = 4) -> str:
    """``value`` (SI, unit suffix ``unit``) in its display unit, e.g. ``3.8 MPa``."""
    label, scale, offset = _UNITS.get(unit, (unit.replace("_per_", "/"), 1.0, 0.0))
    if value is None or isinstance(value, bool | str):
        return _num(value)
    if unit == "m":
        if abs(value) < 1e-12:  # round-off of a length held at zero
            value = 0.0
        if abs(value) >= 1e-3:
            label, scale = "mm", 1e3
    return f"{_num(value * scale + offset, digits, signed)}{' ' + label if label else ''}"


def _key_quantity(key: str, value) -> tuple[str, str]:
    """(name without its unit, value in display units) for a summary key."""
    for suffix in sorted(_UNITS, key=len, reverse=True):
        if suffix and (key.endswith("_" + suffix) or key == suffix):
            name = key[: -len(suffix) - 1] if key != suffix else "value"
            unit = suffix
            if suffix == "K" and isinstance(value, int | float) and not isinstance(value, bool) \
                    and value > 150.0 and "rise" not in key and "margin" not in key:
                unit = "C"  # an absolute temperature
            return name, _quantity(value, unit)
    return key, _num(value)


def _C(T_K) -> str:
    return "-" if T_K is None else f"{T_K - ZERO_CELSIUS_K:.2f} °C"


# -- HTML building blocks ----------------------------------------------------------------------
def _e(text) -> str:
    return html.escape(str(text), quote=True)


def _table(header: Iterable[str], rows: Iterable[Iterable], cls: str = "") -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(c if str(c).startswith("<") else f"<td>{_e(c)}</td>"
                                    for c in row) + "</tr>" for row in rows)
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _kv(rows: Iterable[tuple[str, str]]) -> str:
    return _table(("quantity", "value"), rows, "kv")


def _verdict(passed: bool) -> str:
    return ('<td class="pass">pass</td>' if passed else '<td class="fail">FAIL</td>')


def _img(png: bytes, alt: str, caption: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return (f'<figure><img alt="{_e(alt)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{_e(caption)}</figcaption></figure>")


def _section(anchor: str, title: str, body: str) -> str:
    return f'<section id="{anchor}"><h2>{_e(title)}</h2>{body}</section>'


# -- sections ----------------------------------------------------------------------------------
def _overview(result: ResultFolder, checks: list[Check]) -> str:
    s, case = result.summary, result.case
    failed = [c for c in checks if not c.passed]
    verdict = (f'<p class="verdict fail">{len(failed)} of {len(checks)} checks FAIL: '
               f'{_e(", ".join(c.name for c in failed))}</p>' if failed else
               f'<p class="verdict pass">all {len(checks)} checks pass</p>')
    rows = [("power", _quantity(s.get("power_W"), "W")),
            ("T max", f"{_C(s.get('T_max_K'))} in layer {s.get('hotspot_layer', '?')} at "
                      f"x = {s.get('hotspot_x_m', 0) * 1e3:.1f} mm, "
                      f"y = {s.get('hotspot_y_m', 0) * 1e3:.1f} mm")
            if "T_max_K" in s else ("T max", "-")]
    if "coolant_inlet_T_K" in s:
        rows += [("coolant", f"inlet {_C(s['coolant_inlet_T_K'])}, outlet "
                             f"{_C(s['coolant_outlet_T_K'])}, rise {s['coolant_rise_K']:.2f} K"),
                 ("flow", f"{_quantity(s.get('coolant_flow_m3_per_s'), 'm3_per_s')} = "
                          f"{_num(s.get('flow_lpm_per_kW'))} L/min per kW")]
    if "q_coldplate_mean_W_per_m2" in s:
        rows.append(("heat flux into the cold plate",
                     f"mean {_quantity(s['q_coldplate_mean_W_per_m2'], 'W_per_m2')}, peak "
                     f"{_quantity(s['q_coldplate_peak_W_per_m2'], 'W_per_m2')}"))
    if "energy_balance_relative" in s:
        rows.append(("energy balance", f"{s['energy_balance_relative']:.1e} (relative)"))
    if "mech_layer_wafer_sigma_1_max_Pa" in s or any(k.startswith("mech_layer_") for k in s):
        worst = max((v for k, v in s.items() if k.startswith("mech_layer_")
                     and k.endswith("_sigma_1_max_Pa")), default=None)
        rows.append(("largest max principal stress", _quantity(worst, "Pa")))
    if "io_bandwidth_per_direction_bit_per_s" in s:
        rows.append(("edge I/O", f"{s.get('io_usable')} usable PHYs, "
                                 f"{_quantity(s['io_bandwidth_per_direction_bit_per_s'], 'bit_per_s')}"
                                 f" per direction"))
    desc = case.get("description", "")
    return verdict + (f"<p>{_e(desc)}</p>" if desc else "") + _kv(rows)


def _checks_section(checks: list[Check]) -> str:
    if not checks:
        return "<p>no checks in this result folder.</p>"
    out = []
    for group, title in (("mechanics", "mechanics allowables (margin: distance to the limit as "
                                       "a share of the limit)"),
                         ("cooling", "cooling-flow envelopes (margin in the check's unit)")):
        rows = [(c.name, c.what, c.actual, c.sense, c.limit, c.margin, _verdict(c.passed))
                for c in checks if c.group == group]
        if rows:
            out.append(f"<h3>{_e(title)}</h3>" + _table(
                ("check", "what", "actual", "", "limit", "margin", "verdict"), rows, "checks"))
    return "".join(out)


def _temperatures(result: ResultFolder) -> str:
    s = result.summary
    rows = []
    for name in result.layer_names or sorted({k[6:-10] for k in s if k.startswith("layer_")
                                              and k.endswith("_T_max_K")}):
        if f"layer_{name}_T_max_K" in s:
            rows.append((name, _C(s.get(f"layer_{name}_T_min_K")),
                         _C(s.get(f"layer_{name}_T_mean_K")), _C(s[f"layer_{name}_T_max_K"])))
    body = _table(("layer (bottom to top)", "min", "mean", "max"), rows) if rows else ""
    if "tile_T_max_max_K" in s:
        body += _kv([("hottest tile", _C(s["tile_T_max_max_K"])),
                     ("coolest tile", _C(s["tile_T_max_min_K"])),
                     ("tile spread", f"{s['tile_T_max_max_K'] - s['tile_T_max_min_K']:.2f} K")])
    return body


_LABELS = {"power": "power", "m3": "flow", "lpm_per_kW": "flow per kW", "inlet_T": "inlet",
           "rise": "coolant rise", "hotspot_T": "T max (solved)", "ocp_rise": "OCP rise check"}


def _prefixed(summary: dict, prefix: str, skip=()) -> list[tuple[str, str]]:
    rows = []
    for k, v in sorted(summary.items()):
        if k.startswith(prefix) and not any(k.startswith(x) for x in skip):
            name, shown = _key_quantity(k, v)
            name = name[len(prefix):] if name.startswith(prefix) else name
            rows.append((_LABELS.get(name, name.replace("_", " ")), shown))
    return rows


def _cooling(result: ResultFolder) -> str:
    s = result.summary
    body = _kv(_prefixed(s, "flow_", skip=("flow_at_",)))
    plate = _prefixed(s, "coldplate_")
    if plate:
        body += "<h3>channel cold plate</h3>" + _kv(plate)
    tags = sorted({m.group(1) for k in s if (m := re.match(r"flow_at_(.+?_lpm_per_kW)_", k))})
    for tag in tags:
        lpm = tag.removesuffix("_lpm_per_kW").replace("p", ".")
        body += f"<h3>solved at {_e(lpm)} L/min per kW</h3>" + _kv(
            _prefixed(s, f"flow_at_{tag}_"))
    return body


def _mechanics(result: ResultFolder) -> str:
    s = result.summary
    plates = sorted({m.group(1) for k in s if (m := re.match(r"mech_layer_(.+)_bow_m$", k))},
                    key=lambda n: (result.layer_names.index(n) if n in result.layer_names else 99))
    if not plates:
        return ""
    rows = [(p, _quantity(s.get(f"mech_layer_{p}_sigma_1_max_Pa"), "Pa"),
             _quantity(s.get(f"mech_layer_{p}_sigma_2_min_Pa"), "Pa"),
             _quantity(s.get(f"mech_layer_{p}_von_mises_max_Pa"), "Pa"),
             _quantity(s.get(f"mech_layer_{p}_u_inplane_max_m"), "m"),
             _quantity(s.get(f"mech_layer_{p}_w_min_m"), "m"),
             _quantity(s.get(f"mech_layer_{p}_w_max_m"), "m"),
             _quantity(s.get(f"mech_layer_{p}_bow_m"), "m")) for p in plates]
    body = "<h3>plate layers</h3>" + _table(
        ("layer", "σ1 max", "σ2 min", "von Mises max", "|u| in-plane max", "w min", "w max",
         "bow"), rows)
    itfs = sorted({m.group(1) for k in s
                   if (m := re.match(r"mech_interface_(.+)_displacement_max_m$", k))})
    if itfs:
        rows = [(i, _quantity(s.get(f"mech_interface_{i}_displacement_max_m"), "m"),
                 _num(s.get(f"mech_interface_{i}_shear_strain_max")),
                 _quantity(s.get(f"mech_interface_{i}_gap_change_min_m"), "m"),
                 _quantity(s.get(f"mech_interface_{i}_gap_change_max_m"), "m")) for i in itfs]
        body += "<h3>interfaces</h3>" + _table(
            ("interface", "slide max", "shear strain max", "gap change min", "gap change max"),
            rows)
    warnings = s.get("mech_warning_texts") or []
    if warnings:
        body += "<h3>warnings</h3><ul>" + "".join(f"<li>{_e(w)}</li>" for w in warnings) + \
            "</ul>"
    return body


def _io(result: ResultFolder) -> str:
    s = result.summary
    keys = [k[3:] for k in sorted(s) if k.startswith("io_") and not k.startswith(
        ("io_area_", "io_density_")) or k in ("io_density_edge_per_direction_bit_per_s_per_m",
                                              "io_density_area_per_direction_bit_per_s_per_m2")]
    keys = [k for k in keys if not k.startswith("density_") or k.endswith(("_per_m", "_per_m2"))]
    body = ""
    if keys:
        has_area = any(k.startswith("io_area_") for k in s)
        rows = []
        for k in keys:
            name, edge = _key_quantity(k, s[f"io_{k}"])
            area = _key_quantity(k, s.get(f"io_area_{k}"))[1] if has_area else None
            rows.append((name, edge, area) if has_area else (name, edge))
        header = ("quantity", "edge PHYs (this design)", "optical area I/O") if has_area else \
            ("quantity", "edge PHYs (this design)")
        body += _table(header, rows)
    comps = sorted(m.group(1) for k in s if (m := re.fullmatch(r"io_density_(.+)_ratio", k))
                   and not m.group(1).endswith("_per_area"))
    if comps:
        rows = [(c, f"{s[f'io_density_{c}_ratio']:.3g}x",
                 _num(s.get(f"io_density_{c}_per_area_ratio"), 3) + "x",
                 _num(s.get(f"io_density_{c}_chip_GB_per_s_per_mm"), 4),
                 _num(s.get(f"io_density_{c}_wafer_GB_per_s_per_mm"), 4),
                 _num(s.get(f"io_density_{c}_like_for_like"))) for c in comps]
        body += "<h3>bandwidth density against GPUs (ratio = chip / wafer)</h3>" + _table(
            ("comparison", "per mm of edge", "per mm² of area", "chip GB/s per mm",
             "wafer GB/s per mm", "like for like"), rows)
    return body


def _solver(result: ResultFolder) -> str:
    s = result.summary
    rows = [(label, _num(s[key]) if not key.endswith("_s") else f"{s[key]:.2f} s")
            for key, label in (("grid_cells", "thermal cells"),
                               ("solver_iterations", "thermal CG iterations (all solves)"),
                               ("solver_outer_iterations", "thermal outer iterations"),
                               ("solver_relative_residual", "thermal relative residual"),
                               ("solver_outer_change_K", "last outer change, K"),
                               ("solver_wall_time_s", "thermal wall time"),
                               ("mech_dofs", "mechanics unknowns"),
                               ("mech_iterations", "mechanics PCG iterations"),
                               ("mech_relative_residual", "mechanics relative residual"),
                               ("mech_wall_time_s", "mechanics wall time")) if key in s]
    return _kv(rows) if rows else ""


def _case_inputs(result: ResultFolder) -> str:
    from .report_case import case_tables

    return case_tables(result.case)


# -- figures -----------------------------------------------------------------------------------
def _maps(result: ResultFolder) -> list[tuple[View, str]]:
    views = []
    if result.has("wafer"):
        views.append((View("temperature"), "hottest point of each column (°C) with the reticle "
                                          "tiles and the hot spot"))
        views.append((View("heat_flux"), "heat flux into the cold plate (W/cm²)"))
    if result.has("temperature"):
        views.append((View("temperature", exploded=True),
                      "temperature of every layer, the stack exploded (°C)"))
    if result.plate_layers:
        views.append((View("stress"), "max principal stress of the heated plate layer (MPa)"))
        views.append((View("warpage"), "deflection w of the heated plate layer (µm)"))
    if result.interfaces:
        views.append((View("gap"), "gap change across the first compliant interface (µm)"))
    if result.has("io_layout"):
        views.append((View("hops"), "mesh hops from each core to the nearest usable I/O port"))
    return views


def _figures(result: ResultFolder, io_sweep) -> tuple[str, int]:
    from .viz import render_image

    parts, count = [], 0
    for view, caption in _maps(result):
        parts.append(_img(render_image(result, view, MAP_SIZE), view.field, caption))
        count += 1
    plots = [(figs.tile_temperature_figure(result), "per-tile temperature",
              "hottest point of every reticle tile in the heated layer"),
             (figs.coolant_figure(result), "coolant along the flow",
              "coolant temperature along the flow and the hottest point across it"),
             (figs.hops_figure(result), "hop distances", "share of the cores within N hops of "
                                                         "off-wafer I/O"),
             (figs.tradeoff_figure(io_sweep, result.summary), "I/O trade-off",
              "layout trade-off: PHY macros per tile edge against usable bandwidth and "
              "stranded silicon"),
             (figs.density_figure(result.summary), "density against GPUs",
              "GPU edge bandwidth density over the wafer's, per comparison"),
             (figs.convergence_figure(result.summary), "convergence history",
              "relative residual per iteration")]
    for png, alt, caption in plots:
        if png is not None:
            parts.append(_img(png, alt, caption))
            count += 1
    return f'<div class="figs">{"".join(parts)}</div>', count


# -- the page ----------------------------------------------------------------------------------
_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;
max-width:1100px;padding:1em 2em;color:#1b1b1b;line-height:1.4}
h1{margin-bottom:.2em}h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;margin:.6em 0;font-size:.92em}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#f2f2f2}td.pass{background:#d9f2d9;color:#155215;font-weight:600}
td.fail{background:#f8d7d7;color:#8a1111;font-weight:700}
.verdict{font-size:1.15em;font-weight:700;padding:.5em .8em;border-radius:4px}
.verdict.pass{background:#d9f2d9}.verdict.fail{background:#f8d7d7}
.figs{display:grid;grid-template-columns:repeat(auto-fill,minmax(480px,1fr));gap:1em}
figure{margin:0;max-width:100%}
figure img{max-width:100%;border:1px solid #ddd}figcaption{font-size:.85em;color:#555}
nav a{margin-right:1em}footer{margin-top:2em;font-size:.8em;color:#777}
.note{color:#7a5b00;background:#fff6d6;padding:.3em .6em}
"""

_SCRIPT = """
window.__errors = [];
window.addEventListener('error', function (e) {
  window.__errors.push(String(e.message || e));
  var el = document.getElementById('page-errors');
  if (el) { el.textContent = window.__errors.join('; '); }
});
window.addEventListener('load', function () {
  var imgs = document.images, ok = 0;
  for (var i = 0; i < imgs.length; i++) {
    if (imgs[i].complete && imgs[i].naturalWidth > 0) { ok++; }
  }
  document.getElementById('figures-loaded').textContent = ok + ' of ' + imgs.length;
  document.body.setAttribute('data-loaded', 'yes');
});
"""


def build_report(result: ResultFolder, *, io_sweep=None, notes: Iterable[str] = ()) -> str:
    """The report page of ``result`` as one HTML string. ``io_sweep``: rows of
    :meth:`wafersolve.edge_io.IOSweep.rows` for the layout trade-off curve (optional; the
    result folder does not hold them); ``notes``: lines shown under the title.

    Example
    -------
    >>> page = build_report(ResultFolder("results/small"))       # doctest: +SKIP
    >>> page.startswith("<!DOCTYPE html>")                      # doctest: +SKIP
    True
    """
    from . import __version__

    s = result.summary
    checks = collect_checks(s)
    name = s.get("case") or result.case.get("name") or result.path.name
    figures, n_figures = _figures(result, io_sweep)
    sections = [("overview", "Overview", _overview(result, checks)),
                ("checks", "Checks: pass/fail and margins", _checks_section(checks)),
                ("temperatures", "Temperatures", _temperatures(result)),
                ("cooling", "Cooling flow", _cooling(result)),
                ("mechanics", "Mechanics: stress, warpage, interfaces", _mechanics(result)),
                ("io", "Off-chip I/O", _io(result)),
                ("figures", "Figures", figures),
                ("solver", "Solver and convergence", _solver(result) + (
                    "" if "solver_residual_history" in s else
                    '<p class="note">The residual history per iteration is not in this result '
                    "folder's summary.json, so no convergence plot is drawn.</p>")),
                ("case", "Case inputs (as solved)", _case_inputs(result))]
    sections = [x for x in sections if x[2]]
    nav = "".join(f'<a href="#{a}">{_e(t.split(":")[0])}</a>' for a, t, _ in sections)
    note_html = "".join(f'<p class="note">{_e(n)}</p>' for n in notes)
    body = "".join(_section(a, t, b) for a, t, b in sections)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>wafersolve report: {_e(name)}</title>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<style>{_CSS}</style><script>{_SCRIPT}</script></head><body>"
        f'<h1>wafersolve report: <span id="case-name">{_e(name)}</span></h1>'
        f"<p>result folder <code>{_e(result.path)}</code>, wafersolve "
        f"{_e(s.get('wafersolve_version', __version__))}</p>{note_html}<nav>{nav}</nav>{body}"
        f'<footer>figures decoded by this browser: <span id="figures-loaded">not counted '
        f"(scripts off)</span> (embedded: {n_figures}); script errors: "
        '<span id="page-errors">none</span>. Self-contained: every image is embedded.</footer>'
        "</body></html>\n"
    )


def write_report(result: ResultFolder, path, *, io_sweep=None, notes: Iterable[str] = ()) -> Path:
    """Write :func:`build_report` to ``path`` atomically; return the path.

    Example
    -------
    >>> write_report(ResultFolder("results/small"), "small.html")     # doctest: +SKIP
    PosixPath('small.html')
    """
    page = build_report(result, io_sweep=io_sweep, notes=notes)
    path = Path(path)
    with _atomic(path) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return path
