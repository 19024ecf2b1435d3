"""Parsing windows, holidays, durations and instants."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from reconciler.schedule.models import (
    parse_holiday,
    parse_instant,
    parse_window,
    parse_windows,
    zone,
)


@pytest.mark.parametrize(
    ("text", "days", "start", "end", "tz"),
    [
        ("Mon-Fri 08:00-19:00 Europe/Paris", {0, 1, 2, 3, 4}, 480, 1140, "Europe/Paris"),
        ("Sat-Sun 00:00-24:00", {5, 6}, 0, 1440, None),
        ("Fri 20:00-24:00", {4}, 1200, 1440, None),
        ("Fri-Fri 20:00-24:00 CET", {4}, 1200, 1440, "CET"),
        ("Sun-Thu 09:00-17:00", {6, 0, 1, 2, 3}, 540, 1020, None),
        ("Fri-Mon 10:00-11:00", {4, 5, 6, 0}, 600, 660, None),
        ("Mon-Fri 20:00-06:00", {0, 1, 2, 3, 4}, 1200, 360, None),
        ("mon-fri  07:30-20:30   America/New_York", {0, 1, 2, 3, 4}, 450, 1230, "America/New_York"),
        ("Wednesday 1:05-2:00", {2}, 65, 120, None),
    ],
)
def test_weekly_windows(text: str, days: set[int], start: int, end: int, tz: str | None) -> None:
    window = parse_window(text)
    assert window.kind == "weekly"
    assert window.days == frozenset(days)
    assert (window.start, window.end, window.tz) == (start, end, tz)


def test_describe_and_core() -> None:
    assert parse_window("Mon-Fri 08:00-19:00 Europe/Paris").describe("UTC") == (
        "Mon-Fri 08:00-19:00 (Europe/Paris)"
    )
    assert parse_window("Mon-Fri 08:00-19:00").describe("Asia/Tokyo") == "Mon-Fri 08:00-19:00 (Asia/Tokyo)"
    assert parse_window("always").describe("UTC") == "always"


@pytest.mark.parametrize(
    "text",
    [
        "2026-12-24T00:00:00+01:00/2026-12-27T00:00:00+01:00",
        "2026-12-24T00:00:00+01:00..2026-12-27T00:00:00+01:00",
        "2026-12-24T00:00:00+01:00-2026-12-27T00:00:00+01:00",
        "2026-12-23T23:00:00Z/2026-12-26T23:00Z",
    ],
)
def test_absolute_windows(text: str) -> None:
    window = parse_window(text)
    assert window.kind == "absolute"
    assert window.abs_start == datetime(2026, 12, 23, 23, tzinfo=UTC)
    assert window.abs_end == datetime(2026, 12, 26, 23, tzinfo=UTC)


def test_always_never_and_lists() -> None:
    assert parse_window("Always").kind == "always"
    assert parse_window("never").kind == "never"
    assert [w.text for w in parse_windows("Mon-Fri 08:00-12:00, Mon-Fri 13:00-19:00")] == [
        "Mon-Fri 08:00-12:00",
        "Mon-Fri 13:00-19:00",
    ]
    assert len(parse_windows(["Sat 10:00-11:00", "Sun 10:00-11:00, Mon 10:00-11:00"])) == 3
    assert parse_windows(None) == ()
    assert parse_windows("Mon 10:00-11:00")[0] is parse_windows("Mon 10:00-11:00")[0]  # cached


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "Mon-Fry 08:00-19:00",
            "invalid window 'Mon-Fry 08:00-19:00': unknown weekday 'Fry'; did you mean 'Fri'?",
        ),
        ("Mon-Fri 25:00-26:00", "hour 25 out of range"),
        ("Mon-Fri 08:61-19:00", "minute 61 out of range"),
        ("Mon-Fri 24:00-05:00", "hour 24 out of range"),
        ("Mon-Fri 08:00-24:30", "out of range"),
        (
            "Mon-Fri 08:00-19:00 Europe/Pariss",
            "unknown timezone 'Europe/Pariss'; did you mean 'Europe/Paris'?",
        ),
        ("Mon-Fri 08:00-19:00 Nowhere", "unknown timezone 'Nowhere'"),
        ("Mon-Fri 8h-19h", "invalid time '8h'"),
        ("Mon-Fri 08:00-08:00", "empty window"),
        ("Mon-Fri", "expected '<Day>[-<Day>] HH:MM-HH:MM [Timezone]'"),
        ("Mon-Tue-Wed 08:00-09:00", "invalid day range"),
        ("2026-12-24T00:00:00/2026-12-27T00:00:00", "needs a UTC offset"),
        ("2026-12-27T00:00:00Z/2026-12-24T00:00:00Z", "the end is not after the start"),
        ("2026-13-24T00:00:00Z/2026-12-27T00:00:00Z", "invalid instant"),
        ("  ", "empty window"),
    ],
)
def test_bad_windows(text: str, message: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_windows(text)
    assert message in str(info.value)


def test_bad_item_in_a_list_names_its_index() -> None:
    with pytest.raises(ValueError, match=r"^@1@ invalid window 'Sat 10:00-11:60'"):
        parse_windows(["Sat 10:00-11:00", "Sat 10:00-11:60"])


def test_holidays() -> None:
    assert parse_holiday("2026-12-25").first == parse_holiday("2026-12-25").last == date(2026, 12, 25)
    span = parse_holiday("2026-12-24..2027-01-01")
    assert (span.first, span.last) == (date(2026, 12, 24), date(2027, 1, 1))
    for bad, message in [
        ("2026-12-32", "invalid date"),
        ("25/12/2026", "use YYYY-MM-DD"),
        ("2026-12-26..2026-12-24", "ends before it starts"),
    ]:
        with pytest.raises(ValueError, match=message):
            parse_holiday(bad)


def test_instants_and_zones() -> None:
    assert parse_instant("2026-11-30T18:00:00+01:00") == datetime(2026, 11, 30, 17, tzinfo=UTC)
    with pytest.raises(ValueError, match="needs a UTC offset"):
        parse_instant("2026-11-30T18:00:00")
    with pytest.raises(ValueError, match="invalid instant"):
        parse_instant("tomorrow")
    assert str(zone("Europe/Paris")) == "Europe/Paris"
    for bad in ("../etc/passwd", "", "Mars/Olympus"):
        with pytest.raises(ValueError, match="unknown timezone"):
            zone(bad)
