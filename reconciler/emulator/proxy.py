"""The proxy in front of each endpoint's URL (``/e/{id}/...``): what answers before the engine does.

Owns: ``DataPlaneProxy.handle``: 404 for an unknown endpoint, the token check of non-public
endpoints (401 / 403), the endpoint's data-plane faults (``FaultRule(endpoint=...)``), the state
gate (503 while pending / initializing / updating, paused, failed), the scale-to-zero wake-up
(503 with ``Retry-After``, or a held request with ``X-Scale-Up-Timeout``), the idle clock, then
the fake engine (``dataplane.handle``). Called by: ``Emulator.handle``.
Must not: change an endpoint's configuration.

Bounds: a held wake-up waits at most ``X-Scale-Up-Timeout`` seconds, capped at ``MAX_HOLD``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from reconciler.emulator import auth, dataplane, render, store, wire
from reconciler.emulator.config import EmulatorConfig
from reconciler.emulator.faults import FaultSet

__all__ = ["MAX_HOLD", "DataPlaneProxy"]

MAX_HOLD = 600.0
Record = dict[str, Any]


class DataPlaneProxy:
    """Answers ``/e/{id}{path}`` for the endpoints of a store."""

    def __init__(
        self,
        config: EmulatorConfig,
        clock: Callable[[], float],
        records: store.Store,
        faults: FaultSet,
        state_of: Callable[[Record], str],
        wake: Callable[[str, str], None],
    ) -> None:
        self.config = config
        self.clock = clock
        self.store = records
        self.faults = faults
        self.state_of = state_of
        self.wake = wake

    def handle(self, request: wire.Request) -> tuple[wire.Response, str | None]:
        """The answer, and ``namespace/name`` of the endpoint (None when there is none)."""
        parts = request.parts
        path = "/" + "/".join(parts[2:])
        record = self.store.by_id(parts[1])
        if record is None:
            raise wire.HttpError(404, "Endpoint not found")
        key = f"{record['namespace']}/{record['name']}"
        try:
            return self._serve(record, path, request, key), key
        except (wire.HttpError, wire.Drop) as exc:
            exc.endpoint = key  # a refusal or a drop still reached this endpoint's URL
            raise

    def _serve(self, record: Record, path: str, request: wire.Request, key: str) -> wire.Response:
        """Auth, faults, the state gate, then the engine."""
        if record["spec"]["type"] != "public":
            identity = auth.identify(self.config.identities, request.headers)
            if record["namespace"] not in identity.namespaces:
                raise wire.HttpError(403, "This token has no access to the endpoint")
        faulted = self._fault(request.method, path, key)
        if faulted is not None:
            return faulted
        state = self._ready(record, request.headers)
        served = self._touch(record["id"])
        return self._engine(record, state, served, path, request)

    def _fault(self, method: str, path: str, key: str) -> wire.Response | None:
        """Apply this endpoint's scripted faults: a delay, then a status, garbage or a drop."""
        slow = self.faults.take(("latency",), method, path, endpoint=key)
        if slow is not None:
            slow.delay()
        rule = self.faults.take(("status", "garbage", "drop", "lost_response"), method, path, endpoint=key)
        if rule is None:
            return None
        if rule.kind in ("drop", "lost_response"):
            raise wire.Drop()
        if rule.kind == "garbage":
            return 200, {"content-type": "application/json"}, rule.garbage()
        headers = {"content-type": "application/json", **rule.retry_after_header()}
        if rule.body is not None:
            return rule.status, headers, rule.body.encode()
        message = rule.message or wire.REASONS.get(rule.status, "Error")
        return rule.status, headers, wire.json_bytes({"error": message})

    def _ready(self, record: Record, headers: dict[str, str]) -> str:
        """The endpoint's state once it may serve; raises the proxy's 503s otherwise."""
        state = self.state_of(record)
        if state == "scaledToZero":
            state = self._wake_up(record, headers)
        if state == "paused":
            raise wire.HttpError(503, "Endpoint is paused; resume it to serve requests")
        if state == "failed":
            message = record.get("message_failed") or render.MESSAGES["failed"]
            raise wire.HttpError(503, f"Endpoint failed: {message}")
        if state in ("pending", "initializing", "updating"):
            raise wire.HttpError(503, f"Endpoint is {state} and not ready yet", {"Retry-After": "1"})
        return state

    def _wake_up(self, record: Record, headers: dict[str, str]) -> str:
        """Start a replica; answer 503 at once, or hold the request up to X-Scale-Up-Timeout."""
        self.wake(record["namespace"], record["name"])
        wait = wire.parse_float(headers.get("x-scale-up-timeout"))
        if wait is None or wait <= 0:
            raise wire.HttpError(
                503,
                "Endpoint is scaled to zero and is starting; retry later or send "
                "X-Scale-Up-Timeout to wait for it",
                {"Retry-After": "1"},
            )
        deadline = time.monotonic() + min(wait, MAX_HOLD)
        while True:
            fresh = self.store.by_id(record["id"]) or record
            state = self.state_of(fresh)
            if state == "running" or time.monotonic() >= deadline:
                return state
            time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))

    def _touch(self, endpoint_id: str) -> int:
        """Each request restarts the idle clock of scale-to-zero and counts (for ``/metrics``)."""
        with self.store.transaction():
            fresh = self.store.by_id(endpoint_id)
            if fresh is None:
                return 0
            fresh["last_request_at"] = self.clock()
            fresh["served"] = int(fresh.get("served") or 0) + 1
            self.store.put(fresh)
            return int(fresh["served"])

    def _engine(
        self, record: Record, state: str, served: int, path: str, request: wire.Request
    ) -> wire.Response:
        spec = record["spec"]
        ((variant, image),) = spec["model"]["image"].items()
        view = dataplane.EndpointView(
            namespace=record["namespace"],
            name=record["name"],
            state=state,
            task=spec["model"].get("task"),
            repository=spec["model"]["repository"],
            image_variant=variant,
            health_route=(image or {}).get("healthRoute") or "/health",
            type=spec["type"],
            served=served,
        )
        answer = dataplane.handle(view, request.method, path, request.headers, request.body)
        return answer.status, dict(answer.headers), answer.body
