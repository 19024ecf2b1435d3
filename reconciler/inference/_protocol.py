"""What the sync and async clients share, without I/O: requests to build, answers to read, when to retry.

Owns: headers (token, wake-up), request payloads in the shape huggingface_hub 2.4.0 sends for a URL
model, the retry budget (``Deadline``, ``retry_delay``) and server-sent-event decoding.
Called by: ``client`` and ``async_client`` only, so both send byte-identical requests.
Must not: do I/O or sleep.
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import math
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import httpx

from reconciler.inference import errors

USER_AGENT: Final = "hfleet-inference/0.1"
# Waits between retries of a not-ready endpoint; the last one repeats. Retry-After overrides them.
BACKOFF: Final = (0.1, 0.2, 0.5, 1.0, 2.0)
DONE: Final = object()  # the `data: [DONE]` marker that ends an OpenAI stream


def scale_up_seconds(scale_up_timeout: float | bool | None, timeout: float | None) -> int | None:
    """The ``X-Scale-Up-Timeout`` value to send, or None to send none.

    None or True: the client's ``timeout`` (nothing without one); False or 0: never; a number: that many
    seconds. The header carries whole seconds, rounded up.
    """
    if scale_up_timeout is None or scale_up_timeout is True:
        value = timeout
    elif scale_up_timeout is False:
        value = None
    else:
        value = float(scale_up_timeout)
    return math.ceil(value) if value else None


def request_headers(
    token: str | None, base: Mapping[str, str], extra: Mapping[str, str] | None, scale_up: int | None
) -> dict[str, str]:
    headers = {"user-agent": USER_AGENT, **{k.lower(): v for k, v in base.items()}}
    if token:
        headers["authorization"] = f"Bearer {token}"
    if scale_up:
        headers["x-scale-up-timeout"] = str(scale_up)
    headers.update({k.lower(): v for k, v in (extra or {}).items()})
    return headers


@dataclass
class Deadline:
    """The client's ``timeout`` as a budget shared by every attempt of one call (None: no limit)."""

    budget: float | None
    started: float = field(default_factory=time.monotonic)

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def remaining(self) -> float | None:
        return None if self.budget is None else max(0.0, self.budget - self.elapsed())

    def cap(self, seconds: int | None) -> int | None:
        """``seconds`` (an X-Scale-Up-Timeout) lowered to what is left of the budget, at least 1."""
        remaining = self.remaining()
        if seconds is None or remaining is None:
            return seconds
        return max(1, min(seconds, math.ceil(remaining)))

    def attempt_timeout(self) -> float | None:
        """The httpx timeout of the next attempt: what is left, but never zero (httpx reads 0 as fail)."""
        remaining = self.remaining()
        return None if remaining is None else max(remaining, 0.001)


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def retry_delay(
    error: errors.InferenceHTTPError, attempt: int, retry_after: str | None, deadline: Deadline
) -> float | None:
    """How long to wait before attempt ``attempt + 1``, or None to give up and raise ``error``.

    Only a not-ready endpoint that can come up by itself is retried (starting, scaled to zero, a bare
    503), and only while the call's budget lasts: without a ``timeout`` nothing is retried.
    """
    if not isinstance(error, errors.EndpointNotReadyError) or not error.retryable:
        return None
    remaining = deadline.remaining()
    if remaining is None:
        return None
    hinted = _retry_after(retry_after)
    delay = hinted if hinted is not None else BACKOFF[min(attempt, len(BACKOFF)) - 1]
    return delay if delay < remaining else None


@contextlib.contextmanager
def translated(url: str, timeout: float | None) -> Iterator[None]:
    """Turn httpx's transport failures (sending, reading, streaming) into this package's errors."""
    try:
        yield
    except httpx.TimeoutException as exc:
        raise errors.InferenceTimeoutError(f"no complete answer from {url} within {timeout} s") from exc
    except httpx.TransportError as exc:
        raise errors.InferenceConnectionError(
            f"cannot reach {url}, or it broke off ({type(exc).__name__})"
        ) from exc


def failure(
    response: httpx.Response, body: bytes, token: str | None, attempt: int, deadline: Deadline
) -> tuple[errors.InferenceHTTPError, float | None]:
    """The error a non-2xx answer stands for, and the wait before retrying it (None: raise it now)."""
    error = errors.from_response(
        status=response.status_code,
        body=body.decode("utf-8", errors="replace"),
        method=response.request.method,
        url=str(response.request.url),
        token=token,
        waited=deadline.elapsed() if attempt > 1 else 0.0,
    )
    return error, retry_delay(error, attempt, response.headers.get("retry-after"), deadline)


def not_a_stream(response: httpx.Response, body: bytes, token: str | None) -> errors.InferenceResponseError:
    """A stream was asked for and a 2xx came back that is not server-sent events."""
    kind = response.headers.get("content-type") or "no content type"
    text = errors.excerpt(body.decode("utf-8", errors="replace"), token)
    return errors.InferenceResponseError(
        f"asked {response.request.url} for a stream but it answered {kind}: {text}"
    )


def is_event_stream(response: httpx.Response) -> bool:
    kind: str = response.headers.get("content-type", "")
    return kind.startswith("text/event-stream")


def decode_sse_line(line: str) -> Any:
    """The JSON of one ``data:`` line, ``DONE``, or None for blank lines, comments and other fields.

    An event that carries ``error`` (TGI reports failures mid-stream this way) raises.
    """
    if not line.startswith("data:"):
        return None
    data = line[5:].strip()
    if data == "[DONE]":
        return DONE
    if not data:
        return None
    try:
        event = json.loads(data)
    except ValueError:
        raise errors.InferenceResponseError(
            f"unreadable server-sent event: {errors.excerpt(data, None)}"
        ) from None
    if isinstance(event, dict) and event.get("error") is not None:
        kind = event.get("error_type") or "error"
        raise errors.InferenceResponseError(
            f"the endpoint reported an error mid-stream ({kind}): {errors.excerpt(str(event['error']), None)}"
        )
    return event


def _drop_none(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def text_generation_payload(
    prompt: str, parameters: Mapping[str, Any], details: bool, stream: bool
) -> dict[str, Any]:
    """``POST /`` body: TGI's compat route and the toolkit both read ``inputs`` + ``parameters``.

    ``details`` and ``stream`` are only sent when true, as huggingface_hub does: the toolkit (not TGI)
    may reject parameters it does not know.
    """
    params = _drop_none(parameters)
    if details:
        params["details"] = True
    body: dict[str, Any] = {"inputs": prompt, "parameters": params}
    if stream:
        body["stream"] = True
    return body


def chat_payload(
    messages: Sequence[Mapping[str, Any]], parameters: Mapping[str, Any], stream: bool
) -> dict[str, Any]:
    """``POST /v1/chat/completions`` body (OpenAI). ``model`` is left out unless given: TGI ignores it."""
    return {"messages": [dict(m) for m in messages], **_drop_none(parameters), "stream": stream}


def embedding_payload(text: str | Sequence[str], options: Mapping[str, Any]) -> dict[str, Any]:
    """Feature-extraction options go at the root of the body, as in the task's spec (and TEI)."""
    inputs = text if isinstance(text, str) else list(text)
    return {"inputs": inputs, **_drop_none(options)}


def classification_payload(text: str, parameters: Mapping[str, Any]) -> dict[str, Any]:
    return {"inputs": text, "parameters": _drop_none(parameters)}


def decode_json(content: bytes) -> Any:
    try:
        return json.loads(content)
    except ValueError:
        text = errors.excerpt(content.decode(errors="replace"), None)
        raise errors.InferenceResponseError(
            f"the endpoint answered something that is not JSON: {text}"
        ) from None
