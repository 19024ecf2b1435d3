"""Prometheus metrics of hfleet (served by controller mode on ``/metrics``).

Owns: one ``CollectorRegistry``, the metric objects, the label values each labelled counter is known
to take, and ``exposition(accept)`` (text or OpenMetrics, by the scraper's ``Accept`` header).
Called by: the API client (requests, latency, retries), apply (changes, errors), the reconcile loop
(passes, endpoints by state, drift, spend, last success), ``reconciler.controller`` (exposition).
Must not: serve HTTP itself (``reconciler.controller`` does), or import the engine (it sits below).

prometheus-client is used rather than hand-written exposition text: it gets the format, escaping,
histogram buckets and content negotiation right, and is what Prometheus users expect.

Labelled counters start at zero for their known label values, so an alert on
``increase(hfleet_apply_errors_total[30m]) > 0`` sees the step from 0 to 1 (a series that appears
at 1 has no increase), and dashboards show 0 rather than "no data". docs/operations.md lists every
metric.
"""

from __future__ import annotations

import platform
from collections.abc import Callable
from importlib import metadata

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info
from prometheus_client import exposition as _exposition

__all__ = [
    "ACTIONS",
    "API_LATENCY",
    "API_REQUESTS",
    "API_RETRIES",
    "APPLY_CHANGES",
    "APPLY_ERRORS",
    "BUILD_INFO",
    "DRIFT",
    "ENDPOINTS",
    "LAST_SUCCESS",
    "OUTCOMES",
    "PASS_RESULTS",
    "RECONCILE_DURATION",
    "RECONCILE_RUNS",
    "REGISTRY",
    "RETRY_REASONS",
    "SPEND_RATE",
    "exposition",
]

# The label values the engine emits (tests/controller/test_metrics.py holds them to the engine's
# Action enum and the retry reasons, so a new action cannot go uncounted at zero).
PASS_RESULTS = ("ok", "error", "crashed")
ACTIONS = ("create", "replace", "update", "resume", "pause", "scale_to_zero", "delete")
OUTCOMES = ("ok", "failed")
RETRY_REASONS = ("429", "5xx", "timeout", "transport")

REGISTRY = CollectorRegistry(auto_describe=True)

BUILD_INFO = Info(
    "hfleet_build",
    "The running hfleet: its version and the Python that runs it (value 1).",
    registry=REGISTRY,
)
API_REQUESTS = Counter(
    "hfleet_api_requests",
    "Inference Endpoints API calls, by method, route and status.",
    ["method", "route", "status"],
    registry=REGISTRY,
)
API_LATENCY = Histogram(
    "hfleet_api_request_duration_seconds",
    "Inference Endpoints API call latency (one attempt, headers to last byte), by method, route and status.",
    ["method", "route", "status"],
    registry=REGISTRY,
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
API_RETRIES = Counter(
    "hfleet_api_retries",
    "API calls retried after a 429, a 5xx, a timeout or a transport error.",
    ["reason"],
    registry=REGISTRY,
)
APPLY_CHANGES = Counter(
    "hfleet_apply_changes",
    "Changes applied, by action and outcome.",
    ["action", "outcome"],
    registry=REGISTRY,
)
APPLY_ERRORS = Counter(
    "hfleet_apply_errors", "Changes that failed during apply.", ["action"], registry=REGISTRY
)
ENDPOINTS = Gauge("hfleet_endpoints", "Endpoints of the fleet by live state.", ["state"], registry=REGISTRY)
DRIFT = Gauge(
    "hfleet_drift_endpoints", "Endpoints whose live state differs from the spec.", registry=REGISTRY
)
LAST_SUCCESS = Gauge(
    "hfleet_last_successful_reconcile_timestamp_seconds",
    "Unix time of the last reconcile pass without error.",
    registry=REGISTRY,
)
RECONCILE_RUNS = Counter(
    "hfleet_reconcile_runs",
    "Reconcile passes, by result: ok, error (an expected failure such as the API being down) or crashed "
    "(a bug in hfleet).",
    ["result"],
    registry=REGISTRY,
)
SPEND_RATE = Gauge(
    "hfleet_spend_rate_usd_per_hour",
    "What the fleet's endpoints cost per hour right now (list price x ready replicas).",
    registry=REGISTRY,
)
RECONCILE_DURATION = Histogram(
    "hfleet_reconcile_duration_seconds",
    "Duration of a reconcile pass.",
    registry=REGISTRY,
    buckets=(0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600),
)


def _version() -> str:
    try:
        return metadata.version("hfleet")
    except metadata.PackageNotFoundError:  # run from a checkout without installing it
        return "unknown"


def _start_at_zero() -> None:
    """Create every known series at 0 (``labels()`` creates a child without incrementing it)."""
    for result in PASS_RESULTS:
        RECONCILE_RUNS.labels(result)
    for action in ACTIONS:
        APPLY_ERRORS.labels(action)
        for outcome in OUTCOMES:
            APPLY_CHANGES.labels(action, outcome)
    for reason in RETRY_REASONS:
        API_RETRIES.labels(reason)


BUILD_INFO.info({"version": _version(), "python": platform.python_version()})
_start_at_zero()


def exposition(accept: str | None) -> tuple[bytes, str]:
    """The registry's samples and their content type, negotiated from an ``Accept`` header.

    ``application/openmetrics-text`` (what Prometheus asks for first) gets the OpenMetrics format
    (``_created`` samples, ``# EOF``); anything else, or no header, gets the classic text format 0.0.4.
    prometheus_client's own negotiation is used, so the rules are the ones its handlers follow.
    """
    encoder: Callable[[CollectorRegistry], bytes]
    encoder, content_type = _exposition.choose_encoder(accept or "")
    return encoder(REGISTRY), content_type
