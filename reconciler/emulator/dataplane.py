"""The emulator's data plane: what a *running* endpoint's URL answers, deterministically.

Owns: ``handle(view, method, path, headers, body)``, the routes of the serving containers an endpoint can
run (TGI, TEI, OpenAI-style servers such as vLLM, and the default ``huggingface`` toolkit) and the fake
models behind them: text generation from a hash of the prompt, 384-dimension unit embeddings from a hash
of the text, keyword sentiment. The same request always gets the same answer (except ``created`` stamps).
Called by: the emulator's control plane, for ``/e/{id}{path}`` once it has checked auth, existence, the
endpoint's state and the scale-to-zero wake-up. ``path`` is the part after ``/e/{id}``.
Must not: import anything outside the standard library (the emulator stands alone), keep state, or sleep.

Routes, by image variant family (``custom``, ``huggingface`` and unknown variants serve all of them):

    GET  {healthRoute}            200 empty body                         every family
    GET  /health                  200 empty body                         tgi, tei, openai
    POST /                        by task (see ``_TASK_HANDLERS``)        tgi, tei, toolkit
    POST /generate                TGI GenerateResponse                    tgi, toolkit
    POST /generate_stream         TGI SSE stream of StreamResponse        tgi, toolkit
    GET  /info                    TGI or TEI info                         tgi, tei, toolkit
    POST /v1/chat/completions     OpenAI chat completion (SSE if stream)  tgi, openai, toolkit
    GET  /v1/models               OpenAI model list                       tgi, openai, toolkit
    POST /embed                   TEI: list of vectors                    tei, toolkit
    POST /predict                 TEI: [{score, label}] sorted            tei, toolkit

Errors follow TGI: ``{"error": message, "error_type": "validation"}`` with 400 for a body that is not
JSON and 422 for a JSON body with bad fields; 404 / 405 for unknown routes and methods.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["EMBEDDING_DIM", "DataPlaneResponse", "EndpointView", "handle"]

EMBEDDING_DIM = 384
DEFAULT_MAX_NEW_TOKENS = 20
MAX_TOTAL_TOKENS = 4096


@dataclass(frozen=True)
class EndpointView:
    """What the data plane may know about the endpoint it serves (filled by the control plane)."""

    namespace: str
    name: str
    state: str
    task: str | None
    repository: str
    image_variant: str  # API key of model.image: huggingface, tgi, tei, vLLM, sGLang, llamacpp, custom, ...
    health_route: str  # e.g. "/health"
    type: str  # public | authenticated | private


@dataclass(frozen=True)
class DataPlaneResponse:
    """An HTTP answer; ``body`` is an iterator of chunks for server-sent events."""

    status: int
    headers: dict[str, str]
    body: bytes | Iterator[bytes]


class _RequestError(Exception):
    """A request the fake server refuses; turned into a TGI-style error body."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


# --------------------------------------------------------------------------------------------- routing

_TGI = frozenset({"tgi", "tgiNeuron"})
_TEI = frozenset({"tei"})
_OPENAI = frozenset({"vLLM", "vLLMNeuron", "vLLMOmni", "sGLang", "llamacpp", "hfServe"})


def _family(variant: str) -> str:
    if variant in _TGI:
        return "tgi"
    if variant in _TEI:
        return "tei"
    if variant in _OPENAI:
        return "openai"
    return "toolkit"  # huggingface, custom and anything unknown: serve every route


_Handler = Callable[[EndpointView, Any], DataPlaneResponse]


def handle(
    view: EndpointView, method: str, path: str, headers: Mapping[str, str], body: bytes
) -> DataPlaneResponse:
    """Answer one request to a running endpoint. Never raises for bad input: it answers 4xx instead."""
    del headers  # auth and wake-up headers were the control plane's business
    path = path.split("?", 1)[0] or "/"
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    method = method.upper()
    family = _family(view.image_variant)

    if method in ("GET", "HEAD") and (
        path == view.health_route or (path == "/health" and family != "toolkit")
    ):
        return DataPlaneResponse(200, {"content-length": "0"}, b"")

    route = _ROUTES.get(path)
    if route is None or (family != "toolkit" and family not in route[2]):
        return _error(404, f"no route {path} on a {view.image_variant} endpoint")
    allowed, handler, _ = route
    if method != allowed:
        headers_405 = {"content-type": "application/json", "allow": allowed}
        return DataPlaneResponse(405, headers_405, _dumps({"error": "Method Not Allowed"}))
    try:
        payload = _parse_json(body) if method == "POST" else None
        return handler(view, payload)
    except _RequestError as exc:
        return _error(exc.status, exc.message)


def _parse_json(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _RequestError(400, f"Failed to parse the request body as JSON: {exc}") from None


# ----------------------------------------------------------------------------------------- responses


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode("utf-8")


def _json(obj: Any, extra: Mapping[str, str] | None = None) -> DataPlaneResponse:
    return DataPlaneResponse(200, {"content-type": "application/json", **(extra or {})}, _dumps(obj))


def _error(status: int, message: str) -> DataPlaneResponse:
    error_type = "validation" if status in (400, 422) else "not_found" if status == 404 else "unknown"
    return DataPlaneResponse(
        status, {"content-type": "application/json"}, _dumps({"error": message, "error_type": error_type})
    )


def _sse(events: Iterator[Any], done: bool) -> DataPlaneResponse:
    def chunks() -> Iterator[bytes]:
        for event in events:
            yield b"data: " + _dumps(event) + b"\n\n"
        if done:
            yield b"data: [DONE]\n\n"

    return DataPlaneResponse(
        200, {"content-type": "text/event-stream", "cache-control": "no-cache"}, chunks()
    )


# ------------------------------------------------------------------------------------ fake generator


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# Words the fake language model speaks; each is one token and carries a leading space.
_VOCAB = _words(
    "the model answers with a short and steady sentence about fleets of endpoints that scale up "
    "when traffic comes and scale down to zero at night while the reconciler keeps every spec "
    "in git so plans stay reviewable and safe for operators who sleep well"
)
_TOKEN_ID_BASE = 1000


@dataclass(frozen=True)
class _Token:
    id: int
    text: str
    logprob: float

    def wire(self) -> dict[str, Any]:
        return {"id": self.id, "text": self.text, "logprob": self.logprob, "special": False}


@dataclass(frozen=True)
class _Generation:
    tokens: tuple[_Token, ...]
    finish_reason: str  # TGI vocabulary: length | eos_token | stop_sequence
    seed: int | None
    input_length: int

    @property
    def text(self) -> str:
        return "".join(t.text for t in self.tokens)


def _digest(*parts: object) -> bytes:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).digest()


def _count_words(text: str) -> int:
    return max(1, len(text.split()))


def _generate(prompt: str, max_new_tokens: int, stop: list[str], seed: int | None) -> _Generation:
    """Deterministic tokens for ``prompt``: the text ends by itself after 6-24 tokens (eos_token)."""
    natural = 6 + _digest(prompt, seed)[0] % 19
    tokens: list[_Token] = []
    text = ""
    finish = "eos_token"
    for i in range(min(natural, max_new_tokens)):
        h = _digest(prompt, seed, i)
        index = int.from_bytes(h[:4], "big") % len(_VOCAB)
        token = _Token(_TOKEN_ID_BASE + index, " " + _VOCAB[index], -(1 + h[4] % 200) / 100)
        tokens.append(token)
        text += token.text
        if any(s and s in text for s in stop):
            finish = "stop_sequence"
            break
    else:
        if max_new_tokens < natural:
            finish = "length"
    return _Generation(tuple(tokens), finish, seed, _count_words(prompt))


# --------------------------------------------------------------------------------------- validation


def _require_object(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise _RequestError(422, "Failed to deserialize the JSON body: expected an object")
    return payload


def _optional_int(params: Mapping[str, Any], key: str, minimum: int) -> int | None:
    value = params.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _RequestError(422, f"Input validation error: `{key}` must be an integer")
    if value < minimum:
        word = "strictly positive" if minimum == 1 else f">= {minimum}"
        raise _RequestError(422, f"Input validation error: `{key}` must be {word}")
    return value


def _optional_float(params: Mapping[str, Any], key: str, low: float, high: float | None) -> float | None:
    value = params.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _RequestError(422, f"Input validation error: `{key}` must be a number")
    if value <= low or (high is not None and value >= high):
        bound = "strictly positive" if high is None else f"> {low} and < {high}"
        raise _RequestError(422, f"Input validation error: `{key}` must be {bound}")
    return float(value)


def _stop_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(s, str) for s in value):
        return list(value)
    raise _RequestError(422, "Input validation error: `stop` must be a string or a list of strings")


def _parameters(payload: dict[str, Any]) -> dict[str, Any]:
    params = payload.get("parameters") or {}
    if not isinstance(params, dict):
        raise _RequestError(422, "Failed to deserialize the JSON body: `parameters` must be an object")
    return params


def _generation_request(payload: Any) -> tuple[str, dict[str, Any], _Generation]:
    payload = _require_object(payload)
    inputs = payload.get("inputs")
    if not isinstance(inputs, str):
        raise _RequestError(422, "Failed to deserialize the JSON body: missing field `inputs` (a string)")
    if not inputs:
        raise _RequestError(422, "Input validation error: `inputs` cannot be empty")
    params = _parameters(payload)
    max_new = _optional_int(params, "max_new_tokens", 1) or DEFAULT_MAX_NEW_TOKENS
    if max_new + _count_words(inputs) > MAX_TOTAL_TOKENS:
        raise _RequestError(
            422,
            f"Input validation error: `inputs` tokens + `max_new_tokens` must be <= {MAX_TOTAL_TOKENS}",
        )
    _optional_float(params, "temperature", 0.0, None)
    _optional_float(params, "top_p", 0.0, 1.0)
    _optional_int(params, "top_k", 1)
    seed = _optional_int(params, "seed", 0)
    return inputs, params, _generate(inputs, max_new, _stop_list(params.get("stop")), seed)


# --------------------------------------------------------------------------------- text generation


def _generate_response(inputs: str, params: Mapping[str, Any], gen: _Generation) -> dict[str, Any]:
    text = (inputs + gen.text) if params.get("return_full_text") else gen.text
    out: dict[str, Any] = {"generated_text": text}
    if params.get("details"):
        out["details"] = {
            "finish_reason": gen.finish_reason,
            "generated_tokens": len(gen.tokens),
            "seed": gen.seed,
            "prefill": [],
            "tokens": [t.wire() for t in gen.tokens],
        }
    return out


def _stream_events(params: Mapping[str, Any], gen: _Generation) -> Iterator[dict[str, Any]]:
    last = len(gen.tokens) - 1
    for i, token in enumerate(gen.tokens):
        event: dict[str, Any] = {
            "index": i,
            "token": token.wire(),
            "top_tokens": None,
            "generated_text": None,
            "details": None,
        }
        if i == last:
            event["generated_text"] = gen.text
            if params.get("details"):
                event["details"] = {
                    "finish_reason": gen.finish_reason,
                    "generated_tokens": len(gen.tokens),
                    "seed": gen.seed,
                    "input_length": gen.input_length,
                }
        yield event


def _generation_headers(gen: _Generation) -> dict[str, str]:
    return {"x-generated-tokens": str(len(gen.tokens)), "x-prompt-tokens": str(gen.input_length)}


def _route_generate(view: EndpointView, payload: Any) -> DataPlaneResponse:
    inputs, params, gen = _generation_request(payload)
    return _json(_generate_response(inputs, params, gen), _generation_headers(gen))


def _route_generate_stream(view: EndpointView, payload: Any) -> DataPlaneResponse:
    _, params, gen = _generation_request(payload)
    return _sse(_stream_events(params, gen), done=False)


def _task_text_generation(view: EndpointView, payload: Any) -> DataPlaneResponse:
    """``POST /`` on a generation model: TGI's compat route (a one-item list, or SSE if ``stream``)."""
    inputs, params, gen = _generation_request(payload)
    if payload.get("stream"):
        return _sse(_stream_events(params, gen), done=False)
    return _json([_generate_response(inputs, params, gen)], _generation_headers(gen))


# --------------------------------------------------------------------------------- chat completions


def _message_text(message: Any) -> tuple[str, str]:
    if not isinstance(message, dict) or not isinstance(message.get("role"), str):
        raise _RequestError(422, "Failed to deserialize the JSON body: each message needs a `role`")
    content = message.get("content")
    if content is None:
        return message["role"], ""
    if isinstance(content, str):
        return message["role"], content
    if isinstance(content, list):
        parts = [p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text"]
        return message["role"], " ".join(str(p) for p in parts)
    raise _RequestError(422, "Failed to deserialize the JSON body: `content` must be a string or a list")


def _route_chat(view: EndpointView, payload: Any) -> DataPlaneResponse:
    payload = _require_object(payload)
    messages = payload.get("messages")
    if not isinstance(messages, list) or not messages:
        raise _RequestError(422, "Failed to deserialize the JSON body: missing field `messages`")
    turns = [_message_text(m) for m in messages]
    prompt = "\n".join(f"{role}: {text}" for role, text in turns)
    max_tokens = _optional_int(payload, "max_completion_tokens", 1) or _optional_int(payload, "max_tokens", 1)
    _optional_float(payload, "top_p", 0.0, 1.0)
    seed = _optional_int(payload, "seed", 0)
    gen = _generate(prompt, max_tokens or DEFAULT_MAX_NEW_TOKENS, _stop_list(payload.get("stop")), seed)
    finish = "length" if gen.finish_reason == "length" else "stop"
    usage = {
        "prompt_tokens": gen.input_length,
        "completion_tokens": len(gen.tokens),
        "total_tokens": gen.input_length + len(gen.tokens),
    }
    head = {
        "id": "chatcmpl-" + _digest(prompt, seed).hex()[:16],
        "created": int(time.time()),
        "model": view.repository,
        "system_fingerprint": "hfleet-emulator",
    }
    if not payload.get("stream"):
        choice = {
            "index": 0,
            "message": {"role": "assistant", "content": gen.text},
            "logprobs": None,
            "finish_reason": finish,
        }
        return _json({**head, "object": "chat.completion", "choices": [choice], "usage": usage})

    options = payload.get("stream_options")
    include_usage = isinstance(options, dict) and bool(options.get("include_usage"))

    def chunks() -> Iterator[dict[str, Any]]:
        last = len(gen.tokens) - 1
        for i, token in enumerate(gen.tokens):
            choice = {
                "index": 0,
                "delta": {"role": "assistant", "content": token.text},
                "logprobs": None,
                "finish_reason": finish if i == last else None,
            }
            yield {**head, "object": "chat.completion.chunk", "choices": [choice], "usage": None}
        if include_usage:
            yield {**head, "object": "chat.completion.chunk", "choices": [], "usage": usage}

    return _sse(chunks(), done=True)


def _route_models(view: EndpointView, payload: Any) -> DataPlaneResponse:
    model = {"id": view.repository, "object": "model", "created": 0, "owned_by": view.namespace}
    return _json({"object": "list", "data": [model]})


# ------------------------------------------------------------------------------------ embeddings


def _embedding(text: str, normalize: bool, dimensions: int | None) -> list[float]:
    raw = hashlib.shake_256(text.encode("utf-8")).digest(2 * EMBEDDING_DIM)
    vector = [int.from_bytes(raw[i : i + 2], "big") / 32767.5 - 1.0 for i in range(0, len(raw), 2)]
    vector = vector[: dimensions or EMBEDDING_DIM]
    if normalize:
        norm = math.sqrt(sum(v * v for v in vector)) or 1.0
        vector = [v / norm for v in vector]
    return vector


def _text_inputs(payload: Any) -> tuple[str | list[str], dict[str, Any]]:
    """``inputs`` (a string or a list of strings) and the options, at the root or under ``parameters``."""
    payload = _require_object(payload)
    inputs = payload.get("inputs")
    if isinstance(inputs, str) or (
        isinstance(inputs, list) and inputs and all(isinstance(i, str) for i in inputs)
    ):
        options = {k: v for k, v in payload.items() if k not in ("inputs", "parameters")}
        return inputs, {**options, **_parameters(payload)}
    raise _RequestError(
        422, "Failed to deserialize the JSON body: `inputs` must be a string or a non-empty list of strings"
    )


def _embed(payload: Any) -> tuple[str | list[str], list[list[float]]]:
    inputs, options = _text_inputs(payload)
    dimensions = _optional_int(options, "dimensions", 1)
    if dimensions is not None and dimensions > EMBEDDING_DIM:
        raise _RequestError(422, f"Input validation error: `dimensions` must be <= {EMBEDDING_DIM}")
    normalize = options.get("normalize") is not False
    texts = [inputs] if isinstance(inputs, str) else inputs
    return inputs, [_embedding(t, normalize, dimensions) for t in texts]


def _task_feature_extraction(view: EndpointView, payload: Any) -> DataPlaneResponse:
    """The toolkit's answer: one vector for a string, a list of vectors for a list."""
    inputs, vectors = _embed(payload)
    return _json(vectors[0] if isinstance(inputs, str) else vectors)


def _route_embed(view: EndpointView, payload: Any) -> DataPlaneResponse:
    """TEI's ``/embed`` (and TEI's ``/``): always a list of vectors."""
    return _json(_embed(payload)[1])


# -------------------------------------------------------------------------------- classification

_POSITIVE = frozenset(
    _words(
        "love loved loves like great good excellent amazing awesome wonderful fantastic happy best "
        "nice perfect superb brilliant enjoy enjoyed recommend delightful pleased"
    )
)
_NEGATIVE = frozenset(
    _words(
        "hate hated hates terrible awful bad worst horrible poor sad disappointing disappointed "
        "broken useless angry boring refund annoying ugly slow waste"
    )
)
_WORD_RE = re.compile(r"[a-z']+")


def _sentiment(text: str) -> list[dict[str, Any]]:
    """POSITIVE/NEGATIVE from keywords, sorted by score; a hash adds a small, stable jitter."""
    words = _WORD_RE.findall(text.lower())
    balance = sum(w in _POSITIVE for w in words) - sum(w in _NEGATIVE for w in words)
    jitter = (_digest(text)[0] / 255 - 0.5) * 0.5
    positive = round(1 / (1 + math.exp(-(4.0 * balance + jitter))), 6)
    scores = [
        {"label": "POSITIVE", "score": positive},
        {"label": "NEGATIVE", "score": round(1 - positive, 6)},
    ]
    return sorted(scores, key=lambda s: s["score"], reverse=True)


def _classify(payload: Any) -> tuple[str | list[str], list[list[dict[str, Any]]]]:
    inputs, options = _text_inputs(payload)
    top_k = _optional_int(options, "top_k", 1)
    texts = [inputs] if isinstance(inputs, str) else inputs
    return inputs, [_sentiment(t)[:top_k] for t in texts]


def _task_text_classification(view: EndpointView, payload: Any) -> DataPlaneResponse:
    """Like the serverless Inference API: a list of label lists, one per input (even for one string)."""
    return _json(_classify(payload)[1])


def _route_predict(view: EndpointView, payload: Any) -> DataPlaneResponse:
    """TEI's ``/predict``: a flat list for one string, a list of lists for a batch."""
    inputs, results = _classify(payload)
    return _json(results[0] if isinstance(inputs, str) else results)


def _task_echo(view: EndpointView, payload: Any) -> DataPlaneResponse:
    return _json(payload)


# ------------------------------------------------------------------------------------------ root

_TASK_HANDLERS: dict[str, _Handler] = {
    "text-generation": _task_text_generation,
    "text2text-generation": _task_text_generation,
    "conversational": _task_text_generation,
    "feature-extraction": _task_feature_extraction,
    "sentence-embeddings": _task_feature_extraction,
    "text-classification": _task_text_classification,
    "sentiment-analysis": _task_text_classification,
}
_DEFAULT_TASK = {"tgi": "text-generation", "tei": "feature-extraction"}


def _route_root(view: EndpointView, payload: Any) -> DataPlaneResponse:
    family = _family(view.image_variant)
    task = view.task or _DEFAULT_TASK.get(family, "")
    if family == "tei":
        # TEI serves one model type: its root embeds or classifies with TEI's own shapes.
        classifier = _TASK_HANDLERS.get(task) is _task_text_classification
        return _route_predict(view, payload) if classifier else _route_embed(view, payload)
    return _TASK_HANDLERS.get(task, _task_echo)(view, payload)


def _route_info(view: EndpointView, payload: Any) -> DataPlaneResponse:
    if _family(view.image_variant) == "tei":
        classifier = _TASK_HANDLERS.get(view.task or "") is _task_text_classification
        model_type = (
            {"classifier": {"id2label": {"0": "NEGATIVE", "1": "POSITIVE"}}}
            if classifier
            else {"embedding": {"pooling": "mean"}}
        )
        return _json(
            {
                "model_id": view.repository,
                "model_sha": None,
                "model_dtype": "float32",
                "model_type": model_type,
                "max_concurrent_requests": 512,
                "max_input_length": 512,
                "max_batch_tokens": 16384,
                "max_client_batch_size": 32,
                "tokenization_workers": 2,
                "version": "emulated",
            }
        )
    return _json(
        {
            "model_id": view.repository,
            "model_sha": None,
            "model_pipeline_tag": view.task,
            "max_concurrent_requests": 128,
            "max_best_of": 2,
            "max_stop_sequences": 4,
            "max_input_tokens": MAX_TOTAL_TOKENS - 1,
            "max_total_tokens": MAX_TOTAL_TOKENS,
            "validation_workers": 2,
            "max_client_batch_size": 4,
            "router": "text-generation-router",
            "version": "emulated",
            "sha": None,
            "docker_label": None,
        }
    )


# path -> (method, handler, families that serve it besides the lenient "toolkit")
_ROUTES: dict[str, tuple[str, _Handler, frozenset[str]]] = {
    "/": ("POST", _route_root, frozenset({"tgi", "tei"})),
    "/generate": ("POST", _route_generate, frozenset({"tgi"})),
    "/generate_stream": ("POST", _route_generate_stream, frozenset({"tgi"})),
    "/info": ("GET", _route_info, frozenset({"tgi", "tei"})),
    "/v1/chat/completions": ("POST", _route_chat, frozenset({"tgi", "openai"})),
    "/v1/models": ("GET", _route_models, frozenset({"tgi", "openai"})),
    "/embed": ("POST", _route_embed, frozenset({"tei"})),
    "/predict": ("POST", _route_predict, frozenset({"tei"})),
}
