"""Retries of API calls: exponential backoff with jitter, ``Retry-After``, a bounded budget.

Owns: ``RetryPolicy`` and ``call``. Called by: ``reconciler.api.client`` for every request.
Must not: decide what is retryable (``errors.is_retryable`` does).

tenacity drives the loop. Every retry is logged ("attempt 2/6 failed; will retry in 1.3s") and
counted in ``hfleet_api_retries``; the last failure is re-raised as it was.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import tenacity

from reconciler import logs, metrics
from reconciler.api import errors

__all__ = ["RetryPolicy", "call"]

T = TypeVar("T")
log = logs.get_logger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to retry. ``sleep`` is injectable so tests never wait for real."""

    attempts: int = 6
    base: float = 0.5
    cap: float = 20.0
    max_retry_after: float = 60.0
    budget: float = 120.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)

    def wait_for(self, attempt: int, exc: BaseException | None) -> float:
        """Full-jitter exponential backoff, or the server's Retry-After when it gave one."""
        if isinstance(exc, errors.RateLimited) and exc.retry_after is not None:
            return min(exc.retry_after, self.max_retry_after)
        ceiling = min(self.cap, self.base * (2 ** (attempt - 1)))
        return random.uniform(ceiling / 2, ceiling)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, errors.RateLimited):
        return "429"
    if isinstance(exc, errors.ApiServerError):
        return "5xx"
    if isinstance(exc, errors.ApiTimeout):
        return "timeout"
    return "transport"


def call(fn: Callable[[], T], policy: RetryPolicy, *, what: str) -> T:
    """Run ``fn``, retrying retryable API errors within the policy's attempts and time budget."""

    def wait(state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        return policy.wait_for(state.attempt_number, exc)

    def before_sleep(state: tenacity.RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        delay = state.next_action.sleep if state.next_action else 0.0
        metrics.API_RETRIES.labels(_reason(exc) if exc else "unknown").inc()
        log.warning(
            "api.retry",
            call=what,
            attempt=f"{state.attempt_number}/{policy.attempts}",
            error=str(exc) if exc else None,
            message=f"attempt {state.attempt_number}/{policy.attempts} failed; will retry in {delay:.1f}s",
        )

    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception(errors.is_retryable),
        stop=tenacity.stop_after_attempt(policy.attempts) | tenacity.stop_after_delay(policy.budget),
        wait=wait,
        sleep=policy.sleep,
        before_sleep=before_sleep,
        reraise=True,
    )
    result: Any = retrying(fn)
    return result  # type: ignore[no-any-return]
