"""A real Prometheus scrapes ``hfleet reconcile`` on loopback and evaluates the chart's rules.

Two controllers run against the emulator: one converges the repository's example fleet, the other
holds a token the emulator refuses, so every pass fails with HTTP 401. Prometheus (Debian's 2.x, see
prometheus.py) scrapes both every second on 127.0.0.1 only, keeps its storage in a temporary
directory, serves its API on 127.0.0.1, and evaluates the rendered PrometheusRule every second.

Checked through its HTTP API: both targets are up and scraped as OpenMetrics; every rule evaluates
without error; the failing controller's alerts are pending (their ``for`` keeps them from firing
within the test) and the healthy one has none; every dashboard query runs and the main ones return
data. Bounded: each wait has a deadline, the whole test stays under ~60 s, every process is stopped.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.chart.prometheus import binary
from tests.chart.test_monitoring import concrete, dashboard, dashboard_queries, rendered, rules_file
from tests.controller.test_controller import free_port
from tests.reliability.helpers import ROOT

pytestmark = pytest.mark.slow
DEADLINE = 45.0


def wait_until(check: Callable[[], Any], what: str, deadline: float) -> Any:
    while True:
        try:
            value = check()
            if value:
                return value
        except (httpx.TransportError, KeyError, IndexError, ValueError):  # ValueError: 503 while starting
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.25)


def start(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as handle:  # the child keeps its own descriptor
        return subprocess.Popen(cmd, env=env, stdout=handle, stderr=subprocess.STDOUT)


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """Two controllers and a Prometheus scraping them; yields the Prometheus API URL and ports."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        # The example fleet's from_env references; the emulator accepts any value.
        "CHAT_LLM_HF_TOKEN": "not-a-secret",
        "RERANKER_REGISTRY_PASSWORD": "not-a-secret",
    }
    env.pop("HF_TOKEN", None)
    ports = {"hfleet-ok": free_port(), "hfleet-refused": free_port(), "prometheus": free_port()}
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for job, token in (("hfleet-ok", "hf_emulator"), ("hfleet-refused", "hf_refusedrefused")):
            cmd = [sys.executable, "-m", "reconciler", "--emulator", str(tmp_path / f"{job}.db")]
            cmd += ["--token", token, "--log-format", "json", "reconcile", str(ROOT / "specs")]
            cmd += ["--interval", "5s", "--listen", f"127.0.0.1:{ports[job]}"]
            # A state directory each: they hold the same fleet's lock otherwise.
            job_env = {**env, "HFLEET_STATE_DIR": str(tmp_path / job)}
            procs.append(start(cmd, job_env, tmp_path / f"{job}.log"))
        rules_file(rendered(), tmp_path)
        config = {
            "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
            "rule_files": ["rules.yaml"],
            "scrape_configs": [
                {
                    "job_name": job,
                    "static_configs": [
                        {"targets": [f"127.0.0.1:{ports[job]}"], "labels": {"namespace": "fleet", "pod": job}}
                    ],
                }
                for job in ("hfleet-ok", "hfleet-refused")
            ],
        }
        (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
        procs.append(
            start(
                [
                    binary("prometheus"),
                    f"--config.file={tmp_path / 'prometheus.yml'}",
                    f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                    f"--web.listen-address=127.0.0.1:{ports['prometheus']}",
                    "--storage.tsdb.retention.time=1h",
                ],
                env,
                tmp_path / "prometheus.log",
            )
        )
        yield {"api": f"http://127.0.0.1:{ports['prometheus']}/api/v1", "ports": ports}
    finally:
        stop(procs)


def query(api: str, promql: str) -> list[dict[str, Any]]:
    body = httpx.get(f"{api}/query", params={"query": promql}, timeout=5).json()
    assert body["status"] == "success", (promql, body)
    result: list[dict[str, Any]] = body["data"]["result"]
    return result


def test_prometheus_scrapes_hfleet_and_evaluates_the_rules(stack: dict[str, Any]) -> None:
    api = stack["api"]
    deadline = time.monotonic() + DEADLINE

    def targets_up() -> bool:
        active = httpx.get(f"{api}/targets", timeout=5).json()["data"]["activeTargets"]
        return len(active) == 2 and all(t["health"] == "up" for t in active)

    wait_until(targets_up, "both hfleet targets up", deadline)
    # The healthy controller converged the example fleet: endpoints by state, a spend rate, a success.
    wait_until(
        lambda: query(api, 'sum(hfleet_endpoints{job="hfleet-ok"}) > 0'), "endpoints of the fleet", deadline
    )
    versions = query(api, "hfleet_build_info")
    assert {r["metric"]["job"] for r in versions} == {"hfleet-ok", "hfleet-refused"}
    assert all(r["value"][1] == "1" for r in versions)
    # Scraped as OpenMetrics: the metadata Prometheus keeps has OpenMetrics' family names and types
    # (the text format would have given `hfleet_build_info` as a gauge and counters named `..._total`).
    metadata = httpx.get(f"{api}/metadata", timeout=5).json()["data"]
    assert metadata["hfleet_build"][0]["type"] == "info"
    assert metadata["hfleet_reconcile_runs"][0]["type"] == "counter"
    assert "hfleet_build_info" not in metadata and "hfleet_reconcile_runs_total" not in metadata
    # Counters exist at zero before their first event, so increase() sees the first one.
    crashed = query(api, 'hfleet_reconcile_runs_total{job="hfleet-ok",result="crashed"}')
    assert [r["value"][1] for r in crashed] == ["0"]

    def alerts() -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = httpx.get(f"{api}/alerts", timeout=5).json()["data"]["alerts"]
        return found

    # The refused controller: no pass ever succeeded, and every API call is a 401.
    expected = {("HfleetNoRecentSuccess", "hfleet-refused"), ("HfleetApiErrors", "hfleet-refused")}
    wait_until(
        lambda: expected <= {(a["labels"]["alertname"], a["labels"]["job"]) for a in alerts()},
        "the refused controller's alerts",
        deadline,
    )
    for alert in alerts():
        assert alert["labels"]["job"] == "hfleet-refused", alert
        assert alert["state"] == "pending"  # `for: 5m` and `for: 10m` keep them from firing here
        assert "pod" not in alert["labels"] and "instance" not in alert["labels"]
    groups = httpx.get(f"{api}/rules", timeout=5).json()["data"]["groups"]
    evaluated = [rule for group in groups for rule in group["rules"]]
    assert len(evaluated) == 6
    for rule in evaluated:
        assert rule["health"] == "ok" and not rule.get("lastError"), rule

    # Every dashboard query runs; the panels about the fleet have data.
    empty = []
    for title, expr in dashboard_queries(dashboard(rendered())):
        if not query(api, concrete(expr)):
            empty.append(title)
    fleet_panels = {"Endpoints by state", "Spend rate", "Drifted endpoints", "Version", "Pass duration"}
    assert not (fleet_panels | {"Reconcile passes", "API calls by status"}) & set(empty), empty
