"""One bounded exchange against a hostile loopback server: deadline, stop, sizes, bombs, redirects.

Every case talks HTTP over a real socket to ``tests.hostile.server.HostileServer``; the bounds are
small (a 1 s deadline) so each case ends in about that long, and each asserts how long it took.
"""

from __future__ import annotations

import gzip
import threading
import time
import tracemalloc
import zlib
from collections.abc import Iterator
from typing import Any

import httpcore
import httpx
import pytest

from reconciler import errors as reconciler_errors
from reconciler.net import errors, limits, send, transport, urls
from tests.hostile.server import TOKEN, HostileServer, gzip_bomb

BOUNDS = limits.Limits(deadline=1.0, max_body=2**20)
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def hostile() -> Iterator[HostileServer]:
    with HostileServer() as server:
        yield server


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with transport.client(BOUNDS, environ_proxies=False) as client:
        yield client


def get(http: httpx.Client, url: str, **kwargs: Any) -> send.Reply:
    return send.send(http, "GET", url, bounds=kwargs.pop("bounds", BOUNDS), headers=AUTH, **kwargs)


def test_a_normal_answer_passes_through(hostile: HostileServer, http: httpx.Client) -> None:
    reply = get(http, hostile.url + "/v2/endpoint/emulator")
    assert reply.status == 200 and b'"items"' in reply.content


@pytest.mark.parametrize("attack", ["slow_headers", "slow_body"])
def test_a_one_byte_at_a_time_server_ends_at_the_deadline(
    hostile: HostileServer, http: httpx.Client, attack: str
) -> None:
    hostile.add("GET", "/v2/endpoint/.*", attack, interval=0.05)
    started = time.monotonic()
    with pytest.raises(errors.DeadlineExceeded, match="1 s request deadline"):
        get(http, hostile.url + "/v2/endpoint/emulator")
    assert 0.9 < time.monotonic() - started < 3.0  # 1 s deadline; the margin is for a loaded machine


def test_without_the_bounded_transport_slow_headers_outlive_the_deadline(hostile: HostileServer) -> None:
    """Why the transport exists: httpx's own timeout is per read, and each byte resets it."""
    hostile.add("GET", "/v2/endpoint/.*", "slow_headers", interval=0.05)
    with httpx.Client(timeout=1.0) as plain, pytest.raises(httpx.ReadTimeout):
        plain.get(hostile.url + "/v2/endpoint/emulator", timeout=httpx.Timeout(1.0, read=0.02))
    started = time.monotonic()
    done = threading.Event()

    def slow() -> None:
        with httpx.Client(timeout=1.0) as plain, pytest.raises(httpx.HTTPError):
            plain.get(hostile.url + "/v2/endpoint/emulator")
        done.set()

    threading.Thread(target=slow, daemon=True).start()
    assert not done.wait(2.5), "httpx alone ended the drip: the bounded transport would be pointless"
    hostile.closing.set()  # end the drip: the thread then ends too
    assert done.wait(5) and time.monotonic() - started >= 2.5


def test_a_stop_event_ends_a_slow_read_within_the_poll(hostile: HostileServer, http: httpx.Client) -> None:
    hostile.add("GET", "/v2/endpoint/.*", "slow_headers", interval=0.05)
    stop = threading.Event()
    hostile.set_when_seen(stop, "GET", "/v2/endpoint/emulator")
    started = time.monotonic()
    with pytest.raises(errors.Cancelled, match="shutting down"):
        get(http, hostile.url + "/v2/endpoint/emulator", bounds=limits.Limits(deadline=30.0), stop=stop)
    assert time.monotonic() - started < 2.0  # stopped once the drip began, poll 0.25 s (deadline: 30 s)
    assert hostile.requests("GET", "/v2/endpoint/emulator")  # the request was out: a slow read ended


def test_a_set_stop_event_sends_nothing(hostile: HostileServer, http: httpx.Client) -> None:
    stop = threading.Event()
    stop.set()
    with pytest.raises(errors.Cancelled):
        get(http, hostile.url + "/v2/endpoint/emulator", stop=stop)
    assert hostile.requests() == []


def test_a_gzip_bomb_stops_at_the_size_limit_with_bounded_memory(
    hostile: HostileServer, http: httpx.Client
) -> None:
    gzip_bomb()  # built before the clock starts
    hostile.add("GET", "/v2/endpoint/.*", "gzip_bomb")
    tracemalloc.start()
    try:
        with pytest.raises(errors.BodyTooLarge, match="1 MiB limit"):
            get(http, hostile.url + "/v2/endpoint/emulator")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 2**20, f"peak {peak / 2**20:.0f} MiB for a 1 MiB limit"


@pytest.mark.parametrize("attack", ["huge", "huge_declared"])
def test_a_huge_answer_stops_at_the_size_limit(
    hostile: HostileServer, http: httpx.Client, attack: str
) -> None:
    hostile.add("GET", "/v2/endpoint/.*", attack)
    with pytest.raises(errors.BodyTooLarge, match="1 MiB limit"):
        get(http, hostile.url + "/v2/endpoint/emulator")


@pytest.mark.parametrize(
    ("encoding", "data"),
    [
        ("gzip", gzip.compress(b'{"ok": 1}', mtime=0)),
        ("x-gzip", gzip.compress(b'{"ok": 1}', mtime=0)),
        ("deflate", zlib.compress(b'{"ok": 1}')),
        ("deflate", zlib.compress(b'{"ok": 1}')[2:-4]),  # raw deflate, as some servers send it
        ("identity", b'{"ok": 1}'),
    ],
)
def test_honest_compressed_answers_decode(
    hostile: HostileServer, http: httpx.Client, encoding: str, data: bytes
) -> None:
    hostile.add("GET", "/v2/x", "raw", status=200, body=data, headers={"Content-Encoding": encoding})
    assert get(http, hostile.url + "/v2/x").content == b'{"ok": 1}'


@pytest.mark.parametrize(
    ("encoding", "data", "message"),
    [
        ("br", b"\x0b\x02\x80{}\x03", "not one hfleet accepts"),
        ("gzip, gzip", gzip.compress(gzip.compress(b"{}", mtime=0), mtime=0), "not one hfleet accepts"),
        ("gzip", b"\x1f\x8b\x08\x00garbage-garbage", "corrupt"),
    ],
)
def test_unknown_or_corrupt_encodings_are_refused(
    hostile: HostileServer, http: httpx.Client, encoding: str, data: bytes, message: str
) -> None:
    hostile.add("GET", "/v2/x", "raw", status=200, body=data, headers={"Content-Encoding": encoding})
    with pytest.raises(errors.UndecodableBody, match=message):
        get(http, hostile.url + "/v2/x")


@pytest.mark.parametrize("status", [301, 302, 307, 308])
@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE"])
def test_no_redirect_crosses_origins(
    hostile: HostileServer, http: httpx.Client, status: int, method: str
) -> None:
    with HostileServer() as elsewhere:
        hostile.add(
            "*", "/v2/endpoint/emulator", "redirect", status=status, location=elsewhere.url + "/steal"
        )
        with pytest.raises(errors.RedirectRefused, match="another origin") as caught:
            send.send(
                http,
                method,
                hostile.url + "/v2/endpoint/emulator",
                bounds=BOUNDS,
                headers=AUTH,
                json={"secrets": {"K": "v"}} if method in ("POST", "PUT") else None,
            )
        assert caught.value.status == status
        assert elsewhere.requests() == []  # not the body, not the token, not even a GET


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_write_is_never_redirected_even_within_its_origin(
    hostile: HostileServer, http: httpx.Client, status: int
) -> None:
    hostile.add(
        "POST", "/v2/endpoint/emulator", "redirect", status=status, location="/v2/endpoint/emulator-org"
    )
    with pytest.raises(errors.RedirectRefused, match="never follows a redirect of a write"):
        send.send(
            http, "POST", hostile.url + "/v2/endpoint/emulator", bounds=BOUNDS, headers=AUTH, json={"a": 1}
        )
    assert [s.method for s in hostile.requests()] == ["POST"]  # sent once, never re-sent


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_read_follows_redirects_within_its_origin(
    hostile: HostileServer, http: httpx.Client, status: int
) -> None:
    hostile.add("GET", "/v2/old", "redirect", status=status, location="/v2/endpoint/emulator")
    reply = get(http, hostile.url + "/v2/old")
    assert reply.status == 200 and reply.url.endswith("/v2/endpoint/emulator")
    assert [s.headers.get("Authorization") for s in hostile.requests()] == [AUTH["Authorization"]] * 2


def test_a_redirect_loop_stops_at_the_limit(hostile: HostileServer, http: httpx.Client) -> None:
    hostile.add("GET", "/v2/loop", "redirect", status=302, location="/v2/loop")
    with pytest.raises(errors.RedirectRefused, match="more than 5 redirects"):
        get(http, hostile.url + "/v2/loop")
    assert len(hostile.requests()) == 6


def test_an_https_to_http_redirect_is_another_origin(hostile: HostileServer) -> None:
    request = httpx.Request("GET", "https://api.example.test/v2/x")
    response = httpx.Response(301, headers={"Location": "http://api.example.test/v2/x"}, request=request)
    with pytest.raises(errors.RedirectRefused, match="another origin"):
        send._next_hop(request, response, 0, BOUNDS)


class NoNetwork(httpcore.NetworkBackend):
    """A socket backend that records where it was asked to connect and never connects."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, int]] = []

    def connect_tcp(self, host: str, port: int, *args: Any, **kwargs: Any) -> httpcore.NetworkStream:
        self.asked.append((host, port))
        raise httpcore.ConnectError("no network in this test")


def test_plain_http_leaves_this_machine_only_when_allowed() -> None:
    backend = NoNetwork()
    with httpx.Client(transport=transport.BoundedTransport(backend=backend)) as http:
        with pytest.raises(urls.InsecureUrl, match="clear text"):
            get(http, "http://192.0.2.10/v2/endpoint/x")
        assert backend.asked == []
    with httpx.Client(
        transport=transport.BoundedTransport(backend=backend, allow_insecure_http=True)
    ) as http:
        with pytest.raises(httpx.ConnectError, match="no network"):
            get(http, "http://192.0.2.10/v2/endpoint/x")
        assert backend.asked == [("192.0.2.10", 80)]


def test_proxies_from_the_environment_are_used_except_for_loopback(hostile: HostileServer) -> None:
    proxied = transport.BoundedTransport(proxies={"http": hostile.url}, allow_insecure_http=True)
    with httpx.Client(transport=proxied) as http:
        hostile.add("GET", "/v2/through-the-proxy", "raw", status=200, body=b"{}")
        assert get(http, "http://api.example.test/v2/through-the-proxy").status == 200
        assert hostile.requests()[-1].headers.get("Host") == "api.example.test"
        assert get(http, hostile.url + "/v2/endpoint/emulator").status == 200  # loopback: direct


@pytest.mark.parametrize(
    ("host", "no_proxy", "bypassed"),
    [
        ("api.example.test", "", False),
        ("api.example.test", "*", True),
        ("api.example.test", "example.test", True),
        ("api.example.test", ".example.test", True),
        ("api.example.test", "other.test, example.test:443", True),
        ("notexample.test", "example.test", False),
    ],
)
def test_no_proxy_reads_like_curl(host: str, no_proxy: str, bypassed: bool) -> None:
    assert transport._bypassed(host, no_proxy) is bypassed


def test_limits_come_from_the_environment_and_are_checked() -> None:
    assert limits.Limits.from_env({}) == limits.Limits()
    read = limits.Limits.from_env({"HFLEET_HTTP_DEADLINE": "2.5", "HFLEET_HTTP_MAX_PAGES": "7"})
    assert (read.deadline, read.max_pages) == (2.5, 7)
    with pytest.raises(reconciler_errors.ReconcilerError, match="not a number"):
        limits.Limits.from_env({"HFLEET_HTTP_MAX_BODY": "lots"})
    for bad in ({"deadline": 0.0}, {"deadline": float("nan")}, {"max_pages": 0}, {"max_redirects": -1}):
        with pytest.raises(reconciler_errors.ReconcilerError):
            limits.Limits(**bad)  # type: ignore[arg-type]
