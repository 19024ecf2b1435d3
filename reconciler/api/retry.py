"""Retries of API calls: exponential backoff with jitter, ``Retry-After``, a bounded budget, a stop.

Owns: ``RetryPolicy`` and ``call``. Called by: ``reconciler.api.client`` for every request.
Must not: decide what is retryable (``errors.is_retryable`` does).

tenacity drives the loop. Every retry is logged ("attempt 2/6 failed; will retry in 1.3s") and
counted in ``hfleet_api_retries``; the last failure is re-raised as it was. A ``Retry-After`` longer
than the policy's cap, or than what is left of its time budget, is not waited for: the call fails at
once and says so (waiting an hour, or waiting only to give up, helps nobody). With a ``stop`` event
every wait is ``stop.wait``, so setting it (SIGTERM) ends a backoff or a Retry-After sleep at once,
and no further attempt starts.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import tenacity

from reconciler import logs, metrics
from reconciler.api import errors
from reconciler.errors import ReconcilerError

__all__ = ["ENV", "RetryPolicy", "call"]

# Environment variables that override each field (the settings object of the CLI reads them): a CI
# job that would rather fail fast sets HFLEET_RETRY_ATTEMPTS=1; HFLEET_RETRY_BASE=0 retries at once.
ENV = {
    "attempts": "HFLEET_RETRY_ATTEMPTS",
    "base": "HFLEET_RETRY_BASE",
    "cap": "HFLEET_RETRY_CAP",
    "budget": "HFLEET_RETRY_BUDGET",
}

T = TypeVar("T")
log = logs.get_logger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to retry. ``sleep`` is injectable so tests never wait for real; when it is None the
    wait is ``stop.wait`` (or ``time.sleep`` without a stop event)."""

    attempts: int = 6
    base: float = 0.5
    cap: float = 20.0
    max_retry_after: float = 60.0
    budget: float = 120.0
    sleep: Callable[[float], None] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ReconcilerError(f"retry attempts must be at least 1, not {self.attempts}")
        for name in ("base", "cap", "max_retry_after", "budget"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ReconcilerError(f"retry {name} must be a number of seconds, not {value!r}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> RetryPolicy:
        """The defaults, overridden by the ``HFLEET_RETRY_*`` variables of ``environ`` (see ``ENV``)."""
        changes: dict[str, Any] = {}
        for name, var in ENV.items():
            text = environ.get(var, "").strip()
            if not text:
                continue
            try:
                changes[name] = int(text) if name == "attempts" else float(text)
            except ValueError:
                raise ReconcilerError(f"{var}={text!r} is not a number") from None
        return cls(**changes)

    def wait_for(self, attempt: int, exc: BaseException | None) -> float:
        """Full-jitter exponential backoff, or the server's Retry-After when it gave one."""
        if isinstance(exc, errors.RateLimited) and exc.retry_after is not None:
            return min(exc.retry_after, self.max_retry_after)
        ceiling = min(self.cap, self.base * (2 ** (attempt - 1)))
        return random.uniform(ceiling / 2, ceiling)

    def refusal(self, exc: BaseException, elapsed: float) -> str | None:
        """Why a server's Retry-After is not worth waiting for, or None when it is (or there is none)."""
        if not isinstance(exc, errors.RateLimited) or exc.retry_after is None:
            return None
        if exc.retry_after > self.max_retry_after:
            return (
                f"the API asked to wait {exc.retry_after:g} s, longer than hfleet waits "
                f"({self.max_retry_after:g} s)"
            )
        if elapsed + exc.retry_after > self.budget:
            return (
                f"the API asked to wait {exc.retry_after:g} s, past this call's retry budget "
                f"({self.budget:g} s)"
            )
        return None


def _reason(exc: BaseException) -> str:
    if isinstance(exc, errors.RateLimited):
        return "429"
    if isinstance(exc, errors.ApiServerError):
        return "5xx"
    if isinstance(exc, errors.ApiTimeout):
        return "timeout"
    return "transport"


@dataclass
class _Attempts:
    """The callbacks tenacity runs between the attempts of one call, and what they learnt."""

    policy: RetryPolicy
    what: str
    stop: threading.Event | None
    clock: Callable[[], float]
    started: float
    refused: dict[int, str] = field(
        default_factory=dict
    )  # id(exception) -> why its Retry-After was not waited

    def retry(self, exc: BaseException) -> bool:
        if self.stop is not None and self.stop.is_set():
            return False
        if not errors.is_retryable(exc):
            return False
        reason = self.policy.refusal(exc, self.clock() - self.started)
        if reason is not None:
            self.refused[id(exc)] = reason
            return False
        return True

    def wait(self, state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        return self.policy.wait_for(state.attempt_number, exc)

    def before_sleep(self, state: tenacity.RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        delay = state.next_action.sleep if state.next_action else 0.0
        attempt = f"{state.attempt_number}/{self.policy.attempts}"
        metrics.API_RETRIES.labels(_reason(exc) if exc else "unknown").inc()
        log.warning(
            "api.retry",
            call=self.what,
            attempt=attempt,
            error=str(exc) if exc else None,
            message=f"attempt {attempt} failed; will retry in {delay:.1f}s",
        )

    def sleep(self, seconds: float) -> None:
        if self.policy.sleep is not None:
            self.policy.sleep(seconds)
        elif self.stop is not None:
            self.stop.wait(seconds)
        else:
            time.sleep(seconds)


def call(
    fn: Callable[[], T],
    policy: RetryPolicy,
    *,
    what: str,
    stop: threading.Event | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """Run ``fn``, retrying retryable API errors within the policy's attempts and time budget.

    ``fn`` itself must raise ``errors.Cancelled`` when ``stop`` is set (the API client's calls do).
    """
    attempts = _Attempts(policy, what, stop, clock, clock())
    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception(attempts.retry),
        stop=tenacity.stop_after_attempt(policy.attempts) | tenacity.stop_after_delay(policy.budget),
        wait=attempts.wait,
        sleep=attempts.sleep,
        before_sleep=attempts.before_sleep,
        reraise=True,
    )
    try:
        result: Any = retrying(fn)
    except errors.RateLimited as exc:
        reason = attempts.refused.get(id(exc))
        if reason is None:
            raise
        raise errors.RateLimited(
            exc.status, exc.method, exc.url, exc.body, exc.retry_after, note=f"{reason}; try again later"
        ) from exc
    return result  # type: ignore[no-any-return]
