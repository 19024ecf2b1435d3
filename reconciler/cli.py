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
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import click

from reconciler import errors, logs
from reconciler.spec import loader
from reconciler.spec import schema as spec_schema

__all__ = ["EXIT_CHANGES", "EXIT_ERROR", "EXIT_OK", "EXIT_UNSAFE", "cli", "main"]

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2
EXIT_UNSAFE = 3

DEFAULT_API_URL = "https://api.endpoints.huggingface.cloud/v2"
DEFAULT_EMULATOR_STATE = ".hfleet/emulator.db"
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


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option(
    "--api-url",
    envvar="HFLEET_API_URL",
    default=DEFAULT_API_URL,
    show_default=True,
    help="Base URL of the Inference Endpoints API (env HFLEET_API_URL).",
)
@click.option("--token", envvar="HF_TOKEN", default=None, help="Hugging Face token (env HF_TOKEN). Never printed.")
@click.option(
    "--emulator",
    "emulator",
    is_flag=False,
    flag_value=DEFAULT_EMULATOR_STATE,
    default=None,
    metavar="[STATE_FILE]",
    help=f"Use the embedded emulator instead of the real API; state kept in STATE_FILE "
    f"(default {DEFAULT_EMULATOR_STATE}) so successive runs share one emulated cloud.",
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
    ctx.obj = Context(api_url=api_url, token=token, emulator=emulator, log_format=fmt, verbosity=verbosity)


@cli.command()
@paths_argument
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def validate(paths: tuple[str, ...], fmt: str) -> None:
    """Check spec files (default: specs/) and report every problem with file:line:column.

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
                {"valid": True, "fleet": fleet.name, "namespace": fleet.namespace, "endpoints": len(fleet.endpoints)}
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
    """Print the JSON Schema of spec files (for yaml-language-server and editors)."""
    text = json.dumps(spec_schema.json_schema(), indent=2)
    if out is None:
        click.echo(text)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text + "\n")
        click.echo(f"wrote {out}", err=True)


def main(argv: list[str] | None = None) -> Any:
    """Console-script entry point."""
    return cli.main(args=argv, prog_name="hfleet")
