"""One ``apply --wait`` converges through every chain of steps (issue 12, item 1), and without
``--wait`` the plan says what is left for the next pass.

The fleet is the sweep's (``tests/engine/test_sweep.py``: Paris, New York and Tokyo schedules, off by
pause or scale-to-zero, grace periods); each test gets a fresh emulator whose clock it pins.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from reconciler.emulator import Durations
from reconciler.engine import run, safety
from reconciler.spec import loader
from tests.conftest import FakeClock
from tests.engine.test_sweep import FLEET, PARIS, summary, write_specs


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> loader.Fleet:
    return loader.load([write_specs(tmp_path_factory.mktemp("chain-specs"))])


def test_without_wait_the_plan_says_what_is_left(fleet: loader.Fleet, cloud_at: Any) -> None:
    """``apply`` without ``--wait`` writes only the reviewed plan: a create the schedule wants off is
    announced as such, and the next plan (exit 2) holds the pause and the scale-to-zero; while the
    endpoints are still starting, it says it waits and when to look again."""
    night = datetime(2026, 12, 1, 23, 30, tzinfo=PARIS)  # 17:30 in New York: up there
    slow = Durations(pending=60, initializing=60)
    cloud = cloud_at(night, slow)
    result = cloud.apply(fleet, night, wait=False)
    assert result.report is not None and result.report.ok and result.report.rounds == 1
    creates = {c.name: c for c in result.plan.changes}
    assert creates["paris"].then == "paused" and "then paused" in creates["paris"].detail
    assert creates["tokyo"].then == "paused"  # 07:30 Wednesday in Tokyo
    assert creates["new-york"].then is None and creates["paris-grace"].then is None  # up; in grace
    starting = cloud.plan(fleet, night)
    assert {c.action.value for c in starting.changes} == {"wait"}
    assert starting.requeue_after is not None and starting.requeue_after <= timedelta(seconds=30)
    cloud.clock.advance(120)  # the endpoints are up
    left = cloud.plan(fleet, night + timedelta(minutes=2))
    assert {(c.action.value, c.name) for c in left.changes} == {("pause", "paris"), ("pause", "tokyo")}
    assert all("schedule: outside uptime" in c.detail for c in left.changes)
    # Nothing else is left: the grace period ends at 00:00, which is when to look again.
    assert left.requeue_after == timedelta(minutes=28)


def test_wait_rides_out_slow_starts_then_turns_off(fleet: loader.Fleet, cloud_at: Any) -> None:
    """With transitions that take time (pending, initializing), ``--wait`` waits for the creates to
    be up before it pauses them: the API refuses no step and one apply still converges."""
    night = datetime(2026, 12, 5, 12, 0, tzinfo=PARIS)  # Saturday noon: everything scheduled is off

    class FastForward(FakeClock):
        """The emulator's time runs a hundred times faster than the wall clock (from ``night``)."""

        def __init__(self, start: datetime) -> None:
            super().__init__(start)
            self.began = time.monotonic()

        def __call__(self) -> float:
            return self.now + (time.monotonic() - self.began) * 100

    cloud = cloud_at(night, Durations(pending=60, initializing=60), FastForward(night))
    seen: dict[str, list[str]] = {}
    events = run.Events(on_state=lambda key, state: seen.setdefault(key[1], []).append(state))
    result = cloud.apply(fleet, night, events=events)
    assert result.report is not None and result.report.ok and not result.report.wait_errors
    assert result.report.rounds == 2
    assert seen["paris"][0] in ("pending", "initializing") and seen["paris"][-2:] == ["running", "paused"]
    states = cloud.states()
    assert states["always"] == "running" and states["paris"] == "paused" and states["tokyo"] == "paused"
    assert states["new-york"] == "scaledToZero" and states["new-york-floor"] == "scaledToZero"
    assert not cloud.plan(fleet, night).has_changes


# --- every chain of steps ---------------------------------------------------------------------------

CHAINS = {
    # name: (spec before, spec after, what is done by hand in between)
    "replace-at-night": (
        "schedule: paris\n",
        "schedule: paris\nallow_replace: true\nregion: eu-west-1\n",
        None,
    ),
    "update-while-paused": ("schedule: paris\n", "schedule: paris\nmax_replica: 2\n", None),
    "update-at-zero": ("schedule: new-york\n", "schedule: new-york\nmax_replica: 2\n", None),
    "paused-to-zero": ("state: paused\n", "min_replica: 0\nstate: scaled_to_zero\n", None),
    "zero-to-paused": ("min_replica: 0\nstate: scaled_to_zero\n", "min_replica: 0\nstate: paused\n", None),
    "hand-paused-update": ("", "max_replica: 2\n", "pause"),
    "hand-zero-update": ("", "max_replica: 2\n", "scale_to_zero"),
}


@pytest.mark.parametrize("chain", list(CHAINS))
@pytest.mark.parametrize(
    "at",
    [datetime(2026, 12, 1, 23, 30, tzinfo=PARIS), datetime(2026, 12, 2, 10, 0, tzinfo=PARIS)],
    ids=["night", "day"],
)
def test_every_chain_converges_in_one_apply(tmp_path: Path, cloud_at: Any, chain: str, at: datetime) -> None:
    """A replace, an update of a paused or scaled-to-zero endpoint, a move between the two off
    states, an update of an endpoint turned off by hand: one ``apply --wait`` ends where the spec
    and the schedule say, and the plan after it is empty."""
    first, second, by_hand = CHAINS[chain]

    def fleet_with(extra: str) -> loader.Fleet:
        (tmp_path / "fleet.yaml").write_text(FLEET)
        (tmp_path / "endpoints.yaml").write_text(f"kind: Endpoint\nname: {chain}\n{extra}")
        return loader.load([tmp_path])

    cloud = cloud_at(at - timedelta(hours=1))
    assert cloud.apply(fleet_with(first), at - timedelta(hours=1)).report.ok
    if by_hand is not None:
        getattr(cloud.api, by_hand)("emulator", chain)
    result = run.run(
        fleet_with(second),
        cloud.session,
        run.Options(now=at, wait=True, wait_timeout=60, limits=safety.Limits(allow_replace=True)),
        apply=True,
    )
    assert result.report is not None and result.report.ok and not result.report.wait_errors, result.report
    after = cloud.plan(fleet_with(second), at)
    assert not after.has_changes, summary(after)
