"""The benchmark runs end to end (``--quick``: 50 endpoints) and measures what it claims.

Behavioural assertions only, never timing ones: every phase is there, each phase made the calls it
must (pages + one per change), and the no-op plan listed pages and nothing else.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("bench")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    subprocess.run(
        [sys.executable, "-m", "bench.fleet_bench", "--quick", "--out", str(out)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert (out / "results.md").read_text().startswith("# hfleet fleet benchmark")
    return json.loads((out / "results.json").read_text())


def test_every_phase_is_measured(results: dict) -> None:
    for tool in ("hfleet", "baseline"):
        rows = results[tool]
        assert [r["phase"] for r in rows] == ["cold", "noop", "drift", "prune"], tool
        for row in rows:
            assert row["calls"]["total"] > 0
            assert row["wall"] > 0 and row["peak_rss_mb"] > 0
    assert {s["phase"] for s in results["speedup"]} == {"cold", "noop", "drift", "prune"}
    assert results["cpu"]["unchanged"] == results["cpu"]["n"]
    assert results["targets"]


def test_noop_plan_lists_pages_only(results: dict) -> None:
    noop = next(r for r in results["hfleet"] if r["phase"] == "noop")
    assert set(noop["calls"]["by_route"]) == {"GET /v2/endpoint/{ns}"}
    assert noop["calls"]["total"] == noop["expected_calls"] == 1  # 50 endpoints: one page
    assert noop["writes"] == 0


def test_hfleet_calls_are_pages_plus_one_per_change(results: dict) -> None:
    rows = {r["phase"]: r for r in results["hfleet"]}
    for row in rows.values():
        assert row["calls"]["total"] == row["expected_calls"], row["phase"]
        assert row["failed"] == 0
    assert rows["cold"]["calls"]["by_route"]["POST /v2/endpoint/{ns}"] == 50
    assert rows["drift"]["calls"]["by_route"]["PUT /v2/endpoint/{ns}/{name}"] == 5
    assert rows["drift"]["calls"]["by_route"]["POST /v2/endpoint/{ns}/{name}/pause"] == 5
    assert rows["prune"]["calls"]["by_route"]["DELETE /v2/endpoint/{ns}/{name}"] == 5
    # A plan that writes reads the namespace's hardware catalog once (hardware checked, costs priced);
    # a no-op plan never does.
    for phase, row in rows.items():
        catalog = sum(n for route, n in row["calls"]["by_route"].items() if "/provider" in route)
        assert catalog == (0 if phase == "noop" else 1), phase
