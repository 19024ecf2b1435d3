"""Parity: huggingface_hub 2.4.0's InferenceClient and ours, pointed at the same emulator endpoints.

Both clients call the endpoint URL the emulator reports (``model=URL``, as a user of a deployed
endpoint does), through a recording proxy, so each test compares the results *and* the requests
(method, path, JSON body, token header) of the two clients, told apart by their user agents. Hub adds
a dummy ``model`` to chat bodies; that key is left out of the comparison. numpy is not installed
here, and hub only uses it to wrap the decoded JSON of ``feature_extraction`` in an array, so that
call gets a pass-through shim. Where we differ on purpose, the test says so and asserts the
difference (feature_extraction on a toolkit endpoint; hub 2.4.0 has no ``post``).
"""

from __future__ import annotations

import types as pytypes
from collections.abc import Iterator
from typing import Any

import httpx

# huggingface_hub 2.4.0 is a pinned dev dependency: missing, these tests fail rather than skip.
import huggingface_hub as hub
import huggingface_hub.errors as hub_errors
import huggingface_hub.inference._client as hub_client
import pytest

from reconciler.emulator import Emulator, EmulatorConfig
from reconciler.inference import InferenceClient, errors
from tests.emulator.conftest import payload
from tests.inference.hostile import HostileServer
from tests.inference.recorder import Call, RecordingProxy

TOKEN = "hf_emulator"
MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say hello"}]
ENDPOINTS = {
    "tgi": ("text-generation", {"tgi": {"url": "ghcr.io/tgi:3"}}),
    "toolkit-gen": ("text-generation", {"huggingface": {}}),
    "vllm": ("conversational", {"vLLM": {"url": "vllm/vllm-openai:v0.11"}}),
    "tei": ("feature-extraction", {"tei": {"url": "ghcr.io/tei:1"}}),
    "toolkit-emb": ("feature-extraction", {"huggingface": {}}),
    "cls": ("text-classification", {"huggingface": {}}),
}


class Cloud:
    """The emulator served on loopback, behind the recording proxy, with one endpoint per kind."""

    def __init__(self, proxy: RecordingProxy) -> None:
        self.proxy = proxy
        self.urls: dict[str, str] = {}
        with httpx.Client(base_url=proxy.url, headers={"Authorization": f"Bearer {TOKEN}"}) as http:
            for name, (task, image) in ENDPOINTS.items():
                body = payload(f"parity-{name}")
                body["model"] = {**body["model"], "task": task, "image": image}
                http.post("/v2/endpoint/emulator", json=body).raise_for_status()
                record = http.get(f"/v2/endpoint/emulator/parity-{name}").json()
                self.urls[name] = str(record["status"]["url"])

    def requests(self) -> tuple[list[tuple[str, str, Any]], list[tuple[str, str, Any]]]:
        """(hub's, ours) since the last call: (method, path under the endpoint, body without ``model``)."""
        calls = self.proxy.take()
        assert all(c.headers.get("authorization") == f"Bearer {TOKEN}" for c in calls)

        def shape(c: Call) -> tuple[str, str, Any]:
            path = "/" + c.path.split("/", 3)[3] if c.path.count("/") >= 3 else "/"
            body = {k: v for k, v in c.body.items() if k != "model"} if isinstance(c.body, dict) else c.body
            return c.method, path, body

        theirs = [shape(c) for c in calls if "huggingface_hub" in c.agent or "hf_hub" in c.agent]
        ours = [shape(c) for c in calls if c.agent.startswith("hfleet-inference/")]
        assert len(theirs) + len(ours) == len(calls), [c.agent for c in calls]
        return theirs, ours

    def same_requests(self) -> list[tuple[str, str, Any]]:
        theirs, ours = self.requests()
        assert theirs == ours and ours
        return ours


@pytest.fixture(scope="module")
def cloud() -> Iterator[Cloud]:
    emulator = Emulator(EmulatorConfig())
    with emulator.serve() as server, RecordingProxy(server.url) as proxy:
        yield Cloud(proxy)
    emulator.close()


@pytest.fixture
def pair(cloud: Cloud, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """(hub's client, ours) for the endpoint named by the test's parameter."""
    monkeypatch.setattr(
        hub_client, "_import_numpy", lambda: pytypes.SimpleNamespace(array=lambda data, dtype: data)
    )
    url = cloud.urls[request.param]
    cloud.proxy.take()
    theirs = hub.InferenceClient(model=url, provider="hf-inference", token=TOKEN, timeout=10)
    with theirs, InferenceClient(url, token=TOKEN, timeout=10) as ours:
        yield theirs, ours


@pytest.mark.parametrize("pair", ["tgi"], indirect=True)
def test_health_and_info(cloud: Cloud, pair: Any) -> None:
    theirs, ours = pair
    assert theirs.health_check() is True
    assert ours.health() is True
    assert cloud.same_requests() == [("GET", "/health", None)]
    assert theirs.get_endpoint_info() == ours.get_endpoint_info()
    assert cloud.same_requests() == [("GET", "/info", None)]


@pytest.mark.parametrize("pair", ["tgi", "toolkit-gen"], indirect=True)
def test_text_generation(cloud: Cloud, pair: Any) -> None:
    theirs, ours = pair
    for kwargs in ({"max_new_tokens": 5}, {"max_new_tokens": 200, "seed": 3, "stop": ["zero"]}, {}):
        assert theirs.text_generation("Hello fleet", **kwargs) == ours.text_generation(
            "Hello fleet", **kwargs
        )
        cloud.same_requests()
    a = theirs.text_generation("Hello fleet", max_new_tokens=7, details=True)
    b = ours.text_generation("Hello fleet", max_new_tokens=7, details=True)
    assert cloud.same_requests()[0][2]["parameters"]["details"] is True
    assert a.generated_text == b.generated_text and b.details is not None
    ours_details = (b.details.finish_reason, b.details.generated_tokens, b.details.seed)
    assert (a.details.finish_reason, a.details.generated_tokens, a.details.seed) == ours_details
    ours_tokens = [(t.id, t.text, t.logprob, t.special) for t in b.details.tokens]
    assert [(t.id, t.text, t.logprob, t.special) for t in a.details.tokens] == ours_tokens


@pytest.mark.parametrize("pair", ["tgi", "toolkit-gen"], indirect=True)
def test_text_generation_stream(cloud: Cloud, pair: Any) -> None:
    theirs, ours = pair
    a = list(theirs.text_generation("Stream me", max_new_tokens=6, stream=True))
    b = list(ours.text_generation("Stream me", max_new_tokens=6, stream=True))
    assert cloud.same_requests()[0][2]["stream"] is True
    assert a == b and len(a) == 6
    da = list(theirs.text_generation("Stream me", max_new_tokens=6, stream=True, details=True))
    db = list(ours.text_generation("Stream me", max_new_tokens=6, stream=True, details=True))
    cloud.same_requests()
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


@pytest.mark.parametrize("pair", ["tgi", "vllm"], indirect=True)
def test_chat_completion(cloud: Cloud, pair: Any) -> None:
    theirs, ours = pair
    a = theirs.chat_completion(MESSAGES, max_tokens=6, temperature=0.7, seed=1)
    b = ours.chat_completion(MESSAGES, max_tokens=6, temperature=0.7, seed=1)
    assert cloud.same_requests()[0][:2] == ("POST", "/v1/chat/completions")
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


@pytest.mark.parametrize("pair", ["tgi", "vllm"], indirect=True)
def test_chat_completion_stream(cloud: Cloud, pair: Any) -> None:
    theirs, ours = pair
    a = list(theirs.chat_completion(MESSAGES, max_tokens=50, stream=True))
    b = list(ours.chat_completion(MESSAGES, max_tokens=50, stream=True))
    assert cloud.same_requests()[0][2]["stream"] is True
    assert [(c.choices[0].delta.content, c.choices[0].finish_reason) for c in a] == [
        (c.choices[0].delta.content, c.choices[0].finish_reason) for c in b
    ]
    assert b[-1].choices[0].finish_reason == "stop"  # the fake model ended by itself before 50 tokens


@pytest.mark.parametrize("pair", ["tei"], indirect=True)
def test_feature_extraction_same_shape_as_hub(cloud: Cloud, pair: Any) -> None:
    theirs, ours = pair
    a = theirs.feature_extraction("The quick brown fox")
    b = ours.feature_extraction("The quick brown fox")
    cloud.same_requests()
    assert a == b and len(b) == 1 and len(b[0]) == 384  # (1, n) for one text, as hub returns it
    batch = ["a", "b", "c"]
    assert theirs.feature_extraction(batch, normalize=True) == ours.feature_extraction(batch, normalize=True)
    cloud.same_requests()


@pytest.mark.parametrize("pair", ["toolkit-emb"], indirect=True)
def test_feature_extraction_on_a_flat_answer_is_one_row(cloud: Cloud, pair: Any) -> None:
    """The toolkit answers a flat vector for one text; hub passes it through as (n,), we give (1, n)."""
    theirs, ours = pair
    a = theirs.feature_extraction("The quick brown fox")
    b = ours.feature_extraction("The quick brown fox")
    cloud.same_requests()
    assert b == [a] and len(a) == 384


@pytest.mark.parametrize("pair", ["cls"], indirect=True)
def test_text_classification(cloud: Cloud, pair: Any) -> None:
    theirs, ours = pair
    for text in ("I love this product!", "terrible", "neutral words only"):
        a = theirs.text_classification(text)
        b = ours.text_classification(text)
        cloud.same_requests()
        assert [(c.label, c.score) for c in a] == [(c.label, c.score) for c in b]
    a = theirs.text_classification("good", top_k=1)
    b = ours.text_classification("good", top_k=1)
    assert cloud.same_requests()[0][2] == {"inputs": "good", "parameters": {"top_k": 1}}
    assert [(c.label, c.score) for c in a] == [(c.label, c.score) for c in b]


@pytest.mark.parametrize("pair", ["cls"], indirect=True)
def test_post_sends_what_hub_sends_for_a_task(cloud: Cloud, pair: Any) -> None:
    """hub 2.4.0 has no ``post`` (removed in 1.0): ours, given hub's own request, gets hub's answer."""
    theirs, ours = pair
    assert not hasattr(theirs, "post")
    a = theirs.text_classification("I love this product!")
    (hub_request,) = cloud.requests()[0]
    response = ours.post(json=hub_request[2])
    assert cloud.requests()[1] == [hub_request]
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
    assert [(c["label"], c["score"]) for c in response.json()[0]] == [(c.label, c.score) for c in a]


@pytest.mark.parametrize("pair", ["tgi"], indirect=True)
def test_a_422_is_a_validation_error_for_both(cloud: Cloud, pair: Any) -> None:
    theirs, ours = pair
    with pytest.raises(hub_errors.ValidationError):
        theirs.text_generation("Hi", max_new_tokens=0)
    with pytest.raises(errors.ValidationError) as caught:
        ours.text_generation("Hi", max_new_tokens=0)
    cloud.same_requests()
    assert caught.value.status == 422 and "max_new_tokens" in caught.value.body


ENGINE_ERRORS = [
    ("validation", 422, "ValidationError"),
    ("overloaded", 429, "OverloadedError"),
    ("generation", 424, "GenerationError"),
    ("incomplete_generation", 500, "IncompleteGenerationError"),
]


@pytest.mark.parametrize(("kind", "status", "name"), ENGINE_ERRORS)
def test_engine_errors_have_hubs_class_names(kind: str, status: int, name: str) -> None:
    """TGI's documented error answers (``{"error", "error_type"}``), before and during a stream."""
    with HostileServer() as server:
        url = f"{server.url}/tgi-error?status={status}&type={kind}"
        theirs = hub.InferenceClient(model=url, provider="hf-inference", timeout=10)
        with pytest.raises(hub_errors.TextGenerationError) as hub_caught:
            theirs.text_generation("Hi")
        with InferenceClient(url, timeout=10) as ours, pytest.raises(errors.TextGenerationError) as caught:
            ours.text_generation("Hi")
        assert type(hub_caught.value).__name__ == type(caught.value).__name__ == name
        assert caught.value.status == status
        streamed = f"{server.url}/stream-error?type={kind}"
        theirs = hub.InferenceClient(model=streamed, provider="hf-inference", timeout=10)
        with pytest.raises(hub_errors.TextGenerationError) as hub_caught:
            list(theirs.text_generation("Hi", stream=True))
        with (
            InferenceClient(streamed, timeout=10) as ours,
            pytest.raises(errors.TextGenerationError) as caught,
        ):
            list(ours.text_generation("Hi", stream=True))
        assert type(hub_caught.value).__name__ == type(caught.value).__name__ == name
        assert "CUDA out of memory" in str(caught.value)


def test_a_timeout_is_a_timeout_error_for_both() -> None:
    """``except TimeoutError`` catches either client's timeout (hub's InferenceTimeoutError is one)."""
    with HostileServer() as server:
        url = f"{server.url}/trickle?interval=0.5"
        theirs = hub.InferenceClient(model=url, provider="hf-inference", timeout=0.2)
        with pytest.raises(TimeoutError):
            theirs.feature_extraction("x")
        with InferenceClient(url, timeout=0.2) as ours, pytest.raises(TimeoutError):
            ours.feature_extraction("x")
