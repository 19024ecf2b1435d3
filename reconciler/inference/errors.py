"""Errors of the inference client, and the reading of a failed answer into one of them.

Owns: the error tree below and ``from_response``, which decides what a non-2xx answer means. A 503 (and
some 400/502 answers) from an endpoint URL says *why* it cannot serve in its body; huggingface_hub
issue #1605 is about clients that hide this, so each state gets its own class and a plain message.
Called by: ``reconciler.inference.client`` / ``async_client``; callers catch these classes.
Must not: put the token in any message (bodies are cut to 256 characters and scrubbed).

    ReconcilerError                       (reconciler.errors)
    └── InferenceError                    anything this package raises on purpose
        ├── InferenceTimeoutError         no answer within ``timeout``
        ├── InferenceConnectionError      the URL could not be reached (refused, DNS, reset)
        ├── InferenceResponseError        a 2xx answer we cannot use (bad JSON or shape, error mid-stream)
        └── InferenceHTTPError            any other non-2xx answer: .status, .body (≤256 chars), .url
            ├── InferenceAuthError        401 / 403: missing, wrong or unauthorised token
            └── EndpointNotReadyError     the endpoint exists but cannot serve now (mostly 503)
                ├── EndpointPausedError         paused: only a resume brings it back (not retried)
                ├── EndpointScaledToZeroError   at zero replicas: a request wakes it (retried)
                ├── EndpointStartingError       pending / initializing / updating (retried)
                └── EndpointFailedError         failed or updateFailed: needs a fix (not retried)
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from reconciler.errors import ReconcilerError

__all__ = [
    "BODY_LIMIT",
    "EndpointFailedError",
    "EndpointNotReadyError",
    "EndpointPausedError",
    "EndpointScaledToZeroError",
    "EndpointStartingError",
    "InferenceAuthError",
    "InferenceConnectionError",
    "InferenceError",
    "InferenceHTTPError",
    "InferenceResponseError",
    "InferenceTimeoutError",
    "excerpt",
    "from_response",
]

BODY_LIMIT = 256


class InferenceError(ReconcilerError):
    """Root of the inference client's errors."""


class InferenceTimeoutError(InferenceError):
    """The endpoint gave no (complete) answer within the client's ``timeout``."""


class InferenceConnectionError(InferenceError):
    """The endpoint URL could not be reached at all."""


class InferenceResponseError(InferenceError):
    """The endpoint answered 2xx, but with something the client cannot read."""


class InferenceHTTPError(InferenceError):
    """A non-2xx answer. ``body`` is the start of the answer (≤256 characters, token removed)."""

    def __init__(self, message: str, *, status: int, body: str, method: str, url: str) -> None:
        super().__init__(message)
        self.status = status
        self.body = body
        self.method = method
        self.url = url


class InferenceAuthError(InferenceHTTPError):
    """401 or 403: the token is missing, wrong, or not allowed on this endpoint."""


class EndpointNotReadyError(InferenceHTTPError):
    """The endpoint exists but cannot serve right now. ``retryable`` says whether waiting can help."""

    retryable = True


class EndpointPausedError(EndpointNotReadyError):
    """Paused endpoints stay down until someone resumes them; waiting does not help."""

    retryable = False


class EndpointScaledToZeroError(EndpointNotReadyError):
    """No replica is up; the request started one. ``X-Scale-Up-Timeout`` makes the proxy hold it."""


class EndpointStartingError(EndpointNotReadyError):
    """A replica is being scheduled, initialised or updated."""


class EndpointFailedError(EndpointNotReadyError):
    """The endpoint failed to deploy or to update; it needs a fix, not a retry."""

    retryable = False


# Words the proxy (or the emulator) puts in a not-ready answer, in the order they are trusted: a
# message such as "scaled to zero, a replica is starting" is about scale-to-zero, not a plain start.
_PAUSED = re.compile(r"\bpaused\b", re.IGNORECASE)
_SCALED_TO_ZERO = re.compile(r"scaled[\s_-]*to[\s_-]*zero", re.IGNORECASE)
_FAILED = re.compile(r"\b(update[\s_-]*)?failed\b", re.IGNORECASE)
_STARTING = re.compile(
    r"\b(pending|initiali[sz]ing|starting|loading|updating|scaling up|waking up)\b", re.IGNORECASE
)


def excerpt(text: str, token: str | None) -> str:
    """The first ``BODY_LIMIT`` characters of ``text``, with the token (if any) blanked out."""
    if token:
        text = text.replace(token, "***")
    text = " ".join(text.split())
    return text if len(text) <= BODY_LIMIT else text[: BODY_LIMIT - 1] + "…"


def _explanation(body: str) -> str:
    """The words to classify: the JSON ``state``/``status``/``error``/``message`` fields, or the raw text."""
    try:
        data: Any = json.loads(body)
    except ValueError:
        return body
    if not isinstance(data, dict):
        return body
    fields = (data.get(k) for k in ("state", "status", "error", "message", "error_description"))
    return " ".join(str(v) for v in fields if isinstance(v, str)) or body


def from_response(
    *,
    status: int,
    body: str,
    method: str,
    url: str,
    token: str | None,
    waited: float = 0.0,
    headers: Mapping[str, str] | None = None,
) -> InferenceHTTPError:
    """The error a non-2xx answer stands for. ``waited`` (seconds already spent retrying) is reported."""
    del headers  # reserved: the proxy may one day say the state in a header
    text = excerpt(body, token)
    words = _explanation(text)
    where = f"{method} {url}"
    after = f" (gave up after {waited:.1f} s of retries)" if waited > 0 else ""
    said = f"; the server said: {text}" if text else ""
    kwargs: dict[str, Any] = {"status": status, "body": text, "method": method, "url": url}

    if status in (401, 403):
        reason = "missing or invalid token" if status == 401 else "the token may not use this endpoint"
        return InferenceAuthError(f"{where} was refused with HTTP {status} ({reason}){said}", **kwargs)

    # Paused and scaled-to-zero have been reported with 400 and 502 too, so look at the words first.
    if _PAUSED.search(words):
        return EndpointPausedError(
            f"endpoint at {url} is paused: it serves nothing until it is resumed "
            f"(hfleet apply with state running, or `hf endpoints resume`){said}",
            **kwargs,
        )
    if _SCALED_TO_ZERO.search(words):
        return EndpointScaledToZeroError(
            f"endpoint at {url} is scaled to zero and no replica came up in time{after}; "
            f"set scale_up_timeout (sent as X-Scale-Up-Timeout) or a longer timeout to wait for it{said}",
            **kwargs,
        )
    if status == 503:
        if _FAILED.search(words):
            return EndpointFailedError(
                f"endpoint at {url} has failed (deployment or update error) and will not serve "
                f"until its configuration is fixed{said}",
                **kwargs,
            )
        if _STARTING.search(words):
            return EndpointStartingError(
                f"endpoint at {url} is still starting (pending, initializing or updating){after}{said}",
                **kwargs,
            )
        return EndpointNotReadyError(
            f"endpoint at {url} is not ready (HTTP 503 Service Unavailable){after}{said}", **kwargs
        )
    return InferenceHTTPError(f"{where} failed with HTTP {status}{said}", **kwargs)
