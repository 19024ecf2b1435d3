"""The emulator's data plane, called directly: routes per image variant, shapes, determinism, errors."""

from __future__ import annotations

import ast
import json
import math
from pathlib import Path
from typing import Any

import pytest

from reconciler.emulator import dataplane


def view(
    task: str | None = "text-generation", variant: str = "huggingface", **kw: Any
) -> dataplane.EndpointView:
    fields: dict[str, Any] = {
        "namespace": "acme",
        "name": "ep",
        "state": "running",
        "task": task,
        "repository": "acme/model",
        "image_variant": variant,
        "health_route": "/health",
        "type": "public",
    }
    return dataplane.EndpointView(**{**fields, **kw})


def call(
    v: dataplane.EndpointView, method: str, path: str, payload: Any = None
) -> dataplane.DataPlaneResponse:
    body = b"" if payload is None else payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return dataplane.handle(v, method, path, {}, body)


def as_json(response: dataplane.DataPlaneResponse) -> Any:
    assert isinstance(response.body, bytes)
    return json.loads(response.body)


def sse(response: dataplane.DataPlaneResponse) -> list[str]:
    assert response.headers["content-type"] == "text/event-stream"
    assert not isinstance(response.body, bytes)
    text = b"".join(response.body).decode()
    assert text.endswith("\n\n")
    return [chunk.removeprefix("data: ") for chunk in text.split("\n\n") if chunk]


def test_dataplane_imports_only_the_standard_library() -> None:
    """The data plane and its engines (sibling modules) import the standard library only."""
    folder = Path(dataplane.__file__).parent
    for module in ("dataplane", "answers", "textgen", "embeddings"):
        tree = ast.parse((folder / f"{module}.py").read_text())
        names = {
            node.module or "" if isinstance(node, ast.ImportFrom) else alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import | ast.ImportFrom)
            for alias in node.names
        }
        imported = {n.split(".")[0] for n in names if not n.startswith("reconciler.emulator")}
        assert imported <= {
            "__future__",
            "base64",
            "hashlib",
            "json",
            "math",
            "re",
            "struct",
            "time",
            "collections",
            "dataclasses",
            "typing",
        }, module


@pytest.mark.parametrize("variant", ["huggingface", "tgi", "tei", "vLLM", "custom"])
def test_health_route_answers_200(variant: str) -> None:
    assert call(view(variant=variant, health_route="/ready"), "GET", "/ready").status == 200


def test_custom_health_route_replaces_health_on_the_toolkit_but_tgi_keeps_health() -> None:
    assert call(view(health_route="/ready"), "GET", "/health").status == 404
    assert call(view(variant="tgi", health_route="/ready"), "GET", "/health").status == 200


def test_root_text_generation_is_a_one_item_list_and_respects_max_new_tokens() -> None:
    out = as_json(call(view(), "POST", "/", {"inputs": "Hello", "parameters": {"max_new_tokens": 3}}))
    assert isinstance(out, list) and len(out) == 1
    assert len(out[0]["generated_text"].split()) == 3
    again = as_json(call(view(), "POST", "/", {"inputs": "Hello", "parameters": {"max_new_tokens": 3}}))
    assert again == out  # deterministic


def test_generate_details_and_finish_reasons() -> None:
    short = as_json(
        call(
            view(),
            "POST",
            "/generate",
            {"inputs": "Hi", "parameters": {"max_new_tokens": 2, "details": True}},
        )
    )
    details = short["details"]
    assert (
        details["finish_reason"] == "length" and details["generated_tokens"] == 2 and details["seed"] is None
    )
    assert "".join(t["text"] for t in details["tokens"]) == short["generated_text"]
    long = as_json(
        call(
            view(),
            "POST",
            "/generate",
            {"inputs": "Hi", "parameters": {"max_new_tokens": 500, "details": True}},
        )
    )
    assert long["details"]["finish_reason"] == "eos_token" and 6 <= long["details"]["generated_tokens"] <= 24
    seeded = as_json(
        call(view(), "POST", "/generate", {"inputs": "Hi", "parameters": {"seed": 7, "details": True}})
    )
    assert seeded["details"]["seed"] == 7


def test_stop_sequence_ends_generation() -> None:
    full = as_json(call(view(), "POST", "/generate", {"inputs": "Hi", "parameters": {"max_new_tokens": 50}}))
    stop = full["generated_text"].split()[1]
    out = as_json(
        call(view(), "POST", "/generate", {"inputs": "Hi", "parameters": {"stop": [stop], "details": True}})
    )
    assert out["details"]["finish_reason"] == "stop_sequence" and out["generated_text"].endswith(stop)


def test_return_full_text_prefixes_the_prompt() -> None:
    out = as_json(
        call(view(), "POST", "/generate", {"inputs": "Hi", "parameters": {"return_full_text": True}})
    )
    assert out["generated_text"].startswith("Hi ")


def test_generate_stream_is_tgi_sse_with_text_and_details_on_the_last_event() -> None:
    events = [
        json.loads(e)
        for e in sse(
            call(
                view(variant="tgi"),
                "POST",
                "/generate_stream",
                {"inputs": "Hi", "parameters": {"max_new_tokens": 4, "details": True}},
            )
        )
    ]
    assert [e["index"] for e in events] == [0, 1, 2, 3]
    assert all(e["generated_text"] is None and e["details"] is None for e in events[:-1])
    assert events[-1]["generated_text"] == "".join(e["token"]["text"] for e in events)
    assert events[-1]["details"]["finish_reason"] == "length" and events[-1]["details"]["input_length"] == 1


def test_root_with_stream_true_streams_like_tgi_compat_route() -> None:
    assert (
        len(
            sse(
                call(
                    view(variant="tgi"),
                    "POST",
                    "/",
                    {"inputs": "Hi", "stream": True, "parameters": {"max_new_tokens": 2}},
                )
            )
        )
        == 2
    )


def test_chat_completion_shape() -> None:
    out = as_json(
        call(
            view(variant="vLLM"),
            "POST",
            "/v1/chat/completions",
            {"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 3},
        )
    )
    assert out["object"] == "chat.completion" and out["model"] == "acme/model"
    choice = out["choices"][0]
    assert choice["message"]["role"] == "assistant" and len(choice["message"]["content"].split()) == 3
    assert choice["finish_reason"] == "length"
    assert out["usage"]["completion_tokens"] == 3


def test_chat_completion_stream_chunks_then_done() -> None:
    payload = {
        "messages": [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}],
        "max_tokens": 3,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    chunks = sse(call(view(variant="tgi"), "POST", "/v1/chat/completions", payload))
    assert chunks[-1] == "[DONE]"
    parsed = [json.loads(c) for c in chunks[:-1]]
    assert [c["choices"][0]["finish_reason"] for c in parsed[:3]] == [None, None, "length"]
    assert all(c["object"] == "chat.completion.chunk" for c in parsed)
    assert (
        parsed[3]["choices"] == []
        and parsed[3]["usage"]["total_tokens"] == parsed[3]["usage"]["prompt_tokens"] + 3
    )


def test_models_lists_the_repository() -> None:
    assert as_json(call(view(variant="sGLang"), "GET", "/v1/models"))["data"][0]["id"] == "acme/model"


def test_feature_extraction_is_normalized_deterministic_and_batched() -> None:
    v = view("feature-extraction")
    one = as_json(call(v, "POST", "/", {"inputs": "hello"}))
    assert len(one) == dataplane.EMBEDDING_DIM
    assert math.isclose(sum(x * x for x in one), 1.0, rel_tol=1e-9)
    many = as_json(call(v, "POST", "/", {"inputs": ["hello", "world"]}))
    assert many[0] == one and many[1] != one
    raw = as_json(call(v, "POST", "/", {"inputs": "hello", "normalize": False}))
    assert not math.isclose(sum(x * x for x in raw), 1.0)
    assert len(as_json(call(v, "POST", "/", {"inputs": "hello", "dimensions": 64}))) == 64


def test_tei_embed_always_answers_a_list_of_vectors() -> None:
    out = as_json(call(view("feature-extraction", "tei"), "POST", "/embed", {"inputs": "hello"}))
    assert len(out) == 1 and len(out[0]) == dataplane.EMBEDDING_DIM
    assert as_json(call(view(None, "tei"), "POST", "/", {"inputs": "hello"})) == out


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("I love this product!", "POSITIVE"),
        ("terrible", "NEGATIVE"),
        ("Great, the best!", "POSITIVE"),
        ("awful and slow", "NEGATIVE"),
    ],
)
def test_sentiment_is_keyword_based_and_sorted(text: str, label: str) -> None:
    (labels,) = as_json(call(view("text-classification"), "POST", "/", {"inputs": text}))
    assert labels[0]["label"] == label and labels[0]["score"] > 0.9
    assert labels[0]["score"] >= labels[1]["score"]
    assert math.isclose(labels[0]["score"] + labels[1]["score"], 1.0)


def test_classification_top_k_and_tei_predict_shapes() -> None:
    out = as_json(
        call(view("text-classification"), "POST", "/", {"inputs": "good", "parameters": {"top_k": 1}})
    )
    assert len(out[0]) == 1
    tei = view("text-classification", "tei")
    flat = as_json(call(tei, "POST", "/predict", {"inputs": "good"}))
    assert flat[0]["label"] == "POSITIVE"
    assert as_json(call(tei, "POST", "/predict", {"inputs": ["good", "bad"]}))[1][0]["label"] == "NEGATIVE"
    assert as_json(call(tei, "POST", "/", {"inputs": "good"})) == flat


def test_other_tasks_echo_the_request() -> None:
    payload = {"inputs": "x", "parameters": {"a": 1}}
    assert as_json(call(view("fill-mask"), "POST", "/", payload)) == payload


@pytest.mark.parametrize(("variant", "field"), [("tgi", "max_total_tokens"), ("tei", "max_batch_tokens")])
def test_info_follows_the_server(variant: str, field: str) -> None:
    out = as_json(call(view(variant=variant), "GET", "/info"))
    assert out["model_id"] == "acme/model" and field in out


@pytest.mark.parametrize(
    ("variant", "method", "path"),
    [
        ("vLLM", "POST", "/"),
        ("vLLM", "POST", "/generate"),
        ("tgi", "POST", "/embed"),
        ("tei", "POST", "/v1/chat/completions"),
        ("huggingface", "GET", "/nope"),
    ],
)
def test_routes_a_server_family_does_not_have_are_404(variant: str, method: str, path: str) -> None:
    response = call(view(variant=variant), method, path, {"inputs": "x"})
    assert response.status == 404 and "error" in as_json(response)


def test_wrong_method_is_405() -> None:
    response = call(view(), "GET", "/generate")
    assert response.status == 405 and response.headers["allow"] == "POST"


@pytest.mark.parametrize(
    ("payload", "status", "words"),
    [
        (b"{not json", 400, "Failed to parse"),
        ({"parameters": {}}, 422, "inputs"),
        ({"inputs": ""}, 422, "cannot be empty"),
        ({"inputs": "x", "parameters": {"max_new_tokens": 0}}, 422, "max_new_tokens"),
        ({"inputs": "x", "parameters": {"max_new_tokens": "3"}}, 422, "max_new_tokens"),
        ({"inputs": "x", "parameters": {"temperature": 0}}, 422, "temperature"),
        ({"inputs": "x", "parameters": {"max_new_tokens": 10_000}}, 422, "max_new_tokens"),
        ([1, 2], 422, "object"),
    ],
)
def test_bad_requests_get_tgi_style_errors(payload: Any, status: int, words: str) -> None:
    response = call(view(), "POST", "/generate", payload)
    assert response.status == status
    body = as_json(response)
    assert words in body["error"] and body["error_type"] == "validation"


def test_query_string_and_trailing_slash_are_ignored() -> None:
    assert call(view(), "POST", "/generate/?x=1", {"inputs": "Hi"}).status == 200
    assert call(view(), "GET", "/health?probe=1").status == 200
