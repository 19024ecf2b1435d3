"""A recording proxy on loopback, in front of a served emulator: what each client really sent.

The emulator logs method and path only; parity with huggingface_hub is about request bodies and
headers too. The proxy records every request (method, path, headers, decoded JSON body) and forwards
it unchanged, ``Host`` included (so the emulator reports endpoint URLs that point at the proxy and
the data-plane calls come back through it), then streams the answer back chunk by chunk. It knows
nothing of the emulator's insides.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length"})


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    headers: dict[str, str]
    body: Any  # the decoded JSON, the raw bytes when not JSON, None when empty

    @property
    def agent(self) -> str:
        return self.headers.get("user-agent", "")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # the answer ends when the connection closes: streams pass as they come
    server: RecordingProxy

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _forward(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw
        self.server.record(Call(self.command, self.path, headers, body))
        sent = {k: v for k, v in headers.items() if k not in _HOP}
        request = self.server.upstream.build_request(self.command, self.path, content=raw, headers=sent)
        response = self.server.upstream.send(request, stream=True)
        try:
            self.send_response(response.status_code)
            for name, value in response.headers.multi_items():
                if name.lower() not in _HOP:
                    self.send_header(name, value)
            self.end_headers()
            for chunk in response.iter_raw():
                self.wfile.write(chunk)
                self.wfile.flush()
        finally:
            response.close()

    do_GET = do_POST = do_PUT = do_DELETE = _forward


class RecordingProxy(ThreadingHTTPServer):
    """Serves ``url`` (loopback); forwards to ``upstream_url``; ``take`` hands over what was recorded."""

    daemon_threads = True

    def __init__(self, upstream_url: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.upstream = httpx.Client(base_url=upstream_url, timeout=30)
        self.url = f"http://127.0.0.1:{self.server_port}"
        self._calls: list[Call] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05})
        self._thread.daemon = True
        self._thread.start()

    def record(self, call: Call) -> None:
        with self._lock:
            self._calls.append(call)

    def take(self) -> list[Call]:
        """The data-plane calls (``/e/...``) recorded since the last ``take``, in order."""
        with self._lock:
            calls, self._calls = self._calls, []
        return [c for c in calls if c.path.startswith("/e/")]

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hung up mid-stream

    def close(self) -> None:
        self.shutdown()
        self.server_close()
        self.upstream.close()
        self._thread.join(timeout=5)

    def __enter__(self) -> RecordingProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
