"""The pipeline of one pass: observe → plan → price → check → confirm → apply → converge → smoke.

Owns: ``Options``, ``Observation``, ``observe``, ``make_plan`` (the plan a command shows: decisions,
hardware checked against the catalog, costs, quota), ``run`` (one pass, as ``plan``, ``apply`` and
the controller use it) and ``RunResult``. Called by: the CLI and the controller; ``status``, ``smoke``
and ``doctor`` reuse ``observe`` and ``make_plan``. Must not: print or parse arguments; it reports
through ``Events`` and returns values (octoDNS's ``Manager.sync``, gitops-engine's ``engine.Sync``).

With ``wait``, an apply converges: after its writes it waits for the endpoints it touched to settle,
plans again at the same instant, and applies what follows from the same spec (the pause a schedule
wants for an endpoint just created, a scale-to-zero after a resume): only power changes of endpoints
the reviewed plan touched, never a new create, update, replace or delete, which need a new review.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from reconciler import errors, logs, metrics
from reconciler.api import client as api_client
from reconciler.engine import apply as apply_mod
from reconciler.engine import catalog as catalog_mod
from reconciler.engine import cost, decide, poll, safety, wait
from reconciler.engine import desired as desired_mod
from reconciler.engine import live as live_mod
from reconciler.engine.plan import Action, Change, Plan
from reconciler.engine.session import Session, fleet_lock
from reconciler.spec import loader
from reconciler.spec import models as spec_models
from reconciler.wire.record import State

__all__ = [
    "Events",
    "Observation",
    "Options",
    "RunResult",
    "catalogs",
    "check_all_hardware",
    "make_plan",
    "observe",
    "run",
]

log = logs.get_logger(__name__)
Key = tuple[str, str]
MAX_ROUNDS = 6


@dataclass(frozen=True)
class Options:
    """What one pass does. Defaults are the safe ones (no prune, no force, no replace)."""

    prune: bool = False
    targets: tuple[str, ...] = ()
    now: datetime | None = None  # evaluate schedules at this instant (previews, tests)
    limits: safety.Limits = field(default_factory=safety.Limits)
    wait: bool = False
    wait_timeout: float = 900.0
    lock_timeout: float = 0.0
    quota: bool = True  # refuse a plan above quota (``--force`` turns it into a warning)

    def data(self) -> dict[str, Any]:
        """What a saved plan records to be recomputed alike."""
        return {"prune": self.prune, "targets": sorted(self.targets)}


@dataclass(frozen=True)
class Events:
    """Callbacks the renderers hook into; every one is optional and called from the engine's threads."""

    on_plan: Callable[[Plan], None] | None = None
    on_outcome: Callable[[apply_mod.Outcome], None] | None = None
    on_state: Callable[[Key, str], None] | None = None
    on_round: Callable[[int, Plan], None] | None = None


@dataclass(frozen=True)
class Observation:
    """Everything a plan is computed from."""

    fleet: loader.Fleet
    now: datetime
    live: live_mod.LiveState
    desired: dict[Key, desired_mod.DesiredEndpoint]
    namespaces: tuple[str, ...]

    @property
    def schedules(self) -> dict[Key, Any]:
        return {key: self.fleet.schedule_of(want.spec) for key, want in self.desired.items()}

    @functools.cached_property
    def ours(self) -> dict[Key, Any]:
        """This fleet's live endpoints (computed once: plan, costs, gauges and status all ask)."""
        return {r.key: r for r in self.live.owned_by(self.fleet.name, self.namespaces)}


@dataclass(frozen=True)
class RunResult:
    plan: Plan
    observation: Observation
    report: apply_mod.ApplyReport | None = None
    catalogs: Mapping[str, catalog_mod.Catalog] = field(default_factory=dict)
    quota_problem: str | None = None


def observe(fleet: loader.Fleet, api: api_client.EndpointsApi, now: datetime | None = None) -> Observation:
    """Read the live endpoints of every namespace the fleet uses, and build the desired state at ``now``."""
    at = now or datetime.now(UTC)
    namespaces = tuple(sorted({fleet.namespace, *(fleet.namespace_of(e) for e in fleet.endpoints)}))
    current = live_mod.fetch(api, namespaces)
    wanted: dict[Key, desired_mod.DesiredEndpoint] = {}
    for spec in fleet.endpoints:
        key = (fleet.namespace_of(spec), spec.name)
        have = current.get(key)
        since = desired_mod.grace_from(have.state if have else None, have.last_change if have else None, at)
        wanted[key] = desired_mod.build(fleet, spec, at, last_change=since)
    return Observation(fleet, at, current, wanted, namespaces)


def _hardware_to_check(observation: Observation, plan: Plan) -> list[desired_mod.DesiredEndpoint]:
    """Desired endpoints whose hardware no live endpoint vouches for (creates, resizes, replaces)."""
    out = []
    for change in plan.writes:
        want = observation.desired.get(change.key)
        have = observation.live.get(change.key)
        if want is None or change.action not in (Action.CREATE, Action.REPLACE, Action.UPDATE):
            continue
        spec = want.spec
        same = have is not None and (have.vendor, have.region, have.instance_type, have.instance_size) == (
            spec.vendor,
            spec.region,
            spec.instance_type,
            spec.instance_size,
        )
        if not same:
            out.append(want)
    return out


def catalogs(
    api: api_client.EndpointsApi, namespaces: set[str]
) -> tuple[dict[str, catalog_mod.Catalog], list[str]]:
    books: dict[str, catalog_mod.Catalog] = {}
    warnings = []
    for namespace in sorted(namespaces):
        try:
            books[namespace] = catalog_mod.Catalog.from_json(api.hardware(namespace))
        except errors.ReconcilerError as exc:
            log.warning("plan.catalog.unavailable", namespace=namespace, error=str(exc))
            warnings.append(
                f"hardware catalog of {namespace} unavailable ({exc}): hardware, costs and quota not checked"
            )
    return books, warnings


def _check_hardware(
    fleet: loader.Fleet,
    books: Mapping[str, catalog_mod.Catalog],
    specs: list[tuple[str, spec_models.EndpointSpec]],
) -> None:
    """Every (namespace, spec)'s hardware against that namespace's catalog; ``SpecError`` located at
    the field at fault."""
    problems = []
    for namespace, spec in specs:
        book = books.get(namespace)
        if book is None:
            continue
        why = catalog_mod.hardware_problem(
            book,
            spec.vendor or "",
            spec.region or "",
            spec.accelerator,
            spec.instance_type or "",
            spec.instance_size or "",
        )
        if why is not None:
            problems.append(_locate(fleet, spec.name, *why))
    if problems:
        raise errors.SpecError(problems)


def check_all_hardware(fleet: loader.Fleet, api: api_client.EndpointsApi) -> None:
    """``hfleet validate --catalog``: every endpoint's hardware against its namespace's catalog."""
    namespaces = {fleet.namespace_of(e) for e in fleet.endpoints}
    books, warnings = catalogs(api, namespaces)
    if warnings:
        raise errors.ReconcilerError("; ".join(warnings))
    _check_hardware(fleet, books, [(fleet.namespace_of(spec), spec) for spec in fleet.endpoints])


def _locate(fleet: loader.Fleet, name: str, field_name: str, message: str) -> errors.Problem:
    where = fleet.locate(name, field_name) or fleet.sources.get(name)
    if where is None:
        return errors.Problem("(specs)", 0, 0, f"{name}.{field_name}", message)
    return errors.Problem(where.file, where.line, where.column or 1, f"{name}.{field_name}", message)


def make_plan(
    observation: Observation, api: api_client.EndpointsApi, options: Options
) -> tuple[Plan, dict[str, catalog_mod.Catalog], str | None]:
    """The plan, with hardware checked against the catalog (``SpecError`` before any write), costs and
    quota (a quota problem is returned, so ``plan`` can show the plan and still refuse)."""
    plan = decide.compute(
        observation.fleet.name,
        observation.desired,
        observation.live,
        now=observation.now,
        namespaces=observation.namespaces,
        prune=options.prune,
        targets=options.targets or None,
    )
    plan = plan.with_options(options.data())
    unknown = sorted(
        set(options.targets) - {k[1] for k in observation.desired} - {k[1] for k in observation.ours}
    )
    if unknown:
        raise errors.ReconcilerError(
            f"--target names no endpoint of the specs or the fleet: {', '.join(unknown)}"
        )
    for bad in observation.live.malformed:
        if not any(c.key == (bad.namespace, bad.name) for c in plan.changes):
            plan = plan.with_warnings(
                f"{bad.namespace}/{bad.name}: the API's answer is malformed; left alone"
            )
    check = _hardware_to_check(observation, plan)
    books: dict[str, catalog_mod.Catalog] = {}
    if plan.has_changes or check:
        books, warnings = catalogs(api, {c.namespace for c in plan.writes} | {w.namespace for w in check})
        plan = plan.with_warnings(*warnings)
        _check_hardware(observation.fleet, books, [(w.namespace, w.spec) for w in check])
    quota_problem = None
    if books:
        plan = cost.annotate(plan, observation.desired, observation.ours, observation.schedules, books)
        try:
            cost.check_quota(plan, observation.desired, observation.live.records, books)
        except errors.QuotaExceeded as exc:
            quota_problem = str(exc)
    _record_gauges(observation, plan)
    log.info("plan.computed", fleet=observation.fleet.name, **{k: v for k, v in plan.counts().items() if v})
    return plan, books, quota_problem


def _record_gauges(observation: Observation, plan: Plan) -> None:
    states: dict[str, int] = {}
    for endpoint in observation.ours.values():
        states[endpoint.state] = states.get(endpoint.state, 0) + 1
    for state in State:
        metrics.ENDPOINTS.labels(state.value).set(states.get(state.value, 0))
    metrics.DRIFT.set(len({c.key for c in plan.writes}))


def run(
    fleet: loader.Fleet,
    session: Session,
    options: Options,
    *,
    apply: bool,
    confirm: Callable[[Plan], bool] | None = None,
    events: Events | None = None,
    saved: Plan | None = None,
) -> RunResult:
    """One pass. Without ``apply``: observe and plan (never writes). With it: under the fleet lock,
    refuse a stale ``saved`` plan, check safety once, ask ``confirm``, apply, and converge with ``wait``.
    Raises ``UnsafePlanError`` (exit 3) or ``ReconcilerError`` before any write; failures of single
    endpoints are outcomes in the report."""
    events = events or Events()
    if not apply:
        observation = observe(fleet, session.api, options.now)
        plan, books, quota = make_plan(observation, session.api, options)
        return RunResult(plan, observation, None, books, quota)
    with fleet_lock(fleet.name, session.settings.state_dir, options.lock_timeout):
        observation = observe(fleet, session.api, options.now)
        plan, books, quota = make_plan(observation, session.api, options)
        if saved is not None and saved.checksum() != plan.checksum():
            raise errors.StalePlan(
                "the saved plan is stale: the live state or the specs changed since it was made; plan again"
            )
        if events.on_plan is not None:
            events.on_plan(plan)
        if not plan.has_changes:
            return RunResult(plan, observation, apply_mod.ApplyReport((), 0.0), books, quota)
        safety.check(plan, options.limits, observation.desired)
        if quota is not None and options.quota:
            raise errors.QuotaExceeded(quota)
        if confirm is not None and not confirm(plan):
            raise errors.ReconcilerError("cancelled; nothing was changed")
        report = _execute(session, events, plan, observation)
        if options.wait:
            report = _converge(fleet, session, options, plan, report, events)
        # What still differs once the writes are sent: the endpoints whose changes failed. (The plan
        # counted every endpoint it would write; left there, the gauge would read as drift that
        # persists until the next pass, and the drift alert would go pending after every apply.)
        metrics.DRIFT.set(len({o.change.key for o in report.failed}))
        return RunResult(plan, observation, report, books, quota)


@dataclass
class _Convergence:
    """What converging has found so far; each round updates it as endpoints settle, fail or need a review."""

    report: apply_mod.ApplyReport
    watched: set[Key]  # endpoints still being brought to their spec
    problems: list[str] = field(default_factory=list)
    states: dict[str, str] = field(default_factory=dict)  # last state seen, by endpoint name


def _converge(
    fleet: loader.Fleet,
    session: Session,
    options: Options,
    plan: Plan,
    report: apply_mod.ApplyReport,
    events: Events,
) -> apply_mod.ApplyReport:
    """Wait, plan again, apply the power changes that follow; repeat until nothing follows."""
    started = time.monotonic()
    deadline = started + options.wait_timeout
    done = _Convergence(report, _to_watch(plan, report))
    for round_number in range(2, MAX_ROUNDS + 2):
        if not done.watched or not _settle(session, options, deadline, events, done):
            break
        again, follow, power = _follow_up(fleet, session, options, done)
        if power:
            step = replace(follow, changes=tuple(power))
            if events.on_round is not None:
                events.on_round(round_number, step)
            more = _execute(session, events, step, again)
            done.report = done.report.extended(more)
            done.watched -= {o.change.key for o in more.failed}  # failed: reported, not retried
        elif not any(c.action is Action.WAIT and c.key in done.watched for c in follow.changes):
            break
    else:
        done.problems.append(f"not converged after {MAX_ROUNDS} rounds; plan again")
    return done.report.with_wait(
        done.states, done.problems, done.report.duration + (time.monotonic() - started)
    )


def _to_watch(plan: Plan, report: apply_mod.ApplyReport) -> set[Key]:
    """The endpoints the reviewed plan touched or waited for: only these may get follow-up power
    changes. Deleted ones have nothing to settle; failed ones are reported, not retried."""
    watched = {c.key for c in plan.changes if c.action.writes or c.action is Action.WAIT}
    return watched - (
        {c.key for c in plan.changes if c.action is Action.DELETE} | {o.change.key for o in report.failed}
    )


def _settle(session: Session, options: Options, deadline: float, events: Events, done: _Convergence) -> bool:
    """Wait for the watched endpoints to leave their transitions. False when some are still moving
    at the deadline: then planning again would only plan a wait."""
    poller = poll.Poller(max(0.0, deadline - time.monotonic()), stop=session.stop)
    settled = wait.settle(session.api, done.watched, poller, on_state=events.on_state)
    done.states.update({k[1]: v for k, v in settled.states.items()})
    done.problems += [f"{key[1]}: {problem}" for key, problem in sorted(settled.problems.items())]
    done.watched -= set(settled.problems)
    if not settled.pending:
        return True
    done.problems += [
        f"{k[1]}: still {done.states.get(k[1], 'unknown')} after {options.wait_timeout:.0f}s"
        for k in sorted(settled.pending)
    ]
    return False


def _follow_up(
    fleet: loader.Fleet, session: Session, options: Options, done: _Convergence
) -> tuple[Observation, Plan, list[Change]]:
    """Plan again at the same instant for the watched endpoints; the power changes that follow.

    Any other change (an update, a replace) needs a new review: it is reported, and its endpoint is
    watched no more."""
    again = observe(fleet, session.api, options.now)
    scope = replace(options, targets=tuple(sorted({k[1] for k in done.watched})), prune=False)
    follow, _, _ = make_plan(again, session.api, scope)
    power = [c for c in follow.writes if c.action.power and c.key in done.watched]
    blocked = [c for c in follow.writes if not c.action.power and c.key in done.watched]
    done.problems += [
        f"{c.name}: still needs {c.action.value} ({c.detail}); plan again to review it" for c in blocked
    ]
    done.watched -= {c.key for c in blocked}
    return again, follow, power


def _execute(session: Session, events: Events, plan: Plan, seen: Observation) -> apply_mod.ApplyReport:
    """Apply ``plan`` against what ``seen`` observed: the first pass and every follow-up round alike."""
    return apply_mod.execute(
        plan,
        seen.desired,
        seen.live.records,
        session.api,
        parallelism=session.settings.parallelism,
        on_outcome=events.on_outcome,
        stop=session.stop,
    )
