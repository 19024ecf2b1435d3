"""The API client against a hostile server on loopback: pagination, page size, refusals, cancellation.

Every case goes over a real socket through ``reconciler.net.transport`` to the emulator behind
``tests.hostile.server.HostileServer``, with attacks on the routes under test.
"""

from __future__ import annotations

import threading
import time

import pytest

from reconciler import logs, metrics
from reconciler.api import client as api_client
from reconciler.api import errors
from reconciler.errors import ReconcilerError
from reconciler.net import limits
from tests.api.conftest import BOUNDS, MakeApi, payload
from tests.hostile.server import HostileServer

LIST = "/v2/endpoint/emulator"


def seed(api: api_client.EndpointsApi, count: int) -> None:
    for i in range(count):
        api.create("emulator", payload(f"ep-{i:03d}"))


def list_queries(hostile: HostileServer) -> list[dict[str, list[str]]]:
    return [s.query for s in hostile.requests("GET", LIST)]


def test_a_server_that_refuses_large_pages_gets_its_documented_default(
    hostile: HostileServer, make_api: MakeApi
) -> None:
    api = make_api()
    seed(api, 45)
    hostile.add("GET", LIST, "refuse_limit", maximum=20)
    names = [e["name"] for e in api.iter_endpoints("emulator")]
    assert names == [f"ep-{i:03d}" for i in range(45)]
    assert api.page_limit_refused
    queries = list_queries(hostile)
    assert queries[0]["limit"] == ["100"]  # asked once for the large page ...
    assert all("limit" not in q for q in queries[1:])  # ... then the documented default (20 a page)
    assert len(queries) == 1 + 3
    hostile.seen.clear()
    assert len(api.list_endpoints("emulator")) == 45  # remembered for the client's life
    assert all("limit" not in q for q in list_queries(hostile))


def test_other_errors_of_a_list_are_not_taken_for_a_refused_page_size(
    hostile: HostileServer, make_api: MakeApi
) -> None:
    hostile.add("GET", LIST, "json", status=403, body={"error": "not your namespace"})
    with pytest.raises(errors.Forbidden):
        make_api().list_endpoints("emulator")
    hostile.add("GET", LIST, "json", times=1, status=422, body={"error": "bad tags"})
    api = make_api()
    with pytest.raises(errors.Forbidden):  # the 422 made it drop the limit; the 403 still stands
        api.list_endpoints("emulator", tags=["x"])


def test_endless_new_cursors_end_at_the_page_limit(hostile: HostileServer, make_api: MakeApi) -> None:
    hostile.add("GET", LIST, "endless_cursor")
    with pytest.raises(errors.TooManyPages, match="more than 50 pages"):
        make_api().list_endpoints("emulator")
    assert len(hostile.requests("GET", LIST)) == BOUNDS.max_pages


def test_a_repeated_cursor_is_an_error_not_a_truncated_list(
    hostile: HostileServer, make_api: MakeApi
) -> None:
    hostile.add("GET", LIST, "repeating_cursor", cycle=2)
    with pytest.raises(errors.RepeatedCursor, match="repeats an earlier cursor"):
        make_api().list_endpoints("emulator")
    assert len(hostile.requests("GET", LIST)) == 3


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "is a JSON list"),
        (None, "is a JSON NoneType"),
        ({"items": "ep-a"}, "'items' of type str"),
        ({"items": {"name": "x"}}, "'items' of type dict"),
        ({"items": [], "nextCursor": 5}, "'nextCursor' of type int"),
        ({"items": [], "nextCursor": "c" * 5000}, "5000 characters"),
    ],
)
def test_a_malformed_page_is_refused_once_with_the_reason(
    hostile: HostileServer, make_api: MakeApi, body: object, message: str
) -> None:
    hostile.add("GET", LIST, "json", body=body)
    with pytest.raises(errors.UnexpectedResponse, match=message):
        make_api().list_endpoints("emulator")
    assert len(hostile.requests("GET", LIST)) == 1


def test_an_object_route_answering_a_list_is_refused(hostile: HostileServer, make_api: MakeApi) -> None:
    hostile.add("GET", "/v2/endpoint/emulator/x", "json", body=["not", "an", "object"])
    with pytest.raises(errors.UnexpectedResponse, match="expected a JSON object, got list"):
        make_api().get("emulator", "x")


def test_json_nested_beyond_reason_is_invalid_json_not_a_crash(
    hostile: HostileServer, make_api: MakeApi
) -> None:
    hostile.add("GET", "/v2/endpoint/emulator/x", "raw", body=b"[" * 200_000)
    with pytest.raises(errors.ApiServerError, match="invalid JSON"):
        make_api().get("emulator", "x")


@pytest.mark.parametrize("attack", ["slow_headers", "slow_body"])
def test_a_deadline_is_not_retried(hostile: HostileServer, make_api: MakeApi, attack: str) -> None:
    hostile.add("GET", LIST, attack, interval=0.05)
    started = time.monotonic()
    with pytest.raises(errors.DeadlineExceeded, match="2 s request deadline"):
        make_api().list_endpoints("emulator")
    assert time.monotonic() - started < 5.0 and len(hostile.requests("GET", LIST)) == 1


@pytest.mark.parametrize("attack", ["gzip_bomb", "huge"])
def test_oversized_answers_are_refused_once(hostile: HostileServer, make_api: MakeApi, attack: str) -> None:
    hostile.add("GET", LIST, attack)
    with pytest.raises(errors.ResponseTooLarge, match="1 MiB limit"):
        make_api().list_endpoints("emulator")
    assert len(hostile.requests("GET", LIST)) == 1


def test_a_create_redirected_elsewhere_sends_its_secrets_nowhere(
    hostile: HostileServer, make_api: MakeApi
) -> None:
    with HostileServer() as elsewhere:
        hostile.add("POST", LIST, "redirect", status=307, location=elsewhere.url + LIST)
        with pytest.raises(errors.RedirectRefused, match="another origin"):
            make_api().create("emulator", payload("ep-a", secrets={"API_KEY": "s3cr3t-value-0001"}))
        assert elsewhere.requests() == []
    assert len(hostile.requests("POST", LIST)) == 1
    assert hostile.emulator.store.all() == []


def test_a_retry_after_of_an_hour_fails_at_once_saying_why(hostile: HostileServer, make_api: MakeApi) -> None:
    hostile.add("GET", LIST, "rate_limited", retry_after="3600")
    slept: list[float] = []
    api = make_api(policy=api_client.retry.RetryPolicy(sleep=slept.append))
    with pytest.raises(errors.RateLimited, match="3600 s, longer than hfleet waits"):
        api.list_endpoints("emulator")
    assert slept == [] and len(hostile.requests("GET", LIST)) == 1


def test_a_short_retry_after_is_honoured(hostile: HostileServer, make_api: MakeApi) -> None:
    hostile.add("GET", LIST, "rate_limited", times=2, retry_after="7")
    slept: list[float] = []
    api = make_api(policy=api_client.retry.RetryPolicy(sleep=slept.append))
    assert api.list_endpoints("emulator") == []
    assert slept == [7.0, 7.0]


def test_the_retry_policy_read_from_the_environment() -> None:
    RetryPolicy = api_client.retry.RetryPolicy
    read = RetryPolicy.from_env({"HFLEET_RETRY_ATTEMPTS": "2", "HFLEET_RETRY_BASE": "0", "OTHER": "x"})
    assert read == RetryPolicy(attempts=2, base=0.0)
    assert RetryPolicy.from_env({"HFLEET_RETRY_BUDGET": " "}) == RetryPolicy()
    assert read.wait_for(3, errors.ApiServerError(503, "GET", "u", "")) == 0.0  # base 0: at once
    with pytest.raises(ReconcilerError, match="HFLEET_RETRY_CAP='soon' is not a number"):
        RetryPolicy.from_env({"HFLEET_RETRY_CAP": "soon"})
    with pytest.raises(ReconcilerError, match="at least 1"):
        RetryPolicy.from_env({"HFLEET_RETRY_ATTEMPTS": "0"})
    with pytest.raises(ReconcilerError, match="budget"):
        RetryPolicy(budget=float("nan"))


def test_stop_ends_a_retry_after_wait_at_once(hostile: HostileServer, make_api: MakeApi) -> None:
    hostile.add("GET", LIST, "rate_limited", retry_after="30")
    stop = threading.Event()
    api = make_api(policy=api_client.retry.RetryPolicy(), stop=stop)
    hostile.set_when_seen(stop, "GET", LIST)
    started = time.monotonic()
    with pytest.raises(errors.Cancelled, match="shutting down"):
        api.list_endpoints("emulator")
    assert time.monotonic() - started < 2.0  # stopped once the 429 was served; the wait was 30 s
    assert len(hostile.requests("GET", LIST)) == 1


def test_stop_ends_a_slow_read(hostile: HostileServer, make_api: MakeApi) -> None:
    hostile.add("GET", LIST, "slow_body", interval=0.05)
    stop = threading.Event()
    api = make_api(bounds=limits.Limits(deadline=30.0), stop=stop)
    hostile.set_when_seen(stop, "GET", LIST)
    started = time.monotonic()
    with pytest.raises(errors.Cancelled):
        api.list_endpoints("emulator")
    assert time.monotonic() - started < 2.0  # stopped once the drip began; the deadline was 30 s
    assert len(hostile.requests("GET", LIST)) == 1


@pytest.mark.parametrize("name", ["", ".", "..", " x", "ep-a\n"])
def test_names_that_would_address_another_route_are_never_sent(
    hostile: HostileServer, make_api: MakeApi, name: str
) -> None:
    api = make_api()
    for call in (api.delete, api.get, api.pause):
        with pytest.raises(api_client.UnsafeName, match="request path"):
            call("emulator", name)
        with pytest.raises(api_client.UnsafeName):
            call(name, "ep-a")
    with pytest.raises(api_client.UnsafeName):
        api.list_endpoints(name)
    assert hostile.requests() == []


def test_a_slash_in_a_name_stays_inside_its_segment(hostile: HostileServer, make_api: MakeApi) -> None:
    with pytest.raises(errors.NotFound):
        make_api().delete("emulator", "a/b")
    assert [s.path for s in hostile.requests()] == ["/v2/endpoint/emulator/a%2Fb"]


def test_every_attempt_is_timed_in_the_latency_histogram(hostile: HostileServer, make_api: MakeApi) -> None:
    def count() -> float:
        value = metrics.REGISTRY.get_sample_value(
            "hfleet_api_request_duration_seconds_count",
            {"method": "GET", "route": "/endpoint/{ns}", "status": "200"},
        )
        return value or 0.0

    before = count()
    make_api().list_endpoints("emulator")
    assert count() == before + 1


def test_error_bodies_are_redacted_before_they_are_cut_and_never_reach_a_terminal_raw(
    hostile: HostileServer, make_api: MakeApi
) -> None:
    secret = "s3cr3t-" + "x" * 400
    logs.register_secret(secret)  # as the engine does when it resolves a spec's secrets
    padding = "p" * 200
    hostile.add("POST", LIST, "json", status=400, body={"error": f"{padding} \x1b[2J{secret}"})
    with pytest.raises(errors.BadRequest) as caught:
        make_api().create("emulator", payload("ep-a", secrets={"K": secret}))
    error = caught.value
    for text in (str(error), error.body, error.detail):
        assert secret[:8] not in text and "\x1b" not in text
    assert "\\x1b[2J***" in error.detail and len(error.body) <= errors.BODY_LIMIT
