"""The ``hfleet`` command line: parsing, wiring and exit codes; no decisions.

Owns: the click command tree, global options, and the mapping of errors to exit codes
(0 success or nothing to do, 1 error, 2 ``plan`` found changes, 3 refused as unsafe).
Called by: the ``hfleet`` console script and ``python -m reconciler``.
Must not: compute plans or talk HTTP itself; it calls the rooms (spec, reconcile, render...).

click was chosen over argparse for nested commands, env-var backed options and testable invocation
(``CliRunner``); rich renders tables and colour on a TTY.
"""

from __future__ import annotations

import json
import sys
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import click
import structlog

from reconciler import errors, logs, render
from reconciler.engine import apply as apply_mod
from reconciler.engine import cost, importer
from reconciler.engine import plan as plan_mod
from reconciler.engine import run as reconcile
from reconciler.engine import status as status_mod
from reconciler.spec import loader
from reconciler.spec import schema as spec_schema

__all__ = ["EXIT_CHANGES", "EXIT_ERROR", "EXIT_OK", "EXIT_UNSAFE", "cli", "main"]

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2
EXIT_UNSAFE = 3

DEFAULT_API_URL = "https://api.endpoints.huggingface.cloud/v2"
DEFAULT_EMULATOR_STATE = "$HFLEET_STATE_DIR/emulator.db"
DEFAULT_SPECS = "specs"


@dataclass
class Context:
    """Global options, shared by every subcommand."""

    api_url: str
    token: str | None
    emulator: str | None
    log_format: str
    verbosity: int


def _fail(message: str, code: int = EXIT_ERROR) -> NoReturn:
    click.echo(logs.redact(f"error: {message}"), err=True)
    sys.exit(code)


def load_fleet(paths: tuple[str, ...]) -> loader.Fleet:
    """Load specs or exit 1 with every problem listed (nothing else happens)."""
    try:
        return loader.load(list(paths) or [DEFAULT_SPECS])
    except errors.SpecError as exc:
        click.echo(str(exc), err=True)
        sys.exit(EXIT_ERROR)


paths_argument = click.argument("paths", nargs=-1, type=click.Path(path_type=str))


class _Group(click.Group):
    """``--emulator`` takes an optional value: ``--emulator plan`` must mean the flag, then ``plan``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        fixed = list(args)
        for i, arg in enumerate(fixed[:-1]):
            if arg == "--emulator" and fixed[i + 1] in self.commands:
                fixed.insert(i + 1, DEFAULT_EMULATOR_STATE)
                break
        return super().parse_args(ctx, fixed)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--api-url",
    envvar="HFLEET_API_URL",
    default=DEFAULT_API_URL,
    show_default=True,
    help="Base URL of the Inference Endpoints API (env HFLEET_API_URL).",
)
@click.option(
    "--token", envvar="HF_TOKEN", default=None, help="Hugging Face token (env HF_TOKEN). Never printed."
)
@click.option(
    "--emulator",
    "emulator",
    is_flag=False,
    flag_value=DEFAULT_EMULATOR_STATE,
    default=None,
    metavar="[STATE_FILE]",
    help="Use the embedded emulator instead of the real API; state kept in STATE_FILE "
    "(default .hfleet/emulator.db, or emulator.db in $HFLEET_STATE_DIR) so successive runs share one "
    "emulated cloud.",
)
@click.option(
    "--log-format",
    type=click.Choice(["console", "json"]),
    default=None,
    help="Log lines as console text or JSON (default: console on a TTY, json otherwise).",
)
@click.option("-v", "--verbose", count=True, help="More log output (repeatable).")
@click.option("-q", "--quiet", is_flag=True, help="Only warnings and errors in the log.")
@click.version_option(package_name="hfleet", prog_name="hfleet")
@click.pass_context
def cli(
    ctx: click.Context,
    api_url: str,
    token: str | None,
    emulator: str | None,
    log_format: str | None,
    verbose: int,
    quiet: bool,
) -> None:
    """hfleet: a declarative fleet manager for Hugging Face Inference Endpoints.

    Describe endpoints in YAML specs, then `plan` the changes and `apply` them. Exit codes:
    0 success or nothing to do, 1 error, 2 `plan` found changes, 3 refused as unsafe.
    """
    fmt = log_format or ("console" if sys.stderr.isatty() else "json")
    verbosity = -1 if quiet else verbose
    logs.configure(fmt, verbosity)
    logs.register_secret(token)
    # Every log line of this run carries its id, so one CI job's lines can be told from another's.
    structlog.contextvars.bind_contextvars(run_id=uuid.uuid4().hex[:12])
    if emulator == DEFAULT_EMULATOR_STATE:
        emulator = str(reconcile.state_dir() / "emulator.db")
    ctx.obj = Context(api_url=api_url, token=token, emulator=emulator, log_format=fmt, verbosity=verbosity)


@cli.command()
@paths_argument
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def validate(paths: tuple[str, ...], fmt: str) -> None:
    """Check spec files; report every problem with its location.

    Reads PATHS (default: specs/) and reports each problem as file:line:column.

    Nothing is sent to the API. Exit 0 when the specs are valid, 1 otherwise.
    """
    try:
        fleet = loader.load(list(paths) or [DEFAULT_SPECS])
    except errors.SpecError as exc:
        if fmt == "json":
            body = [p.__dict__ for p in exc.problems]
            click.echo(json.dumps({"valid": False, "problems": body}, indent=2))
        else:
            click.echo(str(exc), err=True)
        sys.exit(EXIT_ERROR)
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "valid": True,
                    "fleet": fleet.name,
                    "namespace": fleet.namespace,
                    "endpoints": len(fleet.endpoints),
                }
            )
        )
    else:
        click.echo(
            f"ok: fleet {fleet.name!r} ({fleet.namespace}), {len(fleet.endpoints)} endpoints "
            f"in {len(fleet.files)} files"
        )


@cli.command()
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Write to a file.")
def schema(out: Path | None) -> None:
    """Print the JSON Schema of spec files (for editors)."""
    text = json.dumps(spec_schema.json_schema(), indent=2)
    if out is None:
        click.echo(text)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text + "\n")
        click.echo(f"wrote {out}", err=True)


# --- shared helpers ------------------------------------------------------------------------------


def parse_duration(text: str) -> float:
    """``90``, ``90s``, ``5m``, ``1h`` → seconds."""
    value = text.strip().lower()
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    try:
        if value and value[-1] in units:
            return float(value[:-1]) * units[value[-1]]
        return float(value)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a duration (e.g. 30s, 5m, 1h)") from None


def parse_now(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is not an ISO-8601 instant (e.g. 2026-11-24T10:00:00+01:00)"
        ) from None
    if value.tzinfo is None:
        raise click.BadParameter("--now needs a timezone offset (e.g. +01:00 or Z)")
    return value


def _connect(ctx: Context, parallelism: int = 16) -> reconcile.Connection:
    try:
        return reconcile.connect(ctx.api_url, ctx.token, emulator_state=ctx.emulator, parallelism=parallelism)
    except errors.ReconcilerError as exc:
        _fail(str(exc))


def _observe(
    ctx: Context, conn: reconcile.Connection, fleet: loader.Fleet, now: datetime | None
) -> reconcile.Observation:
    try:
        return reconcile.observe(fleet, conn.api, now)
    except errors.ReconcilerError as exc:
        _fail(f"cannot read the live endpoints: {exc}")


def _color() -> bool:
    return sys.stdout.isatty()


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text if text.endswith("\n") else text + "\n")


def _emit_plan(result: plan_mod.Plan, fmt: str, verbose: bool = False) -> None:
    if fmt == "json":
        click.echo(render.plan_json(result))
    elif fmt == "markdown":
        click.echo(render.plan_markdown(result))
    else:
        click.echo(render.plan_text(result, color=_color(), verbose=verbose))


prune_option = click.option(
    "--prune", is_flag=True, help="Delete endpoints of this fleet that no spec names."
)
target_option = click.option(
    "--target",
    "targets",
    multiple=True,
    metavar="NAME",
    help="Limit the run to these endpoints (repeatable).",
)
now_option = click.option(
    "--now",
    "now_text",
    default=None,
    metavar="ISO-8601",
    help="Evaluate schedules at this instant instead of the current time (previews, tests).",
)
parallelism_option = click.option(
    "--parallelism",
    type=click.IntRange(1, 256),
    default=16,
    show_default=True,
    help="API calls in flight at once.",
)


# --- plan / apply ----------------------------------------------------------------------------------


@cli.command()
@paths_argument
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True
)
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="Save the plan (JSON) for `apply --plan`."
)
@prune_option
@target_option
@now_option
@click.option("--detailed", is_flag=True, help="Show every field of endpoints to create.")
@click.pass_obj
def plan(
    ctx: Context,
    paths: tuple[str, ...],
    fmt: str,
    out: Path | None,
    prune: bool,
    targets: tuple[str, ...],
    now_text: str | None,
    detailed: bool,
) -> None:
    """Show what `apply` would change. Never writes.

    Exit 0 when nothing is to do, 2 when changes are pending, 1 on error or conflict.
    """
    fleet = load_fleet(paths)
    now = parse_now(now_text)
    conn = _connect(ctx)
    try:
        observation = _observe(ctx, conn, fleet, now)
        result = reconcile.make_plan(observation, prune=prune, targets=list(targets) or None).with_options(
            prune=prune, targets=sorted(targets)
        )
        quota_problem = None
        try:
            result = reconcile.price_plan(observation, result, conn.api)
        except errors.QuotaExceeded as exc:
            quota_problem = str(exc)
            result = reconcile.price_plan(observation, result, conn.api, check_quota=False)
    finally:
        conn.close()
    _emit_plan(result, fmt, detailed)
    if out is not None:
        _write(out, render.plan_json(result))
        click.echo(f"saved plan to {out} (checksum {result.checksum()[:16]})", err=True)
    if quota_problem is not None:
        _fail(f"refused: {quota_problem}", EXIT_UNSAFE)
    if result.conflicts:
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_CHANGES if result.has_changes else EXIT_OK)


@cli.command()
@paths_argument
@click.option("--yes", "-y", is_flag=True, help="Apply without asking (required when not on a TTY).")
@click.option(
    "--plan",
    "plan_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Apply exactly this saved plan; refused (exit 3) if the live state changed since.",
)
@prune_option
@target_option
@now_option
@click.option(
    "--force", is_flag=True, help="Apply even if the plan deletes or replaces too much of the fleet."
)
@click.option(
    "--max-delete-fraction",
    type=click.FloatRange(0, 1),
    default=0.3,
    show_default=True,
    help="Share of the fleet a plan may delete or replace without --force.",
)
@parallelism_option
@click.option("--wait", is_flag=True, help="Wait until touched endpoints reach their desired state.")
@click.option("--timeout", "timeout_text", default="15m", show_default=True, help="How long --wait waits.")
@click.option("--smoke", is_flag=True, help="After --wait, run the smoke probes of touched endpoints.")
@click.option(
    "--lock-timeout",
    "lock_timeout_text",
    default="0s",
    show_default=True,
    help="How long to wait for another apply of the same fleet to finish.",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def apply(
    ctx: Context,
    paths: tuple[str, ...],
    yes: bool,
    plan_file: Path | None,
    prune: bool,
    targets: tuple[str, ...],
    now_text: str | None,
    force: bool,
    max_delete_fraction: float,
    parallelism: int,
    wait: bool,
    timeout_text: str,
    smoke: bool,
    lock_timeout_text: str,
    fmt: str,
) -> None:
    """Make the live endpoints match the specs.

    Order: creates, updates and resumes; then pauses and scale-to-zero; deletes last. One endpoint's
    failure never stops the others; the run ends with one report and exit 1 if anything failed.
    """
    fleet = load_fleet(paths)
    now = parse_now(now_text)
    saved: plan_mod.Plan | None = None
    if plan_file is not None:
        try:
            saved = plan_mod.Plan.from_data(json.loads(plan_file.read_text()))
        except (ValueError, KeyError, errors.ReconcilerError) as exc:
            _fail(f"{plan_file}: not a plan file: {exc}")
        if saved.fleet != fleet.name:
            _fail(f"{plan_file} is a plan for fleet {saved.fleet!r}, not {fleet.name!r}")
        options = saved.extra.get("options", {})
        prune, targets, now = bool(options.get("prune")), tuple(options.get("targets") or ()), saved.now
    if not yes and not sys.stdin.isatty():
        _fail("refusing to apply without --yes when not on a terminal (nothing was changed)")
    conn = _connect(ctx, parallelism)
    try:
        with reconcile.fleet_lock(fleet.name, parse_duration(lock_timeout_text)):
            observation = _observe(ctx, conn, fleet, now)
            result = reconcile.make_plan(observation, prune=prune, targets=list(targets) or None)
            if saved is not None and saved.checksum() != result.checksum():
                click.echo(render.plan_text(result, color=_color()), err=True)
                _fail(
                    f"the saved plan {plan_file} is stale: the live state or the specs changed since it was "
                    "made; plan again",
                    EXIT_UNSAFE,
                )
            result = reconcile.price_plan(observation, result, conn.api, check_quota=not force)
            if fmt == "text":
                _emit_plan(result, "text")
            if result.conflicts:
                click.echo(f"{len(result.conflicts)} endpoint(s) in conflict are left untouched.", err=True)
            if not result.has_changes:
                if fmt == "json":
                    click.echo(render.report_json(apply_mod.ApplyReport((), 0.0)))
                sys.exit(EXIT_ERROR if result.conflicts else EXIT_OK)
            if not force:
                result.raise_if_unsafe(max_delete_fraction)
            if not yes and not click.confirm(f"Apply {len(result.writes)} changes?", default=False):
                _fail("cancelled; nothing was changed")
            report = _execute(ctx, conn, observation, result, parallelism, force, max_delete_fraction)
            if wait:
                report = apply_mod.wait_until_settled(
                    conn.api,
                    result,
                    observation.desired,
                    report,
                    timeout=parse_duration(timeout_text),
                    poll=1.0 if ctx.emulator else 5.0,
                )
            smoke_ok, smoke_text = True, ""
            if smoke:
                smoke_ok, smoke_text = _smoke_after_apply(
                    ctx, conn, fleet, report, parse_duration(timeout_text)
                )
    except errors.UnsafePlanError as exc:
        _fail(f"refused: {exc}", EXIT_UNSAFE)
    except errors.ReconcilerError as exc:
        _fail(str(exc))
    finally:
        conn.close()
    if fmt == "json":
        click.echo(render.report_json(report))
    else:
        click.echo(render.report_text(report, color=_color()))
    if smoke_text:
        click.echo(smoke_text)
    sys.exit(EXIT_OK if report.ok and smoke_ok and not result.conflicts else EXIT_ERROR)


def _execute(
    ctx: Context,
    conn: reconcile.Connection,
    observation: reconcile.Observation,
    result: plan_mod.Plan,
    parallelism: int,
    force: bool,
    max_delete_fraction: float,
) -> apply_mod.ApplyReport:
    total = len(result.writes)
    if sys.stderr.isatty() and total >= 5:
        from rich.progress import Progress

        with Progress(transient=True) as progress:
            task = progress.add_task("applying", total=total)
            return reconcile.apply_plan(
                observation,
                result,
                conn.api,
                force=force,
                parallelism=parallelism,
                max_delete_fraction=max_delete_fraction,
                on_outcome=lambda _: progress.advance(task),
            )
    return reconcile.apply_plan(
        observation,
        result,
        conn.api,
        force=force,
        parallelism=parallelism,
        max_delete_fraction=max_delete_fraction,
    )


def _smoke_after_apply(
    ctx: Context,
    conn: reconcile.Connection,
    fleet: loader.Fleet,
    report: apply_mod.ApplyReport,
    timeout: float,
) -> tuple[bool, str]:
    """Run the smoke probes of the endpoints this apply touched; return the verdict and the table."""
    from reconciler.engine import smoke as smoke_mod

    touched = {
        o.change.name for o in report.outcomes if o.ok and o.change.action is not plan_mod.Action.DELETE
    }
    if not touched:
        return True, ""
    if not report.ok:
        return False, "Smoke: not run, the apply did not complete."
    results = smoke_mod.run(
        fleet, conn.api, targets=sorted(touched), http=conn.http, token=conn.api_token, timeout=timeout
    )
    return all(r.ok for r in results), smoke_mod.table(results)


# --- status / import / reconcile -------------------------------------------------------------------


@cli.command()
@paths_argument
@now_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def status(ctx: Context, paths: tuple[str, ...], now_text: str | None, fmt: str) -> None:
    """Show desired vs live state, drift and URLs.

    One row per endpoint: desired and live state, drift, URL, replicas and owner.

    Also lists live endpoints of this fleet that no spec names. Exit 0, or 1 on error.
    """
    fleet = load_fleet(paths)
    conn = _connect(ctx)
    try:
        observation = _observe(ctx, conn, fleet, parse_now(now_text))
        catalog = None
        try:
            catalog = cost.Catalog.from_json(conn.api.hardware(fleet.namespace))
        except errors.ReconcilerError as exc:
            click.echo(f"warning: no prices (hardware catalog unavailable: {exc})", err=True)
    finally:
        conn.close()
    rows = status_mod.rows(observation, catalog)
    if fmt == "json":
        click.echo(
            json.dumps({"fleet": fleet.name, "endpoints": [r.data() for r in rows]}, indent=2, default=str)
        )
        return
    click.echo(status_mod.table(rows, color=_color()))


@cli.command(name="import")
@click.option("--namespace", "namespace", required=True, help="The user or organization to import from.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("specs/imported"),
    show_default=True,
    help="Directory for the generated spec files.",
)
@click.option(
    "--fleet", "fleet_name", default=None, help="Fleet to adopt into (default: the fleet in --specs)."
)
@click.option(
    "--specs", "specs_dir", default=DEFAULT_SPECS, show_default=True, help="Specs holding the fleet document."
)
@click.option("--name", "names", multiple=True, help="Only these endpoints (repeatable).")
@click.option("--adopt", is_flag=True, help="Also tag the endpoints into the fleet, so hfleet manages them.")
@click.option("--overwrite", is_flag=True, help="Replace spec files that already exist.")
@click.pass_obj
def import_(
    ctx: Context,
    namespace: str,
    out_dir: Path,
    fleet_name: str | None,
    specs_dir: str,
    names: tuple[str, ...],
    adopt: bool,
    overwrite: bool,
) -> None:
    """Write specs for existing endpoints (--adopt: take them over).

    Endpoints owned by another fleet are skipped. Secrets are never read back: the generated
    specs list a from_env reference for each secret you must fill in.
    """
    if fleet_name is None and adopt:
        fleet_name = load_fleet((specs_dir,)).name
    conn = _connect(ctx)
    try:
        result = importer.run(
            conn.api,
            namespace,
            out_dir,
            fleet=fleet_name,
            names=list(names) or None,
            adopt=adopt,
            overwrite=overwrite,
        )
    except errors.ReconcilerError as exc:
        _fail(str(exc))
    finally:
        conn.close()
    for line in result.lines:
        click.echo(line)
    sys.exit(EXIT_ERROR if result.failed else EXIT_OK)


@cli.command(name="reconcile")
@paths_argument
@click.option("--interval", "interval_text", default="5m", show_default=True, help="Time between passes.")
@click.option(
    "--listen",
    default="0.0.0.0:8080",
    show_default=True,
    help="host:port for /healthz, /readyz and /metrics ('' to disable).",
)
@prune_option
@click.option("--force", is_flag=True, help="Apply even plans above the delete threshold.")
@click.option("--max-delete-fraction", type=click.FloatRange(0, 1), default=0.3, show_default=True)
@parallelism_option
@click.option("--max-passes", type=int, default=None, hidden=True)
@click.pass_obj
def reconcile_cmd(
    ctx: Context,
    paths: tuple[str, ...],
    interval_text: str,
    listen: str,
    prune: bool,
    force: bool,
    max_delete_fraction: float,
    parallelism: int,
    max_passes: int | None,
) -> None:
    """Controller mode: plan and apply forever, level-triggered.

    Re-reads the specs and the live state every pass; sleeps until the interval or the next schedule
    boundary, whichever comes first. SIGTERM finishes the in-flight calls and stops.
    """
    import signal
    import threading

    from reconciler import controller

    interval = parse_duration(interval_text)
    load_fleet(paths)  # refuse to start on invalid specs
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    state = controller.LoopState(interval)
    server = None
    if listen:
        host, _, port = listen.rpartition(":")
        server = controller.HealthServer(state, host or "0.0.0.0", int(port)).start()
        click.echo(f"serving /healthz /readyz /metrics on {server.url}", err=True)
    conn = _connect(ctx, parallelism)

    def load() -> loader.Fleet:
        return loader.load(list(paths) or [DEFAULT_SPECS])

    try:
        with reconcile.fleet_lock(load().name, timeout=interval):
            reconcile.run_forever(
                load,
                conn.api,
                interval=interval,
                stop=stop,
                prune=prune,
                force=force,
                parallelism=parallelism,
                max_delete_fraction=max_delete_fraction,
                on_pass=state.record,
                max_passes=max_passes,
            )
    except errors.ReconcilerError as exc:
        _fail(str(exc))
    finally:
        conn.close()
        if server is not None:
            server.close()


# --- smoke / schedule / emulator ------------------------------------------------------------------


@cli.command()
@paths_argument
@target_option
@now_option
@click.option("--timeout", "timeout_text", default="2m", show_default=True, help="Per-probe time limit.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def smoke(
    ctx: Context,
    paths: tuple[str, ...],
    targets: tuple[str, ...],
    now_text: str | None,
    timeout_text: str,
    fmt: str,
) -> None:
    """Run smoke probes against the endpoints.

    Each endpoint uses its `smoke` spec, or a default probe for its task.

    Paused endpoints and those off by schedule are skipped. Exit 1 if any probe fails.
    """
    from reconciler.engine import smoke as smoke_mod

    fleet = load_fleet(paths)
    conn = _connect(ctx)
    try:
        results = smoke_mod.run(
            fleet,
            conn.api,
            targets=list(targets) or None,
            http=conn.http,
            token=conn.api_token,
            timeout=parse_duration(timeout_text),
            now=parse_now(now_text),
        )
    except errors.ReconcilerError as exc:
        _fail(str(exc))
    finally:
        conn.close()
    click.echo(smoke_mod.to_json(results) if fmt == "json" else smoke_mod.table(results))
    sys.exit(EXIT_OK if all(r.ok for r in results) else EXIT_ERROR)


@cli.command(name="schedule")
@paths_argument
@click.option(
    "--days", type=click.IntRange(1, 366), default=7, show_default=True, help="How far ahead to look."
)
@now_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def schedule_cmd(paths: tuple[str, ...], days: int, now_text: str | None, fmt: str) -> None:
    """Show upcoming on/off transitions of scheduled endpoints.

    Also shows how many hours each schedule keeps an endpoint off.

    Offline: reads the specs only (prices need the API; see `plan` and `status`).
    """
    from reconciler.engine import schedule_view

    fleet = load_fleet(paths)
    start = parse_now(now_text) or datetime.now(UTC)
    view = schedule_view.build(fleet, start, days)
    click.echo(json.dumps(view, indent=2, default=str) if fmt == "json" else schedule_view.text(view))


@cli.group()
def emulator() -> None:
    """Serve the embedded emulator of the API.

    The emulator covers the control plane (endpoints, hardware, whoami) and the data plane.
    """


@emulator.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8765, show_default=True)
@click.option("--state", "state", default=None, help="SQLite file to keep state in (default: in memory).")
@click.option(
    "--faults",
    "faults",
    default=None,
    help="Fault rules to inject: a JSON or YAML file (or set HFLEET_EMULATOR_FAULTS).",
)
@click.option(
    "--speed",
    type=click.Choice(["instant", "demo"]),
    default="demo",
    show_default=True,
    help="State transitions: instant, or a few seconds each like a real (fast) cloud.",
)
@click.option("--latency", type=float, default=0.0, show_default=True, help="Seconds added to each API call.")
@click.option(
    "--identity",
    "identities",
    multiple=True,
    metavar="TOKEN=USER[:ORG,...]",
    help="An extra token and who it is (repeatable).",
)
def serve(
    host: str,
    port: int,
    state: str | None,
    faults: str | None,
    speed: str,
    latency: float,
    identities: tuple[str, ...],
) -> None:
    """Serve the emulator on HOST:PORT (token `hf_emulator`; user `emulator`, org `emulator-org`).

    Point any client at it: hfleet with `--api-url http://HOST:PORT/v2`, huggingface_hub by setting
    `huggingface_hub.constants.INFERENCE_ENDPOINTS_ENDPOINT` to the same URL.
    """
    from reconciler.emulator import server

    argv = ["--host", host, "--port", str(port), "--speed", speed, "--latency", str(latency)]
    if state:
        argv += ["--state", state]
    if faults:
        argv += ["--faults", faults]
    for identity in identities:
        argv += ["--identity", identity]
    sys.exit(server.main(argv))


def main(argv: list[str] | None = None) -> Any:
    """Console-script entry point."""
    return cli.main(args=argv, prog_name="hfleet")
