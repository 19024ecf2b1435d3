"""Fixtures of the inference tests: one loopback plane per session, an endpoint per test, fake time."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

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


@dataclass
class FakeTime:
    """The client's ``clock`` and ``sleep``: sleeping only moves the clock, and is recorded.

    Given to a client as ``clock=t.clock, sleep=t.sleep`` (``sleep=t.asleep`` for the async one), retry
    tests assert the waits the client chose without ever waiting for real.
    """

    now: float = 1000.0
    slept: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()
