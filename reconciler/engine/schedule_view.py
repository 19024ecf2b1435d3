"""``hfleet schedule``: upcoming on/off transitions of each scheduled endpoint, and uptime share.

Owns: ``build`` (a JSON-ready view) and ``text``. Called by: the CLI. Must not: call the API.

Hours up and saved come from ``schedule.evaluate.fraction_up``, the function the cost model uses,
with the endpoint's ``schedule_override``: an override that keeps an endpoint up counts as up time.
Holidays are part of the schedule and count too. The grace period does not: it follows each
deploy, which a forecast cannot know.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from reconciler.schedule import evaluate as schedule_eval
from reconciler.spec import loader

__all__ = ["build", "text"]


def build(fleet: loader.Fleet, start: datetime, days: int) -> dict[str, Any]:
    """The view from ``start`` (aware) for ``days`` days: per endpoint, its state now, the
    transitions, and the share of the period it is up (override included)."""
    end = start + timedelta(days=days)
    endpoints = []
    for spec in fleet.endpoints:
        schedule = fleet.schedule_of(spec)
        if schedule is None and spec.schedule_override is None:
            continue
        now = schedule_eval.evaluate(schedule, start, override=spec.schedule_override)
        changes = schedule_eval.transitions(schedule, start, end, override=spec.schedule_override)
        share = schedule_eval.fraction_up(schedule, start, end, override=spec.schedule_override)
        endpoints.append(
            {
                "name": spec.name,
                "schedule": spec.schedule if isinstance(spec.schedule, str) else "(inline)",
                "off_means": now.off_action,
                "now": {"up": now.up, "reason": now.reason},
                "transitions": [{"at": at.isoformat(), "up": up, "reason": why} for at, up, why in changes],
                "uptime_fraction": round(share, 4),
                "hours_up": round(share * days * 24, 1),
                "hours_saved": round((1 - share) * days * 24, 1),
            }
        )
    return {
        "fleet": fleet.name,
        "from": start.isoformat(timespec="seconds"),
        "to": end.isoformat(timespec="seconds"),
        "endpoints": endpoints,
    }


def text(view: dict[str, Any]) -> str:
    lines = [f"Schedules of fleet {view['fleet']!r} from {view['from']} to {view['to']}"]
    if not view["endpoints"]:
        lines.append("No endpoint has a schedule.")
    for item in view["endpoints"]:
        state = "up" if item["now"]["up"] else f"off ({item['off_means']})"
        lines.append("")
        lines.append(
            f"{item['name']}  [{item['schedule']}]  now {state}: {item['now']['reason']}; "
            f"up {item['hours_up']} h, off {item['hours_saved']} h ({1 - item['uptime_fraction']:.0%} saved)"
        )
        for change in item["transitions"]:
            verb = "up  " if change["up"] else "off "
            lines.append(f"    {change['at']}  {verb} {change['reason']}")
    return "\n".join(lines)
