"""Fixtures of the API client's tests: a hostile loopback server and clients of it over real sockets."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from reconciler.api import client as api_client
from reconciler.api import retry
from reconciler.net import limits, transport
from tests.hostile.server import TOKEN, HostileServer

NO_WAIT = retry.RetryPolicy(attempts=4, sleep=lambda _: None)
BOUNDS = limits.Limits(deadline=2.0, max_body=2**20, max_pages=50)

MakeApi = Callable[..., api_client.EndpointsApi]


@pytest.fixture
def hostile() -> Iterator[HostileServer]:
    with HostileServer() as server:
        yield server


@pytest.fixture
def make_api(hostile: HostileServer) -> Iterator[MakeApi]:
    """``make_api(**kwargs)``: an ``EndpointsApi`` of the hostile server (bounded transport)."""
    made: list[api_client.EndpointsApi] = []

    def make(**kwargs: Any) -> api_client.EndpointsApi:
        kwargs.setdefault("policy", NO_WAIT)
        kwargs.setdefault("bounds", BOUNDS)
        http = transport.client(kwargs["bounds"], environ_proxies=False)
        api = api_client.EndpointsApi(http, hostile.url + "/v2", TOKEN, **kwargs)
        made.append(api)
        return api

    yield make
    for api in made:
        api.http.close()


def payload(name: str, **model: Any) -> dict[str, Any]:
    """A minimal valid create payload for the emulator."""
    return {
        "name": name,
        "type": "authenticated",
        "provider": {"vendor": "aws", "region": "us-east-1"},
        "compute": {
            "accelerator": "cpu",
            "instanceType": "intel-spr",
            "instanceSize": "x2",
            "scaling": {"minReplica": 1, "maxReplica": 1},
        },
        "model": {"repository": "gpt2", "framework": "pytorch", "image": {"huggingface": {}}, **model},
    }
