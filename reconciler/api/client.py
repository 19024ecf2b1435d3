"""A small, typed client of the Inference Endpoints API (v2) on httpx, with retries and bounds.

Owns: one method per route (list with pagination, get, create, update, delete, pause, resume,
scale-to-zero, hardware, whoami), the Bearer token, retries (``reconciler.api.retry``), the bounds
of every call (``reconciler.net.send``: deadline, size, redirects; page count and cursor loops
here) and the API metrics. Called by: ``reconciler.engine.live`` (reads) and
``reconciler.engine.apply`` (writes). Must not: decide anything; it returns the API's JSON objects
and raises ``reconciler.api.errors``.

The ``httpx.Client`` is injected, so tests and ``--emulator`` mount the emulator in-process through
its transport; real sockets should go through ``reconciler.net.transport.client`` (a deadline on
every socket wait, plain http only to loopback). The client is thread-safe: the apply phase calls
it from a bounded thread pool (``--parallelism``). A ``stop`` event (set on SIGTERM) ends any
retry wait at once and any read within ``Limits.poll`` seconds, with ``errors.Cancelled``.
"""

from __future__ import annotations

import hashlib
import json as json_mod
import re
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx

from reconciler import logs, metrics
from reconciler.api import errors, retry
from reconciler.net import errors as net_errors
from reconciler.net import limits as net_limits
from reconciler.net import send as net_send

__all__ = ["DEFAULT_PAGE_SIZE", "MAX_CURSOR", "EndpointsApi", "UnsafeName"]

# The page size asked for. No document guarantees it (the documented default is 20, no maximum is
# documented): if the server refuses it, the client falls back to sending no ``limit`` at all.
DEFAULT_PAGE_SIZE = 100
# A cursor longer than this is not a cursor (it would travel in every next request's query string).
MAX_CURSOR = 4096
_ROUTE_RE = re.compile(r"/endpoint/[^/]+/[^/]+")
log = logs.get_logger(__name__)


class UnsafeName(errors.ApiError):
    """A namespace or name that cannot be a path segment (empty, ``.``, ``..``, not a string): the
    request is never built, so no URL normalization can turn it into another route."""

    def __init__(self, method: str, value: object, what: str) -> None:
        super().__init__(
            0,
            method,
            "(not sent)",
            message=f"refusing to use {value!r} as the {what} of a request path "
            "(empty, '.' and '..' would address another route)",
        )


def _route(path: str) -> str:
    """A low-cardinality label for metrics: names replaced by placeholders."""
    path = _ROUTE_RE.sub("/endpoint/{ns}/{name}", path)
    return re.sub(r"^/(endpoint|provider)/[^/{]+$", r"/\1/{ns}", path)


def _segment(value: object, what: str, method: str) -> str:
    if not isinstance(value, str) or value in ("", ".", "..") or value.strip() != value:
        raise UnsafeName(method, value, what)
    return quote(value, safe="")


class EndpointsApi:
    """The Inference Endpoints API at ``base_url`` (e.g. ``https://api.endpoints.huggingface.cloud/v2``).

    ``policy`` and ``bounds`` default to the defaults: the caller (the CLI's settings) reads the
    ``HFLEET_RETRY_*`` and ``HFLEET_HTTP_*`` variables, never this client.
    """

    def __init__(
        self,
        http: httpx.Client,
        base_url: str,
        token: str | None,
        policy: retry.RetryPolicy | None = None,
        hub_url: str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        *,
        bounds: net_limits.Limits | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.page_size = page_size
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.hub_url = (hub_url or _hub_from(self.base_url)).rstrip("/")
        self.policy = policy or retry.RetryPolicy()
        self.bounds = bounds or net_limits.Limits()
        self.stop = stop
        # Set once the server refused ``limit=page_size``: from then on, lists send no limit.
        self.page_limit_refused = False
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
    ) -> Any:
        url = (base or self.base_url) + path
        route = _route(path)

        def once() -> Any:
            try:
                reply = net_send.send(
                    self.http,
                    method,
                    url,
                    bounds=self.bounds,
                    headers=self._headers,
                    json=json,
                    params=params,
                    stop=self.stop,
                )
            except httpx.TransportError as exc:
                metrics.API_REQUESTS.labels(method, route, "transport").inc()
                raise errors.from_transport(exc, method, url) from exc
            except net_errors.NetError as exc:
                outcome = "cancelled" if isinstance(exc, net_errors.Cancelled) else "refused"
                metrics.API_REQUESTS.labels(method, route, outcome).inc()
                raise errors.from_net(exc, method, url) from exc
            status = str(reply.status)
            metrics.API_REQUESTS.labels(method, route, status).inc()
            metrics.API_LATENCY.labels(method, route, status).observe(reply.elapsed)
            errors.check_reply(reply, method)
            if not reply.content:
                return {}
            try:
                return json_mod.loads(reply.content)
            except (ValueError, RecursionError) as exc:
                raise errors.ApiServerError(
                    reply.status, method, url, reply.text, "the API answered with invalid JSON"
                ) from exc

        return retry.call(once, self.policy, what=f"{method} {path}", stop=self.stop)

    def _object(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """A call whose answer must be a JSON object (an empty body counts as ``{}``)."""
        result = self._call(method, path, **kwargs)
        if not isinstance(result, dict):
            raise errors.UnexpectedResponse(
                0,
                method,
                self.base_url + path,
                message=f"expected a JSON object, got {type(result).__name__}",
            )
        return result

    def _ep(self, method: str, namespace: str, name: str) -> str:
        return f"/endpoint/{_segment(namespace, 'namespace', method)}/{_segment(name, 'name', method)}"

    # --- reads ----------------------------------------------------------------------------------

    def whoami(self) -> dict[str, Any]:
        """``GET {hub}/api/whoami-v2``: the token's user and organizations."""
        return self._object("GET", "/api/whoami-v2", base=self.hub_url)

    def iter_endpoints(
        self, namespace: str, *, page_size: int | None = None, tags: list[str] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every endpoint of ``namespace``, following ``nextCursor`` to the last page.

        At most ``bounds.max_pages`` pages: a server that keeps sending new cursors gets
        ``TooManyPages``; a cursor that comes back gets ``RepeatedCursor`` (following it would loop,
        stopping would silently truncate the listing).
        """
        path = f"/endpoint/{_segment(namespace, 'namespace', 'GET')}"
        cursor: str | None = None
        seen: set[bytes] = set()
        for page_number in range(1, self.bounds.max_pages + 1):
            items, cursor = self._page(path, cursor, page_size or self.page_size, tags)
            yield from items
            if not cursor:
                return
            digest = hashlib.sha256(cursor.encode()).digest()  # bounded memory, whatever the cursors
            if digest in seen:
                raise errors.RepeatedCursor(
                    0,
                    "GET",
                    self.base_url + path,
                    message=f"page {page_number} of {namespace} repeats an earlier cursor: the listing "
                    "would loop (refusing to continue, or to return a truncated list)",
                )
            seen.add(digest)
        raise errors.TooManyPages(
            0,
            "GET",
            self.base_url + path,
            message=f"listing {namespace} took more than {self.bounds.max_pages} pages (the page limit): "
            "the server keeps sending new cursors",
        )

    def _page(
        self, path: str, cursor: str | None, page_size: int, tags: list[str] | None
    ) -> tuple[list[Any], str | None]:
        params: dict[str, Any] = {}
        if cursor:
            params["cursor"] = cursor
        if tags:
            params["tags"] = ",".join(tags)
        url = self.base_url + path
        if not self.page_limit_refused:
            try:
                return _page_parts(self._call("GET", path, params={**params, "limit": page_size}), url)
            except (errors.BadRequest, errors.Unprocessable) as exc:
                self.page_limit_refused = True
                log.warning(
                    "api.page_size.refused",
                    limit=page_size,
                    error=str(exc),
                    message=f"the API refused limit={page_size}; listing with its default page size",
                )
        return _page_parts(self._call("GET", path, params=params), url)

    def list_endpoints(self, namespace: str, **kwargs: Any) -> list[dict[str, Any]]:
        return list(self.iter_endpoints(namespace, **kwargs))

    def get(self, namespace: str, name: str) -> dict[str, Any]:
        return self._object("GET", self._ep("GET", namespace, name))

    def hardware(self, namespace: str | None = None) -> dict[str, Any]:
        """``GET /provider[/{namespace}]``: vendors, regions and computes with prices and quotas."""
        path = "/provider" if namespace is None else f"/provider/{_segment(namespace, 'namespace', 'GET')}"
        return self._object("GET", path)

    # --- writes ---------------------------------------------------------------------------------

    def create(self, namespace: str, payload: dict[str, Any]) -> dict[str, Any]:
        return self._object("POST", f"/endpoint/{_segment(namespace, 'namespace', 'POST')}", json=payload)

    def update(self, namespace: str, name: str, payload: dict[str, Any]) -> dict[str, Any]:
        return self._object("PUT", self._ep("PUT", namespace, name), json=payload)

    def delete(self, namespace: str, name: str) -> None:
        self._call("DELETE", self._ep("DELETE", namespace, name))

    def pause(self, namespace: str, name: str) -> dict[str, Any]:
        return self._object("POST", self._ep("POST", namespace, name) + "/pause")

    def resume(self, namespace: str, name: str) -> dict[str, Any]:
        return self._object("POST", self._ep("POST", namespace, name) + "/resume")

    def scale_to_zero(self, namespace: str, name: str) -> dict[str, Any]:
        return self._object("POST", self._ep("POST", namespace, name) + "/scale-to-zero")


def _page_parts(page: Any, url: str) -> tuple[list[Any], str | None]:
    """A list page's ``items`` and ``nextCursor``, checked for shape (the items themselves are the
    engine's to validate)."""

    def wrong(message: str) -> errors.UnexpectedResponse:
        return errors.UnexpectedResponse(0, "GET", url, message=f"a list page of the API {message}")

    if not isinstance(page, dict):
        raise wrong(f"is a JSON {type(page).__name__}, not an object")
    items = page.get("items")
    if items is None:
        items = []
    if not isinstance(items, list):
        raise wrong(f"has 'items' of type {type(items).__name__}, not a list")
    cursor = page.get("nextCursor")
    if cursor is not None and not isinstance(cursor, str):
        raise wrong(f"has 'nextCursor' of type {type(cursor).__name__}, not a string")
    if cursor is not None and len(cursor) > MAX_CURSOR:
        raise wrong(f"has a 'nextCursor' of {len(cursor)} characters (more than {MAX_CURSOR})")
    return items, cursor or None


def _hub_from(base_url: str) -> str:
    """The Hub for whoami: the real Hub for the real API, the same host for an emulator."""
    if "api.endpoints.huggingface.cloud" in base_url:
        return "https://huggingface.co"
    return re.sub(r"/v2/?$", "", base_url)
