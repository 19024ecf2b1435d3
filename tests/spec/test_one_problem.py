"""One mistake, one problem (issue 12, item 6): a mistake in the fleet document is not echoed as false
problems on every endpoint, a tab says "tab", and a known alias is suggested before a fuzzy match."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler import errors
from reconciler.spec import loader

FLEET = """\
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
    uptime: Mon-Fri 08:00-19:00
"""
ENDPOINTS = "kind: Endpoint\nname: a\nschedule: office\n---\nkind: Endpoint\nname: b\n"


def found(tmp: Path, fleet: str, endpoints: str = ENDPOINTS) -> list[str]:
    """``file:line field: message`` of every problem."""
    (tmp / "fleet.yaml").write_text(fleet)
    (tmp / "ep.yaml").write_text(endpoints)
    with pytest.raises(errors.SpecError) as info:
        loader.load([tmp])
    return [f"{p.file.rsplit('/', 1)[-1]}:{p.line} {p.field}: {p.message}" for p in info.value.problems]


@pytest.mark.parametrize(
    ("fleet", "expected"),
    [
        (FLEET + "owner: me\n", "fleet.yaml:15 owner: unknown key 'owner'"),
        (FLEET.replace("namespace: acme\n", ""), "fleet.yaml:1 namespace: this field is required"),
        (FLEET.replace("name: team", "name: Team!"), "fleet.yaml:2 name: fleet name must be lowercase"),
        (FLEET.replace("namespace: acme", "namespace: '..'"), "fleet.yaml:3 namespace: '..' is not a valid"),
        (FLEET.replace("region: us-east-1", "region: 5"), "fleet.yaml:6 defaults.region: Input should be"),
        (
            FLEET.replace("uptime: Mon-Fri", "uptime: Mon-Fry"),
            "fleet.yaml:14 schedules.office.uptime: invalid",
        ),
        (
            FLEET.replace("  office:\n", "  office: []\n").rsplit("    uptime", 1)[0],
            "schedules.office: Input",
        ),
        (FLEET + "endpoints: {a: 1}\n", "fleet.yaml:15 endpoints: endpoints must be a list"),
    ],
)
def test_a_mistake_in_the_fleet_document_is_one_problem(tmp_path: Path, fleet: str, expected: str) -> None:
    problems = found(tmp_path, fleet)
    assert len(problems) == 1, "\n".join(problems)
    assert expected in problems[0]


def test_defaults_that_are_not_a_mapping_do_not_make_every_field_missing(tmp_path: Path) -> None:
    fleet = FLEET.split("defaults:")[0] + "defaults: [aws]\n"
    problems = found(tmp_path, fleet, "kind: Endpoint\nname: a\n")
    assert problems == ["fleet.yaml:4 defaults: Input should be a valid dictionary (got a list)"]


def test_an_unparsable_fleet_file_is_one_problem_and_says_tab(tmp_path: Path) -> None:
    problems = found(tmp_path, FLEET.replace("  region: us-east-1", "\tregion: us-east-1"))
    assert problems == [
        "fleet.yaml:6 : invalid YAML: a tab character in the indentation (YAML indents with spaces only)"
    ]


def test_without_any_fleet_document_the_missing_fleet_is_the_problem(tmp_path: Path) -> None:
    (tmp_path / "ep.yaml").write_text(ENDPOINTS)
    with pytest.raises(errors.SpecError) as info:
        loader.load([tmp_path])
    assert [p.message for p in info.value.problems] == [
        "no fleet identity: one document must be 'kind: Fleet' with a name and namespace"
    ]


@pytest.mark.parametrize(
    ("line", "field", "suggestion"),
    [
        ("repo: gpt2", "repo", "repository"),
        ("repo_id: gpt2", "repo_id", "repository"),
        ("model_id: gpt2", "model_id", "repository"),
        ("min_replicas: 1", "min_replicas", "min_replica"),
        ("gpu: nvidia-l4", "gpu", "instance_type"),
        ("provider: aws", "provider", "vendor"),
        ("labels: [x]", "labels", "tags"),
        ("uptime: Mon-Fri 08:00-19:00", "uptime", "schedule"),
        ("repostory: gpt2", "repostory", "repository"),  # no alias: the fuzzy match still works
        ("image: {tgi: {url: x, healthcheck: /h}}", "image.tgi.healthcheck", "health_route"),
        ("schedule: {tz: UTC}", "schedule.tz", "timezone"),
    ],
)
def test_known_aliases_are_suggested(tmp_path: Path, line: str, field: str, suggestion: str) -> None:
    problems = found(tmp_path, FLEET, f"kind: Endpoint\nname: a\n{line}\n")
    assert problems == [
        f"ep.yaml:3 {field}: unknown key {field.rsplit('.', 1)[-1]!r}; did you mean {suggestion!r}?"
    ]
