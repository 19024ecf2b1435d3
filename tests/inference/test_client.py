"""The sync client over real loopback HTTP against the served emulator: every method, streaming, headers."""

from __future__ import annotations

import math

import httpx
import pytest

from reconciler.inference import InferenceClient, errors, types
from tests.inference.conftest import Cloud

MESSAGES = [{"role": "user", "content": "Say hello"}]


@pytest.fixture
def tg_url(cloud: Cloud) -> str:
    return cloud.add("tg", task="text-generation", image_variant="tgi").url


def test_health_true_on_200_false_otherwise(cloud: Cloud) -> None:
    url = cloud.add(image_variant="custom", health_route="/ready").url
    with InferenceClient(url, timeout=5, health_route="ready") as client:
        assert client.health() is True
    with InferenceClient(url, timeout=5) as client:
        assert client.health() is False  # /health is not this endpoint's route
    paused = cloud.add(state="paused")
    with InferenceClient(paused.url, timeout=5) as client:
        assert client.health() is False
    assert [r.status for r in paused.requests()] == [503]  # a probe is never retried


def test_health_sends_no_wake_up_header(cloud: Cloud) -> None:
    asleep = cloud.add(state="scaledToZero")
    with InferenceClient(asleep.url, timeout=5) as client:
        assert client.health() is False
    (probe,) = asleep.requests()
    assert probe.status == 503 and "x-scale-up-timeout" not in probe.headers


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


def test_feature_extraction_single_and_batch(cloud: Cloud) -> None:
    """One row per text: ``(1, n)`` for one string, as huggingface_hub returns it."""
    with InferenceClient(cloud.add(task="feature-extraction").url, timeout=5) as client:
        (one,) = client.feature_extraction("hello")  # the toolkit answers a flat vector: one row
        assert len(one) == 384 and math.isclose(sum(v * v for v in one), 1.0, rel_tol=1e-9)
        many = client.feature_extraction(["hello", "world"])
        assert len(many) == 2 and many[0] == one and many[1] != one
        assert [len(row) for row in client.feature_extraction("hello", dimensions=32)] == [32]


def test_feature_extraction_keeps_tei_single_row(cloud: Cloud) -> None:
    with InferenceClient(cloud.add(task="feature-extraction", image_variant="tei").url, timeout=5) as client:
        assert [len(row) for row in client.feature_extraction("hello")] == [384]
        assert [len(row) for row in client.feature_extraction(("a", "b", "c"))] == [384] * 3


@pytest.mark.parametrize("variant", ["huggingface", "tei"])
def test_text_classification(cloud: Cloud, variant: str) -> None:
    with InferenceClient(
        cloud.add(task="text-classification", image_variant=variant).url, timeout=5
    ) as client:
        labels = client.text_classification("I love this product!")
        assert [c.label for c in labels] == ["POSITIVE", "NEGATIVE"] and labels[0].score > 0.9
        assert client.text_classification("terrible")[0].label == "NEGATIVE"
        if variant == "huggingface":
            assert len(client.text_classification("good", top_k=1)) == 1


def test_post_and_endpoint_info(cloud: Cloud) -> None:
    with InferenceClient(cloud.add(task="fill-mask", image_variant="custom").url, timeout=5) as client:
        response = client.post(json={"inputs": "Paris is the [MASK] of France."})
        assert response.status_code == 200 and response.json()["inputs"].startswith("Paris")
        assert client.post("/generate", json={"inputs": "Hi"}).json()["generated_text"]
        assert client.get_endpoint_info()["model_id"] == "acme/model"
        assert client.get("/info").json()["model_id"] == "acme/model"
        with pytest.raises(errors.InferenceHTTPError) as caught:
            client.get("/no-such-route")  # unlike health(), a refusal says its status
        assert caught.value.status == 404


def test_token_goes_in_the_authorization_header_only(cloud: Cloud, token: str) -> None:
    endpoint = cloud.add(type="authenticated")
    with InferenceClient(endpoint.url, token=token, timeout=5, headers={"X-Extra": "1"}) as client:
        assert client.text_generation("Hi", max_new_tokens=1)
        assert token not in repr(client) and "***" in repr(client)
    (request,) = endpoint.requests()
    assert request.status == 200 and request.identity == "emulator"  # the bearer token resolved
    seen = request.headers
    assert seen["x-extra"] == "1"
    assert not any(token in value for key, value in seen.items() if key != "authorization")
    assert seen["x-scale-up-timeout"] == "5"  # on by default once a timeout is given
    assert seen["user-agent"].startswith("hfleet-inference/")


def test_no_timeout_means_no_wake_up_header(cloud: Cloud) -> None:
    endpoint = cloud.add()
    url = endpoint.url
    with InferenceClient(url) as client:
        client.text_generation("Hi", max_new_tokens=1)
    with InferenceClient(url, timeout=5, scale_up_timeout=False) as client:
        client.text_generation("Hi", max_new_tokens=1)
    with InferenceClient(url, scale_up_timeout=30) as client:
        client.text_generation("Hi", max_new_tokens=1)
    assert [h.get("x-scale-up-timeout") for h in endpoint.seen] == [None, None, "30"]


def test_wsgi_transport_in_process(cloud: Cloud) -> None:
    """The same client without a socket: what the engine tests do with the emulator's transport."""
    endpoint = cloud.add(task="text-classification")
    transport = httpx.WSGITransport(app=cloud.emulator.wsgi)
    with InferenceClient(endpoint.url, timeout=5, transport=transport) as client:
        assert client.text_classification("I love this product!")[0].label == "POSITIVE"
    assert [r.status for r in endpoint.requests()] == [200]


def test_shared_http_client_is_not_closed(cloud: Cloud) -> None:
    with httpx.Client() as http:
        with InferenceClient(cloud.add().url, timeout=5, http=http) as client:
            client.text_generation("Hi", max_new_tokens=1)
        assert not http.is_closed
    with pytest.raises(ValueError, match="either"):
        InferenceClient(
            "http://x", transport=httpx.MockTransport(lambda r: httpx.Response(200)), http=httpx.Client()
        )
