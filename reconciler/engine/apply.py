"""Applying a plan: run its changes against the API, concurrently, and report every outcome.

Owns: ``execute`` (phases, per-endpoint ordering, bounded concurrency, idempotent recovery of lost
responses), ``wait_until_settled`` and the ``ApplyReport``.
Called by: ``reconciler.engine.run``. Must not: decide what to change (``plan`` did) or raise for one
endpoint's failure: every change produces an ``Outcome`` and the report is always returned.

Order: creates, updates and resumes first; then pauses and scale-to-zero; deletes last. Changes of
one endpoint run in one task, in an order that avoids needless work: a paused endpoint is updated
before it is resumed, a running endpoint is paused before it is updated, and scaled to zero after.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from reconciler import errors, logs, metrics
from reconciler.api import client as api_client
from reconciler.api import errors as api_errors
from reconciler.engine import desired as desired_mod
from reconciler.engine import live
from reconciler.engine import plan as plan_mod

__all__ = ["ApplyReport", "Outcome", "execute", "wait_until_settled"]

log = logs.get_logger(__name__)
Action = plan_mod.Action


@dataclass(frozen=True)
class Outcome:
    """What happened to one change."""

    change: plan_mod.Change
    ok: bool
    duration: float
    error: str | None = None
    note: str | None = None

    def data(self) -> dict[str, Any]:
        return {
            "action": self.change.action.value,
            "namespace": self.change.namespace,
            "name": self.change.name,
            "ok": self.ok,
            "duration_seconds": round(self.duration, 3),
            "error": self.error,
            "note": self.note,
        }


@dataclass(frozen=True)
class ApplyReport:
    """The result of an apply, complete even when some changes failed."""

    outcomes: tuple[Outcome, ...]
    duration: float
    waited: dict[str, str] = field(default_factory=dict)  # endpoint → final state, with --wait
    wait_errors: tuple[str, ...] = ()

    @property
    def failed(self) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if not o.ok)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.wait_errors

    def with_wait(self, waited: dict[str, str], wait_errors: list[str]) -> ApplyReport:
        return ApplyReport(self.outcomes, self.duration, waited, tuple(wait_errors))

    def data(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "duration_seconds": round(self.duration, 3),
            "applied": sum(1 for o in self.outcomes if o.ok),
            "failed": len(self.failed),
            "outcomes": [o.data() for o in self.outcomes],
            "waited": self.waited,
            "wait_errors": list(self.wait_errors),
        }


def _group(changes: tuple[plan_mod.Change, ...]) -> dict[int, list[list[plan_mod.Change]]]:
    """Changes per endpoint, in per-endpoint order, grouped by the phase the endpoint runs in."""
    by_endpoint: dict[tuple[str, str], list[plan_mod.Change]] = {}
    for change in changes:
        if change.action.writes:
            by_endpoint.setdefault(change.key, []).append(change)
    phases: dict[int, list[list[plan_mod.Change]]] = {}
    for items in by_endpoint.values():
        # A pause goes first: the config change then lands on a paused endpoint, which stays paused
        # (no rebuild of something going off). A scale-to-zero goes last: a config change wakes a
        # scaled-to-zero endpoint, so updating after it would leave the endpoint running.
        pauses = [c for c in items if c.action is Action.PAUSE]
        others = sorted((c for c in items if c not in pauses), key=lambda c: list(Action).index(c.action))
        ordered = pauses + others
        phase = max(c.action.phase for c in items)
        phases.setdefault(phase, []).append(ordered)
    return phases


def execute(
    plan: plan_mod.Plan,
    desired: Mapping[tuple[str, str], desired_mod.DesiredEndpoint],
    api: api_client.EndpointsApi,
    *,
    parallelism: int = 16,
    on_outcome: Callable[[Outcome], None] | None = None,
    stop: threading.Event | None = None,
) -> ApplyReport:
    """Apply ``plan``. One endpoint's failure never stops the others; the report lists them all.

    ``stop`` (set on SIGTERM) lets in-flight calls finish and skips the changes not started yet.
    """
    started = time.monotonic()
    outcomes: list[Outcome] = []
    lock = threading.Lock()

    def record(outcome: Outcome) -> None:
        with lock:
            outcomes.append(outcome)
        result = "ok" if outcome.ok else "failed"
        metrics.APPLY_CHANGES.labels(outcome.change.action.value, result).inc()
        if not outcome.ok:
            metrics.APPLY_ERRORS.labels(outcome.change.action.value).inc()
        if on_outcome is not None:
            on_outcome(outcome)

    def run_endpoint(items: list[plan_mod.Change]) -> None:
        for index, change in enumerate(items):
            if stop is not None and stop.is_set():
                for skipped in items[index:]:
                    record(Outcome(skipped, False, 0.0, "skipped: shutting down before it started"))
                return
            outcome = _run(change, desired.get(change.key), api, plan.fleet)
            record(outcome)
            if not outcome.ok:  # the endpoint's next steps depend on this one
                for skipped in items[index + 1 :]:
                    record(Outcome(skipped, False, 0.0, f"skipped: {change.action.value} failed"))
                return

    phases = _group(plan.changes)
    in_context = logs.carry(run_endpoint)  # worker threads keep the run id in their log lines
    with ThreadPoolExecutor(max_workers=max(1, parallelism), thread_name_prefix="hfleet-apply") as pool:
        for phase in sorted(phases):
            list(pool.map(in_context, phases[phase]))
    order = {id(c): i for i, c in enumerate(plan.changes)}
    outcomes.sort(key=lambda o: order.get(id(o.change), 0))
    return ApplyReport(tuple(outcomes), time.monotonic() - started)


def _run(
    change: plan_mod.Change,
    want: desired_mod.DesiredEndpoint | None,
    api: api_client.EndpointsApi,
    fleet: str,
) -> Outcome:
    started = time.monotonic()
    bound = log.bind(endpoint=change.name, namespace=change.namespace, action=change.action.value)
    bound.info("apply.change.started", reason=change.reason)
    try:
        note = _dispatch(change, want, api, fleet)
    except (errors.ReconcilerError, desired_mod.SecretUnavailable) as exc:
        message = logs.redact(str(exc))
        bound.error("apply.change.failed", error=message)
        return Outcome(change, False, time.monotonic() - started, message)
    except Exception as exc:  # a bug must not take the other endpoints down
        message = logs.redact(f"{type(exc).__name__}: {exc}")
        bound.exception("apply.change.crashed", error=message)
        return Outcome(change, False, time.monotonic() - started, message)
    bound.info("apply.change.done", note=note)
    return Outcome(change, True, time.monotonic() - started, None, note)


def _need(want: desired_mod.DesiredEndpoint | None, change: plan_mod.Change) -> desired_mod.DesiredEndpoint:
    if want is None:
        raise errors.ReconcilerError(f"{change.name}: no desired state for a {change.action.value}")
    return want


def _dispatch(
    change: plan_mod.Change,
    want: desired_mod.DesiredEndpoint | None,
    api: api_client.EndpointsApi,
    fleet: str,
) -> str | None:
    ns, name = change.key
    action = change.action
    if action is Action.CREATE:
        return _create(_need(want, change), api, fleet)
    if action is Action.UPDATE:
        target = _need(want, change)
        repair = change.reason.startswith("repair")
        paths = list(target.flat) if repair else change.paths
        removed = any(f.path == "model.secrets" and f.new == "(removed)" for f in change.fields)
        payload = desired_mod.update_payload(
            target, paths, secrets=change.secrets or repair, remove_secrets=removed
        )
        api.update(ns, name, payload)
        return None
    if action is Action.REPLACE:
        target = _need(want, change)
        payload = desired_mod.create_payload(target)  # resolve secrets before deleting anything
        _delete(api, ns, name)
        _create_with_payload(target, payload, api, fleet, retry_conflict=True)
        return "deleted and re-created"
    if action is Action.RESUME:
        return _resume(api, ns, name)
    if action is Action.PAUSE:
        api.pause(ns, name)
        return None
    if action is Action.SCALE_TO_ZERO:
        if change.live_state == "paused":
            # The API refuses to scale a paused endpoint to zero ("resume it first"): without this,
            # paused → scaled_to_zero would fail on every pass and never converge.
            _resume(api, ns, name)
            api.scale_to_zero(ns, name)
            return "resumed first: a paused endpoint cannot scale to zero"
        api.scale_to_zero(ns, name)
        return None
    if action is Action.DELETE:
        return _delete(api, ns, name)
    return None


def _resume(api: api_client.EndpointsApi, ns: str, name: str) -> str | None:
    try:
        api.resume(ns, name)
    except api_errors.BadRequest as exc:
        if "already running" not in exc.detail.lower():
            raise
        return "already running"
    return None


def _delete(api: api_client.EndpointsApi, ns: str, name: str) -> str | None:
    try:
        api.delete(ns, name)
    except api_errors.NotFound:
        return "already gone"
    return None


def _create(want: desired_mod.DesiredEndpoint, api: api_client.EndpointsApi, fleet: str) -> str | None:
    return _create_with_payload(want, desired_mod.create_payload(want), api, fleet)


def _create_with_payload(
    want: desired_mod.DesiredEndpoint,
    payload: dict[str, Any],
    api: api_client.EndpointsApi,
    fleet: str,
    *,
    retry_conflict: bool = False,
) -> str | None:
    """Create, resolving a 409 by reading the endpoint back.

    A 409 after a lost response (the first POST worked, its answer never came) finds our own
    endpoint: we check the owner tag and the fields, and send an update if they differ. A 409 on an
    endpoint we do not own is a conflict, never an adoption.
    """
    ns = want.namespace
    attempts = 10 if retry_conflict else 1
    for attempt in range(attempts):
        try:
            api.create(ns, payload)
            return None
        except api_errors.Conflict:
            existing = live.LiveEndpoint(ns, api.get(ns, want.name))
            if existing.owner() != fleet:
                if retry_conflict and attempt + 1 < attempts:
                    time.sleep(min(2.0, 0.1 * 2**attempt))  # the old one may still be going away
                    continue
                raise errors.ForeignEndpoint(
                    f"{want.name}: an endpoint with this name exists and is not owned by fleet {fleet!r}"
                ) from None
            fields = plan_mod.field_changes(want.flat, existing.flat())
            if fields:
                api.update(
                    ns, want.name, desired_mod.update_payload(want, [f.path for f in fields], secrets=True)
                )
                return "already existed (an earlier response was lost); updated to match"
            return "already existed (an earlier response was lost); it matches"
    return None


def wait_until_settled(
    api: api_client.EndpointsApi,
    plan: plan_mod.Plan,
    desired: Mapping[tuple[str, str], desired_mod.DesiredEndpoint],
    report: ApplyReport,
    *,
    timeout: float = 900.0,
    poll: float = 5.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> ApplyReport:
    """Wait until every touched endpoint reaches its desired power state; fail fast on failed states.

    Polls the namespace listings (pages, not one GET per endpoint).
    """
    touched: dict[tuple[str, str], str] = {}
    for outcome in report.outcomes:
        change = outcome.change
        if not outcome.ok or change.action is Action.DELETE:
            continue
        want = desired.get(change.key)
        if change.action in (Action.CREATE, Action.REPLACE):
            touched[change.key] = "running"  # an endpoint created "off" is turned off on the next pass
        elif want is not None:
            touched[change.key] = {
                "running": "running",
                "paused": "paused",
                "scaled_to_zero": "scaledToZero",
            }[want.power.value]
    final: dict[str, str] = {}
    problems: list[str] = []
    deadline = clock() + timeout
    pending = dict(touched)
    while pending:
        listed = live.fetch(api, {k[0] for k in pending})
        for key, target in list(pending.items()):
            endpoint = listed.get(key)
            if endpoint is None:
                problems.append(f"{key[1]}: disappeared while waiting")
                del pending[key]
                continue
            state = endpoint.state
            final[key[1]] = state
            idle_ok = target == "running" and state == "scaledToZero"
            if state == target or idle_ok:
                del pending[key]
            elif endpoint.health is live.Health.FAILED:
                problems.append(f"{key[1]}: {state}: {endpoint.message or 'no message'}")
                del pending[key]
        if not pending:
            break
        if clock() >= deadline:
            for key, target in pending.items():
                problems.append(
                    f"{key[1]}: still {final.get(key[1], 'unknown')} after {timeout:.0f}s (want {target})"
                )
            break
        sleep(poll)
    return report.with_wait(final, problems)
