"""The official huggingface_hub client cannot tell the emulator from the real service."""

from __future__ import annotations

from typing import Any

import pytest

# The hardware arguments every create below shares (huggingface_hub's own argument names).
CPU = {
    "repository": "gpt2",
    "framework": "pytorch",
    "accelerator": "cpu",
    "instance_size": "x2",
    "instance_type": "intel-spr",
    "region": "us-east-1",
    "vendor": "aws",
}


def test_create_get_list_update_delete(hub: Any) -> None:
    from huggingface_hub.errors import HfHubHTTPError

    endpoint = hub.create_inference_endpoint(
        "hub-ep",
        **CPU,
        task="text-generation",
        env={"A": "1"},
        secrets={"S": "hidden"},
        tags=["t1"],
        min_replica=0,
        max_replica=2,
        scale_to_zero_timeout=30,
    )
    assert endpoint.name == "hub-ep" and endpoint.namespace == "emulator"  # namespace from whoami
    assert endpoint.status in ("pending", "initializing", "running")
    fetched = hub.get_inference_endpoint("hub-ep")
    assert fetched.repository == "gpt2" and fetched.task == "text-generation"
    assert fetched.raw["model"]["secrets"] == {}  # secrets are never echoed
    assert fetched.raw["compute"]["scaling"]["scaleToZeroTimeout"] == 30
    assert [e.name for e in hub.list_inference_endpoints()] == ["hub-ep"]
    updated = hub.update_inference_endpoint("hub-ep", max_replica=3, env={"B": "2"})
    assert updated.raw["compute"]["scaling"]["maxReplica"] == 3
    assert updated.raw["model"]["env"] == {"B": "2"}
    assert updated.raw["compute"]["scaling"]["minReplica"] == 0  # merged, not replaced
    hub.delete_inference_endpoint("hub-ep")
    with pytest.raises(HfHubHTTPError) as info:
        hub.get_inference_endpoint("hub-ep")
    assert info.value.response.status_code == 404


def test_list_all_namespaces(hub: Any) -> None:
    common = CPU
    hub.create_inference_endpoint("mine", **common)
    hub.create_inference_endpoint("org-ep", namespace="emulator-org", **common)
    names = sorted(e.name for e in hub.list_inference_endpoints(namespace="*"))
    assert names == ["mine", "org-ep"]


def test_pause_resume_scale_to_zero_and_wait(hub: Any) -> None:
    from huggingface_hub.errors import HfHubHTTPError

    endpoint = hub.create_inference_endpoint(
        "power",
        **CPU,
        task="text-generation",
    )
    endpoint.wait(timeout=10, refresh_every=0.05)  # polls the health route on status.url
    assert endpoint.status == "running" and endpoint.url
    with pytest.raises(HfHubHTTPError) as info:
        hub.resume_inference_endpoint("power", running_ok=False)
    assert info.value.response.status_code == 400 and "already running" in info.value.response.text
    assert hub.resume_inference_endpoint("power", running_ok=True).status == "running"
    assert hub.pause_inference_endpoint("power").status == "paused"
    assert hub.get_inference_endpoint("power").url is None
    resumed = hub.resume_inference_endpoint("power")
    resumed.wait(timeout=10, refresh_every=0.05)
    assert hub.scale_to_zero_inference_endpoint("power").status == "scaledToZero"


def test_client_inference_through_the_endpoint(hub: Any) -> None:
    endpoint = hub.create_inference_endpoint(
        "talker",
        **CPU,
        task="text-generation",
        type="public",
    )
    endpoint.wait(timeout=10, refresh_every=0.05)
    text = endpoint.client.text_generation("Hello", max_new_tokens=5)
    assert isinstance(text, str) and text.strip()


def test_hardware_listing_has_prices_and_quota(hub: Any) -> None:
    from huggingface_hub import InferenceEndpointHardware

    rows = hub.list_inference_endpoints_hardware(namespace="emulator")
    assert rows and all(isinstance(row, InferenceEndpointHardware) for row in rows)  # the SDK's own type
    by_id = {row.id: row for row in rows}
    assert by_id["aws-us-east-1-nvidia-l4-x1"].price_per_hour == 0.8


def _answers(clock: Any) -> list[dict[str, Any]]:
    """One answer of the emulator per state, image variant and seeded legacy record."""
    from reconciler.emulator import Durations, Emulator, EmulatorConfig, FaultRule
    from tests.emulator import recorded
    from tests.emulator.conftest import payload
    from tests.emulator.test_api import client

    emulator = Emulator(
        EmulatorConfig(durations=Durations(pending=5, initializing=5, updating=5)), clock=clock
    )
    emulator.faults.add(FaultRule(kind="deploy_failed", name_pattern="/doomed$"))
    emulator.faults.add(FaultRule(kind="update_failed", name_pattern="/shaky$"))
    http = client(emulator)
    images = {
        "plain": {"huggingface": {}},
        "tgi": {"tgi": {"url": "ghcr.io/huggingface/text-generation-inference:3.3.4"}},
        "tei": {"tei": {"url": "ghcr.io/huggingface/text-embeddings-inference:1.9"}},
        "private": {"custom": {"url": "r/x:1", "credentials": {"username": "u", "password": "p"}}},
        "doomed": {"huggingface": {}},
        "shaky": {"huggingface": {}},
    }
    answers = []
    for name, image in images.items():
        body = payload(name)
        body["model"]["image"] = image
        answers.append(http.post("/v2/endpoint/emulator", json=body).json())  # pending
    clock.advance(3)
    answers.append(http.get("/v2/endpoint/emulator/plain").json())
    clock.advance(5)
    answers.append(http.get("/v2/endpoint/emulator/plain").json())  # initializing
    clock.advance(5)
    answers += http.get("/v2/endpoint/emulator", params={"limit": 100}).json()["items"]  # running, failed
    answers.append(
        http.put("/v2/endpoint/emulator/tgi", json={"tags": ["x"], "model": {"env": {"A": "1"}}}).json()
    )
    http.put("/v2/endpoint/emulator/shaky", json={"compute": {"scaling": {"maxReplica": 2}}})
    clock.advance(6)
    answers.append(http.get("/v2/endpoint/emulator/shaky").json())  # updateFailed
    answers.append(http.post("/v2/endpoint/emulator/plain/pause").json())
    answers.append(http.post("/v2/endpoint/emulator/tei/scale-to-zero").json())
    for name in ("hfhub-tests-initializing.json", "hfhub-tests-failed.json", "catalog-deploy-2025-03.json"):
        raw = recorded.load(name)
        emulator.seed(raw)
        answers.append(http.get(f"/v2/endpoint/emulator/{raw['name']}").json())
    return answers


def test_inference_endpoint_parses_every_answer(clock: Any) -> None:
    from huggingface_hub import InferenceEndpoint

    answers = _answers(clock)
    states = {a["status"]["state"] for a in answers}
    assert states >= {"pending", "initializing", "running", "updating", "updateFailed", "paused", "failed"}
    assert "scaledToZero" in states
    for raw in answers:
        endpoint = InferenceEndpoint.from_raw(raw, namespace="emulator", token="hf_emulator")
        assert endpoint.name == raw["name"] and endpoint.status == raw["status"]["state"]
        assert endpoint.revision and len(endpoint.revision) == 40
        assert endpoint.created_at.tzinfo is not None and endpoint.updated_at >= endpoint.created_at
        assert endpoint.health_route == raw["healthRoute"]
        assert (endpoint.url is None) == (raw["status"]["state"] in ("pending", "paused", "failed"))


def test_every_hardware_row_parses(hub: Any) -> None:
    rows = hub.list_inference_endpoints_hardware(namespace="emulator")
    assert len(rows) > 50
    cpu = [r for r in rows if r.accelerator == "cpu"]
    assert cpu and all(r.gpu_memory_gb is None and r.max_accelerators > 0 for r in cpu)
    gpu = [r for r in rows if r.accelerator == "gpu"]
    assert gpu and all(isinstance(r.gpu_memory_gb, int) and r.num_cpus for r in gpu)


def test_the_sdk_reads_only_the_first_page_of_20(hub: Any) -> None:
    """huggingface_hub sends no limit and follows no cursor: past 20 endpoints it sees 20."""
    for i in range(21):
        hub.create_inference_endpoint(f"many-{i:02d}", **CPU, min_replica=0)
    assert len(hub.list_inference_endpoints()) == 20
