"""The ``Retry-After`` header (RFC 9110 §10.2.3): delta-seconds or an HTTP date, bounded.

Owns: ``parse``. Called by: the API client's retries and the inference client's retries, so both
read a server's hint the same way. Must not: sleep; the callers cap and schedule the wait.
"""

from __future__ import annotations

import email.utils
import math
import time
from collections.abc import Callable

__all__ = ["MAX_SECONDS", "parse"]

# A hint beyond a day is a broken or hostile server; callers cap their own waits far lower.
MAX_SECONDS = 86_400.0


def parse(value: str | None, *, now: Callable[[], float] = time.time) -> float | None:
    """Seconds to wait, or None when the header is absent or unreadable.

    Negative, NaN and infinite values read as unreadable (None) or zero; dates in the past give 0;
    anything above ``MAX_SECONDS`` is clamped to it. ``now`` (Unix seconds) is injectable for tests.
    """
    if value is None:
        return None
    text = value.strip()
    if not text or len(text) > 64:
        return None
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if when.tzinfo is None:  # RFC 9110 dates are GMT; a naive one is read as such
            return None
        seconds = when.timestamp() - now()
    if math.isnan(seconds):
        return None
    return min(max(seconds, 0.0), MAX_SECONDS)
