"""A schedule compiled for fast evaluation: windows against their timezones, holidays as a sorted
timeline, and the sweep that finds the schedule's next change.

Owns: ``local_instant`` (the daylight-saving rule, see ``reconciler.schedule.evaluate``), ``Win``,
``Holidays``, ``Compiled``, ``prepare`` and the schedule alone: ``base`` (up or off at an instant,
ignoring overrides and grace) and ``base_next`` (when that changes).
Called by: ``reconciler.schedule.evaluate``. Must not: read the clock.

Cost. A schedule holds at most ``MAX_WINDOWS`` windows in uptime and in downtime and
``MAX_HOLIDAYS`` holidays (``reconciler.schedule.models``). ``base`` is O(windows + log holidays);
``base_next`` sweeps the edges of ``HORIZON`` (400 days) once with a heap, updating which windows
are active at each edge instead of re-evaluating every window there, so even a schedule that never
changes (``downtime: always`` with 100 uptime windows) is answered in well under a second.
"""

from __future__ import annotations

import heapq
from bisect import bisect_right
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

from reconciler.schedule.models import ScheduleSpec, Window, zone

__all__ = ["HORIZON", "Compiled", "Holidays", "Win", "base", "base_next", "local_instant", "prepare"]

HORIZON = timedelta(days=400)
OffAction = Literal["pause", "scale_to_zero"]
_DAY = timedelta(days=1)
_SECOND = timedelta(seconds=1)
_CACHE = 8192


def _wall(instant: datetime, tz: tzinfo) -> datetime:
    return instant.astimezone(tz).replace(tzinfo=None)


@lru_cache(maxsize=_CACHE)
def local_instant(day: date, minute: int, tz: ZoneInfo) -> datetime:
    """The UTC instant of ``minute`` minutes after local midnight of ``day`` (DST rule above)."""
    naive = datetime(day.year, day.month, day.day) + timedelta(minutes=minute)
    later = naive.replace(tzinfo=tz).astimezone(UTC)  # fold=0: first occurrence if ambiguous
    if _wall(later, tz) == naive:
        return later
    # In a gap: fold=0 used the offset before the transition (an instant after the gap) and fold=1
    # the one after it (an instant before the gap). The transition is the first instant whose wall
    # time is not before ``naive``; find it to the second.
    earlier = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    low, high = min(earlier, later), max(earlier, later)
    while high - low > _SECOND:
        middle = low + timedelta(seconds=((high - low) // _SECOND) // 2)
        if _wall(middle, tz) >= naive:
            high = middle
        else:
            low = middle
    return high


class Win:
    """A window compiled against a timezone. Identity-hashed; occurrences cached by day ordinal."""

    __slots__ = ("_occ", "end", "label", "start", "tz", "window")

    def __init__(self, window: Window, default_tz: str) -> None:
        self.window = window
        self.tz = zone(window.tz or default_tz)
        self.label = window.describe(default_tz)
        self.start = window.start
        self.end = window.end
        self._occ: dict[int, tuple[datetime, datetime] | None] = {}

    def _occurrence(self, ordinal: int) -> tuple[datetime, datetime] | None:
        """The occurrence starting on local day ``ordinal``, or None (not one of its days, or empty)."""
        try:
            return self._occ[ordinal]
        except KeyError:
            pass
        day = date.fromordinal(ordinal)
        found: tuple[datetime, datetime] | None = None
        if day.weekday() in self.window.days:
            begin = local_instant(day, self.start, self.tz)
            end_day = day + _DAY if self.end <= self.start else day
            finish = local_instant(end_day, self.end, self.tz)
            found = (begin, finish) if finish > begin else None
        if len(self._occ) > 4096:
            self._occ.clear()
        self._occ[ordinal] = found
        return found

    def contains(self, t: datetime) -> bool:
        kind = self.window.kind
        if kind == "always":
            return True
        if kind == "never":
            return False
        if kind == "absolute":
            assert self.window.abs_start is not None and self.window.abs_end is not None
            return self.window.abs_start <= t < self.window.abs_end
        today = t.astimezone(self.tz).toordinal()
        for ordinal in (today - 1, today, today + 1):
            occ = self._occurrence(ordinal)
            if occ is not None and occ[0] <= t < occ[1]:
                return True
        return False

    def next_edge(self, t: datetime) -> datetime | None:
        """The first instant after ``t`` where this window starts or ends."""
        kind = self.window.kind
        if kind in ("always", "never"):
            return None
        if kind == "absolute":
            assert self.window.abs_start is not None and self.window.abs_end is not None
            edges = [e for e in (self.window.abs_start, self.window.abs_end) if e > t]
            return min(edges) if edges else None
        today = t.astimezone(self.tz).toordinal()
        best: datetime | None = None
        for ordinal in range(today - 1, today + 9):
            occ = self._occurrence(ordinal)
            if occ is None:
                continue
            for edge in occ:
                if edge > t and (best is None or edge < best):
                    best = edge
            if best is not None and occ[0] > best:
                break
        return best


class Holidays:
    """Holidays as one sorted timeline: the instants where any holiday starts or ends (``bounds``)
    and, for each segment between two bounds, the text of the first holiday covering it (sorted by
    start) or None. Overlapping ranges are fine; lookups are a binary search."""

    __slots__ = ("bounds", "texts")

    def __init__(self, ranges: list[tuple[datetime, datetime, str]]) -> None:
        ordered = sorted(ranges)
        self.bounds = sorted({bound for first, last, _ in ordered for bound in (first, last)})
        self.texts: list[str | None] = []
        covering: list[tuple[int, datetime]] = []  # (index in ``ordered``, end), smallest index on top
        following = 0
        for start in self.bounds[:-1]:
            while following < len(ordered) and ordered[following][0] <= start:
                heapq.heappush(covering, (following, ordered[following][1]))
                following += 1
            while covering and covering[0][1] <= start:
                heapq.heappop(covering)
            self.texts.append(ordered[covering[0][0]][2] if covering else None)

    def __bool__(self) -> bool:
        return bool(self.bounds)

    def at(self, t: datetime) -> str | None:
        """The text of the holiday ``t`` falls in, or None."""
        index = bisect_right(self.bounds, t) - 1
        return self.texts[index] if 0 <= index < len(self.texts) else None

    def next_edge(self, t: datetime) -> datetime | None:
        """The first instant after ``t`` where a holiday starts or ends."""
        index = bisect_right(self.bounds, t)
        return self.bounds[index] if index < len(self.bounds) else None


class Compiled:
    """A schedule ready to evaluate (identity-hashed: one per distinct schedule, cached)."""

    __slots__ = ("downtime", "grace", "holidays", "off", "tz", "uptime")

    def __init__(self, spec: ScheduleSpec) -> None:
        self.tz = zone(spec.timezone)
        self.uptime = tuple(Win(w, spec.timezone) for w in spec.uptime_windows)
        self.downtime = tuple(Win(w, spec.timezone) for w in spec.downtime_windows)
        self.holidays = Holidays(
            [
                (local_instant(h.first, 0, self.tz), local_instant(h.last + _DAY, 0, self.tz), h.text)
                for h in spec.holiday_ranges
            ]
        )
        self.off: OffAction = spec.off
        self.grace = spec.grace


def _key(spec: ScheduleSpec) -> tuple[object, ...]:
    def frozen(value: str | list[str] | None) -> str | tuple[str, ...] | None:
        return tuple(value) if isinstance(value, list) else value

    return (
        spec.timezone,
        frozen(spec.uptime),
        frozen(spec.downtime),
        tuple(spec.holidays),
        spec.off,
        spec.grace_period,
    )


_compiled_by_key: dict[tuple[object, ...], Compiled] = {}


def prepare(spec: ScheduleSpec | None) -> Compiled | None:
    """The compiled form of ``spec``, cached by its content (a thousand endpoints share one)."""
    if spec is None:
        return None
    key = _key(spec)
    cached = _compiled_by_key.get(key)
    if cached is None:
        if len(_compiled_by_key) > 1024:
            _compiled_by_key.clear()
        cached = _compiled_by_key[key] = Compiled(spec)
    return cached


@lru_cache(maxsize=_CACHE)
def base(c: Compiled | None, t: datetime) -> tuple[bool, str, str]:
    """(up, reason, source) of the schedule alone at ``t``."""
    if c is None:
        return True, "no schedule", "default"
    holiday = c.holidays.at(t)
    if holiday is not None:
        return False, f"holiday {holiday}", "holiday"
    for win in c.downtime:
        if win.contains(t):
            return False, f"in downtime {win.label}", "downtime"
    if not c.uptime:
        if c.downtime:
            return True, "outside downtime", "default"
        if c.holidays:
            return True, "not a holiday", "default"
        return True, "always up (no uptime windows)", "default"
    for win in c.uptime:
        if win.contains(t):
            return True, f"in uptime {win.label}", "uptime"
    return False, "outside uptime", "uptime"


@lru_cache(maxsize=_CACHE)
def base_next(c: Compiled | None, t: datetime) -> datetime | None:
    """The first instant in ``(t, t + HORIZON]`` where the schedule's ``up`` changes, or None.

    A sweep over the edges of every window and holiday in time order (a heap of each one's next
    edge): at an edge only the windows that have an edge there are re-checked, and the state follows
    from the counts of active downtime and uptime windows (the rule of ``base``)."""
    if c is None:
        return None
    current = base(c, t)[0]
    limit = t + HORIZON
    wins = (*c.downtime, *c.uptime)
    split = len(c.downtime)
    active = [win.contains(t) for win in wins]
    counts = [sum(active[:split]), sum(active[split:])]  # active downtime, active uptime windows
    heap = [(edge, i) for i, edge in enumerate(win.next_edge(t) for win in wins) if edge is not None]
    holiday_edge = c.holidays.next_edge(t)
    if holiday_edge is not None:
        heap.append((holiday_edge, -1))
    heapq.heapify(heap)
    while heap and heap[0][0] <= limit:
        edge = heap[0][0]
        while heap and heap[0][0] == edge:
            _, i = heapq.heappop(heap)
            following = (
                c.holidays.next_edge(edge) if i < 0 else _step(wins[i], i, edge, active, counts, split)
            )
            if following is not None:
                heapq.heappush(heap, (following, i))
        if _up(c, edge, counts) != current:
            return edge
    return None


def _step(
    win: Win, i: int, edge: datetime, active: list[bool], counts: list[int], split: int
) -> datetime | None:
    """Update window ``i``'s activity at its edge; return its next edge."""
    inside = win.contains(edge)
    if inside != active[i]:
        active[i] = inside
        counts[0 if i < split else 1] += 1 if inside else -1
    return win.next_edge(edge)


def _up(c: Compiled, t: datetime, counts: list[int]) -> bool:
    if c.holidays.at(t) is not None or counts[0]:
        return False
    return not c.uptime or counts[1] > 0
