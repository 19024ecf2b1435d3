"""Pure CPU: load + plan of a large fleet in-process, with no network and no latency.

``python -m bench.cpu --n 10000`` prints one JSON line. The live state is the API's JSON: one endpoint
is created in an in-process emulator with hfleet's own create payload and read back, then copied
under every name into pages of 100 items, serialized to bytes before the clock starts (the bytes are
what the network would deliver). Measured, in order: ``loader.load`` of the spec files,
``run.observe`` (parse every page, build every desired endpoint) through an API stub that
serves those pages, and ``decide.compute`` (the pure planning). The live state matches the spec, so
the plan is the no-op plan a controller computes on every pass; every endpoint is still compared
field by field.

CPU is ``time.process_time``; memory is the peak RSS growth over the process's RSS before the
spec is loaded, and (in a second, slower pass) the ``tracemalloc`` peak of Python allocations.
"""

from __future__ import annotations

import argparse
import copy
import gc
import json
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import specs

__all__ = ["live_pages", "main", "measure"]

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def _template(spec_dir: Path) -> dict[str, Any]:
    """One endpoint as the emulator renders it, created from hfleet's create payload."""
    import httpx

    from reconciler.api import client as api_client
    from reconciler.emulator import Emulator
    from reconciler.engine import desired
    from reconciler.spec import loader
    from reconciler.wire import convert

    fleet = loader.load([spec_dir])
    spec = fleet.endpoints[0]
    want = desired.build(fleet, spec, NOW)
    emulator = Emulator()
    http = httpx.Client(transport=emulator.transport())
    api = api_client.EndpointsApi(http, "http://emulator.localhost/v2", "hf_emulator")
    api.create(
        fleet.namespace,
        convert.create_payload(spec, fleet.name, want.secrets_fingerprint, desired.resolve_secret),
    )
    raw = api.get(fleet.namespace, spec.name)
    http.close()
    return raw


def live_pages(template: dict[str, Any], n: int, page_size: int = 100) -> list[bytes]:
    """The JSON pages of ``GET /endpoint/{ns}`` for ``n`` endpoints like ``template``."""
    pages = []
    for start in range(0, n, page_size):
        items = []
        for i in range(start, min(n, start + page_size)):
            item = copy.deepcopy(template)
            item["name"] = specs.name(i)
            item["status"]["url"] = f"http://emulator.local/e/{i:024x}"
            items.append(item)
        pages.append(json.dumps({"items": items}, separators=(",", ":")).encode())
    return pages


class _PagesApi:
    """The one read ``observe`` makes (``iter_endpoints``), served from pre-serialized pages."""

    def __init__(self, pages: list[bytes]) -> None:
        self.pages = pages

    def iter_endpoints(self, namespace: str, **_: Any) -> Iterator[dict[str, Any]]:
        for page in self.pages:
            yield from json.loads(page)["items"]


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rss_mb() -> float:
    import os

    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _pass(spec_dir: Path, pages: list[bytes]) -> dict[str, Any]:
    from reconciler.engine import decide
    from reconciler.engine import run as reconcile
    from reconciler.spec import loader

    c0 = time.process_time()
    fleet = loader.load([spec_dir])
    c1 = time.process_time()
    observation = reconcile.observe(fleet, _PagesApi(pages), NOW)  # type: ignore[arg-type]
    c2 = time.process_time()
    plan = decide.compute(
        fleet.name,
        observation.desired,
        observation.live,
        now=observation.now,
        namespaces=observation.namespaces,
    )
    c3 = time.process_time()
    return {
        "cpu": c3 - c0,
        "cpu_load": c1 - c0,
        "cpu_observe": c2 - c1,
        "cpu_plan": c3 - c2,
        "endpoints": len(fleet.endpoints),
        "live": len(observation.live.records),
        "unchanged": len(plan.unchanged),
        "writes": len(plan.writes),
    }


def measure(n: int, profile: str | None = None) -> dict[str, Any]:
    import os

    from reconciler import logs

    logs.configure("json", 0, stream=open(os.devnull, "w"))  # noqa: SIM115
    with tempfile.TemporaryDirectory(prefix="hfleet-bench-cpu-") as tmp:
        spec_dir = specs.write(Path(tmp) / "specs", n, "noop")
        pages = live_pages(_template(spec_dir), n)
        payload_mb = sum(len(p) for p in pages) / 2**20
        gc.collect()
        rss_before = _rss_mb()
        result = _pass(spec_dir, pages)
        result["rss_before_mb"] = rss_before
        result["peak_rss_mb"] = _peak_rss_mb()
        result["rss_growth_mb"] = result["peak_rss_mb"] - rss_before
        result["live_json_mb"] = payload_mb
        gc.collect()
        tracemalloc.start()
        traced = _pass(spec_dir, pages)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        result["tracemalloc_peak_mb"] = peak / 2**20
        result["cpu_under_tracemalloc"] = traced["cpu"]
        if profile:
            import cProfile
            import io
            import pstats

            profiler = cProfile.Profile()
            profiler.runcall(_pass, spec_dir, pages)
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out)
            stats.strip_dirs()
            stats.sort_stats("tottime").print_stats(25)
            stats.sort_stats("cumulative").print_stats(30)
            Path(profile).write_text(out.getvalue())
    result["n"] = n
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cpu")
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--profile")
    args = parser.parse_args(argv)
    sys.stdout.write(json.dumps(measure(args.n, args.profile)) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
