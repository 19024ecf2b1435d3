"""What the fake engines share: the endpoint view, answers, errors, request checks, a toy tokenizer.

Owns: ``EndpointView``, ``DataPlaneResponse``, ``RequestError``, the JSON / SSE / error answers in
each engine's style (TGI: lowercase ``error_type``; TEI: its ``ErrorType`` enum, ``Validation``...;
TEI's OpenAI route: ``{message, code, error_type}``), the checks of request fields, and a
deterministic whitespace tokenizer with offsets. Called by: ``dataplane``, ``textgen``,
``embeddings``. Must not: import anything outside the standard library, keep state, or sleep.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "DataPlaneResponse",
    "EndpointView",
    "RequestError",
    "Token",
    "digest",
    "dumps",
    "error",
    "json_answer",
    "optional_float",
    "optional_int",
    "parameters",
    "parse_json",
    "require_object",
    "sse",
    "stop_list",
    "tokenize",
]

# error_type by status, per style. TGI writes lowercase kinds; TEI an enum (docs/openapi.json).
_TGI_KINDS = {400: "validation", 422: "validation", 404: "not_found", 424: "generation", 429: "overloaded"}
_TEI_KINDS = {400: "Empty", 413: "Validation", 422: "Validation", 424: "Backend", 429: "Overloaded"}


@dataclass(frozen=True)
class EndpointView:
    """What the data plane may know about the endpoint it serves (filled by the proxy)."""

    namespace: str
    name: str
    state: str
    task: str | None
    repository: str
    image_variant: str  # API key of model.image: huggingface, tgi, tei, vLLM, sGLang, llamacpp, custom, ...
    health_route: str  # e.g. "/health"
    type: str  # public | authenticated | private
    served: int = 0  # requests served so far (for /metrics)


@dataclass(frozen=True)
class DataPlaneResponse:
    """An HTTP answer; ``body`` is an iterator of chunks for server-sent events."""

    status: int
    headers: dict[str, str]
    body: bytes | Iterator[bytes]


class RequestError(Exception):
    """A request the fake server refuses; turned into an error body in the route's style."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode("utf-8")


def json_answer(obj: Any, extra: Mapping[str, str] | None = None) -> DataPlaneResponse:
    return DataPlaneResponse(200, {"content-type": "application/json", **(extra or {})}, dumps(obj))


def error(status: int, message: str, style: str = "tgi") -> DataPlaneResponse:
    """An error answer: ``tgi`` (``{error, error_type}`` lowercase), ``tei`` (``{error,
    error_type}`` with TEI's enum) or ``tei-openai`` (``{message, code, error_type}``)."""
    if style == "tgi":
        body: dict[str, Any] = {"error": message, "error_type": _TGI_KINDS.get(status, "unknown")}
    elif style == "tei":
        body = {"error": message, "error_type": _TEI_KINDS.get(status, "Backend")}
    else:
        body = {"message": message, "code": status, "error_type": _TEI_KINDS.get(status, "Backend")}
    return DataPlaneResponse(status, {"content-type": "application/json"}, dumps(body))


def sse(events: Iterator[Any], done: bool) -> DataPlaneResponse:
    """Server-sent events, one JSON object each; ``data: [DONE]`` at the end for OpenAI routes."""

    def chunks() -> Iterator[bytes]:
        for event in events:
            yield b"data: " + dumps(event) + b"\n\n"
        if done:
            yield b"data: [DONE]\n\n"

    return DataPlaneResponse(
        200, {"content-type": "text/event-stream", "cache-control": "no-cache"}, chunks()
    )


def digest(*parts: object) -> bytes:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).digest()


def parse_json(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RequestError(400, f"Failed to parse the request body as JSON: {exc}") from None


def require_object(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise RequestError(422, "Failed to deserialize the JSON body: expected an object")
    return payload


def optional_int(params: Mapping[str, Any], key: str, minimum: int) -> int | None:
    value = params.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise RequestError(422, f"Input validation error: `{key}` must be an integer")
    if value < minimum:
        word = "strictly positive" if minimum == 1 else f">= {minimum}"
        raise RequestError(422, f"Input validation error: `{key}` must be {word}")
    return value


def optional_float(params: Mapping[str, Any], key: str, low: float, high: float | None) -> float | None:
    value = params.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RequestError(422, f"Input validation error: `{key}` must be a number")
    if value <= low or (high is not None and value >= high):
        bound = "strictly positive" if high is None else f"> {low} and < {high}"
        raise RequestError(422, f"Input validation error: `{key}` must be {bound}")
    return float(value)


def stop_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(s, str) for s in value):
        return list(value)
    raise RequestError(422, "Input validation error: `stop` must be a string or a list of strings")


def parameters(payload: dict[str, Any]) -> dict[str, Any]:
    params = payload.get("parameters") or {}
    if not isinstance(params, dict):
        raise RequestError(422, "Failed to deserialize the JSON body: `parameters` must be an object")
    return params


@dataclass(frozen=True)
class Token:
    """One token of the toy tokenizer: an id from a hash, its text and character offsets."""

    id: int
    text: str
    start: int
    stop: int


_WORD = re.compile(r"\S+")


def tokenize(text: str) -> list[Token]:
    """Whitespace words as tokens (deterministic ids in 1000..30999), offsets in characters."""
    return [
        Token(
            1000 + int.from_bytes(digest("tok", m.group())[:4], "big") % 30000, m.group(), m.start(), m.end()
        )
        for m in _WORD.finditer(text)
    ]
