"""HTTP-tier errors of the Inference Endpoints API, and which of them are worth a retry.

Owns: the error tree below, ``check_reply`` (status → class), ``from_net`` and ``from_transport``
(hfleet's own limits and httpx's errors → this tree) and ``is_retryable``.
Called by: ``reconciler.api.client`` (raising) and ``reconciler.api.retry`` (deciding).
Must not: log or retry by itself. Every text from the server is redacted first (every registered
secret, in every form ``reconciler.logs`` knows), then stripped of terminal control characters, and
only then shortened: a body cut before redaction could end with the first characters of a secret.

    ReconcilerError (reconciler.errors)
    └── ApiError(status, method, url, body)
        ├── ApiClientError               4xx: fail at once, except 429
        │   ├── BadRequest               400 (validation; the message names the field)
        │   ├── Unauthorized             401 (no token, bad token, or no billing)
        │   ├── Forbidden                403 (a namespace the token cannot act in)
        │   ├── NotFound                 404
        │   ├── Conflict                 409 (name taken)
        │   ├── Unprocessable            422
        │   └── RateLimited(retry_after) 429: retried, honouring Retry-After (up to the policy's cap)
        ├── ApiServerError               5xx, or JSON that does not parse: retried
        ├── ApiTransportError            no usable response: connection refused/dropped, timeouts
        │   └── ApiTimeout               retried
        ├── ApiRefused                   hfleet refused the answer (one of its limits): never retried
        │   ├── RedirectRefused          across origins, of a write, or too many
        │   ├── ResponseTooLarge         over the size limit on the wire or decompressed; bad encoding
        │   ├── DeadlineExceeded         no complete answer within the request deadline
        │   ├── PaginationError          a listing that never ends, or loops
        │   │   ├── TooManyPages         more pages than the limit (new cursors without end)
        │   │   └── RepeatedCursor       a cursor seen before (following it loops, stopping truncates)
        │   └── UnexpectedResponse       JSON of the wrong shape (a list where an object belongs)
        └── Cancelled                    the stop event was set (SIGTERM): the call was abandoned
"""

from __future__ import annotations

import json

import httpx

from reconciler import errors, logs
from reconciler.net import errors as net_errors
from reconciler.net import retry_after as retry_after_mod
from reconciler.net import send as net_send

__all__ = [
    "ApiClientError",
    "ApiError",
    "ApiRefused",
    "ApiServerError",
    "ApiTimeout",
    "ApiTransportError",
    "BadRequest",
    "Cancelled",
    "Conflict",
    "DeadlineExceeded",
    "Forbidden",
    "NotFound",
    "PaginationError",
    "RateLimited",
    "RedirectRefused",
    "RepeatedCursor",
    "ResponseTooLarge",
    "TooManyPages",
    "Unauthorized",
    "UnexpectedResponse",
    "Unprocessable",
    "check_reply",
    "from_net",
    "from_transport",
    "is_retryable",
]

# The body kept on an error (and printed) is cut to BODY_LIMIT characters AFTER redaction; redaction
# itself looks at the first SCAN_LIMIT characters only (it runs on every error), and whatever lies
# beyond them is cut away anyway.
BODY_LIMIT = 256
DETAIL_LIMIT = 512
SCAN_LIMIT = 64 * 1024


def clean(text: str, limit: int) -> str:
    """``text`` redacted, made safe for a terminal, then cut to ``limit`` characters (in that order)."""
    text = logs.sanitize(logs.redact(text[:SCAN_LIMIT]))
    return text if len(text) <= limit else text[: limit - 1] + "…"


class ApiError(errors.ReconcilerError):
    """An API call failed. ``status`` is 0 when no response arrived."""

    def __init__(
        self, status: int, method: str, url: str, body: str = "", message: str | None = None
    ) -> None:
        self.status = status
        self.method = method
        self.url = clean(url, 2048)
        self.body = clean(body, BODY_LIMIT)
        self.detail = clean(message if message is not None else _error_text(body[:SCAN_LIMIT]), DETAIL_LIMIT)
        text = f"{method} {self.url} failed"
        text += f" with HTTP {status}" if status else ""
        text += f": {self.detail}" if self.detail else ""
        super().__init__(text)


class ApiClientError(ApiError):
    """A 4xx answer."""


class BadRequest(ApiClientError):
    """400: the API refused the payload."""


class Unauthorized(ApiClientError):
    """401: no token, a bad token, or an organization without access."""


class Forbidden(ApiClientError):
    """403: the token cannot act in this namespace."""


class NotFound(ApiClientError):
    """404: no such endpoint."""


class Conflict(ApiClientError):
    """409: an endpoint with this name already exists."""


class Unprocessable(ApiClientError):
    """422: the payload parsed but makes no sense to the API."""


class RateLimited(ApiClientError):
    """429: too many requests; ``retry_after`` seconds if the API said so."""

    def __init__(
        self,
        status: int,
        method: str,
        url: str,
        body: str = "",
        retry_after: float | None = None,
        *,
        note: str | None = None,
    ) -> None:
        parts = [_error_text(body[:SCAN_LIMIT])]
        if retry_after is not None:
            parts.append(f"Retry-After: {retry_after:g} s")
        if note:
            parts.append(note)
        super().__init__(status, method, url, body, "; ".join(p for p in parts if p))
        self.retry_after = retry_after


class ApiServerError(ApiError):
    """5xx: the API failed; worth a retry."""


class ApiTransportError(ApiError):
    """No usable response (connection refused or dropped, protocol error). Chains the httpx error."""


class ApiTimeout(ApiTransportError):
    """The call timed out (a connect or a silence longer than the read timeout): worth a retry."""


class ApiRefused(ApiError):
    """hfleet refused the answer: it broke one of the client's limits or rules. Never retried: the
    same server would break it again, and each try would cost the full limit again."""


class RedirectRefused(ApiRefused):
    """A redirect across origins, of a write, or one too many (``reconciler.net.send``)."""


class ResponseTooLarge(ApiRefused):
    """An answer over the size limit (on the wire or once decompressed), or one that cannot be decoded."""


class DeadlineExceeded(ApiRefused):
    """No complete answer within the request deadline (connect, send and every read together)."""


class PaginationError(ApiRefused):
    """A listing that would never end, or would silently end early."""


class TooManyPages(PaginationError):
    """More pages than the page limit: the server keeps sending new cursors."""


class RepeatedCursor(PaginationError):
    """A cursor came back: following it would loop, and stopping would truncate the listing."""


class UnexpectedResponse(ApiRefused):
    """JSON of the wrong shape where the client needs a particular one (e.g. a page's ``items``)."""


class Cancelled(ApiError):
    """The client's stop event was set: a wait or a read was abandoned (never retried)."""


_BY_STATUS: dict[int, type[ApiClientError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    422: Unprocessable,
}


def _error_text(body: str) -> str:
    """The API's ``{"error": "..."}`` message, or the body itself."""
    try:
        data = json.loads(body)
    except ValueError:
        return body.strip()
    if isinstance(data, dict):
        err = data.get("error") or data.get("message") or data.get("error_description")
        if isinstance(err, list):
            return "; ".join(str(e) for e in err)
        if err:
            return str(err)
    return body.strip()


def check_reply(reply: net_send.Reply, method: str) -> net_send.Reply:
    """Return the reply if it is a success; raise the matching ``ApiError`` otherwise."""
    status = reply.status
    if 200 <= status < 300:
        return reply
    url = str(httpx.URL(reply.url).copy_with(query=None))
    body = reply.text
    if status == 429:
        hint = retry_after_mod.parse(reply.headers.get("Retry-After"))
        raise RateLimited(status, method, url, body, hint)
    if status >= 500:
        raise ApiServerError(status, method, url, body)
    if 300 <= status < 400:  # a redirect without a Location: nothing to follow, nothing usable
        raise ApiServerError(status, method, url, body, f"redirect ({status}) without a usable Location")
    raise _BY_STATUS.get(status, ApiClientError)(status, method, url, body)


_NET: tuple[tuple[type[net_errors.NetError], type[ApiError]], ...] = (
    (net_errors.RedirectRefused, RedirectRefused),
    (net_errors.BodyTooLarge, ResponseTooLarge),
    (net_errors.UndecodableBody, ResponseTooLarge),
    (net_errors.DeadlineExceeded, DeadlineExceeded),
    (net_errors.Cancelled, Cancelled),
)


def from_net(exc: net_errors.NetError, method: str, url: str) -> ApiError:
    """One of hfleet's network limits as an API error; the caller chains it with ``raise ... from``."""
    status = exc.status if isinstance(exc, net_errors.RedirectRefused) else 0
    for source, target in _NET:
        if isinstance(exc, source):
            return target(status, method, url, message=str(exc))
    return ApiRefused(status, method, url, message=str(exc))


def from_transport(exc: httpx.TransportError, method: str, url: str) -> ApiTransportError:
    """Wrap an httpx transport error; the caller chains it with ``raise ... from exc``."""
    cls = ApiTimeout if isinstance(exc, httpx.TimeoutException) else ApiTransportError
    return cls(0, method, url, message=f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)


def is_retryable(exc: BaseException) -> bool:
    """Retry 429, 5xx and transport errors (timeouts included); every other 4xx, every refusal of
    hfleet's own limits and a cancellation fail at once."""
    return isinstance(exc, RateLimited | ApiServerError | ApiTransportError)
