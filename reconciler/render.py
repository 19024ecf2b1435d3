"""Rendering plans, apply reports and status as text, JSON and Markdown. No decisions.

Owns: ``plan_text``, ``plan_json``, ``plan_markdown``, ``report_text``, ``status_rows``.
Called by: the CLI. Must not: compute anything that changes what is applied; every renderer only
consumes values (octoDNS keeps its PlanLogger/PlanJson/PlanMarkdown apart from planning the same way).
"""

from __future__ import annotations

import json
from typing import Any

from reconciler.engine import apply as apply_mod
from reconciler.engine import plan as plan_mod

__all__ = ["plan_json", "plan_markdown", "plan_text", "report_json", "report_text", "summary_line"]

Action = plan_mod.Action
_COLORS = {
    Action.CREATE: "32",
    Action.REPLACE: "35",
    Action.UPDATE: "33",
    Action.RESUME: "32",
    Action.PAUSE: "36",
    Action.SCALE_TO_ZERO: "36",
    Action.DELETE: "31",
    Action.WAIT: "2",
    Action.CONFLICT: "1;31",
    Action.ORPHAN: "2",
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
}


def _paint(text: str, code: str, color: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if color else text


def _value(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)
    return text if len(text) <= 120 else text[:117] + "..."


def _money(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "n/a"
    return f"{'+' if signed and value > 0 else ''}{'-' if value < 0 else ''}${abs(value):,.2f}"


def summary_line(plan: plan_mod.Plan) -> str:
    """``Plan: 1 to create, 2 to update, ... 3 unchanged.``"""
    counts = plan.counts()
    parts = [
        f"{counts[a.value]} {_VERBS[a]}"
        for a in Action
        if counts[a.value] or a in (Action.CREATE, Action.UPDATE, Action.DELETE)
    ]
    return f"Plan: {', '.join(parts)}; {counts['unchanged']} unchanged."


def plan_text(plan: plan_mod.Plan, *, color: bool = False, verbose: bool = False) -> str:
    """A terraform-like listing: one line per change, then its field-level before → after."""
    lines = [f"hfleet plan for fleet {plan.fleet!r} at {plan.now.isoformat(timespec='seconds')}", ""]
    if not plan.changes:
        lines.append("No changes. The live endpoints match the specs.")
    width = max((len(f"{c.namespace}/{c.name}") for c in plan.changes), default=0)
    for change in plan.changes:
        code = _COLORS[change.action]
        head = f"{change.action.symbol:>3} {change.action.value:<13} {change.namespace}/{change.name}"
        head = head.ljust(19 + width)
        cost = f"  [{_money(change.cost_delta, signed=True)}/mo]" if change.cost_delta else ""
        lines.append(_paint(head, code, color) + f"  {change.reason}{cost}")
        fields = change.fields
        if change.action is Action.CREATE and not verbose:
            fields = tuple(
                f
                for f in fields
                if f.path
                in ("compute.instanceType", "compute.instanceSize", "model.repository", "provider.region")
            )
        for item in fields:
            if item.op == "add":
                lines.append(_paint(f"      + {item.path}: {_value(item.new)}", "32", color))
            elif item.op == "remove":
                lines.append(_paint(f"      - {item.path}: {_value(item.old)}", "31", color))
            else:
                lines.append(
                    _paint(f"      ~ {item.path}: {_value(item.old)} → {_value(item.new)}", "33", color)
                )
    lines.append("")
    lines.append(summary_line(plan))
    if plan.monthly_cost is not None:
        lines.append(
            f"Cost: up to {_money(plan.monthly_cost)}/month after this plan "
            f"({_money(plan.monthly_cost_delta, signed=True)}/month)."
        )
    for warning in plan.warnings:
        lines.append(_paint(f"warning: {warning}", "33", color))
    return "\n".join(lines)


def plan_json(plan: plan_mod.Plan) -> str:
    return json.dumps(plan.data(), indent=2, sort_keys=False, default=str)


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def plan_markdown(plan: plan_mod.Plan) -> str:
    """For a pull-request comment or a CI step summary."""
    counts = plan.counts()
    out = [f"### hfleet plan: `{plan.fleet}`", ""]
    if not plan.has_changes and not plan.conflicts:
        out.append("**No changes.** The live endpoints match the specs.")
    else:
        out.append(summary_line(plan).replace("Plan: ", "**Plan:** "))
    if plan.monthly_cost is not None:
        out.append("")
        out.append(
            f"**Cost:** up to {_money(plan.monthly_cost)}/month "
            f"({_money(plan.monthly_cost_delta, signed=True)}/month)"
        )
    if plan.changes:
        out += ["", "| | action | endpoint | reason | cost/month |", "|---|---|---|---|---|"]
        for c in plan.changes:
            out.append(
                f"| {c.action.symbol} | {c.action.value} | `{c.namespace}/{c.name}` | {_md_escape(c.reason)} "
                f"| {_money(c.cost_delta, signed=True) if c.cost_delta else ''} |"
            )
        detailed = [c for c in plan.changes if c.fields and c.action is not Action.CREATE]
        if detailed:
            out += ["", "<details><summary>Field changes</summary>", "", "```diff"]
            for c in detailed:
                out.append(f"# {c.action.value} {c.namespace}/{c.name}")
                for f in c.fields:
                    if f.old is not None:
                        out.append(f"- {f.path}: {_value(f.old)}")
                    if f.new is not None:
                        out.append(f"+ {f.path}: {_value(f.new)}")
            out += ["```", "", "</details>"]
    for warning in plan.warnings:
        out.append(f"\n> ⚠️ {_md_escape(warning)}")
    out += [
        "",
        f"<sub>checksum `{plan.checksum()[:16]}` · {counts['unchanged']} unchanged · "
        f"computed at {plan.now.isoformat(timespec='seconds')}</sub>",
    ]
    return "\n".join(out)


def report_text(report: apply_mod.ApplyReport, *, color: bool = False) -> str:
    """One line per change: outcome, endpoint, duration, error."""
    lines = []
    for outcome in report.outcomes:
        change = outcome.change
        mark = _paint("ok", "32", color) if outcome.ok else _paint("FAILED", "1;31", color)
        detail = outcome.error or outcome.note or ""
        lines.append(
            f"{mark:<6} {change.action.value:<13} {change.namespace}/{change.name}  "
            f"{outcome.duration:.2f}s  {detail}".rstrip()
        )
    for name, state in sorted(report.waited.items()):
        lines.append(f"state  {name}: {state}")
    for problem in report.wait_errors:
        lines.append(_paint(f"wait failed: {problem}", "31", color))
    applied = sum(1 for o in report.outcomes if o.ok)
    lines.append(
        f"Apply {'complete' if report.ok else 'finished with errors'}: {applied} applied, "
        f"{len(report.failed)} failed in {report.duration:.1f}s."
    )
    return "\n".join(lines)


def report_json(report: apply_mod.ApplyReport) -> str:
    return json.dumps(report.data(), indent=2, default=str)
