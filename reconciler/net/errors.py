"""The limits of hfleet's HTTP clients, as errors: each names the limit it hit.

Owns: the ``NetError`` tree below. Called by: ``reconciler.net.send`` and ``reconciler.net.body``
(raising), the API and inference clients (mapping them to their own error trees).
Must not: import any client; a limit hit here is a decision of hfleet, never an answer of a server.

    ReconcilerError (reconciler.errors)
    └── NetError
        ├── RedirectRefused     a redirect hfleet will not follow (other origin, a write, too many)
        ├── DeadlineExceeded    no complete answer within the request deadline (connect + all reads)
        ├── BodyTooLarge        an answer larger than the size limit (on the wire or decompressed)
        ├── UndecodableBody     an unknown or corrupt Content-Encoding
        └── Cancelled           the caller's stop event was set (SIGTERM): the call was abandoned
"""

from __future__ import annotations

from reconciler import errors

__all__ = [
    "BodyTooLarge",
    "Cancelled",
    "DeadlineExceeded",
    "NetError",
    "RedirectRefused",
    "UndecodableBody",
]


class NetError(errors.ReconcilerError):
    """A request stopped by one of hfleet's own network rules; the message says which and why."""


class RedirectRefused(NetError):
    """A redirect that would move the request (its body or token) somewhere hfleet did not aim it."""

    def __init__(self, message: str, status: int = 0) -> None:
        self.status = status
        super().__init__(message)


class DeadlineExceeded(NetError):
    """The whole request (connect, send, every read, redirects) took longer than ``seconds``."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        super().__init__(
            f"no complete answer within the {seconds:g} s request deadline "
            "(connect, send and every read together); the server is too slow or stalling"
        )


class BodyTooLarge(NetError):
    """An answer over ``limit`` bytes; reading stopped there, so memory stays bounded."""

    def __init__(self, limit: int, what: str = "the answer") -> None:
        self.limit = limit
        super().__init__(f"{what} is larger than the {_size(limit)} limit; stopped reading it")


class UndecodableBody(NetError):
    """A ``Content-Encoding`` hfleet does not accept, or compressed data that does not decode."""


class Cancelled(NetError):
    """The caller asked to stop (its stop event was set) while the call was waiting or reading."""

    def __init__(self, what: str = "the call") -> None:
        super().__init__(f"{what} was cancelled: hfleet is shutting down")


def _size(n: int) -> str:
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= scale and n % scale == 0:
            return f"{n // scale} {unit}"
    return f"{n} bytes"
