"""The CLI end to end against the embedded emulator (``--emulator FILE``): exit codes and outputs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler import cli
from tests.conftest import write_fleet


@pytest.fixture(autouse=True)
def instant_emulator(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HFLEET_EMULATOR_DURATIONS", "instant")
    monkeypatch.setenv("HFLEET_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("HF_TOKEN", raising=False)


def hfleet(tmp_path: Path, *args: str, input: str | None = None) -> tuple[int, str, str]:
    db = str(tmp_path / "state" / "emulator.db")
    result = CliRunner().invoke(
        cli.cli, ["--emulator", db, "--log-format", "json", *args], input=input, catch_exceptions=False
    )
    return result.exit_code, result.stdout, result.stderr


def test_plan_apply_plan_status(tmp_path: Path) -> None:
    specs = write_fleet(tmp_path / "specs", {"a": "", "b": "state: paused\n"})
    code, out, _ = hfleet(tmp_path, "plan", str(specs))
    assert code == 2 and "+ create" in out and "Plan: 2 to create" in out
    code, out, _ = hfleet(tmp_path, "apply", str(specs))
    assert code == 64  # not a TTY and no --yes: a usage error, and nothing is changed
    code, out, err = hfleet(tmp_path, "apply", str(specs), "--yes", "--wait", "--timeout", "30s")
    assert code == 0, out + err
    # b is created, then paused in the same apply once it is up: one apply converges.
    assert "Apply complete: 3 applied, 0 failed in 2 rounds" in out
    assert "round 2: pause b" in out
    code, out, _ = hfleet(tmp_path, "plan", str(specs))
    assert code == 0 and "No changes" in out
    code, out, _ = hfleet(tmp_path, "status", str(specs), "--format", "json")
    rows = {r["name"]: r for r in json.loads(out)["endpoints"]}
    assert rows["a"]["live_state"] == "running" and rows["a"]["url"]
    assert rows["b"]["live_state"] == "paused" and rows["b"]["drift"] is False


def test_plan_formats(tmp_path: Path) -> None:
    specs = write_fleet(tmp_path / "specs", {"a": ""})
    code, out, _ = hfleet(tmp_path, "plan", str(specs), "--format", "json")
    body = json.loads(out)
    assert code == 2 and body["format_version"] == 2 and body["summary"]["create"] == 1
    assert body["changes"][0]["action"] == "create"
    code, out, _ = hfleet(tmp_path, "plan", str(specs), "--format", "markdown")
    assert code == 2 and out.startswith("### hfleet plan") and "| + | create | `emulator/a`" in out


def test_saved_plan_applies_exactly_and_turns_stale(tmp_path: Path) -> None:
    specs = write_fleet(tmp_path / "specs", {"a": ""})
    saved = tmp_path / "plan.json"
    code, _, _ = hfleet(tmp_path, "plan", str(specs), "--out", str(saved))
    assert code == 2 and saved.exists()
    code, out, err = hfleet(tmp_path, "apply", str(specs), "--plan", str(saved), "--yes")
    assert code == 0, out + err
    # The same saved plan again: the live state has changed since (a now exists) → refused.
    code, out, err = hfleet(tmp_path, "apply", str(specs), "--plan", str(saved), "--yes")
    assert code == 3 and "stale" in err


def test_import_writes_specs_and_adopts(tmp_path: Path) -> None:
    other = write_fleet(tmp_path / "other", {"legacy": "max_replica: 3\nenv: {A: '1'}\n"}, fleet="old")
    hfleet(tmp_path, "apply", str(other), "--yes")
    specs = write_fleet(tmp_path / "specs", {})
    out_dir = tmp_path / "specs" / "imported"
    # Owned by another fleet: skipped.
    code, out, _ = hfleet(
        tmp_path, "import", "--namespace", "emulator", "--out", str(out_dir), "--specs", str(specs), "--adopt"
    )
    assert code == 0 and "skipped" in out and not (out_dir / "legacy.yaml").exists()


def test_bad_specs_exit_1_before_any_call(tmp_path: Path) -> None:
    specs = write_fleet(tmp_path / "specs", {"Bad_Name": ""})
    code, _, err = hfleet(tmp_path, "plan", str(specs))
    assert code == 1 and "not a valid endpoint name" in err
    assert not (tmp_path / "state" / "emulator.db").exists()  # no emulator was even started


def test_import_adopt_round_trips_to_a_plan_with_nothing_to_do(tmp_path: Path) -> None:
    from reconciler.emulator import Emulator, EmulatorConfig
    from tests.conftest import make_api

    db = tmp_path / "state" / "emulator.db"
    db.parent.mkdir(parents=True)
    api = make_api(Emulator(EmulatorConfig(state_path=db)))
    api.create(
        "emulator",
        {
            "name": "handmade",
            "type": "public",
            "provider": {"vendor": "aws", "region": "us-east-1"},
            "compute": {
                "accelerator": "gpu",
                "instanceType": "nvidia-l4",
                "instanceSize": "x1",
                "scaling": {
                    "minReplica": 0,
                    "maxReplica": 2,
                    "scaleToZeroTimeout": 30,
                    "measure": {"pendingRequests": 1.5},
                },
            },
            "model": {
                "repository": "gpt2",
                "framework": "pytorch",
                "task": "text-generation",
                "env": {"MODE": "x"},
                "secrets": {"TOKEN": "s3cr3t-value"},
                "image": {"tgi": {"url": "ghcr.io/tgi:3", "maxInputLength": 1024}},
            },
            "tags": ["legacy"],
        },
    )
    specs = write_fleet(tmp_path / "specs", {})
    out_dir = specs / "imported"
    code, out, _ = hfleet(
        tmp_path, "import", "--namespace", "emulator", "--out", str(out_dir), "--specs", str(specs), "--adopt"
    )
    assert code == 0, out
    assert "adopted  emulator/handmade into fleet 'team'" in out
    text = (out_dir / "handmade.yaml").read_text()
    assert "s3cr3t-value" not in text  # secrets are never read back
    assert "hfleet:team" in api.get("emulator", "handmade")["tags"]
    # The imported spec describes the endpoint exactly as it is: a plan has nothing to do.
    code, out, _ = hfleet(tmp_path, "plan", str(specs), "--format", "json")
    assert code == 0, out
    assert json.loads(out)["unchanged"] == ["handmade"]


def test_emulator_flag_without_a_file_before_the_command(tmp_path: Path) -> None:
    specs = write_fleet(tmp_path / "specs", {"a": ""})
    result = CliRunner().invoke(cli.cli, ["--emulator", "plan", str(specs)], catch_exceptions=False)
    assert result.exit_code == 2, result.output
    assert (tmp_path / "state" / "emulator.db").exists()  # kept in HFLEET_STATE_DIR


def test_every_log_line_of_a_run_carries_its_run_id(tmp_path: Path) -> None:
    specs = write_fleet(tmp_path / "specs", {"a": "", "b": "", "c": ""})
    code, _, err = hfleet(tmp_path, "-v", "apply", str(specs), "--yes")
    assert code == 0
    events = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert {e["event"] for e in events} >= {"plan.computed", "apply.change.started", "apply.change.done"}
    assert len({e.get("run_id") for e in events}) == 1 and events[0]["run_id"]
