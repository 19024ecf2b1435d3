"""One cost model: what an endpoint costs per month, before and after a plan, and whether it fits.

Owns: ``Basis`` (hardware, replicas and the share of the month an endpoint is up), ``monthly``,
``before`` / ``after`` (the two sides of a change), ``annotate`` (per-change deltas and the fleet's
total), ``check_quota`` and ``spend_rate``. Called by: ``reconciler.engine.run`` (plan, status),
``hfleet schedule`` and the PR comment, so every number a user sees comes from here.
Must not: call the API (the caller passes the catalogs) or read the clock (``now`` is an argument).

Billing (pricing docs): USD per replica-hour while initializing or running; paused and
scaled-to-zero endpoints are not billed. A month is 730 h. Costs are ceilings at ``max_replica``
(``low`` is the floor at ``min_replica``; the autoscaler's real usage is unknown).

The share of the month an endpoint is up is its *regime*: always on (1), under a schedule (the
schedule's share over four weeks, overrides included) or off (0, a ``state: paused`` spec). Both
sides of a change use the same regime unless the live power state says otherwise: a pause the
schedule does every evening changes nothing in the month's estimate, nor does its resume in the
morning (a paused endpoint whose schedule pauses is in its regime), while resuming an endpoint
that was paused by hand does. So an endpoint's delta is its ``after − before`` (split between an
update and a power change of the same endpoint: the update priced under the regime it is in), the
deltas add up to the total's change, and ``--target`` counts untargeted endpoints at their current
cost. tests/engine/test_cost_model.py holds the sums against ``hfleet status`` before and after.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from reconciler import errors
from reconciler.engine import catalog as catalog_mod
from reconciler.engine.desired import DesiredEndpoint
from reconciler.engine.plan import Action, Change, Plan
from reconciler.schedule import evaluate as schedule_eval
from reconciler.spec.models import PowerState
from reconciler.wire.record import EndpointRecord, State

__all__ = [
    "HOURS_PER_MONTH",
    "Basis",
    "Money",
    "after",
    "annotate",
    "before",
    "check_quota",
    "monthly",
    "regime_fraction",
    "spend_rate",
]

HOURS_PER_MONTH = 730.0  # 365 × 24 / 12
HORIZON = timedelta(days=28)  # four whole weeks: every weekday counted the same
BILLED_STATES = frozenset({State.INITIALIZING, State.RUNNING, State.UPDATING})
_REWRITES = (Action.UPDATE, Action.REPLACE, Action.CREATE)  # changes that send the configuration
Key = tuple[str, str]


@dataclass(frozen=True)
class Basis:
    """What a month of an endpoint costs depends on: hardware, replicas, share of time up."""

    vendor: str
    region: str
    instance_type: str
    instance_size: str
    min_replica: int
    max_replica: int
    fraction_up: float


@dataclass(frozen=True)
class Money:
    hourly: float  # one replica
    low: float  # per month at min_replica
    high: float  # per month at max_replica


def monthly(basis: Basis | None, catalog: catalog_mod.Catalog) -> Money | None:
    """The month's cost range, or None when the hardware has no price in the catalog."""
    if basis is None:
        return Money(0.0, 0.0, 0.0)
    price = catalog.price(basis.vendor, basis.region, basis.instance_type, basis.instance_size)
    if price is None:
        return None
    billed = price * HOURS_PER_MONTH * min(max(basis.fraction_up, 0.0), 1.0)
    low = max(basis.min_replica, 0)
    return Money(price, billed * low, billed * max(basis.max_replica, low))


def regime_fraction(want: DesiredEndpoint, schedule: Any, now: datetime) -> float:
    """The share of the month the spec keeps the endpoint up (its regime), overrides included: the
    same function ``hfleet schedule`` counts hours with."""
    if want.spec.state in (PowerState.PAUSED, PowerState.SCALED_TO_ZERO):
        return 0.0
    if schedule is None and want.spec.schedule_override is None:
        return 1.0
    return schedule_eval.fraction_up(schedule, now, now + HORIZON, override=want.spec.schedule_override)


def _live_fraction(have: EndpointRecord, want: DesiredEndpoint | None, schedule: Any, now: datetime) -> float:
    off = have.state in (State.PAUSED, State.SCALED_TO_ZERO)
    if want is None:
        return 0.0 if have.state == State.PAUSED else 1.0
    spec_off = want.spec.state in (PowerState.PAUSED, PowerState.SCALED_TO_ZERO)
    if spec_off:
        # The spec turns it off for good; live it still runs under whatever regime it had.
        if off:
            return 0.0
        return 1.0 if schedule is None else _scheduled(schedule, now)
    if have.state == State.PAUSED and not _pauses(want, schedule):
        return 0.0  # paused by hand: resuming it is what costs money
    if have.state == State.SCALED_TO_ZERO and _held_at_zero(have, want, schedule):
        return 0.0  # scaled to zero by hand although it may not idle there: waking it costs money
    return regime_fraction(want, schedule, now)


def _held_at_zero(have: EndpointRecord, want: DesiredEndpoint, schedule: Any) -> bool:
    """At zero by hand: its floor is a replica (so it does not idle there, and a plan wakes it) and
    no schedule of its own puts it there (then zero is its regime's off time)."""
    floor = want.spec.min_replica if want.spec.min_replica is not None else have.min_replica
    by_schedule = want.by_schedule and (
        want.power is PowerState.SCALED_TO_ZERO or getattr(schedule, "off", None) == "scale_to_zero"
    )
    return (floor or 0) >= 1 and not by_schedule


def _pauses(want: DesiredEndpoint, schedule: Any) -> bool:
    """Whether the endpoint's schedule pauses it when off: then a paused endpoint is in its regime,
    and the morning's resume costs no more than the evening's pause saved."""
    if not want.by_schedule:
        return False
    return want.power is PowerState.PAUSED or getattr(schedule, "off", None) == "pause"


def _scheduled(schedule: Any, now: datetime) -> float:
    return schedule_eval.fraction_up(schedule, now, now + HORIZON)


def _replicas(low: int | None, high: int | None) -> tuple[int, int]:
    floor = 1 if low is None else low
    return floor, (high if high is not None else max(1, floor))


def before(
    have: EndpointRecord | None, want: DesiredEndpoint | None, schedule: Any, now: datetime
) -> Basis | None:
    """The endpoint as it stands live, under the regime it is in."""
    if have is None:
        return None
    low, high = _replicas(have.min_replica, have.max_replica)
    return Basis(
        have.vendor or "",
        have.region or "",
        have.instance_type or "",
        have.instance_size or "",
        low,
        high,
        _live_fraction(have, want, schedule, now),
    )


def after(
    have: EndpointRecord | None,
    want: DesiredEndpoint | None,
    schedule: Any,
    now: datetime,
    *,
    rewritten: bool,
) -> Basis | None:
    """The endpoint once the plan is applied: the spec's stated hardware and replicas where the plan
    rewrites the configuration (``rewritten``), the live ones otherwise; the spec's regime."""
    if want is None:
        return None
    spec = want.spec
    ignored = want.ignore
    if have is None or rewritten:

        def pick(name: str, stated: Any, live: Any) -> Any:
            return live if (stated is None or name in ignored) and have is not None else stated

        low, high = _replicas(
            pick("min_replica", spec.min_replica, have.min_replica if have else None),
            pick("max_replica", spec.max_replica, have.max_replica if have else None),
        )
        return Basis(
            spec.vendor or "",
            spec.region or "",
            pick("instance_type", spec.instance_type, have.instance_type if have else None) or "",
            pick("instance_size", spec.instance_size, have.instance_size if have else None) or "",
            low,
            high,
            regime_fraction(want, schedule, now),
        )
    basis = before(have, want, schedule, now)
    assert basis is not None
    return replace(basis, fraction_up=regime_fraction(want, schedule, now))


def annotate(
    plan: Plan,
    desired: Mapping[Key, DesiredEndpoint],
    ours: Mapping[Key, EndpointRecord],
    schedules: Mapping[Key, Any],
    catalogs: Mapping[str, catalog_mod.Catalog],
) -> Plan:
    """The plan with each change's monthly delta and the fleet's total after it. ``ours``: this
    fleet's live endpoints (``Observation.ours``; an endpoint of another fleet costs this one nothing).

    An endpoint's delta is ``after − before``. When the plan both rewrites its configuration and
    changes its power state (an update and a resume), each change carries its own part: the update
    is priced under the regime the endpoint is in, the power change takes the rest; so a secret
    rotation of an endpoint paused by hand costs nothing and its resume costs the month."""
    writes: dict[Key, list[Change]] = {}
    for change in plan.writes:
        writes.setdefault(change.key, []).append(change)
    total = 0.0
    parts: dict[tuple[Key, Action], float] = {}
    for key in sorted(set(desired) | set(ours)):
        book = catalog_mod.for_namespace(catalogs, key[0])
        if book is None:
            continue
        changes = writes.get(key, [])
        was_basis, will_basis = _sides(ours.get(key), desired.get(key), schedules.get(key), plan.now, changes)
        was, will = monthly(was_basis, book), monthly(will_basis, book)
        if was is None or will is None:
            continue  # no price: left out of the total, its changes carry no delta rather than a wrong one
        total += will.high
        parts.update(_split(key, changes, was_basis, will_basis, was, will, book))
    return plan.with_costs(_with_deltas(plan, parts), total, sum(parts.values()))


def _sides(
    have: EndpointRecord | None,
    want: DesiredEndpoint | None,
    schedule: Any,
    now: datetime,
    changes: list[Change],
) -> tuple[Basis | None, Basis | None]:
    """The endpoint before and after its ``changes``: untouched, it stays as it is; deleted, it is
    gone; rewritten (an update, a replace, a create), it takes the spec's hardware and replicas."""
    was = before(have, want, schedule, now)
    if not changes:
        return was, was
    if any(c.action is Action.DELETE for c in changes):
        return was, None
    rewritten = any(c.action in _REWRITES for c in changes)
    return was, after(have, want, schedule, now, rewritten=rewritten)


def _split(
    key: Key,
    changes: list[Change],
    was_basis: Basis | None,
    will_basis: Basis | None,
    was: Money,
    will: Money,
    book: catalog_mod.Catalog,
) -> dict[tuple[Key, Action], float]:
    """Each change's part of the endpoint's delta. An update with a power change: the update is
    priced under the regime the endpoint is in (the same hardware at the old share of the month),
    the power change takes the rest; otherwise the first change carries it all."""
    rewrites = [c for c in changes if c.action in _REWRITES]
    power = [c for c in changes if c.action.power]
    if rewrites and power and was_basis is not None and will_basis is not None:
        mid = monthly(replace(will_basis, fraction_up=was_basis.fraction_up), book)
        assert mid is not None  # the same hardware as ``will``, which has a price
        return {(key, rewrites[0].action): mid.high - was.high, (key, power[0].action): will.high - mid.high}
    if changes:
        return {(key, changes[0].action): will.high - was.high}
    return {}


def _with_deltas(plan: Plan, parts: Mapping[tuple[Key, Action], float]) -> tuple[Change, ...]:
    """The plan's changes with their delta; less than half a cent shows as none."""
    priced = []
    for change in plan.changes:
        delta = parts.get((change.key, change.action)) if change.action.writes else None
        priced.append(change.with_cost(delta if delta is not None and abs(delta) >= 0.005 else None))
    return tuple(priced)


def check_quota(
    plan: Plan,
    desired: Mapping[Key, DesiredEndpoint],
    live: Mapping[Key, EndpointRecord],
    catalogs: Mapping[str, catalog_mod.Catalog],
) -> None:
    """Raise ``QuotaExceeded`` if the plan's creates, resizes and resumes need more accelerators than
    a namespace has left. Nothing has been written when it raises."""
    problems: list[str] = []
    for namespace, book in catalogs.items():
        demands: list[catalog_mod.QuotaDemand] = []
        for change in plan.changes:
            want = desired.get(change.key)
            if change.namespace != namespace or want is None:
                continue
            if change.action not in (Action.CREATE, Action.REPLACE, Action.UPDATE, Action.RESUME):
                continue
            demand = _demand(book, want, live.get(change.key), replacing=change.action is Action.REPLACE)
            if demand is not None:
                demands.append(demand)
        problems += catalog_mod.quota_problems(book, demands)
    if problems:
        raise errors.QuotaExceeded("the plan exceeds the namespace's quota: " + "; ".join(problems))


def _accelerators(book: catalog_mod.Catalog, vendor: str, region: str, itype: str, size: str) -> int:
    row = book.row(vendor, region, itype, size)
    return int(row.num_accelerators) if row is not None else 0


def _demand(
    book: catalog_mod.Catalog, want: DesiredEndpoint, have: EndpointRecord | None, *, replacing: bool
) -> catalog_mod.QuotaDemand | None:
    """The accelerators one change asks of the quota, less what its endpoint holds already when it
    keeps them (not paused, not replaced, the same instance type): a resize asks only the difference."""
    where = _hardware(want, have)
    need = _accelerators(book, *where) * _ceiling(want, have)
    if have is not None and not replacing and have.state != State.PAUSED and have.instance_type == where[2]:
        need -= _held(book, have)
    return catalog_mod.QuotaDemand(*where, need) if need > 0 else None


def _hardware(want: DesiredEndpoint, have: EndpointRecord | None) -> tuple[str, str, str, str]:
    """Vendor, region, instance type and size the change asks for: the spec's, the live instance
    where the spec does not state it (an update keeps it)."""
    spec = want.spec
    itype = spec.instance_type or (have.instance_type if have else "") or ""
    size = spec.instance_size or (have.instance_size if have else "") or ""
    return (spec.vendor or "", spec.region or "", itype, size)


def _ceiling(want: DesiredEndpoint, have: EndpointRecord | None) -> int:
    """The replicas the quota must allow: the spec's ``max_replica``, else the live one, else 1."""
    return want.spec.max_replica or (have.max_replica if have else None) or 1


def _held(book: catalog_mod.Catalog, have: EndpointRecord) -> int:
    """What the live endpoint already takes of the quota: its live hardware at its live ceiling."""
    was = (have.vendor or "", have.region or "", have.instance_type or "", have.instance_size or "")
    return _accelerators(book, *was) * (have.max_replica or 1)


def spend_rate(live: Mapping[Key, EndpointRecord], catalogs: Mapping[str, catalog_mod.Catalog]) -> float:
    """What the endpoints cost per hour right now: list price × ready replicas while billed."""
    total = 0.0
    for key, have in live.items():
        book = catalog_mod.for_namespace(catalogs, key[0])
        if book is None or have.state not in BILLED_STATES:
            continue
        price = book.price(
            have.vendor or "", have.region or "", have.instance_type or "", have.instance_size or ""
        )
        total += (price or 0.0) * have.ready_replica
    return total
