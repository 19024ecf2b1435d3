"""Schedules inside the desired state, end to end: office hours on a Tuesday and a Saturday."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from reconciler import cli
from reconciler.api import client as api_client
from tests.conftest import write_fleet
from tests.engine.helpers import actions, converge, plan

PARIS = ZoneInfo("Europe/Paris")
TUESDAY_10 = datetime(2026, 11, 24, 10, 0, tzinfo=PARIS)
SATURDAY_10 = datetime(2026, 11, 28, 10, 0, tzinfo=PARIS)
OFFICE = {
    "paused-off": "schedule: office-hours\n",  # the fleet's office-hours schedule turns off with pause
    "zero-off": "min_replica: 0\nschedule:\n  timezone: Europe/Paris\n  uptime: Mon-Fri 08:00-19:00\n"
    "  off: scale_to_zero\n",
    "always": "",
}


def test_office_hours_tuesday_vs_saturday(tmp_path: Path, api: api_client.EndpointsApi) -> None:
    path = write_fleet(tmp_path, OFFICE)
    first, report = converge(path, api, now=TUESDAY_10)
    assert report.ok and first.counts()["create"] == 3
    assert not plan(path, api, now=TUESDAY_10).has_changes  # up during office hours
    weekend = plan(path, api, now=SATURDAY_10)
    assert actions(weekend) == {"paused-off": ["pause"], "zero-off": ["scale_to_zero"]}
    assert "outside uptime" in weekend.changes[0].detail
    # The controller sleeps until the next boundary, Monday 08:00, not a fixed interval.
    assert weekend.requeue_after == datetime(2026, 11, 30, 8, 0, tzinfo=PARIS) - SATURDAY_10
    converge(path, api, now=SATURDAY_10)
    assert api.get("emulator", "paused-off")["status"]["state"] == "paused"
    assert api.get("emulator", "zero-off")["status"]["state"] == "scaledToZero"
    assert api.get("emulator", "always")["status"]["state"] == "running"
    assert not plan(path, api, now=SATURDAY_10).has_changes  # converged: nothing fights
    monday = plan(path, api, now=datetime(2026, 11, 30, 8, 0, tzinfo=PARIS))
    # Monday 08:00: the paused one is resumed; the one at zero wakes on its first request.
    assert actions(monday) == {"paused-off": ["resume"]}
    converge(path, api, now=datetime(2026, 11, 30, 8, 0, tzinfo=PARIS))
    assert not plan(path, api, now=datetime(2026, 11, 30, 8, 0, tzinfo=PARIS)).has_changes


def test_holidays_and_overrides(tmp_path: Path, api: api_client.EndpointsApi) -> None:
    christmas = datetime(2026, 12, 25, 10, 0, tzinfo=PARIS)  # a Friday, inside the weekday window
    saturday = datetime(2026, 12, 26, 10, 0, tzinfo=PARIS)
    path = write_fleet(
        tmp_path,
        {
            "holiday": "schedule:\n  timezone: Europe/Paris\n  uptime: Mon-Fri 08:00-19:00\n  off: pause\n"
            "  holidays: ['2026-12-24..2026-12-26']\n",
            "demo": "schedule: office-hours\n"
            "schedule_override: {state: up, until: '2026-12-26T18:00:00+01:00'}\n",
        },
    )
    converge(path, api, now=christmas)
    result = plan(path, api, now=christmas)
    assert actions(result) == {"holiday": ["pause"]}
    assert "holiday" in result.changes[0].detail
    # Saturday: the override keeps the demo endpoint up until 18:00, then the schedule takes over.
    assert actions(plan(path, api, now=saturday)) == {"holiday": ["pause"]}
    evening = plan(path, api, now=datetime(2026, 12, 26, 18, 30, tzinfo=PARIS))
    assert actions(evening) == {"demo": ["pause"], "holiday": ["pause"]}


def hfleet(tmp_path: Path, *args: str) -> Any:
    db = str(tmp_path / "state" / "emulator.db")
    return CliRunner().invoke(cli.cli, ["--emulator", db, *args], catch_exceptions=False)


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HFLEET_EMULATOR_DURATIONS", "instant")
    monkeypatch.setenv("HFLEET_STATE_DIR", str(tmp_path / "state"))


@pytest.mark.usefixtures("cli_env")
def test_the_plan_shows_cost_deltas_and_the_fleet_total(tmp_path: Path) -> None:
    specs = write_fleet(tmp_path / "specs", {"cpu": "", "office": "schedule: office-hours\n"})
    result = hfleet(tmp_path, "plan", str(specs), "--format", "json", "--now", "2026-11-24T10:00:00+01:00")
    body = json.loads(result.stdout)
    deltas = {c["name"]: c["cost_delta_monthly_usd"] for c in body["changes"]}
    # intel-spr x2 is $0.067/h: always on, one replica = 730 h; office hours = 55 of 168 hours.
    assert deltas["cpu"] == pytest.approx(0.067 * 730, abs=0.01)
    assert deltas["office"] == pytest.approx(0.067 * 730 * 55 / 168, abs=0.05)
    assert body["monthly_cost_usd"] == pytest.approx(deltas["cpu"] + deltas["office"], abs=0.02)
    text = hfleet(tmp_path, "plan", str(specs), "--now", "2026-11-24T10:00:00+01:00").stdout
    assert "/month after this plan" in text and "[+$48.91/mo]" in text


@pytest.mark.usefixtures("cli_env")
def test_quota_is_checked_before_any_call(tmp_path: Path) -> None:
    big = "accelerator: gpu\ninstance_type: nvidia-a100\ninstance_size: x8\nmax_replica: 9\n"
    specs = write_fleet(tmp_path / "specs", {"huge": big})
    planned = hfleet(tmp_path, "plan", str(specs))
    assert planned.exit_code == 3 and "quota" in planned.stderr
    applied = hfleet(tmp_path, "apply", str(specs), "--yes")
    assert applied.exit_code == 3 and "quota exceeded for nvidia-a100" in applied.stderr
    from reconciler.emulator import Emulator, EmulatorConfig
    from tests.conftest import make_api

    api = make_api(Emulator(EmulatorConfig(state_path=tmp_path / "state" / "emulator.db")))
    assert api.list_endpoints("emulator") == []


def test_schedule_command_lists_transitions(tmp_path: Path) -> None:
    specs = write_fleet(tmp_path / "specs", OFFICE)
    result = CliRunner().invoke(
        cli.cli,
        ["schedule", str(specs), "--days", "7", "--now", "2026-11-23T00:00:00+01:00", "--format", "json"],
    )
    assert result.exit_code == 0, result.output
    view = {e["name"]: e for e in json.loads(result.stdout)["endpoints"]}
    assert set(view) == {"paused-off", "zero-off"}  # "always" has no schedule
    assert len(view["zero-off"]["transitions"]) == 10  # Mon-Fri, up at 08:00 and off at 19:00
    assert view["zero-off"]["hours_up"] == 55.0 and view["paused-off"]["off_means"] == "pause"
    text = CliRunner().invoke(cli.cli, ["schedule", str(specs), "--now", "2026-11-23T00:00:00+01:00"]).stdout
    assert "2026-11-23T08:00:00+01:00  up" in text
