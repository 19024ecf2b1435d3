"""The fake text-generation engine: TGI's routes and the OpenAI-style ones, over a toy language model.

Owns: the deterministic generator (6-24 tokens from a hash of the prompt, seed and position) and the
answers of ``/generate``, ``/generate_stream``, TGI's ``/`` compat route, ``/v1/chat/completions``,
``/v1/completions``, ``/v1/models``, TGI's ``/tokenize`` and ``/info``. Shapes follow TGI's
docs/openapi.json (stored in tests/data/openapi/ with its source). Called by: ``dataplane``.
Must not: import anything outside the standard library, keep state, or sleep.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.emulator import answers
from reconciler.emulator.answers import DataPlaneResponse, EndpointView, RequestError

__all__ = [
    "DEFAULT_MAX_NEW_TOKENS",
    "MAX_TOTAL_TOKENS",
    "chat",
    "completions",
    "generate",
    "generate_stream",
    "info",
    "models",
    "openai_models",
    "text_generation",
    "tokenize",
]

DEFAULT_MAX_NEW_TOKENS = 20
MAX_TOTAL_TOKENS = 4096
# Words the fake language model speaks; each is one token and carries a leading space.
_VOCAB = tuple(
    [
        "the",
        "model",
        "answers",
        "with",
        "a",
        "short",
        "and",
        "steady",
        "sentence",
        "about",
        "fleets",
        "of",
        "endpoints",
        "that",
        "scale",
        "up",
        "when",
        "traffic",
        "comes",
        "and",
        "scale",
        "down",
        "to",
        "zero",
        "at",
        "night",
        "while",
        "the",
        "reconciler",
        "keeps",
        "every",
        "spec",
        "in",
        "git",
        "so",
        "plans",
        "stay",
        "reviewable",
        "and",
        "safe",
        "for",
        "operators",
        "who",
        "sleep",
        "well",
    ]
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

    @property
    def openai_finish(self) -> str:
        return "length" if self.finish_reason == "length" else "stop"

    def usage(self) -> dict[str, int]:
        return {
            "prompt_tokens": self.input_length,
            "completion_tokens": len(self.tokens),
            "total_tokens": self.input_length + len(self.tokens),
        }


def _count_words(text: str) -> int:
    return max(1, len(text.split()))


def _generate(prompt: str, max_new_tokens: int, stop: list[str], seed: int | None) -> _Generation:
    """Deterministic tokens for ``prompt``: the text ends by itself after 6-24 tokens (eos_token)."""
    natural = 6 + answers.digest(prompt, seed)[0] % 19
    tokens: list[_Token] = []
    text = ""
    finish = "eos_token"
    for i in range(min(natural, max_new_tokens)):
        h = answers.digest(prompt, seed, i)
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


def _generation_request(payload: Any) -> tuple[str, dict[str, Any], _Generation]:
    payload = answers.require_object(payload)
    inputs = payload.get("inputs")
    if not isinstance(inputs, str):
        raise RequestError(422, "Failed to deserialize the JSON body: missing field `inputs` (a string)")
    if not inputs:
        raise RequestError(422, "Input validation error: `inputs` cannot be empty")
    params = answers.parameters(payload)
    max_new = answers.optional_int(params, "max_new_tokens", 1) or DEFAULT_MAX_NEW_TOKENS
    if max_new + _count_words(inputs) > MAX_TOTAL_TOKENS:
        raise RequestError(
            422, f"Input validation error: `inputs` tokens + `max_new_tokens` must be <= {MAX_TOTAL_TOKENS}"
        )
    answers.optional_float(params, "temperature", 0.0, None)
    answers.optional_float(params, "top_p", 0.0, 1.0)
    answers.optional_int(params, "top_k", 1)
    seed = answers.optional_int(params, "seed", 0)
    return inputs, params, _generate(inputs, max_new, answers.stop_list(params.get("stop")), seed)


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
    """TGI's StreamResponse events; ``top_tokens`` is omitted (TGI omits it unless asked for)."""
    last = len(gen.tokens) - 1
    for i, token in enumerate(gen.tokens):
        event: dict[str, Any] = {"index": i, "token": token.wire(), "generated_text": None, "details": None}
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


def generate(view: EndpointView, payload: Any) -> DataPlaneResponse:
    inputs, params, gen = _generation_request(payload)
    return answers.json_answer(_generate_response(inputs, params, gen), _generation_headers(gen))


def generate_stream(view: EndpointView, payload: Any) -> DataPlaneResponse:
    _, params, gen = _generation_request(payload)
    return answers.sse(_stream_events(params, gen), done=False)


def text_generation(view: EndpointView, payload: Any) -> DataPlaneResponse:
    """``POST /`` on a generation model: TGI's compat route (a one-item list, or SSE if ``stream``)."""
    inputs, params, gen = _generation_request(payload)
    if payload.get("stream"):
        return answers.sse(_stream_events(params, gen), done=False)
    return answers.json_answer([_generate_response(inputs, params, gen)], _generation_headers(gen))


def _message_text(message: Any) -> tuple[str, str]:
    if not isinstance(message, dict) or not isinstance(message.get("role"), str):
        raise RequestError(422, "Failed to deserialize the JSON body: each message needs a `role`")
    content = message.get("content")
    if content is None:
        return message["role"], ""
    if isinstance(content, str):
        return message["role"], content
    if isinstance(content, list):
        parts = [p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text"]
        return message["role"], " ".join(str(p) for p in parts)
    raise RequestError(422, "Failed to deserialize the JSON body: `content` must be a string or a list")


def _openai_generation(payload: dict[str, Any], prompt: str) -> _Generation:
    max_tokens = answers.optional_int(payload, "max_completion_tokens", 1) or answers.optional_int(
        payload, "max_tokens", 1
    )
    answers.optional_float(payload, "top_p", 0.0, 1.0)
    seed = answers.optional_int(payload, "seed", 0)
    return _generate(
        prompt, max_tokens or DEFAULT_MAX_NEW_TOKENS, answers.stop_list(payload.get("stop")), seed
    )


def _head(view: EndpointView, prefix: str, prompt: str, seed: Any) -> dict[str, Any]:
    return {
        "id": prefix + answers.digest(prompt, seed).hex()[:16],
        "created": int(time.time()),
        "model": view.repository,
        "system_fingerprint": "hfleet-emulator",
    }


def chat(view: EndpointView, payload: Any) -> DataPlaneResponse:
    """``/v1/chat/completions``: a ChatCompletion, or ChatCompletionChunk events then ``[DONE]``."""
    payload = answers.require_object(payload)
    messages = payload.get("messages")
    if not isinstance(messages, list) or not messages:
        raise RequestError(422, "Failed to deserialize the JSON body: missing field `messages`")
    prompt = "\n".join(f"{role}: {text}" for role, text in (_message_text(m) for m in messages))
    gen = _openai_generation(payload, prompt)
    head = _head(view, "chatcmpl-", prompt, payload.get("seed"))
    if not payload.get("stream"):
        message = {"role": "assistant", "content": gen.text}
        choice = {"index": 0, "message": message, "logprobs": None, "finish_reason": gen.openai_finish}
        return answers.json_answer(
            {**head, "object": "chat.completion", "choices": [choice], "usage": gen.usage()}
        )
    options = payload.get("stream_options")
    include_usage = isinstance(options, dict) and bool(options.get("include_usage"))

    def chunks() -> Iterator[dict[str, Any]]:
        last = len(gen.tokens) - 1
        for i, token in enumerate(gen.tokens):
            delta = {"role": "assistant", "content": token.text}
            finish = gen.openai_finish if i == last else None
            choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
            yield {**head, "object": "chat.completion.chunk", "choices": [choice], "usage": None}
        if include_usage:
            yield {**head, "object": "chat.completion.chunk", "choices": [], "usage": gen.usage()}

    return answers.sse(chunks(), done=True)


def completions(view: EndpointView, payload: Any) -> DataPlaneResponse:
    """``/v1/completions``: CompletionFinal, or Chunk events then ``[DONE]``. Several prompts give
    one choice each (TGI's limit of a client batch is not enforced)."""
    payload = answers.require_object(payload)
    prompt = payload.get("prompt")
    prompts = [prompt] if isinstance(prompt, str) else prompt
    if not isinstance(prompts, list) or not prompts or not all(isinstance(p, str) and p for p in prompts):
        raise RequestError(
            422, "Failed to deserialize the JSON body: `prompt` must be a string or a list of strings"
        )
    gens = [_openai_generation(payload, p) for p in prompts]
    head = {**_head(view, "cmpl-", "\n".join(prompts), payload.get("seed")), "object": "text_completion"}
    if not payload.get("stream"):
        choices = [
            {"index": i, "text": g.text, "finish_reason": g.openai_finish, "logprobs": None}
            for i, g in enumerate(gens)
        ]
        usage = {
            k: sum(g.usage()[k] for g in gens) for k in ("prompt_tokens", "completion_tokens", "total_tokens")
        }
        return answers.json_answer({**head, "choices": choices, "usage": usage})

    def chunks() -> Iterator[dict[str, Any]]:
        for i, gen in enumerate(gens):
            last = len(gen.tokens) - 1
            for j, token in enumerate(gen.tokens):
                finish = gen.openai_finish if j == last else ""  # TGI sends "" until the last token
                yield {
                    **head,
                    "choices": [{"index": i, "text": token.text, "finish_reason": finish, "logprobs": None}],
                }

    return answers.sse(chunks(), done=True)


def models(view: EndpointView, payload: Any) -> DataPlaneResponse:
    """TGI's ``/v1/models``: one ModelInfo object (TGI serves one model)."""
    return answers.json_answer(
        {"id": view.repository, "object": "model", "created": 0, "owned_by": view.namespace}
    )


def openai_models(view: EndpointView, payload: Any) -> DataPlaneResponse:
    """vLLM / SGLang / llama.cpp ``/v1/models``: an OpenAI list."""
    model = {"id": view.repository, "object": "model", "created": 0, "owned_by": view.namespace}
    return answers.json_answer({"object": "list", "data": [model]})


def tokenize(view: EndpointView, payload: Any) -> DataPlaneResponse:
    """TGI's ``/tokenize``: ``[{id, text, start, stop}]`` for ``inputs``."""
    inputs = answers.require_object(payload).get("inputs")
    if not isinstance(inputs, str):
        raise RequestError(422, "Failed to deserialize the JSON body: missing field `inputs` (a string)")
    tokens = answers.tokenize(inputs)
    return answers.json_answer(
        [{"id": t.id, "text": t.text, "start": t.start, "stop": t.stop} for t in tokens]
    )


def info(view: EndpointView, payload: Any) -> DataPlaneResponse:
    """TGI's ``/info``."""
    return answers.json_answer(
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
