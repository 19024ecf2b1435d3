"""SIGTERM ends hfleet promptly in every wait (issue 13 item 6): a Retry-After sleep, a slow read,
and an ``apply --wait`` poll. Before, ``reconcile`` was still running 116 s after SIGTERM.

Each test starts the real CLI in a child process against the hostile server, waits until the child
is provably inside the wait (the server saw the request that put it there), sends SIGTERM and
measures how long the child takes to exit. The bound is generous for a loaded 2-core machine
(``PROMPT`` seconds) and far below the waits themselves (30 s and more).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.conftest import write_fleet
from tests.hostile.conftest import ROOT
from tests.hostile.server import TOKEN, HostileServer

LIST = "/v2/endpoint/emulator"
PROMPT = 8.0  # seconds from SIGTERM to exit, at most


def _start(hostile: HostileServer, tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HFLEET_"))}
    env.update(PYTHONPATH=str(ROOT), HFLEET_STATE_DIR=str(tmp_path / "state"))
    argv = [sys.executable, "-m", "reconciler", "--api-url", hostile.url + "/v2", "--token", TOKEN]
    argv += ["--log-format", "json", *args]
    return subprocess.Popen(
        argv, env=env, cwd=str(ROOT), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _wait_until(check: object, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "the child never reached the wait"
        time.sleep(0.05)


class _Stderr:
    """The child's stderr, read in a thread (the pipe never fills) and watched for a log event."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self.thread = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self.thread.start()

    def _read(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            self.lines.append(line)

    def seen(self, event: str) -> bool:
        return any(f'"{event}"' in line for line in list(self.lines))


def _terminate(proc: subprocess.Popen[str], stderr: _Stderr) -> tuple[float, str]:
    sent = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=PROMPT * 3)
    finally:
        if proc.poll() is None:
            proc.kill()
    seconds = time.monotonic() - sent
    stderr.thread.join(timeout=10)
    for pipe in (proc.stdout, proc.stderr):
        if pipe is not None:
            pipe.close()
    return seconds, "".join(stderr.lines)


def test_reconcile_stops_promptly_during_a_retry_after_sleep(tmp_path: Path) -> None:
    specs = write_fleet(tmp_path / "specs", {"a": ""})
    with HostileServer() as hostile:
        hostile.add("GET", LIST, "rate_limited", retry_after="45")
        proc = _start(hostile, tmp_path, "reconcile", str(specs), "--listen", "", "--interval", "5m")
        stderr = _Stderr(proc)
        _wait_until(lambda: stderr.seen("api.retry"))  # logged just before the 45 s sleep starts
        seconds, err = _terminate(proc, stderr)
    assert seconds < PROMPT, f"took {seconds:.1f}s after SIGTERM\n{err[-2000:]}"
    assert proc.returncode == 0, err[-2000:]
    assert "Traceback" not in err


def test_reconcile_stops_promptly_during_a_slow_read(tmp_path: Path) -> None:
    specs = write_fleet(tmp_path / "specs", {"a": ""})
    with HostileServer() as hostile:
        hostile.add("GET", LIST, "slow_body", interval=1.0)
        proc = _start(hostile, tmp_path, "reconcile", str(specs), "--listen", "", "--interval", "5m")
        stderr = _Stderr(proc)
        _wait_until(lambda: hostile.requests("GET", LIST))  # the server is now trickling the body
        seconds, err = _terminate(proc, stderr)
    assert seconds < PROMPT, f"took {seconds:.1f}s after SIGTERM\n{err[-2000:]}"
    assert "Traceback" not in err


def test_apply_wait_stops_promptly_while_polling(tmp_path: Path) -> None:
    """An endpoint that stays ``initializing``: ``apply --wait`` polls it until SIGTERM, then stops
    at once and reports the run as not finished (exit 1), nothing left half-written."""
    specs = write_fleet(tmp_path / "specs", {"slow": ""})
    with HostileServer() as hostile:
        hostile.emulator.config.durations = type(hostile.emulator.config.durations)(initializing=3600)
        proc = _start(hostile, tmp_path, "apply", str(specs), "--yes", "--wait", "--timeout", "30m")
        stderr = _Stderr(proc)
        _wait_until(lambda: hostile.requests("POST", LIST) and len(hostile.requests("GET", LIST)) >= 2)
        seconds, err = _terminate(proc, stderr)
    assert seconds < PROMPT, f"took {seconds:.1f}s after SIGTERM\n{err[-2000:]}"
    assert proc.returncode == 1, err[-2000:]
    assert "Traceback" not in err
