"""Fixtures of the reliability suite (see ``helpers``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.reliability.served import emu, server, url  # noqa: F401 (fixtures)


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("HFLEET_API_URL", raising=False)
    monkeypatch.setenv("HFLEET_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("HFLEET_EMULATOR_DURATIONS", "instant")
