"""Fixtures of the engine tests: fresh emulated clouds with a pinned clock (``tests.engine.pinned``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from reconciler.emulator import Durations
from tests.conftest import FakeClock
from tests.engine.pinned import Cloud


@pytest.fixture(scope="module")
def state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("engine-state")  # one per xdist worker: the fleet lock is not shared


@pytest.fixture
def cloud_at(state_dir: Path) -> Iterator[Any]:
    made: list[Cloud] = []

    def make(at: datetime, durations: Durations | None = None, clock: FakeClock | None = None) -> Cloud:
        made.append(Cloud(at, state_dir, durations, clock))
        return made[-1]

    yield make
    for cloud in made:
        cloud.close()
