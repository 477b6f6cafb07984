"""Mechanics benchmark: the full-wafer thermo-mechanical solve, and scikit-fem on the same plate.

Two problems, each size n x n mechanics cells on the 215 mm wafer:

* ``stack``: the shipped ``cases/wse3.toml`` stack (PCB, elastomer connector as springs, wafer,
  PCM TIM as a slip interface, copper cold plate: three laminates, membranes and plates) on an
  n x n thermal grid, loaded by its own steady temperature field (solved first, not timed).
* ``plate``: one free silicon plate (the wafer alone, membrane + bending) under an in-plane and
  through-thickness temperature pattern. scikit-fem assembles the *same* discretization
  (bilinear membrane, Bogner-Fox-Schmit plate elements) and solves it with scipy's sparse
  direct solver, the way a scikit-fem user would; both answers are compared.

Each run is its own process, so peak resident memory (getrusage ru_maxrss, interpreter
included) is its own; BLAS threads are set by ``--threads`` (1 by default: the machine is
shared). Times are wall clock of the solve (set-up included), not of building the case.

Usage::

    python benchmarks/bench_mechanics.py                        # 108, 215, 430; peer up to 108
    python benchmarks/bench_mechanics.py --sizes 215 430 --peer-max 215 --json out.json
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
L_M = 0.215



def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def plate_problem(n: int):
    sys.path.insert(0, str(ROOT / "tests"))  # the plate case and its scikit-fem model live there
    from skfem_plate import plate_case

    from wafersolve.grid import build_grid

    case = plate_case(n, n)
    grid = build_grid(case)
    x, y = grid.x_centers_m / L_M, grid.y_centers_m / L_M
    T = 298.15 + 30.0 + 15.0 * np.cos(np.pi * x)[None, :] * np.cos(2 * np.pi * y)[:, None]
    dz = 1.5 + 1.0 * np.sin(np.pi * x)[None, :] * np.ones_like(y)[:, None]
    T = np.stack([T + dz, T - dz])  # bottom (active face) hotter, by a varying amount
    return case, grid, T


def stack_problem(n: int):
    from wafersolve.case.load import load_case
    from wafersolve.case.model import GridSpec
    from wafersolve.grid import build_grid
    from wafersolve.thermal import solve_thermal

    case = load_case(ROOT / "cases" / "wse3.toml")
    case = replace(case, grid=GridSpec(n, n), mechanics=replace(case.mechanics, cell_size_m=None))
    grid = build_grid(case)
    return case, grid, solve_thermal(case, grid).T_K


def worker(problem: str, solver: str, n: int, out: Path) -> dict:
    case, grid, T = (plate_problem if problem == "plate" else stack_problem)(n)
    before = rss_mb()
    t0 = time.perf_counter()
    if solver == "wafersolve":
        from wafersolve.mechanics import solve_mechanics

        res = solve_mechanics(case, grid, T)
        wall = time.perf_counter() - t0
        lay = res.layer("wafer")
        info = {"dofs": res.info.dofs, "iterations": res.info.iterations,
                "relative_residual": res.info.relative_residual}
        w, u = lay.w_m, lay.u_m
    else:
        from skfem_plate import skfem_plate

        w, u, info = skfem_plate(case, grid, T)
        wall = time.perf_counter() - t0
        info["relative_residual"] = residual_in_wafersolve_operator(case, grid, T,
                                                                    info.pop("vector"))
    peak = rss_mb()
    np.savez(out, w=w, u=u)
    return {"problem": problem, "solver": solver, "n": n, "wall_s": wall, "peak_rss_MB": peak,
            "solver_rss_MB": peak - before, "w_max_m": float(np.abs(w).max()), **info}


def residual_in_wafersolve_operator(case, grid, T, x: np.ndarray) -> float:
    """||K x - f|| / ||f|| of a peer's answer in wafersolve's own discrete system."""
    from wafersolve.mechanics.assemble import assemble
    from wafersolve.mechanics.model import build_mech_model

    system = assemble(build_mech_model(case, grid, T))
    return float(np.linalg.norm(system.operator()(x) - system.f) / np.linalg.norm(system.f))


def run(problem: str, solver: str, n: int, folder: Path, threads: int) -> dict:
    t = str(threads)
    env = dict(os.environ, OMP_NUM_THREADS=t, OPENBLAS_NUM_THREADS=t, MKL_NUM_THREADS=t)
    out = folder / f"{problem}-{solver}-{n}.npz"
    proc = subprocess.run([sys.executable, __file__, "--worker", problem, solver, str(n), str(out)],
                          env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        return {"problem": problem, "solver": solver, "n": n,
                "error": (proc.stderr.strip().splitlines() or ["?"])[-1]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def line(r: dict) -> str:
    head = f"{r['problem']:>5} {r['solver']:>10} {r['n']:>4}^2"
    if "error" in r:
        return f"{head}  FAILED: {r['error']}"
    s = (f"{head}  {r['wall_s']:8.2f} s  {r['dofs']:>9,} dofs  peak {r['peak_rss_MB']:6.0f} MB "
         f"(solver {r['solver_rss_MB']:5.0f} MB)")
    if "iterations" in r:
        s += f"  {r['iterations']} PCG it"
    if "relative_residual" in r:
        s += f"  res {r['relative_residual']:.1e}"
    if "ratio" in r:
        s += f"  |dw|/|w| {r['w_rel_diff']:.1e}  wafersolve {r['ratio']:.0f}x faster"
    return s


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[108, 215, 430])
    ap.add_argument("--peer-max", type=int, default=108,
                    help="largest n for the scikit-fem peer (its direct solve grows fast)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        problem, solver, n, out = args.worker
        print(json.dumps(worker(problem, solver, int(n), Path(out))))
        return 0
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for n in args.sizes:
            rows.append(run("stack", "wafersolve", n, folder, args.threads))
            print(line(rows[-1]), flush=True)
            ours = run("plate", "wafersolve", n, folder, args.threads)
            rows.append(ours)
            print(line(ours), flush=True)
            if n > args.peer_max:
                continue
            peer = run("plate", "skfem", n, folder, args.threads)
            if "error" not in peer and "error" not in ours:
                a, b = np.load(folder / f"plate-wafersolve-{n}.npz"), np.load(
                    folder / f"plate-skfem-{n}.npz")
                peer["w_rel_diff"] = float(np.abs(a["w"] - b["w"]).max() / np.abs(b["w"]).max())
                peer["u_rel_diff"] = float(np.abs(a["u"] - b["u"]).max() / np.abs(b["u"]).max())
                peer["ratio"] = peer["wall_s"] / ours["wall_s"]
            rows.append(peer)
            print(line(peer), flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
