"""The ``hfleet`` command line: parse, call the engine, render, map errors to exit codes. No logic.

Owns: the click group and its global options, the one place errors become exit codes and messages,
and the registration of the commands (``run_cmds``: plan, apply, show; ``read_cmds``: validate,
schema, status, hardware, doctor, schedule, smoke; ``admin_cmds``: import, reconcile, emulator).
Called by: the ``hfleet`` console script and ``python -m reconciler``.
Must not: compute plans or talk HTTP itself.

Exit codes: 0 success or nothing to do, 1 error, 2 changes pending (``plan``, ``status
--exit-code``, ``doctor``), 3 refused as unsafe, 64 usage error (a mistyped command must never
pass for "changes pending" in a CI gate). In JSON log mode every stderr line is one JSON object:
usage errors and unexpected crashes too (``options.report_usage``, ``_json_crash``). Start-up is
kept fast (``hfleet --help`` well under 200 ms): heavy modules are imported inside the commands
that use them, logging is configured at the first line logged, and pydantic's plugin scan is
skipped (``main``); ``tests/cli/test_startup.py`` asserts what start-up does not import.

click was chosen over argparse for nested commands, env-var backed options, shell completion and
testable invocation (``CliRunner``); rich renders tables, colour and live progress on a terminal.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from reconciler.cli import options
from reconciler.cli.options import EXIT_CHANGES, EXIT_ERROR, EXIT_OK, EXIT_UNSAFE, EXIT_USAGE, parse_duration

__all__ = [
    "EXIT_CHANGES",
    "EXIT_ERROR",
    "EXIT_OK",
    "EXIT_UNSAFE",
    "EXIT_USAGE",
    "cli",
    "main",
    "parse_duration",
]


class _Group(click.Group):
    """Maps errors to exit codes in one place, and usage errors to 64 (click's default is 2)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # ``--emulator`` takes an optional value: ``--emulator plan`` must mean the flag, then ``plan``.
        fixed = list(args)
        for i, arg in enumerate(fixed[:-1]):
            if arg == "--emulator" and fixed[i + 1] in self.commands:
                fixed.insert(i + 1, options.DEFAULT_EMULATOR_STATE)
                break
        return super().parse_args(ctx, fixed)

    def invoke(self, ctx: click.Context) -> Any:
        from reconciler import errors

        try:
            return super().invoke(ctx)
        except errors.ReconcilerError as exc:
            return options.report_error(ctx.obj, exc)
        except click.Abort:
            if isinstance(ctx.obj, options.App) and ctx.obj.json_logs:
                options.report_usage(ctx.obj, click.ClickException("aborted; nothing was changed"), [])
                return EXIT_ERROR
            raise
        except (click.ClickException, click.exceptions.Exit):
            raise
        except Exception as exc:
            if isinstance(ctx.obj, options.App) and ctx.obj.json_logs:
                return _json_crash(ctx.obj, exc)
            raise

    def main(
        self,
        args: Any = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        try:
            code = super().main(argv, prog_name, complete_var, standalone_mode=False, **extra)
        except click.ClickException as exc:
            options.report_usage(_app(exc), exc, argv)
            code = EXIT_USAGE if isinstance(exc, click.UsageError) else EXIT_ERROR
        except click.Abort:
            click.echo("Aborted; nothing was changed.", err=True)
            code = EXIT_ERROR
        code = code if isinstance(code, int) else EXIT_OK
        if standalone_mode:
            sys.exit(code)
        return code


def _app(exc: click.ClickException) -> options.App | None:
    """The invocation's ``App`` if the group's options were read before the error, made to log as
    the command would (``reconcile`` off a terminal logs JSON by default)."""
    ctx = getattr(exc, "ctx", None)
    if ctx is None:
        return None
    app = ctx.find_root().obj
    if not isinstance(app, options.App):
        return None
    if ctx.info_name == "reconcile":
        app.controller = True
    return app


def _json_crash(app: options.App, exc: Exception) -> int:
    """An unexpected exception in JSON log mode: one ``cli.crash`` object with the traceback as a
    field, instead of a multi-line traceback a log pipeline would split into many records. Outside
    JSON mode Python prints its traceback as usual."""
    from reconciler import logs

    app.logging()
    logs.get_logger("hfleet.cli").error("cli.crash", kind=type(exc).__name__, exc_info=exc)
    return EXIT_ERROR


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--api-url",
    envvar="HFLEET_API_URL",
    default=options.DEFAULT_API_URL,
    show_default=True,
    help="Base URL of the Inference Endpoints API (env HFLEET_API_URL).",
)
@click.option(
    "--token",
    envvar="HF_TOKEN",
    default=None,
    help="Hugging Face token (env HF_TOKEN; else the token `hf auth login` saved). Never printed.",
)
@click.option(
    "--emulator",
    "emulator",
    is_flag=False,
    flag_value=options.DEFAULT_EMULATOR_STATE,
    default=None,
    metavar="[STATE_FILE]",
    help="Use the embedded emulator instead of the real API; state kept in STATE_FILE (default "
    "emulator.db in $HFLEET_STATE_DIR, else .hfleet) so successive runs share one emulated cloud.",
)
@click.option(
    "--emulator-speed",
    type=click.Choice(["demo", "instant"]),
    default="demo",
    envvar="HFLEET_EMULATOR_DURATIONS",
    hidden=True,
)
@click.option(
    "--insecure-http",
    is_flag=True,
    envvar="HFLEET_INSECURE_HTTP",
    help="Allow plain http to hosts other than this machine (the token then travels in clear text).",
)
@click.option(
    "--log-format",
    type=click.Choice(["console", "json"]),
    default=None,
    help="Log lines (stderr) as console text or JSON objects; default console, json for `reconcile` "
    "off a terminal. The report (plans, tables) always goes to stdout.",
)
@click.option("-v", "--verbose", count=True, help="More log output: -v info, -vv debug (default: warnings).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors in the log.")
@click.version_option(package_name="hfleet", prog_name="hfleet")
@click.pass_context
def cli(
    ctx: click.Context,
    api_url: str,
    token: str | None,
    emulator: str | None,
    emulator_speed: str,
    insecure_http: bool,
    log_format: str | None,
    verbose: int,
    quiet: bool,
) -> None:
    """hfleet: a declarative fleet manager for Hugging Face Inference Endpoints.

    Describe endpoints in YAML specs, `plan` the changes, `apply` them. Exit codes: 0 success or
    nothing to do, 1 error, 2 changes pending, 3 refused as unsafe, 64 usage error.

    Shell completion: eval "$(_HFLEET_COMPLETE=bash_source hfleet)" (zsh_source, fish_source).
    """
    ctx.obj = options.App(
        api_url=api_url,
        token=token,
        emulator=emulator,
        emulator_speed=emulator_speed,
        insecure_http=insecure_http,
        log_format=log_format,
        verbosity=-1 if quiet else verbose,
    )


def _register() -> None:
    from reconciler.cli import admin_cmds, read_cmds, run_cmds

    for module in (run_cmds, read_cmds, admin_cmds):
        for command in module.COMMANDS:
            cli.add_command(command)


_register()


def main(argv: list[str] | None = None) -> Any:
    """Console-script entry point (and ``python -m reconciler``).

    pydantic looks for plugins on its first model by scanning the metadata of every installed
    package (about 40 ms of each start in a dev environment); hfleet's spec models use none, so
    the scan is skipped unless ``PYDANTIC_DISABLE_PLUGINS`` is already set (pydantic's own switch).
    """
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    return cli.main(args=argv, prog_name="hfleet")
