"""Typed answers of the inference client: small frozen dataclasses and their parsers.

Owns: the output values (named after huggingface_hub's, with only the fields we read) and ``parse_*``,
which read decoded JSON leniently (unknown keys are ignored, missing optional ones become None) and
raise ``InferenceResponseError`` when a required field is absent or has the wrong type.
Called by: the sync and async clients, after a 2xx answer.
Must not: do I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reconciler.inference import errors

__all__ = [
    "ChatCompletionChoice",
    "ChatCompletionDelta",
    "ChatCompletionOutput",
    "ChatCompletionStreamChoice",
    "ChatCompletionStreamOutput",
    "ChatCompletionUsage",
    "ChatMessage",
    "ClassificationOutput",
    "TextGenerationDetails",
    "TextGenerationOutput",
    "TextGenerationStreamDetails",
    "TextGenerationStreamOutput",
    "Token",
    "parse_chat_completion",
    "parse_chat_completion_chunk",
    "parse_classification",
    "parse_embeddings",
    "parse_text_generation",
    "parse_text_generation_event",
]


@dataclass(frozen=True)
class Token:
    """One generated token (TGI)."""

    id: int
    text: str
    logprob: float | None
    special: bool


@dataclass(frozen=True)
class TextGenerationDetails:
    """``details`` of a non-streamed generation. ``finish_reason``: length | eos_token | stop_sequence."""

    finish_reason: str
    generated_tokens: int
    seed: int | None
    tokens: tuple[Token, ...]


@dataclass(frozen=True)
class TextGenerationOutput:
    generated_text: str
    details: TextGenerationDetails | None


@dataclass(frozen=True)
class TextGenerationStreamDetails:
    """``details`` on the last event of a stream."""

    finish_reason: str
    generated_tokens: int
    seed: int | None
    input_length: int | None


@dataclass(frozen=True)
class TextGenerationStreamOutput:
    """One server-sent event of a generation stream; the last carries the text and details."""

    index: int
    token: Token
    generated_text: str | None
    details: TextGenerationStreamDetails | None


@dataclass(frozen=True)
class ChatMessage:
    role: str
    content: str | None


@dataclass(frozen=True)
class ChatCompletionChoice:
    index: int
    message: ChatMessage
    finish_reason: str | None


@dataclass(frozen=True)
class ChatCompletionUsage:
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


@dataclass(frozen=True)
class ChatCompletionOutput:
    id: str
    created: int
    model: str
    choices: tuple[ChatCompletionChoice, ...]
    usage: ChatCompletionUsage | None


@dataclass(frozen=True)
class ChatCompletionDelta:
    role: str | None
    content: str | None


@dataclass(frozen=True)
class ChatCompletionStreamChoice:
    index: int
    delta: ChatCompletionDelta
    finish_reason: str | None


@dataclass(frozen=True)
class ChatCompletionStreamOutput:
    """One chunk of a streamed chat completion: read ``choices[0].delta.content``."""

    id: str
    created: int
    model: str
    choices: tuple[ChatCompletionStreamChoice, ...]
    usage: ChatCompletionUsage | None


@dataclass(frozen=True)
class ClassificationOutput:
    label: str
    score: float


# ------------------------------------------------------------------------------------------ readers


def _bad(what: str, value: Any) -> errors.InferenceResponseError:
    return errors.InferenceResponseError(
        f"unexpected answer from the endpoint: {what} (got {errors.excerpt(repr(value), None)})"
    )


def _obj(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _bad(f"{what} should be an object", value)
    return value


def _list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise _bad(f"{what} should be a list", value)
    return value


def _str(data: dict[str, Any], key: str, default: str | None = None) -> str:
    value = data.get(key, default)
    if not isinstance(value, str):
        raise _bad(f"`{key}` should be a string", data)
    return value


def _opt_str(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) else None


def _int(data: dict[str, Any], key: str, default: int | None = None) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(f"`{key}` should be an integer", data)
    return value


def _opt_int(data: dict[str, Any], key: str) -> int | None:
    value = data.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _float(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _bad(f"{what} should be a number", value)
    return float(value)


def _token(value: Any) -> Token:
    data = _obj(value, "a token")
    logprob = data.get("logprob")
    return Token(
        id=_int(data, "id"),
        text=_str(data, "text"),
        logprob=None if logprob is None else _float(logprob, "`logprob`"),
        special=bool(data.get("special", False)),
    )


def _usage(value: Any) -> ChatCompletionUsage | None:
    if not isinstance(value, dict):
        return None
    return ChatCompletionUsage(
        prompt_tokens=_int(value, "prompt_tokens", 0),
        completion_tokens=_int(value, "completion_tokens", 0),
        total_tokens=_int(value, "total_tokens", 0),
    )


# ------------------------------------------------------------------------------------------ parsers


def parse_text_generation(data: Any) -> TextGenerationOutput:
    """TGI's ``/generate`` object, or the ``/`` route's one-item list of it."""
    if isinstance(data, list) and data:
        data = data[0]
    obj = _obj(data, "a generation")
    details = obj.get("details")
    parsed = None
    if isinstance(details, dict):
        parsed = TextGenerationDetails(
            finish_reason=_str(details, "finish_reason"),
            generated_tokens=_int(details, "generated_tokens"),
            seed=_opt_int(details, "seed"),
            tokens=tuple(_token(t) for t in _list(details.get("tokens", []), "`tokens`")),
        )
    return TextGenerationOutput(generated_text=_str(obj, "generated_text"), details=parsed)


def parse_text_generation_event(data: Any) -> TextGenerationStreamOutput:
    obj = _obj(data, "a stream event")
    details = obj.get("details")
    parsed = None
    if isinstance(details, dict):
        parsed = TextGenerationStreamDetails(
            finish_reason=_str(details, "finish_reason"),
            generated_tokens=_int(details, "generated_tokens"),
            seed=_opt_int(details, "seed"),
            input_length=_opt_int(details, "input_length"),
        )
    return TextGenerationStreamOutput(
        index=_int(obj, "index", 0),
        token=_token(obj.get("token")),
        generated_text=_opt_str(obj, "generated_text"),
        details=parsed,
    )


def parse_chat_completion(data: Any) -> ChatCompletionOutput:
    obj = _obj(data, "a chat completion")
    choices = []
    for item in _list(obj.get("choices"), "`choices`"):
        choice = _obj(item, "a choice")
        message = _obj(choice.get("message"), "`message`")
        choices.append(
            ChatCompletionChoice(
                index=_int(choice, "index", 0),
                message=ChatMessage(
                    role=_str(message, "role", "assistant"), content=_opt_str(message, "content")
                ),
                finish_reason=_opt_str(choice, "finish_reason"),
            )
        )
    return ChatCompletionOutput(
        id=_str(obj, "id", ""),
        created=_int(obj, "created", 0),
        model=_str(obj, "model", ""),
        choices=tuple(choices),
        usage=_usage(obj.get("usage")),
    )


def parse_chat_completion_chunk(data: Any) -> ChatCompletionStreamOutput:
    obj = _obj(data, "a chat completion chunk")
    choices = []
    for item in _list(obj.get("choices", []), "`choices`"):
        choice = _obj(item, "a choice")
        delta = _obj(choice.get("delta", {}), "`delta`")
        choices.append(
            ChatCompletionStreamChoice(
                index=_int(choice, "index", 0),
                delta=ChatCompletionDelta(role=_opt_str(delta, "role"), content=_opt_str(delta, "content")),
                finish_reason=_opt_str(choice, "finish_reason"),
            )
        )
    return ChatCompletionStreamOutput(
        id=_str(obj, "id", ""),
        created=_int(obj, "created", 0),
        model=_str(obj, "model", ""),
        choices=tuple(choices),
        usage=_usage(obj.get("usage")),
    )


def parse_embeddings(data: Any, count: int) -> list[list[float]]:
    """One row per input text (``count`` of them), as huggingface_hub shapes it.

    TEI answers a list of vectors even for one text; the inference toolkit answers a flat vector for
    one text, read here as a single row.
    """
    rows = _list(data, "embeddings")
    if rows and all(isinstance(r, list) for r in rows):
        vectors = [[_float(v, "an embedding value") for v in row] for row in rows]
    elif count == 1:
        vectors = [[_float(v, "an embedding value") for v in rows]]
    else:
        raise _bad("one vector per text", data)
    if len(vectors) != count:
        raise _bad(f"{count} vector(s) for {count} text(s)", data)
    return vectors


def parse_classification(data: Any) -> list[ClassificationOutput]:
    """Labels for one text, best first; accepts the flat (TEI) and the nested (Inference API) shapes."""
    rows = _list(data, "classification")
    if rows and isinstance(rows[0], list):
        rows = rows[0]
    out = []
    for item in rows:
        obj = _obj(item, "a label")
        out.append(ClassificationOutput(label=_str(obj, "label"), score=_float(obj.get("score"), "`score`")))
    return sorted(out, key=lambda c: c.score, reverse=True)
