"""Serving the emulator on a loopback socket: a threaded HTTP/1.1 server, and ``main`` for the CLI.

Owns: ``ServerHandle`` (start in a thread, ``url``, context manager) and ``main(argv)`` behind
``hfleet emulator serve`` and ``python -m reconciler.emulator``. Called by: tests, the benchmark,
users rehearsing in CI. Must not: import anything else of ``reconciler``.

Keep-alive HTTP/1.1 with one thread per connection (64+ concurrent connections), chunked encoding
for streams, and a dropped connection (fault ``drop`` or ``lost_response``) closes the socket
without a byte of answer, exactly what a client sees when a proxy dies.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from reconciler.emulator import app as app_mod
from reconciler.emulator import faults, wire

__all__ = ["ServerHandle", "main"]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256
    allow_reuse_address = True


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # A response is two writes (status + headers, then the body). With Nagle's algorithm the body
    # waits for the client's ACK of the headers, which Linux delays by up to 40 ms: every call took
    # latency + ~44 ms on loopback (bench/results.md). TCP_NODELAY sends both at once.
    disable_nagle_algorithm = True
    emulator: app_mod.Emulator

    def _serve(self) -> None:
        path, _, query = self.path.partition("?")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        host = headers.get("host") or "127.0.0.1"
        try:
            status, out_headers, payload = self.emulator.handle(
                self.command, path, query, headers, body, f"http://{host}"
            )
        except wire.Drop:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_response(status)
        for key, value in out_headers.items():
            self.send_header(key, value)
        if isinstance(payload, bytes):
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            for chunk in payload:
                if chunk:
                    self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                    self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

    def log_message(self, format: str, *args: Any) -> None:
        return  # the emulator's request log is ``Emulator.requests``


class ServerHandle:
    """A running loopback server. ``with emulator.serve() as server: server.url``."""

    def __init__(self, emulator: app_mod.Emulator, host: str = "127.0.0.1", port: int = 0) -> None:
        handler = type("Handler", (_Handler,), {"emulator": emulator})
        self.emulator = emulator
        self.server = _Server((host, port), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, name="hfleet-emulator", daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> ServerHandle:
        self.thread.start()
        return self

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> ServerHandle:
        return self

    def __exit__(
        self, *exc: tuple[type[BaseException] | None, BaseException | None, TracebackType | None]
    ) -> None:
        self.close()


def main(argv: list[str] | None = None) -> int:
    """``hfleet emulator serve``: serve until interrupted."""
    parser = argparse.ArgumentParser(prog="hfleet emulator serve", description="Serve the emulator.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--state", default=None, help="SQLite file (default: in memory)")
    parser.add_argument("--faults", default=None, help="JSON/YAML file of fault rules")
    parser.add_argument("--speed", choices=["instant", "demo"], default="demo")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to each control-plane call")
    parser.add_argument(
        "--identity",
        action="append",
        default=[],
        metavar="TOKEN=USER[:ORG,...]",
        help="an extra identity (repeatable); hf_emulator = emulator:emulator-org is always there",
    )
    args = parser.parse_args(argv)
    durations = app_mod.Durations() if args.speed == "instant" else app_mod.Durations.demo()
    source = args.faults or os.environ.get("HFLEET_EMULATOR_FAULTS")
    rules = faults.load_rules(source) if source else []
    identities = dict(app_mod.EmulatorConfig().identities)
    for item in args.identity:
        token, _, who = item.partition("=")
        user, _, orgs = who.partition(":")
        if not token or not user:
            parser.error(f"--identity {item!r}: expected TOKEN=USER[:ORG,...]")
        identities[token] = app_mod.Identity(user, tuple(o for o in orgs.split(",") if o))
    emulator = app_mod.Emulator(
        app_mod.EmulatorConfig(
            state_path=args.state,
            durations=durations,
            faults=rules,
            latency=args.latency,
            identities=identities,
        )
    )
    handle = ServerHandle(emulator, args.host, args.port)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    handle.start()
    print(f"emulator listening on {handle.url} (token hf_emulator)", file=sys.stderr, flush=True)
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        handle.close()
        emulator.close()
    return 0
