"""Apply reports as text and JSON: one line per outcome, the states waited for, one honest summary.

Owns: ``report_text``, ``report_json`` and ``outcome_line``. Called by: the CLI (``apply``) and
``render.progress`` (outcome lines as they happen). Must not: decide anything.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from reconciler.engine.apply import ApplyReport, Outcome
from reconciler.render import text

__all__ = ["Counts", "counts", "outcome_line", "report_json", "report_text", "summary"]


def outcome_line(outcome: Outcome, *, color: bool = False) -> str:
    change = outcome.change
    if outcome.ok:
        word, code = "ok", "32"
    elif outcome.skipped:
        word, code = "skipped", "33"
    else:
        word, code = "FAILED", "1;31"
    mark = text.paint(word, code, color) + " " * max(0, 7 - len(word))  # padded outside the colour
    detail = text.safe(outcome.error or outcome.note or "")
    name = f"{text.safe(change.namespace)}/{text.safe(change.name)}"
    took = _seconds(outcome.duration)
    return f"{mark} {change.action.value:<13} {name}  {took}  {detail}".rstrip()


@dataclass(frozen=True)
class Counts:
    """What an apply did, counted so the numbers add up to the lines printed: every outcome is
    applied, failed or skipped once; a change whose endpoint then failed while ``--wait`` watched it
    (a deploy that crashed, an endpoint that vanished or never settled) counts as failed, not
    applied; a wait problem with no change of its own (not converged) counts as one failure."""

    applied: int
    failed: int
    skipped: int
    while_waiting: int  # of ``failed``: changes that were accepted, then failed while waiting


def counts(report: ApplyReport) -> Counts:
    names = {o.change.name for o in report.outcomes}
    failed_later = {p.split(": ", 1)[0] for p in report.wait_errors} & names
    orphan_problems = [p for p in report.wait_errors if p.split(": ", 1)[0] not in names]
    last_ok: dict[str, int] = {}
    for index, outcome in enumerate(report.outcomes):
        if outcome.ok:
            last_ok[outcome.change.name] = index
    blamed = {last_ok[name] for name in failed_later if name in last_ok}
    applied = sum(1 for i, o in enumerate(report.outcomes) if o.ok and i not in blamed)
    skipped = sum(1 for o in report.outcomes if o.skipped)
    failed = sum(1 for o in report.outcomes if not o.ok and not o.skipped)
    return Counts(applied, failed + len(blamed) + len(orphan_problems), skipped, len(blamed))


def summary(report: ApplyReport) -> str:
    """``Apply complete: 4 applied, 0 failed in 12.3s.`` (see ``Counts`` for what each number means;
    the duration is the run's, waits included)."""
    c = counts(report)
    verdict = "complete" if report.ok else "finished with errors"
    failed = f"{c.failed} failed" + (f" ({c.while_waiting} while deploying)" if c.while_waiting else "")
    extra = f", {c.skipped} skipped" if c.skipped else ""
    rounds = f" in {report.rounds} rounds" if report.rounds > 1 else ""
    return f"Apply {verdict}: {c.applied} applied, {failed}{extra}{rounds} in {_seconds(report.duration)}."


def _seconds(value: float) -> str:
    """``0.04s``, ``3.2s``, ``2m05s``: never ``0.0s`` for a run that took time."""
    if value < 10:
        return f"{value:.2f}s"
    if value < 120:
        return f"{value:.1f}s"
    minutes, seconds = divmod(round(value), 60)
    return f"{minutes}m{seconds:02d}s"


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
    """The engine's report, its counts made the same as the text summary's (``Counts``)."""
    c = counts(report)
    data = {
        **report.data(),
        "applied": c.applied,
        "failed": c.failed,
        "skipped": c.skipped,
        "failed_while_waiting": c.while_waiting,
    }
    return json.dumps(data, indent=2, default=str)
