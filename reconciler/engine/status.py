"""``hfleet status``: one row per endpoint, desired vs live, drift, URL, replicas and owner.

Owns: ``StatusRow``, ``rows`` and ``table``. Called by: the CLI. Must not: write anything; drift is
read off the plan that ``plan.compute`` would make from the same observation.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.table import Table

from reconciler.engine import cost, pricing
from reconciler.engine import plan as plan_mod
from reconciler.engine import run as reconcile

__all__ = ["StatusRow", "rows", "table"]


@dataclass(frozen=True)
class StatusRow:
    namespace: str
    name: str
    desired: str  # desired power state, or "-" for endpoints no spec names
    live: str  # live state, or "missing"
    drift: tuple[str, ...]
    pending: tuple[str, ...]  # actions a plan would take
    url: str | None
    ready: int
    target: int
    owner: str | None
    managed: bool
    hourly_now: float | None = None  # what it costs per hour right now (price × ready replicas)
    monthly_low: float | None = None  # expected monthly cost under its schedule, floor and ceiling
    monthly_high: float | None = None

    def data(self) -> dict[str, Any]:
        return {
            "namespace": self.namespace,
            "name": self.name,
            "desired_state": self.desired,
            "live_state": self.live,
            "drift": bool(self.drift),
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


def rows(observation: reconcile.Observation, catalog: cost.Catalog | None = None) -> list[StatusRow]:
    """Rows for every endpoint of the specs, then live endpoints of the fleet that no spec names.

    With the hardware ``catalog``, rows also carry the current spend rate and the monthly estimate.
    """
    result = plan_mod.compute(
        observation.fleet.name,
        observation.desired.values(),
        observation.live,
        now=observation.now,
        namespaces=observation.namespaces,
    )
    by_key: dict[tuple[str, str], list[plan_mod.Change]] = {}
    for change in result.changes:
        by_key.setdefault(change.key, []).append(change)
    out = []
    keys = sorted(set(observation.desired) | {k for k, c in by_key.items() if k not in observation.desired})
    for key in keys:
        want = observation.desired.get(key)
        have = observation.live.get(key)
        changes = by_key.get(key, [])
        drift = tuple(
            f.path
            for c in changes
            if c.action in (plan_mod.Action.UPDATE, plan_mod.Action.REPLACE)
            for f in c.fields
        )
        ready, target = have.replicas if have else (0, 0)
        hourly = low = high = None
        if catalog is not None:
            if have is not None:
                rate = pricing.live_cost(have, catalog).hourly
                hourly = (
                    (rate or 0.0) * ready if have.state in ("running", "initializing", "updating") else 0.0
                )
            if want is not None:
                estimate = pricing.desired_cost(
                    want, observation.fleet.schedule_of(want.spec), catalog, observation.now
                )
                low, high = estimate.low, estimate.high
        out.append(
            StatusRow(
                namespace=key[0],
                name=key[1],
                desired=want.power.value if want else "-",
                live=have.state if have else "missing",
                drift=drift,
                pending=tuple(c.action.value for c in changes),
                url=have.url if have else None,
                ready=ready,
                target=target,
                owner=have.owner() if have else None,
                managed=want is not None,
                hourly_now=hourly,
                monthly_low=low,
                monthly_high=high,
            )
        )
    return out


def table(items: list[StatusRow], *, color: bool = False) -> str:
    """A table for the terminal (plain text when not a TTY)."""
    grid = Table(box=None, pad_edge=False, show_edge=False, header_style="bold" if color else "")
    priced = any(row.monthly_high is not None or row.hourly_now is not None for row in items)
    columns = ["ENDPOINT", "DESIRED", "LIVE", "DRIFT", "REPLICAS", "OWNER"]
    columns += ["$/H NOW", "$/MONTH"] if priced else []
    for column in [*columns, "URL"]:
        grid.add_column(column, no_wrap=True)
    for row in items:
        drift = (
            "no" if not row.drift and row.managed else ("yes: " + ", ".join(row.drift) if row.drift else "-")
        )
        if not row.managed:
            drift = "not in specs"
        elif row.live == "missing":
            drift = "not deployed"
        elif "conflict" in row.pending:
            drift = "conflict"
        cells = [f"{row.namespace}/{row.name}", row.desired, row.live, drift, f"{row.ready}/{row.target}"]
        cells.append(row.owner or "-")
        if priced:
            cells.append("-" if row.hourly_now is None else f"{row.hourly_now:.3f}")
            cells.append(
                "-" if row.monthly_high is None else f"{row.monthly_low or 0:,.0f}-{row.monthly_high:,.0f}"
            )
        grid.add_row(*cells, row.url or "-")
    total = sum(row.hourly_now or 0.0 for row in items)
    if priced:
        grid.add_row("", "", "", "", "", "total", f"{total:.3f}", "", "")
    console = Console(width=250, color_system="standard" if color else None, record=True, file=io.StringIO())
    console.print(grid)
    return console.export_text(styles=color).rstrip()
