"""The emulator's control plane: shapes, validation, errors, pagination, state machine, state file."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.emulator import Durations, Emulator, EmulatorConfig, Identity
from tests.conftest import FakeClock
from tests.emulator.conftest import payload

BASE = "http://emulator.hfleet.local"
AUTH = {"Authorization": "Bearer hf_emulator"}


def client(emulator: Emulator, token: str | None = "hf_emulator") -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(transport=emulator.transport(), base_url=BASE, headers=headers)


def test_the_state_machine_shows_in_each_answer(clock: FakeClock) -> None:
    emulator = Emulator(EmulatorConfig(durations=Durations(pending=5, initializing=5)), clock=clock)
    http = client(emulator)
    created = http.post("/v2/endpoint/emulator", json=payload()).json()
    assert created["status"]["state"] == "pending"
    assert created["status"]["message"] == "Endpoint waiting to be scheduled"  # recorded message
    assert "url" not in created["status"]  # absent until scheduled, as in the recordings
    clock.advance(11)
    running = http.get("/v2/endpoint/emulator/ep").json()
    assert running["status"]["message"] == "Endpoint is ready"
    assert running["status"]["url"].startswith(BASE + "/e/")
    assert running["status"]["readyReplica"] == running["status"]["targetReplica"] == 1


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        ({"name": "Bad_Name"}, 400, "name"),
        ({"name": "a" * 33}, 400, "name"),
        ({"type": "protected"}, 400, "protected"),
        (
            {
                "model": {
                    "repository": "gpt2",
                    "framework": "pytorch",
                    "task": None,
                    "image": {"huggingface": {}},
                }
            },
            400,
            "model.task: expected value",
        ),
        (
            {"model": {"repository": "gpt2", "framework": "pytorch", "image": {"vLLM": {"port": 80}}}},
            400,
            "VALIDATION_FAILED: model.image.vLLM: missing field `url`",
        ),
        (
            {
                "model": {
                    "repository": "gpt2",
                    "framework": "pytorch",
                    "image": {"huggingface": {}},
                    "secrets": None,
                }
            },
            422,
            "model.secrets",
        ),
        (
            {
                "compute": {
                    "accelerator": "gpu",
                    "instanceType": "nvidia-x9",
                    "instanceSize": "x1",
                    "scaling": {"minReplica": 1, "maxReplica": 1},
                }
            },
            400,
            "no instance",
        ),
        ({"provider": {"vendor": "aws", "region": "mars-1"}}, 400, "no instance"),
        (
            {
                "compute": {
                    "accelerator": "cpu",
                    "instanceType": "intel-icl",
                    "instanceSize": "x2",
                    "scaling": {"minReplica": 1, "maxReplica": 1},
                }
            },
            400,
            "deprecated",
        ),
    ],
)
def test_validation_mirrors_the_server(
    emulator: Emulator, change: dict[str, Any], status: int, message: str
) -> None:
    response = client(emulator).post("/v2/endpoint/emulator", json=payload(**change))
    assert response.status_code == status
    assert message in response.json()["error"]


def test_missing_required_field(emulator: Emulator) -> None:
    body = payload()
    del body["compute"]
    response = client(emulator).post("/v2/endpoint/emulator", json=body)
    assert response.status_code == 400 and "missing field `compute`" in response.json()["error"]


def test_unknown_variant_fields_are_dropped_silently(emulator: Emulator) -> None:
    body = payload(
        model={
            "repository": "gpt2",
            "framework": "pytorch",
            "image": {"tgi": {"url": "ghcr.io/tgi:3", "health_route": "/x", "tensorParallelSize": 2}},
        }
    )
    created = client(emulator).post("/v2/endpoint/emulator", json=body).json()
    assert created["model"]["image"] == {
        "tgi": {"url": "ghcr.io/tgi:3", "port": 80, "healthRoute": "/health", "disableCustomKernels": False}
    }
    assert created["healthRoute"] == "/health"


def test_errors_401_403_404_409(emulator: Emulator) -> None:
    assert client(emulator, None).get("/v2/endpoint/emulator").status_code == 401
    assert client(emulator, "hf_nope").get("/v2/endpoint/emulator").status_code == 401
    forbidden = client(emulator).get("/v2/endpoint/someone-else")
    assert forbidden.status_code == 403
    missing = client(emulator).get("/v2/endpoint/emulator/nope")
    assert missing.status_code == 404 and missing.json() == {"error": "Endpoint 'nope' not found"}
    http = client(emulator)
    assert http.post("/v2/endpoint/emulator", json=payload()).status_code == 200
    taken = http.post("/v2/endpoint/emulator", json=payload())
    assert taken.status_code == 409 and "already exists" in taken.json()["error"]


def test_identities_are_configurable() -> None:
    emulator = Emulator(EmulatorConfig(identities={"hf_alice": Identity("alice", ("acme",))}))
    http = client(emulator, "hf_alice")
    assert http.get("/api/whoami-v2").json()["orgs"][0]["name"] == "acme"
    assert http.get("/v2/endpoint/acme").status_code == 200
    assert http.get("/v2/endpoint/emulator").status_code == 403


def test_update_merges_objects_and_replaces_image_command_args(emulator: Emulator) -> None:
    http = client(emulator)
    body = payload(
        model={
            "repository": "gpt2",
            "framework": "pytorch",
            "env": {"A": "1"},
            "command": ["a"],
            "args": ["x", "y"],
            "image": {"tgi": {"url": "u1", "maxInputLength": 10}},
        }
    )
    http.post("/v2/endpoint/emulator", json=body)
    updated = http.put(
        "/v2/endpoint/emulator/ep",
        json={
            "compute": {"scaling": {"maxReplica": 4}},
            "model": {"args": [], "image": {"tgi": {"url": "u2"}}},
        },
    ).json()
    assert updated["compute"]["scaling"] == {
        "minReplica": 1,
        "maxReplica": 4,
        "scaleToZeroTimeout": 15,
        "measure": {"hardwareUsage": None},
        "metric": "hardwareUsage",
    }
    assert updated["model"]["args"] == [] and updated["model"]["command"] == ["a"]
    tgi = updated["model"]["image"]["tgi"]
    assert tgi["url"] == "u2" and "maxInputLength" not in tgi  # replaced whole, defaults filled again
    assert updated["model"]["env"] == {"A": "1"}
    partial = http.put("/v2/endpoint/emulator/ep", json={"model": {"image": {"tgi": {"maxInputLength": 5}}}})
    assert partial.status_code == 400 and "missing field `url`" in partial.json()["error"]


def test_list_pagination_tags_and_search(emulator: Emulator) -> None:
    http = client(emulator)
    for i in range(25):
        http.post("/v2/endpoint/emulator", json=payload(f"ep-{i:02d}", tags=["even"] if i % 2 == 0 else []))
    first = http.get("/v2/endpoint/emulator").json()
    assert len(first["items"]) == 20 and "nextCursor" in first  # the API's default page is 20
    second = http.get("/v2/endpoint/emulator", params={"cursor": first["nextCursor"]}).json()
    assert [e["name"] for e in second["items"]] == [f"ep-{i:02d}" for i in range(20, 25)]
    assert "nextCursor" not in second
    tagged = http.get("/v2/endpoint/emulator", params={"tags": "even", "limit": 100}).json()
    assert len(tagged["items"]) == 13
    found = http.get("/v2/endpoint/emulator", params={"search": "ep-1"}).json()
    assert [e["name"] for e in found["items"]] == [f"ep-{i}" for i in range(10, 20)]
    assert len(http.get("/v2/endpoint/emulator", params={"limit": 100}).json()["items"]) == 25
    refused = http.get("/v2/endpoint/emulator", params={"limit": 101})  # above the configured maximum
    assert refused.status_code == 400 and "limit" in refused.json()["error"]


def test_state_machine_with_a_fake_clock(clock: FakeClock) -> None:
    emulator = Emulator(
        EmulatorConfig(durations=Durations(pending=2, initializing=3, updating=4, waking=5)), clock=clock
    )
    http = client(emulator)

    def state() -> str:
        return str(http.get("/v2/endpoint/emulator/ep").json()["status"]["state"])

    http.post("/v2/endpoint/emulator", json=payload())
    assert state() == "pending"
    clock.advance(2)
    assert state() == "initializing"
    clock.advance(3)
    assert state() == "running"
    http.put("/v2/endpoint/emulator/ep", json={"compute": {"scaling": {"maxReplica": 2}}})
    assert state() == "updating"
    clock.advance(4)
    assert state() == "running"
    assert http.post("/v2/endpoint/emulator/ep/pause").json()["status"]["state"] == "paused"
    assert http.post("/v2/endpoint/emulator/ep/resume").json()["status"]["state"] == "pending"
    clock.advance(5)
    again = http.post("/v2/endpoint/emulator/ep/resume")
    assert again.status_code == 400 and "already running" in again.json()["error"]
    assert http.post("/v2/endpoint/emulator/ep/scale-to-zero").json()["status"]["state"] == "scaledToZero"
    assert http.delete("/v2/endpoint/emulator/ep").json() == {}
    assert http.get("/v2/endpoint/emulator/ep").status_code == 404


def test_quota_is_enforced_and_reported(emulator: Emulator) -> None:
    small = Emulator(EmulatorConfig(quotas={("emulator", "nvidia-l4"): 2}))
    http = client(small)
    gpu = {
        "accelerator": "gpu",
        "instanceType": "nvidia-l4",
        "instanceSize": "x1",
        "scaling": {"minReplica": 1, "maxReplica": 2},
    }
    assert http.post("/v2/endpoint/emulator", json=payload("a", compute=gpu)).status_code == 200
    refused = http.post("/v2/endpoint/emulator", json=payload("b", compute=gpu))
    assert refused.status_code == 400 and "QUOTA_EXCEEDED" in refused.json()["error"]
    hardware = http.get("/v2/provider/emulator").json()
    rows = [
        c
        for v in hardware["vendors"]
        for r in v["regions"]
        for c in r["computes"]
        if c["id"] == "aws-us-east-1-nvidia-l4-x1"
    ]
    assert rows[0]["quota"] == {"maxAccelerators": 2, "usedAccelerators": 2}
    assert rows[0]["pricePerHour"] == 0.8
    http.post("/v2/endpoint/emulator/a/pause")  # paused endpoints release their quota
    assert http.post("/v2/endpoint/emulator", json=payload("b", compute=gpu)).status_code == 200


def test_public_provider_route_needs_no_token(emulator: Emulator) -> None:
    response = client(emulator, None).get("/v2/provider")
    assert response.status_code == 200 and response.json()["vendors"]


def test_sqlite_state_is_shared_between_instances(tmp_path: Path) -> None:
    db = tmp_path / "cloud.db"
    first = Emulator(EmulatorConfig(state_path=db))
    client(first).post("/v2/endpoint/emulator", json=payload("shared"))
    second = Emulator(EmulatorConfig(state_path=db))
    assert client(second).get("/v2/endpoint/emulator/shared").status_code == 200
    assert client(second).post("/v2/endpoint/emulator", json=payload("shared")).status_code == 409
    first.close()
    second.close()


def test_64_concurrent_creates_over_loopback() -> None:
    emulator = Emulator(EmulatorConfig())
    with (
        emulator.serve() as server,
        httpx.Client(base_url=server.url, headers=AUTH, limits=httpx.Limits(max_connections=64)) as http,
    ):

        def create(i: int) -> int:
            return http.post("/v2/endpoint/emulator", json=payload(f"c-{i:02d}")).status_code

        def create_same(i: int) -> int:
            return http.post("/v2/endpoint/emulator", json=payload("same")).status_code

        with ThreadPoolExecutor(max_workers=64) as pool:
            assert list(pool.map(create, range(64))) == [200] * 64
            racers = list(pool.map(create_same, range(32)))
        assert racers.count(200) == 1 and racers.count(409) == 31
        listed = http.get("/v2/endpoint/emulator", params={"limit": 100}).json()["items"]
        assert len(listed) == 65


def test_concurrent_creates_through_sqlite_files(tmp_path: Path) -> None:
    db = tmp_path / "cloud.db"
    emulators = [Emulator(EmulatorConfig(state_path=db)) for _ in range(4)]

    def race(i: int) -> int:
        return client(emulators[i % 4]).post("/v2/endpoint/emulator", json=payload("race")).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(race, range(16)))
    assert statuses.count(200) == 1
    for e in emulators:
        e.close()


def test_an_idle_endpoint_with_min_replica_0_scales_itself_to_zero(clock: FakeClock) -> None:
    emulator = Emulator(EmulatorConfig(), clock=clock)
    http = client(emulator)
    body = payload("idle")
    body["compute"]["scaling"] = {"minReplica": 0, "maxReplica": 1, "scaleToZeroTimeout": 15}
    http.post("/v2/endpoint/emulator", json=body)
    url = http.get("/v2/endpoint/emulator/idle").json()["status"]["url"]
    clock.advance(14 * 60)
    assert http.post(url + "/", json={"inputs": "hi"}).status_code == 200  # a request resets the idle clock
    clock.advance(14 * 60)
    assert http.get("/v2/endpoint/emulator/idle").json()["status"]["state"] == "running"
    clock.advance(60)
    assert http.get("/v2/endpoint/emulator/idle").json()["status"]["state"] == "scaledToZero"
    woken = http.post(url + "/", json={"inputs": "hi"}, headers={"X-Scale-Up-Timeout": "5"})
    assert woken.status_code == 200


def test_vllm_on_several_gpus_needs_a_parallelism_size(emulator: Emulator) -> None:
    body = payload("big", model={"repository": "m", "framework": "pytorch", "image": {"vLLM": {"url": "v"}}})
    body["compute"] = {
        "accelerator": "gpu",
        "instanceType": "nvidia-l4",
        "instanceSize": "x4",
        "scaling": {"minReplica": 1, "maxReplica": 1},
    }
    refused = client(emulator).post("/v2/endpoint/emulator", json=body)
    assert refused.status_code == 400 and "tensorParallelSize" in refused.json()["error"]
    body["model"]["image"] = {"vLLM": {"url": "v", "tensorParallelSize": 4}}
    assert client(emulator).post("/v2/endpoint/emulator", json=body).status_code == 200


def test_the_parallelism_rule_is_for_gpus_only(emulator: Emulator) -> None:
    body = payload(
        "cpu-vllm", model={"repository": "m", "framework": "pytorch", "image": {"vLLM": {"url": "v"}}}
    )
    assert client(emulator).post("/v2/endpoint/emulator", json=body).status_code == 200  # intel-spr x2
