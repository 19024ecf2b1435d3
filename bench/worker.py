"""One measured phase, run in a fresh process so that its peak RSS is its own.

``python -m bench.worker hfleet --url U --specs DIR --phase P [--prune] [--profile FILE]`` runs one
hfleet pass in-process (load → observe → plan → apply, like ``hfleet apply --yes``) against the
emulator at ``U`` over the loopback socket; ``python -m bench.worker baseline --url U --n N --phase P``
runs the huggingface_hub baseline (``bench.baseline``). Either prints one JSON line on stdout:
wall seconds (with a breakdown), CPU seconds of this process (``time.process_time``), peak RSS
(``ru_maxrss``) and RSS before the phase started (after imports), and the API calls by route counted
on the client side (``bench.calls``).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import resource
import sys
import time
from pathlib import Path
from typing import Any

__all__ = ["main", "run_baseline", "run_hfleet"]


def _rss_mb() -> float:
    """Current RSS (from /proc), in MiB."""
    try:
        with open("/proc/self/statm") as handle:
            pages = int(handle.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return float("nan")


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def run_hfleet(
    url: str, spec_dir: str, *, prune: bool, parallelism: int, apply: bool = True
) -> dict[str, Any]:
    from bench.calls import CallCounter
    from reconciler import logs
    from reconciler.engine import apply as apply_mod
    from reconciler.engine import run, session
    from reconciler.spec import loader

    # As the CLI does at its default verbosity (info), with the lines going nowhere: the cost of
    # building every log event is part of hfleet's CPU time, not the cost of a terminal.
    devnull = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process
    logs.configure("json", 0, stream=devnull)
    counter = CallCounter()
    rss_before = _rss_mb()
    cpu0, t0 = time.process_time(), time.perf_counter()
    fleet = loader.load([spec_dir])
    t_load = time.perf_counter()
    settings = session.Settings(api_url=url + "/v2", token=session.EMULATOR_TOKEN, parallelism=parallelism)
    conn = session.connect(settings)
    counter.install(conn.http)
    try:
        observation = run.observe(fleet, conn.api)
        t_observe = time.perf_counter()
        plan = run.make_plan(observation, conn.api, run.Options(prune=prune))[0]
        t_plan = time.perf_counter()
        list_calls = counter.total()
        failed = 0
        applied = 0
        if apply and plan.has_changes:
            report = apply_mod.execute(
                plan, observation.desired, observation.live.records, conn.api, parallelism=parallelism
            )
            failed = len(report.failed)
            applied = len(report.outcomes) - failed
        t_end = time.perf_counter()
        cpu = time.process_time() - cpu0
    finally:
        conn.close()
    counts = plan.counts()
    return {
        "tool": "hfleet",
        "wall": t_end - t0,
        "breakdown": {
            "load": t_load - t0,
            "observe": t_observe - t_load,
            "plan": t_plan - t_observe,
            "apply": t_end - t_plan,
        },
        "cpu": cpu,
        "rss_before_mb": rss_before,
        "peak_rss_mb": _peak_mb(),
        "calls": counter.snapshot(),
        "list_calls": list_calls,
        "live_before": len(observation.live.records),
        "writes": len(plan.writes),
        "plan": {k: v for k, v in counts.items() if v},
        "applied": applied,
        "failed": failed,
    }


def run_baseline(url: str, n: int, phase: str) -> dict[str, Any]:
    from bench import baseline
    from bench.calls import CallCounter

    counter = CallCounter()
    rss_before = _rss_mb()
    cpu0, t0 = time.process_time(), time.perf_counter()
    summary = baseline.run(url, n, phase, counter)
    wall = time.perf_counter() - t0
    return {
        "tool": "baseline",
        "wall": wall,
        "cpu": time.process_time() - cpu0,
        "rss_before_mb": rss_before,
        "peak_rss_mb": _peak_mb(),
        "calls": counter.snapshot(),
        **summary,
    }


def _profiled(work: Any, path: Path) -> dict[str, Any]:
    """Run ``work`` under cProfile: the main thread, plus every apply worker thread (each change's
    ``apply._run`` is profiled in its thread and the per-thread profiles are merged)."""
    import threading

    from reconciler.engine import apply as apply_mod

    local = threading.local()
    threads: list[cProfile.Profile] = []
    lock = threading.Lock()
    original = apply_mod._run

    def run(*args: Any, **kwargs: Any) -> Any:
        profiler = getattr(local, "profiler", None)
        if profiler is None:
            profiler = local.profiler = cProfile.Profile()
            with lock:
                threads.append(profiler)
        profiler.enable()
        try:
            return original(*args, **kwargs)
        finally:
            profiler.disable()

    apply_mod._run = run
    main_thread = cProfile.Profile()
    try:
        result: dict[str, Any] = main_thread.runcall(work)
    finally:
        apply_mod._run = original
    out = io.StringIO()
    out.write(
        f"wall {result['wall']:.2f} s, CPU {result['cpu']:.2f} s under the profiler; "
        f"{len(threads)} apply threads merged into the main thread's profile\n"
    )
    stats = pstats.Stats(main_thread, stream=out)
    for profiler in threads:
        stats.add(profiler)
    stats.strip_dirs()
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(35)
    path.write_text(out.getvalue())
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.worker")
    parser.add_argument("tool", choices=["hfleet", "baseline"])
    parser.add_argument("--url", required=True)
    parser.add_argument("--phase", required=True)
    parser.add_argument("--specs")
    parser.add_argument("--n", type=int, default=0)
    parser.add_argument("--prune", action="store_true")
    parser.add_argument("--parallelism", type=int, default=16)
    parser.add_argument("--profile", help="write a cProfile text summary (top 40, cumulative) here")
    args = parser.parse_args(argv)

    def work() -> dict[str, Any]:
        if args.tool == "hfleet":
            return run_hfleet(args.url, args.specs, prune=args.prune, parallelism=args.parallelism)
        return run_baseline(args.url, args.n, args.phase)

    if args.profile:
        result = _profiled(work, Path(args.profile))
    else:
        result = work()
    result["phase"] = args.phase
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
