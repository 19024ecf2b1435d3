"""The async client mirrors the sync one: same answers, ``async for`` streams, same errors."""

from __future__ import annotations

import time

import anyio
import httpx
import pytest

from reconciler.inference import AsyncInferenceClient, InferenceClient, errors, types
from tests.inference.conftest import Cloud, FakeTime

pytestmark = pytest.mark.anyio
MESSAGES = [{"role": "user", "content": "Say hello"}]


async def test_every_method_matches_the_sync_client(cloud: Cloud) -> None:
    tg = cloud.add(task="text-generation", image_variant="tgi").url
    fe = cloud.add(task="feature-extraction").url
    tc = cloud.add(task="text-classification").url
    async with AsyncInferenceClient(tg, timeout=5) as a:
        with InferenceClient(tg, timeout=5) as s:
            assert await a.health() is True
            assert await a.text_generation("Hi", max_new_tokens=4) == s.text_generation(
                "Hi", max_new_tokens=4
            )
            detailed = await a.text_generation("Hi", max_new_tokens=4, details=True)
            assert detailed == s.text_generation("Hi", max_new_tokens=4, details=True)
            chat = await a.chat_completion(MESSAGES, max_tokens=3)
            assert chat.choices == s.chat_completion(MESSAGES, max_tokens=3).choices
            assert (await a.get_endpoint_info())["model_id"] == "acme/model"
            assert (await a.post("/generate", json={"inputs": "Hi"})).json()["generated_text"]
    async with AsyncInferenceClient(fe, timeout=5) as a:
        with InferenceClient(fe, timeout=5) as s:
            assert await a.feature_extraction("hello") == s.feature_extraction("hello")
            assert await a.feature_extraction(["a", "b"]) == s.feature_extraction(["a", "b"])
    async with AsyncInferenceClient(tc, timeout=5) as a:
        labels = await a.text_classification("I love this product!")
        assert labels[0] == types.ClassificationOutput("POSITIVE", labels[0].score) and labels[0].score > 0.9


async def test_streams_with_async_for(cloud: Cloud) -> None:
    url = cloud.add(task="text-generation", image_variant="tgi").url
    async with AsyncInferenceClient(url, timeout=5) as client:
        text = await client.text_generation("Hi", max_new_tokens=5)
        tokens = [t async for t in await client.text_generation("Hi", max_new_tokens=5, stream=True)]
        assert "".join(tokens) == text
        events = [
            e async for e in await client.text_generation("Hi", max_new_tokens=5, stream=True, details=True)
        ]
        assert events[-1].generated_text == text and events[-1].details is not None
        chunks = [c async for c in await client.chat_completion(MESSAGES, max_tokens=3, stream=True)]
        assert len(chunks) == 3 and chunks[-1].choices[0].finish_reason == "length"
        assert all(c.choices[0].delta.content for c in chunks)


async def test_concurrent_calls_share_one_client(cloud: Cloud) -> None:
    endpoint = cloud.add(task="text-classification")
    results: list[str] = []
    async with AsyncInferenceClient(endpoint.url, timeout=5) as client:

        async def one(text: str) -> None:
            results.append((await client.text_classification(text))[0].label)

        async with anyio.create_task_group() as tg:
            for text in ["good", "bad", "great", "awful"] * 3:
                tg.start_soon(one, text)
    assert sorted(results) == ["NEGATIVE"] * 6 + ["POSITIVE"] * 6
    assert [r.status for r in endpoint.requests()] == [200] * 12


async def test_starting_then_scaled_to_zero_wake_up(cloud: Cloud, fake_time: FakeTime) -> None:
    starting = cloud.add()
    starting.starting(times=2)
    async with AsyncInferenceClient(
        starting.url, timeout=5, sleep=fake_time.asleep, clock=fake_time.clock
    ) as client:
        assert await client.text_generation("Hi", max_new_tokens=1)
    assert [r.status for r in starting.requests()] == [503, 503, 200] and fake_time.slept == [0.1, 0.2]
    asleep = cloud.add(state="scaledToZero")
    async with AsyncInferenceClient(asleep.url, timeout=5) as client:
        assert await client.text_generation("Hi", max_new_tokens=1)
    assert [(r.status, r.headers["x-scale-up-timeout"]) for r in asleep.requests()] == [(200, "5")]


async def test_errors_are_the_same_classes(cloud: Cloud, fake_time: FakeTime) -> None:
    async with AsyncInferenceClient(cloud.add(state="paused").url, timeout=5) as client:
        with pytest.raises(errors.EndpointPausedError):
            await client.text_generation("Hi")
    async with AsyncInferenceClient(
        cloud.add(type="authenticated").url, token="hf_nope0000000", timeout=5
    ) as client:
        with pytest.raises(errors.InferenceAuthError) as caught:
            await client.chat_completion(MESSAGES)
        assert "hf_nope0000000" not in str(caught.value) and "hf_nope0000000" not in repr(client)
    pending = cloud.add()
    pending.starting(times=None)
    async with AsyncInferenceClient(
        pending.url, timeout=0.5, sleep=fake_time.asleep, clock=fake_time.clock
    ) as client:
        with pytest.raises(errors.EndpointStartingError):
            await client.feature_extraction("x")
    assert fake_time.slept == [0.1, 0.2]  # the same budget rule as the sync client
    assert [r.status for r in pending.requests()] == [503] * 3


async def test_slow_answer_times_out(cloud: Cloud) -> None:
    endpoint = cloud.add()
    endpoint.slow(5.0)  # far beyond the timeout, so a loaded machine cannot blur the two
    started = time.monotonic()
    async with AsyncInferenceClient(endpoint.url, timeout=0.3) as client:
        with pytest.raises(errors.InferenceTimeoutError):
            await client.text_generation("Hi")
        assert await client.health() is False  # a probe turns the timeout into "unhealthy"
    assert time.monotonic() - started < 4.0


async def test_injected_async_transport() -> None:
    def reply(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, json={"error": "Endpoint is scaled to zero"})

    async with AsyncInferenceClient("http://emulated/e/x", transport=httpx.MockTransport(reply)) as client:
        with pytest.raises(errors.EndpointScaledToZeroError):
            await client.text_generation("Hi")
