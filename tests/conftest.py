"""Shared fixtures: a fake clock, the emulator mounted in-process over httpx, and spec writers.

Every engine test talks HTTP to the emulator through ``httpx.WSGITransport``: the real client, the
real JSON, the real status codes; only the socket is skipped (tests that need one use ``serve()``).
"""

from __future__ import annotations

import textwrap
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.api import client as api_client
from reconciler.api import retry

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # a Tuesday


class FakeClock:
    """Epoch seconds that only move when a test says so."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start.timestamp()
        self.lock = threading.Lock()

    def __call__(self) -> float:
        with self.lock:
            return self.now

    def advance(self, seconds: float) -> None:
        with self.lock:
            self.now += seconds


@pytest.fixture(autouse=True)
def _fresh_logging() -> Iterator[None]:
    """Each test starts with structlog's defaults: a CLI run configures logging (at warning level for
    one-shot commands), and a later test capturing info events must not inherit that filter."""
    import structlog

    structlog.reset_defaults()
    yield
    structlog.reset_defaults()


@pytest.fixture(autouse=True)
def _isolated_machine(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No test reads the machine's token or writes the repository's ``.hfleet``: each gets its own
    state directory (fleet locks, the emulator's database) and an empty Hugging Face home. A shared
    ``./.hfleet/locks`` made tests on two xdist workers hold each other's fleet lock."""
    home = tmp_path_factory.mktemp("machine")
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_TOKEN_PATH", "HFLEET_API_URL", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HF_HOME", str(home / "hf-home"))
    monkeypatch.setenv("HFLEET_STATE_DIR", str(home / "state"))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def emulator(clock: FakeClock) -> Any:
    from reconciler.emulator import Emulator, EmulatorConfig

    return Emulator(EmulatorConfig(), clock=clock)


NO_WAIT = retry.RetryPolicy(attempts=6, sleep=lambda _: None)


def make_api(
    emulator: Any, token: str = "hf_emulator", policy: retry.RetryPolicy = NO_WAIT
) -> api_client.EndpointsApi:
    http = httpx.Client(transport=emulator.transport(), base_url="http://emulator.hfleet.local")
    return api_client.EndpointsApi(http, "http://emulator.hfleet.local/v2", token, policy)


@pytest.fixture
def api(emulator: Any) -> Iterator[api_client.EndpointsApi]:
    client = make_api(emulator)
    yield client
    client.http.close()


FLEET_DOC = """\
kind: Fleet
name: {fleet}
namespace: {namespace}
defaults:
  vendor: aws
  region: us-east-1
  accelerator: cpu
  instance_type: intel-spr
  instance_size: x2
  repository: distilbert/distilbert-base-uncased-finetuned-sst-2-english
  task: text-classification
  min_replica: 1
  max_replica: 1
  type: authenticated
schedules:
  office-hours:
    timezone: Europe/Paris
    uptime: Mon-Fri 08:00-19:00
    off: pause
"""


def write_fleet(
    directory: Path,
    endpoints: dict[str, str] | None = None,
    *,
    count: int = 0,
    fleet: str = "team",
    namespace: str = "emulator",
) -> Path:
    """A fleet directory: ``endpoints`` maps a name to extra YAML lines; ``count`` adds ep-000.. endpoints."""
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("*.yaml"):
        old.unlink()
    (directory / "fleet.yaml").write_text(FLEET_DOC.format(fleet=fleet, namespace=namespace))
    docs = []
    for i in range(count):
        docs.append(f"kind: Endpoint\nname: ep-{i:03d}\n")
    for name, extra in (endpoints or {}).items():
        docs.append(f"kind: Endpoint\nname: {name}\n" + textwrap.dedent(extra))
    if docs:
        (directory / "endpoints.yaml").write_text("---\n".join(docs))
    return directory
