"""Evaluating a schedule at an instant: is the endpoint up, why, and when does that change next.

Owns: ``Decision``, ``evaluate``, ``transitions``, ``fraction_up`` and the rule for daylight-saving
time. Called by: ``reconciler.engine.desired`` (power state of each endpoint) and
``reconciler.engine.schedule_view``.
Must not: read the clock or do I/O; everything is a pure function of its arguments (results are
cached, which is invisible to callers).

Precedence, first match wins::

    active override (now < until)  >  grace period (keeps UP only, for grace_period after last_change)
    >  holiday (whole local days, off)  >  downtime window (off)  >  uptime window (up)
    >  no uptime windows at all: up;  otherwise: off ("outside uptime")

Every window is half-open ``[start, end)`` in instants.

Daylight-saving time. Windows are wall-clock times in their timezone; each boundary (a local date and
a time of day) is turned into one instant:

* a **nonexistent** local time (inside a spring-forward gap, e.g. 02:30 in Paris on 2026-03-29) moves
  to the first valid instant after the gap (03:00 CEST, the instant of the transition);
* an **ambiguous** local time (inside a fall-back fold, e.g. 02:30 in Paris on 2026-10-25) is its
  first occurrence (``fold=0``, the earlier instant, still summer time);
* an occurrence whose end instant is not after its start instant (a window entirely inside a gap)
  is empty.

So ``Mon-Fri 08:00-19:00`` always lasts 11 h, while ``Sat-Sun 00:00-24:00`` lasts 47 h over the
spring-forward weekend and 49 h over the fall-back one. Holidays are whole local days by the same rule.

``next_boundary`` is the next instant after ``now`` at which ``up`` changes, looking at most
``HORIZON`` ahead (None if it does not change within it). It and the instants of ``transitions``
carry a *fixed* UTC offset (``datetime.timezone``): the schedule timezone's offset at that instant (UTC
without a schedule). So they print as local time (``2026-10-25T02:30:00+02:00``) while arithmetic and
comparisons stay exact; a ``ZoneInfo`` datetime would do wall-clock arithmetic and compare unequal to
every other zone inside a DST fold (PEP 495). Inputs may use any timezone; they are converted to UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from typing import Literal

from reconciler.schedule import compiled
from reconciler.schedule.models import OverrideSpec, ScheduleSpec

__all__ = ["HORIZON", "Decision", "evaluate", "fraction_up", "local_instant", "transitions"]

HORIZON = compiled.HORIZON
local_instant = compiled.local_instant
OffAction = Literal["pause", "scale_to_zero"]
_CACHE = 8192


@dataclass(frozen=True)
class Decision:
    """What the schedule says at one instant.

    ``source`` is what decided: ``override``, ``grace``, ``holiday``, ``downtime``, ``uptime`` or
    ``default`` (no schedule, or a schedule without uptime windows).
    """

    up: bool
    reason: str
    off_action: OffAction
    next_boundary: datetime | None
    source: str


# --- with the override and the grace period -------------------------------------------------------


@dataclass(frozen=True)
class _Ctx:
    c: compiled.Compiled | None
    override: tuple[bool, datetime, str] | None  # (up, until in UTC, until as written)
    grace: tuple[datetime, datetime] | None  # [last_change, last_change + grace_period)

    @property
    def display_tz(self) -> tzinfo:
        return self.c.tz if self.c is not None else UTC


def _state(ctx: _Ctx, t: datetime) -> tuple[bool, str, str]:
    if ctx.override is not None and t < ctx.override[1]:
        up, _until, shown = ctx.override
        return up, f"override {'up' if up else 'down'} until {shown}", "override"
    base = compiled.base(ctx.c, t)
    if not base[0] and ctx.grace is not None and ctx.grace[0] <= t < ctx.grace[1]:
        return True, f"grace period until {_show(ctx.grace[1], ctx.display_tz).isoformat()}", "grace"
    return base


def _next_change(ctx: _Ctx, t: datetime, limit: datetime) -> datetime | None:
    """The first instant in ``(t, limit]`` where ``up`` changes, or None."""
    current = _state(ctx, t)[0]
    fixed: list[datetime] = []
    if ctx.override is not None:
        fixed.append(ctx.override[1])
    if ctx.grace is not None:
        fixed.extend(ctx.grace)
    at = t
    while at < limit:
        candidates = [e for e in fixed if e > at]
        following = compiled.base_next(ctx.c, at)
        candidates.append(following if following is not None else at + HORIZON)
        edge = min(candidates)
        if edge > limit:
            return None
        if _state(ctx, edge)[0] != current:
            return edge
        at = edge
    return None


def _aware(value: datetime, name: str) -> datetime:
    """``value`` in UTC, whatever its timezone. A naive datetime is a bug in the caller (the API
    layer parses every timestamp into an aware instant), so it is a ``TypeError``, not a guess."""
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime (got {type(value).__name__})")
    if value.tzinfo is None or value.utcoffset() is None:
        raise TypeError(
            f"{name} must be a timezone-aware datetime (got the naive {value.isoformat()}); "
            "parse timestamps with their offset"
        )
    return value.astimezone(UTC)


def _show(instant: datetime, tz: tzinfo) -> datetime:
    """``instant`` at the fixed offset ``tz`` has then (exact arithmetic, local-looking isoformat)."""
    local = instant.astimezone(tz)
    offset = local.utcoffset()
    assert offset is not None
    return local.replace(tzinfo=timezone(offset), fold=0)


def _context(
    schedule: ScheduleSpec | None,
    now: datetime,
    override: OverrideSpec | None,
    last_change: datetime | None,
) -> _Ctx:
    c = compiled.prepare(schedule)
    active: tuple[bool, datetime, str] | None = None
    if override is not None:
        until = override.until_at.astimezone(UTC)
        if now < until:
            active = (override.state == "up", until, override.until_at.isoformat())
    grace: tuple[datetime, datetime] | None = None
    if c is not None and last_change is not None and c.grace:
        changed = _aware(last_change, "last_change")
        # A last change in the future is clock skew between the API and us: the endpoint was just
        # deployed, so the grace period runs from now rather than not at all.
        begins = min(changed, now)
        if now < begins + c.grace:
            grace = (begins, begins + c.grace)
    return _Ctx(c, active, grace)


@lru_cache(maxsize=_CACHE)
def _decide(ctx: _Ctx, now: datetime) -> Decision:
    up, reason, source = _state(ctx, now)
    boundary = _next_change(ctx, now, now + HORIZON)
    return Decision(
        up=up,
        reason=reason,
        off_action=ctx.c.off if ctx.c is not None else "scale_to_zero",
        next_boundary=_show(boundary, ctx.display_tz) if boundary is not None else None,
        source=source,
    )


def evaluate(
    schedule: ScheduleSpec | None,
    now: datetime,
    *,
    override: OverrideSpec | None = None,
    last_change: datetime | None = None,
) -> Decision:
    """The decision at ``now``. ``last_change`` (the endpoint's last deploy or update) starts the
    grace period; one in the future counts as "just deployed" (the grace runs from ``now``).
    Both take any aware datetime (any timezone); a naive one is a ``TypeError``. ``schedule`` may
    be None when only an override is set."""
    instant = _aware(now, "now")
    return _decide(_context(schedule, instant, override, last_change), instant)


def transitions(
    schedule: ScheduleSpec | None,
    start: datetime,
    end: datetime,
    *,
    override: OverrideSpec | None = None,
    last_change: datetime | None = None,
) -> list[tuple[datetime, bool, str]]:
    """Every instant in ``(start, end)`` where ``up`` changes, with the new state and its reason.

    The state at ``start`` itself is ``evaluate(..., start)``; it is not a transition.
    """
    start, end = _aware(start, "start"), _aware(end, "end")
    ctx = _context(schedule, start, override, last_change)
    out: list[tuple[datetime, bool, str]] = []
    at = start
    while True:
        edge = _next_change(ctx, at, end)
        if edge is None or edge >= end:
            return out
        up, reason, _ = _state(ctx, edge)
        out.append((_show(edge, ctx.display_tz), up, reason))
        at = edge


def fraction_up(
    schedule: ScheduleSpec | None,
    start: datetime,
    end: datetime,
    *,
    override: OverrideSpec | None = None,
    last_change: datetime | None = None,
) -> float:
    """The exact share of ``[start, end)`` during which the endpoint is up (0.0 to 1.0)."""
    start, end = _aware(start, "start"), _aware(end, "end")
    if end <= start:
        raise ValueError("end must be after start")
    ctx = _context(schedule, start, override, last_change)
    up = _state(ctx, start)[0]
    total = timedelta(0)
    at = start
    for edge, now_up, _ in transitions(schedule, start, end, override=override, last_change=last_change):
        if up:
            total += edge - at
        at, up = edge, now_up
    if up:
        total += end - at
    return total / (end - start)
