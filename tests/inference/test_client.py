"""The sync client over real loopback HTTP against the fake plane: every method, streaming, headers."""

from __future__ import annotations

import math

import httpx
import pytest

from reconciler.inference import InferenceClient, errors, types
from tests.inference import fakeplane

MESSAGES = [{"role": "user", "content": "Say hello"}]


@pytest.fixture
def tg_url(plane: fakeplane.LoopbackPlane) -> str:
    return plane.add("tg", task="text-generation", image_variant="tgi")


def test_health_true_on_200_false_otherwise(plane: fakeplane.LoopbackPlane) -> None:
    url = plane.add(health_route="/ready")
    with InferenceClient(url, timeout=5, health_route="ready") as client:
        assert client.health() is True
    with InferenceClient(url, timeout=5) as client:
        assert client.health() is False  # /health is not this endpoint's route
    paused = plane.add(state="paused")
    with InferenceClient(paused, timeout=5) as client:
        assert client.health() is False
    assert len(plane.endpoint(paused).seen) == 1  # a probe is never retried


def test_health_sends_no_wake_up_header(plane: fakeplane.LoopbackPlane) -> None:
    url = plane.add(state="scaledToZero")
    with InferenceClient(url, timeout=5) as client:
        assert client.health() is False
    assert "x-scale-up-timeout" not in plane.endpoint(url).seen[0]


def test_text_generation_plain_and_detailed(tg_url: str) -> None:
    with InferenceClient(tg_url, timeout=5) as client:
        text = client.text_generation("Hello", max_new_tokens=5)
        assert isinstance(text, str) and len(text.split()) == 5
        out = client.text_generation("Hello", max_new_tokens=5, details=True)
        assert isinstance(out, types.TextGenerationOutput) and out.generated_text == text
        assert out.details is not None and out.details.finish_reason == "length"
        assert out.details.generated_tokens == 5 and "".join(t.text for t in out.details.tokens) == text
        assert client.text_generation("Hello", max_new_tokens=5, seed=3, details=True).details.seed == 3  # type: ignore[union-attr]


def test_text_generation_stream_tokens_and_details(tg_url: str) -> None:
    with InferenceClient(tg_url, timeout=5) as client:
        text = client.text_generation("Hello", max_new_tokens=5)
        assert "".join(client.text_generation("Hello", max_new_tokens=5, stream=True)) == text
        events = list(client.text_generation("Hello", max_new_tokens=5, stream=True, details=True))
        assert [e.index for e in events] == list(range(5))
        assert events[-1].generated_text == text and events[-1].details is not None
        assert events[-1].details.finish_reason == "length" and events[-1].details.generated_tokens == 5


def test_abandoned_stream_is_closed(tg_url: str) -> None:
    with InferenceClient(tg_url, timeout=5) as client:
        stream = client.text_generation("Hello", max_new_tokens=6, stream=True)
        assert next(iter(stream))
        stream.close()  # type: ignore[attr-defined]
        assert client.text_generation("Hello", max_new_tokens=2)


def test_chat_completion_plain_and_streamed(tg_url: str) -> None:
    with InferenceClient(tg_url, timeout=5) as client:
        out = client.chat_completion(MESSAGES, max_tokens=4, temperature=0.5)
        assert out.choices[0].message.role == "assistant" and out.choices[0].finish_reason == "length"
        content = out.choices[0].message.content
        assert content is not None and len(content.split()) == 4
        assert out.usage is not None and out.usage.completion_tokens == 4 and out.model == "acme/model"
        chunks = list(client.chat_completion(MESSAGES, max_tokens=4, stream=True))
        assert "".join(c.choices[0].delta.content or "" for c in chunks) == content
        assert chunks[-1].choices[0].finish_reason == "length"
        with_usage = list(
            client.chat_completion(
                MESSAGES, max_tokens=4, stream=True, stream_options={"include_usage": True}
            )
        )
        assert with_usage[-1].choices == () and with_usage[-1].usage is not None


def test_feature_extraction_single_and_batch(plane: fakeplane.LoopbackPlane) -> None:
    """One row per text: ``(1, n)`` for one string, as huggingface_hub returns it."""
    with InferenceClient(plane.add(task="feature-extraction"), timeout=5) as client:
        (one,) = client.feature_extraction("hello")  # the toolkit answers a flat vector: one row
        assert len(one) == 384 and math.isclose(sum(v * v for v in one), 1.0, rel_tol=1e-9)
        many = client.feature_extraction(["hello", "world"])
        assert len(many) == 2 and many[0] == one and many[1] != one
        assert [len(row) for row in client.feature_extraction("hello", dimensions=32)] == [32]


def test_feature_extraction_keeps_tei_single_row(plane: fakeplane.LoopbackPlane) -> None:
    with InferenceClient(plane.add(task="feature-extraction", image_variant="tei"), timeout=5) as client:
        assert [len(row) for row in client.feature_extraction("hello")] == [384]
        assert [len(row) for row in client.feature_extraction(("a", "b", "c"))] == [384] * 3


@pytest.mark.parametrize("variant", ["huggingface", "tei"])
def test_text_classification(plane: fakeplane.LoopbackPlane, variant: str) -> None:
    with InferenceClient(plane.add(task="text-classification", image_variant=variant), timeout=5) as client:
        labels = client.text_classification("I love this product!")
        assert [c.label for c in labels] == ["POSITIVE", "NEGATIVE"] and labels[0].score > 0.9
        assert client.text_classification("terrible")[0].label == "NEGATIVE"
        if variant == "huggingface":
            assert len(client.text_classification("good", top_k=1)) == 1


def test_post_and_endpoint_info(plane: fakeplane.LoopbackPlane) -> None:
    with InferenceClient(plane.add(task="fill-mask", image_variant="custom"), timeout=5) as client:
        response = client.post(json={"inputs": "Paris is the [MASK] of France."})
        assert response.status_code == 200 and response.json()["inputs"].startswith("Paris")
        assert client.post("/generate", json={"inputs": "Hi"}).json()["generated_text"]
        assert client.get_endpoint_info()["model_id"] == "acme/model"
        assert client.get("/info").json()["model_id"] == "acme/model"
        with pytest.raises(errors.InferenceHTTPError) as caught:
            client.get("/no-such-route")  # unlike health(), a refusal says its status
        assert caught.value.status == 404


def test_token_goes_in_the_authorization_header_only(plane: fakeplane.LoopbackPlane, token: str) -> None:
    url = plane.add(type="authenticated")
    with InferenceClient(url, token=token, timeout=5, headers={"X-Extra": "1"}) as client:
        assert client.text_generation("Hi", max_new_tokens=1)
        assert token not in repr(client) and "***" in repr(client)
    seen = plane.endpoint(url).seen[-1]
    assert seen["authorization"] == f"Bearer {token}" and seen["x-extra"] == "1"
    assert seen["x-scale-up-timeout"] == "5"  # on by default once a timeout is given
    assert seen["user-agent"].startswith("hfleet-inference/")


def test_no_timeout_means_no_wake_up_header(plane: fakeplane.LoopbackPlane) -> None:
    url = plane.add()
    with InferenceClient(url) as client:
        client.text_generation("Hi", max_new_tokens=1)
    with InferenceClient(url, timeout=5, scale_up_timeout=False) as client:
        client.text_generation("Hi", max_new_tokens=1)
    with InferenceClient(url, scale_up_timeout=30) as client:
        client.text_generation("Hi", max_new_tokens=1)
    assert [h.get("x-scale-up-timeout") for h in plane.endpoint(url).seen] == [None, None, "30"]


def test_wsgi_transport_in_process(plane: fakeplane.LoopbackPlane) -> None:
    """The same client without a socket: what the engine tests do with the emulator's transport."""
    url = plane.add(task="text-classification")
    transport = httpx.WSGITransport(app=plane.wsgi_app)
    with InferenceClient(url, timeout=5, transport=transport) as client:
        assert client.text_classification("I love this product!")[0].label == "POSITIVE"


def test_shared_http_client_is_not_closed(plane: fakeplane.LoopbackPlane) -> None:
    with httpx.Client() as http:
        with InferenceClient(plane.add(), timeout=5, http=http) as client:
            client.text_generation("Hi", max_new_tokens=1)
        assert not http.is_closed
    with pytest.raises(ValueError, match="either"):
        InferenceClient(
            "http://x", transport=httpx.MockTransport(lambda r: httpx.Response(200)), http=httpx.Client()
        )
