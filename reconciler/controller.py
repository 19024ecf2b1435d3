"""Controller mode's HTTP side: ``/healthz``, ``/readyz`` and ``/metrics`` on a small threaded server.

Owns: ``HealthServer`` (started beside ``reconcile.run_forever``), ``LoopState`` and the liveness and
readiness rules. Called by: ``hfleet reconcile``. Must not: reconcile anything itself.

Liveness, ``/healthz`` (Kubernetes restarts the pod when it fails), fails in two cases:
- the loop stalled: no pass finished within ``max(3 * interval, 300 s)`` of the last one (or of the
  start);
- passes keep failing: the last ``max_failed_passes`` passes (default 3) all ended in ``error`` or
  ``crashed``. A controller whose every pass crashes (a bug met by one spec, a poisoned cache) or
  errs (an expired token, a stuck connection pool) is stuck; a restart is the one remedy Kubernetes
  can apply, and the restart count and CrashLoopBackOff make the failure visible to whoever
  watches the pods. One successful pass resets the count.
Readiness, ``/readyz``: at least one pass has finished, and the last one succeeded. The Service keeps
unready pods (``publishNotReadyAddresses``) so a failing controller is still scraped.

Both answers carry a one-line reason in the body (the last pass's redacted message), never a secret.
``/metrics`` negotiates the exposition format with ``reconciler.metrics.exposition``.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from reconciler import metrics
from reconciler.engine import loop

__all__ = ["DEFAULT_MAX_FAILED_PASSES", "HealthServer", "LoopState", "PassResult"]

DEFAULT_MAX_FAILED_PASSES = 3


# How a pass ended: one enum, the engine loop's (kept under this name for the health endpoints).
PassResult = loop.PassKind


class LoopState:
    """What the reconcile loop last reported, shared with the HTTP handlers (under ``lock``)."""

    def __init__(self, interval: float, *, max_failed_passes: int = DEFAULT_MAX_FAILED_PASSES) -> None:
        if max_failed_passes < 1:
            raise ValueError("max_failed_passes must be at least 1")
        self.interval = interval
        self.max_failed_passes = max_failed_passes
        self.lock = threading.Lock()
        self.started = time.monotonic()
        self.last_pass_at: float | None = None
        self.last_result: PassResult | None = None
        self.failed_in_a_row = 0
        self.last_message = "no pass yet"

    def record(self, ok: bool, message: str, result: PassResult | str | None = None) -> None:
        """One finished pass. ``result`` says how it ended (ok, error or crashed); without it, ``ok``
        decides between ok and error (a caller that cannot tell a crash from an error)."""
        kind = PassResult(result) if result is not None else (PassResult.OK if ok else PassResult.ERROR)
        with self.lock:
            self.last_pass_at = time.monotonic()
            self.last_result = kind
            self.failed_in_a_row = self.failed_in_a_row + 1 if kind.failed else 0
            self.last_message = message

    def live(self) -> tuple[bool, str]:
        with self.lock:
            reference = self.last_pass_at or self.started
            stalled_for = time.monotonic() - reference
            if stalled_for > max(3 * self.interval, 300):
                return False, f"stalled: no pass finished for {stalled_for:.0f}s"
            if self.failed_in_a_row >= self.max_failed_passes:
                assert self.last_result is not None
                return False, (
                    f"{self.failed_in_a_row} passes in a row failed "
                    f"(last {self.last_result.value}: {self.last_message})"
                )
            return True, "ok"

    def ready(self) -> tuple[bool, str]:
        with self.lock:
            return (self.last_result is PassResult.OK, self.last_message)


class _Handler(BaseHTTPRequestHandler):
    state: LoopState
    # A client that connects and sends nothing must not hold a thread forever (one per connection).
    timeout = 10

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/healthz":
            ok, text = self.state.live()
            self._send(200 if ok else 503, text.encode(), "text/plain; charset=utf-8")
        elif path == "/readyz":
            ok, text = self.state.ready()
            self._send(200 if ok else 503, text.encode(), "text/plain; charset=utf-8")
        elif path == "/metrics":
            body, content_type = metrics.exposition(self.headers.get("Accept"))
            self._send(200, body, content_type)
        else:
            self._send(404, b"not found", "text/plain; charset=utf-8")

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
