"""Schedules at many instants (issue 12, items 2 and 3): a table of nights, weekends, holidays, both
DST days in Europe/Paris and America/New_York and window edges; a sweep against a wall-clock oracle;
grace periods with any aware ``last_change`` (future ones included); ``hfleet schedule`` counting the
override in its hours with the cost model's function."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from reconciler import cli
from reconciler.schedule.evaluate import evaluate, fraction_up
from reconciler.schedule.models import OverrideSpec, ScheduleSpec

from .conftest import NEW_YORK, PARIS, new_york, paris, utc

HOLIDAYS = ["2026-12-25", "2026-12-31..2027-01-01"]
PARIS_OFFICE = ScheduleSpec(timezone="Europe/Paris", uptime="Mon-Fri 08:00-19:00", holidays=HOLIDAYS)
NY_OFFICE = ScheduleSpec(timezone="America/New_York", uptime="Mon-Fri 08:00-19:00", holidays=HOLIDAYS)
NIGHTS = ScheduleSpec(timezone="Europe/Paris", uptime="Mon-Fri 08:00-19:00", downtime="Mon-Sun 01:00-05:00")
# Edges inside the DST transitions: 02:30 does not exist on 2026-03-29 and happens twice on 2026-10-25.
DST_EDGES = ScheduleSpec(timezone="Europe/Paris", downtime="Sun 02:30-04:00")

TABLE = [
    # (schedule, instant, up, source)
    (PARIS_OFFICE, paris(2026, 11, 30, 7, 59, 59), False, "uptime"),  # Monday, a second before
    (PARIS_OFFICE, paris(2026, 11, 30, 8), True, "uptime"),  # the start is in the window
    (PARIS_OFFICE, paris(2026, 11, 30, 18, 59, 59), True, "uptime"),
    (PARIS_OFFICE, paris(2026, 11, 30, 19), False, "uptime"),  # the end is not
    (PARIS_OFFICE, paris(2026, 12, 2, 3), False, "uptime"),  # a night
    (PARIS_OFFICE, paris(2026, 12, 5, 12), False, "uptime"),  # Saturday noon
    (PARIS_OFFICE, paris(2026, 12, 6, 23, 59), False, "uptime"),  # Sunday night
    (PARIS_OFFICE, paris(2026, 12, 25, 10), False, "holiday"),  # a Friday, but Christmas
    (PARIS_OFFICE, paris(2026, 12, 25, 0), False, "holiday"),  # from local midnight
    (PARIS_OFFICE, paris(2026, 12, 24, 18), True, "uptime"),  # the eve is a working day
    (PARIS_OFFICE, paris(2027, 1, 1, 12), False, "holiday"),  # a range, inclusive
    (PARIS_OFFICE, paris(2027, 1, 4, 8), True, "uptime"),  # back after the range
    (PARIS_OFFICE, utc(2026, 12, 25, 23, 30), False, "uptime"),  # 00:30 Saturday in Paris
    # Spring forward in Paris (Sunday 2026-03-29) and the Monday after: 08:00 CEST is 06:00 UTC.
    (PARIS_OFFICE, utc(2026, 3, 27, 7), True, "uptime"),  # Friday before: 08:00 CET = 07:00 UTC
    (PARIS_OFFICE, utc(2026, 3, 30, 6), True, "uptime"),
    (PARIS_OFFICE, utc(2026, 3, 30, 5, 59), False, "uptime"),
    # Fall back in Paris (Sunday 2026-10-25): Monday 08:00 CET is 07:00 UTC.
    (PARIS_OFFICE, utc(2026, 10, 23, 6), True, "uptime"),  # Friday before: 08:00 CEST = 06:00 UTC
    (PARIS_OFFICE, utc(2026, 10, 26, 6, 59), False, "uptime"),
    (PARIS_OFFICE, utc(2026, 10, 26, 7), True, "uptime"),
    # New York: spring forward 2026-03-08, fall back 2026-11-01.
    (NY_OFFICE, utc(2026, 3, 6, 13), True, "uptime"),  # Friday 08:00 EST
    (NY_OFFICE, utc(2026, 3, 9, 12), True, "uptime"),  # Monday 08:00 EDT
    (NY_OFFICE, utc(2026, 3, 9, 11, 59), False, "uptime"),
    (NY_OFFICE, utc(2026, 10, 30, 12), True, "uptime"),  # Friday 08:00 EDT
    (NY_OFFICE, utc(2026, 11, 2, 12, 59), False, "uptime"),  # Monday 07:59 EST
    (NY_OFFICE, utc(2026, 11, 2, 13), True, "uptime"),
    (NY_OFFICE, new_york(2026, 12, 25, 9), False, "holiday"),  # in New York's own day
    (NY_OFFICE, utc(2026, 12, 25, 2), False, "uptime"),  # Thursday 21:00 in New York, not a holiday yet
    # Downtime wins over uptime, at night.
    (NIGHTS, paris(2026, 12, 1, 1), False, "downtime"),
    (NIGHTS, paris(2026, 12, 1, 5), False, "uptime"),
    (NIGHTS, paris(2026, 12, 1, 9), True, "uptime"),
    # Edges in a gap move to the transition; in a fold they take the first occurrence.
    (DST_EDGES, utc(2026, 3, 29, 0, 59), True, "default"),  # 01:59 CET
    (DST_EDGES, utc(2026, 3, 29, 1), False, "downtime"),  # 03:00 CEST, the gap's end
    (DST_EDGES, utc(2026, 3, 29, 2), True, "default"),  # 04:00 CEST
    (DST_EDGES, utc(2026, 10, 25, 0, 29), True, "default"),  # 02:29 CEST
    (DST_EDGES, utc(2026, 10, 25, 0, 30), False, "downtime"),  # 02:30 CEST, first occurrence
    (DST_EDGES, utc(2026, 10, 25, 1, 15), False, "downtime"),  # 02:15 CET, the repeated hour
    (DST_EDGES, utc(2026, 10, 25, 3), True, "default"),  # 04:00 CET
]


@pytest.mark.parametrize(("spec", "instant", "up", "source"), TABLE)
def test_table(spec: ScheduleSpec, instant: datetime, up: bool, source: str) -> None:
    decision = evaluate(spec, instant)
    assert (decision.up, decision.source) == (up, source), decision.reason
    if decision.next_boundary is not None:
        assert decision.next_boundary > instant
        assert evaluate(spec, decision.next_boundary).up is not up


def wall_clock_oracle(t: datetime, tz: ZoneInfo, holidays: set[date]) -> bool:
    """Up iff, on the local wall clock, it is a weekday from 08:00 to 19:00 and not a holiday."""
    local = t.astimezone(tz)
    minutes = local.hour * 60 + local.minute
    return local.weekday() < 5 and 8 * 60 <= minutes < 19 * 60 and local.date() not in holidays


@pytest.mark.parametrize(
    ("spec", "tz", "start"),
    [
        (PARIS_OFFICE, PARIS, utc(2026, 3, 23)),  # the week of the spring-forward Sunday
        (PARIS_OFFICE, PARIS, utc(2026, 10, 19)),  # fall back
        (PARIS_OFFICE, PARIS, utc(2026, 12, 21)),  # Christmas and New Year
        (NY_OFFICE, NEW_YORK, utc(2026, 3, 2)),
        (NY_OFFICE, NEW_YORK, utc(2026, 10, 26)),
        (NY_OFFICE, NEW_YORK, utc(2026, 12, 21)),
    ],
)
def test_two_weeks_every_seven_minutes_match_the_wall_clock(
    spec: ScheduleSpec, tz: ZoneInfo, start: datetime
) -> None:
    holidays = {date(2026, 12, 25), date(2026, 12, 31), date(2027, 1, 1)}
    t = start
    while t < start + timedelta(days=14):
        assert evaluate(spec, t).up is wall_clock_oracle(t, tz, holidays), t
        t += timedelta(minutes=7)


GRACE = ScheduleSpec(timezone="Europe/Paris", uptime="Mon-Fri 08:00-19:00", grace_period="30m")
NIGHT = paris(2026, 12, 1, 22)  # Tuesday night: off by the schedule


@pytest.mark.parametrize(
    "last_change",
    [
        NIGHT - timedelta(minutes=10),
        (NIGHT - timedelta(minutes=10)).astimezone(UTC),
        (NIGHT - timedelta(minutes=10)).astimezone(timezone(timedelta(hours=-7, minutes=-30))),
        (NIGHT - timedelta(minutes=10)).astimezone(ZoneInfo("Asia/Tokyo")),
    ],
    ids=["paris", "utc", "odd-offset", "tokyo"],
)
def test_grace_takes_any_aware_datetime(last_change: datetime) -> None:
    decision = evaluate(GRACE, NIGHT, last_change=last_change)
    assert (decision.up, decision.source) == (True, "grace")
    assert decision.next_boundary == NIGHT + timedelta(minutes=20)


@pytest.mark.parametrize("skew", [timedelta(seconds=1), timedelta(minutes=5), timedelta(hours=3)])
def test_a_last_change_in_the_future_is_just_deployed(skew: timedelta) -> None:
    decision = evaluate(GRACE, NIGHT, last_change=NIGHT + skew)
    assert (decision.up, decision.source) == (True, "grace")
    assert decision.next_boundary == NIGHT + timedelta(minutes=30)  # the grace runs from now


def test_a_naive_last_change_is_a_programming_error() -> None:
    with pytest.raises(TypeError, match="last_change must be a timezone-aware datetime"):
        evaluate(GRACE, NIGHT, last_change=datetime(2026, 12, 1, 21, 50))


FLEET = """\
kind: Fleet
name: team
namespace: acme
defaults: {vendor: aws, region: us-east-1, accelerator: cpu, instance_type: intel-spr,
           instance_size: x2, repository: org/model, type: authenticated}
schedules:
  office:
    timezone: Europe/Paris
    uptime: Mon-Fri 08:00-19:00
    holidays: ["2026-12-02"]
"""


def schedule_view(tmp: Path, endpoints: str, now: str, days: int) -> dict[str, dict[str, object]]:
    (tmp / "fleet.yaml").write_text(FLEET)
    (tmp / "ep.yaml").write_text(endpoints)
    args = ["schedule", str(tmp), "--now", now, "--days", str(days), "--format", "json"]
    result = CliRunner().invoke(cli.cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return {item["name"]: item for item in json.loads(result.stdout)["endpoints"]}


def test_hfleet_schedule_counts_the_override_and_holidays_in_hours(tmp_path: Path) -> None:
    until = "2026-12-02T18:00:00+01:00"  # Wednesday 18:00, and Wednesday is a holiday
    view = schedule_view(
        tmp_path,
        "kind: Endpoint\nname: plain\nschedule: office\n---\nkind: Endpoint\nname: kept\nschedule: office\n"
        f"schedule_override: {{state: up, until: '{until}'}}\n---\n"
        "kind: Endpoint\nname: held\nschedule: office\n"
        "schedule_override: {state: down, until: '2026-12-01T12:00:00+01:00'}\n",
        "2026-11-30T00:00:00+01:00",  # Monday midnight, Paris
        7,
    )
    # Plain: Mon, Tue, Thu, Fri at 11 h (Wednesday is a holiday) = 44 h.
    assert view["plain"]["hours_up"] == 44.0 and view["plain"]["hours_saved"] == 124.0
    # Kept up from Monday 00:00 to Wednesday 18:00 (66 h), then Thursday and Friday (22 h) = 88 h.
    assert view["kept"]["hours_up"] == 88.0 and view["kept"]["hours_saved"] == 80.0
    # Held down until Tuesday 12:00: loses Monday (11 h) and Tuesday 08:00-12:00 (4 h) = 29 h.
    assert view["held"]["hours_up"] == 29.0
    # The same numbers as the cost model's function, override passed.
    spec = ScheduleSpec(timezone="Europe/Paris", uptime="Mon-Fri 08:00-19:00", holidays=["2026-12-02"])
    start = paris(2026, 11, 30)
    share = fraction_up(
        spec, start, start + timedelta(days=7), override=OverrideSpec(state="up", until=until)
    )
    assert view["kept"]["uptime_fraction"] == round(share, 4) == round(88 / 168, 4)
