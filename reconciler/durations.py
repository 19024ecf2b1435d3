"""Durations as people write them, parsed one way everywhere.

Owns: ``parse`` (``90``, ``90s``, ``15m``, ``1h30m``, ``2d``... → ``timedelta``), ``whole_minutes``
and ``InvalidDuration``.
Called by: ``reconciler.schedule.models`` (``grace_period``), ``reconciler.spec.models``
(``scale_to_zero_timeout``) and the CLI (``--timeout``, ``--interval``, ``--lock-timeout``).
Must not: import anything of reconciler but ``errors``; it is the bottom layer.

The grammar: a bare number in the caller's ``unit`` (minutes for schedules and scale-to-zero,
seconds on the command line), or one or more ``<number><unit>`` parts from the largest unit to the
smallest, each unit at most once, spaces allowed between parts: ``1h30m``, ``1h 30m``, ``1.5h``,
``250ms``. Units: ``ms``, ``s``, ``m``, ``h``, ``d`` (also ``sec``, ``min``, ``hour``, ``day`` and their
plurals). Case does not matter. Refused, with a message naming the field: negative values, ``nan``
and ``inf``, an unknown or repeated unit, and anything over ``maximum`` (365 days unless the
caller says less): a duration that large is a typo, and ``timedelta`` overflows near 2.7 million years.
Work is bounded: inputs longer than ``MAX_TEXT`` characters are refused before any parsing.
"""

from __future__ import annotations

import math
import re
from datetime import timedelta
from functools import lru_cache
from typing import Literal

from reconciler import errors

__all__ = ["MAXIMUM", "MAX_TEXT", "InvalidDuration", "Unit", "parse", "whole_minutes"]

Unit = Literal["ms", "s", "m", "h", "d"]
MAXIMUM = timedelta(days=365)
MAX_TEXT = 64

_UNITS: dict[str, Unit] = {
    "ms": "ms",
    "s": "s",
    "sec": "s",
    "secs": "s",
    "second": "s",
    "seconds": "s",
    "m": "m",
    "min": "m",
    "mins": "m",
    "minute": "m",
    "minutes": "m",
    "h": "h",
    "hr": "h",
    "hrs": "h",
    "hour": "h",
    "hours": "h",
    "d": "d",
    "day": "d",
    "days": "d",
}
_ORDER: tuple[Unit, ...] = ("d", "h", "m", "s", "ms")
_SIZE: dict[Unit, timedelta] = {
    "d": timedelta(days=1),
    "h": timedelta(hours=1),
    "m": timedelta(minutes=1),
    "s": timedelta(seconds=1),
    "ms": timedelta(milliseconds=1),
}
_NAMES: dict[Unit, str] = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds", "ms": "milliseconds"}
_NUMBER = r"(?:\d+(?:\.\d*)?|\.\d+)"
_PART = re.compile(rf"\s*({_NUMBER})\s*([a-z]+)\s*")
_BARE = re.compile(rf"\s*({_NUMBER})\s*")


class InvalidDuration(errors.ReconcilerError, ValueError):
    """A duration that cannot be read or is out of range. A ``ValueError`` too, so that pydantic
    validators report it as a located problem and click callbacks can turn it into a usage error."""


def parse(
    value: str | int,
    *,
    unit: Unit = "s",
    what: str = "duration",
    maximum: timedelta = MAXIMUM,
) -> timedelta:
    """``value`` as a ``timedelta``: an int, or a digit string, is a number of ``unit``; a string with
    units is read by the grammar in the module docstring. ``what`` names the field in errors."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidDuration(f"invalid {what} {value!r}: give a number or a string like '15m'")
    if isinstance(value, int):
        if value < 0:
            raise InvalidDuration(f"{what} must not be negative (got {value})")
        if value > maximum / _SIZE[unit]:
            raise InvalidDuration(f"{what} {value} {_NAMES[unit]} is more than the maximum, {_show(maximum)}")
        return value * _SIZE[unit]
    return _parse_text(value, unit, what, maximum)


@lru_cache(maxsize=1024)
def _parse_text(text: str, unit: Unit, what: str, maximum: timedelta) -> timedelta:
    if len(text) > MAX_TEXT:
        raise InvalidDuration(f"invalid {what}: {len(text)} characters is too long for a duration")
    hint = f"use a number of {_NAMES[unit]} or a duration like 90s, 15m, 1h30m, 2d"
    cleaned = text.strip().lower()
    if cleaned.startswith("-"):
        raise InvalidDuration(f"{what} must not be negative (got {text!r})")
    if cleaned in ("", "nan", "inf", "+inf", "infinity"):
        raise InvalidDuration(f"invalid {what} {text!r}: {hint}")
    bare = _BARE.fullmatch(cleaned)
    if bare is not None:
        total = _times(bare.group(1), unit, text, what, maximum)
    else:
        total = _sum_parts(cleaned, text, unit, what, maximum, hint)
    if total > maximum:
        raise InvalidDuration(f"{what} {text!r} is more than the maximum, {_show(maximum)}")
    return total


def _sum_parts(cleaned: str, text: str, unit: Unit, what: str, maximum: timedelta, hint: str) -> timedelta:
    total = timedelta(0)
    position = 0
    last = -1
    while position < len(cleaned):
        match = _PART.match(cleaned, position)
        if match is None or match.end() == position:
            raise InvalidDuration(f"invalid {what} {text!r}: {hint}")
        found = _UNITS.get(match.group(2))
        if found is None:
            raise InvalidDuration(f"invalid {what} {text!r}: unknown unit {match.group(2)!r} ({hint})")
        rank = _ORDER.index(found)
        if rank <= last:
            raise InvalidDuration(f"invalid {what} {text!r}: units go from largest to smallest, each once")
        last = rank
        total += _times(match.group(1), found, text, what, maximum)
        position = match.end()
    return total


def _times(number: str, unit: Unit, text: str, what: str, maximum: timedelta) -> timedelta:
    amount = float(number)
    if not math.isfinite(amount) or amount > maximum / _SIZE[unit]:
        raise InvalidDuration(f"{what} {text!r} is more than the maximum, {_show(maximum)}")
    return amount * _SIZE[unit]


def whole_minutes(delta: timedelta, what: str) -> int:
    """``delta`` in minutes; ``InvalidDuration`` if it is not a whole number of them (an API that
    counts minutes would round it silently)."""
    minutes, rest = divmod(delta, timedelta(minutes=1))
    if rest:
        raise InvalidDuration(
            f"{what} must be a whole number of minutes (the API counts minutes), not {_show(delta)}"
        )
    return int(minutes)


def _show(delta: timedelta) -> str:
    """``1h30m``, ``90s``, ``365d``: the shortest spelling this module reads back."""
    rest = delta
    parts = []
    for unit in _ORDER:
        count, rest = divmod(rest, _SIZE[unit])
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"
