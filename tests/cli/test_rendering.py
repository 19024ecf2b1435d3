"""Readable output (issue 12 item 4, its rendering side): a status table that holds on a 160-column
terminal, diffs shortened in the middle and never where they differ, no identical values shown as
changes, and every string from the API made safe for a terminal."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.emulator import FaultRule
from reconciler.engine.status import StatusRow
from reconciler.render import status as render_status
from reconciler.render import text
from tests.cli import helpers
from tests.reliability.helpers import write_specs

OLD_IMAGE = "ghcr.io/huggingface/text-generation-inference:3.3.4"
NEW_IMAGE = "ghcr.io/huggingface/text-generation-inference:3.3.6"
LONG = "registry.example.com/" + "/".join(["team-platform-inference-images"] * 4) + "/tgi"
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _row(name: str, **kw: Any) -> StatusRow:
    base: dict[str, Any] = {
        "namespace": "emulator-org",
        "name": name,
        "desired": "scaled_to_zero",
        "live": "initializing",
        "drift": ("compute.scaling.maxReplica", "model.env.MODE", "power: paused → running"),
        "pending": ("update",),
        "url": "https://abcdefghijklmnopqrstuv.us-east-1.aws.endpoints.huggingface.cloud",
        "ready": 0,
        "target": 1,
        "owner": "ml-platform",
        "managed": True,
        "hourly_now": 1.2,
        "monthly_low": 100.0,
        "monthly_high": 876.0,
    }
    return StatusRow(**(base | kw))


ROWS = [
    _row("chat-llm-with-a-thirty-two-chars"),
    _row("embedder", drift=(), live="scaledToZero", hourly_now=0.0),
    _row("orphan", managed=False, desired="-", url=None, hourly_now=None, monthly_high=None),
]


def test_the_status_table_holds_on_160_columns() -> None:
    table = render_status.table(ROWS, width=160).splitlines()
    assert max(len(line) for line in table) <= 160
    header = table[0].split()
    assert header[:4] == ["ENDPOINT", "DESIRED", "LIVE", "REPLICAS"] and "DRIFT" in header
    for row, line in zip(ROWS, table[1:], strict=False):
        # the state columns in full, never cut to "ru…" as rich's squeezing did
        assert line.split()[:3] == [f"{row.namespace}/{row.name}", row.desired, row.live]
    assert "yes: compute.scaling.maxReplica" in table[1]  # drift still says what drifted
    assert re.search(r"total\s+1\.200\s+1,752$", table[-1])


def test_narrower_terminals_drop_columns_instead_of_squeezing_them() -> None:
    for width in (200, 160, 120, 100):
        lines = render_status.table(ROWS, width=width).splitlines()
        assert max(len(line) for line in lines) <= width, width
        assert all(line.split()[1] in ("scaled_to_zero", "-", "1.200") for line in lines[1:]), width
        if "URL" in lines[0]:
            assert re.search(r"https://abcdef\S*cloud", lines[1])
    wide = render_status.table(ROWS, width=None)  # off a terminal: nothing cut, nothing dropped
    assert "…" not in wide and ROWS[0].url in wide and "power: paused → running" in wide


def test_status_on_a_160_column_terminal(tmp_path: Path) -> None:
    names = {"chat-llm-with-a-thirty-two-chars": "", "embedder-for-the-search-service": "min_replica: 0\n"}
    specs = write_specs(tmp_path / "specs", names)
    env = helpers.emulator_env(tmp_path)
    code, _ = helpers.in_terminal("--emulator", "apply", str(specs), "--yes", env=env)
    assert code == 0
    drifted = {**names, "chat-llm-with-a-thirty-two-chars": "max_replica: 3\nenv: {MODE: fast}\n"}
    write_specs(tmp_path / "specs", drifted)
    code, output = helpers.in_terminal("--emulator", "status", str(specs), env=env, columns=160)
    assert code == 0
    plain = re.sub(r"\x1b\[[0-9;]*m", "", output).replace("\r", "")
    lines = [line.rstrip() for line in plain.splitlines() if line.strip()]
    assert max(len(line) for line in lines) <= 160
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert rows["emulator/chat-llm-with-a-thirty-two-chars"][1:4] == ["running", "running", "1/1"]
    assert "compute.scaling.maxReplica," in rows["emulator/chat-llm-with-a-thirty-two-chars"]
    assert rows["emulator/embedder-for-the-search-service"][1:3] == ["running", "running"]
    urls = [row[-1] for row in rows.values() if row[0] != "total"]
    assert len(set(urls)) == 2 and all(u.startswith("http://") for u in urls)  # cut, still apart


def test_an_image_bump_shows_the_leaf_and_both_versions(tmp_path: Path) -> None:
    db = str(tmp_path / "emu.db")
    for old, new in ((OLD_IMAGE, NEW_IMAGE), (f"{LONG}:3.3.4", f"{LONG}:3.3.6")):
        specs = write_specs(tmp_path / "specs", {"chat": f"image: {{tgi: {{url: '{old}'}}}}\n"})
        assert helpers.run("--emulator", db, "apply", str(specs), "--yes")[0] == 0
        write_specs(tmp_path / "specs", {"chat": f"image: {{tgi: {{url: '{new}'}}}}\n"})
        code, out, _ = helpers.run("--emulator", db, "plan", str(specs))
        assert code == 2
        (line,) = [line for line in out.splitlines() if "~ model.image" in line]
        match = re.fullmatch(r'\s+~ model\.image\.tgi\.url: "(.*)" → "(.*)"', line)
        assert match is not None, line
        before, after = match.groups()
        assert before.endswith(("inference:3.3.4", "/tgi:3.3.4")), line
        assert after.endswith(":3.3.6")
        assert len(before) <= text.LIMIT and ("…" in before) == (len(old) > text.LIMIT)
        markdown = helpers.run("--emulator", db, "plan", str(specs), "--format", "markdown")[1]
        assert re.search(r'^- model\.image\.tgi\.url: ".*3\.3\.4"$', markdown, re.M)
        assert re.search(r'^\+ model\.image\.tgi\.url: ".*3\.3\.6"$', markdown, re.M)


def _common(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet="ab/:.-", max_size=150),
    st.text(alphabet="ab/:.-", min_size=1, max_size=12),
    st.text(alphabet="ab/:.-", max_size=12),
    st.text(alphabet="ab/:.-", max_size=150),
)
def test_pair_keeps_the_difference_and_the_limit(head: str, one: str, two: str, tail: str) -> None:
    old, new = head + one + tail, head + two + tail
    a, b = text.pair(old, new, limit=40)
    assert len(a) <= 40 and len(b) <= 40
    if old != new:
        assert a != b  # never shortened into the same text
    full_a, full_b = json.dumps(old), json.dumps(new)
    if len(full_a) <= 40 and len(full_b) <= 40:
        assert (a, b) == (full_a, full_b)
        return
    for full, shown in ((full_a, a), (full_b, b)):  # a start and an end, around one or two "…"
        pieces = shown.split("…")
        assert full.startswith(pieces[0]) and full.endswith(pieces[-1])
        assert all(piece in full for piece in pieces)
    p = _common(full_a, full_b)
    s = _common(full_a[p:][::-1], full_b[p:][::-1])
    diff_a, diff_b = full_a[p : len(full_a) - s], full_b[p : len(full_b) - s]
    if max(len(diff_a), len(diff_b)) <= 40 - 16:  # a difference that fits is shown whole, in place
        assert diff_a in a.replace("…", "\0") or not diff_a
        assert diff_b in b.replace("…", "\0") or not diff_b


def test_a_repair_never_prints_identical_values(tmp_path: Path, emu: Any, url: str) -> None:
    specs = write_specs(tmp_path / "specs", {"a": "env: {MODE: x}\n", "b": ""})
    assert helpers.against(url, "apply", str(specs), "--yes")[0] == 0
    emu.set_state("emulator", "a", "failed", "node lost")
    code, out, err = helpers.against(url, "plan", str(specs))
    assert code == 2, out + err
    assert re.search(r"~ update\s+emulator/a .*node lost", out)
    # Nothing drifted: the repair re-sends the configuration, and the plan prints no field change.
    assert "→" not in out and not re.search(r"^\s+[~+-] \S+: ", out, re.M), out
    for line in out.splitlines():
        pair = re.fullmatch(r"\s+~ [\w.\[\]]+: (.*) → (.*)", line)
        assert pair is None or pair.group(1) != pair.group(2), line


def test_every_api_string_printed_is_terminal_safe(tmp_path: Path, emu: Any, url: str) -> None:
    hostile = "node lost\x1b]0;owned\x07\x1b[2J\u202egnp.exe\r\x9b31m"
    specs = write_specs(tmp_path / "specs", {"a": "", "b": ""})
    assert helpers.against(url, "apply", str(specs), "--yes")[0] == 0
    emu.set_state("emulator", "a", "failed", hostile)
    outputs = [
        helpers.against(url, "plan", str(specs)),
        helpers.against(url, "plan", str(specs), "--format", "markdown"),
        helpers.against(url, "status", str(specs)),
        helpers.against(url, "doctor", str(specs)),
        helpers.against(url, "apply", str(specs), "--yes", "--wait", "--timeout", "5s"),
    ]
    emu.set_state("emulator", "b", "failed", hostile)
    emu.add_fault(FaultRule(kind="status", status=400, method="PUT", message=hostile, times=1))
    outputs.append(helpers.against(url, "apply", str(specs), "--yes"))  # the server's error message
    for code, out, err in outputs:
        assert code in (0, 1, 2), out + err
        assert not CONTROL.search(out), repr(out)
        assert not CONTROL.search(err), repr(err)
    assert "\\x1b]0;owned\\x07" in outputs[0][1]  # shown, escaped
