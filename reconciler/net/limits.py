"""The bounds of every HTTP request hfleet makes, as one frozen settings value with defaults.

Owns: ``Limits`` and ``Limits.from_env``. Called by: ``reconciler.net`` (enforcing), the API client
(page count) and whoever builds the settings (the CLI or the engine). Must not: do I/O.

Why these defaults (the real API answers a page of 100 endpoints in well under a second, and a
record is a few KiB):
- ``deadline`` 60 s: one request, connect + send + every read + its redirects. The old 30 s
  timeout was per read, so a server sending one byte a second never ended.
- ``connect_timeout`` 10 s, ``read_timeout`` 30 s: the longest silence before a retryable timeout.
- ``max_body`` 16 MiB, on the wire and after decompression: a page of 100 records is ~0.5 MiB, so
  this is 30 times the largest honest answer, and a 1 MB gzip bomb stops at 16 MiB, not 1 GiB.
- ``max_redirects`` 5 (same origin, reads only; see ``reconciler.net.send``).
- ``max_pages`` 1000 pages per listing: 100,000 endpoints at 100 per page, 20,000 at the API's
  documented default of 20. A server that keeps sending new cursors is stopped there.
- ``poll`` 0.25 s: how often a blocked read looks at the stop event (prompt shutdown).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass

from reconciler import errors

__all__ = ["ENV", "Limits"]

# Environment variables that override each field (the settings object of the CLI reads them).
ENV = {
    "deadline": "HFLEET_HTTP_DEADLINE",
    "connect_timeout": "HFLEET_HTTP_CONNECT_TIMEOUT",
    "read_timeout": "HFLEET_HTTP_READ_TIMEOUT",
    "max_body": "HFLEET_HTTP_MAX_BODY",
    "max_redirects": "HFLEET_HTTP_MAX_REDIRECTS",
    "max_pages": "HFLEET_HTTP_MAX_PAGES",
}


@dataclass(frozen=True)
class Limits:
    """Bounds of one request (seconds and bytes) and of one paginated listing (pages)."""

    deadline: float = 60.0
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    max_body: int = 16 * 2**20
    max_redirects: int = 5
    max_pages: int = 1000
    poll: float = 0.25

    def __post_init__(self) -> None:
        for name in ("deadline", "connect_timeout", "read_timeout", "poll"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise errors.ReconcilerError(f"network limit {name} must be a positive number, not {value!r}")
        for name in ("max_body", "max_pages"):
            if getattr(self, name) < 1:
                raise errors.ReconcilerError(f"network limit {name} must be at least 1")
        if self.max_redirects < 0:
            raise errors.ReconcilerError("network limit max_redirects must be 0 or more")

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Limits:
        """The defaults, overridden by the ``HFLEET_HTTP_*`` variables of ``environ`` (see ``ENV``)."""
        changes: dict[str, float | int] = {}
        for field in dataclasses.fields(cls):
            var = ENV.get(field.name)
            text = environ.get(var, "").strip() if var else ""
            if not text:
                continue
            try:
                changes[field.name] = int(text) if field.type == "int" else float(text)
            except ValueError:
                raise errors.ReconcilerError(f"{var}={text!r} is not a number") from None
        return cls(**changes)  # type: ignore[arg-type]
