"""One duration parser (issue 16, item 5) for grace periods, scale-to-zero timeouts and the CLI."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest

from reconciler import durations, errors
from reconciler.schedule import models as schedule_models
from reconciler.spec import loader, models


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (90, "s", timedelta(seconds=90)),
        ("90", "s", timedelta(seconds=90)),
        ("90", "m", timedelta(minutes=90)),
        (0, "m", timedelta(0)),
        ("90s", "m", timedelta(seconds=90)),
        ("15m", "s", timedelta(minutes=15)),
        ("1h30m", "s", timedelta(minutes=90)),
        ("1h 30m", "s", timedelta(minutes=90)),
        ("1H30M", "s", timedelta(minutes=90)),
        ("2d", "s", timedelta(days=2)),
        ("1d2h3m4s", "s", timedelta(days=1, hours=2, minutes=3, seconds=4)),
        ("1.5h", "s", timedelta(minutes=90)),
        ("0.5", "s", timedelta(milliseconds=500)),
        ("250ms", "s", timedelta(milliseconds=250)),
        (" 15 minutes ", "s", timedelta(minutes=15)),
        ("2 hours", "s", timedelta(hours=2)),
        ("365d", "s", timedelta(days=365)),
    ],
)
def test_accepted(value: str | int, unit: durations.Unit, expected: timedelta) -> None:
    assert durations.parse(value, unit=unit) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (-5, "must not be negative"),
        ("-5m", "must not be negative"),
        ("nan", "invalid grace_period 'nan'"),
        ("inf", "invalid grace_period 'inf'"),
        ("", "invalid grace_period ''"),
        ("m", "invalid grace_period 'm'"),
        ("15x", "unknown unit 'x'"),
        ("30m1h", "units go from largest to smallest, each once"),
        ("1h1h", "units go from largest to smallest, each once"),
        ("1h30", "invalid grace_period '1h30'"),
        ("366d", "more than the maximum, 365d"),
        ("9" * 40 + "d", "more than the maximum"),
        (10**30, "more than the maximum"),
        ("1" * 65, "too long for a duration"),
        (True, "give a number or a string"),
    ],
)
def test_refused_with_the_field_named(value: str | int, message: str) -> None:
    with pytest.raises(durations.InvalidDuration, match=message) as info:
        durations.parse(value, unit="m", what="grace_period")
    assert isinstance(info.value, errors.ReconcilerError) and isinstance(info.value, ValueError)


def test_the_maximum_can_be_lowered() -> None:
    with pytest.raises(durations.InvalidDuration, match="more than the maximum, 1h"):
        durations.parse("61m", maximum=timedelta(hours=1))


def test_hostile_text_is_bounded_in_time() -> None:
    started = time.process_time()  # the parser's CPU, whatever else runs on the machine
    for text in ("1" * 64, "1h" + "x" * 60, "." * 64, "1" * 10_000):
        with pytest.raises(durations.InvalidDuration):
            durations.parse(text)
    assert time.process_time() - started < 0.5


def test_whole_minutes() -> None:
    assert durations.whole_minutes(timedelta(hours=1), "t") == 60
    with pytest.raises(durations.InvalidDuration, match=r"whole number of minutes .*, not 1m30s"):
        durations.whole_minutes(timedelta(seconds=90), "t")


def test_grace_period_uses_it() -> None:
    assert schedule_models.ScheduleSpec(grace_period="1h30m").grace == timedelta(minutes=90)
    assert schedule_models.ScheduleSpec(grace_period=20).grace == timedelta(minutes=20)
    assert schedule_models.ScheduleSpec(grace_period="2d").grace == timedelta(days=2)


FLEET = """\
kind: Fleet
name: team
namespace: acme
defaults: {vendor: aws, region: us-east-1, accelerator: cpu, instance_type: intel-spr,
           instance_size: x2, repository: org/model, type: authenticated, min_replica: 0}
"""


@pytest.mark.parametrize(
    ("written", "minutes"), [("15", 15), ("'15'", 15), ("15m", 15), ("1h", 60), ("2h30m", 150)]
)
def test_scale_to_zero_timeout_takes_units(tmp_path: Path, written: str, minutes: int) -> None:
    (tmp_path / "fleet.yaml").write_text(FLEET)
    (tmp_path / "ep.yaml").write_text(f"kind: Endpoint\nname: a\nscale_to_zero_timeout: {written}\n")
    assert loader.load([tmp_path]).endpoints[0].scale_to_zero_timeout == minutes


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("90s", "must be a whole number of minutes (the API counts minutes), not 1m30s"),
        ("0", "greater than or equal to 1"),
        ("15x", "invalid scale_to_zero_timeout '15x'"),
        ("-15m", "must not be negative"),
    ],
)
def test_scale_to_zero_timeout_refusals(tmp_path: Path, written: str, message: str) -> None:
    (tmp_path / "fleet.yaml").write_text(FLEET)
    (tmp_path / "ep.yaml").write_text(f"kind: Endpoint\nname: a\nscale_to_zero_timeout: {written}\n")
    with pytest.raises(errors.SpecError) as info:
        loader.load([tmp_path])
    (problem,) = info.value.problems
    assert (problem.line, problem.field) == (3, "scale_to_zero_timeout") and message in problem.message


def test_the_schema_lets_editors_accept_a_duration_string() -> None:
    prop = models.EndpointSpec.model_json_schema()["properties"]["scale_to_zero_timeout"]
    assert "string" in prop["type"] and "integer" in prop["type"]
