"""First contact and second applies over real HTTP (issue 14, "Done when").

The emulator is served on loopback in its default real-server mode (engine defaults filled into
the image, a resolved revision, ``compute.id``, the scaling metric, legacy ``protected`` records...),
and ``hfleet`` runs through its CLI. What must hold:
- the example fleet in specs/: apply, then plan exits 0, and a second apply sends zero writes, at a
  weekday instant and at a weekend one (the schedule's off state);
- endpoints made by huggingface_hub 2.4.0 (the default image, a tgi image dict, the SDK's classic
  custom_image dict, secrets, a scaling metric, min_replica 0 with a timeout, registry credentials)
  and legacy records of type ``protected`` seeded through the emulator's public seed API:
  ``hfleet import --adopt`` into an empty directory, then ``apply --yes`` sends zero writes and
  never a DELETE, and ``plan`` exits 0.
Writes are counted from the emulator's own request log.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.emulator import Emulator
from tests.emulator import recorded
from tests.emulator.conftest import payload
from tests.reliability import helpers

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_SECRETS = {"CHAT_LLM_HF_TOKEN": "hf_example_chat_token", "RERANKER_REGISTRY_PASSWORD": "pw-example"}
WEEKDAY = "2026-11-24T09:00:00+00:00"  # Tuesday 10:00 in Paris: office hours, the embedder is up
WEEKEND = "2026-11-28T12:00:00+00:00"  # Saturday: the embedder's schedule scales it to zero
LEGACY_ANSWERS = ("catalog-deploy-2025-03.json", "hfhub-tests-running.json")
# The hardware arguments the huggingface_hub creates share (the SDK's own argument names).
CPU = {
    "framework": "pytorch",
    "accelerator": "cpu",
    "instance_size": "x2",
    "instance_type": "intel-spr",
    "region": "us-east-1",
    "vendor": "aws",
}
GPU = {**CPU, "accelerator": "gpu", "instance_size": "x1", "instance_type": "nvidia-l4"}


@pytest.fixture
def cloud() -> Iterator[tuple[Emulator, str]]:
    with helpers.served() as served:
        yield served


def hfleet(url: str, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    base = ["--api-url", url + "/v2", "--token", helpers.TOKEN, "--log-format", "json"]
    return helpers.run_cli(*base, *args, env={"HF_TOKEN": "", **(env or {})})


def calls(emulator: Emulator) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in emulator.requests]


def writes(emulator: Emulator) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in helpers.writes(emulator)]


@pytest.mark.parametrize("now", [WEEKDAY, WEEKEND])
def test_the_example_fleet_converges_and_a_second_apply_writes_nothing(
    cloud: tuple[Emulator, str], now: str
) -> None:
    emulator, url = cloud
    specs = str(ROOT / "specs")
    code, out, err = hfleet(
        url, "apply", specs, "--yes", "--wait", "--timeout", "60s", "--now", now, env=EXAMPLE_SECRETS
    )
    assert code == 0, out + err
    assert len([w for w in writes(emulator) if w[0] == "POST" and w[1].count("/") == 3]) == 4  # four creates
    emulator.clear_requests()
    code, out, err = hfleet(url, "plan", specs, "--now", now, env=EXAMPLE_SECRETS)
    assert code == 0, out + err
    assert "No changes" in out
    code, out, err = hfleet(url, "apply", specs, "--yes", "--now", now, env=EXAMPLE_SECRETS)
    assert code == 0, out + err
    assert writes(emulator) == [], "a second apply wrote something"
    # A plan in CI without the secret values sees no change either (rotation is just not checked).
    code, out, err = hfleet(url, "plan", specs, "--now", now)
    assert code == 0, out + err
    assert writes(emulator) == [] and not any(m == "DELETE" for m, _ in calls(emulator))
    state = {e.name: e.state for e in emulator.endpoints("emulator-org")}
    assert state["embedder"] == ("running" if now == WEEKDAY else "scaledToZero")


def _create_with_huggingface_hub(url: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Endpoints as a team makes them today with the official client; their names."""
    import huggingface_hub
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "INFERENCE_ENDPOINTS_ENDPOINT", url + "/v2")
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    hub = huggingface_hub.HfApi(endpoint=url, token=helpers.TOKEN)
    tgi = "ghcr.io/huggingface/text-generation-inference:3.1.1"
    made = [
        hub.create_inference_endpoint("hub-default", repository="gpt2", task="text-generation", **CPU),
        hub.create_inference_endpoint(
            "hub-tgi",
            repository="meta-llama/Llama-3.2-3B-Instruct",
            task="text-generation",
            custom_image={"tgi": {"url": tgi, "maxInputLength": 2048, "maxTotalTokens": 4096}},
            secrets={"HF_TOKEN": "hf_hub_made_secret"},
            scaling_metric="pendingRequests",
            scaling_threshold=1.5,
            min_replica=0,
            max_replica=2,
            scale_to_zero_timeout=30,
            **GPU,
        ),
        hub.create_inference_endpoint(
            "hub-classic",
            repository="gpt2",
            task="text-generation",
            # The SDK documentation's classic example: a flat dict, which the SDK wraps as "custom".
            custom_image={"health_route": "/health", "env": {"MAX_BATCH_PREFILL_TOKENS": "2048"}, "url": tgi},
            env={"MODE": "chat"},
            tags=["team-a"],
            **GPU,
        ),
        hub.create_inference_endpoint(
            "hub-registry",
            repository="acme/reranker",
            framework="custom",
            task="custom",
            accelerator="cpu",
            instance_size="x2",
            instance_type="intel-spr",
            region="us-east-1",
            vendor="aws",
            custom_image={"url": "registry.example.com/acme/reranker:2.1.0", "port": 8080},
            container_registry_username="deploy-bot",
            container_registry_password="registry-pw-secret",
        ),
    ]
    return [e.name for e in made]


def test_endpoints_made_by_huggingface_hub_and_legacy_records_adopt_without_a_write(
    cloud: tuple[Emulator, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator, url = cloud
    names = _create_with_huggingface_hub(url, monkeypatch)
    for answer in LEGACY_ANSWERS:  # legacy records of type "protected", as the real server holds them
        names += emulator.seed(recorded.load(answer), "emulator")
    assert {e.spec["type"] for e in emulator.endpoints("emulator")} == {"authenticated", "protected"}
    out_dir = tmp_path / "adopted"
    emulator.clear_requests()
    code, out, err = hfleet(
        url, "import", "--namespace", "emulator", "--adopt", "--fleet", "legacy", "--out", str(out_dir)
    )
    assert code == 0, out + err
    assert sorted(line.split()[1] for line in out.splitlines() if line.startswith("adopted")) == sorted(
        f"emulator/{name}" for name in names
    )
    # Adoption writes tags only: one PUT per endpoint, nothing else.
    assert sorted(writes(emulator)) == sorted(("PUT", f"/v2/endpoint/emulator/{n}") for n in names)
    assert "registry-pw-secret" not in (out_dir / "hub-registry.yaml").read_text()

    emulator.clear_requests()
    code, out, err = hfleet(url, "apply", str(out_dir), "--yes")
    assert code == 0, out + err
    assert "No changes" in out and writes(emulator) == [], "apply after adoption wrote"
    code, out, err = hfleet(url, "plan", str(out_dir))
    assert code == 0, out + err
    assert not any(method == "DELETE" for method, _ in calls(emulator))
    live = helpers.live_by_name(url)
    assert {name: "hfleet:legacy" in live[name]["tags"] for name in names} == dict.fromkeys(names, True)
    # Never widened, never re-created: the legacy records keep their type and their creation time.
    for answer in LEGACY_ANSWERS:
        body = recorded.load(answer)
        assert live[body["name"]]["type"] == "protected"
        assert live[body["name"]]["status"]["createdAt"][:19] == body["status"]["createdAt"][:19]


def test_a_second_adoption_is_a_no_op(
    cloud: tuple[Emulator, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Running the same import again (a retried CI job) neither writes nor disturbs the fleet."""
    emulator, url = cloud
    emulator.seed(recorded.load("catalog-deploy-2025-03.json"), "emulator")
    first = hfleet(
        url, "import", "--namespace", "emulator", "--adopt", "--fleet", "legacy", "--out", str(tmp_path / "a")
    )
    assert first[0] == 0, first
    emulator.clear_requests()
    code, out, err = hfleet(
        url, "import", "--namespace", "emulator", "--adopt", "--fleet", "legacy", "--out", str(tmp_path / "b")
    )
    assert code == 0, out + err
    assert writes(emulator) == [] and "adopted" not in out
    assert (tmp_path / "a" / "llama-3-2-3b-instruct-eey.yaml").read_text().split("\n", 1)[1] == (
        tmp_path / "b" / "llama-3-2-3b-instruct-eey.yaml"
    ).read_text().split("\n", 1)[1]


def test_an_imported_image_with_redacted_registry_credentials_is_never_rewritten_without_them(
    cloud: tuple[Emulator, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The API answers registry credentials redacted and replaces the image whole on update: an
    imported spec without them would drop them at the first image write (here a repair of a failed
    endpoint), and the private registry pull would fail. The import leaves the image alone."""
    emulator, url = cloud
    _create_with_huggingface_hub(url, monkeypatch)
    out_dir = tmp_path / "adopted"
    code, out, err = hfleet(
        url, "import", "--namespace", "emulator", "--adopt", "--fleet", "legacy", "--out", str(out_dir)
    )
    assert code == 0, out + err
    assert "note     " in out and "hub-registry.yaml: registry credentials come back redacted" in out
    assert "ignore_changes:\n- image\n" in (out_dir / "hub-registry.yaml").read_text()
    emulator.set_state("emulator", "hub-registry", "failed", "registry pull timed out")
    code, out, err = hfleet(url, "apply", str(out_dir), "--yes")
    assert code == 0, out + err
    assert "repair" in out
    assert writes(emulator)[-1] == ("PUT", "/v2/endpoint/emulator/hub-registry")
    assert emulator.registry_password_matches("emulator", "hub-registry", "registry-pw-secret")


def test_an_endpoint_left_behind_by_another_fleet_adopts_without_losing_its_protection_or_secrets(
    cloud: tuple[Emulator, str], tmp_path: Path
) -> None:
    """An endpoint whose owner tag was removed by hand keeps hfleet's other tags: protection and the
    fingerprint of secrets set long ago. Adopting it must keep it protected, and must not read the
    old fingerprint as 'the spec removed every secret' (the API does not say which secrets it holds,
    so the next apply would send model.secrets: {} and wipe them)."""
    emulator, url = cloud
    conn = helpers.connect(url)
    body = payload("left-behind", tags=["hfleet-protect", "hfleet-secrets:0123456789abcdef", "team-a"])
    body["model"]["secrets"] = {"TOKEN": "set-by-a-fleet-long-gone"}
    conn.api.create("emulator", body)
    conn.close()
    out_dir = tmp_path / "adopted"
    code, out, err = hfleet(
        url, "import", "--namespace", "emulator", "--adopt", "--fleet", "new", "--out", str(out_dir)
    )
    assert code == 0, out + err
    assert "protect: true" in (out_dir / "left-behind.yaml").read_text()
    emulator.clear_requests()
    code, out, err = hfleet(url, "apply", str(out_dir), "--yes")
    assert code == 0, out + err
    assert writes(emulator) == [], out
    assert emulator.secret_matches("emulator", "left-behind", "TOKEN", "set-by-a-fleet-long-gone")
    tags = helpers.live_by_name(url)["left-behind"]["tags"]
    assert "hfleet-protect" in tags and "hfleet:new" in tags
