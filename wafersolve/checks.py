"""The design checks that need no field solve, gathered for ``wafersolve check`` and
``summary.json``: the edge I/O layout of the case (and its optical area-I/O alternative), the
bandwidth density of that layout against GPUs under explicit definitions, and the cooling-flow
figures against the GB200 / OCP / ASHRAE envelopes. Thermal runs at other flows per kW are done
by the caller's solver, passed in (this module never imports a field solver).

Example
-------
>>> from wafersolve import load_case
>>> report = run_checks(load_case("cases/wse3.toml"))
>>> round(report.io.density_edge_per_direction_bit_per_s_per_m / 8e9 / 1e3, 3)   # GB/s per mm
0.174
>>> report.summary()["io_edge_tiles"]
34
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .case.model import Case
from .edge_io import IOResult, IOSweep, solve_area_io, solve_edge_io, sweep_phys_per_edge
from .flowcheck import FlowReport, check_flow, compare_flows
from .io_density import Chip, Link, density_summary, format_density_table, reference_ratios


@dataclass(frozen=True, eq=False)
class CheckReport:
    """Everything ``wafersolve check`` reports for one case."""

    case: Case
    io: IOResult | None  # the edge-PHY layout of [io], if the case has one
    io_area: IOResult | None  # the optical area-I/O alternative, if [io.optical] is given
    density_pairs: tuple  # (Comparison, Ratio) pairs: GPUs over this wafer's layout (or WSE-3)
    flow: FlowReport
    flow_variants: tuple[FlowReport, ...] = ()  # thermal runs at other flows per kW
    io_sweep: IOSweep | None = None  # 1..4 copies of the first PHY macro per tile edge

    def summary(self) -> dict:
        """Scalars for ``summary.json`` (SI or a named unit in every key)."""
        out: dict = {}
        if self.io is not None:
            out.update(self.io.summary())
        if self.io_area is not None:
            out.update({f"io_area_{k[3:]}": v for k, v in self.io_area.summary().items()
                        if k.startswith("io_")})
        if self.io_sweep is not None:
            for k, r in zip(self.io_sweep.phys_per_edge, self.io_sweep.edge, strict=True):
                p = f"io_sweep_{k}_per_edge_"
                out.update({p + "usable": r.n_usable,
                            p + "bandwidth_per_direction_bit_per_s":
                                r.bandwidth_per_direction_bit_per_s,
                            p + "stranded_area_fraction": r.stranded_area_fraction,
                            p + "hop_mean": r.hop_mean})
        out.update(density_summary(list(self.density_pairs)))
        out.update(self.flow.summary())
        for rep in self.flow_variants:
            tag = f"flow_at_{rep.lpm_per_kW:.3g}_lpm_per_kW_".replace(".", "p")
            out.update({tag + k.removeprefix("flow_"): v for k, v in rep.summary().items()
                        if k.startswith(("flow_", "check_ocp_rise"))})
        return out

    def density_table(self) -> str:
        """The plain-text density comparison, every ratio naming its definitions."""
        return format_density_table(list(self.density_pairs))


def wafer_chip(case: Case, io: IOResult) -> Chip:
    """The case's wafer as a chip of the density table: its usable edge-PHY bandwidth (per
    direction, derived from the layout) over the wafer outline.

    Example
    -------
    >>> from wafersolve import load_case
    >>> case = load_case("cases/wse3.toml")
    >>> wafer_chip(case, solve_edge_io(case.io)).links[0].bw_bit_per_s / 8e9      # GB/s
    150.0
    """
    w, h = case.wafer.size_m
    link = Link("edge_phys", io.bandwidth_per_direction_bit_per_s, "per_direction", "D")
    return Chip(f"{case.name} (edge I/O layout)", (link,), die_area_m2=w * h, outline_m=(w, h),
                tags=(("die_area", "D"),))


def run_checks(case: Case, *, thermal=None, solve: Callable | None = None,
               lpm_per_kW: Iterable[float] = (), sweep: bool = False) -> CheckReport:
    """The checks of ``case``. ``thermal`` (its ``ThermalResult``, optional) supplies the solved
    coolant rise and hot spot; with ``solve`` (e.g. ``solve_thermal``), the case is re-run at
    each flow in ``lpm_per_kW`` (litres per minute per kW) and checked there too. ``sweep``
    adds the trade-off of 1 to 4 copies of the first PHY macro per tile edge (about a second
    on the full wafer, so ``wafersolve check`` asks for it and ``run`` does not)."""
    io = solve_edge_io(case.io) if case.io is not None else None
    trade_off = None
    if sweep and io is not None and case.io.phys:
        trade_off = sweep_phys_per_edge(case.io, max_count=4, optical=None)
    io_area = solve_area_io(case.io) if case.io is not None and case.io.optical else None
    pairs = reference_ratios(wafer=wafer_chip(case, io) if io is not None else None)
    flow = check_flow(case, thermal)
    values = tuple(lpm_per_kW)
    variants = compare_flows(case, values, solve) if (values and solve is not None) else ()
    return CheckReport(case, io, io_area, tuple(pairs), flow, variants, trade_off)
