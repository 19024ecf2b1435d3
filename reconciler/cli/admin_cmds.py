"""``hfleet import``, ``reconcile`` and ``emulator serve``: adopting endpoints, controller mode, and
serving the emulator.

Owns: their options and output. Called by: ``reconciler.cli``. Must not: decide anything.
"""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.cli import options as opts
from reconciler.cli.options import App

__all__ = ["COMMANDS", "MIN_INTERVAL"]

MIN_INTERVAL = 5.0  # seconds between controller passes, at least: `--interval 0` looped 20 times a second


@click.command(name="import")
@click.option("--namespace", "namespace", required=True, help="The user or organization to import from.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("specs/imported"),
    show_default=True,
    help="Directory for the generated spec files (a Fleet document is written there when it needs one).",
)
@click.option(
    "--fleet", "fleet_name", default=None, help="Fleet to adopt into (default: the fleet in --specs)."
)
@click.option(
    "--specs",
    "specs_dir",
    default=opts.DEFAULT_SPECS,
    show_default=True,
    help="Specs holding the fleet document.",
)
@click.option("--name", "names", multiple=True, help="Only these endpoints (repeatable).")
@click.option("--adopt", is_flag=True, help="Also tag the endpoints into the fleet, so hfleet manages them.")
@click.option("--overwrite", is_flag=True, help="Replace spec files that already exist.")
@click.pass_obj
def import_(
    app: App,
    namespace: str,
    out_dir: Path,
    fleet_name: str | None,
    specs_dir: str,
    names: tuple[str, ...],
    adopt: bool,
    overwrite: bool,
) -> int:
    """Write specs for existing endpoints (--adopt: take them over).

    Endpoints owned by another fleet are skipped. Secrets are never read back: each becomes a
    from_env reference (NAME_KEY) to fill in. The written directory plans with no change.
    """
    from reconciler.engine import importer

    app.start("import")
    defined_in = Path(specs_dir) if Path(specs_dir).is_dir() else None
    if fleet_name is None and adopt:
        fleet_name = opts.load_fleet((specs_dir,)).name
    with app.connect() as session:
        result = importer.run(
            session.api,
            namespace,
            out_dir,
            fleet=fleet_name,
            fleet_defined_in=defined_in,
            names=list(names) or None,
            adopt=adopt,
            overwrite=overwrite,
        )
    from reconciler.render import text

    for line in result.lines:
        click.echo(text.safe(line))
    return opts.EXIT_ERROR if result.failed else opts.EXIT_OK


@click.command(name="reconcile")
@opts.paths_argument
@click.option(
    "--interval",
    "interval_text",
    default="5m",
    show_default=True,
    help=f"Time between passes (at least {MIN_INTERVAL:g}s).",
)
@click.option(
    "--listen",
    default="0.0.0.0:8080",
    show_default=True,
    help="host:port for /healthz, /readyz and /metrics ('' to disable).",
)
@opts.prune_option
@opts.limit_options
@opts.parallelism_option
@click.option(
    "--max-failed-passes",
    type=click.IntRange(1, 1000),
    default=3,
    show_default=True,
    help="Failed or crashed passes in a row after which /healthz fails (so Kubernetes restarts it).",
)
@click.option("--max-passes", type=int, default=None, hidden=True)
@click.pass_obj
def reconcile_cmd(
    app: App,
    paths: tuple[str, ...],
    interval_text: str,
    listen: str,
    prune: bool,
    force: bool,
    allow_replace: bool,
    max_delete_fraction: float,
    max_update_fraction: float,
    parallelism: int,
    max_failed_passes: int,
    max_passes: int | None,
) -> int:
    """Controller mode: plan and apply forever, level-triggered.

    Re-reads the specs and the live state every pass; sleeps until the interval, the next schedule
    boundary or (while endpoints change) 30 s, whichever comes first. SIGTERM stops it promptly.
    """
    import signal

    from reconciler import controller
    from reconciler.engine import loop, run, safety

    app.start("reconcile", controller=True)
    interval = opts.parse_duration(interval_text)
    if interval < MIN_INTERVAL:
        raise click.BadParameter(f"must be at least {MIN_INTERVAL:g}s", param_hint="--interval")
    opts.load_fleet(paths)  # refuse to start on invalid specs
    limits = safety.Limits(max_delete_fraction, max_update_fraction, force, allow_replace)
    options = run.Options(prune=prune, limits=limits, quota=not force)
    state = controller.LoopState(interval, max_failed_passes=max_failed_passes)
    server = None
    with app.connect(parallelism=parallelism) as session:
        signal.signal(signal.SIGTERM, lambda *_: session.stop.set())
        signal.signal(signal.SIGINT, lambda *_: session.stop.set())
        if listen:
            host, _, port = listen.rpartition(":")
            server = controller.HealthServer(state, host or "0.0.0.0", int(port)).start()
            app.say(f"serving /healthz /readyz /metrics on {server.url}", url=server.url)
        try:
            loop.reconcile_forever(
                lambda: opts.load_fleet(paths),
                session,
                options,
                interval=interval,
                on_pass=lambda result: state.record(not result.result.failed, result.message, result.result),
                max_passes=max_passes,
            )
        finally:
            if server is not None:
                server.close()
    return opts.EXIT_OK


class _EmulatorGroup(click.Group):
    """``hfleet emulator``: its ``serve`` is the emulator's own click command (one parser, shared with
    ``python -m reconciler.emulator``), imported only when used so ``hfleet --help`` stays fast."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return ["serve"]

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name != "serve":
            return None
        from reconciler.emulator import server

        return server.serve_command


@click.group(cls=_EmulatorGroup)
def emulator() -> None:
    """Serve the embedded emulator of the API (control plane, hardware, whoami and data plane)."""


COMMANDS = [import_, reconcile_cmd, emulator]
