"""One bounded HTTP exchange: a deadline for the whole of it, a size limit, and a redirect policy.

Owns: ``send`` and ``Reply``. Called by: the API client (every call) and any client of hfleet that
must hold against a hostile server. Must not: retry or interpret statuses; callers do.

The redirect policy, because a redirect decides where the body and the token go next:
- a redirect of a write (anything but GET and HEAD) is never followed: a 307 of a create would
  re-send its body, secrets included, and a 301/302/303 would silently turn it into a GET;
- a redirect to another origin (scheme, host or port) is never followed, so the token stays with the
  origin the user configured (httpx would follow it, without the token but with the body);
- a read may follow ``max_redirects`` redirects within its own origin.
Each refusal raises ``errors.RedirectRefused`` naming the status and the target's origin.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from reconciler.net import body, errors, limits
from reconciler.net import budget as budget_mod

__all__ = ["Reply", "send"]

_READS = frozenset({"GET", "HEAD"})


@dataclass(frozen=True)
class Reply:
    """A complete answer: status, headers, the decoded body, and the URL that gave it."""

    status: int
    headers: httpx.Headers
    content: bytes
    url: str
    elapsed: float

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    default = {"http": 80, "https": 443}.get(url.scheme)
    return (url.scheme, url.host, url.port or default)


def _next_hop(
    request: httpx.Request, response: httpx.Response, hops: int, bounds: limits.Limits
) -> httpx.URL:
    """Where a redirect of ``request`` may be followed, or ``RedirectRefused``."""
    status = response.status_code
    location = response.headers.get("location", "")
    try:
        target = request.url.join(location)
    except httpx.InvalidURL:
        raise errors.RedirectRefused(f"redirect ({status}) to an invalid URL", status) from None
    where = f"{target.scheme}://{target.host}" + (f":{target.port}" if target.port else "")
    if _origin(target) != _origin(request.url):
        raise errors.RedirectRefused(
            f"the server redirected ({status}) to another origin, {where}; hfleet never follows a "
            "redirect across origins (the token and the request body stay where you sent them)",
            status,
        )
    if request.method not in _READS:
        raise errors.RedirectRefused(
            f"the server redirected ({status}) a {request.method}; hfleet never follows a redirect "
            "of a write (its body, which may hold secrets, is never re-sent)",
            status,
        )
    if hops >= bounds.max_redirects:
        raise errors.RedirectRefused(f"more than {bounds.max_redirects} redirects (the limit)", status)
    return target


def _timeouts(bounds: limits.Limits, budget: budget_mod.Budget) -> httpx.Timeout:
    left = max(budget.left(), 0.001)
    return httpx.Timeout(min(bounds.read_timeout, left), connect=min(bounds.connect_timeout, left), pool=left)


def _exchange(
    http: httpx.Client, request: httpx.Request, budget: budget_mod.Budget, what: str
) -> httpx.Response:
    try:
        return http.send(request, stream=True, follow_redirects=False)
    except httpx.TransportError:
        _raise_if_over(budget, what)
        raise


def _raise_if_over(budget: budget_mod.Budget, what: str) -> None:
    """A transport error that is really our stop event or our deadline is reported as such."""
    if budget.cancelled():
        raise errors.Cancelled(what) from None
    if budget.expired():
        raise errors.DeadlineExceeded(budget.seconds) from None


def send(
    http: httpx.Client,
    method: str,
    url: str,
    *,
    bounds: limits.Limits,
    headers: Mapping[str, str] | None = None,
    json: Any = None,
    params: Mapping[str, Any] | None = None,
    stop: threading.Event | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Reply:
    """Send one request through ``http`` and read the whole answer, within ``bounds``.

    Raises ``reconciler.net.errors`` (a limit or the stop event) or httpx's transport errors.
    """
    what = f"{method} {url}"
    if stop is not None and stop.is_set():
        raise errors.Cancelled(what)
    budget = budget_mod.Budget.start(bounds.deadline, stop, bounds.poll, clock)
    sent_headers = {"Accept-Encoding": body.ACCEPT_ENCODING, **(headers or {})}
    with budget_mod.bounded(budget):
        request = http.build_request(
            method, url, headers=sent_headers, json=json, params=params, timeout=_timeouts(bounds, budget)
        )
        hops = 0
        while True:
            response = _exchange(http, request, budget, what)
            try:
                if response.has_redirect_location:
                    target = _next_hop(request, response, hops, bounds)
                    hops += 1
                    request = http.build_request(
                        request.method, target, headers=sent_headers, timeout=_timeouts(bounds, budget)
                    )
                    continue
                try:
                    content = body.read(response, bounds.max_body, budget)
                except httpx.TransportError:
                    _raise_if_over(budget, what)
                    raise
                return Reply(
                    response.status_code,
                    response.headers,
                    content,
                    str(request.url),
                    budget.clock() - budget.started,
                )
            finally:
                response.close()
