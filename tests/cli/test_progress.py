"""Live progress of ``apply --wait`` (issue 12 item 5): on a terminal a live table of each endpoint's
state and outcome lines as they happen, with real elapsed times; off a terminal one line per event;
polls that start at once and back off; NO_COLOR and FORCE_COLOR honoured by every renderer."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

from reconciler.emulator import Durations
from tests.cli import helpers
from tests.reliability.helpers import served, write_specs

CURSOR_UP = "\x1b[1A"  # rich's live display moving back up to redraw


def _frames(output: str) -> list[str]:
    """The successive drawings of the live table (each starts at its header)."""
    return [part for part in re.split(r"(?=ENDPOINT)", output) if part.startswith("ENDPOINT")]


def test_on_a_terminal_a_live_table_follows_each_endpoint(tmp_path: Path) -> None:
    specs = write_specs(tmp_path / "specs", {"a": "", "b": "state: paused\n"})
    env = helpers.emulator_env(tmp_path)
    env["HFLEET_EMULATOR_DURATIONS"] = "demo"  # 1 s pending, 2 s initializing: states to watch
    code, output = helpers.in_terminal("--emulator", "apply", str(specs), "--yes", "--wait", env=env)
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", output)
    assert code == 0, plain
    assert CURSOR_UP in output  # redrawn in place, not appended
    frames = _frames(plain)
    assert len(frames) >= 3
    states_of_a = [m.group(1) for f in frames for m in re.finditer(r"emulator/a\s+\S+ \S+\s+(\w+)", f)]
    assert "initializing" in states_of_a and states_of_a[-1] == "running"  # it moved, we saw it move
    assert re.search(r"emulator/b\s+pause ok\s+paused", frames[-1])
    # Outcome lines print above the table as they happen: the create before a is seen running.
    create_at = plain.index("create        emulator/a")
    running_at = min(plain.index(f) for f in frames if re.search(r"emulator/a\s+\S+ \S+\s+running", f))
    assert create_at < running_at
    assert plain.index("round 2: pause b") < plain.index("Apply complete")
    # Real elapsed times: a cold start of 3 s shows as such, in the table and the summary.
    at = float(re.search(r"emulator/a\s+create ok\s+running\s+(\d+\.\d)s", frames[-1]).group(1))  # type: ignore[union-attr]
    assert at >= 2.5
    total = re.search(r"Apply complete: 3 applied, 0 failed in 2 rounds in (\d+\.\d+)s\.", plain)
    assert total is not None and float(total.group(1)) >= 2.5


def test_off_a_terminal_one_line_per_event_in_order(tmp_path: Path) -> None:
    specs = write_specs(tmp_path / "specs", {"a": "", "b": "state: paused\n"})
    code, out, err = helpers.run(
        "--emulator", str(tmp_path / "emu.db"), "apply", str(specs), "--yes", "--wait"
    )
    assert code == 0, out + err
    events = [line for line in out.splitlines() if line.endswith("s)")]
    assert all("\x1b" not in line for line in out.splitlines())  # no colour, no cursor moves
    kinds = [re.sub(r"\s.*", "", line) for line in events]
    assert kinds.count("ok") == 3 and "round" in kinds and "state" in kinds
    assert any(re.fullmatch(r"state   emulator/a: running  \(at \d+\.\ds\)", line) for line in events)
    assert kinds.index("round") < max(i for i, k in enumerate(kinds) if k == "ok")  # the pause after it
    assert out.rstrip().splitlines()[-1].startswith("Apply complete: 3 applied, 0 failed in 2 rounds")


def test_an_instant_apply_wait_takes_well_under_a_second(tmp_path: Path) -> None:
    specs = write_specs(tmp_path / "specs", {"a": "", "b": "state: paused\n", "c": "min_replica: 0\n"})
    code, out, err = helpers.run(
        "--emulator", str(tmp_path / "emu.db"), "apply", str(specs), "--yes", "--wait", "--format", "json"
    )
    assert code == 0, out + err
    report = json.loads(out)
    assert report["rounds"] == 2 and report["waited"]["a"] == "running"
    assert report["duration_seconds"] < 1.0  # a fixed 5 s poll made this 5 s, then 10 s


def test_polls_start_at_once_and_back_off(tmp_path: Path) -> None:
    with served(durations=Durations(pending=0.4, initializing=0.8)) as (emulator, url):
        specs = write_specs(tmp_path / "specs", {"a": ""})
        code, out, err = helpers.against(url, "apply", str(specs), "--yes", "--wait")
        assert code == 0, out + err
        requests = emulator.requests
    create = next(r for r in requests if r.method == "POST")
    lists = [r.at for r in requests if r.method == "GET" and r.path == "/v2/endpoint/emulator"]
    polls = [at for at in lists if at > create.at][:-1]  # the last list is the plan that follows
    gaps = [b - a for a, b in itertools.pairwise(polls)]
    # 1.2 s to running: looks at once (pending), after 0.5 s (initializing), after 1 s more (running).
    assert polls[0] - create.at < 0.3
    assert len(polls) == 3 and gaps == sorted(gaps) and gaps[-1] >= 1.8 * gaps[0]


def test_force_color_colours_plan_status_and_report_off_a_terminal(tmp_path: Path) -> None:
    specs = write_specs(tmp_path / "specs", {"a": ""})
    db = str(tmp_path / "emu.db")
    env = {"FORCE_COLOR": "1"}
    code, out, _ = helpers.run("--emulator", db, "plan", str(specs), env=env)
    assert code == 2 and helpers.colour_codes(out)
    code, out, _ = helpers.run("--emulator", db, "apply", str(specs), "--yes", env=env)
    assert code == 0 and "\x1b[32mok\x1b[0m" in out
    code, out, _ = helpers.run("--emulator", db, "status", str(specs), env=env)
    assert code == 0 and "\x1b[" in out
    code, _, err = helpers.run("--emulator", db, "-v", "plan", str(specs), env=env)
    assert code == 0 and helpers.colour_codes(err)  # console log lines too


def test_no_color_wins_on_a_terminal_everywhere(tmp_path: Path) -> None:
    specs = write_specs(tmp_path / "specs", {"a": "", "b": "state: paused\n"})
    _, output = helpers.in_terminal("--emulator", "plan", str(specs), env=helpers.emulator_env(tmp_path))
    assert helpers.colour_codes(output)  # this terminal gets colours without NO_COLOR
    env = {**helpers.emulator_env(tmp_path), "NO_COLOR": "1"}
    outputs = []
    for args in (
        ["plan", str(specs)],
        ["-v", "apply", str(specs), "--yes", "--wait"],
        ["status", str(specs)],
        ["plan", str(specs), "--target", "nope"],  # an error message
    ):
        _, output = helpers.in_terminal("--emulator", *args, env=env)
        outputs.append(output)
        assert helpers.colour_codes(output) == [], (args, output)
    assert CURSOR_UP in outputs[1]  # still the live table, only without colour
