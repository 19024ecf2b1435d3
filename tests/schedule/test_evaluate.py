"""``evaluate``: precedence, windows, midnight, DST, holidays, overrides, grace, next_boundary."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

import pytest

from reconciler.schedule.evaluate import Decision, evaluate, local_instant, transitions
from reconciler.schedule.models import OverrideSpec, ScheduleSpec

from .conftest import NEW_YORK, PARIS, new_york, paris, utc

OFFICE = ScheduleSpec(timezone="Europe/Paris", uptime="Mon-Fri 08:00-19:00")
SECOND = timedelta(seconds=1)


def schedule(**fields: Any) -> ScheduleSpec:
    return ScheduleSpec.model_validate(fields)


def check_boundary(spec: ScheduleSpec | None, now: datetime, **kwargs: Any) -> Decision:
    """The decision at ``now``; its next_boundary (if any) really is the next change of ``up``."""
    decision = evaluate(spec, now, **kwargs)
    boundary = decision.next_boundary
    if boundary is not None:
        assert boundary > now
        assert evaluate(spec, boundary - SECOND, **kwargs).up == decision.up, boundary
        assert evaluate(spec, boundary, **kwargs).up != decision.up, boundary
        assert transitions(spec, now, boundary + SECOND, **kwargs)[0][0] == boundary
    return decision


# 2026-11-30 is a Monday.
@pytest.mark.parametrize(
    ("now", "up", "reason", "boundary"),
    [
        (paris(2026, 11, 30, 7, 59, 59), False, "outside uptime", paris(2026, 11, 30, 8)),
        (
            paris(2026, 11, 30, 8),
            True,
            "in uptime Mon-Fri 08:00-19:00 (Europe/Paris)",
            paris(2026, 11, 30, 19),
        ),
        (
            paris(2026, 11, 30, 18, 59),
            True,
            "in uptime Mon-Fri 08:00-19:00 (Europe/Paris)",
            paris(2026, 11, 30, 19),
        ),
        (paris(2026, 11, 30, 19), False, "outside uptime", paris(2026, 12, 1, 8)),
        (paris(2026, 12, 4, 19), False, "outside uptime", paris(2026, 12, 7, 8)),  # Friday night
        (paris(2026, 12, 5, 12), False, "outside uptime", paris(2026, 12, 7, 8)),  # Saturday
        (
            utc(2026, 12, 1, 7, 30),
            True,
            "in uptime Mon-Fri 08:00-19:00 (Europe/Paris)",
            paris(2026, 12, 1, 19),
        ),
    ],
)
def test_office_hours(now: datetime, up: bool, reason: str, boundary: datetime) -> None:
    decision = check_boundary(OFFICE, now)
    assert (decision.up, decision.reason, decision.next_boundary) == (up, reason, boundary)
    assert decision.source == "uptime"
    assert decision.off_action == "scale_to_zero"
    # A fixed offset (the schedule's at that instant), so arithmetic is exact and it prints locally.
    assert decision.next_boundary is not None
    assert decision.next_boundary.utcoffset() == boundary.utcoffset()
    assert decision.next_boundary.isoformat() == boundary.isoformat()


@pytest.mark.parametrize("start", [paris(2026, 3, 16), paris(2026, 10, 12), paris(2026, 11, 30)])
def test_office_hours_every_quarter_hour_for_three_weeks(start: datetime) -> None:
    at = start
    while at < start + timedelta(days=21):
        local = at.astimezone(PARIS)
        expected = local.weekday() < 5 and 8 <= local.hour < 19
        assert evaluate(OFFICE, at).up is expected, at
        at += timedelta(minutes=15)


def test_across_midnight_every_hour_for_two_weeks() -> None:
    nights = schedule(uptime="Mon-Fri 20:00-06:00 America/New_York", timezone="Europe/Paris")
    start = new_york(2026, 2, 23)
    for hour in range(24 * 14):
        at = start + timedelta(hours=hour)
        local = at.astimezone(NEW_YORK)
        expected = (local.weekday() < 5 and local.hour >= 20) or (
            1 <= local.weekday() <= 5 and local.hour < 6
        )
        decision = evaluate(nights, at)
        assert decision.up is expected, local
    # Friday's night ends on Saturday morning; nothing starts on Saturday.
    assert evaluate(nights, new_york(2026, 3, 7, 5, 59)).up
    decision = check_boundary(nights, new_york(2026, 3, 7, 6))
    assert not decision.up and decision.next_boundary == new_york(2026, 3, 9, 20)
    assert "(America/New_York)" in evaluate(nights, new_york(2026, 3, 9, 21)).reason


def test_weekend_and_wrapping_day_ranges() -> None:
    weekend = schedule(uptime="Sat-Sun 00:00-24:00")
    assert not evaluate(weekend, utc(2026, 12, 4, 23, 59, 59)).up
    assert evaluate(weekend, utc(2026, 12, 5)).up
    assert evaluate(weekend, utc(2026, 12, 6, 23, 59, 59)).up
    assert check_boundary(weekend, utc(2026, 12, 5, 10)).next_boundary == utc(2026, 12, 7)
    israel = schedule(uptime="Sun-Thu 09:00-17:00", timezone="Asia/Jerusalem")
    assert evaluate(israel, datetime(2026, 12, 6, 10, tzinfo=israel_tz())).up  # Sunday
    assert not evaluate(israel, datetime(2026, 12, 4, 10, tzinfo=israel_tz())).up  # Friday
    long_weekend = schedule(downtime="Fri-Mon 00:00-24:00")
    assert not evaluate(long_weekend, utc(2026, 12, 7, 12)).up  # Monday
    assert evaluate(long_weekend, utc(2026, 12, 8, 12)).up  # Tuesday
    assert evaluate(long_weekend, utc(2026, 12, 8, 12)).reason == "outside downtime"


def israel_tz() -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo("Asia/Jerusalem")


def test_downtime_wins_and_no_uptime_means_up() -> None:
    both = schedule(timezone="Europe/Paris", uptime="Mon-Fri 08:00-19:00", downtime="Mon-Fri 12:00-13:00")
    assert check_boundary(both, paris(2026, 11, 30, 11)).next_boundary == paris(2026, 11, 30, 12)
    decision = check_boundary(both, paris(2026, 11, 30, 12, 30))
    assert not decision.up and decision.reason == "in downtime Mon-Fri 12:00-13:00 (Europe/Paris)"
    assert decision.source == "downtime" and decision.next_boundary == paris(2026, 11, 30, 13)
    assert evaluate(schedule(), utc(2026, 1, 1)).reason == "always up (no uptime windows)"
    assert evaluate(schedule(), utc(2026, 1, 1)).next_boundary is None


def test_always_and_never() -> None:
    assert evaluate(schedule(uptime="always"), utc(2026, 5, 1)).up
    never = check_boundary(schedule(uptime="never"), utc(2026, 5, 1))
    assert not never.up and never.next_boundary is None and never.reason == "outside uptime"
    off = check_boundary(schedule(uptime="Mon-Fri 08:00-19:00", downtime="always"), utc(2026, 5, 4, 9))
    assert not off.up and off.reason == "in downtime always" and off.next_boundary is None
    assert evaluate(schedule(downtime="never"), utc(2026, 5, 4)).up


def test_absolute_ranges() -> None:
    christmas = schedule(
        timezone="Europe/Paris",
        uptime="Mon-Fri 08:00-19:00",
        downtime="2026-12-24T00:00:00+01:00/2026-12-27T00:00:00+01:00",
    )
    assert evaluate(christmas, paris(2026, 12, 23, 12)).up
    decision = check_boundary(christmas, paris(2026, 12, 23, 18))
    assert decision.next_boundary == paris(2026, 12, 23, 19)
    decision = check_boundary(christmas, paris(2026, 12, 24, 9))
    assert not decision.up and decision.source == "downtime"
    assert decision.reason == "in downtime 2026-12-24T00:00:00+01:00/2026-12-27T00:00:00+01:00"
    assert decision.next_boundary == paris(2026, 12, 28, 8)
    launch = schedule(uptime="2026-06-01T09:00:00Z..2026-06-01T17:00:00Z")
    assert check_boundary(launch, utc(2026, 5, 1)).next_boundary == utc(2026, 6, 1, 9)
    assert check_boundary(launch, utc(2026, 6, 1, 12)).next_boundary == utc(2026, 6, 1, 17)
    assert check_boundary(launch, utc(2026, 6, 2)).next_boundary is None


def test_holidays_dates_and_ranges() -> None:
    spec = schedule(
        timezone="Europe/Paris",
        uptime="Mon-Fri 08:00-19:00",
        holidays=["2026-12-25", "2026-12-28..2026-12-31"],
    )
    assert evaluate(spec, paris(2026, 12, 24, 12)).up
    decision = check_boundary(spec, paris(2026, 12, 25, 12))
    assert (decision.up, decision.reason, decision.source) == (False, "holiday 2026-12-25", "holiday")
    # Christmas is a Friday, the weekend follows and 2026-12-28..31 are holidays: next up on Friday 1st.
    assert decision.next_boundary == paris(2027, 1, 1, 8)
    assert evaluate(spec, paris(2026, 12, 30, 10)).reason == "holiday 2026-12-28..2026-12-31"
    assert evaluate(spec, paris(2027, 1, 1, 10)).up
    # Whole days in the schedule's timezone, not UTC.
    assert not evaluate(spec, utc(2026, 12, 24, 23, 30)).up
    assert evaluate(spec, utc(2026, 12, 24, 17, 30)).up
    only = schedule(holidays=["2026-05-01"])
    assert evaluate(only, utc(2026, 5, 2)).reason == "not a holiday"
    assert check_boundary(only, utc(2026, 4, 30)).next_boundary == utc(2026, 5, 1)


def test_override_before_and_after_until() -> None:
    keep_up = OverrideSpec(state="up", until="2026-11-30T22:00:00+01:00")
    decision = check_boundary(OFFICE, paris(2026, 11, 30, 20), override=keep_up)
    assert decision.up and decision.source == "override"
    assert decision.reason == "override up until 2026-11-30T22:00:00+01:00"
    assert decision.next_boundary == paris(2026, 11, 30, 22)
    after = evaluate(OFFICE, paris(2026, 11, 30, 22), override=keep_up)
    assert not after.up and after.reason == "outside uptime"
    # An override matching the schedule does not create a boundary at ``until``.
    decision = check_boundary(OFFICE, paris(2026, 11, 30, 10), override=keep_up)
    assert decision.next_boundary == paris(2026, 11, 30, 22)
    early = check_boundary(
        OFFICE, paris(2026, 11, 30, 9), override=OverrideSpec(state="up", until="2026-11-30T12:00:00+01:00")
    )
    assert early.next_boundary == paris(2026, 11, 30, 19)
    down = OverrideSpec(state="down", until="2026-12-02T00:00:00Z")
    decision = check_boundary(OFFICE, paris(2026, 12, 1, 10), override=down)
    assert not decision.up and decision.next_boundary == paris(2026, 12, 2, 8)
    # Override without a schedule: up afterwards ("no schedule"), scale_to_zero by default.
    decision = check_boundary(None, utc(2026, 12, 1), override=down)
    assert not decision.up and decision.off_action == "scale_to_zero"
    assert decision.next_boundary == utc(2026, 12, 2)
    assert evaluate(None, utc(2026, 12, 3), override=down).reason == "no schedule"


def test_grace_period_keeps_up_only() -> None:
    spec = schedule(timezone="Europe/Paris", uptime="Mon-Fri 08:00-19:00", grace_period="15m", off="pause")
    deployed = paris(2026, 11, 30, 18, 50)
    decision = check_boundary(spec, paris(2026, 11, 30, 19, 2), last_change=deployed)
    assert decision.up and decision.source == "grace"
    assert decision.reason == "grace period until 2026-11-30T19:05:00+01:00"
    assert decision.next_boundary == paris(2026, 11, 30, 19, 5)
    assert decision.off_action == "pause"
    decision = check_boundary(spec, paris(2026, 11, 30, 18, 55), last_change=deployed)
    assert decision.source == "uptime" and decision.next_boundary == paris(2026, 11, 30, 19, 5)
    assert not evaluate(spec, paris(2026, 11, 30, 19, 5), last_change=deployed).up
    # A deploy at night keeps it up for the grace period, even on a holiday.
    holiday = schedule(uptime="Mon-Fri 08:00-19:00", holidays=["2026-12-25"], grace_period=60)
    assert evaluate(holiday, utc(2026, 12, 25, 10, 30), last_change=utc(2026, 12, 25, 10)).source == "grace"
    assert not evaluate(holiday, utc(2026, 12, 25, 11), last_change=utc(2026, 12, 25, 10)).up
    # It never keeps an endpoint down, and an override wins over it.
    down = OverrideSpec(state="down", until="2026-11-30T12:00:00Z")
    assert not evaluate(
        spec, paris(2026, 11, 30, 10), last_change=paris(2026, 11, 30, 9, 55), override=down
    ).up
    assert (
        evaluate(OFFICE, paris(2026, 11, 30, 20), last_change=paris(2026, 11, 30, 19, 59)).source == "uptime"
    )


@pytest.mark.parametrize(
    ("day", "minute", "tz", "expected"),
    [
        # Paris spring forward 2026-03-29 02:00 CET -> 03:00 CEST (01:00 UTC).
        ((2026, 3, 29), 150, PARIS, utc(2026, 3, 29, 1)),  # 02:30 does not exist -> 03:00 CEST
        ((2026, 3, 29), 120, PARIS, utc(2026, 3, 29, 1)),
        ((2026, 3, 29), 180, PARIS, utc(2026, 3, 29, 1)),
        ((2026, 3, 29), 119, PARIS, utc(2026, 3, 29, 0, 59)),
        # Paris fall back 2026-10-25 03:00 CEST -> 02:00 CET: 02:30 happens twice; first one wins.
        ((2026, 10, 25), 150, PARIS, utc(2026, 10, 25, 0, 30)),
        ((2026, 10, 25), 180, PARIS, utc(2026, 10, 25, 2)),
        # New York: 2026-03-08 02:00 EST -> 03:00 EDT; 2026-11-01 02:00 EDT -> 01:00 EST.
        ((2026, 3, 8), 150, NEW_YORK, utc(2026, 3, 8, 7)),
        ((2026, 11, 1), 90, NEW_YORK, utc(2026, 11, 1, 5, 30)),
        ((2026, 11, 1), 1440, NEW_YORK, utc(2026, 11, 2, 5)),
    ],
)
def test_local_instant_dst_rule(day: tuple[int, int, int], minute: int, tz: Any, expected: datetime) -> None:
    from datetime import date

    assert local_instant(date(*day), minute, tz) == expected


def test_dst_paris_spring_forward() -> None:
    gap = schedule(timezone="Europe/Paris", uptime="Sun 02:30-04:00")
    decision = check_boundary(gap, paris(2026, 3, 29, 1, 30))
    assert decision.next_boundary == utc(2026, 3, 29, 1)  # 03:00 CEST, the first valid instant
    ends_in_gap = schedule(timezone="Europe/Paris", uptime="Sun 01:00-02:30")
    decision = check_boundary(ends_in_gap, paris(2026, 3, 29, 1, 30))
    assert decision.up and decision.next_boundary == utc(2026, 3, 29, 1)
    inside = schedule(timezone="Europe/Paris", uptime="Sun 02:00-02:45")
    assert transitions(inside, paris(2026, 3, 28), paris(2026, 3, 30)) == []
    assert len(transitions(inside, paris(2026, 3, 21), paris(2026, 3, 23))) == 2  # a normal Sunday
    # Office hours on the Monday after: 08:00 CEST.
    assert check_boundary(OFFICE, paris(2026, 3, 29, 12)).next_boundary == utc(2026, 3, 30, 6)


def test_dst_paris_fall_back() -> None:
    fold = schedule(timezone="Europe/Paris", uptime="Sun 02:30-05:00")
    decision = check_boundary(fold, paris(2026, 10, 25, 1))
    assert decision.next_boundary == utc(2026, 10, 25, 0, 30)  # the first 02:30 (CEST)
    assert evaluate(fold, utc(2026, 10, 25, 1, 30)).up  # the second 02:30 (CET) is inside
    ends_in_fold = schedule(timezone="Europe/Paris", uptime="Sun 00:00-02:30")
    assert check_boundary(ends_in_fold, paris(2026, 10, 25, 1)).next_boundary == utc(2026, 10, 25, 0, 30)
    assert not evaluate(ends_in_fold, utc(2026, 10, 25, 1, 30)).up
    assert check_boundary(OFFICE, paris(2026, 10, 25, 12)).next_boundary == utc(2026, 10, 26, 7)


def test_dst_new_york() -> None:
    spring = schedule(timezone="America/New_York", uptime="Sun 01:30-02:30")
    changes = transitions(spring, new_york(2026, 3, 8), new_york(2026, 3, 9))
    assert [(at, up) for at, up, _ in changes] == [
        (utc(2026, 3, 8, 6, 30), True),
        (utc(2026, 3, 8, 7), False),
    ]
    fall = schedule(timezone="America/New_York", uptime="Sun 01:30-03:00")
    changes = transitions(fall, new_york(2026, 11, 1), new_york(2026, 11, 2))
    assert [(at, up) for at, up, _ in changes] == [
        (utc(2026, 11, 1, 5, 30), True),
        (utc(2026, 11, 1, 8), False),
    ]
    office = schedule(timezone="America/New_York", uptime="Mon-Fri 09:00-17:00")
    for day in (2, 9, 16):  # the week before, of and after 2026-03-08... all 09:00 local
        decision = check_boundary(office, new_york(2026, 3, day, 8))
        assert decision.next_boundary == new_york(2026, 3, day, 9)


def test_naive_now_is_refused() -> None:
    with pytest.raises(TypeError, match="now must be a timezone-aware datetime"):
        evaluate(OFFICE, datetime(2026, 1, 1))


def test_ten_thousand_endpoints_are_cheap() -> None:
    specs = [
        schedule(timezone="Europe/Paris", uptime=f"Mon-Fri 0{h}:00-19:00", holidays=["2026-12-25"])
        for h in range(10)
    ]
    now = paris(2026, 11, 30, 10)
    started = time.perf_counter()
    for i in range(10_000):
        spec = specs[i % 10].model_copy()
        evaluate(spec, now + timedelta(seconds=i % 60))
    assert time.perf_counter() - started < 1.0
