"""Errors of the inference client, and the reading of a failed answer into one of them.

Owns: the error tree below and ``from_response``, which decides what a non-2xx answer means. A 503 (and
some 400/502 answers) from an endpoint URL says *why* it cannot serve in its body; huggingface_hub
issue #1605 is about clients that hide this, so each state gets its own class and a plain message.
The classes a user of huggingface_hub 2.4.0 catches have twins here with the same names and meaning
(``ValidationError``, ``OverloadedError``, ``GenerationError``, ``IncompleteGenerationError``,
``BadRequestError`` which is also a ``ValueError``, ``InferenceTimeoutError`` which is also the
builtin ``TimeoutError``), so ``except`` clauses carry over when switching.
Called by: ``reconciler.inference.client`` / ``async_client``; callers catch these classes.
Must not: put the token in any message (bodies are cut to 256 characters and scrubbed).

    ReconcilerError                       (reconciler.errors)
    └── InferenceError                    anything this package raises on purpose
        ├── InferenceTimeoutError         no complete answer within ``timeout`` (also a ``TimeoutError``)
        ├── InferenceConnectionError      the URL could not be reached (refused, DNS, reset)
        ├── InferenceResponseError        a 2xx answer we cannot use (bad JSON or shape, bad encoding)
        │   └── InferenceResponseTooLargeError   more than ``max_response_bytes``, or an endless line
        └── InferenceHTTPError            any other non-2xx answer: .status, .body (≤256 chars), .url
            ├── InferenceAuthError        401 / 403: missing, wrong or unauthorised token
            ├── BadRequestError           400 the engine did not explain (also a ``ValueError``)
            ├── TextGenerationError       the engine said what went wrong (TGI's ``error_type``)
            │   ├── ValidationError       422, or ``error_type`` validation: fix the request
            │   ├── OverloadedError       429, or ``error_type`` overloaded: too busy, try later
            │   ├── GenerationError       ``error_type`` generation (TGI's 424): the model failed
            │   └── IncompleteGenerationError  ``error_type`` incomplete_generation
            └── EndpointNotReadyError     the endpoint exists but cannot serve now (mostly 503)
                ├── EndpointPausedError         paused: only a resume brings it back (not retried)
                ├── EndpointScaledToZeroError   at zero replicas: a request wakes it (retried)
                ├── EndpointStartingError       pending / initializing / updating (retried)
                └── EndpointFailedError         failed or updateFailed: needs a fix (not retried)

A ``TextGenerationError`` can also arrive inside a 2xx stream (an event carrying ``error``): it is
raised with the stream's ``status`` (200), as huggingface_hub raises it from the stream.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from reconciler.errors import ReconcilerError
from reconciler.net import retry_after

__all__ = [
    "BODY_LIMIT",
    "BadRequestError",
    "EndpointFailedError",
    "EndpointNotReadyError",
    "EndpointPausedError",
    "EndpointScaledToZeroError",
    "EndpointStartingError",
    "GenerationError",
    "IncompleteGenerationError",
    "InferenceAuthError",
    "InferenceConnectionError",
    "InferenceError",
    "InferenceHTTPError",
    "InferenceResponseError",
    "InferenceResponseTooLargeError",
    "InferenceTimeoutError",
    "OverloadedError",
    "TextGenerationError",
    "ValidationError",
    "excerpt",
    "from_response",
    "from_stream_event",
]

BODY_LIMIT = 256


class InferenceError(ReconcilerError):
    """Root of the inference client's errors."""


class InferenceTimeoutError(InferenceError, TimeoutError):
    """No (complete) answer within the client's ``timeout``; ``except TimeoutError`` catches it too."""


class InferenceConnectionError(InferenceError):
    """The endpoint URL could not be reached at all."""


class InferenceResponseError(InferenceError):
    """The endpoint answered 2xx, but with something the client cannot read."""


class InferenceResponseTooLargeError(InferenceResponseError):
    """The answer went past ``max_response_bytes`` (decoded), or a stream sent a line without end."""


class InferenceHTTPError(InferenceError):
    """A non-2xx answer. ``body`` is the start of the answer (≤256 characters, token removed).

    ``retry_after`` is the server's ``Retry-After`` in seconds (None when absent or unreadable).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int,
        body: str,
        method: str,
        url: str,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = body
        self.method = method
        self.url = url
        self.retry_after = retry_after


class InferenceAuthError(InferenceHTTPError):
    """401 or 403: the token is missing, wrong, or not allowed on this endpoint."""


class BadRequestError(InferenceHTTPError, ValueError):
    """400 without an engine's explanation; a ``ValueError`` as in huggingface_hub."""


class TextGenerationError(InferenceHTTPError):
    """The serving engine (TGI, TEI) said what went wrong in ``error_type``; the base of its kinds."""


class ValidationError(TextGenerationError):
    """The request does not suit the model (422 or ``validation``): retrying the same call cannot help."""


class OverloadedError(TextGenerationError):
    """The engine is at capacity (429 or ``overloaded``): try again later."""


class GenerationError(TextGenerationError):
    """The model failed while generating (``generation``, TGI answers 424)."""


class IncompleteGenerationError(TextGenerationError):
    """The generation stopped before its end (``incomplete_generation``)."""


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
# TGI's ``error_type`` values (TEI capitalises the same words), as huggingface_hub reads them.
_KINDS: dict[str, type[TextGenerationError]] = {
    "validation": ValidationError,
    "overloaded": OverloadedError,
    "generation": GenerationError,
    "incomplete_generation": IncompleteGenerationError,
}


def excerpt(text: str, token: str | None) -> str:
    """The first ``BODY_LIMIT`` characters of ``text``, with the token (if any) blanked out."""
    if token:
        text = text.replace(token, "***")
    text = " ".join(text.split())
    return text if len(text) <= BODY_LIMIT else text[: BODY_LIMIT - 1] + "…"


def _json_object(body: str) -> dict[str, Any]:
    try:
        data: Any = json.loads(body)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _explanation(body: str) -> str:
    """The words to classify: the JSON ``state``/``status``/``error``/``message`` fields, or the raw text."""
    data = _json_object(body)
    fields = (data.get(k) for k in ("state", "status", "error", "message", "error_description"))
    return " ".join(str(v) for v in fields if isinstance(v, str)) or body


def _engine_kind(status: int, error_type: Any) -> type[TextGenerationError] | None:
    """The class of an engine's own error: its ``error_type`` first, then the status it chose."""
    if isinstance(error_type, str) and error_type:
        return _KINDS.get(error_type.lower(), TextGenerationError)
    return {422: ValidationError, 429: OverloadedError}.get(status)


def from_stream_event(event: Mapping[str, Any], *, url: str, token: str | None) -> TextGenerationError:
    """The error an event carrying ``error`` stands for (TGI reports failures mid-stream this way)."""
    text = excerpt(str(event.get("error")), token)
    kind = _KINDS.get(str(event.get("error_type") or "").lower(), TextGenerationError)
    return kind(
        f"the endpoint at {url} reported an error mid-stream ({event.get('error_type') or 'error'}): {text}",
        status=200,
        body=text,
        method="POST",
        url=url,
    )


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
    """The error a non-2xx answer stands for. ``waited`` (seconds already spent retrying) is reported.

    ``headers`` give ``Retry-After`` (read by ``reconciler.net.retry_after``, the API client's parser).
    """
    text = excerpt(body, token)
    words = _explanation(text)
    where = f"{method} {url}"
    after = f" (gave up after {waited:.1f} s of retries)" if waited > 0 else ""
    said = f"; the server said: {text}" if text else ""
    hinted = retry_after.parse((headers or {}).get("retry-after"))
    kwargs: dict[str, Any] = {
        "status": status,
        "body": text,
        "method": method,
        "url": url,
        "retry_after": hinted,
    }

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
        return _not_ready(url, words, after, said, kwargs)
    engine = _engine_kind(status, _json_object(body).get("error_type"))
    if engine is not None:
        return engine(f"{where} failed with HTTP {status}{said}", **kwargs)
    if status == 400:
        return BadRequestError(f"{where} was refused as a bad request (HTTP 400){said}", **kwargs)
    return InferenceHTTPError(f"{where} failed with HTTP {status}{said}", **kwargs)


def _not_ready(url: str, words: str, after: str, said: str, kwargs: dict[str, Any]) -> EndpointNotReadyError:
    """A 503 that is not about pause or scale-to-zero: failed, starting, or not ready for no given reason."""
    if _FAILED.search(words):
        return EndpointFailedError(
            f"endpoint at {url} has failed (deployment or update error) and will not serve "
            f"until its configuration is fixed{said}",
            **kwargs,
        )
    if _STARTING.search(words):
        return EndpointStartingError(
            f"endpoint at {url} is still starting (pending, initializing or updating){after}{said}", **kwargs
        )
    return EndpointNotReadyError(
        f"endpoint at {url} is not ready (HTTP 503 Service Unavailable){after}{said}", **kwargs
    )
