"""What every command shares: the global options as an ``App``, option decorators, parsing, and the
one function that turns an error into a message and an exit code.

Owns: ``App`` (settings built once from flags and the environment: the only place hfleet reads
``HF_TOKEN``, the token file, ``HFLEET_STATE_DIR``), logging start-up per command, ``report_error``,
the exit codes and the shared option decorators. Called by: the command modules. Must not: plan.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from reconciler import errors
    from reconciler.engine.session import Session, Settings
    from reconciler.spec import loader

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2
EXIT_UNSAFE = 3
EXIT_USAGE = 64  # EX_USAGE (sysexits.h)

DEFAULT_API_URL = "https://api.endpoints.huggingface.cloud/v2"
DEFAULT_EMULATOR_STATE = "$HFLEET_STATE_DIR/emulator.db"
DEFAULT_SPECS = "specs"
F = TypeVar("F", bound=Callable[..., Any])


def state_dir() -> Path:
    """Where hfleet keeps local state (fleet locks, the emulator's database)."""
    return Path(os.environ.get("HFLEET_STATE_DIR") or ".hfleet")


def hub_token() -> str | None:
    """The token huggingface_hub would use when none is given: ``HF_TOKEN`` (handled by the option),
    ``HUGGING_FACE_HUB_TOKEN``, then the file ``hf auth login`` writes (``$HF_TOKEN_PATH``, else
    ``$HF_HOME/token``, ``$HF_HOME`` defaulting to ``$XDG_CACHE_HOME/huggingface`` or
    ``~/.cache/huggingface``)."""
    legacy = os.environ.get("HUGGING_FACE_HUB_TOKEN", "").strip()
    if legacy:
        return legacy
    path = os.environ.get("HF_TOKEN_PATH")
    if not path:
        cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        home = os.environ.get("HF_HOME") or str(Path(cache) / "huggingface")
        path = str(Path(home) / "token")
    try:
        file = Path(path)
        if file.is_file() and file.stat().st_size <= 4096:
            return file.read_text().strip() or None
    except OSError:
        return None
    return None


@dataclass
class App:
    """The global options of one invocation."""

    api_url: str
    token: str | None
    emulator: str | None
    emulator_speed: str
    insecure_http: bool
    log_format: str | None
    verbosity: int
    json_logs: bool = False

    def start(self, command: str, *, controller: bool = False) -> None:
        """Configure logging for this command (not at import: ``--help`` must start fast)."""
        import uuid

        import structlog

        from reconciler import logs

        fmt = self.log_format or ("json" if controller and not sys.stderr.isatty() else "console")
        self.json_logs = fmt == "json"
        base = 0 if controller else -1  # one-shot commands log warnings unless -v
        verbosity = -2 if self.verbosity < 0 else base + self.verbosity
        logs.configure(fmt, verbosity)
        structlog.contextvars.bind_contextvars(run_id=uuid.uuid4().hex[:12], command=command)
        if self.token:
            logs.register_secret(self.token)

    def settings(self, *, parallelism: int = 16) -> Settings:
        from reconciler.api import retry
        from reconciler.engine.session import Settings
        from reconciler.net import limits

        emulator = None
        if self.emulator is not None:
            emulator = (
                state_dir() / "emulator.db"
                if self.emulator == DEFAULT_EMULATOR_STATE
                else Path(self.emulator)
            )
        token = self.token or (None if emulator is not None else hub_token())
        if token:
            from reconciler import logs

            logs.register_secret(token)
        return Settings(
            api_url=self.api_url,
            token=token,
            emulator_state=emulator,
            emulator_speed=self.emulator_speed,
            state_dir=state_dir(),
            parallelism=parallelism,
            limits=limits.Limits.from_env(os.environ),
            retry=retry.RetryPolicy.from_env(os.environ),
            insecure_http=self.insecure_http,
        )

    def connect(self, *, parallelism: int = 16) -> Session:
        from reconciler.engine import session

        return session.connect(self.settings(parallelism=parallelism))

    def say(self, message: str, **fields: Any) -> None:
        """A note on stderr: a JSON object in JSON log mode, a plain line otherwise."""
        if self.json_logs:
            from reconciler import logs

            logs.get_logger("hfleet.cli").warning("cli.note", message=message, **fields)
        else:
            from reconciler import logs

            click.echo(logs.redact(message), err=True)


def load_fleet(paths: tuple[str, ...]) -> loader.Fleet:
    """Load specs; a ``SpecError`` (every problem, located) goes up to ``report_error`` (exit 1)."""
    from reconciler.spec import loader

    return loader.load(list(paths) or [DEFAULT_SPECS])


def report_error(app: App | None, exc: errors.ReconcilerError) -> int:
    """The one place an error becomes output and an exit code (3 unsafe, 1 anything else)."""
    from reconciler import errors, logs

    code = EXIT_UNSAFE if isinstance(exc, errors.UnsafePlanError) else EXIT_ERROR
    json_mode = app is not None and app.json_logs
    if isinstance(exc, errors.SpecError):
        if json_mode:
            log = logs.get_logger("hfleet.cli")
            for problem in exc.problems:
                log.error("spec.problem", **{k: v for k, v in problem.__dict__.items()})
            log.error("spec.invalid", problems=len(exc.problems))
        else:
            click.echo(str(exc), err=True)
        return code
    prefix = "refused" if code == EXIT_UNSAFE else "error"
    message = logs.redact(str(exc))
    if json_mode:
        logs.get_logger("hfleet.cli").error(f"cli.{prefix}", error=message, kind=type(exc).__name__)
    else:
        from reconciler.render import text

        click.echo(f"{prefix}: {text.safe(message)}", err=True)
    return code


def parse_duration(text: str, what: str = "duration") -> float:
    """``90``, ``90s``, ``5m``, ``1h30m``, ``2d`` → seconds, by the one duration parser
    (``reconciler.durations``, which spec fields use too); a click parameter error otherwise."""
    from reconciler import durations

    try:
        return durations.parse(text, what=what).total_seconds()
    except durations.InvalidDuration as exc:
        raise click.BadParameter(str(exc)) from None


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


def write_file(path: Path, content: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content if content.endswith("\n") else content + "\n")


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


paths_argument = click.argument("paths", nargs=-1, type=click.Path(path_type=str))
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


def limit_options(command: F) -> F:
    """The safety options of ``apply`` and ``reconcile`` (see ``reconciler.engine.safety``)."""
    for decorator in reversed(
        [
            click.option(
                "--force", is_flag=True, help="Apply even if the plan deletes or rewrites much of the fleet."
            ),
            click.option(
                "--allow-replace",
                is_flag=True,
                help="Consent to delete and re-create endpoints whose vendor, region, type or private "
                "link changed.",
            ),
            click.option(
                "--max-delete-fraction",
                type=click.FloatRange(0, 1),
                default=0.3,
                show_default=True,
                help="Share of the fleet (counted as at least 4) a plan may delete or replace without "
                "--force.",
            ),
            click.option(
                "--max-update-fraction",
                type=click.FloatRange(0, 1),
                default=0.5,
                show_default=True,
                help="Share of the fleet (counted as at least 4) whose configuration a plan may rewrite "
                "without --force.",
            ),
        ]
    ):
        command = decorator(command)
    return command
