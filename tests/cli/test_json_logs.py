"""JSON logs that pipelines parse (issue 15 item 3, the logs half): with ``--log-format json`` every
stderr line of every command, on its success and its failure paths, is one JSON object (errors,
spec problems with their place, notes, usage errors, the controller's "serving" line, crashes and
library records included), while the human report stays on stdout. Console is the default but for
``reconcile`` off a terminal; -v and -vv change what is logged."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from reconciler.engine import run as run_mod
from tests.cli import helpers
from tests.reliability.helpers import write_specs

JSON = ("--log-format", "json")


def _bad_specs(tmp_path: Path) -> Path:
    specs = write_specs(tmp_path / "bad", {"a": "max_replica: lots\n"})
    return specs


def _cases(tmp_path: Path, url: str) -> dict[str, tuple[list[str], int]]:
    """Every command, on a success and a failure path: (arguments, expected exit code)."""
    specs = write_specs(tmp_path / "specs", {"a": "", "b": "state: paused\n"})
    bad = _bad_specs(tmp_path)
    saved = tmp_path / "plan.json"
    api = ["--api-url", url + "/v2", "--token", helpers.TOKEN]
    return {
        "validate ok": (["validate", str(specs)], 0),
        "validate bad": (["validate", str(bad)], 1),
        "schema": (["schema", "--out", str(tmp_path / "schema.json")], 0),
        "schedule": (["schedule", str(specs), "--now", "2026-11-24T09:00:00Z"], 0),
        "schedule bad": (["schedule", str(bad)], 1),
        "plan": ([*api, "plan", str(specs), "--out", str(saved)], 2),
        "plan bad specs": ([*api, "plan", str(bad)], 1),
        "plan bad target": ([*api, "plan", str(specs), "--target", "zz"], 1),
        "plan unreachable": (["--api-url", "http://127.0.0.1:9/v2", "--token", "x", "plan", str(specs)], 1),
        "show": (["show", str(saved)], 2),
        "show missing": (["show", str(tmp_path / "nope.json")], 64),
        "apply": ([*api, "apply", str(specs), "--yes", "--wait"], 0),
        "apply stale": ([*api, "apply", "--plan", str(saved), "--yes"], 3),
        "apply no --yes": ([*api, "apply", str(specs)], 64),
        "status": ([*api, "status", str(specs), "--exit-code"], 0),
        "status bad token": (["--api-url", url + "/v2", "--token", "hf_nobody123", "status", str(specs)], 1),
        "hardware": ([*api, "hardware"], 0),
        "doctor": ([*api, "doctor", str(specs)], 0),
        "smoke": ([*api, "smoke", str(specs), "--now", "2026-11-24T09:00:00Z"], 0),
        "import": (
            [*api, "import", "--namespace", "emulator", "--out", str(tmp_path / "imp"), "--fleet", "zz"],
            0,
        ),
        "import bad ns": ([*api, "import", "--namespace", "nobody", "--out", str(tmp_path / "imp2")], 1),
        "unknown command": (["pln"], 64),
        "unknown option": (["plan", "--nope"], 64),
        "bad --now": ([*api, "plan", str(specs), "--now", "soon"], 64),
        "bad duration": ([*api, "apply", str(specs), "--yes", "--timeout", "5x"], 64),
        "reconcile bad interval": (["reconcile", str(specs), "--interval", "1s"], 64),
    }


def test_every_command_logs_only_json_objects_on_stderr(tmp_path: Path, emu: Any, url: str) -> None:
    seen: dict[str, list[dict[str, Any]]] = {}
    for name, (args, expected) in _cases(tmp_path, url).items():
        code, out, err = helpers.run(*JSON, *args)
        assert code == expected, (name, code, out, err)
        seen[name] = helpers.json_lines(err)  # fails on any line that is not one JSON object
        assert all(e["level"] in ("debug", "info", "warning", "error") and e["timestamp"] for e in seen[name])
        assert '"level"' not in out, (name, out)  # log lines never land in the report
    problems = [e for e in seen["validate bad"] if e["event"] == "spec.problem"]
    assert problems and {"file", "line", "column", "field", "message"} <= set(problems[0])
    assert problems[0]["file"].endswith("endpoints.yaml") and problems[0]["line"] > 0
    assert problems[0]["field"].endswith("max_replica")
    assert [e["event"] for e in seen["plan bad specs"]][-1] == "spec.invalid"
    assert seen["plan bad target"][-1]["error"].startswith("--target names no endpoint")
    assert seen["apply stale"][-1]["event"] == "cli.refused" and "stale" in seen["apply stale"][-1]["error"]
    for name in ("unknown command", "unknown option", "bad --now", "bad duration", "apply no --yes"):
        (event,) = seen[name]
        assert event["event"] == "cli.usage_error" and event["usage"].startswith("hfleet"), name
    assert "No such command 'pln'" in seen["unknown command"][0]["error"]
    assert seen["show missing"][0]["event"] == "cli.usage_error"


def test_the_reconcile_serving_line_is_json_and_json_is_its_default_off_a_terminal(
    tmp_path: Path, url: str
) -> None:
    specs = write_specs(tmp_path / "specs", {"a": ""})
    code, out, err = helpers.child(
        "--api-url", url + "/v2", "--token", helpers.TOKEN,
        "reconcile", str(specs), "--listen", "127.0.0.1:0", "--max-passes", "1",
        env=helpers.child_env(HFLEET_STATE_DIR=str(tmp_path / "state")),
    )  # fmt: skip
    assert code == 0, err
    events = helpers.json_lines(err)  # no --log-format: JSON, because stderr is a pipe
    serving = next(e for e in events if e["event"] == "cli.note" and "serving" in e["message"])
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", serving["url"])
    (done,) = [e for e in events if e["event"] == "reconcile.pass.done"]
    assert done["result"] == "ok" and done["command"] == "reconcile"
    assert out == ""


def test_one_shot_commands_default_to_console_logs(tmp_path: Path, url: str) -> None:
    specs = write_specs(tmp_path / "specs", {"a": ""})
    code, _, err = helpers.against(url, "-v", "plan", str(specs))
    assert code == 2 and err.strip()
    assert not err.lstrip().startswith("{") and re.search(r"\[info\s*\] plan\.computed", err)


def test_verbosity_changes_what_is_logged(tmp_path: Path, url: str) -> None:
    specs = write_specs(tmp_path / "specs", {"a": ""})

    def events(*flags: str) -> list[dict[str, Any]]:
        code, _, err = helpers.against(url, *JSON, *flags, "plan", str(specs))
        assert code == 2
        return helpers.json_lines(err)

    assert events() == []  # warnings only, and there are none
    info = events("-v")
    assert {e["event"] for e in info} == {"plan.computed"} and info[0]["level"] == "info"
    debug = events("-vv")
    assert {"cli.start", "plan.computed"} <= {e["event"] for e in debug}
    requests = [e for e in debug if e.get("logger_name") == "httpx"]  # the library's own records
    assert requests and all(e["event"].startswith("HTTP Request: GET") for e in requests)
    assert all(helpers.TOKEN not in json.dumps(e) for e in debug)
    assert events("-q") == []
    code, _, err = helpers.against(url, *JSON, "-q", "plan", str(specs), "--target", "zz")
    assert code == 1 and [e["event"] for e in helpers.json_lines(err)] == ["cli.error"]  # errors stay


def test_a_crash_is_one_json_object_with_its_traceback(
    tmp_path: Path, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    specs = write_specs(tmp_path / "specs", {"a": ""})

    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("a bug, not an error the engine expected")

    monkeypatch.setattr(run_mod, "run", broken)
    code, out, err = helpers.against(url, *JSON, "plan", str(specs))
    assert code == 1 and out == ""
    (event,) = helpers.json_lines(err)
    assert event["event"] == "cli.crash" and event["kind"] == "RuntimeError"
    assert "Traceback" in event["exception"] and "a bug, not an error" in event["exception"]
    with pytest.raises(RuntimeError):  # outside JSON mode Python's traceback is untouched
        helpers.against(url, "plan", str(specs))
