"""``hfleet plan``, ``apply`` and ``show``: the commands that run the engine's pipeline.

Owns: their options and output. Called by: ``reconciler.cli``. Must not: decide anything: each
command builds ``Options``, calls ``reconciler.engine.run.run`` and renders what comes back.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from reconciler.cli import options as opts
from reconciler.cli.options import App

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from reconciler.engine.plan import Plan
    from reconciler.engine.run import Events, Options, RunResult
    from reconciler.engine.session import Session
    from reconciler.spec import loader

__all__ = ["COMMANDS"]


def _render_plan(plan: Plan, fmt: str, *, verbose: bool = False) -> None:
    from reconciler.render import plan as render_plan
    from reconciler.render import text

    if fmt == "json":
        click.echo(render_plan.plan_json(plan))
    elif fmt == "markdown":
        click.echo(render_plan.plan_markdown(plan))
    else:
        color = text.color_enabled(sys.stdout)
        click.echo(render_plan.plan_text(plan, color=color, verbose=verbose), color=color)


def _inputs(fleet: loader.Fleet) -> dict[str, str]:
    """The spec files' text, saved with a plan so ``apply --plan`` needs no checkout."""
    return {name: Path(name).read_text() for name in fleet.files}


@click.command()
@opts.paths_argument
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True
)
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="Save the plan (JSON) for `apply --plan`."
)
@opts.prune_option
@opts.target_option
@opts.now_option
@click.option("--detailed", is_flag=True, help="Show every field of endpoints to create.")
@click.pass_obj
def plan(
    app: App,
    paths: tuple[str, ...],
    fmt: str,
    out: Path | None,
    prune: bool,
    targets: tuple[str, ...],
    now_text: str | None,
    detailed: bool,
) -> int:
    """Show what `apply` would change. Never writes.

    Exit 0 when nothing is to do, 2 when changes are pending, 1 on error, conflict or malformed
    endpoint, 3 when the plan would be refused (quota).
    """
    from reconciler.engine import run

    app.start("plan")
    fleet = opts.load_fleet(paths)
    options = run.Options(prune=prune, targets=targets, now=opts.parse_now(now_text))
    with app.connect() as session:
        result = run.run(fleet, session, options, apply=False)
    saved = result.plan.with_options(options.data())
    _render_plan(saved, fmt, verbose=detailed)
    if out is not None:
        from reconciler.render import plan as render_plan

        # Only a saved plan carries its spec files (so `apply --plan` needs no checkout); if one
        # changed since it was planned, the plan recomputed from them differs: refused as stale.
        opts.write_file(out, render_plan.plan_json(saved.with_options(options.data(), _inputs(fleet))))
        app.say(f"saved plan to {out} (checksum {saved.checksum()[:16]})")
    if result.quota_problem is not None:
        app.say(f"refused: {result.quota_problem}", level="error")
        return opts.EXIT_UNSAFE
    if saved.errored:
        return opts.EXIT_ERROR
    return opts.EXIT_CHANGES if saved.has_changes else opts.EXIT_OK


MAX_PLAN_BYTES = 64 * 2**20  # a plan and its spec files; each spec file is at most 4 MiB anyway
MAX_PLAN_FILES = 10_000


def _load_saved(path: Path) -> Plan:
    """A saved plan, bounded in size and checked in shape: a bad file is an error, never a crash."""
    from reconciler import errors
    from reconciler.engine.plan import Plan

    try:
        if path.stat().st_size > MAX_PLAN_BYTES:
            raise ValueError(f"larger than {MAX_PLAN_BYTES // 2**20} MiB")
        data = json.loads(path.read_text())
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        plan = Plan.from_data(data)
        if len(plan.inputs) > MAX_PLAN_FILES:
            raise ValueError(f"more than {MAX_PLAN_FILES} spec files")
        return plan
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise errors.ReconcilerError(f"{path}: not a plan file: {exc}") from None


def _fleet_from_inputs(saved: Plan, folder: Path) -> loader.Fleet:
    """The fleet a saved plan was made from, rebuilt from the spec files it carries."""
    from reconciler import errors

    if not saved.inputs:
        raise errors.ReconcilerError("the saved plan carries no spec files; give the spec paths too")
    for name, content in saved.inputs.items():
        relative = Path(name.lstrip("/"))
        if ".." in relative.parts:
            raise errors.ReconcilerError(f"the saved plan names a spec file outside its folder: {name!r}")
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)
    return opts.load_fleet((str(folder),))


@click.command()
@opts.paths_argument
@click.option("--yes", "-y", is_flag=True, help="Apply without asking (required when not on a terminal).")
@click.option(
    "--plan",
    "plan_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Apply exactly this saved plan (no spec paths needed); refused (exit 3) if anything changed since.",
)
@opts.prune_option
@opts.target_option
@opts.now_option
@opts.limit_options
@opts.parallelism_option
@click.option("--wait", is_flag=True, help="Wait until touched endpoints settle, and converge (see README).")
@click.option("--timeout", "timeout_text", default="15m", show_default=True, help="How long --wait waits.")
@click.option("--smoke", is_flag=True, help="After --wait, run the smoke probes of touched endpoints.")
@click.option(
    "--lock-timeout",
    "lock_timeout_text",
    default="0s",
    show_default=True,
    help="How long to wait for another apply of the same fleet.",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def apply(
    app: App,
    paths: tuple[str, ...],
    yes: bool,
    plan_file: Path | None,
    prune: bool,
    targets: tuple[str, ...],
    now_text: str | None,
    force: bool,
    allow_replace: bool,
    max_delete_fraction: float,
    max_update_fraction: float,
    parallelism: int,
    wait: bool,
    timeout_text: str,
    smoke: bool,
    lock_timeout_text: str,
    fmt: str,
) -> int:
    """Make the live endpoints match the specs.

    Order: creates, updates and resumes; then pauses and scale-to-zero; deletes last. One endpoint's
    failure never stops the others; the run ends with one report, exit 1 if anything failed, 3 if
    the plan was refused (replace without consent, too much change, quota, stale saved plan).
    """
    from reconciler.engine import run, safety

    app.start("apply")
    timeout = opts.parse_duration(timeout_text)
    saved = _load_saved(plan_file) if plan_file is not None else None
    if not yes and not sys.stdin.isatty():
        raise click.UsageError("refusing to apply without --yes when not on a terminal (nothing was changed)")
    fleet = _fleet_to_apply(paths, saved)
    now = opts.parse_now(now_text)
    if saved is not None:
        prune, targets, now = _saved_scope(saved, fleet, plan_file)
    options = run.Options(
        prune=prune,
        targets=targets,
        now=now,
        limits=safety.Limits(max_delete_fraction, max_update_fraction, force, allow_replace),
        wait=wait,
        wait_timeout=timeout,
        lock_timeout=opts.parse_duration(lock_timeout_text),
        quota=not force,
    )
    return _apply(
        app,
        fleet,
        options,
        saved,
        yes=yes,
        fmt=fmt,
        parallelism=parallelism,
        smoke=smoke,
        saved_name=str(plan_file),
    )


def _fleet_to_apply(paths: tuple[str, ...], saved: Plan | None) -> loader.Fleet:
    """The specs given, or else those a saved plan carries (so ``apply --plan`` needs no checkout),
    loaded from a temporary folder that is gone once loaded."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="hfleet-plan-") as folder:
        return opts.load_fleet(paths) if paths or saved is None else _fleet_from_inputs(saved, Path(folder))


def _saved_scope(
    saved: Plan, fleet: loader.Fleet, plan_file: Path | None
) -> tuple[bool, tuple[str, ...], datetime]:
    """The prune flag, targets and instant a saved plan was made with: applying it recomputes the
    plan alike, so its checksum can prove nothing changed since the review."""
    from reconciler import errors

    if saved.fleet != fleet.name:
        raise errors.ReconcilerError(f"{plan_file} is a plan for fleet {saved.fleet!r}, not {fleet.name!r}")
    return bool(saved.options.get("prune")), tuple(saved.options.get("targets") or ()), saved.now


def _apply(
    app: App,
    fleet: loader.Fleet,
    options: Options,
    saved: Plan | None,
    *,
    yes: bool,
    fmt: str,
    parallelism: int,
    smoke: bool,
    saved_name: str = "",
) -> int:
    """Apply with live progress on a terminal (the plan shown first, in text), smoke after, and the
    exit code: 1 if a change, a smoke probe or an endpoint of the plan failed."""
    from reconciler.engine import run
    from reconciler.render import progress, text

    color = text.color_enabled(sys.stdout)
    printer = progress.Progress(sys.stdout, live=fmt == "text" and sys.stdout.isatty(), color=color)

    def show(plan: Plan) -> None:
        if fmt == "text":
            _render_plan(plan, "text")

    def confirm(plan: Plan) -> bool:
        return yes or click.confirm(f"Apply {len(plan.writes)} changes?", default=False)

    live = printer.events() if fmt == "text" else run.Events()
    events = run.Events(
        on_plan=show, on_outcome=live.on_outcome, on_state=live.on_state, on_round=live.on_round
    )
    with app.connect(parallelism=parallelism) as session:
        _stop_on_sigterm(session)
        with printer if fmt == "text" else _nothing():
            result = _run_applying(fleet, session, options, saved, saved_name, confirm=confirm, events=events)
        outcome = result.report
        assert outcome is not None
        smoke_ok, smoke_text = True, ""
        if smoke and outcome.outcomes:
            smoke_ok, smoke_text = _smoke(app, session, fleet, result, options)
    _print_outcome(app, result, fmt, color, smoke_text)
    return opts.EXIT_OK if outcome.ok and smoke_ok and not result.plan.errored else opts.EXIT_ERROR


def _run_applying(
    fleet: loader.Fleet,
    session: Session,
    options: Options,
    saved: Plan | None,
    saved_name: str,
    *,
    confirm: Callable[[Plan], bool],
    events: Events,
) -> RunResult:
    """The engine's pass, applying; a stale saved plan is named by its file, which the engine does
    not know, so the user sees which plan to make again."""
    from reconciler import errors
    from reconciler.engine import run

    try:
        return run.run(fleet, session, options, apply=True, confirm=confirm, events=events, saved=saved)
    except errors.StalePlan:
        raise errors.StalePlan(
            f"the saved plan {saved_name} is stale: the live state or the specs changed since it was "
            "made; plan again"
        ) from None


def _print_outcome(app: App, result: RunResult, fmt: str, color: bool, smoke_text: str) -> None:
    """The report (JSON, or text when anything was done), the smoke table, and a warning for the
    endpoints the plan left untouched, which the report of what was done would not show."""
    from reconciler.render import report

    outcome = result.report
    assert outcome is not None
    if fmt == "json":
        click.echo(report.report_json(outcome))
    elif outcome.outcomes:
        click.echo(report.report_text(outcome, color=color, outcomes=False), color=color)
    if smoke_text:
        click.echo(smoke_text)
    if result.plan.errored:
        app.say(
            f"{len(result.plan.errored)} endpoint(s) in conflict or malformed were left untouched",
            level="warning",
        )


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *_: object) -> None:
        return None


def _stop_on_sigterm(session: Session) -> None:
    """SIGTERM stops the run promptly: calls not started are skipped, waits end (exit 1)."""
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: session.stop.set())


def _smoke(
    app: App, session: Session, fleet: loader.Fleet, result: RunResult, options: Options
) -> tuple[bool, str]:
    """Run the smoke probes of the endpoints this apply touched; the verdict and the table."""
    from reconciler.engine import smoke as smoke_mod
    from reconciler.engine.plan import Action

    report = result.report
    assert report is not None
    touched = sorted(
        {o.change.name for o in report.outcomes if o.ok and o.change.action is not Action.DELETE}
    )
    if not touched:
        return True, ""
    if not report.ok:
        return False, "Smoke: not run, the apply did not complete."
    results = smoke_mod.run(
        fleet,
        session.api,
        targets=touched,
        http=session.http,
        token=session.token,
        timeout=options.wait_timeout,
        now=options.now,
        allow_insecure_http=app.insecure_http,
    )
    from reconciler.render import text

    return all(r.ok for r in results), text.safe(smoke_mod.table(results))


@click.command()
@click.argument("plan_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True
)
@click.pass_obj
def show(app: App, plan_file: Path, fmt: str) -> int:
    """Show a saved plan (`plan --out FILE`) without specs or API access.

    Exit 0 when it holds no change, 2 when it does.
    """
    app.start("show")
    saved = _load_saved(plan_file)
    _render_plan(saved, fmt)
    return opts.EXIT_CHANGES if saved.has_changes else opts.EXIT_OK


COMMANDS = [plan, apply, show]
