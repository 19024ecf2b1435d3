"""HTTP-tier errors of the Inference Endpoints API, and which of them are worth a retry.

Owns: the error tree below, ``check_response`` (status → class) and ``is_retryable``.
Called by: ``reconciler.api.client`` (raising) and ``reconciler.api.retry`` (deciding).
Must not: log or retry by itself; bodies are truncated to 256 characters and never hold the token.

    ReconcilerError (reconciler.errors)
    └── ApiError(status, method, url, body)
        ├── ApiClientError               4xx: fail at once, except 429
        │   ├── BadRequest               400 (validation; the message names the field)
        │   ├── Unauthorized             401 (no token, bad token, or no billing)
        │   ├── Forbidden                403 (a namespace the token cannot act in)
        │   ├── NotFound                 404
        │   ├── Conflict                 409 (name taken)
        │   ├── Unprocessable            422
        │   └── RateLimited(retry_after) 429: retried, honouring Retry-After
        ├── ApiServerError               5xx: retried
        └── ApiTransportError            no usable response: connection refused/dropped, timeouts
            └── ApiTimeout
"""

from __future__ import annotations

import json

import httpx

from reconciler import errors, logs

__all__ = [
    "ApiClientError",
    "ApiError",
    "ApiServerError",
    "ApiTimeout",
    "ApiTransportError",
    "BadRequest",
    "Conflict",
    "Forbidden",
    "NotFound",
    "RateLimited",
    "Unauthorized",
    "Unprocessable",
    "check_response",
    "is_retryable",
]

BODY_LIMIT = 256


class ApiError(errors.ReconcilerError):
    """An API call failed. ``status`` is 0 when no response arrived."""

    def __init__(
        self, status: int, method: str, url: str, body: str = "", message: str | None = None
    ) -> None:
        self.status = status
        self.method = method
        self.url = url
        self.body = logs.redact(body[:BODY_LIMIT])
        self.detail = logs.redact(message or _error_text(self.body))
        text = f"{method} {url} failed"
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
        self, status: int, method: str, url: str, body: str = "", retry_after: float | None = None
    ) -> None:
        super().__init__(status, method, url, body)
        self.retry_after = retry_after


class ApiServerError(ApiError):
    """5xx: the API failed; worth a retry."""


class ApiTransportError(ApiError):
    """No usable response (connection refused or dropped, protocol error). Chains the httpx error."""


class ApiTimeout(ApiTransportError):
    """The call timed out."""


_BY_STATUS: dict[int, type[ApiClientError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    422: Unprocessable,
}


def _error_text(body: str) -> str:
    """The API's ``{"error": "..."}`` message, or the (truncated) body itself."""
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


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            import time

            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None


def check_response(response: httpx.Response) -> httpx.Response:
    """Return the response if it is a success; raise the matching ``ApiError`` otherwise."""
    if response.is_success:
        return response
    request = response.request
    method, url = request.method, str(request.url.copy_with(query=None))
    try:
        body = response.text
    except (httpx.ResponseNotRead, UnicodeDecodeError):
        body = ""
    status = response.status_code
    if status == 429:
        raise RateLimited(status, method, url, body, _retry_after(response.headers.get("Retry-After")))
    if status >= 500:
        raise ApiServerError(status, method, url, body)
    raise _BY_STATUS.get(status, ApiClientError)(status, method, url, body)


def from_transport(exc: httpx.TransportError, method: str, url: str) -> ApiTransportError:
    """Wrap an httpx transport error; the caller chains it with ``raise ... from exc``."""
    cls = ApiTimeout if isinstance(exc, httpx.TimeoutException) else ApiTransportError
    return cls(0, method, url, message=f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)


def is_retryable(exc: BaseException) -> bool:
    """Retry 429, 5xx and transport errors (timeouts included); every other 4xx fails at once."""
    return isinstance(exc, RateLimited | ApiServerError | ApiTransportError)
