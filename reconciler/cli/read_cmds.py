"""The commands that never write: ``validate``, ``schema``, ``status``, ``hardware``, ``doctor``,
``schedule`` and ``smoke`` (which only sends inference requests).

Owns: their options and output. Called by: ``reconciler.cli``. Must not: decide anything; status,
doctor and smoke reuse the engine's observation and plan rather than building their own.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from reconciler.cli import options as opts
from reconciler.cli.options import App

__all__ = ["COMMANDS"]


@click.command()
@opts.paths_argument
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option(
    "--catalog", is_flag=True, help="Also check every endpoint's hardware against the API's catalog."
)
@click.pass_obj
def validate(app: App, paths: tuple[str, ...], fmt: str, catalog: bool) -> int:
    """Check spec files; report every problem with its location (file:line:column).

    Reads PATHS (default: specs/). Nothing is sent to the API unless --catalog. Exit 0 when the
    specs are valid, 1 otherwise.
    """
    from reconciler import errors
    from reconciler.spec import loader

    app.start("validate")
    try:
        fleet = loader.load(list(paths) or [opts.DEFAULT_SPECS])
        if catalog:
            _check_catalog(app, fleet)
    except errors.SpecError as exc:
        if fmt == "json":
            opts.emit_json({"valid": False, "problems": [p.__dict__ for p in exc.problems]})
            return opts.EXIT_ERROR
        raise
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
    return opts.EXIT_OK


def _check_catalog(app: App, fleet: object) -> None:
    from reconciler.engine import run

    with app.connect() as session:
        run.check_all_hardware(fleet, session.api)  # type: ignore[arg-type]


@click.command()
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Write to a file.")
@click.pass_obj
def schema(app: App, out: Path | None) -> int:
    """Print the JSON Schema of spec files (for editors)."""
    from reconciler.spec import schema as spec_schema

    app.start("schema")
    body = json.dumps(spec_schema.json_schema(), indent=2)
    if out is None:
        click.echo(body)
    else:
        opts.write_file(out, body)
        app.say(f"wrote {out}")
    return opts.EXIT_OK


@click.command()
@opts.paths_argument
@opts.now_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option(
    "--exit-code", is_flag=True, help="Exit 2 when anything drifts (a refresh-only check for cron)."
)
@click.pass_obj
def status(app: App, paths: tuple[str, ...], now_text: str | None, fmt: str, exit_code: bool) -> int:
    """Show desired vs live state, drift, URLs, replicas and costs.

    One row per endpoint, then live endpoints of this fleet that no spec names. Never writes.
    Exit 0, 1 on error; with --exit-code, 2 when anything drifts.
    """
    import shutil

    from reconciler.engine import run
    from reconciler.engine import status as status_mod
    from reconciler.render import status as render_status
    from reconciler.render import text

    app.start("status")
    fleet = opts.load_fleet(paths)
    with app.connect() as session:
        observation = run.observe(fleet, session.api, opts.parse_now(now_text))
        plan, books, _ = run.make_plan(observation, session.api, run.Options())
        if not books:
            books, warnings = run.catalogs(session.api, set(observation.namespaces))
            for warning in warnings:
                app.say(f"warning: {warning}", level="warning")
    rows = status_mod.rows(observation, plan, books)
    if fmt == "json":
        opts.emit_json({"fleet": fleet.name, "endpoints": [r.data() for r in rows]})
    else:
        tty = sys.stdout.isatty()
        width = shutil.get_terminal_size().columns if tty else None
        color = text.color_enabled(sys.stdout)
        click.echo(render_status.table(rows, color=color, width=width), color=color)
    drifted = any(r.drifted for r in rows)
    return opts.EXIT_CHANGES if exit_code and drifted else opts.EXIT_OK


@click.command()
@click.option(
    "--namespace", default=None, help="User or organization whose quotas to show (default: the token's)."
)
@click.option("--vendor", default=None)
@click.option("--region", default=None)
@click.option("--accelerator", type=click.Choice(["cpu", "gpu", "neuron"]), default=None)
@click.option("--all", "show_all", is_flag=True, help="Also rows that are deprecated or not available.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def hardware(
    app: App,
    namespace: str | None,
    vendor: str | None,
    region: str | None,
    accelerator: str | None,
    show_all: bool,
    fmt: str,
) -> int:
    """List the hardware catalog: instance types, prices and quota left (like `hf endpoints hardware`)."""
    from reconciler.engine import catalog as catalog_mod

    app.start("hardware")
    with app.connect() as session:
        if namespace is None:
            namespace = str(session.api.whoami().get("name") or "") or None
        book = catalog_mod.Catalog.from_json(session.api.hardware(namespace))
    rows = [
        r
        for r in book
        if (vendor is None or r.vendor == vendor)
        and (region is None or r.region == region)
        and (accelerator is None or r.accelerator == accelerator)
        and (show_all or r.status not in ("deprecated", "not_available"))
    ]
    rows.sort(
        key=lambda r: (
            r.vendor,
            r.region,
            r.accelerator,
            r.price_per_hour or 0.0,
            r.instance_type,
            r.instance_size,
        )
    )
    from reconciler.render import hardware as render_hardware

    if fmt == "json":
        opts.emit_json(render_hardware.rows_json(rows))
    else:
        click.echo(render_hardware.table(rows))
    return opts.EXIT_OK


@click.command()
@opts.paths_argument
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def doctor(app: App, paths: tuple[str, ...], fmt: str) -> int:
    """Check first contact with the API before a first apply. Read only: it never writes.

    Checks the token and namespaces, parses every live endpoint, lists the fields the API sends
    that hfleet does not model, and shows what a first apply would do, warning about replaces,
    deletes and updates of the whole fleet. Exit 0 all good, 2 warnings, 1 a check failed.
    """
    from reconciler.engine import doctor as doctor_mod
    from reconciler.render import plan as render_plan
    from reconciler.render import text

    app.start("doctor")
    fleet = opts.load_fleet(paths)
    with app.connect() as session:
        report = doctor_mod.examine(fleet, session)
    if fmt == "json":
        plan_data = report.plan.data() if report.plan is not None else None
        opts.emit_json(
            {"status": report.worst, "checks": [c.data() for c in report.checks], "plan": plan_data}
        )
    else:
        marks = {"ok": "✓", "warn": "!", "fail": "✗"}
        for check in report.checks:
            click.echo(f"{marks[check.status]} {check.name:<16} {text.safe(check.detail)}")
        if report.plan is not None and report.plan.changes:
            click.echo("")
            color = text.color_enabled(sys.stdout)
            click.echo(render_plan.plan_text(report.plan, color=color), color=color)
    return {"ok": opts.EXIT_OK, "warn": opts.EXIT_CHANGES, "fail": opts.EXIT_ERROR}[report.worst]


@click.command(name="schedule")
@opts.paths_argument
@click.option(
    "--days", type=click.IntRange(1, 366), default=7, show_default=True, help="How far ahead to look."
)
@opts.now_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def schedule_cmd(app: App, paths: tuple[str, ...], days: int, now_text: str | None, fmt: str) -> int:
    """Show upcoming on/off transitions of scheduled endpoints, and the hours each one is up.

    Offline: reads the specs only (prices need the API; see `plan` and `status`).
    """
    from reconciler.engine import schedule_view

    app.start("schedule")
    fleet = opts.load_fleet(paths)
    start = opts.parse_now(now_text) or datetime.now(UTC)
    view = schedule_view.build(fleet, start, days)
    click.echo(json.dumps(view, indent=2, default=str) if fmt == "json" else schedule_view.text(view))
    return opts.EXIT_OK


@click.command()
@opts.paths_argument
@opts.target_option
@opts.now_option
@click.option("--timeout", "timeout_text", default="2m", show_default=True, help="Per-probe time limit.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_obj
def smoke(
    app: App,
    paths: tuple[str, ...],
    targets: tuple[str, ...],
    now_text: str | None,
    timeout_text: str,
    fmt: str,
) -> int:
    """Run smoke probes against the endpoints.

    Each endpoint uses its `smoke` spec, or a default probe for its task. Paused endpoints and those
    off by schedule are skipped. Exit 1 if any probe fails.
    """
    from reconciler.engine import smoke as smoke_mod

    app.start("smoke")
    fleet = opts.load_fleet(paths)
    with app.connect() as session:
        results = smoke_mod.run(
            fleet,
            session.api,
            targets=list(targets) or None,
            http=session.http,
            token=session.token,
            timeout=opts.parse_duration(timeout_text),
            now=opts.parse_now(now_text),
            allow_insecure_http=app.insecure_http,
        )
    from reconciler.render import text

    click.echo(smoke_mod.to_json(results) if fmt == "json" else text.safe(smoke_mod.table(results)))
    return opts.EXIT_OK if all(r.ok for r in results) else opts.EXIT_ERROR


COMMANDS = [validate, schema, status, hardware, doctor, schedule_cmd, smoke]
