"""Plans as text (a terminal), JSON (machines, saved plans) and Markdown (a pull-request comment).

Owns: ``plan_text``, ``plan_json``, ``plan_markdown`` and ``summary_line``. Called by: the CLI
(``plan``, ``apply``, ``show``, ``doctor``). Must not: decide anything.

Replaces are shown apart, above the rest, with what they cost (a new URL, a cold start): they are
the one change that destroys something. Every field is shown at the leaf that changed, both sides
shortened around the difference, and every string from the API is made safe for a terminal.
"""

from __future__ import annotations

import json

from reconciler.engine.plan import Action, Change, FieldChange, Plan
from reconciler.render import text

__all__ = ["plan_json", "plan_markdown", "plan_text", "summary_line"]

_COLORS = {
    Action.CREATE: "32",
    Action.REPLACE: "1;35",
    Action.UPDATE: "33",
    Action.RESUME: "32",
    Action.PAUSE: "36",
    Action.SCALE_TO_ZERO: "36",
    Action.DELETE: "31",
    Action.WAIT: "2",
    Action.CONFLICT: "1;31",
    Action.ORPHAN: "2",
    Action.MALFORMED: "1;31",
}
_VERBS = {
    Action.CREATE: "to create",
    Action.REPLACE: "to replace",
    Action.UPDATE: "to update",
    Action.RESUME: "to resume",
    Action.PAUSE: "to pause",
    Action.SCALE_TO_ZERO: "to scale to zero",
    Action.DELETE: "to delete",
    Action.WAIT: "waiting",
    Action.CONFLICT: "in conflict",
    Action.ORPHAN: "orphaned",
    Action.MALFORMED: "malformed",
}
_SHOWN_ON_CREATE = (
    "compute.instanceType",
    "compute.instanceSize",
    "model.repository",
    "provider.region",
    "type",
)


def summary_line(plan: Plan) -> str:
    """``Plan: 1 to create, 2 to update, 0 to delete; 3 unchanged.``"""
    counts = plan.counts()
    parts = [
        f"{counts[a.value]} {_VERBS[a]}"
        for a in Action
        if counts[a.value] or a in (Action.CREATE, Action.UPDATE, Action.DELETE)
    ]
    return f"Plan: {', '.join(parts)}; {counts['unchanged']} unchanged."


def _field_line(item: FieldChange, color: bool) -> str:
    path = text.safe(item.path)
    if item.op == "add":
        return text.paint(f"      + {path}: {text.value(item.new)}", "32", color)
    if item.op == "remove":
        return text.paint(f"      - {path}: {text.value(item.old)}", "31", color)
    old, new = text.pair(item.old, item.new)
    return text.paint(f"      ~ {path}: {old} → {new}", "33", color)


def _changed(fields: tuple[FieldChange, ...]) -> tuple[FieldChange, ...]:
    """Fields whose two sides differ: ``"gpu" → "gpu"`` is never shown as a change."""
    return tuple(f for f in fields if f.op != "change" or f.old != f.new)


def _change_lines(change: Change, width: int, color: bool, verbose: bool) -> list[str]:
    name = f"{text.safe(change.namespace)}/{text.safe(change.name)}"
    head = f"{change.action.symbol:>3} {change.action.value:<13} {name}"
    cost = f"  [{text.money(change.cost_delta, signed=True)}/mo]" if change.cost_delta else ""
    lines = [
        text.paint(head.ljust(19 + width), _COLORS[change.action], color)
        + f"  {text.safe(change.detail)}{cost}"
    ]
    fields = _changed(change.fields)
    if change.action is Action.CREATE and not verbose:
        fields = tuple(f for f in fields if f.path in _SHOWN_ON_CREATE)
    lines += [_field_line(item, color) for item in fields]
    if change.secrets is not None:
        what = "; ".join(text.safe(part) for part in change.resend) or "model.secrets"
        lines.append(
            text.paint(f"      ~ secrets {change.secrets.value}: {what} (values never shown)", "33", color)
        )
    return lines


def plan_text(plan: Plan, *, color: bool = False, verbose: bool = False) -> str:
    """A terraform-like listing: replaces first and apart, then one line per change and its fields."""
    lines = [f"hfleet plan for fleet {plan.fleet!r} at {plan.now.isoformat(timespec='seconds')}", ""]
    if not plan.changes:
        lines.append("No changes. The live endpoints match the specs.")
    width = max((len(f"{c.namespace}/{c.name}") for c in plan.changes), default=0)
    replaces = plan.replaces
    if replaces:
        lines.append(
            text.paint(
                "Replacements (delete + re-create: new URL, cold start; need --allow-replace):", "1;35", color
            )
        )
        for change in replaces:
            lines += _change_lines(change, width, color, verbose)
        lines.append("")
    for change in plan.changes:
        if change.action is not Action.REPLACE:
            lines += _change_lines(change, width, color, verbose)
    lines.append("")
    lines.append(summary_line(plan))
    if plan.monthly_cost is not None:
        lines.append(
            f"Cost: up to {text.money(plan.monthly_cost)}/month after this plan "
            f"({text.money(plan.monthly_cost_delta, signed=True)}/month)."
        )
    for warning in plan.warnings:
        lines.append(text.paint(f"warning: {text.safe(warning)}", "33", color))
    return "\n".join(lines)


def plan_json(plan: Plan) -> str:
    return json.dumps(plan.data(), indent=2, default=str)


def _md(value: str) -> str:
    return text.safe(value).replace("|", "\\|").replace("\n", " ").replace("`", "'")


def plan_markdown(plan: Plan) -> str:
    """For a pull-request comment or a CI step summary."""
    counts = plan.counts()
    out = [f"### hfleet plan: `{_md(plan.fleet)}`", ""]
    if not plan.has_changes and not plan.errored:
        out.append("**No changes.** The live endpoints match the specs.")
    else:
        out.append(summary_line(plan).replace("Plan: ", "**Plan:** "))
    if plan.replaces:
        names = ", ".join(f"`{_md(c.name)}`" for c in plan.replaces)
        out += [
            "",
            f"> ⚠️ **Replaces** {names}: delete and re-create (new URL, cold start); needs `--allow-replace`.",
        ]
    if plan.monthly_cost is not None:
        out += [
            "",
            f"**Cost:** up to {text.money(plan.monthly_cost)}/month "
            f"({text.money(plan.monthly_cost_delta, signed=True)}/month)",
        ]
    if plan.changes:
        out += ["", "| | action | endpoint | reason | cost/month |", "|---|---|---|---|---|"]
        for c in plan.changes:
            cost = text.money(c.cost_delta, signed=True) if c.cost_delta else ""
            out.append(
                f"| {c.action.symbol} | {c.action.value} | `{_md(c.namespace)}/{_md(c.name)}` "
                f"| {_md(c.detail)} | {cost} |"
            )
        detailed = [c for c in plan.changes if _changed(c.fields) and c.action is not Action.CREATE]
        if detailed:
            out += ["", "<details><summary>Field changes</summary>", "", "```diff"]
            for c in detailed:
                out.append(f"# {c.action.value} {_md(c.namespace)}/{_md(c.name)}")
                for f in _changed(c.fields):
                    old, new = text.pair(f.old, f.new)
                    if f.old is not None:
                        out.append(f"- {_md(f.path)}: {old}")
                    if f.new is not None:
                        out.append(f"+ {_md(f.path)}: {new}")
            out += ["```", "", "</details>"]
    for warning in plan.warnings:
        out.append(f"\n> ⚠️ {_md(warning)}")
    out += [
        "",
        f"<sub>checksum `{plan.checksum()[:16]}` · {counts['unchanged']} unchanged · "
        f"computed at {plan.now.isoformat(timespec='seconds')}</sub>",
    ]
    return "\n".join(out)
