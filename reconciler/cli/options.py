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
    """The token huggingface_hub (2.4.0, ``utils/_auth.py``) uses when none is given: ``HF_TOKEN``
        (else ``HUGGING_FACE_HUB_TOKEN``) when it holds more than blanks, then the file
        ``hf auth login`` writes. Its path follows ``huggingface_hub.constants`` exactly:
        ``$HF_TOKEN_PATH``, else ``$HF_HOME/token`` with ``HF_HOME`` defaulting to
        ``$XDG_CACHE_HOME/huggingface`` (``~/.cache/huggingface``), ``~`` and ``$VARS`` expanded; in
        staging mode (``HUGGINGFACE_CO_STAGING``) ``~/.cache/huggingface_staging/token``. The value is
        cleaned as hub cleans it. A file over 4 KiB is not a token and is not read. Not done: hub's
    refresh of an expiring OAuth token (``hf auth login`` in a browser); the saved token is used as is."""
    from_env = clean_token(os.environ.get("HF_TOKEN") or os.environ.get("HUGGING_FACE_HUB_TOKEN"))
    if from_env:
        return from_env
    try:
        file = Path(token_path())
        if file.is_file() and file.stat().st_size <= 4096:
            return clean_token(file.read_text())
    except (OSError, UnicodeDecodeError):
        return None
    return None


def token_path() -> str:
    """Where ``hf auth login`` saves the token (``huggingface_hub.constants.HF_TOKEN_PATH``)."""
    if os.environ.get("HUGGINGFACE_CO_STAGING", "").upper() in ("1", "ON", "YES", "TRUE"):
        return os.path.join(os.path.expanduser("~"), ".cache", "huggingface_staging", "token")
    cache = os.getenv("XDG_CACHE_HOME", os.path.join(os.path.expanduser("~"), ".cache"))
    home = _expand(os.getenv("HF_HOME", os.path.join(cache, "huggingface")))
    return _expand(os.getenv("HF_TOKEN_PATH", os.path.join(home, "token")))


def _expand(path: str) -> str:
    return os.path.expandvars(os.path.expanduser(path))


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
    command: str = ""
    controller: bool = False
    _configured: bool = False

    @property
    def json_logs(self) -> bool:
        """Log lines as JSON objects: ``--log-format json``, or ``reconcile`` off a terminal."""
        if self.log_format is not None:
            return self.log_format == "json"
        return self.controller and not sys.stderr.isatty()

    def start(self, command: str, *, controller: bool = False) -> None:
        """Name the command; logging itself is set up by ``logging()``, before the first line is
        written (``hfleet validate`` never logs, so it never imports structlog: it starts fast)."""
        self.command, self.controller = command, controller

    def logging(self) -> None:
        """Configure logging once: one-shot commands log warnings unless -v (info) or -vv (debug);
        ``reconcile`` logs info; -q errors only."""
        if self._configured:
            return
        import uuid

        import structlog

        from reconciler import logs

        self._configured = True
        base = 0 if self.controller else -1
        verbosity = -2 if self.verbosity < 0 else base + self.verbosity
        logs.configure("json" if self.json_logs else "console", verbosity)
        bound = {"run_id": uuid.uuid4().hex[:12], "command": self.command}
        structlog.contextvars.bind_contextvars(**{k: v for k, v in bound.items() if v})
        if self.token:
            logs.register_secret(self.token)
        logs.get_logger("hfleet.cli").debug(
            "cli.start",
            version=_version(),
            api_url=self.api_url if self.emulator is None else None,
            emulator=self.emulator,
            log_format="json" if self.json_logs else "console",
        )

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
        token = clean_token(self.token) or (None if emulator is not None else hub_token())
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

        self.logging()
        return session.connect(self.settings(parallelism=parallelism))

    def say(self, message: str, *, level: str = "info", **fields: Any) -> None:
        """A note on stderr: a JSON object (``cli.note`` at ``level``) in JSON log mode, a plain
        line otherwise; shown at any verbosity (it is part of what the command tells its user)."""
        from reconciler import logs

        if self.json_logs:
            self.logging()
            logs.always("hfleet.cli", level, "cli.note", message=message, **fields)
        else:
            from reconciler.render import text

            click.echo(text.safe(logs.redact(message)), err=True)


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("hfleet")
    except metadata.PackageNotFoundError:
        return "unknown"


def load_fleet(paths: tuple[str, ...]) -> loader.Fleet:
    """Load specs; a ``SpecError`` (every problem, located) goes up to ``report_error`` (exit 1)."""
    from reconciler.spec import loader

    return loader.load(list(paths) or [DEFAULT_SPECS])


def report_error(app: App | None, exc: errors.ReconcilerError) -> int:
    """The one place an error becomes output and an exit code (3 unsafe, 1 anything else).

    In JSON log mode every problem is one object (``spec.problem`` with file, line, column, field
    and message; ``cli.error`` or ``cli.refused`` with the message and the error's kind)."""
    from reconciler import errors, logs
    from reconciler.render import text

    code = EXIT_UNSAFE if isinstance(exc, errors.UnsafePlanError) else EXIT_ERROR
    json_mode = app is not None and app.json_logs
    if json_mode:
        assert app is not None
        app.logging()
    log = logs.get_logger("hfleet.cli") if json_mode else None
    if isinstance(exc, errors.SpecError):
        if log is not None:
            for problem in exc.problems:
                log.error("spec.problem", **{k: v for k, v in problem.__dict__.items()})
            log.error("spec.invalid", problems=len(exc.problems))
        else:
            click.echo(text.safe(str(exc)), err=True)  # the specs' own text, read before any secret
        return code
    prefix = "refused" if code == EXIT_UNSAFE else "error"
    message = logs.redact(str(exc))
    if log is not None:
        log.error(f"cli.{prefix}", error=message, kind=type(exc).__name__)
    else:
        click.echo(f"{prefix}: {text.safe(message)}", err=True)
    return code


def report_usage(app: App | None, exc: click.ClickException, argv: list[str]) -> None:
    """A click error (usage or not): click's own text, or one ``cli.usage_error`` object in JSON
    log mode, even when the error happened before the global options were read."""
    json_mode = app.json_logs if app is not None else _json_in(argv)
    if not json_mode:
        exc.show()
        return
    from reconciler import logs

    if app is not None:
        app.logging()
    else:
        logs.configure("json", -1)
    fields: dict[str, Any] = {"error": exc.format_message()}
    if isinstance(exc, click.UsageError) and exc.ctx is not None:
        fields["usage"] = exc.ctx.get_usage().replace("Usage: ", "", 1)
        fields["help"] = f"{exc.ctx.command_path} {exc.ctx.help_option_names[0]}"
    event = "cli.usage_error" if isinstance(exc, click.UsageError) else "cli.error"
    logs.get_logger("hfleet.cli").error(event, **fields)


def _json_in(argv: list[str]) -> bool:
    """``--log-format json`` among arguments click could not finish parsing (the group's own
    options failed, so no ``App`` exists): honoured all the same. ``--`` ends the options."""
    for i, arg in enumerate(argv):
        if arg == "--":
            break
        if arg == "--log-format=json" or (arg == "--log-format" and argv[i + 1 : i + 2] == ["json"]):
            return True
    return False


def clean_token(token: str | None) -> str | None:
    """A token as huggingface_hub cleans it (``_clean_token``): line breaks removed anywhere, spaces
    stripped, empty means none (a Kubernetes Secret made with ``echo`` ends with a newline)."""
    if token is None:
        return None
    return token.replace("\r", "").replace("\n", "").strip() or None


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
