"""What the sync and async clients share, without sending anything: requests, answers, retries, limits.

Owns: headers (token, wake-up), request payloads in the shape huggingface_hub 2.4.0 sends for a URL
model, the retry policy handed to tenacity (which waits, when to stop, the log line), the call's
budget (``Deadline``), the bounded readers of bodies and server-sent events (``Intake``, ``Lines``)
and the decoding of events.
Called by: ``async_client`` and its generated twin ``client`` only, so both send byte-identical
requests and read answers under the same limits.
Must not: do I/O or sleep (tenacity sleeps, with the sleep the client was given).

Bounds of one call (each in the client's docstring too): ``timeout`` seconds for everything, retries,
waits and the reading of the body or of the whole stream included; ``max_response_bytes`` of decoded
body (so a gzip bomb stops at the limit, not at its inflated size), a stream's events counted
together; ``MAX_LINE_BYTES`` for one line of a stream; ``ERROR_BODY_BYTES`` read of a failed answer.
"""

from __future__ import annotations

import contextlib
import json
import math
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import httpx
import tenacity

from reconciler import logs
from reconciler.inference import errors

USER_AGENT: Final = "hfleet-inference/0.1"
# Waits between retries of a not-ready endpoint; the last one repeats. Retry-After overrides them.
BACKOFF: Final = (0.1, 0.2, 0.5, 1.0, 2.0)
DONE: Final = object()  # the `data: [DONE]` marker that ends an OpenAI stream
MAX_RESPONSE_BYTES: Final = 32 * 1024 * 1024  # a batch of embeddings is a few MB; a smoke answer, KB
MAX_LINE_BYTES: Final = 1024 * 1024  # one server-sent event; TGI's biggest (the last, with details) is KB
ERROR_BODY_BYTES: Final = 64 * 1024  # enough to classify a failed answer and show its first 256 chars

Sleep = Callable[[float], None]
AsyncSleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]

_log = logs.get_logger("reconciler.inference")


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
    """The client's ``timeout`` as a budget shared by every attempt of one call (None: no limit).

    ``clock`` is the client's (``time.monotonic`` unless a test gives a fake one that its fake sleep
    advances). ``attempts`` counts the requests sent so far, for the "gave up after" message.
    """

    budget: float | None
    url: str
    clock: Clock = time.monotonic
    started: float = field(init=False)
    attempts: int = 0

    def __post_init__(self) -> None:
        self.started = self.clock()

    def elapsed(self) -> float:
        return self.clock() - self.started

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

    def check(self) -> None:
        """Raise ``InferenceTimeoutError`` once the budget is spent (called between chunks of a body)."""
        if self.remaining() == 0.0:
            raise timed_out(self.url, self.budget)


def timed_out(url: str, budget: float | None) -> errors.InferenceTimeoutError:
    return errors.InferenceTimeoutError(f"no complete answer from {url} within {budget} s")


# ----------------------------------------------------------------------------------------- retries


def retryable(exc: BaseException) -> bool:
    """Only a not-ready endpoint that can come up by itself: starting, scaled to zero, a bare 503."""
    return isinstance(exc, errors.EndpointNotReadyError) and exc.retryable


def _wait(state: tenacity.RetryCallState) -> float:
    """The server's Retry-After when it gave one, else the next step of ``BACKOFF``."""
    exc = state.outcome.exception() if state.outcome else None
    hinted = exc.retry_after if isinstance(exc, errors.InferenceHTTPError) else None
    return hinted if hinted is not None else BACKOFF[min(state.attempt_number, len(BACKOFF)) - 1]


def retry_options(deadline: Deadline, sleep: Sleep | AsyncSleep | None) -> dict[str, Any]:
    """Keyword arguments of ``tenacity.Retrying`` / ``AsyncRetrying`` for one call.

    Stops (re-raising the last error as it was) when there is no budget (no ``timeout``: nothing is
    retried) or when the next wait would not end before the budget does, so a Retry-After beyond the
    budget gives up at once instead of sleeping into certain failure.
    """

    def stop(state: tenacity.RetryCallState) -> bool:
        remaining = deadline.remaining()
        return remaining is None or state.upcoming_sleep >= remaining

    def before_sleep(state: tenacity.RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        reason = type(exc).__name__
        delay = state.upcoming_sleep
        _log.info(
            "inference.retry", url=deadline.url, attempt=state.attempt_number, reason=reason, delay=delay
        )

    options: dict[str, Any] = {
        "retry": tenacity.retry_if_exception(retryable),
        "wait": _wait,
        "stop": stop,
        "before_sleep": before_sleep,
        "reraise": True,
    }
    if sleep is not None:
        options["sleep"] = sleep
    return options


# ----------------------------------------------------------------------------------------- answers


@contextlib.contextmanager
def translated(url: str, timeout: float | None) -> Iterator[None]:
    """Turn httpx's failures (sending, reading, streaming, decoding) into this package's errors."""
    try:
        yield
    except httpx.TimeoutException as exc:
        raise timed_out(url, timeout) from exc
    except httpx.TransportError as exc:
        raise errors.InferenceConnectionError(
            f"cannot reach {url}, or it broke off ({type(exc).__name__})"
        ) from exc
    except httpx.DecodingError as exc:
        raise errors.InferenceResponseError(
            f"the answer from {url} could not be decoded (bad content encoding)"
        ) from exc


@dataclass
class Intake:
    """The bytes of one answer as they arrive, refused past ``limit`` (decoded) or past the deadline.

    With ``truncate`` (a failed answer, only read to be classified) the first ``limit`` bytes are kept
    and ``add`` says when to stop reading, instead of raising.
    """

    deadline: Deadline
    limit: int
    truncate: bool = False
    size: int = 0
    parts: list[bytes] = field(default_factory=list)

    def add(self, chunk: bytes) -> bool:
        """Keep ``chunk``; False when a truncated body has all it needs."""
        self.deadline.check()
        room = self.limit - self.size
        if len(chunk) > room:
            if not self.truncate:
                raise too_large(self.deadline.url, self.limit)
            self.parts.append(chunk[:room])
            self.size = self.limit
            return False
        self.parts.append(chunk)
        self.size += len(chunk)
        return True

    def content(self) -> bytes:
        return b"".join(self.parts)


@dataclass
class Lines:
    """Lines of a server-sent stream from its chunks, under the deadline and the size limits.

    Lines end with LF (CRLF is read as LF; a lone CR, which no engine sends, is not a line end).
    """

    deadline: Deadline
    limit: int
    size: int = 0
    pending: bytes = b""

    def feed(self, chunk: bytes) -> list[str]:
        self.deadline.check()
        self.size += len(chunk)
        if self.size > self.limit:
            raise too_large(self.deadline.url, self.limit)
        *lines, self.pending = (self.pending + chunk).split(b"\n")
        if len(self.pending) > MAX_LINE_BYTES:
            raise errors.InferenceResponseTooLargeError(
                f"the stream from {self.deadline.url} sent a line longer than {MAX_LINE_BYTES} bytes"
            )
        return [line.rstrip(b"\r").decode("utf-8", errors="replace") for line in lines]

    def rest(self) -> list[str]:
        """The last line when the stream ended without a newline."""
        return [self.pending.rstrip(b"\r").decode("utf-8", errors="replace")] if self.pending else []


def too_large(url: str, limit: int) -> errors.InferenceResponseTooLargeError:
    return errors.InferenceResponseTooLargeError(
        f"the answer from {url} is larger than {limit} bytes (max_response_bytes); reading stopped there"
    )


_RESHAPED = frozenset({"content-encoding", "content-length", "transfer-encoding"})


def read_response(response: httpx.Response, body: bytes) -> httpx.Response:
    """A closed response holding ``body`` (already decoded), for ``.content`` and ``.json()``.

    The bounded reader consumed the stream, so httpx has no ``.content``; the copy drops the
    headers that describe the wire form (its ``content-encoding`` would make httpx decode twice).
    """
    headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in _RESHAPED]
    kept = {k: v for k, v in response.extensions.items() if k in ("http_version", "reason_phrase")}
    return httpx.Response(
        response.status_code, headers=headers, content=body, request=response.request, extensions=kept
    )


def failure(
    response: httpx.Response, body: bytes, token: str | None, deadline: Deadline
) -> errors.InferenceHTTPError:
    """The error a non-2xx answer stands for (tenacity decides whether to retry it)."""
    return errors.from_response(
        status=response.status_code,
        body=body.decode("utf-8", errors="replace"),
        method=response.request.method,
        url=str(response.request.url),
        token=token,
        waited=deadline.elapsed() if deadline.attempts > 1 else 0.0,
        headers=response.headers,
    )


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


def decode_sse_line(line: str, url: str, token: str | None) -> Any:
    """The JSON of one ``data:`` line, ``DONE``, or None for blank lines, comments and other fields.

    An event that carries ``error`` (TGI reports failures mid-stream this way) raises the
    ``TextGenerationError`` its ``error_type`` names, as huggingface_hub does.
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
            f"unreadable server-sent event: {errors.excerpt(data, token)}"
        ) from None
    if isinstance(event, dict) and event.get("error") is not None:
        raise errors.from_stream_event(event, url=url, token=token)
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
