"""Fixtures of the inference tests: one loopback plane per session, an endpoint per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.inference import fakeplane


@pytest.fixture(scope="session")
def plane() -> Iterator[fakeplane.LoopbackPlane]:
    # SWAP POINT: the one line to change once the control-plane branch lands, e.g.
    #   with emulator_plane.EmulatorPlane() as p:   (an adapter over reconciler.emulator.Emulator().serve())
    # See tests/inference/fakeplane.py for the four members the adapter must offer.
    with fakeplane.LoopbackPlane() as p:
        yield p


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def token() -> str:
    return fakeplane.TOKEN
