"""Running ``hfleet`` in tests: in-process through click's CliRunner (stdout and stderr apart), or
as a child process (``python -m reconciler``) when a real terminal, start-up or signals matter."""

from __future__ import annotations

import json
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
