"""Every error path of the client over real HTTP, and the classification of failed answers."""

from __future__ import annotations

import socket
import time

import pytest
import structlog

from reconciler.emulator import Durations, EmulatorConfig
from reconciler.errors import ReconcilerError
from reconciler.inference import InferenceClient, errors
from tests.conftest import FakeClock
from tests.inference.conftest import Cloud, Endpoint, FakeTime, served


def text(url: str, **kw: object) -> str:
    with InferenceClient(url, **kw) as client:  # type: ignore[arg-type]
        return client.text_generation("Hi", max_new_tokens=2)


def statuses(endpoint: Endpoint) -> list[int]:
    return [r.status for r in endpoint.requests()]


@pytest.mark.parametrize("given", [None, "hf_wrongtoken000000"])
def test_401_is_an_auth_error_without_the_token(cloud: Cloud, given: str | None) -> None:
    endpoint = cloud.add(type="authenticated")
    with pytest.raises(errors.InferenceAuthError) as caught:
        text(endpoint.url, token=given, timeout=5)
    assert caught.value.status == 401 and "Bearer" in caught.value.body
    assert given is None or given not in str(caught.value)
    assert statuses(endpoint) == [401]  # not retried


def test_health_raises_on_401(cloud: Cloud) -> None:
    with (
        InferenceClient(cloud.add(type="private").url, timeout=5) as client,
        pytest.raises(errors.InferenceAuthError),
    ):
        client.health()


def test_paused_is_named_and_not_retried(cloud: Cloud) -> None:
    endpoint = cloud.add(state="paused")
    with pytest.raises(errors.EndpointPausedError) as caught:
        text(endpoint.url, timeout=5)
    assert "is paused" in str(caught.value) and "resume" in str(caught.value)
    assert isinstance(caught.value, errors.EndpointNotReadyError)
    assert isinstance(caught.value, ReconcilerError)
    assert statuses(endpoint) == [503]


def test_failed_is_named_and_not_retried(cloud: Cloud) -> None:
    endpoint = cloud.add(state="failed")
    with pytest.raises(errors.EndpointFailedError, match="has failed"):
        text(endpoint.url, timeout=5)
    assert statuses(endpoint) == [503]


def test_starting_is_retried_until_it_runs(cloud: Cloud, token: str, fake_time: FakeTime) -> None:
    endpoint = cloud.add(type="authenticated")
    endpoint.starting(times=3)
    with structlog.testing.capture_logs() as events:
        assert text(endpoint.url, token=token, timeout=5, sleep=fake_time.sleep, clock=fake_time.clock)
    assert statuses(endpoint) == [503, 503, 503, 200]
    assert fake_time.slept == [0.1, 0.2, 0.5]  # tenacity waited BACKOFF's steps, on the injected sleep
    retries = [e for e in events if e["event"] == "inference.retry"]
    assert [(e["attempt"], e["delay"], e["reason"]) for e in retries] == [
        (1, 0.1, "EndpointStartingError"),
        (2, 0.2, "EndpointStartingError"),
        (3, 0.5, "EndpointStartingError"),
    ]
    assert token not in repr(events)


def test_a_starting_endpoint_is_waited_for_through_the_state_machine(clock: FakeClock) -> None:
    """No scripted answer: the emulator's endpoint initializes for 2.5 s of the shared fake clock, its
    proxy answers 503 with ``Retry-After: 1`` meanwhile, and each of the client's waits moves that
    clock, so the third retry finds it running."""
    config = EmulatorConfig(durations=Durations(initializing=2.5))
    with served(config, clock) as slow_cloud:
        endpoint = slow_cloud.add()
        assert endpoint.state == "initializing"
        waits = FakeTime(clock)
        assert text(endpoint.url, timeout=10, sleep=waits.sleep, clock=waits.clock)
        assert waits.slept == [1.0, 1.0, 1.0] and endpoint.state == "running"
        assert statuses(endpoint) == [503, 503, 503, 200]


def test_starting_beyond_the_timeout_says_so(cloud: Cloud, fake_time: FakeTime) -> None:
    endpoint = cloud.add()
    endpoint.starting(times=None)
    with pytest.raises(errors.EndpointStartingError, match="still starting") as caught:
        text(endpoint.url, timeout=0.6, sleep=fake_time.sleep, clock=fake_time.clock)
    # 0.1 + 0.2 spent; the next wait (0.5) would end past the 0.6 s budget, so it stops there
    assert fake_time.slept == [0.1, 0.2] and statuses(endpoint) == [503] * 3
    assert "gave up after 0.3 s" in str(caught.value) and caught.value.status == 503


def test_without_a_timeout_nothing_is_retried(cloud: Cloud, fake_time: FakeTime) -> None:
    endpoint = cloud.add(state="initializing")  # the emulator's own gate: 503 with Retry-After
    with pytest.raises(errors.EndpointStartingError):
        text(endpoint.url, sleep=fake_time.sleep, clock=fake_time.clock)
    assert statuses(endpoint) == [503] and fake_time.slept == []


def test_retry_after_is_honoured(cloud: Cloud, fake_time: FakeTime) -> None:
    endpoint = cloud.add()
    endpoint.starting(times=1, retry_after=1.5)
    assert text(endpoint.url, timeout=5, sleep=fake_time.sleep, clock=fake_time.clock)
    assert fake_time.slept == [1.5]  # the server's hint, not BACKOFF's 0.1
    assert statuses(endpoint) == [503, 200]


def test_retry_after_as_an_http_date_is_honoured(cloud: Cloud, fake_time: FakeTime) -> None:
    endpoint = cloud.add()
    endpoint.starting(times=1, retry_after="Thu, 01 Jan 1970 00:00:00 GMT")  # in the past: at once
    assert text(endpoint.url, timeout=5, sleep=fake_time.sleep, clock=fake_time.clock)
    assert fake_time.slept == [0.0] and statuses(endpoint) == [503, 200]


def test_retry_after_beyond_the_budget_gives_up_at_once(cloud: Cloud, fake_time: FakeTime) -> None:
    endpoint = cloud.add()
    endpoint.starting(times=None, retry_after=120)
    with pytest.raises(errors.EndpointStartingError) as caught:
        text(endpoint.url, timeout=2, sleep=fake_time.sleep, clock=fake_time.clock)
    assert fake_time.slept == [] and statuses(endpoint) == [503]
    assert caught.value.retry_after == 120.0


def test_scaled_to_zero_is_woken_by_the_header_in_one_request(cloud: Cloud) -> None:
    endpoint = cloud.add(state="scaledToZero")
    assert text(endpoint.url, timeout=5)
    (request,) = endpoint.requests()
    assert request.status == 200 and request.headers["x-scale-up-timeout"] == "5"
    assert endpoint.state == "running"


def test_scaled_to_zero_without_the_header_is_classified_then_retried(
    cloud: Cloud, fake_time: FakeTime
) -> None:
    endpoint = cloud.add(state="scaledToZero")
    with structlog.testing.capture_logs() as events:
        assert text(
            endpoint.url, timeout=5, scale_up_timeout=False, sleep=fake_time.sleep, clock=fake_time.clock
        )
    # 503 "scaled to zero" (the request starts a replica; Retry-After: 1), then the replica answers
    assert statuses(endpoint) == [503, 200] and fake_time.slept == [1.0]
    assert [e["reason"] for e in events if e["event"] == "inference.retry"] == ["EndpointScaledToZeroError"]
    other = cloud.add(state="scaledToZero")
    with pytest.raises(errors.EndpointScaledToZeroError, match="scaled to zero") as caught:
        text(other.url, scale_up_timeout=False)  # no timeout: no retry, the first answer is raised
    assert "X-Scale-Up-Timeout" in str(caught.value) and statuses(other) == [503]


def test_slow_answer_times_out(cloud: Cloud) -> None:
    endpoint = cloud.add()
    endpoint.slow(5.0)  # far beyond the timeout, so a loaded machine cannot blur the two
    started = time.monotonic()
    with pytest.raises(errors.InferenceTimeoutError, match=r"within 0\.3 s"):
        text(endpoint.url, timeout=0.3)
    assert time.monotonic() - started < 4.0


def test_unreachable_endpoint_is_a_connection_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(errors.InferenceConnectionError, match="cannot reach"):
        text(f"http://127.0.0.1:{port}/e/x", timeout=2)


def test_a_422_is_a_validation_error_as_in_huggingface_hub(cloud: Cloud) -> None:
    with (
        InferenceClient(cloud.add().url, timeout=5) as client,
        pytest.raises(errors.ValidationError) as caught,
    ):
        client.text_generation("Hi", max_new_tokens=0)
    assert caught.value.status == 422 and "max_new_tokens" in caught.value.body
    assert isinstance(caught.value, errors.TextGenerationError | errors.InferenceHTTPError)
    assert len(caught.value.body) <= errors.BODY_LIMIT


def test_unknown_route_is_404(cloud: Cloud) -> None:
    with InferenceClient(cloud.add(image_variant="vLLM").url, timeout=5) as client:
        with pytest.raises(errors.InferenceHTTPError) as caught:
            client.text_generation("Hi")  # vLLM serves no TGI root route
        assert caught.value.status == 404


def test_non_json_success_is_a_response_error(cloud: Cloud) -> None:
    with InferenceClient(cloud.add().url, timeout=5) as client, pytest.raises(errors.InferenceResponseError):
        client.feature_extraction("x")  # a text-generation endpoint answers a generation, not vectors


def test_a_stream_answered_with_plain_json_is_a_response_error(cloud: Cloud) -> None:
    client = InferenceClient(cloud.add(task="fill-mask").url, timeout=5)
    with client, pytest.raises(errors.InferenceResponseError, match="for a stream"):
        list(client.text_generation("Hi", stream=True))  # the echo answers JSON, not events


# ------------------------------------------------------------------------------- classification


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (503, '{"error": "Endpoint is scaled to zero"}', errors.EndpointScaledToZeroError),
        (503, '{"error": "Service Unavailable", "state": "scaledToZero"}', errors.EndpointScaledToZeroError),
        (503, '{"error": "x", "state": "initializing"}', errors.EndpointStartingError),
        (503, "Endpoint is updating, please retry", errors.EndpointStartingError),
        (503, '{"error": "Model is currently loading"}', errors.EndpointStartingError),
        (503, '{"error": "Endpoint failed to start", "state": "failed"}', errors.EndpointFailedError),
        (503, '{"state": "updateFailed"}', errors.EndpointFailedError),
        (503, '{"error": "endpoint is paused"}', errors.EndpointPausedError),
        (503, "", errors.EndpointNotReadyError),
        (
            400,
            "Bad Request: The endpoint is paused, ask a maintainer to restart it",
            errors.EndpointPausedError,
        ),
        (502, "<html>paused</html>", errors.EndpointPausedError),
        (
            400,
            '{"error": "Input validation error: failed", "error_type": "validation"}',
            errors.ValidationError,
        ),
        (422, '{"error": "Input validation error: `top_p` must be > 0.0"}', errors.ValidationError),
        (422, '{"error": "Input validation error", "error_type": "Validation"}', errors.ValidationError),
        (429, '{"error": "Model is overloaded", "error_type": "overloaded"}', errors.OverloadedError),
        (429, "Too Many Requests", errors.OverloadedError),
        (
            424,
            '{"error": "Request failed during generation", "error_type": "generation"}',
            errors.GenerationError,
        ),
        (
            500,
            '{"error": "Incomplete generation", "error_type": "incomplete_generation"}',
            errors.IncompleteGenerationError,
        ),
        (500, '{"error": "odd", "error_type": "tokenizer"}', errors.TextGenerationError),
        (400, "Bad Request: inputs must be a string", errors.BadRequestError),
        (401, "", errors.InferenceAuthError),
        (403, "", errors.InferenceAuthError),
        (500, '{"error": "boom"}', errors.InferenceHTTPError),
    ],
)
def test_from_response_classifies(status: int, body: str, expected: type[errors.InferenceHTTPError]) -> None:
    error = errors.from_response(status=status, body=body, method="POST", url="http://h/e/x", token=None)
    assert type(error) is expected


def test_from_response_cuts_the_body_and_scrubs_the_token() -> None:
    token = "hf_secretsecretsecret"
    error = errors.from_response(
        status=500, body=f"echo {token} " + "x" * 1000, method="POST", url="http://h/e/x", token=token
    )
    assert token not in str(error) and token not in error.body and len(error.body) <= errors.BODY_LIMIT


def test_a_timeout_is_a_builtin_timeout_error_and_a_bad_request_a_value_error() -> None:
    """``except TimeoutError`` / ``except ValueError`` written for huggingface_hub keep working."""
    assert issubclass(errors.InferenceTimeoutError, TimeoutError)
    assert issubclass(errors.InferenceTimeoutError, ReconcilerError)
    assert str(errors.InferenceTimeoutError("no answer")) == "no answer"
    assert issubclass(errors.BadRequestError, ValueError)
    assert issubclass(errors.BadRequestError, errors.InferenceHTTPError)


@pytest.mark.parametrize(("header", "seconds"), [("7", 7.0), ("-3", 0.0), ("soon", None), (None, None)])
def test_retry_after_is_read_by_the_shared_parser(header: str | None, seconds: float | None) -> None:
    headers = {} if header is None else {"retry-after": header}
    error = errors.from_response(
        status=503, body="starting", method="GET", url="http://h/e/x", token=None, headers=headers
    )
    assert error.retry_after == seconds
