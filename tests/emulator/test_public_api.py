"""The emulator's public API for tests: reset, seeding, inspection and fault scripting, over HTTP.

Tests drive the emulator through these methods (or the ``/__emulator/`` routes of a served one),
never through its store. Every assertion goes over the real HTTP path (in-process transport or a
loopback socket).
"""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import pytest

from reconciler.emulator import Emulator, EmulatorConfig, FaultRule
from tests.emulator import recorded
from tests.emulator.conftest import payload
from tests.emulator.test_api import AUTH, client


def running(emulator: Emulator, name: str = "svc", **changes: Any) -> str:
    """Create a running endpoint; return its URL."""
    http = client(emulator)
    assert http.post("/v2/endpoint/emulator", json=payload(name, **changes)).status_code == 200
    return str(http.get(f"/v2/endpoint/emulator/{name}").json()["status"]["url"])


def test_reset_forgets_endpoints_faults_and_requests(emulator: Emulator) -> None:
    running(emulator)
    emulator.rate_limit(times=None)
    emulator.reset()
    assert emulator.endpoints() == [] and emulator.requests == [] and emulator.faults.rules == []
    assert client(emulator).get("/v2/endpoint/emulator").json()["items"] == []


def test_endpoint_snapshots_and_set_state(emulator: Emulator) -> None:
    url = running(emulator)
    snapshot = emulator.endpoint("emulator", "svc")
    assert snapshot is not None and snapshot.state == "running" and url.endswith(snapshot.path)
    assert emulator.endpoint("emulator", "nope") is None
    emulator.set_state("emulator", "svc", "failed", "node lost")
    status = client(emulator).get("/v2/endpoint/emulator/svc").json()["status"]
    assert (status["state"], status["message"]) == ("failed", "node lost")
    with pytest.raises(ValueError):
        emulator.set_state("emulator", "svc", "exploded")


def test_the_data_plane_answers_503_n_times_then_serves(emulator: Emulator) -> None:
    url = running(emulator)
    rule = emulator.fail_dataplane("emulator", "svc", 503, times=2, retry_after=0.5, message="initializing")
    http = client(emulator)
    answers = [http.post(url + "/generate", json={"inputs": "hi"}) for _ in range(3)]
    assert [a.status_code for a in answers] == [503, 503, 200]
    assert answers[0].headers["retry-after"] == "0.5" and answers[0].json() == {"error": "initializing"}
    assert rule.hits == 2
    assert [r.status for r in emulator.requests_to("emulator", "svc")] == [503, 503, 200]


def test_a_data_plane_fault_touches_only_its_endpoint_and_path(emulator: Emulator) -> None:
    url, other = running(emulator, "svc"), running(emulator, "other")
    emulator.fail_dataplane("emulator", "svc", 500, times=None, path_pattern="^/generate$")
    http = client(emulator)
    assert http.post(url + "/generate", json={"inputs": "hi"}).status_code == 500
    assert http.get(url + "/health").status_code == 200
    assert http.post(other + "/generate", json={"inputs": "hi"}).status_code == 200
    assert http.get("/v2/endpoint/emulator/svc").status_code == 200  # the control plane is untouched


def test_refusals_and_drops_at_an_endpoint_url_are_logged_under_it(emulator: Emulator) -> None:
    """What the proxy refuses (401, a paused endpoint's 503) and a dropped connection still reached
    the endpoint: ``requests_to`` counts them, so a test can assert "tried once, not retried"."""
    url = running(emulator, "svc", type="authenticated")
    http = client(emulator)
    with httpx.Client(transport=emulator.transport()) as stranger:  # no token
        assert stranger.post(url + "/generate", json={"inputs": "x"}).status_code == 401
    emulator.set_state("emulator", "svc", "paused")
    assert http.post(url + "/generate", json={"inputs": "hi"}).status_code == 503
    emulator.set_state("emulator", "svc", "running")
    emulator.drop_dataplane("emulator", "svc")
    with pytest.raises(httpx.RemoteProtocolError):
        http.post(url + "/generate", json={"inputs": "again"})
    log = emulator.requests_to("emulator", "svc")
    assert [(r.status, r.identity) for r in log] == [(401, None), (503, "emulator"), (-1, "emulator")]
    assert [r.json for r in log] == [{"inputs": "x"}, {"inputs": "hi"}, {"inputs": "again"}]


def test_retry_after_as_an_http_date_is_sent_as_given(emulator: Emulator) -> None:
    url = running(emulator)
    emulator.fail_dataplane("emulator", "svc", 503, retry_after="Thu, 01 Jan 1970 00:00:00 GMT")
    answer = client(emulator).post(url + "/generate", json={"inputs": "hi"})
    assert answer.status_code == 503 and answer.headers["retry-after"] == "Thu, 01 Jan 1970 00:00:00 GMT"


def test_slow_garbled_and_dropped_data_plane(emulator: Emulator) -> None:
    url = running(emulator)
    http = client(emulator)
    emulator.slow_dataplane("emulator", "svc", 0.3, times=1)
    started = time.monotonic()
    assert http.get(url + "/health").status_code == 200
    assert time.monotonic() - started >= 0.3
    emulator.garble_dataplane("emulator", "svc")
    garbled = http.post(url + "/generate", json={"inputs": "hi"})
    assert garbled.status_code == 200
    with pytest.raises(ValueError):
        garbled.json()
    emulator.drop_dataplane("emulator", "svc")
    with pytest.raises(httpx.RemoteProtocolError):
        http.post(url + "/generate", json={"inputs": "hi"})
    assert http.post(url + "/generate", json={"inputs": "hi"}).status_code == 200


def test_removing_a_latency_rule_lets_the_requests_it_holds_go_on(emulator: Emulator) -> None:
    """A test holds writes with a long latency and releases them when it is ready (no timing guess)."""
    hold = emulator.add_fault(FaultRule(kind="latency", latency=120, method="POST"))
    answers: list[int] = []
    worker = threading.Thread(
        target=lambda: answers.append(
            client(emulator).post("/v2/endpoint/emulator", json=payload("held")).status_code
        )
    )
    started = time.monotonic()
    worker.start()
    deadline = time.monotonic() + 30
    while hold.hits == 0 and time.monotonic() < deadline:
        time.sleep(0.01)  # polls a condition: the request reached the rule
    assert hold.hits == 1 and answers == [] and emulator.endpoint("emulator", "held") is None
    emulator.remove_fault(hold)
    worker.join(timeout=30)
    assert answers == [200] and emulator.endpoint("emulator", "held") is not None
    assert time.monotonic() - started < 30  # released, not waited out


def test_rate_limit_on_a_control_plane_route(emulator: Emulator) -> None:
    emulator.rate_limit(method="GET", path_pattern=r"^/v2/endpoint/emulator$", retry_after=7, times=1)
    http = client(emulator)
    limited = http.get("/v2/endpoint/emulator")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "7"
    assert http.get("/v2/endpoint/emulator").status_code == 200


def test_faults_suspended_restores_the_rules(emulator: Emulator) -> None:
    rule = emulator.add_fault(FaultRule(kind="status", status=500, times=None))
    with emulator.faults_suspended():
        assert client(emulator).get("/v2/endpoint/emulator").status_code == 200
    assert client(emulator).get("/v2/endpoint/emulator").status_code == 500
    emulator.remove_fault(rule)
    assert client(emulator).get("/v2/endpoint/emulator").status_code == 200


def test_the_request_log_keeps_no_token_and_no_control_plane_body(emulator: Emulator) -> None:
    url = running(emulator, "svc", type="public")
    body = payload("secretive")
    body["model"]["secrets"] = {"K": "value-never-logged"}
    client(emulator).post("/v2/endpoint/emulator", json=body)
    client(emulator).post(url + "/generate", json={"inputs": "hello"})
    log = emulator.requests
    assert all(r.headers.get("authorization") == "<redacted>" for r in log)
    assert all(r.identity == "emulator" for r in log)
    assert "hf_emulator" not in repr(log) and "value-never-logged" not in repr(log)
    (data_plane,) = emulator.requests_to("emulator", "svc")
    assert data_plane.json == {"inputs": "hello"} and data_plane.endpoint == "emulator/svc"


def test_admin_routes_on_a_served_emulator() -> None:
    emulator = Emulator(EmulatorConfig())
    with emulator.serve() as server, httpx.Client(base_url=server.url, headers=AUTH) as http:
        seeded = http.post("/__emulator/seed", json=recorded.load("hfhub-tests-running.json"))
        assert seeded.status_code == 200 and seeded.json() == {"seeded": ["emulator/my-endpoint-name"]}
        assert http.get("/v2/endpoint/emulator/my-endpoint-name").json()["type"] == "protected"
        rules = [{"kind": "status", "status": 503, "method": "GET", "times": 1}]
        assert http.post("/__emulator/faults", json=rules).json() == {"added": 1}
        assert http.get("/v2/endpoint/emulator").status_code == 503
        assert http.post("/__emulator/faults", content=b"not json").status_code == 400
        foreign = http.post(
            "/__emulator/seed?namespace=someone-else", json=recorded.load("hfhub-tests-failed.json")
        )
        assert foreign.status_code == 403
        assert http.post("/__emulator/seed", json=[{"name": "x"}]).status_code == 400
        assert httpx.post(server.url + "/__emulator/reset").status_code == 401  # a token is needed
        assert http.post("/__emulator/reset").status_code == 200
        assert http.get("/v2/endpoint/emulator").json()["items"] == []
    emulator.close()


def test_a_seed_file_in_the_config(tmp_path: Any) -> None:
    import json

    path = tmp_path / "seed.json"
    records = [recorded.load("hfhub-tests-running.json"), recorded.load("catalog-deploy-2025-03.json")]
    path.write_text(json.dumps({"namespace": "emulator-org", "endpoints": records}))
    emulator = Emulator(EmulatorConfig(seed_file=path))
    names = {e.name: e.namespace for e in emulator.endpoints()}
    assert names == {"my-endpoint-name": "emulator-org", "llama-3-2-3b-instruct-eey": "emulator-org"}
    listed = client(emulator).get("/v2/endpoint/emulator-org").json()["items"]
    assert {e["type"] for e in listed} == {"protected"}
