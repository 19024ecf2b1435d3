"""A scriptable stand-in for the emulator's proxy in front of ``dataplane.handle``, over loopback HTTP.

It answers ``/e/{id}/...`` the way the emulator does (auth for non-public endpoints, 404 for unknown
ids, 503 while the endpoint is not running, the scale-to-zero wake-up on ``X-Scale-Up-Timeout``) with
knobs the edge-case tests turn (``start_polls``, ``delay``, ``retry_after``). The same calls against
the whole emulator are in ``test_against_emulator.py``.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from reconciler.emulator import dataplane

TOKEN = "hf_planetesttoken0123456789"

_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed"}
_REASONS |= {422: "Unprocessable Entity", 503: "Service Unavailable"}


@dataclass
class FakeEndpoint:
    """One endpoint as the fake control plane sees it. Tests change the fields to script a scenario."""

    view: dataplane.EndpointView
    start_polls: int = 2  # 503 "initializing" answers before a starting endpoint runs
    delay: float = 0.0  # seconds each answer is held (a slow replica)
    retry_after: str | None = None  # Retry-After on not-ready answers
    wake_seconds: float = 0.05  # how long a held scale-up takes
    seen: list[dict[str, str]] = field(default_factory=list)  # headers of every request received
    calls: list[tuple[str, str, Any]] = field(default_factory=list)  # (method, path, JSON body or None)

    @property
    def state(self) -> str:
        return self.view.state

    def set_state(self, state: str) -> None:
        self.view = replace(self.view, state=state)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that timed out and hung up is expected in these tests


def _answer(status: int, body: dict[str, Any], **headers: str) -> tuple[int, dict[str, str], bytes]:
    return status, {"content-type": "application/json", **headers}, json.dumps(body).encode()


class LoopbackPlane:
    """Serves ``http://127.0.0.1:PORT/e/{id}/...`` from a thread; ``add`` registers endpoints."""

    def __init__(self) -> None:
        self._endpoints: dict[str, FakeEndpoint] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._server = make_server(
            "127.0.0.1", 0, self.wsgi_app, server_class=_Server, handler_class=_QuietHandler
        )
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05})
        self._thread.daemon = True
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> LoopbackPlane:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def add(
        self,
        name: str = "ep",
        *,
        task: str | None = "text-generation",
        image_variant: str = "huggingface",
        type: str = "public",
        state: str = "running",
        health_route: str = "/health",
        repository: str = "acme/model",
    ) -> str:
        """Register an endpoint and return its ``status.url``."""
        with self._lock:
            endpoint_id = f"{name}-{next(self._ids)}"
            view = dataplane.EndpointView(
                "acme", name, state, task, repository, image_variant, health_route, type
            )
            self._endpoints[endpoint_id] = FakeEndpoint(view)
        return f"{self.url}/e/{endpoint_id}"

    def endpoint(self, url: str) -> FakeEndpoint:
        return self._endpoints[url.rstrip("/").rsplit("/e/", 1)[1]]

    # ----------------------------------------------------------------------------------- the server

    def wsgi_app(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        status, out_headers, out_body = self._route(
            environ["REQUEST_METHOD"], environ["PATH_INFO"], headers, body
        )
        start_response(f"{status} {_REASONS.get(status, 'Status')}", list(out_headers.items()))
        return [out_body] if isinstance(out_body, bytes) else out_body

    def _route(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes | Iterator[bytes]]:
        prefix, _, rest = path.partition("/e/")
        endpoint_id, slash, tail = rest.partition("/")
        endpoint = self._endpoints.get(endpoint_id) if prefix == "" else None
        if endpoint is None:
            return _answer(404, {"error": "Endpoint not found"})
        endpoint.seen.append(headers)
        try:
            decoded = json.loads(body) if body else None
        except ValueError:
            decoded = body
        endpoint.calls.append((method, "/" + tail, decoded))
        if endpoint.view.type != "public" and headers.get("authorization") != f"Bearer {TOKEN}":
            return _answer(401, {"error": "Unauthorized: a valid token, sent as a Bearer, is required"})
        if endpoint.delay:
            time.sleep(endpoint.delay)
        not_ready = self._not_ready(endpoint, headers)
        if not_ready is not None:
            return not_ready
        response = dataplane.handle(endpoint.view, method, slash + tail, headers, body)
        return response.status, response.headers, response.body

    def _not_ready(
        self, endpoint: FakeEndpoint, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], bytes] | None:
        """The proxy's answer for an endpoint that is not running, or None to serve the request."""
        extra = {"retry-after": endpoint.retry_after} if endpoint.retry_after else {}
        with self._lock:
            state = endpoint.state
            if state == "scaledToZero":
                if headers.get("x-scale-up-timeout"):
                    time.sleep(endpoint.wake_seconds)  # the proxy holds the request while a replica starts
                    endpoint.set_state("running")
                    return None
                endpoint.set_state("initializing")  # the request itself starts a replica
                return _answer(503, {"error": "Endpoint is scaled to zero; a replica is starting"}, **extra)
            if state in ("pending", "initializing", "updating"):
                if endpoint.start_polls <= 0:
                    endpoint.set_state("running")
                    return None
                endpoint.start_polls -= 1
                return _answer(503, {"error": f"Endpoint is {state}", "state": state}, **extra)
            if state == "paused":
                return _answer(
                    400, {"error": "Bad Request: The endpoint is paused, ask a maintainer to restart it"}
                )
            if state in ("failed", "updateFailed"):
                return _answer(503, {"error": "Endpoint failed to deploy", "state": state})
        return None
