"""One ``apply --wait`` converges at any instant (issue 12, item 1), not only at the hour the suite runs.

For each instant T of a sweep (a whole week every 37 minutes; both DST days and the weeks around them
in Paris and New York; holidays; the window edges 07:59:59, 08:00:00, 18:59:59 and 19:00:00 local in
Paris, New York and Tokyo) a fresh emulator whose clock stands at T receives ``apply --yes --wait
--now T``; then the plan at T is empty and every endpoint is in the power state that a wall-clock
oracle written here (not the schedule module) expects: the schedule's ``off`` means pause or scale to
zero, and an endpoint with a grace period is up for the grace period after its create, then turned
off by the next pass, and stays off (a pause starts no new grace period).

The engine runs in-process (``run.run``, the pipeline the CLI calls) over the emulator's httpx
transport; ``tests/test_demo.py`` and the CLI cases at the bottom run the same through the command
line; ``test_chains.py`` takes the other chains of steps. ``make soak`` sweeps every 7 minutes of
the week instead of every 37.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from reconciler.engine.plan import Plan
from reconciler.spec import loader
from tests.engine.pinned import Cloud, PinnedCli
from tests.reliability.helpers import SOAK

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")
HOLIDAYS = (date(2026, 12, 25), date(2027, 1, 1))
GRACE = timedelta(minutes=30)

FLEET = """\
kind: Fleet
name: sweep
namespace: emulator
defaults:
  vendor: aws
  region: us-east-1
  accelerator: cpu
  instance_type: intel-spr
  instance_size: x2
  repository: distilbert/distilbert-base-uncased-finetuned-sst-2-english
  task: text-classification
  min_replica: 1
  max_replica: 1
  type: authenticated
schedules:
  paris:
    timezone: Europe/Paris
    uptime: Mon-Fri 08:00-19:00
    off: pause
    holidays: ["2026-12-25", "2027-01-01"]
  paris-grace:
    timezone: Europe/Paris
    uptime: Mon-Fri 08:00-19:00
    off: pause
    holidays: ["2026-12-25", "2027-01-01"]
    grace_period: 30m
  new-york:
    timezone: America/New_York
    uptime: Mon-Fri 08:00-19:00
    off: scale_to_zero
    holidays: ["2026-12-25", "2027-01-01"]
  new-york-grace:
    timezone: America/New_York
    uptime: Mon-Fri 08:00-19:00
    off: scale_to_zero
    grace_period: 30m
    holidays: ["2026-12-25", "2027-01-01"]
  tokyo:
    timezone: Asia/Tokyo
    uptime: Mon-Fri 08:00-19:00
    downtime: Wed 12:00-13:00
    off: pause
"""
ENDPOINTS = {
    "paris": "schedule: paris\n",
    "paris-grace": "schedule: paris-grace\n",
    "new-york": "schedule: new-york\nmin_replica: 0\n",
    "new-york-floor": "schedule: new-york\n",  # min_replica 1: once up again it must be resumed
    "new-york-grace": "schedule: new-york-grace\nmin_replica: 0\n",
    "tokyo": "schedule: tokyo\n",
    "always": "",
}


@dataclass(frozen=True)
class Expect:
    """The wall-clock oracle of one endpoint: its zone, whether the spec's windows hold it up, what off is."""

    zone: ZoneInfo
    off: str  # the live state once off: paused or scaledToZero
    grace: bool = False
    idles: bool = False  # min_replica 0: while up it may also have idled to zero (wakes on a request)
    lunch: bool = False  # Wed 12:00-13:00 down (Tokyo)
    holidays: tuple[date, ...] = HOLIDAYS

    def up(self, at: datetime) -> bool:
        local = at.astimezone(self.zone)
        if local.date() in self.holidays:
            return False
        if local.weekday() >= 5 or not 8 <= local.hour < 19:
            return False
        return not (self.lunch and local.weekday() == 2 and local.hour == 12)


ORACLE = {
    "paris": Expect(PARIS, "paused"),
    "paris-grace": Expect(PARIS, "paused", grace=True),
    "new-york": Expect(NEW_YORK, "scaledToZero", idles=True),
    "new-york-floor": Expect(NEW_YORK, "scaledToZero"),
    "new-york-grace": Expect(NEW_YORK, "scaledToZero", grace=True, idles=True),
    "tokyo": Expect(TOKYO, "paused", holidays=(), lunch=True),
}


def _edges(zone: ZoneInfo, day: date) -> list[datetime]:
    base = datetime(day.year, day.month, day.day, tzinfo=zone)
    return [
        base.replace(hour=h, minute=m, second=s)
        for h, m, s in ((7, 59, 59), (8, 0, 0), (18, 59, 59), (19, 0, 0))
    ]


def _day(zone: ZoneInfo, day: date, hours: range) -> list[datetime]:
    return [datetime(day.year, day.month, day.day, h, 30, tzinfo=zone) for h in hours]


def named_instants() -> list[datetime]:
    """The cases a week's sweep could miss: DST, holidays, window edges in each zone."""
    out: list[datetime] = []
    for zone, weekday in (
        (PARIS, date(2026, 12, 2)),
        (NEW_YORK, date(2026, 12, 2)),
        (TOKYO, date(2026, 12, 2)),
    ):
        out += _edges(zone, weekday)  # a Wednesday
    out += [
        datetime(2026, 12, 2, h, m, s, tzinfo=TOKYO) for h, m, s in ((11, 59, 59), (12, 0, 0), (13, 0, 0))
    ]
    # DST: Paris springs forward on Sunday 2026-03-29 and falls back on 2026-10-25; New York on
    # 2026-03-08 and 2026-11-01. The days themselves (every three hours, the gap and the fold included),
    # the Monday after (edges) and the weeks between, when Paris and New York are 5 h apart, not 6.
    for zone, sunday in (
        (PARIS, date(2026, 3, 29)),
        (PARIS, date(2026, 10, 25)),
        (NEW_YORK, date(2026, 3, 8)),
        (NEW_YORK, date(2026, 11, 1)),
    ):
        out += _day(zone, sunday, range(0, 24, 3))
        out += [datetime(sunday.year, sunday.month, sunday.day, 2, 30, tzinfo=UTC)]
        out += _edges(zone, sunday + timedelta(days=1))
        out += _edges(zone, sunday - timedelta(days=2))  # the Friday before
    out += _edges(NEW_YORK, date(2026, 3, 16)) + _edges(PARIS, date(2026, 3, 16))
    out += _edges(NEW_YORK, date(2026, 10, 27)) + _edges(PARIS, date(2026, 10, 27))
    # Holidays: Christmas is a Friday, New Year's Day too; the eves are working days.
    for zone in (PARIS, NEW_YORK, TOKYO):
        out += [datetime(2026, 12, 25, 10, tzinfo=zone), datetime(2027, 1, 1, 12, tzinfo=zone)]
        out += [datetime(2026, 12, 24, 18, 59, 59, tzinfo=zone), datetime(2026, 12, 26, 0, 0, tzinfo=zone)]
    return out


def week(step_minutes: int) -> list[datetime]:
    """Every ``step_minutes`` of the week starting Monday 2026-11-30 00:00 UTC."""
    start = datetime(2026, 11, 30, tzinfo=UTC)
    return [start + timedelta(minutes=i) for i in range(0, 7 * 24 * 60, step_minutes)]


def write_specs(directory: Path) -> Path:
    """The sweep's fleet in ``directory``."""
    (directory / "fleet.yaml").write_text(FLEET)
    (directory / "endpoints.yaml").write_text(
        "---\n".join(f"kind: Endpoint\nname: {name}\n{extra}" for name, extra in ENDPOINTS.items())
    )
    return directory


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> loader.Fleet:
    return loader.load([write_specs(tmp_path_factory.mktemp("sweep-specs"))])


def expected(at: datetime, *, graced_since: datetime, idle: bool) -> dict[str, set[str]]:
    """The live states each endpoint may be in at ``at``: endpoints with a grace period count as up
    until ``graced_since + GRACE`` (their create); with ``idle``, time has passed without a request,
    so an endpoint with min_replica 0 that is up may have scaled itself to zero."""
    out = {"always": {"running"}}
    for name, oracle in ORACLE.items():
        if oracle.up(at) or (oracle.grace and at < graced_since + GRACE):
            out[name] = {"running", "scaledToZero"} if oracle.idles and idle else {"running"}
        else:
            out[name] = {oracle.off}
    return out


def assert_states(cloud: Cloud, allowed: dict[str, set[str]], at: datetime) -> None:
    live = cloud.states()
    wrong = {name: (live.get(name), sorted(ok)) for name, ok in allowed.items() if live.get(name) not in ok}
    assert set(live) == set(allowed) and not wrong, f"at {at.isoformat()}: (live, expected) {wrong}"


def summary(plan: Plan) -> list[str]:
    return [f"{c.action.value} {c.name}: {c.detail}" for c in plan.changes]


def check_instant(fleet: loader.Fleet, cloud: Cloud, at: datetime) -> None:
    result = cloud.apply(fleet, at)
    report = result.report
    assert report is not None and report.ok, report
    assert not report.wait_errors, report.wait_errors
    after = cloud.plan(fleet, at)
    assert not after.has_changes, f"at {at.isoformat()}, after apply --wait: {summary(after)}"
    assert_states(cloud, expected(at, graced_since=at, idle=False), at)
    # The grace period ends: the next pass turns the graced endpoints off if the schedule says off,
    # and the pass after that finds nothing to do (a pause starts no new grace period).
    later = at + GRACE + timedelta(minutes=1)
    turned_off = cloud.apply(fleet, later).report
    assert turned_off is not None and turned_off.ok and not turned_off.wait_errors, turned_off
    assert_states(cloud, expected(later, graced_since=at, idle=True), later)
    again = cloud.plan(fleet, later + timedelta(minutes=1))
    # One minute later only the schedule itself may have moved on (a window edge), never a grace
    # period started by the turn-off.
    moved = {
        name for name, oracle in ORACLE.items() if oracle.up(later) != oracle.up(later + timedelta(minutes=1))
    }
    assert {c.name for c in again.changes} <= moved, summary(again)


@pytest.mark.parametrize("at", named_instants(), ids=lambda t: t.isoformat())
def test_apply_wait_then_plan_is_empty_at_named_instants(
    fleet: loader.Fleet, cloud_at: Any, at: datetime
) -> None:
    check_instant(fleet, cloud_at(at), at)


@pytest.mark.parametrize("at", week(37), ids=lambda t: t.isoformat())
def test_apply_wait_then_plan_is_empty_across_a_week(
    fleet: loader.Fleet, cloud_at: Any, at: datetime
) -> None:
    check_instant(fleet, cloud_at(at), at)


@pytest.mark.soak
@pytest.mark.skipif(not SOAK, reason="long run: make soak (HFLEET_SOAK=1)")
@pytest.mark.parametrize("at", week(7) if SOAK else week(7 * 24 * 60), ids=lambda t: t.isoformat())
def test_soak_every_seven_minutes_of_a_week(fleet: loader.Fleet, cloud_at: Any, at: datetime) -> None:
    check_instant(fleet, cloud_at(at), at)


# --- the same through the command line ------------------------------------------------------------

CLI_INSTANTS = [
    datetime(2026, 12, 1, 6, 10, tzinfo=PARIS),  # the Tuesday 06:10 in Paris
    datetime(2026, 12, 1, 23, 30, tzinfo=PARIS),  # a weekday night
    datetime(2026, 12, 5, 12, 0, tzinfo=PARIS),  # Saturday noon
    datetime(2026, 12, 25, 10, 0, tzinfo=PARIS),  # Christmas, a Friday
    *_edges(PARIS, date(2026, 12, 2)),
    *_edges(NEW_YORK, date(2026, 3, 9)),  # the Monday after New York's spring forward
    datetime(2026, 10, 25, 2, 30, tzinfo=PARIS),  # inside Paris's autumn fold
]


@pytest.fixture
def cli_cloud(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    """``hfleet --emulator FILE`` on the sweep's specs, the emulator's clock pinned at each ``at``."""
    pinned = PinnedCli(monkeypatch, tmp_path / "state")
    specs = tmp_path / "specs"
    specs.mkdir()
    write_specs(specs)
    return lambda command, *args, at: pinned.run(command, str(specs), *args, at=at)


@pytest.mark.parametrize("at", CLI_INSTANTS, ids=lambda t: t.isoformat())
def test_cli_apply_wait_then_plan_exits_0(cli_cloud: Any, at: datetime) -> None:
    code, out = cli_cloud("plan", at=at)
    assert code == 2, out
    code, out = cli_cloud("apply", "--yes", "--wait", "--timeout", "30s", at=at)
    assert code == 0, out
    off = [name for name, oracle in ORACLE.items() if not oracle.up(at) and not oracle.grace]
    for name in off:
        verb = "pause" if ORACLE[name].off == "paused" else "scale_to_zero"
        # turned off in the same run, after its create
        assert re.search(rf"^ok +{verb} +emulator/{name} ", out, re.MULTILINE), out
    code, out = cli_cloud("plan", at=at)
    assert code == 0 and "No changes" in out, out
