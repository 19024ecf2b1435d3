"""Serving the emulator on a loopback socket: a threaded HTTP/1.1 server and ``emulator serve``.

Owns: ``ServerHandle`` (start in a thread, ``url``, context manager), ``ServeOptions`` (every option
of ``emulator serve``) and ``run(options)``, the one function behind ``hfleet emulator serve`` and
``python -m reconciler.emulator``; ``serve_command``, the click command that parses the options
once and calls ``run``. Called by: tests, the benchmark, users rehearsing in CI, the CLI.
Must not: import anything else of ``reconciler``; read the environment anywhere but in
``serve_command``'s option declarations.

Keep-alive HTTP/1.1 with one thread per connection (64+ concurrent connections), chunked encoding
for streams, and a dropped connection (fault ``drop`` or ``lost_response``) closes the socket
without a byte of answer, exactly what a client sees when a proxy dies. A body above
``wire.MAX_BODY`` is refused (413) before it is read.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal

import click

from reconciler.emulator import app as app_mod
from reconciler.emulator import config as config_mod
from reconciler.emulator import faults, lifecycle, wire

__all__ = ["ServeOptions", "ServerHandle", "main", "run", "serve_command"]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256
    allow_reuse_address = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up (a timed-out request, an abandoned stream) is routine: no traceback.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # A response is two writes (status + headers, then the body). With Nagle's algorithm the body
    # waits for the client's ACK of the headers, which Linux delays by up to 40 ms: every call took
    # latency + ~44 ms on loopback (bench/results.md). TCP_NODELAY sends both at once.
    disable_nagle_algorithm = True
    emulator: app_mod.Emulator

    def _refuse(self, status: int, message: str) -> None:
        payload = wire.json_bytes({"error": message})
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(payload)
        self.close_connection = True

    def _serve(self) -> None:
        path, _, query = self.path.partition("?")
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return self._refuse(400, "bad Content-Length")
        if length < 0 or length > wire.MAX_BODY:
            return self._refuse(413, "request body too large")
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        host = headers.get("host") or "127.0.0.1"
        request = wire.Request(self.command, path, query, headers, body, f"http://{host}")
        try:
            status, out_headers, payload = self.emulator.handle(request)
        except wire.Drop:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return None
        self.send_response(status)
        for key, value in out_headers.items():
            self.send_header(key, value)
        if isinstance(payload, bytes):
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return None
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
        return None

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


@dataclass(frozen=True)
class ServeOptions:
    """Every option of ``emulator serve``. ``faults``: a JSON/YAML file of rules, or JSON text;
    ``identities``: extra ``TOKEN=USER[:ORG,...]`` (``hf_emulator`` is always there); ``seed``: a
    JSON file of endpoint records (docs/emulator.md); ``speed``: ``demo`` (a few seconds per
    transition) or ``instant``."""

    host: str = "127.0.0.1"
    port: int = 8765
    state: str | None = None
    faults: str | None = None
    speed: Literal["instant", "demo"] = "demo"
    latency: float = 0.0
    identities: tuple[str, ...] = ()
    seed: str | None = None
    max_page_limit: int = 100
    cpu_quota: int = field(default_factory=lambda: config_mod.EmulatorConfig().default_cpu_quota)
    gpu_quota: int = field(default_factory=lambda: config_mod.EmulatorConfig().default_gpu_quota)

    def to_config(self) -> config_mod.EmulatorConfig:
        """The emulator's configuration; ``ValueError`` for a bad identity or fault file."""
        identities = config_mod.default_identities()
        identities.update(config_mod.parse_identity(item) for item in self.identities)
        return config_mod.EmulatorConfig(
            identities=identities,
            durations=lifecycle.Durations() if self.speed == "instant" else lifecycle.Durations.demo(),
            state_path=self.state,
            faults=faults.load_rules(self.faults) if self.faults else [],
            latency=self.latency,
            max_page_limit=self.max_page_limit,
            default_cpu_quota=self.cpu_quota,
            default_gpu_quota=self.gpu_quota,
            seed_file=self.seed,
        )


def run(
    options: ServeOptions,
    *,
    stop: threading.Event | None = None,
    ready: Callable[[str], None] | None = None,
) -> int:
    """Serve until SIGTERM / Ctrl-C (or ``stop`` is set); returns the exit code (0).

    ``ready`` is called with the URL once the socket listens (default: a line on stderr). Signal
    handlers are installed only in the main thread.
    """
    emulator = app_mod.Emulator(options.to_config())
    handle = ServerHandle(emulator, options.host, options.port)
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
    handle.start()
    announce = ready or (
        lambda url: print(f"emulator listening on {url} (token hf_emulator)", file=sys.stderr, flush=True)
    )
    announce(handle.url)
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        handle.close()
        emulator.close()
    return 0


def _check(options: ServeOptions) -> None:
    try:
        options.to_config()
    except (ValueError, OSError) as exc:
        raise click.UsageError(str(exc)) from None


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8765, show_default=True, type=int, help="Port (0: any free one).")
@click.option("--state", default=None, metavar="FILE", help="SQLite file of the state (default: in memory).")
@click.option(
    "--faults",
    default=None,
    metavar="FILE",
    envvar="HFLEET_EMULATOR_FAULTS",
    help="JSON/YAML file of fault rules, or JSON text [env HFLEET_EMULATOR_FAULTS].",
)
@click.option("--speed", type=click.Choice(["instant", "demo"]), default="demo", show_default=True)
@click.option("--latency", type=float, default=0.0, show_default=True, help="Seconds added to each /v2 call.")
@click.option(
    "--identity",
    "identities",
    multiple=True,
    metavar="TOKEN=USER[:ORG,...]",
    help="An extra identity (repeatable); hf_emulator = emulator:emulator-org is always there.",
)
@click.option("--seed", default=None, metavar="FILE", help="JSON file of endpoint records to start with.")
@click.option(
    "--max-page-limit", type=int, default=100, show_default=True, help="Largest list limit accepted."
)
@click.option("--cpu-quota", type=int, default=ServeOptions().cpu_quota, show_default=True)
@click.option("--gpu-quota", type=int, default=ServeOptions().gpu_quota, show_default=True)
def serve_command(**values: Any) -> None:
    """Serve the emulator on HOST:PORT (token `hf_emulator`; user `emulator`, org `emulator-org`).

    Point any client at it: hfleet with `--api-url http://HOST:PORT/v2`, huggingface_hub by setting
    `huggingface_hub.constants.INFERENCE_ENDPOINTS_ENDPOINT` to the same URL.
    """
    values["identities"] = tuple(values["identities"])
    options = ServeOptions(**values)
    _check(options)
    sys.exit(run(options))


def main(argv: list[str] | None = None) -> int:
    """``serve_command`` on an argument list, for callers that still pass one (the CLI, until it
    mounts ``serve_command`` or calls ``run``). The options are parsed once, by click."""
    try:
        serve_command.main(args=argv, prog_name="hfleet emulator serve", standalone_mode=True)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0
