"""The request log: what the emulator received, for tests to assert on, without a token or a secret.

Owns: ``RequestRecord`` and ``RequestLog`` (append, read, filter by endpoint, clear; thread-safe).
Called by: ``Emulator.handle`` after every request. Must not: keep an ``Authorization`` value or a
control-plane body (creates and updates carry secrets).

Bound: the log keeps the last ``MAX_RECORDS`` requests (a long-running served emulator does not
grow without end).
"""

from __future__ import annotations

import collections
import contextlib
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from reconciler.emulator import wire

__all__ = ["MAX_RECORDS", "RequestLog", "RequestRecord"]

MAX_RECORDS = 100_000


@dataclass(frozen=True)
class RequestRecord:
    """One request the emulator received. ``headers`` never hold a token (``authorization`` is
    ``"<redacted>"``); ``identity`` is the user its token resolved to. For a data-plane request,
    ``endpoint`` is ``namespace/name`` and ``json`` its decoded body (control-plane bodies, which
    carry secrets, are never kept). ``status`` is -1 for a dropped connection."""

    method: str
    path: str
    query: str
    status: int
    at: float
    headers: Mapping[str, str] = field(default_factory=dict)
    identity: str | None = None
    endpoint: str | None = None
    json: Any = None


class RequestLog:
    """The last ``MAX_RECORDS`` requests, oldest first."""

    def __init__(self) -> None:
        self._records: collections.deque[RequestRecord] = collections.deque(maxlen=MAX_RECORDS)
        self._lock = threading.Lock()

    def add(
        self, request: wire.Request, status: int, at: float, identity: str | None, endpoint: str | None
    ) -> None:
        headers = {k: ("<redacted>" if k == "authorization" else v) for k, v in request.headers.items()}
        body: Any = None
        if endpoint is not None and request.body:
            with contextlib.suppress(ValueError):
                body = json.loads(request.body)
        record = RequestRecord(
            request.method,
            request.path,
            request.query,
            status,
            at,
            MappingProxyType(headers),
            identity,
            endpoint,
            body,
        )
        with self._lock:
            self._records.append(record)

    def all(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._records)

    def to(self, endpoint: str) -> list[RequestRecord]:
        """The data-plane requests of ``namespace/name``."""
        return [r for r in self.all() if r.endpoint == endpoint]

    def clear(self) -> None:
        with self._lock:
            self._records.clear()
