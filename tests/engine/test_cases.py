"""The plan fixture cases (tests/engine/cases/<name>/): the main tests of planning.

Each folder holds a spec (``spec.yaml``), the live listing the API answers (``live.json``, endpoint
objects as the real server writes them) and the plan expected from them (``expected.yaml``); the
folder's README.md describes the format. This runner loads the spec with the real loader, parses
the listing with the real wire parser (through ``live.fetch``, as a pass does, so malformed and
duplicated records are set aside the same way), builds the desired state at the case's instant and
calls ``decide.compute``; then it compares every change (action, reason, API paths written, secrets,
``then``, leaf fields where the case lists them), the unchanged endpoints and the warnings.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.engine import decide, desired, live
from reconciler.engine.plan import Change, Plan
from reconciler.spec import loader
from tests.conftest import T0

CASES = Path(__file__).with_name("cases")
FINGERPRINT = "<spec fingerprint>"  # in a live tag: the fingerprint the spec's secret values give
CHANGE_KEYS = {"name", "namespace", "action", "reason", "paths", "fields", "secrets", "then", "detail"}
CASE_KEYS = {"now", "prune", "targets", "env", "changes", "unchanged", "warnings"}


def case_names() -> list[str]:
    found = sorted(p.name for p in CASES.iterdir() if p.is_dir()) if CASES.is_dir() else []
    if not found:
        raise AssertionError(f"no plan cases under {CASES}")
    return found


class _Listing:
    """The listing ``live.json`` describes, served to ``live.fetch`` as the API client would."""

    def __init__(self, by_namespace: dict[str, list[Any]]) -> None:
        self.by_namespace = by_namespace

    def iter_endpoints(self, namespace: str) -> Iterator[Any]:
        yield from self.by_namespace.get(namespace, [])


def _listing(items: list[Any], namespace: str, fingerprints: dict[str, str | None]) -> _Listing:
    """Items are endpoint objects of the fleet's namespace, or ``{namespace, endpoint}`` pairs."""
    by_namespace: dict[str, list[Any]] = {}
    for item in items:
        space, body = namespace, item
        if isinstance(item, dict) and set(item) == {"namespace", "endpoint"}:
            space, body = item["namespace"], item["endpoint"]
        if isinstance(body, dict) and isinstance(body.get("tags"), list):
            mark = fingerprints.get(str(body.get("name"))) or "missing-fingerprint"
            body["tags"] = [t.replace(FINGERPRINT, mark) if isinstance(t, str) else t for t in body["tags"]]
        by_namespace.setdefault(space, []).append(body)
    return _Listing(by_namespace)


def run_case(folder: Path) -> tuple[Plan, dict[str, Any]]:
    """The plan the engine makes for the case in ``folder``, and the case's expectations."""
    expected = yaml.safe_load((folder / "expected.yaml").read_text(encoding="utf-8")) or {}
    unknown = set(expected) - CASE_KEYS
    assert not unknown, f"{folder.name}/expected.yaml: unknown keys {sorted(unknown)}"
    now = expected.get("now", T0)
    now = now if isinstance(now, datetime) else datetime.fromisoformat(str(now))
    assert now.tzinfo is not None, f"{folder.name}: 'now' needs a UTC offset"
    fleet = loader.load([folder / "spec.yaml"])
    namespaces = tuple(sorted({fleet.namespace, *(fleet.namespace_of(e) for e in fleet.endpoints)}))
    prints = {spec.name: desired.fingerprint(fleet.name, spec)[0] for spec in fleet.endpoints}
    items = json.loads((folder / "live.json").read_text(encoding="utf-8"))
    state = live.fetch(_listing(items, fleet.namespace, prints), namespaces)  # type: ignore[arg-type]
    wanted = {}
    for spec in fleet.endpoints:
        key = (fleet.namespace_of(spec), spec.name)
        have = state.get(key)  # as run.observe: the grace period runs from a deploy while up
        since = desired.grace_from(have.state if have else None, have.last_change if have else None, now)
        wanted[key] = desired.build(fleet, spec, now, last_change=since)
    result = decide.compute(
        fleet.name,
        wanted,
        state,
        now=now,
        namespaces=namespaces,
        prune=bool(expected.get("prune", False)),
        targets=expected.get("targets") or None,
    )
    return result, expected


def _actual(change: Change, expected: dict[str, Any], namespace: str) -> dict[str, Any]:
    """The change in the case's vocabulary, with the keys the case states (and the strict ones)."""
    out: dict[str, Any] = {
        "name": change.name,
        "action": change.action.value,
        "reason": change.reason.value,
        "paths": list(change.paths),
        "secrets": None if change.secrets is None else change.secrets.value,
        "then": change.then,
    }
    if change.namespace != namespace or "namespace" in expected:
        out["namespace"] = change.namespace
    if "fields" in expected:
        out["fields"] = [[f.path, f.old, f.new] for f in change.fields]
    if "detail" in expected:
        out["detail"] = expected["detail"] if expected["detail"] in change.detail else change.detail
    return out


def _wanted(item: dict[str, Any]) -> dict[str, Any]:
    unknown = set(item) - CHANGE_KEYS
    assert not unknown, f"unknown keys in an expected change: {sorted(unknown)}"
    out = {"paths": [], "secrets": None, "then": None, **item}
    if "fields" in out:
        out["fields"] = [list(f) for f in out["fields"] or []]
    return out


@pytest.fixture(params=case_names())
def case(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = CASES / str(request.param)
    expected = yaml.safe_load((folder / "expected.yaml").read_text(encoding="utf-8")) or {}
    for name, value in (expected.get("env") or {}).items():
        monkeypatch.setenv(name, str(value))
    return folder


def test_case(case: Path) -> None:
    result, expected = run_case(case)
    namespace = loader.load([case / "spec.yaml"]).namespace
    wanted = [_wanted(item) for item in expected.get("changes") or []]
    got = [_actual(c, w, namespace) for c, w in zip(result.changes, wanted, strict=False)]
    got += [_actual(c, {}, namespace) for c in result.changes[len(wanted) :]]
    assert got == wanted, f"{case.name}: the plan differs from expected.yaml"
    assert list(result.unchanged) == sorted(expected.get("unchanged") or []), f"{case.name}: unchanged"
    warnings = list(expected.get("warnings") or [])
    assert len(result.warnings) == len(warnings), f"{case.name}: warnings {list(result.warnings)}"
    for text, want in zip(result.warnings, warnings, strict=True):
        assert want in text, f"{case.name}: warning {text!r} does not say {want!r}"


def test_every_case_folder_is_complete_and_documented() -> None:
    assert (CASES / "README.md").is_file()
    for name in case_names():
        files = {p.name for p in (CASES / name).iterdir()}
        assert files == {"spec.yaml", "live.json", "expected.yaml"}, f"{name}: {sorted(files)}"
        first = (CASES / name / "expected.yaml").read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith("# "), f"{name}/expected.yaml must open with a comment saying what it proves"


def test_the_cases_cover_every_action_and_reason() -> None:
    from reconciler.engine.plan import Action, Reason, SecretChange

    seen_actions: set[str] = set()
    seen_reasons: set[str] = set()
    seen_secrets: set[str] = set()
    for name in case_names():
        expected = yaml.safe_load((CASES / name / "expected.yaml").read_text(encoding="utf-8")) or {}
        for item in expected.get("changes") or []:
            seen_actions.add(item["action"])
            seen_reasons.add(item["reason"])
            if item.get("secrets"):
                seen_secrets.add(item["secrets"])
    assert seen_actions == {a.value for a in Action}
    assert seen_reasons == {r.value for r in Reason}
    assert seen_secrets == {s.value for s in SecretChange}


def test_every_live_record_has_the_real_servers_types() -> None:
    """The listings are written by hand: held to the recorded real answers so a case cannot drift
    from what the server sends (a path both have must carry a type the real server uses there).
    Records a case expects to be reported malformed break the schema on purpose and are left out."""
    from tests.emulator import recorded, shapes

    real = shapes.union(
        shapes.shape(recorded.load(p.name)) for p in recorded.files() if "providers" not in p.name
    )
    checked = 0
    for name in case_names():
        expected = yaml.safe_load((CASES / name / "expected.yaml").read_text(encoding="utf-8")) or {}
        broken = {c["name"] for c in expected.get("changes") or [] if c["action"] == "malformed"}
        listing = json.loads((CASES / name / "live.json").read_text(encoding="utf-8"))
        for item in listing:
            if isinstance(item, dict) and item.get("name") not in broken:
                diff = shapes.compare(real, shapes.shape(item))
                assert diff.types == [], f"{name}/{item.get('name')}: {diff.types}"
                checked += 1
    assert checked >= 50
