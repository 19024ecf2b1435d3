"""End to end against the emulator: a fleet converges, drift is corrected, ownership is respected."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reconciler import errors
from reconciler.api import client as api_client
from reconciler.engine import plan as plan_mod
from reconciler.engine import safety
from reconciler.wire import ownership
from tests.conftest import write_fleet
from tests.emulator.conftest import payload
from tests.engine.helpers import actions, converge, plan


def routes(emulator: Any) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in emulator.requests]


def test_fleet_of_50_over_several_pages_converges_then_plans_nothing(
    tmp_path: Path, emulator: Any, api: api_client.EndpointsApi
) -> None:
    api_small_pages = api_client.EndpointsApi(api.http, api.base_url, "hf_emulator", api.policy, page_size=20)
    path = write_fleet(tmp_path, count=50)
    first, report = converge(path, api_small_pages)
    assert first.counts()["create"] == 50 and report.ok
    assert len(report.outcomes) == 50
    listed = api.list_endpoints("emulator")
    assert len(listed) == 50
    assert all(ownership.owner_tag("team") in item["tags"] for item in listed)

    emulator.clear_requests()
    again = plan(path, api_small_pages)
    assert not again.has_changes and len(again.unchanged) == 50
    # A no-op plan reads the listing pages only: no per-endpoint GET.
    calls = routes(emulator)
    assert all(
        method == "GET" and path.startswith("/v2/endpoint/emulator") and path.count("/") == 3
        for method, path in calls
        if not path.startswith("/v2/provider")
    ), calls


def test_pagination_is_followed_to_the_end(tmp_path: Path, emulator: Any) -> None:
    from tests.conftest import make_api

    api = make_api(emulator)
    for i in range(45):
        api.create(
            "emulator",
            payload(f"p-{i:02d}"),
        )
    emulator.clear_requests()
    names = [e["name"] for e in api.iter_endpoints("emulator", page_size=20)]
    assert names == [f"p-{i:02d}" for i in range(45)]
    assert len(emulator.requests) == 3


def test_drift_made_with_the_official_client_is_detected_and_corrected(
    tmp_path: Path, emulator: Any, api: api_client.EndpointsApi
) -> None:
    path = write_fleet(tmp_path, {"chat": "max_replica: 2\nenv: {MODE: fast}\n"})
    converge(path, api)
    # Someone edits the endpoint behind hfleet's back (as huggingface_hub's update() would send it).
    api.update(
        "emulator", "chat", {"compute": {"scaling": {"maxReplica": 5}}, "model": {"env": {"MODE": "slow"}}}
    )
    drifted = plan(path, api)
    assert actions(drifted) == {"chat": ["update"]}
    fields = {f.path: (f.old, f.new) for f in drifted.changes[0].fields}
    # Nested values are shown at the leaf that changed.
    assert fields == {"compute.scaling.maxReplica": (5, 2), "model.env.MODE": ("slow", "fast")}
    emulator.clear_requests()
    _, report = converge(path, api)
    assert report.ok
    puts = [r for r in emulator.requests if r.method == "PUT"]
    assert len(puts) == 1
    after = api.get("emulator", "chat")
    assert after["compute"]["scaling"]["maxReplica"] == 2 and after["model"]["env"] == {"MODE": "fast"}
    assert not plan(path, api).has_changes


def test_power_state_is_desired_state(tmp_path: Path, api: api_client.EndpointsApi) -> None:
    path = write_fleet(tmp_path, {"a": "", "b": "min_replica: 0\n"})
    converge(path, api)
    write_fleet(tmp_path, {"a": "state: paused\n", "b": "min_replica: 0\nstate: scaled_to_zero\n"})
    assert actions(plan(path, api)) == {"a": ["pause"], "b": ["scale_to_zero"]}
    converge(path, api)
    assert api.get("emulator", "a")["status"]["state"] == "paused"
    assert api.get("emulator", "b")["status"]["state"] == "scaledToZero"
    assert not plan(path, api).has_changes
    write_fleet(tmp_path, {"a": "", "b": "min_replica: 0\n"})
    # a paused endpoint is resumed; one at zero with min_replica 0 is idle, which is fine.
    assert actions(plan(path, api)) == {"a": ["resume"]}


def test_an_untagged_endpoint_is_a_conflict_and_survives_prune(
    tmp_path: Path, emulator: Any, api: api_client.EndpointsApi
) -> None:
    foreign = payload("shared", tags=["someone-else"])
    api.create("emulator", foreign)
    api.create("emulator", {**foreign, "name": "bystander"})
    path = write_fleet(tmp_path, {"shared": "", "mine": ""})
    result, report = converge(path, api, prune=True)
    assert actions(result) == {"mine": ["create"], "shared": ["conflict"]}
    assert report.ok
    names = {e["name"] for e in api.list_endpoints("emulator")}
    assert names == {"shared", "bystander", "mine"}  # nothing of someone else's was deleted
    assert api.get("emulator", "shared")["tags"] == ["someone-else"]


def test_prune_deletes_only_our_endpoints_and_respects_protect(
    tmp_path: Path, api: api_client.EndpointsApi
) -> None:
    path = write_fleet(tmp_path, {"keep": "", "old": "", "guarded": "protect: true\n"}, count=7)
    converge(path, api)
    write_fleet(tmp_path, {"keep": ""}, count=7)
    without = plan(path, api)
    assert actions(without) == {"old": ["orphan"], "guarded": ["orphan"]}
    result, _report = converge(path, api, prune=True)
    assert actions(result) == {"old": ["delete"], "guarded": ["orphan"]}
    names = {e["name"] for e in api.list_endpoints("emulator")}
    assert "old" not in names and "guarded" in names


def test_a_plan_deleting_too_much_is_refused(tmp_path: Path, api: api_client.EndpointsApi) -> None:
    path = write_fleet(tmp_path, count=6)
    converge(path, api)
    write_fleet(tmp_path, count=2)
    result = plan(path, api, prune=True)
    with pytest.raises(errors.TooMuchChange):
        safety.check(result, safety.Limits(), {})
    assert len(api.list_endpoints("emulator")) == 6
    _, report = converge(path, api, prune=True, force=True)
    assert report.ok and len(api.list_endpoints("emulator")) == 2


def test_level_triggered_waits_during_transitions(tmp_path: Path, clock: Any) -> None:
    from reconciler.emulator import Durations, Emulator, EmulatorConfig
    from tests.conftest import make_api

    slow = Emulator(
        EmulatorConfig(durations=Durations(pending=10, initializing=10, updating=10)), clock=clock
    )
    api = make_api(slow)
    path = write_fleet(tmp_path, {"a": ""})
    converge(path, api)
    write_fleet(tmp_path, {"a": "max_replica: 3\n"})
    waiting = plan(path, api)
    assert actions(waiting) == {"a": ["wait"]} and waiting.requeue_after is not None
    clock.advance(30)
    assert actions(plan(path, api)) == {"a": ["update"]}


def test_a_failed_deploy_is_reported_and_repaired(
    tmp_path: Path, emulator: Any, api: api_client.EndpointsApi
) -> None:
    from reconciler.emulator import FaultRule

    emulator.faults.add(FaultRule(kind="deploy_failed", path_pattern="broken", times=1))
    path = write_fleet(tmp_path, {"broken": "", "fine": ""})
    converge(path, api)
    assert api.get("emulator", "fine")["status"]["state"] == "running"
    result = plan(path, api)
    assert actions(result) == {"broken": ["update"]}
    assert result.changes[0].reason is plan_mod.Reason.REPAIR
    assert result.changes[0].detail.startswith("repair: endpoint is failed")
    _, report = converge(path, api)
    assert report.ok
    assert api.get("emulator", "broken")["status"]["state"] == "running"


def test_plan_value_round_trips_through_json(tmp_path: Path, api: api_client.EndpointsApi) -> None:
    path = write_fleet(tmp_path, {"a": "", "b": ""})
    result = plan(path, api)
    again = plan_mod.Plan.from_data(result.data())
    assert again.checksum() == result.checksum()
    assert [c.data() for c in again.changes] == [c.data() for c in result.changes]


def test_paused_to_scaled_to_zero_converges_in_one_apply(
    tmp_path: Path, api: api_client.EndpointsApi
) -> None:
    path = write_fleet(tmp_path, {"a": "min_replica: 0\nstate: paused\n"})
    converge(path, api)
    converge(path, api)
    assert api.get("emulator", "a")["status"]["state"] == "paused"
    write_fleet(tmp_path, {"a": "min_replica: 0\nstate: scaled_to_zero\n"})
    assert actions(plan(path, api)) == {"a": ["scale_to_zero"]}
    _, report = converge(path, api)
    assert report.ok and "resumed first" in (report.outcomes[0].note or "")
    assert api.get("emulator", "a")["status"]["state"] == "scaledToZero"
    assert not plan(path, api).has_changes


def test_drift_made_with_huggingface_hub_over_a_socket(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The exact story of the issue: a teammate edits an endpoint with the official client."""
    import huggingface_hub
    from huggingface_hub import constants

    from reconciler.emulator import Emulator, EmulatorConfig
    from reconciler.engine import session

    emulator = Emulator(EmulatorConfig())
    with emulator.serve() as server:
        conn = session.connect(session.Settings(api_url=server.url + "/v2", token="hf_emulator"))
        path = write_fleet(tmp_path, {"chat": "max_replica: 2\n"})
        converge(path, conn.api)
        monkeypatch.setattr(constants, "INFERENCE_ENDPOINTS_ENDPOINT", server.url + "/v2")
        hub = huggingface_hub.HfApi(endpoint=server.url, token="hf_emulator")
        hub.update_inference_endpoint("chat", namespace="emulator", max_replica=6, instance_size="x4")
        drifted = plan(path, conn.api)
        assert actions(drifted) == {"chat": ["update"]}
        assert {f.path for f in drifted.changes[0].fields} == {
            "compute.instanceSize",
            "compute.scaling.maxReplica",
        }
        converge(path, conn.api)
        assert hub.get_inference_endpoint("chat", namespace="emulator").raw["compute"]["instanceSize"] == "x2"
        assert not plan(path, conn.api).has_changes
        conn.close()
