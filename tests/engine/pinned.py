"""Clouds whose clock a test pins, so no test depends on the day it runs.

``Cloud``: a fresh in-process emulator whose clock stands at a given instant, and an engine session
on it (``apply``/``plan`` run the pipeline the CLI calls, ``run.run``). ``PinnedCli``: ``hfleet
--emulator FILE`` in-process (click's CliRunner), the embedded emulator's clock pinned at each call's
``--now`` (never earlier than the last one); the command line reads the clock only through ``--now``,
the emulator stamps ``updatedAt`` and moves its state machine with its own. Transitions are instant
unless a test gives durations.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler import cli
from reconciler.api import client as api_client
from reconciler.emulator import Durations, Emulator, EmulatorConfig
from reconciler.engine import run, session
from reconciler.engine.plan import Plan
from reconciler.spec import loader
from tests.conftest import FakeClock, make_api


class PinnedCli:
    """``run("plan", "specs", at=T)`` → (exit code, stdout + stderr); ``api()`` reads the same cloud."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, state: Path) -> None:
        import reconciler.emulator

        monkeypatch.setenv("HFLEET_EMULATOR_DURATIONS", "instant")
        monkeypatch.setenv("HFLEET_STATE_DIR", str(state))
        monkeypatch.delenv("HF_TOKEN", raising=False)
        self.clock = FakeClock()
        self.db = state / "emulator.db"
        self._real = reconciler.emulator.Emulator
        monkeypatch.setattr(reconciler.emulator, "Emulator", self._emulator)

    def _emulator(self, config: object = None) -> object:
        return self._real(config, clock=self.clock)  # type: ignore[arg-type]

    def at(self, instant: datetime) -> None:
        self.clock.now = max(self.clock.now, instant.timestamp())

    def run(self, command: str, *args: str, at: datetime) -> tuple[int, str]:
        """``hfleet --emulator DB -q COMMAND ARGS --now AT``."""
        self.at(at)
        argv = ["--emulator", str(self.db), "-q", command, *args, "--now", at.isoformat()]
        result = CliRunner().invoke(cli.cli, argv, catch_exceptions=False)
        return result.exit_code, result.stdout + result.stderr

    def api(self) -> api_client.EndpointsApi:
        """A client of the same emulated cloud (the SQLite file), on the pinned clock."""
        self.db.parent.mkdir(parents=True, exist_ok=True)
        return make_api(self._real(EmulatorConfig(state_path=self.db), clock=self.clock))


class Cloud:
    """A fresh emulator whose clock stands at ``at``, and an engine session on it."""

    def __init__(
        self,
        at: datetime,
        state_dir: Path,
        durations: Durations | None = None,
        clock: FakeClock | None = None,
    ) -> None:
        self.clock = clock or FakeClock(at)
        self.emulator = Emulator(EmulatorConfig(durations=durations or Durations()), clock=self.clock)
        self.api = make_api(self.emulator)
        self.session = session.Session(self.api, self.api.http, session.Settings(state_dir=state_dir))

    def apply(
        self, fleet: loader.Fleet, at: datetime, *, wait: bool = True, events: run.Events | None = None
    ) -> run.RunResult:
        self.clock.now = max(self.clock.now, at.timestamp())
        options = run.Options(now=at, wait=wait, wait_timeout=60)
        return run.run(fleet, self.session, options, apply=True, events=events)

    def plan(self, fleet: loader.Fleet, at: datetime) -> Plan:
        self.clock.now = max(self.clock.now, at.timestamp())
        return run.run(fleet, self.session, run.Options(now=at), apply=False).plan

    def states(self) -> dict[str, str]:
        return {e["name"]: e["status"]["state"] for e in self.api.list_endpoints("emulator")}

    def close(self) -> None:
        self.api.http.close()
