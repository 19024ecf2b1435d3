"""Applying a plan: run its changes against the API, concurrently, and report every outcome.

Owns: ``execute`` (phases, per-endpoint ordering, bounded concurrency, idempotent recovery of lost
responses), ``Outcome`` and ``ApplyReport``. Called by: ``reconciler.engine.run``.
Must not: decide what to change (``decide`` did) or raise for one endpoint's failure: every change
produces an ``Outcome`` and the report is always returned. It dispatches on the plan's typed values
(action, reason, secrets), never on its prose.

Order: creates, updates and resumes first; then pauses and scale-to-zero; deletes last. Changes of
one endpoint run in one task, in an order that avoids needless work: a running endpoint is paused
before its configuration is updated (no rebuild of something going off), and scaled to zero after
(a configuration change wakes a scaled-to-zero endpoint).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

from reconciler import errors, logs, metrics
from reconciler.api import client as api_client
from reconciler.api import errors as api_errors
from reconciler.engine import desired as desired_mod
from reconciler.engine import diff, poll
from reconciler.engine.plan import Action, Change, Plan, Reason, SecretChange
from reconciler.wire import convert, ownership, record

__all__ = ["ApplyReport", "Outcome", "execute"]

log = logs.get_logger(__name__)
Key = tuple[str, str]
REPLACE_GONE_TIMEOUT = 600.0  # how long a replace waits for the old endpoint to disappear


@dataclass(frozen=True)
class Outcome:
    """What happened to one change."""

    change: Change
    ok: bool
    duration: float
    error: str | None = None
    note: str | None = None
    skipped: bool = False  # not attempted: an earlier step of the same endpoint failed, or shutdown

    def data(self) -> dict[str, Any]:
        return {
            "action": self.change.action.value,
            "namespace": self.change.namespace,
            "name": self.change.name,
            "ok": self.ok,
            "skipped": self.skipped,
            "duration_seconds": round(self.duration, 3),
            "error": self.error,
            "note": self.note,
        }


@dataclass(frozen=True)
class ApplyReport:
    """The result of an apply, complete even when some changes failed."""

    outcomes: tuple[Outcome, ...]
    duration: float
    waited: Mapping[str, str] = field(default_factory=dict)  # endpoint → final state, with --wait
    wait_errors: tuple[str, ...] = ()
    rounds: int = 1

    @property
    def failed(self) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if not o.ok)

    @property
    def applied(self) -> tuple[Outcome, ...]:
        return tuple(o for o in self.outcomes if o.ok)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.wait_errors

    def extended(self, more: ApplyReport) -> ApplyReport:
        """This report followed by a later round's (``apply --wait`` converging in several rounds)."""
        return ApplyReport(
            self.outcomes + more.outcomes,
            self.duration + more.duration,
            {**self.waited, **more.waited},
            self.wait_errors + more.wait_errors,
            self.rounds + more.rounds,
        )

    def with_wait(self, waited: Mapping[str, str], problems: list[str], duration: float) -> ApplyReport:
        return replace(
            self,
            waited={**self.waited, **waited},
            wait_errors=(*self.wait_errors, *problems),
            duration=duration,
        )

    def data(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "duration_seconds": round(self.duration, 3),
            "applied": len(self.applied),
            "failed": len(self.failed),
            "rounds": self.rounds,
            "outcomes": [o.data() for o in self.outcomes],
            "waited": dict(self.waited),
            "wait_errors": list(self.wait_errors),
        }


@dataclass(frozen=True)
class _Context:
    api: api_client.EndpointsApi
    fleet: str
    desired: Mapping[Key, desired_mod.DesiredEndpoint]
    live: Mapping[Key, record.EndpointRecord]
    stop: threading.Event


def _group(changes: tuple[Change, ...]) -> dict[int, list[list[Change]]]:
    """Changes per endpoint, in per-endpoint order, grouped by the phase the endpoint runs in."""
    by_endpoint: dict[Key, list[Change]] = {}
    for change in changes:
        if change.action.writes:
            by_endpoint.setdefault(change.key, []).append(change)
    phases: dict[int, list[list[Change]]] = {}
    for items in by_endpoint.values():
        pauses = [c for c in items if c.action is Action.PAUSE]
        others = sorted((c for c in items if c not in pauses), key=lambda c: list(Action).index(c.action))
        phase = max(c.action.phase for c in items)
        phases.setdefault(phase, []).append(pauses + others)
    return phases


def execute(
    plan: Plan,
    desired: Mapping[Key, desired_mod.DesiredEndpoint],
    live: Mapping[Key, record.EndpointRecord],
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
    ctx = _Context(api, plan.fleet, desired, live, stop or threading.Event())
    outcomes: list[Outcome] = []
    lock = threading.Lock()

    def record_outcome(outcome: Outcome) -> None:
        with lock:
            outcomes.append(outcome)
        metrics.APPLY_CHANGES.labels(outcome.change.action.value, "ok" if outcome.ok else "failed").inc()
        if not outcome.ok:
            metrics.APPLY_ERRORS.labels(outcome.change.action.value).inc()
        if on_outcome is not None:
            on_outcome(outcome)

    def run_endpoint(items: list[Change]) -> None:
        for index, change in enumerate(items):
            if ctx.stop.is_set():
                for skipped in items[index:]:
                    record_outcome(
                        Outcome(skipped, False, 0.0, "skipped: shutting down before it started", skipped=True)
                    )
                return
            outcome = _run(change, ctx)
            record_outcome(outcome)
            if not outcome.ok:  # the endpoint's next steps depend on this one
                for skipped in items[index + 1 :]:
                    record_outcome(
                        Outcome(skipped, False, 0.0, f"skipped: {change.action.value} failed", skipped=True)
                    )
                return

    phases = _group(plan.changes)
    in_context = logs.carry(run_endpoint)  # worker threads keep the run id in their log lines
    with ThreadPoolExecutor(max_workers=max(1, parallelism), thread_name_prefix="hfleet-apply") as pool:
        for phase in sorted(phases):
            list(pool.map(in_context, phases[phase]))
    order = {id(c): i for i, c in enumerate(plan.changes)}
    outcomes.sort(key=lambda o: order.get(id(o.change), 0))
    return ApplyReport(tuple(outcomes), time.monotonic() - started)


def _run(change: Change, ctx: _Context) -> Outcome:
    started = time.monotonic()
    bound = log.bind(endpoint=change.name, namespace=change.namespace, action=change.action.value)
    bound.info("apply.change.started", reason=change.reason.value)
    try:
        note = _dispatch(change, ctx)
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


def _want(change: Change, ctx: _Context) -> desired_mod.DesiredEndpoint:
    want = ctx.desired.get(change.key)
    if want is None:
        raise errors.ReconcilerError(f"{change.name}: no desired state for a {change.action.value}")
    return want


def _dispatch(change: Change, ctx: _Context) -> str | None:
    ns, name = change.key
    api = ctx.api
    action = change.action
    if action is Action.CREATE:
        want = _want(change, ctx)
        return _create(want, _create_payload(want), ctx)
    if action is Action.UPDATE:
        want = _want(change, ctx)
        api.update(ns, name, _update_payload(change, want, ctx.live.get(change.key)))
        return None
    if action is Action.REPLACE:
        want = _want(change, ctx)
        payload = _create_payload(want)  # resolve the secrets before deleting anything
        _delete(api, ns, name)
        _wait_gone(api, ns, name, ctx.stop)
        note = _create(want, payload, ctx)
        return "deleted, gone, re-created" + (f"; {note}" if note else "")
    if action is Action.RESUME:
        return _resume(api, ns, name)
    if action is Action.PAUSE:
        api.pause(ns, name)
        return None
    if action is Action.SCALE_TO_ZERO:
        if change.live_state == record.State.PAUSED:
            # The API refuses to scale a paused endpoint to zero: without this, paused → scaled_to_zero
            # would fail on every pass and never converge.
            _resume(api, ns, name)
            api.scale_to_zero(ns, name)
            return "resumed first: a paused endpoint cannot scale to zero"
        api.scale_to_zero(ns, name)
        return None
    if action is Action.DELETE:
        return _delete(api, ns, name)
    return None


def _create_payload(want: desired_mod.DesiredEndpoint) -> dict[str, Any]:
    return convert.create_payload(want.spec, want.fleet, want.secrets_fingerprint, desired_mod.resolve_secret)


def _update_payload(
    change: Change, want: desired_mod.DesiredEndpoint, have: record.EndpointRecord | None
) -> dict[str, Any]:
    send = None
    if change.secrets in (SecretChange.SET, SecretChange.ROTATED):
        send = "send"
    elif change.secrets is SecretChange.REMOVED:
        send = "remove"
    elif change.reason is Reason.REPAIR and want.spec.secrets:
        send = "send"  # a failed endpoint gets its whole configuration again
    keep_env = [n.split(".", 1)[1] for n in want.ignore if n.startswith("env.")]
    keep_image = [_camel(n.split(".", 1)[1]) for n in want.ignore if n.startswith("image.")]
    return convert.update_payload(
        want.spec,
        want.view,
        change.paths,
        live=have,
        resolve=desired_mod.resolve_secret,
        secrets=send,
        fingerprint=want.secrets_fingerprint,
        keep_env=keep_env,
        keep_image=keep_image,
    )


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


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


def _wait_gone(api: api_client.EndpointsApi, ns: str, name: str, stop: threading.Event) -> None:
    """Wait until ``GET`` answers 404: re-creating while the old endpoint is still going away would
    get a 409 (how long a delete takes is not documented)."""
    for _ in poll.Poller(REPLACE_GONE_TIMEOUT, stop=stop).ticks():
        try:
            api.get(ns, name)
        except api_errors.NotFound:
            return
    raise errors.ReconcilerError(
        f"{name}: deleted, but still listed after {REPLACE_GONE_TIMEOUT:.0f}s; not re-created "
        "(run apply again once it is gone)"
    )


def _create(want: desired_mod.DesiredEndpoint, payload: dict[str, Any], ctx: _Context) -> str | None:
    """Create, resolving a 409 by reading the endpoint back.

    A 409 after a lost response (the first POST worked, its answer never came and the retry was
    refused) finds our own endpoint: the owner tag and the fields are checked, and an update is sent
    if they differ. A 409 on an endpoint we do not own is a conflict, never an adoption.
    """
    ns = want.namespace
    try:
        ctx.api.create(ns, payload)
        return None
    except api_errors.Conflict:
        existing = record.parse(ns, ctx.api.get(ns, want.name))
    if ownership.owner_of(existing.tags) != ctx.fleet:
        raise errors.ForeignEndpoint(
            f"{want.name}: an endpoint with this name exists and is not owned by fleet {ctx.fleet!r}"
        )
    found = diff.compare(want, existing)
    if not found.drift:
        return "already existed (an earlier response was lost); it matches"
    change = Change(Action.UPDATE, ns, want.name, Reason.DRIFT, paths=found.paths, secrets=found.secrets)
    ctx.api.update(ns, want.name, _update_payload(change, want, existing))
    return "already existed (an earlier response was lost); updated to match"
