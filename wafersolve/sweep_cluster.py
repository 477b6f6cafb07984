"""The Dask side of sweeps: the workers' configuration, a local cluster, connecting to an existing
scheduler, and checking the workers. See docs/sweeps.md for the MALLOC_TRIM_THRESHOLD_
measurement and for running on several machines.

Example
-------
>>> worker_config()["distributed.nanny.pre-spawn-environ.MKL_NUM_THREADS"]
1
"""

from __future__ import annotations

import logging
import os
from contextlib import contextmanager

from .errors import WafersolveError

#: The local scheduler's HTTP endpoint (a dashboard only if bokeh is installed): any free port
#: on the loopback interface.
LOCAL_HTTP_ADDRESS = "127.0.0.1:0"
#: The thread counts the nanny of each worker sets before the worker process starts, so that
#: 2 workers x 1 thread do not oversubscribe 2 cores with BLAS or OpenMP threads. (Its
#: MALLOC_TRIM_THRESHOLD_ is set by :func:`worker_config`: see docs/sweeps.md.)
WORKER_THREAD_ENV = {"OMP_NUM_THREADS": 1, "OPENBLAS_NUM_THREADS": 1, "MKL_NUM_THREADS": 1}


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


def worker_config(malloc_trim_threshold: int | None = None) -> dict:
    """The dask configuration for the workers a sweep starts: the nanny's environment.

    ``malloc_trim_threshold=None`` removes distributed's default ``MALLOC_TRIM_THRESHOLD_=65536``
    (which disables glibc's dynamic mmap threshold: see docs/sweeps.md); BLAS and OpenMP get 1
    thread per worker.

    Example
    -------
    >>> cfg = worker_config()
    >>> cfg["distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_"] is None
    True
    >>> cfg["distributed.nanny.pre-spawn-environ.OMP_NUM_THREADS"]
    1
    """
    env = {"MALLOC_TRIM_THRESHOLD_": malloc_trim_threshold, **WORKER_THREAD_ENV}
    return {f"distributed.nanny.pre-spawn-environ.{k}": v for k, v in env.items()}


@contextmanager
def local_cluster(n_workers: int = 2, *, malloc_trim_threshold: int | None = None):
    """Start a ``LocalCluster`` of ``n_workers`` x 1 thread; yield a Client to it.

    The client and the cluster are closed on leaving. The worker processes are started with
    SIGINT ignored, so that Ctrl-C in a terminal (sent to the whole process group) reaches only
    this process, which then cancels the tasks and closes the cluster (:func:`run_sweep`).

    Example
    -------
    >>> with local_cluster(2) as client:                                # doctest: +SKIP
    ...     result = run_sweep(plan, client=client)
    """
    import dask
    from dask.distributed import Client, LocalCluster

    if n_workers < 1:
        raise WafersolveError(f"--workers {n_workers}: expected at least 1 worker")
    with dask.config.set(worker_config(malloc_trim_threshold)), _workers_ignore_sigint():
        # Not dashboard_address=None: the scheduler would still bind its HTTP endpoint to
        # port 8787 and warn when another cluster on this (shared) machine holds it.
        cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                               dashboard_address=LOCAL_HTTP_ADDRESS, silence_logs=logging.ERROR)
    try:
        with Client(cluster) as client:
            yield client
    finally:
        cluster.close()


@contextmanager
def _workers_ignore_sigint():
    """Ignore SIGINT while worker processes are spawned: they inherit it (across exec too)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _connect(address: str, timeout_s: float):
    from dask.distributed import Client

    try:
        return Client(address, timeout=f"{timeout_s}s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise WafersolveError(f"--scheduler {address}: cannot connect to the dask scheduler: "
                              f"{_one_line(exc)} (start one with: dask scheduler; and workers "
                              f"with: dask worker {address}; see docs/sweeps.md)") from None


def _describe(client) -> str:
    try:
        info = client.scheduler_info()
        workers = info.get("workers", {})
        threads = sum(w.get("nthreads", 0) for w in workers.values())
        return (f"{len(workers)} worker{'s' * (len(workers) != 1)}, "
                f"{threads} thread{'s' * (threads != 1)}")
    except Exception:
        return "workers unknown"


def check_workers(client) -> list[str]:
    """Warnings about the workers of ``client``: MALLOC_TRIM_THRESHOLD_ set, more than one
    BLAS/OpenMP thread, or no wafersolve to import.

    Example
    -------
    >>> check_workers(client)                                            # doctest: +SKIP
    []
    """
    try:
        envs = client.run(_worker_environment)
    except Exception as exc:
        return [f"could not inspect the workers: {_one_line(exc)}"]
    out = []
    for addr, env in sorted(envs.items()):
        if not env.get("wafersolve"):
            out.append(f"worker {addr}: cannot import wafersolve: its variants will fail "
                       "(install it on every worker machine)")
        if env.get("MALLOC_TRIM_THRESHOLD_"):
            out.append(f"worker {addr}: MALLOC_TRIM_THRESHOLD_={env['MALLOC_TRIM_THRESHOLD_']} "
                       "slows the solves (docs/sweeps.md: start its nanny with it unset)")
        loose = [f"{var}={env.get(var) or 'unset'}" for var in WORKER_THREAD_ENV
                 if env.get(var) != "1"]
        if loose:
            out.append(f"worker {addr}: {', '.join(loose)}: expected 1 for one solve per core "
                       "(docs/sweeps.md)")
    return out


def _worker_environment() -> dict:
    try:
        import wafersolve  # noqa: F401

        ok = True
    except ImportError:
        ok = False
    env: dict = {k: os.environ.get(k) for k in ("MALLOC_TRIM_THRESHOLD_", *WORKER_THREAD_ENV)}
    env["wafersolve"] = ok
    return env
