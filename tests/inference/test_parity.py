"""Parity: huggingface_hub 2.4.0's InferenceClient and ours, pointed at the same endpoint URLs.

The hub client (on its own ``httpx2`` session) talks to the loopback plane through ``model=URL``, as a
user would against a deployed endpoint. Both must send the same request bodies (hub adds a dummy
``model`` to chat) and read the same results. numpy is not installed here, and hub only uses it to
wrap the decoded JSON of ``feature_extraction`` in an array, so that one call gets a pass-through shim.
"""

from __future__ import annotations

import types as pytypes
from collections.abc import Iterator
from typing import Any

import pytest

from reconciler.inference import InferenceClient
from tests.inference import fakeplane

hub = pytest.importorskip("huggingface_hub")
hub_client = pytest.importorskip("huggingface_hub.inference._client")

MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say hello"}]


@pytest.fixture
def endpoint(plane: fakeplane.LoopbackPlane, request: pytest.FixtureRequest) -> str:
    task, variant = request.param
    return plane.add("parity", task=task, image_variant=variant, type="authenticated")


@pytest.fixture
def clients(
    endpoint: str, token: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Any, InferenceClient]]:
    monkeypatch.setattr(
        hub_client, "_import_numpy", lambda: pytypes.SimpleNamespace(array=lambda data, dtype: data)
    )
    theirs = hub.InferenceClient(model=endpoint, provider="hf-inference", token=token, timeout=10)
    with theirs, InferenceClient(endpoint, token=token, timeout=10) as ours:
        yield theirs, ours


def bodies(plane: fakeplane.LoopbackPlane, url: str) -> list[tuple[str, str, Any]]:
    calls = plane.endpoint(url).calls
    out = [
        (m, p, {k: v for k, v in b.items() if k != "model"} if isinstance(b, dict) else b)
        for m, p, b in calls
    ]
    calls.clear()
    return out


def same_requests(plane: fakeplane.LoopbackPlane, url: str) -> None:
    theirs, ours = bodies(plane, url)
    assert theirs == ours


TG = [("text-generation", "tgi"), ("text-generation", "huggingface")]


@pytest.mark.parametrize("endpoint", TG, indirect=True)
def test_text_generation(
    plane: fakeplane.LoopbackPlane, endpoint: str, clients: tuple[Any, InferenceClient]
) -> None:
    theirs, ours = clients
    for kwargs in ({"max_new_tokens": 5}, {"max_new_tokens": 200, "seed": 3, "stop": ["zero"]}, {}):
        assert theirs.text_generation("Hello fleet", **kwargs) == ours.text_generation(
            "Hello fleet", **kwargs
        )
        same_requests(plane, endpoint)
    a = theirs.text_generation("Hello fleet", max_new_tokens=7, details=True)
    b = ours.text_generation("Hello fleet", max_new_tokens=7, details=True)
    same_requests(plane, endpoint)
    assert a.generated_text == b.generated_text and b.details is not None
    ours_details = (b.details.finish_reason, b.details.generated_tokens, b.details.seed)
    assert (a.details.finish_reason, a.details.generated_tokens, a.details.seed) == ours_details
    ours_tokens = [(t.id, t.text, t.logprob, t.special) for t in b.details.tokens]
    assert [(t.id, t.text, t.logprob, t.special) for t in a.details.tokens] == ours_tokens


@pytest.mark.parametrize("endpoint", TG, indirect=True)
def test_text_generation_stream(
    plane: fakeplane.LoopbackPlane, endpoint: str, clients: tuple[Any, InferenceClient]
) -> None:
    theirs, ours = clients
    a = list(theirs.text_generation("Stream me", max_new_tokens=6, stream=True))
    b = list(ours.text_generation("Stream me", max_new_tokens=6, stream=True))
    same_requests(plane, endpoint)
    assert a == b and len(a) == 6
    da = list(theirs.text_generation("Stream me", max_new_tokens=6, stream=True, details=True))
    db = list(ours.text_generation("Stream me", max_new_tokens=6, stream=True, details=True))
    same_requests(plane, endpoint)
    assert [(e.index, e.token.text, e.generated_text) for e in da] == [
        (e.index, e.token.text, e.generated_text) for e in db
    ]
    last_a, last_b = da[-1].details, db[-1].details
    assert last_b is not None
    assert (last_a.finish_reason, last_a.generated_tokens, last_a.input_length) == (
        last_b.finish_reason,
        last_b.generated_tokens,
        last_b.input_length,
    )


@pytest.mark.parametrize("endpoint", [("text-generation", "tgi"), ("conversational", "vLLM")], indirect=True)
def test_chat_completion(
    plane: fakeplane.LoopbackPlane, endpoint: str, clients: tuple[Any, InferenceClient]
) -> None:
    theirs, ours = clients
    a = theirs.chat_completion(MESSAGES, max_tokens=6, temperature=0.7, seed=1)
    b = ours.chat_completion(MESSAGES, max_tokens=6, temperature=0.7, seed=1)
    same_requests(plane, endpoint)
    assert a.choices[0].message.content == b.choices[0].message.content
    assert (a.choices[0].finish_reason, a.choices[0].message.role, a.model, a.id) == (
        b.choices[0].finish_reason,
        b.choices[0].message.role,
        b.model,
        b.id,
    )
    assert b.usage is not None
    assert (a.usage.prompt_tokens, a.usage.completion_tokens) == (
        b.usage.prompt_tokens,
        b.usage.completion_tokens,
    )


@pytest.mark.parametrize("endpoint", [("text-generation", "tgi"), ("conversational", "vLLM")], indirect=True)
def test_chat_completion_stream(
    plane: fakeplane.LoopbackPlane, endpoint: str, clients: tuple[Any, InferenceClient]
) -> None:
    theirs, ours = clients
    a = list(theirs.chat_completion(MESSAGES, max_tokens=50, stream=True))
    b = list(ours.chat_completion(MESSAGES, max_tokens=50, stream=True))
    same_requests(plane, endpoint)
    assert [(c.choices[0].delta.content, c.choices[0].finish_reason) for c in a] == [
        (c.choices[0].delta.content, c.choices[0].finish_reason) for c in b
    ]
    assert b[-1].choices[0].finish_reason == "stop"  # the fake model ended by itself before 50 tokens


@pytest.mark.parametrize(
    "endpoint", [("feature-extraction", "huggingface"), ("feature-extraction", "tei")], indirect=True
)
def test_feature_extraction(
    plane: fakeplane.LoopbackPlane, endpoint: str, clients: tuple[Any, InferenceClient]
) -> None:
    theirs, ours = clients
    a = theirs.feature_extraction("The quick brown fox")
    b = ours.feature_extraction("The quick brown fox")
    same_requests(plane, endpoint)
    assert (a[0] if isinstance(a[0], list) else a) == b  # TEI wraps one vector in a list; we unwrap it
    batch = ["a", "b", "c"]
    assert theirs.feature_extraction(batch, normalize=True) == ours.feature_extraction(batch, normalize=True)
    same_requests(plane, endpoint)


@pytest.mark.parametrize("endpoint", [("text-classification", "huggingface")], indirect=True)
def test_text_classification(
    plane: fakeplane.LoopbackPlane, endpoint: str, clients: tuple[Any, InferenceClient]
) -> None:
    theirs, ours = clients
    for text in ("I love this product!", "terrible", "neutral words only"):
        a = theirs.text_classification(text)
        b = ours.text_classification(text)
        same_requests(plane, endpoint)
        assert [(c.label, c.score) for c in a] == [(c.label, c.score) for c in b]
    assert [(c.label, c.score) for c in theirs.text_classification("good", top_k=1)] == [
        (c.label, c.score) for c in ours.text_classification("good", top_k=1)
    ]


@pytest.mark.parametrize("endpoint", [("text-generation", "tgi")], indirect=True)
def test_health_and_info(clients: tuple[Any, InferenceClient]) -> None:
    theirs, ours = clients
    assert theirs.health_check() is ours.health() is True
    assert theirs.get_endpoint_info() == ours.get_endpoint_info()
