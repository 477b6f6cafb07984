"""The figures of ``wafersolve report``, each returned as PNG bytes ready to embed.

Field maps are rendered off-screen with PyVista (:mod:`wafersolve.viz`); the plots are drawn
with matplotlib's object API on a ``Figure`` of its own (no pyplot, no global backend or style):
per-tile temperatures, the coolant along the flow, the cumulative hop distances of the I/O
layout, the layout trade-off curve (PHYs per tile edge against usable bandwidth and stranded
area, when the caller passes a sweep), the bandwidth-density ratios against GPUs and, when the
result holds one, the solver's convergence history. Each ``*_figure`` function returns None
when the result folder lacks what it needs.

Example
-------
>>> png = tile_temperature_figure(ResultFolder("results/small"))     # doctest: +SKIP
>>> png[:4]                                                          # doctest: +SKIP
b'\\x89PNG'
"""

from __future__ import annotations

import io
import re

import numpy as np

from .viz_data import ZERO_CELSIUS_K, ResultFolder

FIGSIZE = (8.0, 4.6)  # inches at 100 dpi: 800 x 460 pixels


def _figure(size=FIGSIZE):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    return buf.getvalue()


def tile_temperature_figure(result: ResultFolder) -> bytes | None:
    """Per reticle tile, the hottest point of the heated layer (°C), as the tile array seen from
    above, each tile labelled with its value when there are at most 120 tiles.

    Example
    -------
    >>> tile_temperature_figure(ResultFolder("results/small"))[:4]      # doctest: +SKIP
    b'\\x89PNG'
    """
    if not result.has("wafer") or "tile_T_max_K" not in result.arrays("wafer"):
        return None
    ds = result.dataset("wafer")
    tile = np.asarray(ds.cell_data["tile"]).ravel()
    values = np.asarray(ds.cell_data["tile_T_max_K"]).ravel()
    inside = tile >= 0
    n = int(tile.max()) + 1 if inside.any() else 0
    if n == 0:
        return None
    per_tile = np.full(n, np.nan)
    per_tile[tile[inside]] = values[inside]
    per_tile -= ZERO_CELSIUS_K
    cols, rows = (result.case.get("wafer") or {}).get("tiles", (n, 1))
    fig = _figure()
    ax = fig.add_subplot()
    if cols * rows == n:
        grid = per_tile.reshape(rows, cols)
        im = ax.imshow(grid, origin="lower", cmap="inferno", aspect="auto")
        if n <= 120:
            lo, hi = np.nanmin(grid), np.nanmax(grid)
            for (r, c), v in np.ndenumerate(grid):
                light = hi > lo and (v - lo) / (hi - lo) < 0.6
                ax.text(c, r, f"{v:.1f}", ha="center", va="center", fontsize=7,
                        color="white" if light else "black")
        ax.set_xlabel("tile column (x)")
        ax.set_ylabel("tile row (y)")
        fig.colorbar(im, ax=ax, label="tile T max [°C]")
    else:
        ax.bar(np.arange(n), per_tile, color="tab:red")
        ax.set_xlabel("tile index")
        ax.set_ylabel("tile T max [°C]")
    ax.set_title(f"hottest point per reticle tile ({result.heated_layer or 'heated layer'}), "
                 f"{np.nanmin(per_tile):.2f} to {np.nanmax(per_tile):.2f} °C", fontsize=10)
    return _png(fig)


def coolant_figure(result: ResultFolder) -> bytes | None:
    """The coolant's mean temperature along the flow and, for comparison, the hottest point of
    each strip across the flow, against the position along the flow (mm).

    Example
    -------
    >>> coolant_figure(ResultFolder("results/small"))[:4]      # doctest: +SKIP
    b'\\x89PNG'
    """
    if not result.has("wafer") or "coolant_T_K" not in result.arrays("wafer"):
        return None
    ds = result.dataset("wafer")
    (x0, y0, _), (nxp, nyp, _), (dx, dy, _) = ds.origin, ds.dimensions, ds.spacing
    ny, nx = nyp - 1, nxp - 1
    coolant = np.asarray(ds.cell_data["coolant_T_K"]).reshape(ny, nx) - ZERO_CELSIUS_K
    t_max = np.asarray(ds.cell_data["T_max_K"]).reshape(ny, nx) - ZERO_CELSIUS_K
    direction = (result.case.get("cooling") or {}).get("direction", "+x")
    along_x = direction.endswith("x")
    if along_x:
        pos, strip, hot = x0 + dx * (np.arange(nx) + 0.5), coolant[0], t_max.max(axis=0)
    else:
        pos, strip, hot = y0 + dy * (np.arange(ny) + 0.5), coolant[:, 0], t_max.max(axis=1)
    if direction.startswith("-"):
        pos, strip, hot = pos[::-1], strip[::-1], hot[::-1]
    upstream = pos[0] * 1e3
    fig = _figure()
    ax = fig.add_subplot()
    ax.plot(pos * 1e3, strip, color="tab:blue", lw=2, label="coolant (strip mean)")
    s = result.summary
    if "coolant_inlet_T_K" in s:
        ax.axhline(s["coolant_inlet_T_K"] - ZERO_CELSIUS_K, color="tab:blue", ls=":", lw=1,
                   label=f"inlet {s['coolant_inlet_T_K'] - ZERO_CELSIUS_K:.2f} °C")
        ax.axhline(s["coolant_outlet_T_K"] - ZERO_CELSIUS_K, color="tab:cyan", ls=":", lw=1,
                   label=f"outlet {s['coolant_outlet_T_K'] - ZERO_CELSIUS_K:.2f} °C")
    ax.set_xlabel(f"{'x' if along_x else 'y'} (mm), flow {direction} from {upstream:.0f} mm")
    ax.set_ylabel("coolant T [°C]")
    ax2 = ax.twinx()
    ax2.plot(pos * 1e3, hot, color="tab:red", lw=1.2, label="T max across the flow")
    ax2.set_ylabel("T max across the flow [°C]", color="tab:red")
    lines = ax.get_legend_handles_labels()
    more = ax2.get_legend_handles_labels()
    ax.legend(lines[0] + more[0], lines[1] + more[1], fontsize=8, loc="upper left")
    ax.set_title(f"coolant along the flow: rise {s.get('coolant_rise_K', float('nan')):.2f} K",
                 fontsize=10)
    ax.grid(True, alpha=0.3)
    return _png(fig)


def hops_figure(result: ResultFolder) -> bytes | None:
    """The cumulative share of cores within N mesh hops of the nearest I/O port.

    Example
    -------
    >>> hops_figure(ResultFolder("results/wse3"))[:4]          # doctest: +SKIP
    b'\\x89PNG'
    """
    if not result.has("io_layout") or "hops" not in result.arrays("io_layout"):
        return None
    hops = np.asarray(result.dataset("io_layout").cell_data["hops"])
    hops = np.sort(hops[np.isfinite(hops)])
    if hops.size == 0:
        return None
    share = np.arange(1, hops.size + 1) / hops.size
    fig = _figure((8.0, 4.0))
    ax = fig.add_subplot()
    ax.plot(hops, share * 100, color="tab:green", lw=2)
    for q in (0.5, 0.9):
        h = float(np.quantile(hops, q))
        ax.axvline(h, color="0.5", ls=":", lw=1)
        ax.text(h, q * 100, f" {q:.0%} within {h:.0f} hops", fontsize=8, va="bottom")
    ax.set_xlabel("mesh hops to the nearest usable I/O port")
    ax.set_ylabel("cores within [%]")
    ax.set_title(f"distance from the cores to off-wafer I/O ({hops.size:,} cores)", fontsize=10)
    ax.grid(True, alpha=0.3)
    return _png(fig)


def tradeoff_figure(rows, summary: dict) -> bytes | None:
    """The layout trade-off curve: usable bandwidth (GB/s per direction) and stranded PHY area
    (mm²) against PHY macros per tile edge, from the rows of
    :meth:`wafersolve.edge_io.IOSweep.rows`; the case's own layout marked.

    Example
    -------
    >>> rows = [{"phys_per_edge": k, "io_bandwidth_per_direction_bit_per_s": 4e11 * k,
    ...          "io_stranded_area_m2": 1e-4 * k, "io_hop_mean": 300 - k} for k in (1, 2, 3)]
    >>> tradeoff_figure(rows, {})[:4]
    b'\\x89PNG'
    """
    edge = [r for r in rows or () if r.get("phys_per_edge") is not None]
    if not edge:
        return None
    k = np.array([r["phys_per_edge"] for r in edge], dtype=float)
    bw = np.array([r["io_bandwidth_per_direction_bit_per_s"] for r in edge]) / 8e9
    stranded = np.array([r["io_stranded_area_m2"] for r in edge]) * 1e6
    fig = _figure((8.0, 4.2))
    ax = fig.add_subplot()
    ax.plot(k, bw, "o-", color="tab:blue", label="usable bandwidth")
    ax.set_xlabel("PHY macros per tile edge")
    ax.set_ylabel("usable bandwidth [GB/s per direction]", color="tab:blue")
    ax2 = ax.twinx()
    ax2.plot(k, stranded, "s--", color="tab:red", label="stranded PHY silicon")
    ax2.set_ylabel("stranded PHY silicon [mm²]", color="tab:red")
    if "io_bandwidth_per_direction_bit_per_s" in summary:
        ax.axhline(summary["io_bandwidth_per_direction_bit_per_s"] / 8e9, color="tab:blue",
                   ls=":", lw=1, label="this design")
    area = [r for r in rows if r.get("phys_per_edge") is None]
    if area:
        ax.axhline(area[0]["io_bandwidth_per_direction_bit_per_s"] / 8e9, color="tab:purple",
                   ls="-.", lw=1, label="optical area I/O")
        ax.set_yscale("log")
    handles = [h for a in (ax, ax2) for h in a.get_legend_handles_labels()[0]]
    labels = [lab for a in (ax, ax2) for lab in a.get_legend_handles_labels()[1]]
    ax.legend(handles, labels, fontsize=8, loc="center right")
    ax.set_title("edge I/O trade-off: more PHYs per tile edge, more bandwidth and more "
                 "stranded silicon", fontsize=10)
    ax.grid(True, alpha=0.3)
    return _png(fig)


def density_figure(summary: dict) -> bytes | None:
    """The GPU-over-wafer bandwidth-density ratios (per mm of edge) of every comparison, log
    scale; like-for-like comparisons solid, mixed definitions hatched.

    Example
    -------
    >>> density_figure({"io_density_a_ratio": 129.0, "io_density_a_like_for_like": True})[:4]
    b'\\x89PNG'
    """
    names = sorted(m.group(1) for k in summary
                   if (m := re.fullmatch(r"io_density_(.+)_ratio", k))
                   and not m.group(1).endswith("_per_area"))
    if not names:
        return None
    ratios = np.array([summary[f"io_density_{n}_ratio"] for n in names], dtype=float)
    like = [bool(summary.get(f"io_density_{n}_like_for_like", True)) for n in names]
    fig = _figure((8.0, 0.9 + 0.32 * len(names)))
    ax = fig.add_subplot()
    bars = ax.barh(np.arange(len(names)), ratios, color=["tab:blue" if x else "tab:gray"
                                                         for x in like])
    for bar, ok in zip(bars, like, strict=True):
        if not ok:
            bar.set_hatch("//")
    for i, r in enumerate(ratios):
        ax.text(r, i, f" {r:.3g}x", va="center", fontsize=8)
    ax.set_yticks(np.arange(len(names)), names, fontsize=8)
    ax.set_xscale("log")
    ax.set_xlim(right=ratios.max() * 4)
    ax.invert_yaxis()
    ax.set_xlabel("chip edge bandwidth density / wafer's (per mm of edge)")
    ax.set_title("bandwidth density against GPUs (grey hatched: mixed definitions)", fontsize=10)
    ax.grid(True, axis="x", alpha=0.3)
    return _png(fig)


def convergence_figure(summary: dict) -> bytes | None:
    """The relative residual per iteration of the thermal (``solver_residual_history``) and
    mechanics (``mech_residual_history``) solves, when ``summary.json`` holds them.

    Example
    -------
    >>> convergence_figure({}) is None
    True
    >>> convergence_figure({"solver_residual_history": [1.0, 1e-3, 1e-9]})[:4]
    b'\\x89PNG'
    """
    series = [(label, summary[key]) for key, label in
              (("solver_residual_history", "thermal CG (last linear solve)"),
               ("mech_residual_history", "mechanics PCG"))
              if isinstance(summary.get(key), list) and len(summary[key]) > 1]
    if not series:
        return None
    fig = _figure((8.0, 4.0))
    ax = fig.add_subplot()
    for label, hist in series:
        ax.semilogy(np.arange(len(hist)), hist, "o-", ms=3, label=label)
    ax.set_xlabel("iteration")
    ax.set_ylabel("relative residual")
    ax.legend(fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
    ax.set_title("convergence history", fontsize=10)
    return _png(fig)
