"""The inference client against the real emulator (control plane + data plane over a socket).

The other inference tests script edge cases on endpoints they put in a state (``set_state``); here
the states come from the control plane's own routes (pause, resume, scale-to-zero) and the wake-up
takes real time (test_parity compares huggingface_hub's client with ours on the same emulator).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from reconciler.emulator import Durations, Emulator, EmulatorConfig
from reconciler.inference import InferenceClient, errors
from tests.emulator.conftest import payload

AUTH = {"Authorization": "Bearer hf_emulator"}


@pytest.fixture(scope="module")
def cloud() -> Iterator[tuple[Emulator, str]]:
    emulator = Emulator(EmulatorConfig(durations=Durations(waking=0.2)))
    with emulator.serve() as server:
        yield emulator, server.url


def deploy(url: str, name: str, task: str, image: dict[str, Any]) -> str:
    body = payload(name)
    body["model"] = {**body["model"], "task": task, "image": image}
    with httpx.Client(base_url=url, headers=AUTH) as http:
        http.post("/v2/endpoint/emulator", json=body).raise_for_status()
        return str(http.get(f"/v2/endpoint/emulator/{name}").json()["status"]["url"])


def test_not_ready_states_get_plain_errors_and_zero_wakes(cloud: tuple[Emulator, str]) -> None:
    _, url = cloud
    endpoint = deploy(url, "states", "text-generation", {"huggingface": {}})
    with (
        httpx.Client(base_url=url, headers=AUTH) as http,
        InferenceClient(endpoint, token="hf_emulator") as quick,
    ):
        http.post("/v2/endpoint/emulator/states/pause").raise_for_status()
        with pytest.raises(errors.EndpointPausedError, match="paused"):
            quick.text_generation("hi")
        http.post("/v2/endpoint/emulator/states/resume").raise_for_status()
        http.post("/v2/endpoint/emulator/states/scale-to-zero").raise_for_status()
        with pytest.raises(errors.EndpointScaledToZeroError):
            quick.text_generation("hi")  # no timeout: no wake-up header, a clear error instead
        http.post("/v2/endpoint/emulator/states/scale-to-zero").raise_for_status()
        with InferenceClient(endpoint, token="hf_emulator", timeout=10) as patient:
            assert patient.text_generation("hi", max_new_tokens=4)  # X-Scale-Up-Timeout holds the request
        assert http.get("/v2/endpoint/emulator/states").json()["status"]["state"] == "running"
    with InferenceClient(endpoint, token="hf_wrong") as stranger, pytest.raises(errors.InferenceAuthError):
        stranger.text_generation("hi")
