"""``hfleet import`` makes a complete fleet (issue 12 item 7): into an empty directory, ``import
--adopt --fleet F`` writes a Fleet document and one spec per endpoint that keeps every field the
spec language has (health routes, type, scaling, route, private link, container command...), with
secrets as ``from_env`` references and never their values; the directory then validates, plans with
exit 0 and applies without a single write. Endpoints are made the way users made them: with
huggingface_hub 2.4.0, and as legacy records seeded from real answers of the API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.cli import helpers
from tests.emulator import recorded
from tests.hostile.server import TOKEN as HOSTILE_TOKEN
from tests.hostile.server import HostileServer
from tests.reliability.helpers import WRITES, live_by_name, write_specs

SECRET_VALUES = ("hf_secretvalue1234", "k-123456789", "regpass-123456", "my-token")
CPU = {
    "repository": "gpt2",
    "framework": "pytorch",
    "accelerator": "cpu",
    "instance_size": "x2",
    "instance_type": "intel-spr",
    "region": "us-east-1",
    "vendor": "aws",
    "namespace": "emulator",
}


def _recorded(name: str) -> dict[str, Any]:
    """A real answer of the API, as huggingface_hub's maintainers recorded it (see its README)."""
    answer: dict[str, Any] = recorded.load(name)
    return answer


@pytest.fixture
def hub(url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """huggingface_hub 2.4.0's client, talking to the served emulator."""
    import huggingface_hub
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "INFERENCE_ENDPOINTS_ENDPOINT", url + "/v2")
    monkeypatch.setattr(constants, "ENDPOINT", url)
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    return huggingface_hub.HfApi(endpoint=url, token=helpers.TOKEN)


@pytest.fixture
def world(emu: Any, url: str, hub: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """A namespace as a user left it: endpoints made with huggingface_hub, two legacy records."""
    monkeypatch.chdir(tmp_path)  # no ./specs around: the directory is really empty
    hub.create_inference_endpoint(
        "hub-tgi",
        **{**CPU, "accelerator": "gpu", "instance_type": "nvidia-l4", "instance_size": "x1"},
        task="text-generation",
        custom_image={
            "tgi": {
                "url": "ghcr.io/huggingface/text-generation-inference:3.3.4",
                "healthRoute": "/health",
                "maxInputLength": 1024,
                "maxTotalTokens": 2048,
            }
        },
        env={"MODE": "fast"},
        secrets={"HF_TOKEN": "hf_secretvalue1234", "API_KEY": "k-123456789"},
        tags=["team-a", "prod"],
        min_replica=0,
        max_replica=2,
        scale_to_zero_timeout=30,
        scaling_metric="pendingRequests",
        scaling_threshold=2.5,
        type="public",
        revision="main",
    )
    hub.create_inference_endpoint(
        "hub-custom",
        **CPU,
        task="text-classification",
        custom_image={"url": "registry.example.com/acme/app:1.0", "healthRoute": "/healthz", "port": 8080},
        container_registry_username="bot",
        container_registry_password="regpass-123456",
        container_command=["python", "serve.py"],
        container_args=["--fast"],
        cache_http_responses=True,
        domain="api.example.com",
        path="/v1",
    )
    hub.create_inference_endpoint(
        "hub-private",
        **CPU,
        type="private",
        private_link_account_id="123456789012",
        private_link_region="us-east-1",
    )
    hub.create_inference_endpoint("hub-paused", **CPU, task="text-classification")
    hub.pause_inference_endpoint("hub-paused", namespace="emulator")
    for name in ("hfhub-tests-running.json", "catalog-deploy-2025-03.json"):
        emu.seed(_recorded(name), namespace="emulator")
    return {"out": tmp_path / "imported"}


def _docs(folder: Path) -> dict[str, dict[str, Any]]:
    return {p.stem: yaml.safe_load(p.read_text()) for p in sorted(folder.glob("*.yaml"))}


def test_import_adopt_into_an_empty_directory_makes_a_complete_fleet(
    world: dict[str, Any], emu: Any, url: str
) -> None:
    out: Path = world["out"]
    code, stdout, err = helpers.against(
        url, "import", "--namespace", "emulator", "--adopt", "--fleet", "ml", "--out", str(out)
    )
    assert code == 0, stdout + err
    assert f"wrote    {out / 'fleet.yaml'} (the fleet document)" in stdout
    docs = _docs(out)
    assert docs.pop("fleet") == {"kind": "Fleet", "name": "ml", "namespace": "emulator"}
    names = {
        "hub-tgi",
        "hub-custom",
        "hub-private",
        "hub-paused",
        "my-endpoint-name",
        "llama-3-2-3b-instruct-eey",
    }
    assert set(docs) == names
    tgi = docs["hub-tgi"]
    assert tgi["image"] == {
        "tgi": {
            "url": "ghcr.io/huggingface/text-generation-inference:3.3.4",
            "health_route": "/health",
            "port": 80,
            "max_input_length": 1024,
            "max_total_tokens": 2048,
            "disable_custom_kernels": False,
        }
    }
    assert {k: tgi[k] for k in ("type", "min_replica", "max_replica", "scale_to_zero_timeout")} == {
        "type": "public",
        "min_replica": 0,
        "max_replica": 2,
        "scale_to_zero_timeout": 30,
    }
    assert (tgi["scaling_metric"], tgi["scaling_threshold"], tgi["env"]) == (
        "pendingRequests",
        2.5,
        {"MODE": "fast"},
    )
    assert tgi["tags"] == ["prod", "team-a"] and tgi["task"] == "text-generation"
    custom = docs["hub-custom"]
    assert custom["image"]["custom"] == {
        "url": "registry.example.com/acme/app:1.0",
        "health_route": "/healthz",
        "port": 8080,
    }
    assert (custom["domain"], custom["path"], custom["cache_http_responses"]) == (
        "api.example.com",
        "/v1",
        True,
    )
    assert (custom["container_command"], custom["container_args"]) == (["python", "serve.py"], ["--fast"])
    private = docs["hub-private"]
    assert (private["type"], private["private_link_account_id"], private["private_link_region"]) == (
        "private",
        "123456789012",
        "us-east-1",
    )
    assert docs["hub-paused"]["state"] == "paused"
    # Legacy records: `protected` is written under its current name; the server's tgi defaults kept.
    assert docs["my-endpoint-name"]["type"] == "authenticated"
    assert docs["my-endpoint-name"]["instance_type"] == "intel-icl"
    llama = docs["llama-3-2-3b-instruct-eey"]
    assert llama["type"] == "authenticated" and llama["image"]["tgi"]["health_route"] == "/health"
    text = "".join(p.read_text() for p in out.glob("*.yaml"))
    assert not any(value in text for value in SECRET_VALUES)
    assert "The API does not say which secrets this endpoint has" in (out / "hub-tgi.yaml").read_text()
    # Adopted: every endpoint carries the fleet's owner tag now.
    assert all("hfleet:ml" in e["tags"] for e in live_by_name(url).values())
    # The directory is a fleet: it validates, plans with nothing to do, applies without a write.
    assert helpers.run("validate", str(out))[0] == 0
    code, stdout, err = helpers.against(url, "plan", str(out), "--format", "json")
    assert code == 0, stdout + err
    assert sorted(json.loads(stdout)["unchanged"]) == sorted(names)
    emu.clear_requests()
    code, stdout, err = helpers.against(url, "apply", str(out), "--yes")
    assert code == 0, stdout + err
    assert [r for r in emu.requests if r.method in WRITES] == []


def test_import_into_the_specs_of_another_fleet_is_refused(world: dict[str, Any], emu: Any, url: str) -> None:
    specs = write_specs(Path("specs"), {}, fleet="team")
    emu.clear_requests()
    code, _, err = helpers.against(
        url, "import", "--namespace", "emulator", "--adopt", "--fleet", "ml", "--out", str(specs / "imported")
    )
    assert code == 1 and "inside the specs of fleet 'team', not 'ml'" in err
    assert not (specs / "imported").exists()
    assert [r for r in emu.requests if r.method in WRITES] == []


@pytest.fixture
def recorded_api() -> Iterator[HostileServer]:
    """An API whose listing is real recorded answers that name their secrets (``secrets`` and the
    older singular ``secret``): what an older server sent, and what a newer one may send again."""
    running = _recorded("hfhub-tests-running.json")
    initializing = _recorded("hfhub-tests-initializing.json") | {"name": "older-endpoint"}
    with HostileServer() as server:
        server.add("GET", "/v2/endpoint/emulator", "json", body={"items": [running, initializing]})
        yield server


def test_every_secret_name_the_api_gives_becomes_a_from_env_reference(
    recorded_api: HostileServer, tmp_path: Path
) -> None:
    out = tmp_path / "imported"
    code, stdout, err = helpers.run(
        "--api-url", recorded_api.url + "/v2", "--token", HOSTILE_TOKEN,
        "import", "--namespace", "emulator", "--fleet", "old", "--out", str(out),
        "--specs", str(tmp_path / "none"),
    )  # fmt: skip
    assert code == 0, stdout + err
    docs = _docs(out)
    assert docs["my-endpoint-name"]["secrets"] == {"token": {"from_env": "MY_ENDPOINT_NAME_TOKEN"}}
    assert docs["older-endpoint"]["secrets"] == {"token": {"from_env": "OLDER_ENDPOINT_TOKEN"}}
    text = "".join(p.read_text() for p in out.glob("*.yaml"))
    assert "my-token" not in text and "set the named environment variables" in text
    assert helpers.run("validate", str(out))[0] == 0
