"""The schedule language (spec side): parsing and validation of windows, holidays and overrides.

Owns: ``ScheduleSpec`` (windows, timezone, holidays, what "off" means, grace period), ``OverrideSpec``
(keep an endpoint up or down until an instant), the parsed forms (``Window``, ``Holiday``) and the
parsers (``parse_window``, ``parse_windows``, ``parse_holiday``, ``parse_instant``), all cached by
their input string so that evaluating thousands of endpoints never re-parses. Durations
(``grace_period``) are read by ``reconciler.durations``.
Called by: ``reconciler.spec.models`` (validation) and ``reconciler.schedule.evaluate``.
Must not: read the clock; evaluation takes ``now`` as an argument.

Window syntax (kube-downscaler's, plus a few conveniences)::

    <DAY>[-<DAY>] HH:MM-HH:MM [IANA timezone]   Mon-Fri 08:00-19:00 Europe/Paris, Sat-Sun 00:00-24:00,
                                                Fri 20:00-24:00, Sun-Thu 09:00-17:00 (day ranges wrap),
                                                Mon-Fri 20:00-06:00 (starts on the days, ends next morning)
    <ISO instant>/<ISO instant>                 2026-12-24T00:00:00+01:00/2026-12-27T00:00:00+01:00
                                                (also ``..`` or kube-downscaler's ``-`` as separator)
    always | never

Several windows are given as a list or as one comma-separated string. Windows are half-open: a
window ``08:00-19:00`` includes 08:00 and excludes 19:00.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import BaseModel, ConfigDict, Field, field_validator

from reconciler import durations

__all__ = [
    "DAYS",
    "MAX_HOLIDAYS",
    "MAX_WINDOWS",
    "Holiday",
    "OverrideSpec",
    "ScheduleSpec",
    "Window",
    "parse_holiday",
    "parse_instant",
    "parse_window",
    "parse_windows",
    "zone",
]

# Bounds on a schedule's size: evaluating it walks every window and holiday at each edge, so these
# keep one endpoint's plan in milliseconds (10,000 windows took over a minute).
MAX_WINDOWS = 100
MAX_HOLIDAYS = 1000
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_DAY_INDEX = {d.lower(): i for i, d in enumerate(DAYS)}
_FULL_DAYS = {
    "monday": 0,
    "tuesday": 1,
    "wednesday": 2,
    "thursday": 3,
    "friday": 4,
    "saturday": 5,
    "sunday": 6,
}
_ISO = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?"
_ABSOLUTE = re.compile(rf"^({_ISO})\s*(?:/|\.\.|-)\s*({_ISO})$")
_RECURRING = re.compile(r"^(\S+)\s+(\S+)(?:\s+(\S+))?$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Window:
    """One parsed window.

    ``kind`` is ``weekly`` (``days`` are the weekdays an occurrence *starts* on, 0 = Monday; ``start``
    and ``end`` are minutes after local midnight, 0..1440; ``end <= start`` means the occurrence
    ends on the next day), ``absolute`` (``[abs_start, abs_end)``), ``always`` or ``never``.
    ``tz`` is the window's own timezone (None: the schedule's).
    """

    text: str
    kind: Literal["weekly", "absolute", "always", "never"]
    days: frozenset[int] = frozenset()
    start: int = 0
    end: int = 0
    tz: str | None = None
    abs_start: datetime | None = None
    abs_end: datetime | None = None

    @property
    def core(self) -> str:
        """The window without its timezone (``Mon-Fri 08:00-19:00``)."""
        if self.kind != "weekly" or self.tz is None:
            return self.text
        return self.text.rsplit(None, 1)[0]

    def describe(self, default_tz: str) -> str:
        """``Mon-Fri 08:00-19:00 (Europe/Paris)``; absolute and always/never windows as written."""
        if self.kind != "weekly":
            return self.text
        return f"{self.core} ({self.tz or default_tz})"


@dataclass(frozen=True)
class Holiday:
    """Whole local days ``first..last`` (inclusive) in the schedule's timezone."""

    text: str
    first: date
    last: date


def _did_you_mean(message: str, word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"{message}; did you mean {close[0]!r}?" if close else message


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    """The ``ZoneInfo`` for an IANA name; ``ValueError`` with a suggestion if unknown."""
    try:
        if not name or name.startswith(("/", ".")) or ".." in name:
            raise ValueError(name)
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        pass
    message = f"unknown timezone {name!r}"
    hinted = _did_you_mean(message, name, sorted(available_timezones()))
    if hinted == message:
        hinted += " (use an IANA name like Europe/Paris)"
    raise ValueError(hinted)


def _day(token: str) -> int:
    key = token.lower()
    if key in _DAY_INDEX:
        return _DAY_INDEX[key]
    if key in _FULL_DAYS:
        return _FULL_DAYS[key]
    raise ValueError(_did_you_mean(f"unknown weekday {token!r}", token.capitalize(), list(DAYS)))


def _days(token: str) -> frozenset[int]:
    parts = token.split("-")
    if len(parts) == 1:
        return frozenset({_day(parts[0])})
    if len(parts) != 2 or not parts[0] or not parts[1]:
        raise ValueError(f"invalid day range {token!r} (use Mon-Fri or a single day)")
    first, last = _day(parts[0]), _day(parts[1])
    count = (last - first) % 7 + 1  # ranges wrap: Fri-Mon is Fri, Sat, Sun, Mon
    return frozenset((first + i) % 7 for i in range(count))


def _minutes(token: str, *, is_end: bool) -> int:
    match = _TIME.match(token)
    if match is None:
        raise ValueError(f"invalid time {token!r} (use HH:MM)")
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 24 or (hour == 24 and not is_end):
        raise ValueError(f"hour {hour} out of range" + (" (24:00 only ends a window)" if hour == 24 else ""))
    if minute > 59:
        raise ValueError(f"minute {minute} out of range")
    if hour == 24 and minute:
        raise ValueError(f"time {token!r} out of range (24:00 is the latest)")
    return hour * 60 + minute


def parse_instant(text: str) -> datetime:
    """An ISO-8601 instant with a UTC offset (``Z`` allowed)."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"invalid instant {text!r} (use ISO-8601 like 2026-11-30T18:00:00+01:00)") from None
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"instant {text!r} needs a UTC offset (like +01:00 or Z)")
    return value


def _parse_window(text: str) -> Window:
    lowered = text.lower()
    if lowered in ("always", "never"):
        return Window(text=lowered, kind="always" if lowered == "always" else "never")
    absolute = _ABSOLUTE.match(text)
    if absolute is not None:
        first, last = parse_instant(absolute.group(1)), parse_instant(absolute.group(2))
        if last <= first:
            raise ValueError("the end is not after the start")
        return Window(text=text, kind="absolute", abs_start=first, abs_end=last)
    match = _RECURRING.match(text)
    if match is None:
        raise ValueError(
            "expected '<Day>[-<Day>] HH:MM-HH:MM [Timezone]', an ISO range 'start/end', always or never"
        )
    days_token, times_token, tz_token = match.groups()
    days = _days(days_token)
    times = times_token.split("-")
    if len(times) != 2:
        raise ValueError(f"invalid time range {times_token!r} (use HH:MM-HH:MM)")
    start = _minutes(times[0], is_end=False)
    end = _minutes(times[1], is_end=True)
    if start == end or (start == 0 and end == 0):
        raise ValueError("empty window (the start equals the end)")
    if tz_token is not None:
        zone(tz_token)
    canonical = " ".join(p for p in (days_token, times_token, tz_token) if p)
    return Window(text=canonical, kind="weekly", days=days, start=start, end=end, tz=tz_token)


@lru_cache(maxsize=4096)
def parse_window(text: str) -> Window:
    """Parse one window; ``ValueError("invalid window '...': reason")`` if it is wrong."""
    cleaned = " ".join(text.split())
    if not cleaned:
        raise ValueError("empty window")
    try:
        return _parse_window(cleaned)
    except ValueError as exc:
        raise ValueError(f"invalid window {cleaned!r}: {exc}") from None


def _split(value: str | list[str] | tuple[str, ...]) -> list[tuple[int | None, str]]:
    """(index in the list or None, one window text) for a string or a list of strings."""
    items: list[tuple[int | None, str]] = []
    if isinstance(value, str):
        items.extend((None, part) for part in value.split(","))
    else:
        for i, item in enumerate(value):
            items.extend((i, part) for part in item.split(","))
    return items


@lru_cache(maxsize=4096)
def _parse_windows(value: str | tuple[str, ...]) -> tuple[Window, ...]:
    out: list[Window] = []
    for index, text in _split(value):
        try:
            out.append(parse_window(text))
        except ValueError as exc:
            # ``@N@ message`` lets the loader point at the list item's own line.
            raise ValueError(f"@{index}@ {exc}" if index is not None else str(exc)) from None
    return tuple(out)


def parse_windows(value: str | list[str] | tuple[str, ...] | None) -> tuple[Window, ...]:
    """All windows of an ``uptime``/``downtime`` value (cached)."""
    if value is None:
        return ()
    return _parse_windows(value if isinstance(value, str) else tuple(value))


def _date(text: str) -> date:
    if not _DATE.match(text):
        raise ValueError(f"invalid date {text!r} (use YYYY-MM-DD)")
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"invalid date {text!r}: {exc}") from None


@lru_cache(maxsize=4096)
def parse_holiday(text: str) -> Holiday:
    """``YYYY-MM-DD`` or ``YYYY-MM-DD..YYYY-MM-DD`` (inclusive)."""
    cleaned = text.strip()
    try:
        if ".." in cleaned:
            first_text, last_text = (p.strip() for p in cleaned.split("..", 1))
            first, last = _date(first_text), _date(last_text)
            if last < first:
                raise ValueError("the range ends before it starts")
        else:
            first = last = _date(cleaned)
    except ValueError as exc:
        raise ValueError(f"invalid holiday {cleaned!r}: {exc}") from None
    return Holiday(text=cleaned, first=first, last=last)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class ScheduleSpec(_Model):
    """When an endpoint is up. Windows use kube-downscaler's syntax (``Mon-Fri 08:00-19:00 Europe/Paris``)."""

    timezone: str = Field(default="UTC", description="IANA timezone for windows that do not name one.")
    uptime: str | list[str] | None = Field(
        default=None,
        description="Windows when the endpoint is up (none: always up unless in downtime). "
        "'Mon-Fri 08:00-19:00 [TZ]', 'start/end' ISO instants, always, never.",
    )
    downtime: str | list[str] | None = Field(
        default=None, description="Windows when it is off (downtime wins over uptime)."
    )
    off: Literal["pause", "scale_to_zero"] = Field(
        default="scale_to_zero", description="What off means: pause (explicit resume) or scale_to_zero."
    )
    holidays: list[str] = Field(
        default_factory=list,
        description="Dates (YYYY-MM-DD) or inclusive ranges (YYYY-MM-DD..YYYY-MM-DD), off all day "
        "in the schedule's timezone.",
    )
    grace_period: str | int = Field(
        default=0,
        description="Minutes (or '90s', '15m', '1h30m') after a deploy before it may go off.",
    )

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        zone(value)
        return value

    @field_validator("uptime", "downtime")
    @classmethod
    def _windows(cls, value: str | list[str] | None) -> str | list[str] | None:
        count = 0 if value is None else len(_split(value))
        if count > MAX_WINDOWS:
            raise ValueError(
                f"{count} windows; a schedule takes at most {MAX_WINDOWS} in uptime and in downtime"
            )
        parse_windows(value)
        return value

    @field_validator("holidays")
    @classmethod
    def _holidays(cls, value: list[str]) -> list[str]:
        if len(value) > MAX_HOLIDAYS:
            raise ValueError(
                f"{len(value)} holidays; a schedule takes at most {MAX_HOLIDAYS} (ranges count once: A..B)"
            )
        for i, item in enumerate(value):
            try:
                parse_holiday(item)
            except ValueError as exc:
                raise ValueError(f"@{i}@ {exc}") from None
        return value

    @field_validator("grace_period")
    @classmethod
    def _grace(cls, value: str | int) -> str | int:
        durations.parse(value, unit="m", what="grace_period")
        return value

    @property
    def uptime_windows(self) -> tuple[Window, ...]:
        return parse_windows(self.uptime)

    @property
    def downtime_windows(self) -> tuple[Window, ...]:
        return parse_windows(self.downtime)

    @property
    def holiday_ranges(self) -> tuple[Holiday, ...]:
        return tuple(parse_holiday(h) for h in self.holidays)

    @property
    def grace(self) -> timedelta:
        return durations.parse(self.grace_period, unit="m", what="grace_period")


class OverrideSpec(_Model):
    """Keep an endpoint up (or down) until a given instant, without editing its schedule."""

    state: Literal["up", "down"]
    until: str = Field(description="ISO-8601 instant with an offset, e.g. 2026-11-30T18:00:00+01:00.")

    @field_validator("until")
    @classmethod
    def _until(cls, value: str) -> str:
        _instant(value)
        return value

    @property
    def until_at(self) -> datetime:
        return _instant(self.until)


@lru_cache(maxsize=4096)
def _instant(text: str) -> datetime:
    return parse_instant(text)
