"""A hostile endpoint on loopback: answers that never end, bodies of gigabytes, bombs, trickles.

Each route is a misbehaving server the inference client must survive within its ``timeout`` and its
``max_response_bytes``. Every answer is produced lazily (nothing big is ever held in memory here) and
stops as soon as the client hangs up or the server is closed, so a test that fails cannot hang the
suite: the client under test is the only thing that may not stop.

Routes (``GET`` or ``POST``, query parameters in brackets):
- ``/endless-sse`` [interval]: a TGI token event every ``interval`` seconds, forever.
- ``/endless-line``: a server-sent ``data:`` line that never ends (no newline, ever).
- ``/huge-json`` [size]: a JSON list of ``size`` bytes (default 4 GiB), sent as fast as possible.
- ``/gzip-bomb`` [size]: the same list gzip-compressed (about 1000 times smaller on the wire).
- ``/trickle`` [interval]: a JSON body sent one byte every ``interval`` seconds.
- ``/tgi-error`` [status, type, message]: a TGI error answer ``{"error", "error_type"}``.
- ``/stream-error`` [type]: two token events, then a TGI error event mid-stream.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

GiB = 1 << 30
_CHUNK = 64 * 1024


def _token_event(index: int) -> bytes:
    token = {"id": index, "text": " tok", "logprob": -0.5, "special": False}
    event = {"index": index, "token": token, "generated_text": None, "details": None}
    return b"data: " + json.dumps(event).encode() + b"\n\n"


def _json_list(size: int) -> Iterator[bytes]:
    """``[0.5, 0.5, ...]`` of about ``size`` bytes, in 64 KiB chunks, never closed (it is cut anyway)."""
    yield b"["
    piece = b"0.5, " * (_CHUNK // 5)
    sent = 1
    while sent < size:
        yield piece
        sent += len(piece)
    yield b"0.5]"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # the body ends when the connection closes: no length to trust
    server: HostileServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._route()

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        if length:
            self.rfile.read(min(length, 1 << 20))
        self._route()

    def _route(self) -> None:
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        route = getattr(self, "_route_" + parts.path.strip("/").replace("-", "_"), None)
        if route is None:
            self._head(404, "application/json")
            self.wfile.write(b'{"error": "no such route"}')
            return
        self.server.hits += 1
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            route(query)  # a client that hangs up mid-answer is what the tests want

    def _head(self, status: int, kind: str, **headers: str) -> None:
        self.send_response(status)
        self.send_header("content-type", kind)
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()

    def _send(self, data: bytes) -> bool:
        """Write and flush; False once the server is closing (ends every endless answer)."""
        if self.server.closing.is_set():
            return False
        self.wfile.write(data)
        self.wfile.flush()
        self.server.sent += len(data)
        return True

    def _route_endless_sse(self, query: dict[str, str]) -> None:
        interval = float(query.get("interval", "0.01"))
        self._head(200, "text/event-stream")
        index = 0
        while self._send(_token_event(index)):
            index += 1
            time.sleep(interval)

    def _route_endless_line(self, query: dict[str, str]) -> None:
        self._head(200, "text/event-stream")
        self._send(b'data: {"token": "')
        while self._send(b"x" * _CHUNK):
            pass

    def _route_huge_json(self, query: dict[str, str]) -> None:
        self._head(200, "application/json")
        for chunk in _json_list(int(query.get("size", str(4 * GiB)))):
            if not self._send(chunk):
                return

    def _route_gzip_bomb(self, query: dict[str, str]) -> None:
        self._head(200, "application/json", content_encoding="gzip")
        packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        for chunk in _json_list(int(query.get("size", str(4 * GiB)))):
            packed = packer.compress(chunk)
            if packed and not self._send(packed):
                return
        self._send(packer.flush())

    def _route_trickle(self, query: dict[str, str]) -> None:
        interval = float(query.get("interval", "0.05"))
        self._head(200, "application/json")
        for chunk in _json_list(GiB):
            for byte in chunk:
                if not self._send(bytes([byte])):
                    return
                time.sleep(interval)

    def _route_tgi_error(self, query: dict[str, str]) -> None:
        status = int(query.get("status", "422"))
        body = {"error": query.get("message", "Input validation error"), "error_type": query.get("type")}
        self._head(status, "application/json")
        self._send(json.dumps({k: v for k, v in body.items() if v is not None}).encode())

    def _route_stream_error(self, query: dict[str, str]) -> None:
        self._head(200, "text/event-stream")
        self._send(_token_event(0) + _token_event(1))
        error = {"error": "CUDA out of memory", "error_type": query.get("type", "generation")}
        self._send(b"data: " + json.dumps(error).encode() + b"\n\n")


class HostileServer(ThreadingHTTPServer):
    """Serves the routes above on ``127.0.0.1`` from a daemon thread; ``url`` is its base URL."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.closing = threading.Event()
        self.hits = 0
        self.sent = 0  # bytes written to clients, all routes together
        self.url = f"http://127.0.0.1:{self.server_port}"
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05})
        self._thread.daemon = True
        self._thread.start()

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that hung up mid-answer is the expected outcome

    def close(self) -> None:
        self.closing.set()
        self.shutdown()
        self.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> HostileServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
