"""``hfleet --emulator FILE`` in-process (click's CliRunner) with the embedded emulator's clock pinned.

The command line reads the clock only through ``--now``; the emulator it embeds stamps ``updatedAt``
and advances its state machine with its own clock, which here stands at the instant of each call
(never earlier than the last one), so no test depends on the day it runs. Transitions are instant.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler import cli
from reconciler.api import client as api_client
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
        from reconciler.emulator import EmulatorConfig

        self.db.parent.mkdir(parents=True, exist_ok=True)
        return make_api(self._real(EmulatorConfig(state_path=self.db), clock=self.clock))
