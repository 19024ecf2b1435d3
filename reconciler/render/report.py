"""Apply reports as text and JSON: one line per outcome, the states waited for, one honest summary.

Owns: ``report_text``, ``report_json`` and ``outcome_line``. Called by: the CLI (``apply``) and
``render.progress`` (outcome lines as they happen). Must not: decide anything.
"""

from __future__ import annotations

import json

from reconciler.engine.apply import ApplyReport, Outcome
from reconciler.render import text

__all__ = ["outcome_line", "report_json", "report_text", "summary"]


def outcome_line(outcome: Outcome, *, color: bool = False) -> str:
    change = outcome.change
    if outcome.ok:
        mark = text.paint("ok", "32", color)
    elif outcome.skipped:
        mark = text.paint("skipped", "33", color)
    else:
        mark = text.paint("FAILED", "1;31", color)
    detail = text.safe(outcome.error or outcome.note or "")
    name = f"{text.safe(change.namespace)}/{text.safe(change.name)}"
    return f"{mark:<7} {change.action.value:<13} {name}  {outcome.duration:.2f}s  {detail}".rstrip()


def summary(report: ApplyReport) -> str:
    """``Apply complete: 4 applied, 0 failed in 12.3s.``: a deploy that failed while waiting counts
    as failed, a skipped step too, so the counts match the lines above."""
    failed = len([o for o in report.failed if not o.skipped]) + len(report.wait_errors)
    skipped = len([o for o in report.failed if o.skipped])
    verdict = "complete" if report.ok else "finished with errors"
    extra = f", {skipped} skipped" if skipped else ""
    rounds = f" in {report.rounds} rounds" if report.rounds > 1 else ""
    counts = f"{len(report.applied)} applied, {failed} failed{extra}"
    return f"Apply {verdict}: {counts}{rounds} in {report.duration:.1f}s."


def report_text(report: ApplyReport, *, color: bool = False, outcomes: bool = True) -> str:
    """The report; ``outcomes=False`` when outcomes and states were already printed as they happened."""
    lines = [outcome_line(o, color=color) for o in report.outcomes] if outcomes else []
    if outcomes:
        lines += [
            f"state   {text.safe(name)}: {text.safe(state)}" for name, state in sorted(report.waited.items())
        ]
    for problem in report.wait_errors:
        lines.append(text.paint(f"wait failed: {text.safe(problem)}", "1;31", color))
    lines.append(summary(report))
    return "\n".join(lines)


def report_json(report: ApplyReport) -> str:
    return json.dumps(report.data(), indent=2, default=str)
