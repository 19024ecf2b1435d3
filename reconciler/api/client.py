"""A small, typed client of the Inference Endpoints API (v2) on httpx, with retries.

Owns: one method per route (list with pagination, get, create, update, delete, pause, resume,
scale-to-zero, hardware, whoami), the Bearer token, retries (``reconciler.api.retry``) and metrics.
Called by: ``reconciler.engine.live`` (reads) and ``reconciler.engine.apply`` (writes).
Must not: decide anything; it returns the API's JSON (``dict``) and raises ``reconciler.api.errors``.

The ``httpx.Client`` is injected, so tests and ``--emulator`` mount the emulator in-process through
its transport, and everything else goes over real sockets. The client is thread-safe: the apply
phase calls it from a bounded thread pool (``--parallelism``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx

from reconciler import logs, metrics
from reconciler.api import errors, retry

__all__ = ["DEFAULT_PAGE_SIZE", "EndpointsApi"]

DEFAULT_PAGE_SIZE = 100
_ROUTE_RE = re.compile(r"/endpoint/[^/]+/[^/]+")
log = logs.get_logger(__name__)


def _route(path: str) -> str:
    """A low-cardinality label for metrics: names replaced by placeholders."""
    path = _ROUTE_RE.sub("/endpoint/{ns}/{name}", path)
    return re.sub(r"^/(endpoint|provider)/[^/{]+$", r"/\1/{ns}", path)


class EndpointsApi:
    """The Inference Endpoints API at ``base_url`` (e.g. ``https://api.endpoints.huggingface.cloud/v2``)."""

    def __init__(
        self,
        http: httpx.Client,
        base_url: str,
        token: str | None,
        policy: retry.RetryPolicy | None = None,
        hub_url: str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> None:
        self.page_size = page_size
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.hub_url = (hub_url or _hub_from(self.base_url)).rstrip("/")
        self.policy = policy or retry.RetryPolicy()
        self._headers = {"Accept": "application/json", "User-Agent": "hfleet"}
        if token:
            self._headers["Authorization"] = f"Bearer {token}"
            logs.register_secret(token)

    # --- plumbing -------------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        base: str | None = None,
        idempotent: bool = True,
    ) -> Any:
        url = (base or self.base_url) + path

        def once() -> Any:
            headers = dict(self._headers)
            if json is not None:
                headers["Content-Type"] = "application/json"
            try:
                response = self.http.request(method, url, json=json, params=params, headers=headers)
            except httpx.TransportError as exc:
                metrics.API_REQUESTS.labels(method, _route(path), "transport").inc()
                raise errors.from_transport(exc, method, url) from exc
            metrics.API_REQUESTS.labels(method, _route(path), str(response.status_code)).inc()
            errors.check_response(response)
            if not response.content:
                return {}
            try:
                return response.json()
            except ValueError as exc:
                raise errors.ApiServerError(
                    response.status_code, method, url, response.text, "the API answered with invalid JSON"
                ) from exc

        return retry.call(once, self.policy, what=f"{method} {path}")

    @staticmethod
    def _ep(namespace: str, name: str) -> str:
        return f"/endpoint/{quote(namespace, safe='')}/{quote(name, safe='')}"

    # --- reads ----------------------------------------------------------------------------------

    def whoami(self) -> dict[str, Any]:
        """``GET {hub}/api/whoami-v2``: the token's user and organizations."""
        result: dict[str, Any] = self._call("GET", "/api/whoami-v2", base=self.hub_url)
        return result

    def iter_endpoints(
        self, namespace: str, *, page_size: int | None = None, tags: list[str] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every endpoint of ``namespace``, following ``nextCursor`` to the last page."""
        cursor: str | None = None
        seen: set[str] = set()
        while True:
            params: dict[str, Any] = {"limit": page_size or self.page_size}
            if cursor:
                params["cursor"] = cursor
            if tags:
                params["tags"] = ",".join(tags)
            page = self._call("GET", f"/endpoint/{quote(namespace, safe='')}", params=params)
            yield from page.get("items") or []
            cursor = page.get("nextCursor")
            if not cursor or cursor in seen:  # a cursor seen twice would loop forever
                return
            seen.add(cursor)

    def list_endpoints(self, namespace: str, **kwargs: Any) -> list[dict[str, Any]]:
        return list(self.iter_endpoints(namespace, **kwargs))

    def get(self, namespace: str, name: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", self._ep(namespace, name))
        return result

    def hardware(self, namespace: str | None = None) -> dict[str, Any]:
        """``GET /provider[/{namespace}]``: vendors, regions and computes with prices and quotas."""
        path = "/provider" if namespace is None else f"/provider/{quote(namespace, safe='')}"
        result: dict[str, Any] = self._call("GET", path)
        return result

    # --- writes ---------------------------------------------------------------------------------

    def create(self, namespace: str, payload: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", f"/endpoint/{quote(namespace, safe='')}", json=payload)
        return result

    def update(self, namespace: str, name: str, payload: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self._call("PUT", self._ep(namespace, name), json=payload)
        return result

    def delete(self, namespace: str, name: str) -> None:
        self._call("DELETE", self._ep(namespace, name))

    def pause(self, namespace: str, name: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", self._ep(namespace, name) + "/pause")
        return result

    def resume(self, namespace: str, name: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", self._ep(namespace, name) + "/resume")
        return result

    def scale_to_zero(self, namespace: str, name: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", self._ep(namespace, name) + "/scale-to-zero")
        return result


def _hub_from(base_url: str) -> str:
    """The Hub for whoami: the real Hub for the real API, the same host for an emulator."""
    if "api.endpoints.huggingface.cloud" in base_url:
        return "https://huggingface.co"
    return re.sub(r"/v2/?$", "", base_url)
