"""Bad schedules are refused at load time with located, plain messages."""

from __future__ import annotations

import pytest

from reconciler import errors
from reconciler.spec import loader, source

HEAD = """\
kind: Fleet
name: team
namespace: acme
defaults:
  vendor: aws
  region: us-east-1
  accelerator: cpu
  instance_type: intel-spr
  instance_size: x2
  repository: org/model
  type: authenticated
schedules:
  office:
"""


def load(schedule: str, endpoints: str = "") -> loader.Fleet:
    raw = (HEAD + schedule + endpoints).encode()
    docs, problems = source.parse_bytes(raw, "fleet.yaml")
    assert not problems
    return loader.load_documents(docs, problems, files=("fleet.yaml",))


def problems(schedule: str, endpoints: str = "") -> list[errors.Problem]:
    with pytest.raises(errors.SpecError) as info:
        load(schedule, endpoints)
    return info.value.problems


def test_a_good_schedule_loads() -> None:
    fleet = load(
        """\
    timezone: Europe/Paris
    uptime: [Mon-Fri 08:00-19:00, "Sat 10:00-12:00 America/New_York"]
    downtime: 2026-12-24T00:00:00+01:00/2026-12-27T00:00:00+01:00
    holidays: ["2026-12-25", "2026-12-28..2026-12-31"]
    off: pause
    grace_period: 15m
""",
        """\
endpoints:
  - name: a
    schedule: office
    schedule_override: {state: up, until: "2026-11-30T18:00:00+01:00"}
""",
    )
    spec = fleet.spec.schedules["office"]
    assert len(spec.uptime_windows) == 2 and spec.grace.total_seconds() == 900
    assert fleet.endpoints[0].schedule_override is not None


@pytest.mark.parametrize(
    ("body", "line", "field", "message"),
    [
        (
            "    uptime: Mon-Fry 08:00-19:00\n",
            14,
            "schedules.office.uptime",
            "invalid window 'Mon-Fry 08:00-19:00': unknown weekday 'Fry'; did you mean 'Fri'?",
        ),
        (
            "    uptime:\n      - Mon-Fri 08:00-19:00\n      - Sat 25:00-26:00\n",
            16,
            "schedules.office.uptime[1]",
            "invalid window 'Sat 25:00-26:00': hour 25 out of range",
        ),
        (
            "    timezone: Europe/Pariss\n",
            14,
            "schedules.office.timezone",
            "unknown timezone 'Europe/Pariss'; did you mean 'Europe/Paris'?",
        ),
        (
            "    downtime: Mon-Fri 12:00-13:00 Europe/Pariss\n",
            14,
            "schedules.office.downtime",
            "invalid window 'Mon-Fri 12:00-13:00 Europe/Pariss': unknown timezone 'Europe/Pariss'; "
            "did you mean 'Europe/Paris'?",
        ),
        (
            '    holidays: ["2026-12-25", "2026-02-30"]\n',
            14,
            "schedules.office.holidays[1]",
            "invalid holiday '2026-02-30'",
        ),
        ("    grace_period: 15x\n", 14, "schedules.office.grace_period", "invalid grace_period '15x'"),
        ("    off: sleep\n", 14, "schedules.office.off", "'pause' or 'scale_to_zero'"),
    ],
)
def test_bad_schedules_are_located(body: str, line: int, field: str, message: str) -> None:
    found = problems(body)
    assert len(found) == 1, found
    problem = found[0]
    assert (problem.file, problem.line, problem.field) == ("fleet.yaml", line, field)
    assert message in problem.message
    assert "Value error" not in problem.message


def test_bad_inline_schedule_and_override_on_an_endpoint() -> None:
    found = problems(
        "    uptime: Mon-Fri 08:00-19:00\n",
        """\
endpoints:
  - name: a
    schedule:
      uptime: Mon-Fri 8-19
  - name: b
    schedule: office
    schedule_override: {state: up, until: "tomorrow"}
  - name: c
    schedule: office
    schedule_override: {state: down, until: "2026-11-30T18:00:00"}
""",
    )
    by_field = {p.field: p for p in found}
    assert set(by_field) == {
        "endpoints[0].schedule.uptime",
        "endpoints[1].schedule_override.until",
        "endpoints[2].schedule_override.until",
    }, found
    assert by_field["endpoints[0].schedule.uptime"].line == 18
    assert "invalid time '8' (use HH:MM)" in by_field["endpoints[0].schedule.uptime"].message
    assert "invalid instant 'tomorrow'" in by_field["endpoints[1].schedule_override.until"].message
    assert by_field["endpoints[1].schedule_override.until"].line == 21
    assert "needs a UTC offset" in by_field["endpoints[2].schedule_override.until"].message
    assert str(by_field["endpoints[2].schedule_override.until"]).startswith("fleet.yaml:24:")


def test_the_example_fleet_schedule_is_valid() -> None:
    fleet = loader.load(["specs"])
    office = fleet.spec.schedules["office-hours"]
    assert office.uptime_windows[0].describe(office.timezone) == "Mon-Fri 08:00-19:00 (Europe/Paris)"
