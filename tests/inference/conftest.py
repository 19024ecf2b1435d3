"""Fixtures of the inference tests: the emulator served on loopback, an endpoint per need, fake time.

The client talks to the whole emulator (its control plane made each endpoint; its proxy checks the
token, gates on the state and wakes scaled-to-zero endpoints; its fake engines answer). Edge cases
are scripted with the emulator's public test API only (docs/emulator.md): ``set_state`` for paused,
failed and scaled-to-zero endpoints, ``fail_dataplane`` for a replica that answers 503 a few times,
``slow_dataplane`` for a slow one, and ``requests_to`` to count and inspect what reached an endpoint.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from reconciler.emulator import Emulator, EmulatorConfig, FaultRule, RequestRecord
from tests.conftest import FakeClock
from tests.emulator.conftest import payload

TOKEN = "hf_emulator"  # the emulator's default identity: user "emulator"
NAMESPACE = "emulator"
# What the emulator's proxy answers while an endpoint starts, without its ``Retry-After: 1``: the
# scripted replica leaves the client's own backoff steps visible.
STARTING = "Endpoint is initializing and not ready yet"
IMAGES: dict[str, dict[str, Any]] = {
    "huggingface": {},
    "tgi": {"url": "ghcr.io/huggingface/text-generation-inference:3.3"},
    "tei": {"url": "ghcr.io/huggingface/text-embeddings-inference:1.9"},
    "vLLM": {"url": "vllm/vllm-openai:v0.11"},
    "custom": {"url": "registry.example.com/acme/server:1"},
}


@dataclass
class Endpoint:
    """One endpoint of the served emulator: its URL, and what reached it."""

    emulator: Emulator
    name: str
    url: str

    def requests(self) -> list[RequestRecord]:
        """Every request that reached the URL (refusals and faults included), oldest first."""
        return self.emulator.requests_to(NAMESPACE, self.name)

    @property
    def seen(self) -> list[Mapping[str, str]]:
        """The headers of each request received (``authorization`` is redacted by the emulator)."""
        return [r.headers for r in self.requests()]

    @property
    def state(self) -> str:
        snapshot = self.emulator.endpoint(NAMESPACE, self.name)
        assert snapshot is not None
        return snapshot.state

    def set_state(self, state: str) -> None:
        self.emulator.set_state(NAMESPACE, self.name, state)

    def starting(self, times: int | None, retry_after: float | str | None = None) -> FaultRule:
        """The next ``times`` requests (None: all) answer the proxy's 503 of a starting endpoint."""
        return self.emulator.fail_dataplane(
            NAMESPACE, self.name, 503, times=times, retry_after=retry_after, message=STARTING
        )

    def slow(self, seconds: float) -> FaultRule:
        return self.emulator.slow_dataplane(NAMESPACE, self.name, seconds)


@dataclass
class Cloud:
    """The emulator served on loopback; ``add`` creates an endpoint through its control plane."""

    emulator: Emulator
    url: str
    count: int = field(default=0)

    def add(
        self,
        name: str = "ep",
        *,
        task: str | None = "text-generation",
        image_variant: str = "huggingface",
        type: str = "public",
        state: str = "running",
        health_route: str | None = None,
        repository: str = "acme/model",
    ) -> Endpoint:
        self.count += 1
        name = f"{name}-{self.count}"
        image = dict(IMAGES[image_variant])
        if health_route is not None:
            image["healthRoute"] = health_route
        body = payload(name, type=type)
        body["model"] = {**body["model"], "repository": repository, "task": task}
        body["model"]["image"] = {image_variant: image}
        with httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {TOKEN}"}) as http:
            http.post(f"/v2/endpoint/{NAMESPACE}", json=body).raise_for_status()
            url = http.get(f"/v2/endpoint/{NAMESPACE}/{name}").json()["status"]["url"]
        endpoint = Endpoint(self.emulator, name, str(url))
        if state != "running":
            endpoint.set_state(state)
        return endpoint


@contextlib.contextmanager
def served(config: EmulatorConfig, clock: FakeClock) -> Iterator[Cloud]:
    emulator = Emulator(config, clock=clock)
    try:
        with emulator.serve() as server:
            yield Cloud(emulator, server.url)
    finally:
        emulator.close()


@pytest.fixture(scope="session")
def clock() -> FakeClock:
    """The emulator's clock; ``fake_time``'s sleeps move it, so the client's waits are the cloud's."""
    return FakeClock()


@pytest.fixture(scope="session")
def _served(clock: FakeClock) -> Iterator[Cloud]:
    with served(EmulatorConfig(), clock) as cloud:  # instant transitions
        yield cloud


@pytest.fixture
def cloud(_served: Cloud) -> Cloud:
    """A fresh cloud per test: no endpoint, no fault, an empty request log."""
    _served.emulator.reset()
    return _served


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def token() -> str:
    return TOKEN


@dataclass
class FakeTime:
    """The client's ``clock`` and ``sleep``: sleeping only moves the (emulator's) clock, and is recorded.

    Given to a client as ``clock=t.clock, sleep=t.sleep`` (``sleep=t.asleep`` for the async one), retry
    tests assert the waits the client chose without ever waiting for real.
    """

    source: FakeClock
    slept: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.source()

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.source.advance(seconds)

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)


@pytest.fixture
def fake_time(clock: FakeClock) -> FakeTime:
    return FakeTime(clock)
