"""Formatting shared by the renderers: values that fit a line, money, and strings safe for a terminal.

Owns: ``value`` (JSON-ish, shortened in the middle), ``pair`` (an old → new pair shortened so the
part that differs stays visible), ``money``, ``safe`` and ``paint``. Called by: the other render
modules and the CLI. Must not: decide anything.
"""

from __future__ import annotations

import json
import os
from typing import Any

from reconciler import logs

__all__ = ["LIMIT", "color_enabled", "money", "paint", "pair", "safe", "shorten", "value"]

LIMIT = 100  # characters of one value on a line


def safe(text: str) -> str:
    """``text`` with terminal control characters escaped: a string from the API (a name, a message)
    can never move the cursor, change colours, rewrite the screen or reorder what it shows (the
    bidirectional overrides of "Trojan Source"). Newlines and tabs stay: they are layout."""
    return logs.sanitize(text)


def color_enabled(stream: Any) -> bool:
    """Colour on a terminal, unless ``NO_COLOR`` is set (no-color.org); ``FORCE_COLOR`` forces it."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def paint(text: str, code: str, color: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if color else text


def shorten(text: str, limit: int = LIMIT) -> str:
    """``text`` cut in the middle (``head…tail``) when longer than ``limit``."""
    if len(text) <= limit:
        return text
    keep = limit - 1
    return text[: keep - keep // 2] + "…" + text[len(text) - keep // 2 :]


def value(item: Any, limit: int = LIMIT) -> str:
    text = json.dumps(item, sort_keys=True, default=str, ensure_ascii=False)
    return safe(shorten(text, limit))


def pair(old: Any, new: Any, limit: int = LIMIT) -> tuple[str, str]:
    """Both sides of a change, each at most ``limit`` characters, shortened in the middle of what
    they share and never where they differ: ``"ghcr.io/…-inference:3.3.4"`` →
    ``"ghcr.io/…-inference:3.3.6"``. Only a difference longer than ``limit`` is itself shortened
    (its middle: its first and last characters stay)."""
    a = json.dumps(old, sort_keys=True, default=str, ensure_ascii=False)
    b = json.dumps(new, sort_keys=True, default=str, ensure_ascii=False)
    if len(a) <= limit and len(b) <= limit:
        return safe(a), safe(b)
    p = 0
    while p < min(len(a), len(b)) and a[p] == b[p]:
        p += 1
    s = 0
    while s < min(len(a), len(b)) - p and a[-1 - s] == b[-1 - s]:
        s += 1
    head, tail = a[:p], a[len(a) - s :]
    diff_a, diff_b = a[p : len(a) - s], b[p : len(b) - s]
    room = limit - max(len(diff_a), len(diff_b))
    if room < 2 * _CONTEXT:  # the difference alone is longer than a line: keep its two ends
        keep = max(limit - 2 * _CONTEXT, 3)
        diff_a, diff_b = _middle(diff_a, keep, 1, 1), _middle(diff_b, keep, 1, 1)
        room = limit - max(len(diff_a), len(diff_b))
    head_room = min(len(head), max(room - min(len(tail), room // 2), room // 2))
    tail_room = min(len(tail), room - head_room)
    head, tail = _middle(head, head_room, 1, 2), _middle(tail, tail_room, 2, 1)
    return safe(head + diff_a + tail), safe(head + diff_b + tail)


_CONTEXT = 8  # characters of shared text kept on each side of a difference, at least


def _middle(text: str, width: int, start: int, end: int) -> str:
    """``text`` in at most ``width`` characters, its middle replaced by ``…``; what is kept of the
    start and of the end is in the ratio ``start`` : ``end``."""
    if len(text) <= width:
        return text
    if width <= 1:
        return "…"[:width]
    kept = width - 1
    left = kept * start // (start + end)
    return text[:left] + "…" + text[len(text) - (kept - left) :]


def money(amount: float | None, signed: bool = False) -> str:
    if amount is None:
        return "n/a"
    sign = "-" if amount < -0.004 else ("+" if signed and amount > 0.004 else "")
    return f"{sign}${abs(amount):,.2f}"
