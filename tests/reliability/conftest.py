"""Fixtures of the reliability suite (see ``helpers``)."""

from __future__ import annotations

import pytest

from tests.reliability.served import emu, server, url  # noqa: F401 (fixtures)


@pytest.fixture(autouse=True)
def _instant_emulator(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tokens and state are isolated by ``tests/conftest.py``; here transitions are instant."""
    monkeypatch.setenv("HFLEET_EMULATOR_DURATIONS", "instant")
