"""``/metrics`` as a scraper reads it: both exposition formats, parsed by prometheus_client's own
parsers (the text parser and the OpenMetrics parser, which refuses anything malformed), the build
info, and labelled counters that exist at zero before their first event.

The label values held at zero are checked against what the engine emits: the ``Action`` enum's
writing actions, and the retry reasons the API client reports when the emulator answers 429, 5xx or
drops the connection (the real HTTP path: the emulator mounted through an httpx transport).
"""

from __future__ import annotations

import platform
from collections.abc import Iterator
from importlib import metadata
from typing import Any

import httpx
import pytest
from prometheus_client.openmetrics import parser as openmetrics_parser
from prometheus_client.parser import text_string_to_metric_families

from reconciler import controller, metrics
from reconciler.emulator import FaultRule
from reconciler.engine import plan
from tests.conftest import make_api

OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8"
# What Prometheus 2.x sends (scrape.go's default scrape_protocols, OpenMetrics first).
PROMETHEUS_ACCEPT = (
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
    "text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
)


@pytest.fixture
def served() -> Iterator[str]:
    server = controller.HealthServer(controller.LoopState(60), "127.0.0.1", 0).start()
    try:
        yield server.url
    finally:
        server.close()


def samples(families: Any) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value for f in families for s in f.samples}


def test_text_format_by_default(served: str) -> None:
    for headers in ({}, {"Accept": "text/plain"}, {"Accept": "*/*"}):
        response = httpx.get(served + "/metrics", headers=headers)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
        families = {f.name: f for f in text_string_to_metric_families(response.text)}
        assert "hfleet_reconcile_runs" in families
        assert "# EOF" not in response.text


@pytest.mark.parametrize("accept", ["application/openmetrics-text", PROMETHEUS_ACCEPT])
def test_openmetrics_when_asked(served: str, accept: str) -> None:
    response = httpx.get(served + "/metrics", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/openmetrics-text; version=1.0.0")
    assert response.text.endswith("# EOF\n")
    # The OpenMetrics parser is strict: a malformed line, a counter without _total or a missing EOF raise.
    families = {f.name: f for f in openmetrics_parser.text_string_to_metric_families(response.text)}
    assert families["hfleet_reconcile_runs"].type == "counter"
    assert families["hfleet_build"].type == "info"
    assert families["hfleet_api_request_duration_seconds"].type == "histogram"


def test_build_info(served: str) -> None:
    text = httpx.get(served + "/metrics").text
    values = samples(text_string_to_metric_families(text))
    labels = (("python", platform.python_version()), ("version", metadata.version("hfleet")))
    key = ("hfleet_build_info", labels)
    assert values[key] == 1.0


def test_labelled_counters_start_at_zero(served: str) -> None:
    text = httpx.get(served + "/metrics", headers={"Accept": OPENMETRICS}).text
    values = samples(openmetrics_parser.text_string_to_metric_families(text))
    runs = {dict(labels)["result"] for (name, labels) in values if name == "hfleet_reconcile_runs_total"}
    assert runs >= {"ok", "error", "crashed"}
    errors = {dict(labels)["action"] for (name, labels) in values if name == "hfleet_apply_errors_total"}
    assert errors >= set(metrics.ACTIONS)
    changes = {
        (dict(labels)["action"], dict(labels)["outcome"])
        for (name, labels) in values
        if name == "hfleet_apply_changes_total"
    }
    assert changes >= {(a, o) for a in metrics.ACTIONS for o in ("ok", "failed")}
    reasons = {dict(labels)["reason"] for (name, labels) in values if name == "hfleet_api_retries_total"}
    assert reasons >= {"429", "5xx", "timeout", "transport"}


def test_known_actions_are_the_engines_writing_actions() -> None:
    assert set(metrics.ACTIONS) == {a.value for a in plan.Action if a.writes}


def test_retry_reasons_are_the_ones_the_client_reports(emulator: Any) -> None:
    """A 429, a 503 and a dropped connection, each retried once by the real client: every retry lands
    on a series that was there at zero."""

    def retries() -> dict[str, float]:
        return {
            reason: metrics.REGISTRY.get_sample_value("hfleet_api_retries_total", {"reason": reason}) or 0.0
            for reason in metrics.RETRY_REASONS
        }

    before = retries()
    emulator.faults.add(FaultRule(kind="status", status=429, retry_after=0, method="GET", times=1))
    emulator.faults.add(FaultRule(kind="status", status=503, method="GET", times=1))
    emulator.faults.add(FaultRule(kind="drop", method="GET", times=1))
    api = make_api(emulator)
    try:
        api.list_endpoints("emulator")
    finally:
        api.http.close()
    after = retries()
    assert {r: after[r] - before[r] for r in metrics.RETRY_REASONS} == {
        "429": 1.0,
        "5xx": 1.0,
        "timeout": 0.0,
        "transport": 1.0,
    }
    # No retry went to a series outside the known reasons.
    family = next(f for f in metrics.REGISTRY.collect() if f.name == "hfleet_api_retries")
    assert {s.labels["reason"] for s in family.samples} <= set(metrics.RETRY_REASONS)
