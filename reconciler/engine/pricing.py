"""Cost and quota in the plan: what each change does to the monthly bill, and whether it fits.

Owns: ``annotate`` (per-change monthly cost deltas and the fleet's total), ``check_quota`` (refuse a
plan whose creates or resizes exceed the namespace's accelerator quota, before any write) and
``endpoint_costs`` (for ``status``). Called by: ``reconciler.engine.run``. Must not: call the API; the
hardware catalog is fetched by the caller, and only when the plan has writes, so a no-op plan costs
no extra call.

Costs are **ceilings**: price × max_replica × hours up per month, where hours up come from the
schedule (730 h a month always-on); the floor uses min_replica (0 for scale-to-zero endpoints).
Paused endpoints and endpoints whose schedule keeps them off cost nothing while off.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from reconciler import errors
from reconciler.engine import cost, live
from reconciler.engine import desired as desired_mod
from reconciler.engine import plan as plan_mod
from reconciler.schedule import evaluate as schedule_eval
from reconciler.spec import models as spec_models

__all__ = ["EndpointCost", "annotate", "check_quota", "endpoint_costs"]

HOURS_PER_MONTH = 730.0
_HORIZON = timedelta(days=28)  # four whole weeks: every weekday counted the same


@dataclass(frozen=True)
class EndpointCost:
    """The monthly cost range of one endpoint, and its hourly rate while up."""

    hourly: float | None
    low: float
    high: float


def _uptime(want: desired_mod.DesiredEndpoint, schedule: Any, now: datetime) -> float:
    if want.spec.state in (spec_models.PowerState.PAUSED, spec_models.PowerState.SCALED_TO_ZERO):
        return 0.0
    if schedule is None:
        return 1.0
    return schedule_eval.fraction_up(schedule, now, now + _HORIZON)


def desired_cost(
    want: desired_mod.DesiredEndpoint, schedule: Any, catalog: cost.Catalog, now: datetime
) -> EndpointCost:
    spec = want.spec
    price = catalog.price(
        spec.vendor or "", spec.region or "", spec.instance_type or "", spec.instance_size or ""
    )
    if price is None:
        return EndpointCost(None, 0.0, 0.0)
    low_replicas = spec.min_replica if spec.min_replica is not None else 1
    high_replicas = spec.max_replica if spec.max_replica is not None else max(1, low_replicas)
    estimate = cost.monthly_cost(
        price, low_replicas, high_replicas, _uptime(want, schedule, now), hours=HOURS_PER_MONTH
    )
    return EndpointCost(price, estimate.low, estimate.high)


def live_cost(endpoint: live.LiveEndpoint, catalog: cost.Catalog) -> EndpointCost:
    """What the endpoint costs if it stays as it is now (always on, unless paused)."""
    flat = endpoint.flat()
    price = catalog.price(
        str(flat.get("provider.vendor") or ""),
        str(flat.get("provider.region") or ""),
        str(flat.get("compute.instanceType") or ""),
        str(flat.get("compute.instanceSize") or ""),
    )
    if price is None:
        return EndpointCost(None, 0.0, 0.0)
    if endpoint.state == "paused":
        return EndpointCost(price, 0.0, 0.0)
    low = int(flat.get("compute.scaling.minReplica") or 0)
    high = int(flat.get("compute.scaling.maxReplica") or max(1, low))
    estimate = cost.monthly_cost(price, low, high, 1.0, hours=HOURS_PER_MONTH)
    return EndpointCost(price, estimate.low, estimate.high)


def annotate(
    result: plan_mod.Plan,
    wanted: dict[tuple[str, str], desired_mod.DesiredEndpoint],
    current: dict[tuple[str, str], live.LiveEndpoint],
    schedules: dict[tuple[str, str], Any],
    catalog: cost.Catalog,
) -> plan_mod.Plan:
    """The plan with each endpoint's monthly cost delta (on its first change) and the fleet's total."""
    now = result.now
    total = 0.0
    deltas: dict[tuple[str, str], float] = {}
    for key, want in wanted.items():
        after = desired_cost(want, schedules.get(key), catalog, now).high
        total += after
        have = current.get(key)
        before = live_cost(have, catalog).high if have is not None and have.owner() == result.fleet else 0.0
        deltas[key] = after - before
    for change in result.changes:
        if change.action is plan_mod.Action.DELETE and change.key in current:
            deltas[change.key] = -live_cost(current[change.key], catalog).high
    seen: set[tuple[str, str]] = set()
    changes = []
    total_delta = 0.0
    for change in result.changes:
        delta = deltas.get(change.key) if change.action.writes else None
        if delta is not None and change.key not in seen and abs(delta) >= 0.005:
            seen.add(change.key)
            total_delta += delta
            changes.append(change.with_cost(delta))
        else:
            changes.append(change)
    return replace(result, changes=tuple(changes), monthly_cost=total, monthly_cost_delta=total_delta)


def _accelerators(catalog: cost.Catalog, vendor: str, region: str, itype: str, size: str) -> int:
    row = catalog.row(vendor, region, itype, size)
    return int(row.num_accelerators) if row is not None else 0


def check_quota(
    result: plan_mod.Plan,
    wanted: dict[tuple[str, str], desired_mod.DesiredEndpoint],
    current: dict[tuple[str, str], live.LiveEndpoint],
    catalog: cost.Catalog,
) -> None:
    """Raise ``QuotaExceeded`` if the plan's creates, resizes and resumes need more accelerators than
    the namespace has left. Nothing has been written when it raises."""
    demands: list[cost.QuotaDemand] = []
    for change in result.changes:
        want = wanted.get(change.key)
        if want is None or change.action not in (
            plan_mod.Action.CREATE,
            plan_mod.Action.REPLACE,
            plan_mod.Action.UPDATE,
            plan_mod.Action.RESUME,
        ):
            continue
        spec = want.spec
        where = (spec.vendor or "", spec.region or "", spec.instance_type or "", spec.instance_size or "")
        need = _accelerators(catalog, *where) * (spec.max_replica or 1)
        have = current.get(change.key)
        if have is not None and change.action is not plan_mod.Action.REPLACE and have.state != "paused":
            flat = have.flat()
            before = (
                str(flat.get("provider.vendor")),
                str(flat.get("provider.region")),
                str(flat.get("compute.instanceType")),
                str(flat.get("compute.instanceSize")),
            )
            if before[2] == where[2]:
                need -= _accelerators(catalog, *before) * int(flat.get("compute.scaling.maxReplica") or 1)
        if need > 0:
            demands.append(cost.QuotaDemand(*where, need))
    problems = cost.quota_problems(catalog, demands)
    if problems:
        raise errors.QuotaExceeded("the plan exceeds the namespace's quota: " + "; ".join(problems))


def endpoint_costs(
    wanted: dict[tuple[str, str], desired_mod.DesiredEndpoint],
    schedules: dict[tuple[str, str], Any],
    catalog: cost.Catalog,
    now: datetime,
) -> dict[tuple[str, str], EndpointCost]:
    return {key: desired_cost(want, schedules.get(key), catalog, now) for key, want in wanted.items()}
