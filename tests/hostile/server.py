"""A hostile Inference Endpoints API on a loopback socket: the emulator, with attacks on some routes.

``HostileServer`` answers every request the emulator's way (the emulator mounted in-process behind a
real ``http.server`` socket) unless a rule matches it: then the rule's attack answers instead. Each
attack is bounded on the server's side too (slow answers stop when the client leaves, when the
server closes, or after ``SLOW_MAX`` seconds), so no test can hang on its own fixture.

Attacks (``Rule.action``): ``raw`` (any status, bytes and headers), ``redirect``, ``gzip_bomb``,
``huge``, ``huge_declared``, ``endless_cursor``, ``repeating_cursor``, ``slow_headers``,
``slow_body``, ``json`` (any status and body: wrong types, names like ``..``), ``echo_secrets``
(the request's secrets echoed back in an error, in many forms), ``rate_limited`` (429 +
Retry-After) and ``refuse_limit`` (400 when ``limit`` is above a maximum).
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import http.server
import json
import re
import socket
import struct
import threading
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from reconciler.emulator import Durations, Emulator, EmulatorConfig, Identity

TOKEN = "hf_HOSTILEtoken0123456789"
SLOW_MAX = 120.0
BOMB_INFLATED = 2**30  # the gzip bomb inflates to 1 GiB


@dataclass
class Rule:
    """Answer requests matching ``method`` and the ``path`` regex with ``action`` (``times``: how
    often; None = always). ``args`` are the action's parameters."""

    method: str
    path: str
    action: str
    args: dict[str, Any] = field(default_factory=dict)
    times: int | None = None

    def matches(self, method: str, path: str) -> bool:
        return (self.method in ("*", method)) and re.fullmatch(self.path, path) is not None


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    at: float


@functools.cache
def gzip_bomb() -> bytes:
    """A valid gzip member of ``BOMB_INFLATED`` zero bytes, about 1 MiB on the wire.

    Built in a fraction of a second: after a full flush deflate forgets its window, so each 1 MiB
    block of zeros compresses to the same bytes, written 1024 times; the trailer's CRC-32 and length
    are those of the whole 1 GiB.
    """
    block = bytes(2**20)
    squeeze = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    piece = squeeze.compress(block) + squeeze.flush(zlib.Z_FULL_FLUSH)
    count = BOMB_INFLATED // len(block)
    crc = 0
    for _ in range(count):
        crc = zlib.crc32(block, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    last = squeeze.flush(zlib.Z_FINISH)
    trailer = struct.pack("<II", crc, BOMB_INFLATED % 2**32)
    return header + piece * count + last + trailer


def secret_values(payload: Any) -> list[str]:
    """The secret values of a create/update payload (``model.secrets``, registry passwords)."""
    found: list[str] = []
    if isinstance(payload, dict):
        model = payload.get("model") or {}
        found += [v for v in (model.get("secrets") or {}).values() if isinstance(v, str)]
        for variant in (model.get("image") or {}).values():
            password = ((variant or {}).get("credentials") or {}).get("password")
            if isinstance(password, str):
                found.append(password)
    return found


def echoed(secret: str) -> str:
    """A careless server's error text that quotes ``secret`` in every way servers do."""
    raw = secret.encode()
    lines = secret.splitlines()
    return "\n".join(
        [
            f"invalid value {secret}",
            f"payload: {json.dumps({'value': secret})}",
            f"escaped: {json.dumps(json.dumps(secret))}",
            f"b64: {base64.b64encode(raw).decode()}",
            f"urlsafe: {base64.urlsafe_b64encode(raw).decode().rstrip('=')}",
            *[f"line {i}: {line}" for i, line in enumerate(lines) if len(lines) > 1],
            f"truncated: {secret[: max(len(secret) // 2, 12)]}…",
            f"cut: {secret[:256]}",
        ]
    )


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes: without this, delayed ACKs cost 40 ms a request.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _serve(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        hostile = self.server.owner
        seen = Seen(
            self.command, parts.path, parse_qs(parts.query), dict(self.headers.items()), body, time.time()
        )
        hostile.record(seen)
        rule = hostile.take_rule(self.command, parts.path)
        if rule is None:
            self._forward(parts, body)
        else:
            getattr(self, f"_{rule.action}")(seen, **rule.args)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

    # --- plumbing ------------------------------------------------------------------------------

    def _answer(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(
        self, seen: Seen, status: int = 200, body: Any = None, headers: dict[str, str] | None = None
    ) -> None:
        self._answer(
            status, json.dumps(body).encode(), {"Content-Type": "application/json", **(headers or {})}
        )

    def _forward(self, parts: Any, body: bytes) -> None:
        headers = {k: v for k, v in self.headers.items() if k.lower() in ("authorization", "content-type")}
        url = "http://emulator.hfleet.local" + parts.path + (f"?{parts.query}" if parts.query else "")
        answer = self.server.owner.upstream.request(self.command, url, headers=headers, content=body)
        kept = {k: v for k, v in answer.headers.items() if k.lower() in ("content-type", "retry-after")}
        self._answer(answer.status_code, answer.content, kept)

    def _drip(self, data: Iterator[bytes], interval: float) -> None:
        """Write ``data`` one piece per ``interval`` until the client leaves or the server closes."""
        stop = self.server.owner.closing
        ends = time.monotonic() + SLOW_MAX
        try:
            for piece in data:
                if stop.is_set() or time.monotonic() > ends:
                    break
                self.wfile.write(piece)
                self.wfile.flush()
                stop.wait(interval)
        except OSError:
            pass
        self.close_connection = True

    # --- attacks -------------------------------------------------------------------------------

    def _raw(
        self, seen: Seen, status: int = 200, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> None:
        self._answer(status, body, headers)

    def _redirect(self, seen: Seen, status: int, location: str) -> None:
        self._answer(status, b"", {"Location": location})

    def _gzip_bomb(self, seen: Seen) -> None:
        headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
        self._answer(200, gzip_bomb(), headers)

    def _huge(self, seen: Seen, size: int = 256 * 2**20) -> None:
        """``size`` bytes of a JSON-looking body, chunked (no Content-Length to refuse early)."""
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        block = b'{"items": [' + b" " * (2**20 - 11)
        sent = 0
        try:
            while sent < size and not self.server.owner.closing.is_set():
                self.wfile.write(b"%x\r\n%s\r\n" % (len(block), block))
                sent += len(block)
                block = b" " * 2**20
            self.wfile.write(b"0\r\n\r\n")
        except OSError:
            pass
        self.close_connection = True

    def _huge_declared(self, seen: Seen, size: int = 2**40) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(size))
        self.end_headers()
        self.close_connection = True

    def _endless_cursor(self, seen: Seen) -> None:
        n = self.server.owner.bump("cursor")
        self._json(seen, 200, {"items": [], "nextCursor": f"page-{n}"})

    def _repeating_cursor(self, seen: Seen, cycle: int = 2) -> None:
        n = self.server.owner.bump("cursor")
        self._json(seen, 200, {"items": [], "nextCursor": f"loop-{n % cycle}"})

    def _slow_headers(self, seen: Seen, interval: float = 0.2) -> None:
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Slow: "
        self._drip(iter([head, *(b"a" for _ in range(10**6))]), interval)

    def _slow_body(self, seen: Seen, interval: float = 0.2) -> None:
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n"
        self._drip(iter([head, b'{"items": [', *(b" " for _ in range(10**6))]), interval)

    def _echo_secrets(self, seen: Seen, status: int = 400) -> None:
        try:
            payload = json.loads(seen.body or b"null")
        except ValueError:
            payload = None
        secrets = secret_values(payload)
        token = seen.headers.get("Authorization", "").removeprefix("Bearer ")
        text = "\n".join(echoed(s) for s in [*secrets, token] if s)
        self._json(seen, status, {"error": text, "detail": text})

    def _rate_limited(self, seen: Seen, retry_after: str = "3600") -> None:
        self._json(seen, 429, {"error": "slow down"}, {"Retry-After": retry_after})

    def _refuse_limit(self, seen: Seen, maximum: int = 20) -> None:
        limit = seen.query.get("limit", [""])[0]
        if limit.isdigit() and int(limit) > maximum:
            self._json(seen, 400, {"error": f"limit must be at most {maximum}"})
            return
        path = seen.path + (
            "?" + "&".join(f"{k}={v[0]}" for k, v in seen.query.items()) if seen.query else ""
        )
        self._forward(urlsplit(path), seen.body)


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    owner: HostileServer


class HostileServer:
    """The emulator behind a real loopback socket, with ``rules`` of attacks; a context manager."""

    def __init__(self, emulator: Emulator | None = None) -> None:
        self.emulator = emulator or Emulator(
            EmulatorConfig(identities={TOKEN: Identity("emulator", ("emulator-org",))}, durations=Durations())
        )
        self.upstream = httpx.Client(transport=self.emulator.transport())
        self.rules: list[Rule] = []
        self.seen: list[Seen] = []
        self.closing = threading.Event()
        self._counters: dict[str, int] = {}
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.closing.set()
        self._server.shutdown()
        self._server.server_close()
        self.upstream.close()

    def add(
        self, method: str, path: str, action: str, times: int | None = None, **args: Any
    ) -> HostileServer:
        with self._lock:
            self.rules.append(Rule(method, path, action, args, times))
        return self

    def take_rule(self, method: str, path: str) -> Rule | None:
        with self._lock:
            for i, rule in enumerate(self.rules):
                if rule.matches(method, path):
                    if rule.times is not None:
                        rule.times -= 1
                        if rule.times <= 0:
                            del self.rules[i]
                    return dataclasses.replace(rule)
        return None

    def record(self, seen: Seen) -> None:
        with self._lock:
            self.seen.append(seen)

    def requests(self, method: str | None = None, path: str | None = None) -> list[Seen]:
        with self._lock:
            return [
                s
                for s in self.seen
                if (method is None or s.method == method) and (path is None or re.fullmatch(path, s.path))
            ]

    def set_when_seen(self, event: threading.Event, method: str, path: str, timeout: float = 30.0) -> None:
        """Set ``event`` (e.g. a client's stop) once a request to ``path`` has reached this server, so
        a test stops the client while it is provably inside the call, not after a guessed delay."""

        def watch() -> None:
            deadline = time.monotonic() + timeout
            while not self.requests(method, path) and time.monotonic() < deadline:
                time.sleep(0.01)
            event.set()

        threading.Thread(target=watch, daemon=True).start()

    def bump(self, name: str) -> int:
        with self._lock:
            self._counters[name] = self._counters.get(name, 0) + 1
            return self._counters[name]
