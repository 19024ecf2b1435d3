"""Settings and connections: one object says how to reach the API, the other holds the connection.

Owns: ``Settings`` (API URL, token, emulator, timeouts, retry policy, state directory, parallelism:
built once by the CLI from flags and the environment, never read from the environment deeper in),
``Session`` / ``connect`` (an API client for the real API or the embedded emulator) and
``fleet_lock``. Called by: the CLI, the controller and tests. Must not: plan or apply.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import filelock
import httpx

from reconciler import errors
from reconciler.api import client as api_client
from reconciler.api import retry
from reconciler.net import limits as net_limits
from reconciler.net import transport as net_transport
from reconciler.net import urls

__all__ = [
    "DEFAULT_API_URL",
    "EMULATOR_BASE",
    "EMULATOR_TOKEN",
    "Session",
    "Settings",
    "connect",
    "fleet_lock",
]

DEFAULT_API_URL = "https://api.endpoints.huggingface.cloud/v2"
EMULATOR_BASE = "http://emulator.hfleet.localhost"
EMULATOR_TOKEN = "hf_emulator"


@dataclass(frozen=True)
class Settings:
    """How to reach the API. The CLI builds it; everything below takes it as an argument."""

    api_url: str = DEFAULT_API_URL
    token: str | None = field(default=None, repr=False)
    emulator_state: Path | None = None  # a SQLite file: the embedded emulator instead of the API
    emulator_speed: str = "demo"  # "demo" (a few seconds per transition) or "instant"
    state_dir: Path = Path(".hfleet")
    parallelism: int = 16
    limits: net_limits.Limits = field(default_factory=net_limits.Limits)  # deadlines, sizes, pages
    retry: retry.RetryPolicy | None = None
    insecure_http: bool = False


@dataclass
class Session:
    """An API client and what must be closed with it."""

    api: api_client.EndpointsApi
    http: httpx.Client
    settings: Settings
    emulator: Any = None
    stop: threading.Event = field(default_factory=threading.Event)

    @property
    def token(self) -> str | None:
        return self.settings.token if self.emulator is None else (self.settings.token or EMULATOR_TOKEN)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def connect(settings: Settings, *, transport: httpx.BaseTransport | None = None) -> Session:
    """A client of the real API at ``settings.api_url``, or of the embedded emulator when
    ``settings.emulator_state`` is set (a SQLite file, so successive runs share one emulated cloud).

    Every request is bounded (``reconciler.net``: a deadline over connect and every read, body and
    decompression limits, no redirect across origins or of a write), and plain http goes only to
    this machine unless ``insecure_http``: the token never travels in clear text by accident.
    """
    emulator = None
    api_url, token = settings.api_url, settings.token
    if settings.emulator_state is not None:
        from reconciler import emulator as emulator_pkg

        path = settings.emulator_state
        path.parent.mkdir(parents=True, exist_ok=True)
        durations = (
            emulator_pkg.Durations()
            if settings.emulator_speed == "instant"
            else emulator_pkg.Durations.demo()
        )
        emulator = emulator_pkg.Emulator(emulator_pkg.EmulatorConfig(state_path=path, durations=durations))
        transport = emulator.transport()
        api_url = EMULATOR_BASE + "/v2"
        token = token or EMULATOR_TOKEN
    if not token:
        raise errors.ReconcilerError(
            "no token: set HF_TOKEN, pass --token, or log in with `hf auth login` (a token with access to "
            "the namespace)"
        )
    urls.require_secure(api_url, allow_insecure_http=settings.insecure_http, what="API URL")
    http = net_transport.client(
        settings.limits,
        allow_insecure_http=settings.insecure_http,
        max_connections=max(settings.parallelism, 8) + 4,
        transport=transport,
    )
    stop = threading.Event()
    api = api_client.EndpointsApi(http, api_url, token, settings.retry, bounds=settings.limits, stop=stop)
    return Session(api, http, settings, emulator, stop)


@contextlib.contextmanager
def fleet_lock(fleet: str, directory: Path, timeout: float = 0.0) -> Iterator[Path]:
    """Hold an exclusive lock on the fleet for the duration of an apply (same host or shared volume).

    ``timeout`` seconds to wait for another run to finish; ``LockHeld`` after that. It is an OS file
    lock (``filelock``: fcntl on POSIX, msvcrt on Windows), so a killed run never leaves a stale
    lock behind (terraform's classic complaint). The holder writes who it is beside the lock.
    """
    folder = directory / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{fleet}.lock"
    holder = folder / f"{fleet}.holder"
    lock = filelock.FileLock(str(path))
    try:
        lock.acquire(timeout=max(timeout, 0.0), poll_interval=0.2)
    except filelock.Timeout:
        who = holder.read_text().strip() if holder.exists() else "another process"
        raise errors.LockHeld(
            f"fleet {fleet!r} is being applied by {who}; wait for it or use --lock-timeout"
        ) from None
    try:
        holder.write_text(f"pid {os.getpid()} since {datetime.now(UTC).isoformat(timespec='seconds')}\n")
        yield path
    finally:
        lock.release()
