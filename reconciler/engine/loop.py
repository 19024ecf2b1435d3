"""Controller mode: one pass after another, level-triggered, until told to stop.

Owns: ``reconcile_forever`` and the classification of a pass (ok, error, crashed). Called by:
``hfleet reconcile``. Must not: serve HTTP (``reconciler.controller`` does) or print.

Every pass re-reads the specs and the live state (nothing is remembered between passes but the
time of the next look): the next pass comes after ``interval`` or sooner, at the next schedule
boundary or while endpoints are in transition. An error (the API down, a bad spec) and a crash (a
bug in hfleet) are both logged as errors and counted in ``hfleet_reconcile_runs{result}``; neither
ends the loop, and the health endpoints report them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from reconciler import errors, logs, metrics
from reconciler.engine import run as run_mod
from reconciler.engine.session import Session
from reconciler.spec import loader

__all__ = ["MIN_INTERVAL", "PassKind", "PassResult", "reconcile_forever"]

log = logs.get_logger(__name__)
MIN_INTERVAL = 1.0  # seconds; the CLI asks for more (`--interval 0` looped 20×/s)
AFTER_CHANGES = timedelta(seconds=30)  # look again soon: the changes started transitions


class PassKind(StrEnum):
    """How a reconcile pass ended: the ``result`` label of ``hfleet_reconcile_runs_total`` and what
    the controller's health endpoints report."""

    OK = "ok"
    ERROR = "error"  # an expected failure: the API down, invalid specs, a refused plan
    CRASHED = "crashed"  # an unexpected exception: a bug in hfleet

    @property
    def failed(self) -> bool:
        return self is not PassKind.OK


@dataclass(frozen=True)
class PassResult:
    result: PassKind
    message: str
    requeue: timedelta | None = None


def one_pass(load: Callable[[], loader.Fleet], session: Session, options: run_mod.Options) -> PassResult:
    """Plan and apply once; never raises (the controller must survive a bug in one pass)."""
    try:
        fleet = load()
        outcome = run_mod.run(fleet, session, options, apply=True)
        report = outcome.report
        requeue = outcome.plan.requeue_after
        if report is None or not report.outcomes:
            return PassResult(PassKind.OK, "converged", requeue)
        requeue = min(requeue or AFTER_CHANGES, AFTER_CHANGES)
        message = f"{len(report.applied)} applied, {len(report.failed)} failed"
        return PassResult(PassKind.OK if report.ok else PassKind.ERROR, message, requeue)
    except errors.ReconcilerError as exc:
        message = logs.redact(str(exc))
        log.error("reconcile.pass.failed", error=message)
        return PassResult(PassKind.ERROR, message)
    except Exception as exc:
        message = logs.redact(f"{type(exc).__name__}: {exc}")
        log.exception("reconcile.pass.crashed", error=message)
        return PassResult(PassKind.CRASHED, message)


def reconcile_forever(
    load: Callable[[], loader.Fleet],
    session: Session,
    options: run_mod.Options,
    *,
    interval: float,
    on_pass: Callable[[PassResult], None] | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    max_passes: int | None = None,
) -> int:
    """Run passes until ``session.stop`` is set (SIGTERM); returns how many ran.

    ``options.now`` is ignored: each pass evaluates schedules at ``clock()``.
    """
    interval = max(interval, MIN_INTERVAL)
    passes = 0
    while not session.stop.is_set():
        started = time.monotonic()
        result = one_pass(load, session, _at(options, clock()))
        duration = time.monotonic() - started
        metrics.RECONCILE_DURATION.observe(duration)
        metrics.RECONCILE_RUNS.labels(result.result).inc()
        if result.result is PassKind.OK:
            metrics.LAST_SUCCESS.set(time.time())
        passes += 1
        log.info(
            "reconcile.pass.done", result=result.result, message=result.message, duration=round(duration, 3)
        )
        if on_pass is not None:
            on_pass(result)
        if max_passes is not None and passes >= max_passes:
            break
        delay = interval
        if result.requeue is not None:
            delay = min(delay, max(1.0, result.requeue.total_seconds()))
        session.stop.wait(delay)
    return passes


def _at(options: run_mod.Options, now: datetime) -> run_mod.Options:
    from dataclasses import replace

    return replace(options, now=now)
