"""Fixtures of the reliability suite (see ``helpers``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.reliability import helpers


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("HFLEET_API_URL", raising=False)
    monkeypatch.setenv("HFLEET_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("HFLEET_EMULATOR_DURATIONS", "instant")


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[Any, str]]:
    """One served emulator per module (emulator, base URL); tests ``reset`` it first."""
    with helpers.served() as pair:
        yield pair


@pytest.fixture
def emu(server: tuple[Any, str]) -> Any:
    emulator, _ = server
    helpers.reset(emulator)
    return emulator


@pytest.fixture
def url(server: tuple[Any, str], emu: Any) -> str:
    return server[1]
