"""Smoke probes after deploy, through the InferenceClient against the emulator's data plane."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from reconciler import cli
from reconciler.api import client as api_client
from reconciler.engine import smoke
from reconciler.spec import loader
from tests.conftest import write_fleet
from tests.engine.helpers import converge

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


def test_probes_pass_fail_and_skip(tmp_path: Path, emulator: Any, api: api_client.EndpointsApi) -> None:
    path = write_fleet(tmp_path, ENDPOINTS)
    converge(path, api)
    converge(path, api)  # the second pass pauses "off"
    results = {r.name: r for r in smoke.run(loader.load([path]), api, http=api.http, token="hf_emulator")}
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
    tmp_path: Path, emulator: Any, api: api_client.EndpointsApi
) -> None:
    path = write_fleet(tmp_path, {"sleepy": "min_replica: 0\n"})
    converge(path, api)
    api.scale_to_zero("emulator", "sleepy")
    (result,) = smoke.run(loader.load([path]), api, http=api.http, token="hf_emulator")
    assert result.status == "passed", result
    assert api.get("emulator", "sleepy")["status"]["state"] == "running"


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
