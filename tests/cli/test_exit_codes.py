"""Exit codes and errors (issue 12 item 6): a usage error exits 64 and never 2 ("changes pending",
which a CI gate reads as a successful plan), before any call to the API; ``--target`` naming
nothing is an error; the apply summary counts what happened, waits included."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from reconciler.emulator import FaultRule
from tests.cli import helpers
from tests.reliability.helpers import write_specs

USAGE = 64

MISTAKES = {
    "unknown command": ["pln"],
    "unknown option": ["plan", "--nope"],
    "unknown global option": ["--nope", "plan"],
    "--now not an instant": ["plan", "--now", "yesterday"],
    "--now without an offset": ["plan", "--now", "2026-11-24T10:00:00"],
    "bad --timeout": ["apply", "--yes", "--wait", "--timeout", "5x"],
    "bad --lock-timeout": ["apply", "--yes", "--lock-timeout", "soon"],
    "bad smoke --timeout": ["smoke", "--timeout", "-3s"],
    "--interval too short": ["reconcile", "--interval", "1s", "--listen", ""],
    "bad --interval": ["reconcile", "--interval", "often", "--listen", ""],
    "bad choice": ["status", "--format", "xml"],
    "bad global choice": ["--log-format", "xml", "plan"],
    "apply without --yes off a terminal": ["apply"],
    "missing option value": ["plan", "--target"],
    "fraction out of range": ["apply", "--yes", "--max-delete-fraction", "2"],
}


@pytest.mark.parametrize("args", list(MISTAKES.values()), ids=list(MISTAKES))
def test_usage_errors_exit_64_before_any_call(tmp_path: Path, emu: Any, url: str, args: list[str]) -> None:
    specs = write_specs(tmp_path / "specs", {"a": ""})
    argv = list(args)
    if argv[0] in ("plan", "apply", "status", "smoke", "reconcile"):
        argv.insert(1, str(specs))
    code, out, err = helpers.against(url, *argv)
    assert code == USAGE, (code, out, err)
    assert err.strip() and out == ""
    assert emu.requests == []  # refused before a single call


def test_a_usage_error_in_a_real_process_exits_64_with_clicks_message() -> None:
    code, out, err = helpers.child("pln")
    assert code == USAGE and out == ""
    assert "No such command 'pln'" in err and "Did you mean 'plan'" in err


def test_help_and_version_exit_0_and_no_command_is_a_usage_error() -> None:
    for args in (["--help"], ["plan", "--help"], ["--version"]):
        code, out, _ = helpers.run(*args)
        assert code == 0, args
        assert out.startswith(("Usage: hfleet", "hfleet, version")), args
    code, out, err = helpers.run()
    assert code == USAGE and out == "" and "Usage: hfleet [OPTIONS] COMMAND" in err


@pytest.mark.parametrize("command", ["plan", "apply"])
def test_target_naming_no_endpoint_is_an_error(tmp_path: Path, emu: Any, url: str, command: str) -> None:
    specs = write_specs(tmp_path / "specs", {"a": ""})
    extra = ["--yes"] if command == "apply" else []
    code, out, err = helpers.against(url, command, str(specs), "--target", "no-such-name", *extra)
    assert code == 1, (out, err)
    assert "--target names no endpoint of the specs or the fleet: no-such-name" in err
    assert "No changes" not in out
    assert [r for r in emu.requests if r.method != "GET"] == []


def test_target_naming_a_live_endpoint_of_the_fleet_is_accepted(tmp_path: Path, emu: Any, url: str) -> None:
    specs = write_specs(tmp_path / "specs", {"a": "", "b": ""})
    assert helpers.against(url, "apply", str(specs), "--yes")[0] == 0
    specs = write_specs(tmp_path / "specs", {"a": ""})  # b left the specs: still a target (to prune)
    code, out, err = helpers.against(url, "plan", str(specs), "--prune", "--target", "b")
    assert code == 2, out + err
    assert re.search(r"- delete\s+emulator/b", out)


def _summary(out: str) -> str:
    (line,) = [line for line in out.splitlines() if line.startswith("Apply ")]
    return line


def test_a_deploy_that_fails_while_waiting_counts_as_failed(tmp_path: Path, emu: Any, url: str) -> None:
    specs = write_specs(tmp_path / "specs", {"good": "", "bad": ""})
    emu.faults.add(FaultRule(kind="deploy_failed", path_pattern=r"/bad$", times=1, message="OOM"))
    code, out, err = helpers.against(url, "apply", str(specs), "--yes", "--wait", "--timeout", "30s")
    assert code == 1, out + err
    assert "wait failed: bad: failed: OOM" in out
    assert re.fullmatch(
        r"Apply finished with errors: 1 applied, 1 failed \(1 while deploying\) in \d+\.\d+s\.", _summary(out)
    )


def test_skipped_steps_say_so_and_are_counted_apart(tmp_path: Path, emu: Any, url: str) -> None:
    specs = write_specs(tmp_path / "specs", {"a": "", "b": ""})
    assert helpers.against(url, "apply", str(specs), "--yes", "--wait")[0] == 0
    # a: pause then update in one apply; the pause is refused, so the update is not attempted.
    specs = write_specs(tmp_path / "specs", {"a": "state: paused\nmax_replica: 2\n", "b": "max_replica: 2\n"})
    emu.faults.add(FaultRule(kind="status", status=400, method="POST", path_pattern=r"/a/pause$", times=1))
    code, out, err = helpers.against(url, "apply", str(specs), "--yes", "--format", "json")
    assert code == 1, out + err
    report = json.loads(out)
    assert (report["applied"], report["failed"], report["skipped"]) == (1, 1, 1)
    by_action = {(o["name"], o["action"]): o for o in report["outcomes"]}
    assert by_action[("a", "update")]["skipped"] is True
    assert by_action[("a", "update")]["error"] == "skipped: pause failed"
    # The same run in text: the skipped step is a line of its own, and the summary says so.
    emu.faults.add(FaultRule(kind="status", status=400, method="POST", path_pattern=r"/a/pause$", times=1))
    code, out, err = helpers.against(url, "apply", str(specs), "--yes")
    assert code == 1, out + err
    assert re.search(r"^skipped update\s+emulator/a .*skipped: pause failed  \(at ", out, re.M), out
    assert re.search(r"^FAILED\s+pause\s+emulator/a .*HTTP 400", out, re.M), out
    assert _summary(out).startswith("Apply finished with errors: 0 applied, 1 failed, 1 skipped in ")


def test_apply_reports_its_real_duration(tmp_path: Path, emu: Any, url: str) -> None:
    specs = write_specs(tmp_path / "specs", {"a": ""})
    emu.faults.add(FaultRule(kind="latency", latency=0.3, method="POST", times=1))
    code, out, err = helpers.against(url, "apply", str(specs), "--yes")
    assert code == 0, out + err
    seconds = float(re.search(r" in (\d+\.\d+)s\.$", _summary(out)).group(1))  # type: ignore[union-attr]
    assert seconds >= 0.3
