"""``transitions`` and ``fraction_up`` agree with ``evaluate`` at every instant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.schedule.evaluate import evaluate, fraction_up, transitions
from reconciler.schedule.models import OverrideSpec, ScheduleSpec

from .conftest import PARIS, paris, utc

OFFICE = ScheduleSpec(timezone="Europe/Paris", uptime="Mon-Fri 08:00-19:00")

SCHEDULES = [
    OFFICE,
    ScheduleSpec(timezone="Europe/Paris", uptime="Mon-Fri 08:00-19:00", holidays=["2026-03-30..2026-04-01"]),
    ScheduleSpec(timezone="America/New_York", uptime="Mon-Fri 20:00-06:00, Sat-Sun 10:00-12:00 Europe/Paris"),
    ScheduleSpec(
        uptime="always", downtime=["Sat-Sun 00:00-24:00 Europe/Paris", "Wed 02:30-03:30 Europe/Paris"]
    ),
    ScheduleSpec(timezone="Europe/Paris", downtime="Sun 01:00-02:30, Sun 02:00-04:00 America/New_York"),
    ScheduleSpec(
        timezone="Asia/Kolkata",
        uptime="Sun-Thu 09:30-18:00",
        downtime="2026-03-26T00:00:00+05:30/2026-03-27T12:00:00+05:30",
        grace_period="1h",
    ),
]


def test_office_week_has_ten_transitions() -> None:
    changes = transitions(OFFICE, paris(2026, 11, 30), paris(2026, 12, 7))
    assert len(changes) == 10
    assert [up for _, up, _ in changes] == [True, False] * 5
    assert changes[0] == (paris(2026, 11, 30, 8), True, "in uptime Mon-Fri 08:00-19:00 (Europe/Paris)")
    assert changes[1] == (paris(2026, 11, 30, 19), False, "outside uptime")
    assert changes[0][0].isoformat() == "2026-11-30T08:00:00+01:00"
    # (start, end) is open: a change exactly at start or end is not listed.
    assert len(transitions(OFFICE, paris(2026, 11, 30, 8), paris(2026, 12, 4, 19))) == 8


def test_fraction_up_is_exact() -> None:
    assert fraction_up(OFFICE, paris(2026, 11, 30), paris(2026, 12, 7)) == pytest.approx(55 / 168, abs=1e-12)
    assert fraction_up(None, utc(2026, 1, 1), utc(2026, 2, 1)) == 1.0
    assert fraction_up(ScheduleSpec(uptime="never"), utc(2026, 1, 1), utc(2026, 2, 1)) == 0.0
    # The spring-forward week is one hour shorter, office hours are not.
    assert fraction_up(OFFICE, paris(2026, 3, 23), paris(2026, 3, 30)) == pytest.approx(55 / 167, abs=1e-12)
    weekend = ScheduleSpec(timezone="Europe/Paris", uptime="Sat-Sun 00:00-24:00")
    assert fraction_up(weekend, paris(2026, 3, 28), paris(2026, 3, 30)) == 1.0
    # Two days of office hours, one of them a holiday.
    holiday = ScheduleSpec(timezone="Europe/Paris", uptime="Mon-Fri 08:00-19:00", holidays=["2026-12-25"])
    assert fraction_up(holiday, paris(2026, 12, 24), paris(2026, 12, 26)) == pytest.approx(11 / 48)
    with pytest.raises(ValueError):
        fraction_up(OFFICE, utc(2026, 1, 2), utc(2026, 1, 1))


def test_transitions_with_override_and_across_a_year() -> None:
    override = OverrideSpec(state="up", until="2026-12-01T00:00:00+01:00")
    changes = transitions(OFFICE, paris(2026, 11, 30, 12), paris(2026, 12, 2), override=override)
    assert [(at, up) for at, up, _ in changes] == [
        (paris(2026, 12, 1), False),
        (paris(2026, 12, 1, 8), True),
        (paris(2026, 12, 1, 19), False),
    ]
    year = transitions(OFFICE, paris(2026, 1, 1), paris(2027, 1, 1))
    assert len(year) == 2 * 261  # 261 weekdays in 2026
    only_override = transitions(None, utc(2026, 1, 1), utc(2026, 1, 3), override=override)
    assert only_override == []
    down = OverrideSpec(state="down", until="2026-01-02T00:00:00Z")
    assert transitions(None, utc(2026, 1, 1), utc(2026, 1, 3), override=down) == [
        (utc(2026, 1, 2), True, "no schedule")
    ]


@settings(max_examples=60, deadline=None)
@given(
    index=st.integers(0, len(SCHEDULES) - 1),
    start_minutes=st.integers(0, 60 * 24 * 365),
    samples=st.lists(st.floats(0, 1, exclude_max=True), min_size=1, max_size=8),
    grace=st.booleans(),
)
def test_sampled_instants_agree_with_evaluate(
    index: int, start_minutes: int, samples: list[float], grace: bool
) -> None:
    spec = SCHEDULES[index]
    start = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=start_minutes)
    end = start + timedelta(days=8)
    kwargs: dict[str, Any] = {"last_change": start - timedelta(minutes=20)} if grace else {}
    changes = transitions(spec, start, end, **kwargs)
    edges = [start, *(at for at, _, _ in changes), end]
    state = evaluate(spec, start, **kwargs)
    ups = [state.up, *(up for _, up, _ in changes)]
    for i in range(len(edges) - 1):
        # Each transition really changes the state, and the decision before it points at it.
        if i > 0:
            assert ups[i] != ups[i - 1]
            assert evaluate(spec, edges[i], **kwargs).reason == changes[i - 1][2]
        for fraction in samples:
            span = (edges[i + 1] - edges[i]) // timedelta(microseconds=1)
            at = edges[i] + timedelta(microseconds=min(span - 1, int(span * fraction)))
            decision = evaluate(spec, at, **kwargs)
            assert decision.up == ups[i], (at, decision)
            if i + 1 < len(edges) - 1:
                assert decision.next_boundary == edges[i + 1]
    total = sum(((edges[i + 1] - edges[i]) for i in range(len(ups)) if ups[i]), timedelta(0))
    assert fraction_up(spec, start, end, **kwargs) == pytest.approx(total / (end - start))


def test_outputs_are_local_fixed_offsets() -> None:
    at, _, _ = transitions(OFFICE, paris(2026, 7, 1), paris(2026, 7, 2))[0]
    assert at.isoformat() == "2026-07-01T08:00:00+02:00"
    assert at.astimezone(PARIS).hour == 8
