"""Fixtures for driving the emulator with the official huggingface_hub client over a socket."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from reconciler.emulator import Emulator, EmulatorConfig

PAYLOAD = {
    "name": "ep",
    "type": "authenticated",
    "provider": {"vendor": "aws", "region": "us-east-1"},
    "compute": {
        "accelerator": "cpu",
        "instanceType": "intel-spr",
        "instanceSize": "x2",
        "scaling": {"minReplica": 1, "maxReplica": 1, "scaleToZeroTimeout": None},
    },
    "model": {
        "repository": "gpt2",
        "framework": "pytorch",
        "revision": None,
        "image": {"huggingface": {}},
        "task": "text-generation",
    },
}


def payload(name: str = "ep", **changes: Any) -> dict[str, Any]:
    import copy

    body = copy.deepcopy(PAYLOAD)
    body["name"] = name
    body.update(changes)
    return body


@pytest.fixture
def served() -> Iterator[tuple[Emulator, str]]:
    """A real-clock emulator (instant transitions) on a loopback socket."""
    emulator = Emulator(EmulatorConfig())
    with emulator.serve() as server:
        yield emulator, server.url
    emulator.close()


@pytest.fixture
def hub(served: tuple[Emulator, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """An ``HfApi`` whose Inference Endpoints and Hub calls go to the emulator."""
    import huggingface_hub
    from huggingface_hub import constants

    _, url = served
    monkeypatch.setattr(constants, "INFERENCE_ENDPOINTS_ENDPOINT", url + "/v2")
    monkeypatch.setattr(constants, "ENDPOINT", url)
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    # namespace="*" lists the personal namespace without forwarding the token: like a real user,
    # have it in the environment too.
    monkeypatch.setenv("HF_TOKEN", "hf_emulator")
    yield huggingface_hub.HfApi(endpoint=url, token="hf_emulator")
