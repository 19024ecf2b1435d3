"""The emulator's wire encodings: errors, JSON bodies, timestamps and cursors.

Owns: ``HttpError`` and ``Drop`` (an answer, or no answer at all), ``parse_json``, RFC 3339
timestamps with nanoseconds, list cursors, the JSON encoding and the reason phrases.
Called by: every room of the emulator. Must not: touch the store or the clock; what the server
keeps of a request is ``normalize``'s. Imports nothing outside the standard library.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

__all__ = [
    "MAX_BODY",
    "REASONS",
    "Drop",
    "HttpError",
    "Request",
    "Response",
    "decode_cursor",
    "encode_cursor",
    "json_bytes",
    "ok",
    "parse_float",
    "parse_json",
    "parse_rfc3339",
    "rfc3339",
]


# Request bodies above this are refused (413) before they are read: the emulator faces hostile
# clients on loopback too, and no real request body comes near it.
MAX_BODY = 16 * 1024 * 1024

Response = tuple[int, dict[str, str], bytes | Iterator[bytes]]


@dataclass(frozen=True)
class Request:
    """One HTTP request as every room of the emulator sees it; ``base`` is ``scheme://host``."""

    method: str
    path: str
    query: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    base: str = "http://127.0.0.1"

    @property
    def parts(self) -> list[str]:
        return [p for p in self.path.split("/") if p]

    @property
    def params(self) -> dict[str, str]:
        """Query parameters; the last value of a repeated one wins."""
        return {k: v[-1] for k, v in parse_qs(self.query).items()}


def ok(payload: Any, status: int = 200) -> Response:
    """A JSON answer."""
    return status, {"Content-Type": "application/json"}, json_bytes(payload)


class Drop(Exception):
    """Close the connection without an answer. ``endpoint`` (``namespace/name``) is set by the
    data-plane proxy, so the request log files the dropped request under its endpoint."""

    endpoint: str | None = None


class HttpError(Exception):
    """An error answer. ``endpoint`` as for ``Drop``: a refusal of the proxy (401, a paused or
    starting endpoint's 503) is still a request that reached that endpoint's URL."""

    endpoint: str | None = None

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def rfc3339(epoch: float) -> str:
    """RFC 3339 in UTC with nanoseconds, as the server writes them (``...53.263078506Z``)."""
    nanos = round(epoch * 1_000_000_000)
    seconds, fraction = divmod(nanos, 1_000_000_000)
    stamp = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{stamp}.{fraction:09d}Z"


def parse_rfc3339(text: str) -> float:
    """Seconds since the epoch of an RFC 3339 stamp (nanoseconds or milliseconds, ``Z`` or offset)."""
    match = re.match(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$", text)
    if match is None:
        raise ValueError(f"not an RFC 3339 timestamp: {text!r}")
    head, fraction, zone = match.groups()
    zone = "+00:00" if zone == "Z" else zone
    whole = datetime.fromisoformat(head + zone).timestamp()
    return whole + (int((fraction or "0").ljust(9, "0")) / 1_000_000_000)


def parse_json(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body or b"null")
    except ValueError as exc:
        raise HttpError(400, f"Failed to parse the request body as JSON: {exc}") from None
    if not isinstance(data, dict):
        raise HttpError(400, "Failed to parse the request body as JSON: expected an object")
    return data


def parse_float(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        return None


def json_bytes(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


def encode_cursor(name: str) -> str:
    return base64.urlsafe_b64encode(name.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        raise HttpError(400, "invalid cursor") from None


REASONS = {
    200: "OK",
    202: "Accepted",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Content Too Large",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
