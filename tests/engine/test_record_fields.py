"""Values from the API that reach a request carrying the token are checked at the boundary: the
top-level ``healthRoute`` a smoke test calls (a review found it read raw, unchecked)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from reconciler.wire import record
from tests.emulator import recorded


def with_route(route: Any) -> dict[str, Any]:
    raw = copy.deepcopy(recorded.load("hfhub-tests-running.json"))
    raw["healthRoute"] = route
    return raw


def test_the_recorded_health_route_is_kept() -> None:
    assert record.parse("acme", recorded.load("hfhub-tests-running.json")).health_route == "/health"


@pytest.mark.parametrize("route", ["health", "http://evil.test/x", "//evil.test/x", "/a\x1b[2J", "/a\nb", ""])
def test_a_route_that_is_not_a_plain_path_falls_back_to_the_default(route: str) -> None:
    assert record.parse("acme", with_route(route)).health_route is None


@pytest.mark.parametrize("route", [5, ["/health"], "/" + "x" * 5000])
def test_a_route_of_the_wrong_type_or_size_makes_the_endpoint_malformed(route: Any) -> None:
    with pytest.raises(record.MalformedRecord, match="healthRoute"):
        record.parse("acme", with_route(route))
