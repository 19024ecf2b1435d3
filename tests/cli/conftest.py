"""Fixtures of the CLI suite: a served emulator on loopback and an isolated environment (see
``tests.cli.helpers`` for running ``hfleet``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.reliability.served import emu, server, url  # noqa: F401 (fixtures)


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No token, colour or hub home of the machine leaks in; retries do not sleep."""
    # Tokens, HF_HOME and the state directory are isolated by tests/conftest.py.
    for name in ("NO_COLOR", "FORCE_COLOR", "HUGGINGFACE_CO_STAGING"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.setenv("HFLEET_EMULATOR_DURATIONS", "instant")
    monkeypatch.setenv("HFLEET_RETRY_BASE", "0")  # retries without waiting (the settings' own knob)
