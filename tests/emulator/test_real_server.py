"""The emulator answers like the real server, one documented fact at a time.

Each test names its row in shared/reference/real-api-evidence.md (and docs/emulator.md's table);
values the real server answered are read from the recorded answers, not retyped here.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import httpx
import pytest

from reconciler.emulator import Emulator, EmulatorConfig, Identity
from tests.conftest import FakeClock
from tests.emulator import recorded
from tests.emulator.conftest import payload
from tests.emulator.test_api import client

NANOS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$")
SHA = re.compile(r"^[0-9a-f]{40}$")


def create(http: httpx.Client, body: dict[str, Any], namespace: str = "emulator") -> dict[str, Any]:
    response = http.post(f"/v2/endpoint/{namespace}", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def with_image(name: str, image: dict[str, Any], **model: Any) -> dict[str, Any]:
    body = payload(name)
    body["model"] = {**body["model"], "image": image, **model}
    return body


def test_row1_a_tgi_image_comes_back_with_the_recorded_defaults(emulator: Emulator) -> None:
    catalog = recorded.load("catalog-deploy-2025-03.json")
    recorded_tgi = catalog["model"]["image"]["tgi"]
    sent = {"tgi": {"url": recorded_tgi["url"]}}
    answer = create(client(emulator), with_image("tgi-ep", sent))
    assert answer["model"]["image"] == catalog["model"]["image"]


@pytest.mark.parametrize("variant", ["tei", "vLLM", "sGLang", "llamacpp", "custom", "tgiNeuron", "hfServe"])
def test_row1_every_container_gets_port_and_health_route(emulator: Emulator, variant: str) -> None:
    body = {"url": "registry.example/engine:1"}
    if variant == "llamacpp":
        body.update(ctxSize=4096, modelPath="/repo/model.gguf", nParallel=1, threadsHttp=2)
    image = create(client(emulator), with_image("c-" + variant.lower(), {variant: body}))["model"]["image"]
    assert image[variant]["port"] == 80 and image[variant]["healthRoute"] == "/health"
    assert "disableCustomKernels" not in image[variant]  # a tgi option only


def test_row1_what_the_user_set_wins_and_unknown_keys_are_dropped(emulator: Emulator) -> None:
    sent = {"vLLM": {"url": "vllm/vllm-openai:v0.23.0", "port": 8000, "health_route": "/x", "bogus": 1}}
    image = create(client(emulator), with_image("vllm-ep", sent))["model"]["image"]
    assert image == {"vLLM": {"url": "vllm/vllm-openai:v0.23.0", "port": 8000, "healthRoute": "/health"}}


def test_row1_registry_credentials_come_back_redacted(emulator: Emulator) -> None:
    sent = {"custom": {"url": "r/x:1", "credentials": {"username": "bot", "password": "s3cr3t-pw"}}}
    answer = create(client(emulator), with_image("priv", sent))
    assert answer["model"]["image"]["custom"]["credentials"] == {"username": "", "password": None}
    assert "s3cr3t-pw" not in client(emulator).get("/v2/endpoint/emulator/priv").text


def test_row2_the_top_level_health_route_follows_the_image(emulator: Emulator) -> None:
    http = client(emulator)
    assert create(http, payload("plain"))["healthRoute"] == "/health"  # huggingface image
    custom = with_image("ready", {"custom": {"url": "r/x:1", "healthRoute": "/ready"}})
    assert create(http, custom)["healthRoute"] == "/ready"


def test_row3_legacy_protected_records_can_be_seeded_and_updated(emulator: Emulator) -> None:
    emulator.seed(recorded.load("hfhub-tests-running.json"))
    http = client(emulator)
    legacy = http.get("/v2/endpoint/emulator/my-endpoint-name").json()
    assert legacy["type"] == "protected" and legacy["status"]["state"] == "running"
    updated = http.put(
        "/v2/endpoint/emulator/my-endpoint-name", json={"compute": {"scaling": {"maxReplica": 2}}}
    )
    assert updated.status_code == 200 and updated.json()["type"] == "protected"  # kept, never converted
    refused = http.post("/v2/endpoint/emulator", json=payload("new", type="protected"))
    assert refused.status_code == 400 and "protected" in refused.json()["error"]


def test_row4_an_unpinned_revision_resolves_to_a_stable_sha(emulator: Emulator) -> None:
    http = client(emulator)
    first = create(http, payload("r1"))["model"]["revision"]
    again = create(http, payload("r2"))["model"]["revision"]
    assert SHA.match(first) and first == again  # derived from the repository: stable
    other = create(http, with_image("r3", {"huggingface": {}}, repository="bert-base-uncased"))
    assert other["model"]["revision"] != first
    pinned = "11c5a3d5811f50298f278a704980280950aedb10"
    assert create(http, with_image("r4", {"huggingface": {}}, revision=pinned))["model"]["revision"] == pinned
    branch = create(http, with_image("r5", {"huggingface": {}}, revision="v2"))["model"]["revision"]
    assert SHA.match(branch) and branch not in (first, pinned)  # [uncertain] a branch resolves too


def test_row5_compute_id_scaling_metric_and_timeout(emulator: Emulator) -> None:
    catalog = recorded.load("catalog-deploy-2025-03.json")
    body = payload("scaled")
    body["compute"] = {
        "accelerator": "gpu",
        "instanceType": "nvidia-l4",
        "instanceSize": "x1",
        "scaling": {"minReplica": 0, "maxReplica": 1, "scaleToZeroTimeout": None},  # as the SDK sends
    }
    answer = create(client(emulator), body)
    assert answer["compute"] == catalog["compute"]
    pending = payload("pending-requests")
    pending["compute"]["scaling"]["measure"] = {"pendingRequests": 1.5}
    scaling = create(client(emulator), pending)["compute"]["scaling"]
    assert scaling["metric"] == "pendingRequests" and scaling["measure"] == {"pendingRequests": 1.5}
    assert scaling["scaleToZeroTimeout"] == 15


def test_row6_cache_http_responses_lives_under_experimental_features(emulator: Emulator) -> None:
    http = client(emulator)
    answer = create(http, payload("cached", cacheHttpResponses=True))
    assert "cacheHttpResponses" not in answer
    assert answer["experimentalFeatures"]["cacheHttpResponses"] is True
    off = http.put("/v2/endpoint/emulator/cached", json={"cacheHttpResponses": False}).json()
    assert off["experimentalFeatures"] == {"cacheHttpResponses": False} and "cacheHttpResponses" not in off


def test_row7_status_people_private_and_nanosecond_timestamps(clock: FakeClock) -> None:
    identities = {"hf_a": Identity("alice", ("team",)), "hf_b": Identity("bob", ("team",))}
    emulator = Emulator(EmulatorConfig(identities=identities), clock=clock)
    created = create(client(emulator, "hf_a"), payload("shared"), namespace="team")["status"]
    assert created["createdBy"]["name"] == "alice" and re.fullmatch(
        r"[0-9a-f]{24}", created["createdBy"]["id"]
    )
    assert created["private"] is None
    assert NANOS.match(created["createdAt"]) and NANOS.match(created["updatedAt"])
    clock.advance(1.5)
    body = {"compute": {"scaling": {"maxReplica": 2}}}
    updated = client(emulator, "hf_b").put("/v2/endpoint/team/shared", json=body).json()["status"]
    assert updated["createdBy"] == created["createdBy"] and updated["updatedBy"]["name"] == "bob"
    assert updated["updatedAt"] > created["updatedAt"]


def test_row8_account_id_and_the_required_keys(emulator: Emulator) -> None:
    answer = create(client(emulator), payload())
    assert answer["accountId"] is None
    # SPECNOW EndpointWithStatus required keys.
    for key in ("name", "type", "provider", "compute", "model", "status", "healthRoute", "tags"):
        assert key in answer, key
    assert "experimentalFeatures" in answer and "notifications" in answer


def test_row9_secrets_are_never_echoed(emulator: Emulator) -> None:
    http = client(emulator)
    body = payload("secretive")
    body["model"]["secrets"] = {"API_KEY": "sk-live-0123456789"}
    assert create(http, body)["model"]["secrets"] == {}
    listed = http.get("/v2/endpoint/emulator").text
    assert "sk-live-0123456789" not in listed


def test_row9_legacy_singular_secret_is_kept_without_its_value(emulator: Emulator) -> None:
    emulator.seed(recorded.load("hfhub-tests-initializing.json"))
    answer = client(emulator).get("/v2/endpoint/emulator/my-endpoint-name").json()
    assert answer["model"]["secret"] == {} and "secrets" not in answer["model"]
    assert "my-token" not in client(emulator).get("/v2/endpoint/emulator").text


def test_row10_list_limit_default_20_maximum_and_cursor(clock: FakeClock) -> None:
    emulator = Emulator(EmulatorConfig(max_page_limit=20), clock=clock)
    http = client(emulator)
    for i in range(23):
        create(http, payload(f"ep-{i:02d}"))
    first = http.get("/v2/endpoint/emulator").json()
    assert len(first["items"]) == 20 and first["nextCursor"]
    rest = http.get("/v2/endpoint/emulator", params={"cursor": first["nextCursor"], "limit": 20}).json()
    assert [e["name"] for e in rest["items"]] == ["ep-20", "ep-21", "ep-22"] and "nextCursor" not in rest
    refused = http.get("/v2/endpoint/emulator", params={"limit": 21})
    assert refused.status_code == 400  # a client falls back to the documented default
    assert http.get("/v2/endpoint/emulator", params={"limit": 0}).status_code == 400


def test_row11_private_service_is_answered_as_sent(emulator: Emulator) -> None:
    body = payload("linked", type="private", privateService={"accountId": "123456789012", "shared": False})
    assert create(client(emulator), body)["privateService"] == {"accountId": "123456789012", "shared": False}


def test_row12_cpu_rows_carry_quotas_like_the_recorded_catalog() -> None:
    emulator = Emulator(EmulatorConfig(default_cpu_quota=60))  # the recorded account's quota
    providers = recorded.load("hfhub-tests-providers.json")
    recorded_cpu = next(
        c
        for v in providers["vendors"]
        for r in v["regions"]
        for c in r["computes"]
        if c["id"] == "aws-us-east-1-intel-spr-x1"
    )
    hardware = client(emulator).get("/v2/provider/emulator").json()
    ours = next(
        c
        for v in hardware["vendors"]
        for r in v["regions"]
        for c in r["computes"]
        if c["id"] == "aws-us-east-1-intel-spr-x1"
    )
    assert ours["quota"] == recorded_cpu["quota"]  # 60 accelerators, none used
    assert ours["gpuMemoryGb"] is None and "numCpus" not in ours
    assert {k: ours[k] for k in ("pricePerHour", "memoryGb", "numAccelerators")} == {
        k: recorded_cpu[k] for k in ("pricePerHour", "memoryGb", "numAccelerators")
    }


def test_row12_a_create_past_the_cpu_quota_is_refused() -> None:
    http = client(Emulator(EmulatorConfig(default_cpu_quota=60)))
    big = copy.deepcopy(payload("big"))
    big["compute"].update(instanceSize="x16")
    big["compute"]["scaling"] = {"minReplica": 1, "maxReplica": 3}  # 3 x 16 = 48 of 60
    create(http, big)
    more = payload("more")
    more["compute"].update(instanceSize="x16")
    refused = http.post("/v2/endpoint/emulator", json=more)
    assert refused.status_code == 400 and "QUOTA_EXCEEDED" in refused.json()["error"]
