"""Fixtures of the inference tests: one loopback plane per session, an endpoint per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.inference import fakeplane


@pytest.fixture(scope="session")
def plane() -> Iterator[fakeplane.LoopbackPlane]:
    # A scriptable stand-in in front of the real data-plane handlers: it counts polls, delays answers
    # and holds wake-ups on demand, which edge-case tests need. The same calls against the whole
    # emulator (control plane, proxy and data plane) are in test_against_emulator.py.
    with fakeplane.LoopbackPlane() as p:
        yield p


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def token() -> str:
    return fakeplane.TOKEN
