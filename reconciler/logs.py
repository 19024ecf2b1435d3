"""Logging set-up: the only place structlog (and stdlib logging) is configured; redaction.

Owns: ``configure(format, verbosity)`` (structlog, plus the standard library's records and
``warnings`` through the same processors: in JSON mode every line is one object), the registry of
secrets and ``redact`` (applied to every log event), and ``sanitize`` (terminal control characters
escaped). structlog is imported only when logging is configured or a logger is made, so a command
that never logs starts without it. Called by: the CLI once per command, before its first log
line; the API and inference clients and the renderers for every text that came from a server.
Must not: print anything itself. Every event goes to stderr so stdout stays for plans and tables.

What ``redact`` removes, for every registered secret (see ``forms``):
- the value itself, and the forms a server or a library may give it back in: JSON-escaped (ASCII
  and not), JSON-escaped twice (a payload quoted inside an error string), Python ``repr``,
  URL-encoded (``quote`` with and without ``/``, ``quote_plus``), base64 (standard and URL-safe);
- each line of a multi-line value (a PEM key echoed one line at a time), when the line holds at
  least ``LINE_MIN`` characters, in the same forms;
- any prefix of at least ``PREFIX_MIN`` characters of any of the above that ends the text or is
  followed by a character that cannot continue it (a body cut at 256 characters, ``"``, ``…``):
  a truncated echo never shows the first characters of a long secret.
The floors, and why: 8 characters of a token are ~48 bits, enough to identify it; shorter
fragments are common words and would blur unrelated output. A prefix followed by a letter or digit
that differs from the secret's next one is another string that shares a beginning (a secret
``https://hooks...`` must not blur every ``https://h...``), so it stays. Values shorter than 4
characters are not registered at all (they would match everywhere).

Speed: ``redact`` runs on every log line. It looks for the first characters of each distinct form
with ``str.find`` (C speed) and only then compares the rest; with 50 secrets registered a 200
character line takes tens of microseconds (measured in tests/api/test_redaction.py).
"""

from __future__ import annotations

import base64
import contextvars
import json
import logging
import os
import re
import sys
import threading
from collections.abc import Callable, MutableMapping
from typing import Any, TextIO, TypeVar
from urllib.parse import quote, quote_plus

__all__ = [
    "LINE_MIN",
    "PREFIX_MIN",
    "REDACTED",
    "always",
    "carry",
    "configure",
    "forget_secrets",
    "forms",
    "get_logger",
    "redact",
    "register_secret",
    "sanitize",
]

T = TypeVar("T")
R = TypeVar("R")

REDACTED = "***"
SECRET_MIN = 4
LINE_MIN = 8
PREFIX_MIN = 8

# Shapes of Hugging Face tokens, caught even if nobody registered them.
_TOKEN_RE = re.compile(r"hf_[A-Za-z0-9]{6,}")
_SECRET_KEYS = frozenset({"token", "authorization", "password", "secret", "secrets", "hf_token"})
# C0 controls but tab and newline, DEL, C1 controls, and the bidirectional overrides and isolates
# that reorder what a terminal shows ("Trojan Source").
_CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def forms(value: str) -> set[str]:
    """The strings ``redact`` removes for the secret ``value`` (its lines included)."""
    found = _forms(value)
    lines = value.splitlines()
    if len(lines) > 1:
        for line in lines:
            if len(line.strip()) >= LINE_MIN:
                found |= _forms(line.strip())
    return {f for f in found if len(f) >= SECRET_MIN}


def _forms(value: str) -> set[str]:
    raw = value.encode("utf-8", errors="surrogatepass")
    escaped = json.dumps(value)[1:-1]
    return {
        value,
        escaped,
        json.dumps(value, ensure_ascii=False)[1:-1],
        json.dumps(escaped)[1:-1],
        repr(value)[1:-1],
        quote(value, safe=""),
        quote(value),
        quote_plus(value),
        base64.b64encode(raw).decode(),
        base64.urlsafe_b64encode(raw).decode(),
    }


class _Registry:
    """The secrets registered so far, indexed by the first characters of each of their forms."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.values: set[str] = set()
        # head (first PREFIX_MIN characters, or the whole form when shorter) -> the forms starting so
        self.heads: dict[str, tuple[str, ...]] = {}

    def add(self, value: str) -> None:
        with self.lock:
            if value in self.values:
                return
            heads = dict(self.heads)
            for form in forms(value):
                head = form[:PREFIX_MIN]
                heads[head] = tuple(sorted({*heads.get(head, ()), form}, key=len, reverse=True))
            self.values.add(value)
            self.heads = heads  # swapped whole: readers never see a half-built index

    def spans(self, text: str) -> list[tuple[int, int]]:
        found: list[tuple[int, int]] = []
        for head, candidates in self.heads.items():
            start = text.find(head)
            while start != -1:
                end = _longest(text, start, candidates)
                if end > start:
                    found.append((start, end))
                start = text.find(head, start + 1)
        return found


def _longest(text: str, start: int, candidates: tuple[str, ...]) -> int:
    """Where the longest redactable match of ``candidates`` at ``start`` ends (``start`` if none)."""
    best = start
    for form in candidates:
        n = len(form)
        if text.startswith(form, start):
            return max(best, start + n)
        k = len(form[:PREFIX_MIN])
        limit = min(n, len(text) - start)
        while k < limit and text[start + k] == form[k]:
            k += 1
        if k < PREFIX_MIN or start + k <= best:
            continue
        nxt = text[start + k] if start + k < len(text) else ""
        if nxt.isalnum() and form[k].isalnum():
            continue  # another word sharing a beginning with the secret, not a cut copy of it
        best = start + k
    return best


_registry = _Registry()


def register_secret(value: str | None) -> None:
    """Remember a secret value so that it, in any of its ``forms``, is never written out."""
    if value and len(value) >= SECRET_MIN:
        _registry.add(value)


def forget_secrets() -> None:
    """Forget every registered secret (a test that plays a fresh process)."""
    global _registry
    _registry = _Registry()


def redact(text: str) -> str:
    """Replace every registered secret (in every form, see the module's docstring) and every
    token-shaped string in ``text`` with ``REDACTED``."""
    spans = sorted(_registry.spans(text))
    if spans:
        pieces: list[str] = []
        at = 0
        for start, end in spans:
            if start >= at:  # a new span; an overlapping one only extends the current span
                pieces.append(text[at:start] + REDACTED)
            at = max(at, end)
        pieces.append(text[at:])
        text = "".join(pieces)
    return _TOKEN_RE.sub(REDACTED, text)


def sanitize(text: str) -> str:
    """``text`` with terminal control characters (ESC, C0 and C1 controls but newline and tab, DEL,
    bidi overrides) shown as ``\\xNN`` / ``\\uNNNN`` escapes, so a server's string cannot move the
    cursor, recolor, rewrite or hide what the terminal shows."""
    return _CONTROL_RE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return sanitize(redact(value))
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
    """Set up structlog, and route the standard library's logging and ``warnings`` through it.

    ``fmt``: ``console`` or ``json`` (then every line written is one JSON object: events, records
    of libraries, warnings and exceptions alike). ``verbosity``: -2 errors only, -1 warnings, 0
    info, 1+ debug (and the libraries' info lines, such as httpx's requests). Console colours
    follow ``NO_COLOR`` and ``FORCE_COLOR`` like the rest of the output.
    """
    import structlog

    level = _level(verbosity)
    out: Any = stream if stream is not None else _Stderr()
    renderer: Any
    if fmt == "json":
        renderer = structlog.processors.JSONRenderer(sort_keys=False)
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=_colors(out))
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    # One JSON object per line: a traceback becomes a field of its event instead of loose lines.
    tail: list[Any] = [structlog.processors.format_exc_info] if fmt == "json" else []
    tail += [_redact_processor, renderer]
    structlog.configure(
        processors=[*shared, *tail],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=out),
        cache_logger_on_first_use=False,
    )
    _route_stdlib(out, shared, tail, logging.INFO if verbosity >= 1 else max(level, logging.WARNING))


class _Stderr:
    """``sys.stderr`` as it is at each write, not at configure time: while ``apply --wait`` draws
    its live table, rich redirects ``sys.stderr`` so log lines print above the table instead of
    through it."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()

    def isatty(self) -> bool:
        return sys.stderr.isatty()


def _level(verbosity: int) -> int:
    if verbosity <= -2:
        return logging.ERROR
    return logging.WARNING if verbosity < 0 else logging.INFO if verbosity == 0 else logging.DEBUG


def _colors(out: TextIO) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(out, "isatty", None)
    return bool(isatty and isatty())


class _Handler(logging.StreamHandler):  # type: ignore[type-arg]
    """The one handler hfleet puts on the root logger (replaced, never stacked, by ``configure``)."""

    def handleError(self, record: logging.LogRecord) -> None:
        # The stream is gone (a test runner's capture closed, a closed pipe): nowhere to report it,
        # and a traceback on stderr would break the one-object-per-line promise.
        return


def _record_name(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """A library record's logger under the key hfleet's own events use (``logger_name``)."""
    record = event.get("_record")
    if record is not None:
        event["logger_name"] = record.name
    return event


def _route_stdlib(out: TextIO, shared: list[Any], tail: list[Any], level: int) -> None:
    """Library records (httpx, urllib3...) and ``warnings`` rendered by the same processors."""
    import structlog

    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, _record_name],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *tail],
    )
    handler = _Handler(out)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _Handler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    logging.captureWarnings(True)


def carry(fn: Callable[[T], R]) -> Callable[[T], R]:
    """``fn`` made to run in a copy of the caller's context, so log lines from worker threads keep
    the run id and whatever else is bound (threads do not inherit context variables)."""
    context = contextvars.copy_context()

    def run(arg: T) -> R:
        return context.copy().run(fn, arg)

    return run


def always(name: str, level: str, event: str, **fields: Any) -> None:
    """Write one event whatever the verbosity: the CLI's notes (``saved plan to ...``, ``serving
    /healthz on ...``) are part of what a command tells its user, shown in console mode as plain
    lines, so JSON mode must not drop them below ``-v``. Same processors: redacted, JSON."""
    bound = get_logger(name).bind()
    bound._proxy_to_logger(level, event, **fields)


def get_logger(name: str) -> Any:
    """A structlog logger bound with the module name. structlog is imported here, not at the top:
    ``hfleet --help`` and ``hfleet validate`` never log and must start fast."""
    import structlog

    return structlog.get_logger(logger_name=name)
