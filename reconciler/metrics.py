"""Prometheus metrics of hfleet (served by controller mode on ``/metrics``).

Owns: one ``CollectorRegistry`` and the metric objects. Called by: the API client (requests,
retries), apply (errors), reconcile (endpoints by state, drift, last success). Must not: serve
HTTP itself (``reconciler.controller`` does).

prometheus-client is used rather than hand-written exposition text: it gets the format, escaping
and histogram buckets right, and is what Prometheus users expect.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = [
    "API_LATENCY",
    "API_REQUESTS",
    "API_RETRIES",
    "APPLY_CHANGES",
    "APPLY_ERRORS",
    "DRIFT",
    "ENDPOINTS",
    "LAST_SUCCESS",
    "RECONCILE_DURATION",
    "RECONCILE_RUNS",
    "REGISTRY",
    "SPEND_RATE",
]

REGISTRY = CollectorRegistry(auto_describe=True)

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
    "API calls retried after a 429, a 5xx or a transport error.",
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
