"""Smoke probes after deploy, through the InferenceClient against the emulator's data plane."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from reconciler import cli
from reconciler.api import client as api_client
from reconciler.engine import smoke
from reconciler.spec import loader
from tests.conftest import NO_WAIT, write_fleet
from tests.engine.helpers import converge


@pytest.fixture
def local(emulator: Any) -> Iterator[api_client.EndpointsApi]:
    """The in-process emulator under a loopback name, so endpoint URLs are http://emulator.localhost/e/..."""
    http = httpx.Client(transport=emulator.transport(), base_url="http://emulator.localhost")
    yield api_client.EndpointsApi(http, "http://emulator.localhost/v2", "hf_emulator", NO_WAIT)
    http.close()


def data_plane_calls(emulator: Any) -> list[str]:
    return [r.path for r in emulator.requests if r.path.startswith("/e/")]


ENDPOINTS = {
    "gen": "task: text-generation\nsmoke: {input: 'Hello there', expect_contains: ''}\n",
    "chat": "task: text-generation\nimage: {tgi: {url: ghcr.io/tgi:3}}\nsmoke: {task: chat-completion}\n",
    "vllm": "task: text-generation\nimage: {vllm: {url: vllm/vllm-openai:v0.11}}\n",
    "emb": "task: feature-extraction\nimage: {tei: {url: ghcr.io/tei:1}}\n",
    "cls": "smoke: {input: 'I love this product!', expect_label: POSITIVE}\n",
    "wrong": "smoke: {input: 'I love this product!', expect_label: NEGATIVE}\n",
    "off": "state: paused\n",
    "quiet": "smoke: {enabled: false}\n",
}


def test_probes_pass_fail_and_skip(tmp_path: Path, emulator: Any, local: api_client.EndpointsApi) -> None:
    path = write_fleet(tmp_path, ENDPOINTS)
    converge(path, local)
    converge(path, local)  # the second pass pauses "off"
    results = {r.name: r for r in smoke.run(loader.load([path]), local, http=local.http, token="hf_emulator")}
    assert {n: r.status for n, r in results.items()} == {
        "chat": "passed",
        "cls": "passed",
        "emb": "passed",
        "gen": "passed",
        "vllm": "passed",
        "off": "skipped",
        "quiet": "skipped",
        "wrong": "failed",
    }
    assert "expected label 'NEGATIVE', got 'POSITIVE'" in results["wrong"].reason
    assert results["off"].reason == "paused"
    assert results["emb"].latency_ms is not None
    table = smoke.table(list(results.values()))
    assert results["vllm"].task == "chat-completion"  # an OpenAI-style server gets the messages API
    assert "Smoke: 5 passed, 1 failed, 2 skipped." in table


def test_a_scaled_to_zero_endpoint_is_woken(
    tmp_path: Path, emulator: Any, local: api_client.EndpointsApi
) -> None:
    path = write_fleet(tmp_path, {"sleepy": "min_replica: 0\n"})
    converge(path, local)
    local.scale_to_zero("emulator", "sleepy")
    (result,) = smoke.run(loader.load([path]), local, http=local.http, token="hf_emulator")
    assert result.status == "passed", result
    assert local.get("emulator", "sleepy")["status"]["state"] == "running"


EXPECTATIONS = {
    "guarded": "type: authenticated\nsmoke: {expect_status: 401}\n",
    "open": "type: public\nsmoke: {expect_status: 401}\n",
    "no-root": "task: text-generation\nimage: {vllm: {url: vllm/vllm-openai:v0.11}}\n"
    "smoke: {task: text-generation, expect_status: 404}\n",
    "wrong-code": "task: text-generation\nimage: {vllm: {url: vllm/vllm-openai:v0.11}}\n"
    "smoke: {task: text-generation, expect_status: 503}\n",
    "health": "smoke: {task: health}\n",
    "health-404": "smoke: {task: health, expect_status: 404}\n",
}


def test_expect_status_is_what_the_probe_must_get(
    tmp_path: Path, emulator: Any, local: api_client.EndpointsApi
) -> None:
    path = write_fleet(tmp_path, EXPECTATIONS)
    converge(path, local)
    emulator.clear_requests()
    results = {r.name: r for r in smoke.run(loader.load([path]), local, http=local.http, token="hf_emulator")}
    assert {n: r.status for n, r in results.items()} == {
        "guarded": "passed",  # sent without the token, refused: the endpoint turns strangers away
        "open": "failed",  # a public endpoint answers anyone
        "no-root": "passed",  # vLLM serves no TGI root route
        "wrong-code": "failed",
        "health": "passed",
        "health-404": "failed",
    }
    assert results["guarded"].reason == "refused with HTTP 401, as expected"
    assert results["no-root"].task == "text-generation" and results["guarded"].task == "text-classification"
    assert results["open"].reason == "expected HTTP 401, got a successful answer"
    assert results["wrong-code"].reason.startswith("expected HTTP 503, got 404")
    assert results["health-404"].reason == "expected HTTP 404, got a successful answer"
    assert len(data_plane_calls(emulator)) == len(EXPECTATIONS)  # one probe each, no retry of a refusal


def test_the_token_never_goes_to_plain_http_off_this_machine(
    tmp_path: Path, emulator: Any, api: api_client.EndpointsApi
) -> None:
    """The emulator under a non-loopback name reports http://emulator.hfleet.local/e/... URLs."""
    path = write_fleet(tmp_path, {"cls": "smoke: {input: 'I love it'}\n"})
    converge(path, api)
    emulator.clear_requests()
    (refused,) = smoke.run(loader.load([path]), api, http=api.http, token="hf_emulator")
    assert refused.status == "failed" and "refusing plain http to emulator.hfleet.local" in refused.reason
    assert "--insecure-http" in refused.reason and "hf_emulator" not in refused.reason
    assert data_plane_calls(emulator) == []  # not a byte was sent to the endpoint
    (allowed,) = smoke.run(
        loader.load([path]), api, http=api.http, token="hf_emulator", allow_insecure_http=True
    )
    assert allowed.status == "passed" and len(data_plane_calls(emulator)) == 1


def test_smoke_command_exit_codes_and_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HFLEET_EMULATOR_DURATIONS", "instant")
    monkeypatch.setenv("HFLEET_STATE_DIR", str(tmp_path / "state"))
    specs = write_fleet(tmp_path / "specs", {"cls": "smoke: {input: 'great', expect_label: POSITIVE}\n"})
    db = str(tmp_path / "state" / "db")
    runner = CliRunner()
    applied = runner.invoke(cli.cli, ["--emulator", db, "apply", str(specs), "--yes", "--wait", "--smoke"])
    assert applied.exit_code == 0, applied.output
    assert "Smoke: 1 passed" in applied.stdout
    result = runner.invoke(cli.cli, ["--emulator", db, "smoke", str(specs), "--format", "json"])
    body = json.loads(result.stdout)
    assert result.exit_code == 0 and body["ok"] and body["results"][0]["status"] == "passed"
    write_fleet(tmp_path / "specs", {"cls": "smoke: {input: 'great', expect_label: NEGATIVE}\n"})
    failing = runner.invoke(cli.cli, ["--emulator", db, "smoke", str(specs)])
    assert failing.exit_code == 1 and "failed" in failing.stdout
    assert "hf_emulator" not in failing.output
