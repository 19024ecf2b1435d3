"""The served-emulator fixtures shared by the reliability and CLI suites: one emulator on loopback
per test module (``server``: emulator and base URL), reset before each test (``emu``, ``url``).
Their conftests import them, so both suites define them once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.reliability import helpers


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[Any, str]]:
    """One served emulator per module (emulator, base URL); ``emu`` resets it for each test."""
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
