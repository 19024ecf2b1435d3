"""Controller mode's HTTP side: ``/healthz``, ``/readyz`` and ``/metrics`` on a small threaded server.

Owns: ``HealthServer`` (started beside ``reconcile.run_forever``) and the readiness rule.
Called by: ``hfleet reconcile``. Must not: reconcile anything itself.

Liveness: the process answers and the loop has not stalled (a pass started within 3 intervals).
Readiness: at least one pass has finished, and the last one succeeded.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from reconciler import metrics

__all__ = ["HealthServer", "LoopState"]


class LoopState:
    """What the reconcile loop last reported, shared with the HTTP handlers."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.lock = threading.Lock()
        self.started = time.monotonic()
        self.last_pass_at: float | None = None
        self.last_ok: bool | None = None
        self.last_message = "no pass yet"

    def record(self, ok: bool, message: str) -> None:
        with self.lock:
            self.last_pass_at = time.monotonic()
            self.last_ok = ok
            self.last_message = message

    def live(self) -> tuple[bool, str]:
        with self.lock:
            reference = self.last_pass_at or self.started
            stalled = time.monotonic() - reference > max(3 * self.interval, 300)
        return (not stalled, "stalled" if stalled else "ok")

    def ready(self) -> tuple[bool, str]:
        with self.lock:
            return (bool(self.last_ok), self.last_message)


class _Handler(BaseHTTPRequestHandler):
    state: LoopState

    def do_GET(self) -> None:
        if self.path == "/healthz":
            ok, text = self.state.live()
            self._send(200 if ok else 503, text.encode(), "text/plain")
        elif self.path == "/readyz":
            ok, text = self.state.ready()
            self._send(200 if ok else 503, text.encode(), "text/plain")
        elif self.path == "/metrics":
            self._send(200, generate_latest(metrics.REGISTRY), CONTENT_TYPE_LATEST)
        else:
            self._send(404, b"not found", "text/plain")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # keep probes out of the logs
        return


class HealthServer:
    """Serves the loop's health and metrics on ``host:port`` in a daemon thread."""

    def __init__(self, state: LoopState, host: str = "0.0.0.0", port: int = 8080) -> None:
        handler = type("Handler", (_Handler,), {"state": state})
        self.server = ThreadingHTTPServer((host, port), handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="hfleet-health", daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> HealthServer:
        self.thread.start()
        return self

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
