"""Promise: an endpoint that fails to deploy or to update is reported with the server's own message,
leaves the other endpoints alone, makes the run exit non-zero (with ``--wait``; without it the next
``plan`` shows it), and the next run repairs it by re-sending its whole configuration."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reconciler.emulator import FaultRule
from tests.reliability import helpers

DEPLOY_MESSAGE = "Container exited with code 137: CUDA out of memory"
UPDATE_MESSAGE = "Image pull failed: manifest unknown for ghcr.io/acme/bad:tag"


def cli(url: str, *args: str) -> tuple[int, str, str]:
    return helpers.run_cli("--api-url", url + "/v2", "--token", helpers.TOKEN, "--log-format", "json", *args)


def states(url: str) -> dict[str, str]:
    return {n: e["status"]["state"] for n, e in helpers.live_by_name(url).items()}


def test_a_failed_deploy_is_reported_isolated_and_repaired(tmp_path: Path, emu: Any, url: str) -> None:
    specs = helpers.write_specs(tmp_path / "specs", {"a": "", "bad-one": "max_replica: 2\n", "c": ""})
    emu.faults.add(
        FaultRule(kind="deploy_failed", path_pattern=r"/bad-one$", times=1, message=DEPLOY_MESSAGE)
    )
    code, out, err = cli(url, "apply", str(specs), "--yes", "--wait", "--timeout", "30s")
    assert code == 1, out + err
    assert f"wait failed: bad-one: failed: {DEPLOY_MESSAGE}" in out
    assert states(url) == {"a": "running", "bad-one": "failed", "c": "running"}
    # The next plan shows it, with the server's message, and only it.
    code, out, err = cli(url, "plan", str(specs), "--format", "json")
    assert code == 2, out + err
    changes = json.loads(out)["changes"]
    assert [(c["name"], c["action"]) for c in changes] == [("bad-one", "update")]
    assert changes[0]["reason"] == "repair" and DEPLOY_MESSAGE in changes[0]["detail"]
    # The next run repairs it (a PUT of the whole config re-deploys), touching nothing else.
    emu.clear_requests()
    code, out, err = cli(url, "apply", str(specs), "--yes", "--wait", "--timeout", "30s")
    assert code == 0, out + err
    assert [(r.method, r.path) for r in helpers.writes(emu)] == [("PUT", "/v2/endpoint/emulator/bad-one")]
    assert states(url) == {"a": "running", "bad-one": "running", "c": "running"}
    assert helpers.live_by_name(url)["bad-one"]["compute"]["scaling"]["maxReplica"] == 2
    code, out, _ = cli(url, "plan", str(specs))
    assert code == 0 and "No changes" in out


def test_without_wait_the_failure_shows_in_the_next_plan(tmp_path: Path, emu: Any, url: str) -> None:
    specs = helpers.write_specs(tmp_path / "specs", {"a": "", "bad-one": ""})
    emu.faults.add(
        FaultRule(kind="deploy_failed", path_pattern=r"/bad-one$", times=1, message=DEPLOY_MESSAGE)
    )
    code, out, err = cli(url, "apply", str(specs), "--yes")
    assert code == 0, out + err  # the create call itself succeeded; the deploy fails afterwards
    code, out, err = cli(url, "plan", str(specs))
    assert code == 2 and "bad-one" in out and DEPLOY_MESSAGE in out, out + err
    code, out, err = cli(url, "status", str(specs), "--format", "json")
    rows = {r["name"]: r for r in json.loads(out)["endpoints"]}
    assert rows["bad-one"]["live_state"] == "failed" and rows["a"]["live_state"] == "running"


def test_a_repair_that_fails_again_is_reported_again(tmp_path: Path, emu: Any, url: str) -> None:
    specs = helpers.write_specs(tmp_path / "specs", {"bad-one": ""})
    emu.faults.add(
        FaultRule(kind="deploy_failed", path_pattern=r"/bad-one$", times=2, message=DEPLOY_MESSAGE)
    )
    for _ in range(2):
        code, out, err = cli(url, "apply", str(specs), "--yes", "--wait", "--timeout", "30s")
        assert code == 1 and DEPLOY_MESSAGE in out, out + err
    code, out, err = cli(url, "apply", str(specs), "--yes", "--wait", "--timeout", "30s")
    assert code == 0, out + err
    assert states(url) == {"bad-one": "running"}


def test_a_failed_update_is_reported_isolated_and_repaired(tmp_path: Path, emu: Any, url: str) -> None:
    specs = helpers.write_specs(tmp_path / "specs", {"a": "", "b": "", "c": ""})
    code, out, err = cli(url, "apply", str(specs), "--yes")
    assert code == 0, out + err
    helpers.write_specs(specs, {"a": "max_replica: 3\n", "b": "max_replica: 3\n", "c": ""})
    emu.faults.add(FaultRule(kind="update_failed", path_pattern=r"/b$", times=1, message=UPDATE_MESSAGE))
    code, out, err = cli(url, "apply", str(specs), "--yes", "--wait", "--timeout", "30s")
    assert code == 1, out + err
    assert f"wait failed: b: updateFailed: {UPDATE_MESSAGE}" in out
    assert states(url) == {"a": "running", "b": "updateFailed", "c": "running"}
    live = helpers.live_by_name(url)
    assert live["a"]["compute"]["scaling"]["maxReplica"] == 3  # the others went through
    code, out, err = cli(url, "plan", str(specs), "--format", "json")
    changes = json.loads(out)["changes"]
    assert code == 2 and [(c["name"], c["action"]) for c in changes] == [("b", "update")]
    assert changes[0]["reason"] == "repair" and UPDATE_MESSAGE in changes[0]["detail"]
    code, out, err = cli(url, "apply", str(specs), "--yes", "--wait", "--timeout", "30s")
    assert code == 0, out + err
    assert states(url) == {"a": "running", "b": "running", "c": "running"}
    assert helpers.live_by_name(url)["b"]["compute"]["scaling"]["maxReplica"] == 3
    code, out, _ = cli(url, "plan", str(specs))
    assert code == 0 and "No changes" in out


def test_json_report_carries_the_message(tmp_path: Path, emu: Any, url: str) -> None:
    specs = helpers.write_specs(tmp_path / "specs", {"ok": "", "bad-one": ""})
    emu.faults.add(
        FaultRule(kind="deploy_failed", path_pattern=r"/bad-one$", times=1, message=DEPLOY_MESSAGE)
    )
    code, out, err = cli(url, "apply", str(specs), "--yes", "--wait", "--timeout", "30s", "--format", "json")
    assert code == 1, out + err
    report = json.loads(out)
    # The create of bad-one was accepted, then its deploy failed: it counts as failed, not applied.
    assert report["ok"] is False and report["applied"] == 1 and report["failed"] == 1
    assert report["failed_while_waiting"] == 1 and report["skipped"] == 0
    assert report["wait_errors"] == [f"bad-one: failed: {DEPLOY_MESSAGE}"]
    assert report["waited"] == {"bad-one": "failed", "ok": "running"}
