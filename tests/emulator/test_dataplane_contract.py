"""Contract: every data-plane answer of the emulator validates against TGI's and TEI's OpenAPI documents.

The documents are the engines' own (tests/data/openapi/, source and version in SOURCE.md). Each
case is a request a user sends to a running endpoint, over HTTP; its answer (each event of a
stream included) is validated with ``OAS30Validator`` against the schema the document gives for
that path, method, status and content type. Documented routes the emulator does not serve are
listed, with their reason, in ``NOT_SERVED``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from openapi_schema_validator import OAS30Validator
from prometheus_client.parser import text_string_to_metric_families

from reconciler.emulator import Emulator
from tests.emulator.conftest import payload
from tests.emulator.test_api import client

DATA = Path(__file__).resolve().parents[1] / "data" / "openapi"
DOCS = {engine: json.loads((DATA / f"{engine}.openapi.json").read_text()) for engine in ("tgi", "tei")}
NOT_SERVED = {
    ("tgi", "/chat_tokenize"): "TGI-specific chat template debugging; no smoke test calls it",
    ("tgi", "/invocations"): "SageMaker's route; Inference Endpoints do not expose it",
    ("tei", "/decode"): "token ids back to text; no smoke test calls it",
    ("tei", "/embed_all"): "per-token embeddings; no smoke test calls it",
    ("tei", "/embed_sparse"): "SPLADE models only",
    ("tei", "/similarity"): "sentence-transformers similarity pipeline; no smoke test calls it",
}
MESSAGES = [{"role": "user", "content": "Say hello"}]
# (engine, endpoint, method, path, body, status): one answer each.
CASES: list[tuple[str, str, str, str, Any, int]] = [
    ("tgi", "tgi", "POST", "/", {"inputs": "Hello"}, 200),
    ("tgi", "tgi", "POST", "/", {"inputs": "Hello", "stream": True}, 200),
    ("tgi", "tgi", "POST", "/generate", {"inputs": "Hello", "parameters": {"details": True, "seed": 3}}, 200),
    ("tgi", "tgi", "POST", "/generate", {"inputs": ""}, 422),
    ("tgi", "tgi", "POST", "/generate_stream", {"inputs": "Hello", "parameters": {"details": True}}, 200),
    ("tgi", "tgi", "GET", "/info", None, 200),
    ("tgi", "tgi", "POST", "/tokenize", {"inputs": "Hello big world"}, 200),
    ("tgi", "tgi", "POST", "/v1/chat/completions", {"messages": MESSAGES, "max_tokens": 8}, 200),
    ("tgi", "tgi", "POST", "/v1/chat/completions", {"messages": MESSAGES, "stream": True}, 200),
    (
        "tgi",
        "tgi",
        "POST",
        "/v1/chat/completions",
        {"messages": MESSAGES, "stream": True, "stream_options": {"include_usage": True}},
        200,
    ),
    ("tgi", "tgi", "POST", "/v1/chat/completions", {"messages": []}, 422),
    ("tgi", "tgi", "POST", "/v1/completions", {"prompt": "Once upon", "max_tokens": 5}, 200),
    ("tgi", "tgi", "POST", "/v1/completions", {"prompt": ["a", "b"], "stream": True}, 200),
    ("tgi", "tgi", "GET", "/v1/models", None, 200),
    ("tgi", "tgi", "GET", "/health", None, 200),
    ("tei", "embedder", "POST", "/embed", {"inputs": ["a", "b"], "normalize": True}, 200),
    ("tei", "embedder", "POST", "/embed", {"inputs": 3}, 422),
    ("tei", "embedder", "POST", "/v1/embeddings", {"input": ["a", "b"], "model": "x"}, 200),
    ("tei", "embedder", "POST", "/v1/embeddings", {"input": "a", "encoding_format": "base64"}, 200),
    ("tei", "embedder", "POST", "/v1/embeddings", {"input": 3}, 422),
    ("tei", "embedder", "POST", "/tokenize", {"inputs": ["Hello world", "again"]}, 200),
    ("tei", "embedder", "POST", "/tokenize", {"inputs": "x", "add_special_tokens": False}, 200),
    ("tei", "embedder", "GET", "/info", None, 200),
    ("tei", "classifier", "GET", "/info", None, 200),
    ("tei", "reranker", "GET", "/info", None, 200),
    ("tei", "classifier", "POST", "/predict", {"inputs": "I love it"}, 200),
    ("tei", "classifier", "POST", "/predict", {"inputs": ["I love it", "I hate it"]}, 200),
    ("tei", "reranker", "POST", "/rerank", {"query": "deep learning", "texts": ["deep nets", "cats"]}, 200),
    (
        "tei",
        "reranker",
        "POST",
        "/rerank",
        {"query": "deep learning", "texts": ["deep learning is", "x"], "return_text": True},
        200,
    ),
    ("tei", "reranker", "POST", "/rerank", {"query": "q"}, 422),
    ("tei", "embedder", "GET", "/health", None, 200),
]
ENDPOINTS = {
    "tgi": ({"tgi": {"url": "ghcr.io/huggingface/text-generation-inference:3.3.4"}}, "text-generation"),
    "embedder": ({"tei": {"url": "ghcr.io/huggingface/text-embeddings-inference:1.9"}}, "feature-extraction"),
    "classifier": (
        {"tei": {"url": "ghcr.io/huggingface/text-embeddings-inference:1.9"}},
        "text-classification",
    ),
    "reranker": ({"tei": {"url": "ghcr.io/huggingface/text-embeddings-inference:1.9"}}, "sentence-ranking"),
}


@pytest.fixture(scope="module")
def urls() -> Any:
    emulator = Emulator()
    http = client(emulator)
    out = {}
    for name, (image, task) in ENDPOINTS.items():
        body = payload(name, type="public")
        body["model"].update(image=image, task=task)
        assert http.post("/v2/endpoint/emulator", json=body).status_code == 200
        out[name] = http.get(f"/v2/endpoint/emulator/{name}").json()["status"]["url"]
    yield emulator, out
    emulator.close()


def _nullable_refs(node: Any) -> Any:
    """utoipa writes ``Option<Ref>`` as ``{"allOf": [ref], "nullable": true}``; OAS 3.0.3 leaves
    ``nullable`` without ``type`` undefined, and a strict validator refuses null there, while the
    engines send it (TGI streams ``"details": null``). Read it as the authors mean: ref or null."""
    if isinstance(node, list):
        return [_nullable_refs(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {k: _nullable_refs(v) for k, v in node.items()}
    if node.get("nullable") is True and "allOf" in node and "type" not in node:
        rest = {k: v for k, v in node.items() if k != "nullable"}
        return {"anyOf": [rest, {"enum": [None]}]}
    return node


def _schema(engine: str, path: str, method: str, status: int, content_type: str) -> dict[str, Any]:
    responses = DOCS[engine]["paths"][path][method.lower()]["responses"]
    content = responses[str(status)]["content"]
    schema = {**content[content_type]["schema"], "components": DOCS[engine]["components"]}
    return dict(_nullable_refs(schema))


def _events(response: httpx.Response) -> list[Any]:
    chunks = [c.removeprefix("data: ") for c in response.text.split("\n\n") if c.strip()]
    return [json.loads(c) for c in chunks if c != "[DONE]"]


@pytest.mark.parametrize(("engine", "endpoint", "method", "path", "body", "status"), CASES)
def test_the_answer_validates_against_the_engines_openapi(
    urls: Any, engine: str, endpoint: str, method: str, path: str, body: Any, status: int
) -> None:
    emulator, where = urls
    response = client(emulator).request(method, where[endpoint] + path, json=body)
    assert response.status_code == status, response.text
    if path == "/health":
        assert DOCS[engine]["paths"][path]["get"]["responses"]["200"].get("content", {}) == {}
        return
    content_type = response.headers["content-type"].split(";")[0]
    validator = OAS30Validator(_schema(engine, path, method, status, content_type))
    documents = _events(response) if content_type == "text/event-stream" else [response.json()]
    assert documents
    for document in documents:
        errors = sorted(str(e.message) for e in validator.iter_errors(document))
        assert errors == [], (document, errors)


def test_every_documented_route_is_served_or_listed(urls: Any) -> None:
    covered = {(engine, path) for engine, _, _, path, _, _ in CASES} | {
        ("tgi", "/metrics"),
        ("tei", "/metrics"),
    }
    documented = {(engine, path) for engine, doc in DOCS.items() for path in doc["paths"]}
    assert sorted(documented - covered - NOT_SERVED.keys()) == []
    emulator, where = urls
    for engine, path in NOT_SERVED:
        endpoint = "tgi" if engine == "tgi" else "embedder"
        assert client(emulator).post(where[endpoint] + path, json={}).status_code == 404


@pytest.mark.parametrize(("endpoint", "prefix"), [("tgi", "tgi"), ("embedder", "te")])
def test_metrics_are_prometheus_text_that_counts_requests(urls: Any, endpoint: str, prefix: str) -> None:
    emulator, where = urls
    http = client(emulator)

    def scrape() -> dict[str, Any]:
        response = http.get(where[endpoint] + "/metrics")
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
        return {f.name: f for f in text_string_to_metric_families(response.text)}

    first = scrape()
    assert (
        first[f"{prefix}_request_count"].type == "counter" and first[f"{prefix}_queue_size"].type == "gauge"
    )
    second = scrape()
    assert (
        second[f"{prefix}_request_count"].samples[0].value
        == first[f"{prefix}_request_count"].samples[0].value + 1
    )
