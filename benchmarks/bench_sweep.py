"""Sweep benchmark: variants per minute on a Dask LocalCluster against a serial loop.

A sweep of ``--variants`` flows (default 8) of ``cases/small.toml`` (mechanics included, as
``wafersolve sweep`` runs it) is solved three ways, each in a fresh process:

* ``serial``: one variant after the other in this process (``run_sweep(serial=True)``);
* ``cluster``: a LocalCluster of 2 workers x 1 thread as ``wafersolve sweep`` starts it, with
  the nanny's ``MALLOC_TRIM_THRESHOLD_`` unset (the fix);
* ``cluster-trim``: the same with distributed's default ``MALLOC_TRIM_THRESHOLD_=65536``.

Each process first runs the sweep cold (imports and the first solves included; for the
clusters, starting the cluster too), then the same variants again into a fresh folder: the
"warm" figure, the one to compare (the cluster's start-up and shutdown are printed apart).
Per-variant solve times (median over the warm tasks) show the malloc effect without the
scheduling overhead. ``--nx`` adds a finer grid (``grid.nx = grid.ny = N`` in every variant)
where the solves' arrays are larger. Modes are interleaved over ``--repeats`` rounds (the
machine is shared); best and median are printed. A fresh process per run matters: the nanny
writes its environment into the parent's ``os.environ``, and glibc reads ``MALLOC_*`` once at
process start. BLAS/OpenMP threads are 1 everywhere.

Usage::

    python benchmarks/bench_sweep.py                   # 64 x 64 (cases/small.toml) and 192 x 192
    python benchmarks/bench_sweep.py --nx 64 --repeats 5 --json out.json
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # before numpy: no BLAS oversubscription in the serial baseline

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "cases" / "small.toml"
MODES = ("serial", "cluster", "cluster-trim")
DISTRIBUTED_DEFAULT_TRIM = 65536


def variants(n: int, nx: int):
    from wafersolve.sweep import Variant, parse_vary

    flows = parse_vary(f"cooling.flow_lpm=40:160:{n}").values
    grid = () if nx == 64 else (("grid.nx", nx), ("grid.ny", nx))
    return [Variant((("cooling.flow_lpm", f), *grid)) for f in flows]


def child(mode: str, n: int, nx: int) -> dict:
    """One measurement, in this (fresh) process."""
    from wafersolve.sweep import local_cluster, plan_sweep, run_sweep

    root = Path(tempfile.mkdtemp(prefix="bench_sweep_"))
    vs = variants(n, nx)
    cold = plan_sweep(SMALL, vs, outdir=root / "cold")
    warm = plan_sweep(SMALL, vs, outdir=root / "warm")
    out = {"mode": mode, "variants": n, "nx": nx}
    t0 = time.perf_counter()
    if mode == "serial":
        r1 = run_sweep(cold, serial=True)
        t1 = time.perf_counter()
        r2 = run_sweep(warm, serial=True)
        t2 = time.perf_counter()
        out["start_s"] = out["close_s"] = 0.0
        out["worker_malloc_trim"] = os.environ.get("MALLOC_TRIM_THRESHOLD_")
    else:
        trim = None if mode == "cluster" else DISTRIBUTED_DEFAULT_TRIM
        with local_cluster(2, malloc_trim_threshold=trim) as client:
            out["start_s"] = time.perf_counter() - t0
            env = client.run(lambda: os.environ.get("MALLOC_TRIM_THRESHOLD_"))
            out["worker_malloc_trim"] = sorted(set(map(str, env.values())))
            r1 = run_sweep(cold, client=client)
            t1 = time.perf_counter()
            r2 = run_sweep(warm, client=client)
            t2 = time.perf_counter()
        out["close_s"] = time.perf_counter() - t2
    for r in (r1, r2):
        bad = [o.error for o in r.outcomes if o.status != "ok"]
        assert not bad and len(r.outcomes) == n, bad
    out["cold_s"] = t1 - t0  # cluster start included (not its shutdown: close_s)
    out["warm_s"] = t2 - t1
    out["task_median_s"] = statistics.median(o.wall_time_s for o in r2.outcomes)
    return out


def run_child(mode: str, n: int, nx: int) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_TRIM_THRESHOLD_"}  # "unset"
    proc = subprocess.run([sys.executable, __file__, "--child", mode, "--variants", str(n),
                           "--nx", str(nx)], capture_output=True, text=True, check=False, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"{mode} (nx={nx}) failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--variants", type=int, default=8)
    ap.add_argument("--nx", type=int, nargs="+", default=[64, 192],
                    help="grid sizes nx = ny (64 is cases/small.toml as shipped)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json", help="write every measurement to this file")
    ap.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.variants, args.nx[0])))
        return
    runs = []
    for nx in args.nx:
        for rep in range(args.repeats):
            for mode in MODES:
                r = run_child(mode, args.variants, nx)
                runs.append(r)
                print(f"  nx={nx:<4} round {rep + 1}  {mode:<13} warm {r['warm_s']:6.2f} s  "
                      f"cold {r['cold_s']:6.2f} s  median task {r['task_median_s']:.3f} s  "
                      f"(worker MALLOC_TRIM_THRESHOLD_ {r['worker_malloc_trim']})",
                      file=sys.stderr, flush=True)
    print(f"\nsweep of {args.variants} variants of cases/small.toml (flow 40..160 L/min, "
          f"mechanics on), 2 cores; variants per minute, best / median of {args.repeats}")
    print(f"{'grid':>9}  {'mode':<13} {'warm v/min':>14} {'cold v/min':>14} "
          f"{'start s':>8} {'close s':>8} {'task s':>7}  speed-up (warm, median)")
    for nx in args.nx:
        rows = {m: [r for r in runs if r["nx"] == nx and r["mode"] == m] for m in MODES}

        def rate(rs, key):
            vals = [args.variants / r[key] * 60 for r in rs]
            return max(vals), statistics.median(vals)

        base = rate(rows["serial"], "warm_s")[1]
        for m in MODES:
            wb, wm = rate(rows[m], "warm_s")
            cb, cm = rate(rows[m], "cold_s")
            start = statistics.median(r["start_s"] for r in rows[m])
            close = statistics.median(r["close_s"] for r in rows[m])
            task = statistics.median(r["task_median_s"] for r in rows[m])
            print(f"{nx:>4}x{nx:<4}  {m:<13} {wb:6.0f} / {wm:5.0f} {cb:6.0f} / {cm:5.0f} "
                  f"{start:8.2f} {close:8.2f} {task:7.3f}  x{wm / base:.2f}")
        t_fix = statistics.median(r["task_median_s"] for r in rows["cluster"])
        t_trim = statistics.median(r["task_median_s"] for r in rows["cluster-trim"])
        w_fix = statistics.median(r["warm_s"] for r in rows["cluster"])
        w_trim = statistics.median(r["warm_s"] for r in rows["cluster-trim"])
        print(f"{'':>11}MALLOC_TRIM_THRESHOLD_=65536 against unset: per task x{t_trim / t_fix:.2f}"
              f", sweep x{w_trim / w_fix:.2f} slower")
    if args.json:
        Path(args.json).write_text(json.dumps(runs, indent=1))


if __name__ == "__main__":
    main()
