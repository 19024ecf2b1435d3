"""Contract: the emulator's answers have the keys and value types of the real server's, at every path.

Every file of shared/reference/real-responses/ (read there at test time; a missing directory fails)
is paired with the request that produced it on the real server, replayed against the emulator the
way huggingface_hub sends it. The two answers are compared as recursive shapes (``shapes``). The
only differences allowed are listed, with their reason, in ``EXCEPTIONS``: a new key on either side
fails until someone writes down why.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from reconciler.emulator import Durations, Emulator, EmulatorConfig, FaultRule, catalog
from tests.conftest import FakeClock
from tests.emulator import recorded, shapes
from tests.emulator.test_api import client

NAMESPACE = "emulator"
# Every allowed difference, in one place. "ours-only": a key no recorded answer has; "real-only":
# a key of a recorded answer the emulator's equivalent answer lacks.
EXCEPTIONS: dict[tuple[str, str], str] = {
    ("ours-only", "tags"): "SPECNOW marks it required in EndpointWithStatus; the recordings predate it",
    ("ours-only", "experimentalFeatures"): "SPECNOW required; holds cacheHttpResponses today",
    ("ours-only", "experimentalFeatures.cacheHttpResponses"): "SPECNOW ExperimentalFeatures",
    ("ours-only", "notifications"): "SPECNOW required; contents unknown, answered null",
    ("real-only", "model.secret"): (
        "2023 records say model.secret (singular); new endpoints answer model.secrets. Seeded legacy "
        "records keep model.secret (test_a_seeded_record_has_the_recorded_shape)"
    ),
    ("real-only", "model.secret.*"): "the values of the legacy key, never answered",
    ("real-only", "model.secrets.*"): "secret values: answered {} (docs/emulator.md, row 9)",
}


def _create_body(raw: dict[str, Any]) -> dict[str, Any]:
    """The create huggingface_hub 2.4.0 sends for the endpoint a recording shows."""
    compute = raw["compute"]
    instance_type, size = compute["instanceType"], compute["instanceSize"]
    row = catalog.find(raw["provider"]["vendor"], raw["provider"]["region"], instance_type, size)
    if row is None or row.status == "deprecated":
        instance_type = "intel-spr"  # the 2023 recordings ran on intel-icl, deprecated since 2025
    image = copy.deepcopy(raw["model"]["image"])
    for body in image.values():
        for filled in ("port", "healthRoute", "disableCustomKernels"):
            body.pop(filled, None)  # the server filled these; the request had only the url
    model: dict[str, Any] = {
        "repository": raw["model"]["repository"],
        "framework": raw["model"]["framework"],
        "revision": None,
        "task": raw["model"]["task"],
        "image": image,
    }
    secrets = raw["model"].get("secrets") or raw["model"].get("secret")
    if secrets:
        model["secrets"] = secrets
    return {
        "name": raw["name"],
        "type": "authenticated" if raw["type"] == "protected" else raw["type"],  # see row 3
        "provider": raw["provider"],
        "compute": {
            "accelerator": compute["accelerator"],
            "instanceType": instance_type,
            "instanceSize": size,
            "scaling": {
                "minReplica": compute["scaling"]["minReplica"],
                "maxReplica": compute["scaling"]["maxReplica"],
                "scaleToZeroTimeout": None,
            },
        },
        "model": model,
    }


def _world(clock: FakeClock) -> tuple[Emulator, httpx.Client]:
    emulator = Emulator(
        EmulatorConfig(durations=Durations(pending=10, initializing=10, updating=10)), clock=clock
    )
    return emulator, client(emulator)


def _created(raw: dict[str, Any], clock: FakeClock, **_: Any) -> Any:
    _, http = _world(clock)
    return http.post(f"/v2/endpoint/{NAMESPACE}", json=_create_body(raw)).json()


def _pending(raw: dict[str, Any], clock: FakeClock, **_: Any) -> Any:
    _, http = _world(clock)
    http.post(f"/v2/endpoint/{NAMESPACE}", json=_create_body(raw))
    return http.get(f"/v2/endpoint/{NAMESPACE}/{raw['name']}").json()


def _running(raw: dict[str, Any], clock: FakeClock, **_: Any) -> Any:
    _, http = _world(clock)
    http.post(f"/v2/endpoint/{NAMESPACE}", json=_create_body(raw))
    clock.advance(25)
    return http.get(f"/v2/endpoint/{NAMESPACE}/{raw['name']}").json()


def _failed(raw: dict[str, Any], clock: FakeClock, **_: Any) -> Any:
    emulator, http = _world(clock)
    emulator.faults.add(FaultRule(kind="deploy_failed", name_pattern=raw["name"]))
    http.post(f"/v2/endpoint/{NAMESPACE}", json=_create_body(raw))
    clock.advance(25)
    return http.get(f"/v2/endpoint/{NAMESPACE}/{raw['name']}").json()


def _updating(raw: dict[str, Any], clock: FakeClock, **_: Any) -> Any:
    _, http = _world(clock)
    http.post(f"/v2/endpoint/{NAMESPACE}", json=_create_body(raw))
    clock.advance(25)
    http.put(f"/v2/endpoint/{NAMESPACE}/{raw['name']}", json={"compute": {"scaling": {"maxReplica": 2}}})
    return http.get(f"/v2/endpoint/{NAMESPACE}/{raw['name']}").json()


def _providers(raw: dict[str, Any], clock: FakeClock, **_: Any) -> Any:
    _, http = _world(clock)
    return http.get(f"/v2/provider/{NAMESPACE}").json()


# Recorded file -> the request that produced it (README.md of real-responses says which).
SCENARIOS: dict[str, Callable[..., Any]] = {
    "catalog-deploy-2025-03.json": _created,  # the endpoint object of a create's answer
    "hfhub-tests-initializing.json": _pending,
    "hfhub-tests-running.json": _running,
    "hfhub-tests-failed.json": _failed,
    "hfhub-tests-update.json": _updating,
    "hfhub-tests-providers.json": _providers,
}
ENDPOINT_FILES = [name for name in SCENARIOS if name != "hfhub-tests-providers.json"]


def _allowed(diff: shapes.Diff) -> list[str]:
    problems = [f"real-only {p}" for p in diff.real_only if ("real-only", p) not in EXCEPTIONS]
    problems += [f"ours-only {p}" for p in diff.ours_only if ("ours-only", p) not in EXCEPTIONS]
    return problems + [f"type {t}" for t in diff.types]


def test_every_recorded_answer_has_an_equivalent_request() -> None:
    names = [path.name for path in recorded.files()]
    assert sorted(set(names) - SCENARIOS.keys()) == [], "add a scenario for each new recorded answer"
    assert sorted(SCENARIOS.keys() - set(names)) == [], "a recorded answer went missing"


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_the_equivalent_answer_has_the_recorded_keys_and_types(name: str, clock: FakeClock) -> None:
    raw = recorded.load(name)
    ours = SCENARIOS[name](raw, clock)
    diff = shapes.compare(shapes.shape(raw), shapes.shape(ours))
    diff.ours_only = []  # judged against every recording at once, below
    assert _allowed(diff) == [], name
    if name in ENDPOINT_FILES:
        assert ours["status"]["state"] == raw["status"]["state"]


def test_no_key_of_ours_is_unknown_to_every_recording(clock: FakeClock) -> None:
    """A key the emulator answers must appear in some recorded answer, or be a listed exception."""
    real = shapes.union(shapes.shape(recorded.load(name)) for name in ENDPOINT_FILES)
    for name in ENDPOINT_FILES:
        ours = shapes.shape(SCENARIOS[name](recorded.load(name), clock))
        extra = [p for p in sorted(ours.keys() - real.keys()) if ("ours-only", p) not in EXCEPTIONS]
        assert extra == [], name


def test_every_exception_is_still_needed(clock: FakeClock) -> None:
    """An exception nobody needs any more is removed, so the list stays the truth."""
    real_all = shapes.union(shapes.shape(recorded.load(name)) for name in ENDPOINT_FILES)
    used: set[tuple[str, str]] = set()
    for name in ENDPOINT_FILES:
        raw = recorded.load(name)
        ours = shapes.shape(SCENARIOS[name](raw, clock))
        used |= {("real-only", p) for p in shapes.shape(raw).keys() - ours.keys()}
        used |= {("ours-only", p) for p in ours.keys() - real_all.keys()}
    assert sorted(EXCEPTIONS.keys() - used) == []


def test_a_seeded_record_has_the_recorded_shape(clock: FakeClock) -> None:
    """Legacy records seeded from the recordings answer with the recordings' own keys."""
    emulator, http = _world(clock)
    for name in ENDPOINT_FILES:
        raw = recorded.load(name)
        emulator.reset()
        emulator.seed(raw)
        ours = http.get(f"/v2/endpoint/{NAMESPACE}/{raw['name']}").json()
        diff = shapes.compare(shapes.shape(raw), shapes.shape(ours))
        real_only = [p for p in diff.real_only if p not in ("model.secret.*", "model.secrets.*")]
        assert (real_only, diff.types) == ([], []), name
        assert ours["type"] == raw["type"] and ours["status"]["state"] == raw["status"]["state"]
