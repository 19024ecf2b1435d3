"""Logging set-up: the only place structlog (and stdlib logging) is configured.

Owns: ``configure(format, verbosity)`` and the redaction of secrets from every event.
Called by: the CLI once at start-up; tests call it to capture JSON lines.
Must not: print anything itself. Every event goes to stderr so stdout stays for plans and tables.
"""

from __future__ import annotations

import contextvars
import logging
import re
import sys
from collections.abc import Callable, Iterable, MutableMapping
from typing import Any, TextIO, TypeVar

import structlog

__all__ = ["REDACTED", "carry", "configure", "get_logger", "redact", "register_secret"]

T = TypeVar("T")
R = TypeVar("R")

REDACTED = "***"

# Values registered at run time (the token, resolved secret values, registry passwords). They are
# replaced wherever they appear in a log event, whatever the key is called.
_secrets: set[str] = set()
# Shapes of Hugging Face tokens, caught even if nobody registered them.
_TOKEN_RE = re.compile(r"hf_[A-Za-z0-9]{6,}")
_SECRET_KEYS = frozenset({"token", "authorization", "password", "secret", "secrets", "hf_token"})


def register_secret(value: str | None) -> None:
    """Remember a secret value so that it is never written to a log line."""
    if value and len(value) >= 4:
        _secrets.add(value)


def redact(text: str) -> str:
    """Replace every registered secret and every token-shaped string in ``text``."""
    for secret in sorted(_secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, REDACTED)
    return _TOKEN_RE.sub(REDACTED, text)


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {
            k: (REDACTED if str(k).lower() in _SECRET_KEYS else _redact_value(v)) for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_redact_value(v) for v in value]
    return value


def _redact_processor(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key in list(event):
        if key.lower() in _SECRET_KEYS:
            event[key] = REDACTED
        else:
            event[key] = _redact_value(event[key])
    return event


def configure(fmt: str = "console", verbosity: int = 0, stream: TextIO | None = None) -> None:
    """Set up structlog. ``fmt`` is ``console`` or ``json``; verbosity -1 quiet, 0 info, 1+ debug."""
    level = logging.WARNING if verbosity < 0 else logging.INFO if verbosity == 0 else logging.DEBUG
    out = stream if stream is not None else sys.stderr
    renderer: Any
    if fmt == "json":
        renderer = structlog.processors.JSONRenderer(sort_keys=False)
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=out.isatty())
    processors: Iterable[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _redact_processor,
        renderer,
    ]
    structlog.configure(
        processors=list(processors),
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=out),
        cache_logger_on_first_use=False,
    )


def carry(fn: Callable[[T], R]) -> Callable[[T], R]:
    """``fn`` made to run in a copy of the caller's context, so log lines from worker threads keep
    the run id and whatever else is bound (threads do not inherit context variables)."""
    context = contextvars.copy_context()

    def run(arg: T) -> R:
        return context.copy().run(fn, arg)

    return run


def get_logger(name: str) -> Any:
    """A structlog logger bound with the module name."""
    return structlog.get_logger(logger_name=name)
