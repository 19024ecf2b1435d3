"""Shared machinery of the reliability suite: served emulators (thread or process), the CLI, checks.

Everything here talks real HTTP over loopback: either ``Emulator.serve()`` in a thread of the test
process (so a test can read the emulator's request log and inject faults), or
``python -m reconciler.emulator`` in its own process with SQLite state (for kill tests).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from reconciler import cli
from reconciler.api import retry
from reconciler.emulator import Durations, Emulator, EmulatorConfig, Identity
from reconciler.engine import session as session_mod
from tests.conftest import write_fleet

ROOT = Path(__file__).resolve().parents[2]
WRITES = ("POST", "PUT", "DELETE", "PATCH")
TOKEN = "hf_emulator"
# A secret-looking token the served emulators also accept (user "alice", no organization).
ALICE_TOKEN = "hf_SECRETtoken123456"
IDENTITIES = {
    TOKEN: Identity("emulator", ("emulator-org",)),
    ALICE_TOKEN: Identity("alice", ()),
}
# Retries without waiting: the faults tests ride out hundreds of them in milliseconds.
FAST = retry.RetryPolicy(attempts=6, sleep=lambda _: None)
SOAK = os.environ.get("HFLEET_SOAK") == "1"
# Long runs: marked ``soak`` (selected by ``make soak``) and skipped unless HFLEET_SOAK=1.
soak_only = [pytest.mark.soak, pytest.mark.skipif(not SOAK, reason="long run: make soak (HFLEET_SOAK=1)")]


def new_emulator(**config: Any) -> Emulator:
    config.setdefault("identities", dict(IDENTITIES))
    config.setdefault("durations", Durations())
    return Emulator(EmulatorConfig(**config))


def reset(emulator: Emulator) -> None:
    """Empty the emulator (records, faults, request log) between tests sharing one server."""
    emulator.reset()


@contextlib.contextmanager
def no_faults(emulator: Emulator) -> Iterator[None]:
    """Suspend the fault rules while the test itself looks (only between runs, never during one)."""
    with emulator.faults_suspended():
        yield


def writes(emulator: Emulator) -> list[Any]:
    return [r for r in emulator.requests if r.method in WRITES]


def connect(url: str, token: str = TOKEN, **kwargs: Any) -> session_mod.Session:
    """An engine connection to a served emulator over real sockets, retrying without sleeping."""
    kwargs.setdefault("retry", FAST)
    return session_mod.connect(session_mod.Settings(api_url=url + "/v2", token=token, **kwargs))


def wait_quiet(emulator: Emulator, quiet: float = 1.0, timeout: float = 30.0) -> None:
    """Wait until the emulator's request log has not grown for ``quiet`` seconds (requests slowed by
    a latency fault have all finished), rather than sleeping a guessed time that a loaded machine
    can overrun."""
    deadline = time.monotonic() + timeout
    count, since = len(emulator.requests), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.05)
        now = len(emulator.requests)
        if now != count:
            count, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return
    raise AssertionError(f"the emulator kept receiving requests for {timeout:.0f}s")


def run_cli(
    *args: str, env: Mapping[str, str] | None = None, input: str | None = None
) -> tuple[int, str, str]:
    """``hfleet ARGS`` in-process (click's CliRunner); returns (exit code, stdout, stderr).

    It retries as usual but at once (``HFLEET_RETRY_BASE=0``, unless ``env`` says otherwise): the
    tests count attempts, not seconds. Child processes (``hfleet_process``) keep the real backoff.
    """
    environ = {"HFLEET_RETRY_BASE": "0", **(env or {})}
    result = CliRunner().invoke(cli.cli, list(args), input=input, env=environ, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def write_specs(
    directory: Path,
    endpoints: Mapping[str, str],
    *,
    fleet: str = "team",
    namespace: str = "emulator",
) -> Path:
    """A fleet directory: ``endpoints`` maps each name to extra YAML lines (replaces older files)."""
    return write_fleet(directory, dict(endpoints), fleet=fleet, namespace=namespace)


def live_by_name(url: str, namespace: str = "emulator", token: str = TOKEN) -> dict[str, dict[str, Any]]:
    """Every endpoint of ``namespace`` as the API lists it, checking that no name appears twice."""
    conn = connect(url, token)
    try:
        items = conn.api.list_endpoints(namespace)
    finally:
        conn.close()
    names = [i["name"] for i in items]
    assert len(names) == len(set(names)), f"duplicate endpoints listed: {names}"
    return {i["name"]: i for i in items}


class EmulatorProcess:
    """``python -m reconciler.emulator`` in its own process (SQLite state), stopped by ``close``."""

    def __init__(self, state: Path, *, latency: float = 0.0, faults: Path | None = None) -> None:
        argv = [sys.executable, "-m", "reconciler.emulator", "--port", "0", "--speed", "instant"]
        argv += ["--state", str(state), "--latency", str(latency)]
        if faults is not None:
            argv += ["--faults", str(faults)]
        self.proc = subprocess.Popen(
            argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=subprocess_env()
        )
        assert self.proc.stderr is not None
        line = self.proc.stderr.readline()  # "emulator listening on http://127.0.0.1:PORT (token ...)"
        match = re.search(r"(http://127\.0\.0\.1:\d+)", line)
        if match is None:
            self.close()
            raise RuntimeError(f"emulator did not start: {line!r}")
        self.url = match.group(1)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self.proc.stderr is not None:
            self.proc.stderr.close()

    def __enter__(self) -> EmulatorProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def subprocess_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("HF_TOKEN", "HFLEET_API_URL")}
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.update(extra)
    return env


def hfleet_process(url: str, *args: str, state_dir: Path, **popen: Any) -> subprocess.Popen[str]:
    """``python -m reconciler --api-url URL/v2 --token hf_emulator ARGS`` as a child process."""
    argv = [sys.executable, "-m", "reconciler", "--api-url", url + "/v2", "--token", TOKEN]
    argv += ["--log-format", "json", "-v", *args]  # -v: the info events (apply.change.started...)
    popen.setdefault("stdout", subprocess.PIPE)
    popen.setdefault("stderr", subprocess.PIPE)
    return subprocess.Popen(
        argv, text=True, env=subprocess_env(HFLEET_STATE_DIR=str(state_dir)), cwd=str(ROOT), **popen
    )


def hfleet_run(url: str, *args: str, state_dir: Path, timeout: float = 60) -> tuple[int, str, str]:
    proc = hfleet_process(url, *args, state_dir=state_dir)
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


@contextlib.contextmanager
def served(**config: Any) -> Iterator[tuple[Emulator, str]]:
    """An emulator served on loopback in a thread of this process: (emulator, base URL)."""
    emulator = new_emulator(**config)
    handle = emulator.serve()
    try:
        yield emulator, handle.url
    finally:
        handle.close()
        emulator.close()


def wait_for(predicate: Any, timeout: float = 20.0, interval: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(interval)


def get_json(url: str, path: str, token: str | None = TOKEN) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.get(url + path, headers=headers, timeout=10)
