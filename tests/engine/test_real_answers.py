"""The engine against the real server's recorded answers (issue 14, "Done when").

Each endpoint answer in shared/reference/real-responses/ (recorded by huggingface_hub's maintainers;
see its README) is taken as the live record of an endpoint of this fleet (the owner tag added, as
it is on a list item of the fleet), and a spec that describes it (real_answers/ beside this file: a
minimal one, as a user writes it, and a full one stating every field the spec language has) must
plan no change: no field differs, nothing is unknown, no replace, no secret re-sent. The answers
are read where the project keeps them; a missing directory FAILS these tests, it never skips them.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.engine import decide, desired, diff, live
from reconciler.engine.plan import Action, Plan, Reason
from reconciler.spec import loader
from reconciler.wire import ownership, record
from tests.conftest import T0
from tests.emulator import recorded

SPECS = Path(__file__).with_name("real_answers")
# Recorded endpoint answer → the spec family that describes it. The providers file is the hardware
# catalog, not an endpoint.
ENDPOINTS = {
    "catalog-deploy-2025-03.json": "catalog-deploy",
    "hfhub-tests-initializing.json": "hfhub-tests",
    "hfhub-tests-running.json": "hfhub-tests",
    "hfhub-tests-failed.json": "hfhub-tests",
    "hfhub-tests-update.json": "hfhub-tests",
}
NOT_ENDPOINTS = {"hfhub-tests-providers.json"}
FLEET = "real"
SECRET_ENV = "REAL_ANSWERS_TOKEN"
CASES = [(answer, kind) for answer in sorted(ENDPOINTS) for kind in ("minimal", "full")]


@pytest.fixture(autouse=True)
def _secret_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SECRET_ENV, "a-value-only-the-spec-knows")


def as_fleet_member(answer: dict[str, Any], fleet: loader.Fleet) -> dict[str, Any]:
    """The recorded answer as a list item of this fleet: the owner tag added, and, where the server
    holds secrets hfleet did not set, the marker ``hfleet import --adopt`` leaves (their values are
    unknown to hfleet, so it must not claim to know whether they match)."""
    item = copy.deepcopy(answer)
    tags = [*(item.get("tags") or []), ownership.owner_tag(fleet.name)]
    model = item.get("model") or {}
    if (model.get("secrets") or model.get("secret")) and fleet.endpoints[0].secrets:
        tags.append(ownership.SECRETS_TAG_PREFIX + diff.ADOPTED)
    item["tags"] = tags
    return item


def plan_for(answer: dict[str, Any], spec_file: Path) -> tuple[Plan, diff.Comparison]:
    fleet = loader.load([spec_file])
    have = record.parse(fleet.namespace, as_fleet_member(answer, fleet))
    spec = fleet.endpoints[0]
    want = desired.build(fleet, spec, T0, last_change=desired.grace_from(have.state, have.last_change, T0))
    state = live.LiveState({have.key: have})
    result = decide.compute(fleet.name, {want.key: want}, state, now=T0, namespaces=[fleet.namespace])
    return result, diff.compare(want, have)


def test_every_recorded_endpoint_answer_has_a_spec() -> None:
    on_disk = {path.name for path in recorded.files()}  # fails, never skips, when the directory is missing
    assert on_disk - NOT_ENDPOINTS == set(ENDPOINTS), "a recorded answer without a spec here (or one gone)"
    for family in set(ENDPOINTS.values()):
        for kind in ("minimal", "full"):
            assert (SPECS / f"{family}.{kind}.yaml").is_file()


@pytest.mark.parametrize(("answer", "kind"), CASES)
def test_a_spec_that_describes_a_recorded_answer_plans_no_change(answer: str, kind: str) -> None:
    body = recorded.load(answer)
    result, found = plan_for(body, SPECS / f"{ENDPOINTS[answer]}.{kind}.yaml")
    # Field by field: nothing differs, nothing is unreadable, no secret to send.
    assert found.paths == () and found.fields == () and found.immutable == ()
    assert found.advisory == () and found.unknown == () and found.secrets is None
    # The plan: what the endpoint's recorded state allows, and never a write caused by its shape.
    state = body["status"]["state"]
    actions = [(c.action, c.reason) for c in result.changes]
    if state == "running":
        assert actions == [] and result.unchanged == (body["name"],)
    elif state in ("pending", "initializing", "updating"):
        assert actions == [(Action.WAIT, Reason.TRANSITION)]
    else:
        assert state == "failed"
        assert actions == [(Action.UPDATE, Reason.REPAIR)]  # re-sends the spec; no drift, no replace
        assert result.changes[0].fields == ()
    notes = [w for w in result.warnings if "secrets were set before hfleet" not in w]
    assert notes == []


@pytest.mark.parametrize(("answer", "kind"), CASES)
def test_the_recorded_answer_once_running_is_left_alone(answer: str, kind: str) -> None:
    """The same answer with its state moved to running: the whole plan is empty, warnings aside
    from the adoption note (the comparison above, without the state's own decision in the way)."""
    body = recorded.load(answer)
    body["status"] = {**body["status"], "state": "running"}
    result, _ = plan_for(body, SPECS / f"{ENDPOINTS[answer]}.{kind}.yaml")
    assert result.changes == () and not result.has_changes
    assert result.unchanged == (body["name"],)


@pytest.mark.parametrize("answer", sorted(ENDPOINTS))
def test_the_recorded_answer_parses_with_its_secret_values_dropped(answer: str) -> None:
    body = recorded.load(answer)
    parsed = record.parse("acme", body)
    assert parsed.name == body["name"] and parsed.type == body["type"]
    assert parsed.created_at is not None and parsed.created_at.year >= 2023  # nanoseconds or milliseconds
    kept = json.dumps(parsed.raw)
    assert "my-token" not in kept  # the maintainers' placeholder secret value
    model = body["model"]
    assert parsed.secret_keys == frozenset(model.get("secrets") or model.get("secret") or {})


def test_without_the_adoption_marker_the_declared_secrets_are_set_once() -> None:
    """The same recorded endpoint carrying only the owner tag: hfleet cannot know the secret values
    the server holds, so a spec that declares secrets sets them once (then fingerprints them)."""
    body = recorded.load("hfhub-tests-running.json")
    body["tags"] = [ownership.owner_tag(FLEET)]
    fleet = loader.load([SPECS / "hfhub-tests.full.yaml"])
    have = record.parse(fleet.namespace, body)
    want = desired.build(fleet, fleet.endpoints[0], T0)
    found = diff.compare(want, have)
    assert found.paths == () and found.immutable == ()
    assert found.secrets is not None and found.secrets.value == "set"
