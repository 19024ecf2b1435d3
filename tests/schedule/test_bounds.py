"""Schedules are bounded in size, and evaluating the largest allowed one stays fast (issue 13, item 3).

Before: 10,000 windows ran past 60 s, and a schedule that never changes (``downtime: always`` with
many uptime windows and holidays) took seconds per endpoint because every edge of 400 days
re-evaluated every window and holiday. The sweep in ``compiled.base_next`` is checked here against
a plain edge-by-edge walk on generated schedules.
"""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from reconciler.schedule import compiled
from reconciler.schedule.evaluate import evaluate, fraction_up
from reconciler.schedule.models import MAX_HOLIDAYS, MAX_WINDOWS, ScheduleSpec

from .conftest import utc

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def windows(count: int, *, zone: bool = True) -> list[str]:
    out = []
    for i in range(count):
        start = i % 23
        tz = (" Europe/Paris", " America/New_York", "")[i % 3] if zone else ""
        out.append(f"{DAYS[i % 7]} {start:02d}:{(i * 7) % 60:02d}-{start + 1:02d}:00{tz}")
    return out


def holidays(count: int) -> list[str]:
    return [(date(2026, 1, 1) + timedelta(days=3 * i)).isoformat() for i in range(count)]


@pytest.mark.parametrize("field", ["uptime", "downtime"])
def test_too_many_windows_are_refused_before_parsing(field: str) -> None:
    started = time.monotonic()
    with pytest.raises(ValidationError, match=f"10000 windows; a schedule takes at most {MAX_WINDOWS}"):
        ScheduleSpec.model_validate({field: windows(10_000)})
    with pytest.raises(ValidationError, match="at most 100"):
        ScheduleSpec.model_validate({field: ", ".join(windows(MAX_WINDOWS + 1))})
    assert time.monotonic() - started < 2.0


def test_too_many_holidays_are_refused() -> None:
    with pytest.raises(ValidationError, match=f"1001 holidays; a schedule takes at most {MAX_HOLIDAYS}"):
        ScheduleSpec(holidays=holidays(MAX_HOLIDAYS + 1))


LARGEST = {
    "timezone": "Europe/Paris",
    "uptime": windows(MAX_WINDOWS),
    "downtime": windows(MAX_WINDOWS, zone=False),
    "holidays": holidays(MAX_HOLIDAYS),
    "grace_period": "30m",
}


@pytest.mark.parametrize(
    "spec",
    [
        ScheduleSpec.model_validate(LARGEST),
        ScheduleSpec.model_validate({**LARGEST, "downtime": ["always"]}),  # never changes: the full horizon
        ScheduleSpec.model_validate({**LARGEST, "downtime": None, "uptime": windows(MAX_WINDOWS)}),
    ],
    ids=["largest", "never-changes", "windows-only"],
)
def test_the_largest_schedule_is_evaluated_quickly(spec: ScheduleSpec) -> None:
    now = utc(2026, 3, 27, 10)
    started = time.monotonic()
    for hours in range(0, 7 * 24, 12):  # 14 instants: each a fresh (uncached) evaluation
        evaluate(spec, now + timedelta(hours=hours), last_change=now)
    fraction_up(spec, now, now + timedelta(days=7))
    assert time.monotonic() - started < 10.0  # about 1 s on one shared core; minutes before


def walk(c: compiled.Compiled, t: datetime) -> datetime | None:
    """The oracle: visit every edge of every window and holiday in order, evaluating ``base`` there."""
    current = compiled.base(c, t)[0]
    at = t
    while True:
        edges = [win.next_edge(at) for win in (*c.downtime, *c.uptime)] + [c.holidays.next_edge(at)]
        found = [e for e in edges if e is not None]
        if not found or min(found) > t + compiled.HORIZON:
            return None
        at = min(found)
        if compiled.base(c, at)[0] != current:
            return at


ZONES = ("", " Europe/Paris", " America/New_York", " Asia/Kolkata")
window = st.builds(
    lambda d1, d2, h1, h2, m, tz: f"{DAYS[d1]}-{DAYS[d2]} {h1:02d}:{m:02d}-{h2:02d}:00{tz}",
    st.integers(0, 6),
    st.integers(0, 6),
    st.integers(0, 23),
    st.integers(1, 24),
    st.sampled_from([0, 30]),
    st.sampled_from(ZONES),
).filter(lambda w: w.split()[1].split("-")[0] != w.split()[1].split("-")[1])
holiday = st.builds(
    lambda start, length: (
        f"{date(2026, 1, 1) + timedelta(days=start)}..{date(2026, 1, 1) + timedelta(days=start + length)}"
    ),
    st.integers(0, 500),
    st.integers(0, 20),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(window, max_size=4),
    st.lists(window, max_size=3) | st.just(["always"]) | st.just([]),
    st.lists(holiday, max_size=4),
    st.integers(0, 365 * 24),
)
def test_the_sweep_agrees_with_a_plain_walk(
    up: list[str], down: list[str], days: list[str], hour: int
) -> None:
    spec = ScheduleSpec(timezone="Europe/Paris", uptime=up or None, downtime=down or None, holidays=days)
    c = compiled.prepare(spec)
    assert c is not None
    t = utc(2026, 1, 1) + timedelta(hours=hour, minutes=17)
    assert compiled.base_next(c, t) == walk(c, t)


def test_overlapping_holidays_keep_the_first_text() -> None:
    spec = ScheduleSpec(
        timezone="Europe/Paris", holidays=["2026-12-24..2026-12-26", "2026-12-25", "2026-12-20"]
    )
    assert evaluate(spec, utc(2026, 12, 25, 12)).reason == "holiday 2026-12-24..2026-12-26"
    assert evaluate(spec, utc(2026, 12, 20, 12)).reason == "holiday 2026-12-20"
    assert evaluate(spec, utc(2026, 12, 27, 12)).up
    assert evaluate(spec, utc(2026, 12, 26, 12)).next_boundary == utc(2026, 12, 26, 23)
