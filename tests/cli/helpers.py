"""Running ``hfleet`` in tests: in-process through click's CliRunner (stdout and stderr apart), or
as a child process (``python -m reconciler``) when a real terminal, start-up or signals matter."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from reconciler import cli
from tests.reliability import helpers

ROOT = Path(__file__).resolve().parents[2]
TOKEN = helpers.TOKEN


def run(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """``hfleet ARGS`` in-process: (exit code, stdout, stderr)."""
    result = CliRunner().invoke(
        cli.cli, list(args), input=input, env=env, catch_exceptions=False, prog_name="hfleet"
    )
    return result.exit_code, result.stdout, result.stderr


def against(url: str, *args: str, token: str = TOKEN) -> tuple[int, str, str]:
    """``hfleet`` against a served emulator, as a user with a token would run it."""
    return run("--api-url", url + "/v2", "--token", token, *args)


def child_env(**extra: str) -> dict[str, str]:
    """The environment of an ``hfleet`` child process: this checkout first on the path."""
    env = helpers.subprocess_env(**extra)
    env.pop("HUGGING_FACE_HUB_TOKEN", None)
    return env


def child(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> tuple[int, str, str]:
    """``python -m reconciler ARGS`` as a child process: (exit code, stdout, stderr)."""
    proc = subprocess.run(
        [sys.executable, "-m", "reconciler", *args],
        capture_output=True,
        text=True,
        env=env if env is not None else child_env(),
        cwd=str(ROOT),
        timeout=timeout,
        check=False,
    )
    return proc.returncode, proc.stdout, proc.stderr


def emulator_env(tmp_path: Path) -> dict[str, str]:
    return child_env(HFLEET_STATE_DIR=str(tmp_path / "state"), HFLEET_EMULATOR_DURATIONS="instant")


def json_lines(stderr: str) -> list[dict[str, Any]]:
    """Every stderr line parsed as one JSON object (a line that is not one fails the test)."""
    events = []
    for line in stderr.splitlines():
        value = json.loads(line)
        assert isinstance(value, dict), line
        events.append(value)
    return events


def in_terminal(
    *args: str, env: dict[str, str], columns: int = 160, rows: int = 50, timeout: float = 60
) -> tuple[int, str]:
    """``python -m reconciler ARGS`` on a pseudo-terminal of ``columns`` × ``rows`` (stdin, stdout
    and stderr all on it, as in an interactive shell): (exit code, everything the terminal got)."""
    import fcntl
    import os
    import pty
    import select
    import struct
    import termios
    import time

    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    env = {k: v for k, v in env.items() if k not in ("COLUMNS", "LINES")}
    env.setdefault("TERM", "xterm-256color")
    proc = subprocess.Popen(
        [sys.executable, "-m", "reconciler", *args],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=env,
        cwd=str(ROOT),
    )
    os.close(follower)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 0.1)
            if not ready:
                continue
            try:
                data = os.read(leader, 65536)
            except OSError:  # EIO: every writer has closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        else:
            proc.kill()
            raise AssertionError(f"hfleet {' '.join(args)} still running after {timeout}s")
    finally:
        os.close(leader)
    return proc.wait(timeout=10), b"".join(chunks).decode("utf-8", "replace")


_SGR = re.compile(r"\x1b\[([0-9;]*)m")


def colour_codes(output: str) -> list[str]:
    """The SGR sequences of ``output`` that set a colour (not bold, not a reset)."""
    found = []
    for match in _SGR.finditer(output):
        params = [int(p) for p in match.group(1).split(";") if p]
        if any(30 <= p <= 48 or 90 <= p <= 107 for p in params):
            found.append(match.group(0))
    return found
