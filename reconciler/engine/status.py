"""``hfleet status``: one row per endpoint, desired vs live, drift, URL, replicas, owner and money.

Owns: ``StatusRow`` and ``rows``. Called by: the CLI. Must not: write anything or compute its own
plan: drift is read off the plan ``reconciler.engine.run.make_plan`` made from the same observation,
and money off ``reconciler.engine.cost``, so status, plan and the PR comment agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.engine import catalog as catalog_mod
from reconciler.engine import cost
from reconciler.engine.plan import Action, Change, Plan
from reconciler.engine.run import Observation
from reconciler.wire import ownership

__all__ = ["StatusRow", "rows"]


@dataclass(frozen=True)
class StatusRow:
    namespace: str
    name: str
    desired: str  # desired power state, or "-" for endpoints no spec names
    live: str  # live state, or "missing"
    drift: tuple[str, ...]  # what differs: field paths, "power: paused → running", "conflict", ...
    pending: tuple[str, ...]  # actions a plan would take
    url: str | None
    ready: int
    target: int
    owner: str | None
    managed: bool
    hourly_now: float | None = None  # what it costs per hour right now (price × ready replicas)
    monthly_low: float | None = None  # the month's estimate as it stands, floor and ceiling
    monthly_high: float | None = None

    @property
    def drifted(self) -> bool:
        return bool(self.drift)

    def data(self) -> dict[str, Any]:
        return {
            "namespace": self.namespace,
            "name": self.name,
            "desired_state": self.desired,
            "live_state": self.live,
            "drift": self.drifted,
            "drift_fields": list(self.drift),
            "pending_actions": list(self.pending),
            "url": self.url,
            "ready_replicas": self.ready,
            "target_replicas": self.target,
            "owner": self.owner,
            "in_specs": self.managed,
            "spend_per_hour_usd": None if self.hourly_now is None else round(self.hourly_now, 4),
            "monthly_cost_usd": None
            if self.monthly_high is None
            else {"low": round(self.monthly_low or 0.0, 2), "high": round(self.monthly_high, 2)},
        }


def _drift(changes: list[Change]) -> tuple[str, ...]:
    out: list[str] = []
    for change in changes:
        if change.action in (Action.UPDATE, Action.REPLACE):
            out += [f.path for f in change.fields]
            if change.secrets is not None:
                out.append(f"secrets {change.secrets.value}")
        elif change.action.power:
            target = {Action.RESUME: "running", Action.PAUSE: "paused", Action.SCALE_TO_ZERO: "scaledToZero"}
            out.append(f"power: {change.live_state} → {target[change.action]}")
        elif change.action in (Action.CONFLICT, Action.MALFORMED):
            out.append(change.action.value)
        elif change.action is Action.CREATE:
            out.append("not deployed")
    return tuple(dict.fromkeys(out))


def rows(
    observation: Observation, plan: Plan, catalogs: Mapping[str, catalog_mod.Catalog]
) -> list[StatusRow]:
    """Rows for every endpoint of the specs, then live endpoints of the fleet that no spec names."""
    by_key: dict[tuple[str, str], list[Change]] = {}
    for change in plan.changes:
        by_key.setdefault(change.key, []).append(change)
    ours = observation.ours
    keys = sorted(set(observation.desired) | set(ours) | set(by_key))
    out = []
    for key in keys:
        want = observation.desired.get(key)
        have = observation.live.get(key)
        book = catalog_mod.for_namespace(catalogs, key[0])
        hourly = low = high = None
        if book is not None and have is not None and key in ours:
            schedule = observation.fleet.schedule_of(want.spec) if want else None
            money = cost.monthly(cost.before(have, want, schedule, observation.now), book)
            if money is not None:
                billed = have.state in cost.BILLED_STATES
                hourly, low, high = (
                    (money.hourly * have.ready_replica if billed else 0.0),
                    money.low,
                    money.high,
                )
        out.append(
            StatusRow(
                namespace=key[0],
                name=key[1],
                desired=want.power.value if want else "-",
                live=have.state if have else "missing",
                drift=_drift(by_key.get(key, [])),
                pending=tuple(c.action.value for c in by_key.get(key, [])),
                url=have.url if have else None,
                ready=have.ready_replica if have else 0,
                target=have.target_replica if have else 0,
                owner=ownership.owner_of(have.tags) if have else None,
                managed=want is not None,
                hourly_now=hourly,
                monthly_low=low,
                monthly_high=high,
            )
        )
    return out
