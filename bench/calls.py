"""Counting API calls on the client side, by route, with httpx event hooks.

Every request that leaves the client (retries included) goes through the ``request`` hook; every
answer through the ``response`` hook. Routes are templated (``/v2/endpoint/{ns}/{name}``) so counts
stay small. Works for hfleet's ``httpx.Client`` and for huggingface_hub's ``httpx2.Client`` (same API).
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from typing import Any

__all__ = ["CallCounter", "route_of"]

_NAME = re.compile(r"^(/v2/endpoint/[^/]+)/[^/]+")
_NS = re.compile(r"^/v2/(endpoint|provider)/[^/{]+")


def route_of(method: str, path: str) -> str:
    """``GET /v2/endpoint/emulator/bench-00001`` → ``GET /v2/endpoint/{ns}/{name}``."""
    path = path.split("?", 1)[0]
    path = _NAME.sub(r"\1/{name}", path)
    path = _NS.sub(r"/v2/\1/{ns}", path)
    return f"{method} {path}"


class CallCounter:
    """Thread-safe counts of requests by route and of responses by route and status."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: Counter[str] = Counter()
        self.responses: Counter[str] = Counter()

    def on_request(self, request: Any) -> None:
        route = route_of(request.method, request.url.path)
        with self.lock:
            self.requests[route] += 1

    def on_response(self, response: Any) -> None:
        request = response.request
        route = route_of(request.method, request.url.path)
        with self.lock:
            self.responses[f"{route} {response.status_code}"] += 1

    def install(self, client: Any) -> None:
        hooks = dict(client.event_hooks)
        hooks["request"] = [*hooks.get("request", []), self.on_request]
        hooks["response"] = [*hooks.get("response", []), self.on_response]
        client.event_hooks = hooks

    def total(self) -> int:
        with self.lock:
            return sum(self.requests.values())

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "total": sum(self.requests.values()),
                "by_route": dict(sorted(self.requests.items())),
                "by_status": dict(sorted(self.responses.items())),
            }

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.responses.clear()
