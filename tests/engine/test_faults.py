"""Retries and idempotence against injected faults: 429, 5xx bursts, lost responses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reconciler.api import client as api_client
from reconciler.api import errors as api_errors
from reconciler.api import retry
from tests.conftest import make_api, write_fleet
from tests.emulator.conftest import payload
from tests.engine.helpers import converge, plan


def test_429_with_retry_after_is_honoured(tmp_path: Path, emulator: Any) -> None:
    from reconciler.emulator import FaultRule

    slept: list[float] = []
    api = make_api(emulator, policy=retry.RetryPolicy(attempts=5, sleep=slept.append))
    emulator.faults.add(FaultRule(kind="status", status=429, retry_after=7, method="GET", times=2))
    assert api.list_endpoints("emulator") == []
    assert slept == [7, 7]


def test_5xx_burst_is_ridden_out(tmp_path: Path, emulator: Any) -> None:
    from reconciler.emulator import FaultRule

    api = make_api(emulator)
    emulator.faults.add(FaultRule(kind="status", status=503, method="POST", times=3))
    path = write_fleet(tmp_path, {"a": "", "b": ""})
    _, report = converge(path, api)
    assert report.ok
    assert {e["name"] for e in api.list_endpoints("emulator")} == {"a", "b"}


def test_retries_are_bounded_and_the_error_is_typed(emulator: Any) -> None:
    from reconciler.emulator import FaultRule

    api = make_api(emulator, policy=retry.RetryPolicy(attempts=3, sleep=lambda _: None))
    emulator.faults.add(FaultRule(kind="status", status=500, method="GET"))
    with pytest.raises(api_errors.ApiServerError) as info:
        api.list_endpoints("emulator")
    assert info.value.status == 500
    assert len(emulator.requests) == 3


def test_non_retryable_4xx_fails_at_once(emulator: Any) -> None:
    api = make_api(emulator, token="hf_wrong_token_value")
    with pytest.raises(api_errors.Unauthorized) as info:
        api.list_endpoints("emulator")
    assert len(emulator.requests) == 1
    assert "hf_wrong_token_value" not in str(info.value)


def test_a_lost_create_response_does_not_create_twice(tmp_path: Path, emulator: Any) -> None:
    from reconciler.emulator import FaultRule

    api = make_api(emulator)
    emulator.faults.add(
        FaultRule(kind="lost_response", method="POST", path_pattern=r"/v2/endpoint/emulator$", times=1)
    )
    path = write_fleet(tmp_path, {"a": "max_replica: 2\n"})
    _, report = converge(path, api)
    assert report.ok, report.data()
    assert "earlier response was lost" in (report.outcomes[0].note or "")
    assert [e["name"] for e in api.list_endpoints("emulator")] == ["a"]
    assert not plan(path, api).has_changes


def test_dropped_connections_are_retried(tmp_path: Path, emulator: Any) -> None:
    from reconciler.emulator import FaultRule

    api = make_api(emulator)
    emulator.faults.add(FaultRule(kind="drop", method="GET", times=2))
    assert api.list_endpoints("emulator") == []


def test_a_foreign_409_is_never_adopted(tmp_path: Path, emulator: Any, api: api_client.EndpointsApi) -> None:
    """Another team creates the same name between our plan and our create: we fail, we don't adopt."""
    from reconciler.engine import apply, run
    from reconciler.spec import loader

    path = write_fleet(tmp_path, {"race": ""})
    observation = run.observe(loader.load([path]), api)
    result = run.make_plan(observation, api, run.Options())[0]
    api.create(
        "emulator",
        payload("race"),
    )
    report = apply.execute(result, observation.desired, observation.live.records, api)
    assert not report.ok
    assert "not owned by fleet 'team'" in (report.failed[0].error or "")
    assert api.get("emulator", "race")["tags"] == []
