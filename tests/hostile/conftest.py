"""The hostile-server suite: the real ``hfleet`` CLI, in a child process, against attacks on loopback.

``cli(*args)`` runs ``python -m reconciler --api-url http://127.0.0.1:PORT/v2 --token TOKEN ARGS``
with a time limit (``TIMEOUT`` seconds, the child is killed past it) and an address-space limit
(``ADDRESS_SPACE``, set with ``RLIMIT_AS`` before the child starts: a normal ``apply`` peaks at
about 420 MB of address space, mostly thread stacks, so a run that inflated a bomb to 1 GiB would
die of ``MemoryError`` instead of taking the machine). Secrets are passed through the environment.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import write_fleet
from tests.hostile import leaks
from tests.hostile.server import TOKEN, HostileServer

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 60.0
ADDRESS_SPACE = 2**30

# Secrets of the fleet under attack: ordinary, escaped, multi-line, unicode, base64-looking, long.
SECRETS = {
    "API_KEY": "s3cr3t-API-KEY-9f8e7d6c5b",
    "QUOTED": 'k3y-"quoted"-\\back\\slash-4f9a',
    "PEM": "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIB\n"
    "AQC7VJTUt9Us8cKjMzEfYyjiWA4R4ypbHDk5qKoQ2bRNdp2e\n-----END PRIVATE KEY-----",
    "UNICODE": "sécret-ünïcødé-€✓-日本語-7c1d",
    "BASE64ISH": "QmFzZTY0TG9va2luZ1NlY3JldD09",
    "LONG": "long-" + "Zq8x" * 120,
}
ENDPOINTS = {
    "ep-a": "secrets:\n" + "".join(f"  {k}: {{from_env: HFLEET_TEST_{k}}}\n" for k in SECRETS),
    "ep-b": "",
}


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str
    seconds: float

    @property
    def text(self) -> str:
        return self.out + self.err


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


@pytest.fixture
def hostile() -> Iterator[HostileServer]:
    with HostileServer() as server:
        yield server


@pytest.fixture
def specs(tmp_path: Path) -> Path:
    return write_fleet(tmp_path / "specs", dict(ENDPOINTS))


Cli = Callable[..., Run]


@pytest.fixture
def cli(hostile: HostileServer, tmp_path: Path) -> Cli:
    """``cli(*args, env={...}, timeout=...)``: the real CLI against ``hostile``; every run is checked
    for leaked secrets (the token included) and for Python tracebacks."""

    def run(*args: str, env: dict[str, str] | None = None, timeout: float = TIMEOUT) -> Run:
        child_env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HFLEET_"))}
        child_env.update({f"HFLEET_TEST_{k}": v for k, v in SECRETS.items()})
        child_env.update(PYTHONPATH=str(ROOT), HFLEET_STATE_DIR=str(tmp_path / "state"), **(env or {}))
        argv = [sys.executable, "-m", "reconciler", "--api-url", hostile.url + "/v2", "--token", TOKEN]
        started = time.monotonic()
        proc = subprocess.run(
            [*argv, "--log-format", "json", "-v", *args],
            capture_output=True,
            text=True,
            env=child_env,
            cwd=str(ROOT),
            timeout=timeout,
            preexec_fn=_limit_memory,
            check=False,
        )
        result = Run(proc.returncode, proc.stdout, proc.stderr, time.monotonic() - started)
        leaks.assert_no_leak(f"hfleet {' '.join(args)}", result.text, [*SECRETS.values(), TOKEN])
        assert "Traceback" not in result.err, result.err[-3000:]
        return result

    return run
