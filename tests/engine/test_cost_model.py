"""One cost model (issue 12, item 3): the sums hold, and every command that shows money agrees.

A fleet of eleven endpoints is deployed on Tuesday 2026-12-01 at 10:00 (Paris), one is paused by
hand, then at 19:30 the specs change in every way the issue lists. For each change, its delta must be
the endpoint's monthly cost after the apply minus before it, as ``hfleet status`` (its monthly
column, which knows nothing of the plan) reads it off the live endpoints before and after; the deltas
add up to the change of the fleet's total, with and without ``--target`` (untargeted endpoints
counted at their current cost); the text plan, the JSON plan and the Markdown PR comment print the
same numbers; and ``hfleet schedule --days 28`` counts the hours the cost model bills, override
included.

Prices are the emulator's catalog (aws us-east-1 intel-spr x2 $0.067/h, x4 $0.134/h; gcp
us-east4 intel-spr x2 $0.100/h); a month is 730 h; a schedule's share is taken over 28 days.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import FLEET_DOC
from tests.engine.pinned import PinnedCli

PARIS = ZoneInfo("Europe/Paris")
MORNING = datetime(2026, 12, 1, 10, 0, tzinfo=PARIS)  # a Tuesday, in office hours
EVENING = datetime(2026, 12, 1, 19, 30, tzinfo=PARIS)  # the same day, outside them
MONTH = 730.0
X2, X4, GCP_X2 = 0.067, 0.134, 0.100
# Office hours Mon-Fri 08:00-19:00 over the 28 days from EVENING: 20 working days of 11 h, minus
# Christmas (a Friday) for the schedule that has it as a holiday.
OFFICE = 20 * 11 / (28 * 24)
WEEKENDS = 8 * 24 / (28 * 24)

SECRET = "secrets:\n  TOKEN: {from_env: COST_TEST_SECRET}\n"
BEFORE = {
    "sched-pause": "schedule: office-hours\n",
    "sched-zero": "schedule:\n  timezone: Europe/Paris\n  uptime: Mon-Fri 08:00-19:00\n"
    "  off: scale_to_zero\n",
    "rotated-sched": SECRET
    + "schedule:\n  timezone: Europe/Paris\n  uptime: Sat-Sun 00:00-24:00\n  off: pause\n",
    "rotated-spec": SECRET + "state: paused\n",
    "hand": "",  # paused by hand after the first apply
    "hand-rotated": SECRET,  # paused by hand too; its secret rotates in the evening
    "hand-zero": "",  # scaled to zero by hand, although its min_replica is 1
    "to-pause": "",
    "doomed": "",
    "resized": "",
    "sized": "",
    "replaced": "allow_replace: true\n",
    "untouched": "",
}
AFTER = {
    **BEFORE,
    "sched-new": "schedule: office-hours\n",
    "to-pause": "state: paused\n",
    "resized": "max_replica: 3\n",
    "sized": "instance_size: x4\n",
    "replaced": "allow_replace: true\nvendor: gcp\nregion: us-east4\n",
}
del AFTER["doomed"]
# The delta each endpoint's changes must add up to (USD per month).
EXPECTED = {
    "sched-new": X2 * MONTH * OFFICE,  # created, then paused by its schedule: its regime's cost
    "sched-pause": 0.0,  # the schedule's evening pause is part of its regime
    "sched-zero": 0.0,
    "rotated-sched": 0.0,  # a secret rotation costs nothing, paused or not
    "rotated-spec": 0.0,
    "hand": X2 * MONTH,  # resuming what was paused by hand costs its whole month
    "hand-rotated": X2 * MONTH,  # the resume does; the rotation (a change of its own) does not
    "hand-zero": X2 * MONTH,  # waking it too
    "to-pause": -X2 * MONTH,  # state: paused in the spec
    "doomed": -X2 * MONTH,  # deleted with --prune
    "resized": 2 * X2 * MONTH,  # max_replica 1 → 3: the ceiling
    "sized": (X4 - X2) * MONTH,
    "replaced": (GCP_X2 - X2) * MONTH,
}


def write_specs(directory: Path, endpoints: dict[str, str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "fleet.yaml").write_text(FLEET_DOC.format(fleet="team", namespace="emulator"))
    docs = [f"kind: Endpoint\nname: {name}\n{extra}" for name, extra in endpoints.items()]
    (directory / "endpoints.yaml").write_text("---\n".join(docs))
    return directory


@pytest.fixture
def cloud(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> PinnedCli:
    monkeypatch.setenv("COST_TEST_SECRET", "first")
    return PinnedCli(monkeypatch, tmp_path / "state")


def monthly_by_status(cloud: PinnedCli, specs: Path, at: datetime) -> dict[str, float]:
    code, out = cloud.run("status", str(specs), "--format", "json", at=at)
    assert code == 0, out
    rows = json.loads(out)["endpoints"]
    return {
        r["name"]: (r["monthly_cost_usd"] or {"high": 0.0})["high"]
        for r in rows
        if r["live_state"] != "missing"
    }


def plan_json(cloud: PinnedCli, specs: Path, *args: str, at: datetime) -> dict[str, Any]:
    code, out = cloud.run("plan", str(specs), "--format", "json", *args, at=at)
    assert code == 2, out
    body: dict[str, Any] = json.loads(out)
    return body


def deltas_by_endpoint(plan: dict[str, Any]) -> dict[str, float]:
    out: dict[str, float] = {}
    for change in plan["changes"]:
        out[change["name"]] = out.get(change["name"], 0.0) + (change["cost_delta_monthly_usd"] or 0.0)
    return out


@pytest.fixture
def evening(cloud: PinnedCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The fleet deployed in the morning, ``hand`` paused by hand; the evening's specs in place."""
    specs = write_specs(tmp_path / "specs", BEFORE)
    code, out = cloud.run("apply", str(specs), "--yes", "--wait", at=MORNING)
    assert code == 0, out
    cloud.at(MORNING + timedelta(hours=1))
    api = cloud.api()
    api.pause("emulator", "hand")
    api.pause("emulator", "hand-rotated")
    api.scale_to_zero("emulator", "hand-zero")
    write_specs(specs, AFTER)
    monkeypatch.setenv("COST_TEST_SECRET", "rotated")
    return specs


def test_each_delta_is_after_minus_before_and_they_add_up(cloud: PinnedCli, evening: Path) -> None:
    before = monthly_by_status(cloud, evening, EVENING)
    plan = plan_json(cloud, evening, "--prune", at=EVENING)
    actions = {(c["action"], c["name"]) for c in plan["changes"]}
    assert actions == {
        ("create", "sched-new"),
        ("pause", "sched-pause"),
        ("scale_to_zero", "sched-zero"),
        ("update", "rotated-sched"),
        ("update", "rotated-spec"),
        ("resume", "hand"),
        ("update", "hand-rotated"),
        ("resume", "hand-rotated"),
        ("resume", "hand-zero"),
        ("pause", "to-pause"),
        ("delete", "doomed"),
        ("update", "resized"),
        ("update", "sized"),
        ("replace", "replaced"),
    }
    deltas = deltas_by_endpoint(plan)
    for name, expected in EXPECTED.items():
        assert deltas.get(name, 0.0) == pytest.approx(expected, abs=0.01), name
    # Each change carries its own part: the rotation of a paused endpoint costs nothing, its resume
    # costs the month (the issue: "a secret rotation on a paused endpoint shows +$1,073.27/mo").
    per_change = {(c["action"], c["name"]): c["cost_delta_monthly_usd"] for c in plan["changes"]}
    assert per_change[("update", "hand-rotated")] is None
    assert per_change[("resume", "hand-rotated")] == pytest.approx(X2 * MONTH, abs=0.01)
    code, out = cloud.run(
        "apply", str(evening), "--yes", "--wait", "--prune", "--force", "--allow-replace", at=EVENING
    )
    assert code == 0, out
    after = monthly_by_status(cloud, evening, EVENING)
    assert not cloud.run("plan", str(evening), "--prune", at=EVENING)[0]  # converged
    for name in set(before) | set(after):
        measured = after.get(name, 0.0) - before.get(name, 0.0)
        assert deltas.get(name, 0.0) == pytest.approx(measured, abs=0.02), name
    assert sum(deltas.values()) == pytest.approx(plan["monthly_cost_delta_usd"], abs=0.02)
    assert plan["monthly_cost_delta_usd"] == pytest.approx(
        sum(after.values()) - sum(before.values()), abs=0.05
    )
    assert plan["monthly_cost_usd"] == pytest.approx(sum(after.values()), abs=0.05)


@pytest.mark.parametrize("targets", [("hand",), ("sized", "doomed"), ("sched-new", "rotated-spec")])
def test_target_counts_the_others_at_their_current_cost(
    cloud: PinnedCli, evening: Path, targets: tuple[str, ...]
) -> None:
    before = monthly_by_status(cloud, evening, EVENING)
    args = [a for name in targets for a in ("--target", name)]
    plan = plan_json(cloud, evening, "--prune", *args, at=EVENING)
    assert {c["name"] for c in plan["changes"]} == set(targets)
    deltas = deltas_by_endpoint(plan)
    assert sum(deltas.values()) == pytest.approx(sum(EXPECTED[t] for t in targets), abs=0.02)
    assert plan["monthly_cost_delta_usd"] == pytest.approx(sum(deltas.values()), abs=0.02)
    assert plan["monthly_cost_usd"] == pytest.approx(sum(before.values()) + sum(deltas.values()), abs=0.05)


def money(value: float, signed: bool = False) -> str:
    sign = ("+" if value >= 0 else "-") if signed else ""
    return f"{sign}${abs(value):,.2f}"


def test_text_json_and_markdown_print_the_same_numbers(cloud: PinnedCli, evening: Path) -> None:
    plan = plan_json(cloud, evening, "--prune", at=EVENING)
    code, text = cloud.run("plan", str(evening), "--prune", at=EVENING)
    assert code == 2
    code, markdown = cloud.run("plan", str(evening), "--prune", "--format", "markdown", at=EVENING)
    assert code == 2
    total, delta = plan["monthly_cost_usd"], plan["monthly_cost_delta_usd"]
    assert f"Cost: up to {money(total)}/month after this plan ({money(delta, True)}/month)." in text
    assert f"**Cost:** up to {money(total)}/month ({money(delta, True)}/month)" in markdown
    for change in plan["changes"]:
        cost = change["cost_delta_monthly_usd"]
        where = rf"{change['action']} +emulator/{change['name']} "
        line = next(x for x in text.splitlines() if re.search(where, x))
        row = next(
            x
            for x in markdown.splitlines()
            if re.search(rf"\| {change['action']} \| `emulator/{change['name']}`", x)
        )
        if cost:
            assert line.endswith(f"[{money(cost, True)}/mo]"), line
            assert row.rstrip().endswith(f"| {money(cost, True)} |"), row
        else:
            assert "/mo]" not in line and row.rstrip().endswith("|  |"), (line, row)


def test_schedule_hours_are_the_hours_the_cost_model_bills(
    cloud: PinnedCli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``hfleet schedule --days 28`` and a create's delta use the same share of time up; an
    override that keeps an endpoint up for three days counts in both (the issue: 44 h vs 105 h)."""
    until = (EVENING + timedelta(days=3)).isoformat()
    specs = write_specs(
        tmp_path / "specs",
        {
            "office": "schedule: office-hours\n",
            "weekends": "schedule:\n  timezone: Europe/Paris\n  uptime: Sat-Sun 00:00-24:00\n  off: pause\n",
            "demo": f"schedule: office-hours\nschedule_override: {{state: up, until: '{until}'}}\n",
            "holiday": "schedule:\n  timezone: Europe/Paris\n  uptime: Mon-Fri 08:00-19:00\n  off: pause\n"
            "  holidays: ['2026-12-25']\n",
        },
    )
    code, out = cloud.run("schedule", str(specs), "--days", "28", "--format", "json", at=EVENING)
    assert code == 0, out
    hours = {e["name"]: e["hours_up"] for e in json.loads(out)["endpoints"]}
    # The override: up from Tuesday 19:30 to Friday 19:30 (72 h), then office hours: Monday to
    # Friday of the three weeks after and the Monday-Tuesday of the fourth (17 days × 11 h).
    assert hours == {"office": 220.0, "weekends": 192.0, "demo": 72.0 + 17 * 11, "holiday": 209.0}
    deltas = deltas_by_endpoint(plan_json(cloud, specs, at=EVENING))
    for name, up in hours.items():
        assert deltas[name] == pytest.approx(X2 * MONTH * up / (28 * 24), abs=0.01), name


ZERO_NIGHTLY = "schedule:\n  timezone: Europe/Paris\n  uptime: Mon-Fri 08:00-19:00\n  off: scale_to_zero\n"


def test_the_schedules_morning_resume_costs_nothing(cloud: PinnedCli, tmp_path: Path) -> None:
    """The schedule pauses in the evening and resumes in the morning: both are its regime, already in
    the month's estimate. Only a pause by hand makes a resume cost money."""
    specs = write_specs(
        tmp_path / "specs",
        {
            "paused-nightly": "schedule: office-hours\n",  # off: pause
            "zero-nightly": ZERO_NIGHTLY,
            "by-hand": ZERO_NIGHTLY,
        },
    )
    assert cloud.run("apply", str(specs), "--yes", "--wait", at=EVENING)[0] == 0
    cloud.at(EVENING + timedelta(hours=1))
    cloud.api().pause("emulator", "by-hand")  # its schedule never pauses: someone did
    morning = EVENING + timedelta(hours=13)  # Wednesday 08:30
    before = monthly_by_status(cloud, specs, morning)
    plan = plan_json(cloud, specs, at=morning)
    assert {(c["action"], c["name"]) for c in plan["changes"]} == {
        ("resume", "paused-nightly"),
        ("resume", "zero-nightly"),  # min_replica 1: woken, not left at zero
        ("resume", "by-hand"),
    }
    deltas = deltas_by_endpoint(plan)
    regime = X2 * MONTH * 20 * 11 / (28 * 24)  # office hours over the 28 days from Wednesday 08:30
    assert deltas == pytest.approx({"paused-nightly": 0.0, "zero-nightly": 0.0, "by-hand": regime}, abs=0.01)
    assert cloud.run("apply", str(specs), "--yes", "--wait", at=morning)[0] == 0
    after = monthly_by_status(cloud, specs, morning)
    assert {n: after[n] - before[n] for n in after} == pytest.approx(deltas, abs=0.02)
