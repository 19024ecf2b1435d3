"""Formatting shared by the renderers: values that fit a line, money, and strings safe for a terminal.

Owns: ``value`` (JSON-ish, shortened in the middle), ``pair`` (an old → new pair shortened so the
part that differs stays visible), ``money``, ``safe`` and ``paint``. Called by: the other render
modules and the CLI. Must not: decide anything.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

__all__ = ["LIMIT", "color_enabled", "money", "paint", "pair", "safe", "shorten", "value"]

LIMIT = 100  # characters of one value on a line
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def safe(text: str) -> str:
    """``text`` with terminal control characters escaped: a string from the API (a name, a message)
    can never move the cursor, change colours or rewrite the screen."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


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
    """Both sides of a change, shortened around where they differ so the difference stays visible
    (``…text-generation-inference:3.3.4`` → ``…text-generation-inference:3.3.6``)."""
    a = json.dumps(old, sort_keys=True, default=str, ensure_ascii=False)
    b = json.dumps(new, sort_keys=True, default=str, ensure_ascii=False)
    if len(a) <= limit and len(b) <= limit:
        return safe(a), safe(b)
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    cut = max(0, start - limit // 3)

    def clip(text: str) -> str:
        body = ("…" if cut else "") + text[cut:]
        return body if len(body) <= limit else body[: limit - 1] + "…"

    return safe(clip(a)), safe(clip(b))


def money(amount: float | None, signed: bool = False) -> str:
    if amount is None:
        return "n/a"
    sign = "-" if amount < -0.004 else ("+" if signed and amount > 0.004 else "")
    return f"{sign}${abs(amount):,.2f}"
