"""Secret references and reading their values safely.

Owns: ``SecretRef`` (``{from_env: NAME}`` or ``{from_file: PATH}``, never a literal value),
``refuse_literal``, ``resolve`` and ``SecretUnavailable``.
Called by: ``reconciler.spec.models`` and ``reconciler.spec.image`` (the reference's form), and the
engine when it builds a payload or a fingerprint (``resolve``). Must not: print or log a value, or
put one in an error message; errors name the reference (the variable or the path), never the value.

``from_file`` is hostile input: a spec in a pull request can name any path, and a CI job that plans
that pull request would read it and could ship it to an endpoint. So a file is read only when:

* its real path (symlinks followed) is inside an **allowed root**: the directories listed in
  ``$HFLEET_SECRETS_DIR`` (``os.pathsep``-separated) if set, else ``/run/secrets`` and
  ``/var/run/secrets`` (where Docker, Compose and Kubernetes mount secrets). A relative path is
  relative to the first root. ``/etc/shadow`` or the checkout's ``.git/config`` are refused;
* it is a **regular file**: it is opened with ``O_NONBLOCK`` and checked with ``fstat`` before any
  read, so a FIFO, a device (``/dev/zero``) or a directory is refused at once instead of blocking or
  streaming forever;
* it holds at most ``MAX_BYTES`` (64 KiB): the size is checked before reading and at most
  ``MAX_BYTES + 1`` bytes are ever read, so a 2 GB (or sparse, or growing) file costs no memory;
* it is UTF-8 **text** without NUL bytes. One trailing newline (``\\n`` or ``\\r\\n``) is stripped,
  since editors and ``echo`` add one; anything else is kept as written.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from reconciler import errors, logs
from reconciler.spec import names

__all__ = [
    "DEFAULT_ROOTS",
    "MAX_BYTES",
    "ROOTS_ENV",
    "SecretRef",
    "SecretUnavailable",
    "allowed_roots",
    "refuse_literal",
    "resolve",
]

MAX_BYTES = 64 * 1024
ROOTS_ENV = "HFLEET_SECRETS_DIR"
DEFAULT_ROOTS = ("/run/secrets", "/var/run/secrets")


class SecretUnavailable(errors.ReconcilerError):
    """A secret reference could not be resolved (missing variable, refused or unreadable file)."""


class SecretRef(BaseModel):
    """Where a secret's value comes from at apply time. A literal value in git is refused.

    ``from_env`` names an environment variable; ``from_file`` a file under the allowed roots (see
    the module docstring). The value is read only when a payload is built, and never printed or logged.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    from_env: str | None = Field(default=None, description="Environment variable holding the value.")
    from_file: str | None = Field(
        default=None,
        description="Path of a file holding the value, under $HFLEET_SECRETS_DIR (default /run/secrets).",
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> SecretRef:
        if (self.from_env is None) == (self.from_file is None):
            raise ValueError("give exactly one of from_env or from_file")
        if self.from_env is not None and not names.is_env_name(self.from_env):
            raise ValueError(f"from_env must be an environment variable name, not {self.from_env!r}")
        if self.from_file is not None and (not self.from_file or "\0" in self.from_file):
            raise ValueError("from_file must be a non-empty path")
        return self


def refuse_literal(value: Any) -> Any:
    """A pydantic before-validator: a scalar where a reference belongs is a literal secret in git."""
    if isinstance(value, str | int | float | bool):
        raise ValueError(
            "literal secret values are not allowed in specs; use {from_env: NAME} or {from_file: PATH}"
        )
    return value


def allowed_roots() -> tuple[str, ...]:
    """The allowed roots of ``from_file``: ``$HFLEET_SECRETS_DIR`` if set and not empty, else the default."""
    configured = os.environ.get(ROOTS_ENV, "")
    roots = tuple(part for part in configured.split(os.pathsep) if part)
    return roots or DEFAULT_ROOTS


def resolve(ref: SecretRef, what: str, *, roots: Sequence[str] | None = None) -> str:
    """The value behind ``ref``; ``SecretUnavailable`` naming ``what`` and the reference otherwise.

    ``roots`` overrides ``allowed_roots()`` (the engine passes its settings' value, tests a tmp dir).
    The value is registered with the log redactor before it is returned.
    """
    if ref.from_env is not None:
        value = os.environ.get(ref.from_env)
        if value is None:
            raise SecretUnavailable(f"{what}: environment variable {ref.from_env} is not set")
    else:
        assert ref.from_file is not None
        value = _read_file(ref.from_file, what, tuple(roots) if roots is not None else allowed_roots())
    logs.register_secret(value)
    return value


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _real_path(given: str, what: str, roots: tuple[str, ...]) -> str:
    """The real path of ``given`` (relative: to the first root), refused unless under a root."""
    if not roots:
        raise SecretUnavailable(f"{what}: no allowed directory for secret files (set {ROOTS_ENV})")
    absolute = given if os.path.isabs(given) else os.path.join(roots[0], given)
    real = os.path.realpath(absolute)
    if not any(_inside(real, os.path.realpath(root)) for root in roots):
        shown = os.pathsep.join(roots)
        raise SecretUnavailable(
            f"{what}: secret file {given} is outside the allowed directories ({shown}); "
            f"put it there or list its directory in {ROOTS_ENV}"
        )
    return real


def _read_file(given: str, what: str, roots: tuple[str, ...]) -> str:
    real = _real_path(given, what, roots)
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | getattr(os, "O_NOCTTY", 0) | os.O_CLOEXEC
    try:
        fd = os.open(real, flags)
    except OSError as exc:
        raise SecretUnavailable(f"{what}: cannot read secret file {given}: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = _kind(info.st_mode)
            raise SecretUnavailable(f"{what}: secret file {given} is {kind}, not a regular file")
        if info.st_size > MAX_BYTES:
            raise SecretUnavailable(
                f"{what}: secret file {given} is {info.st_size} bytes; the limit is {MAX_BYTES}"
            )
        raw = _read_at_most(fd, MAX_BYTES + 1)
    except OSError as exc:
        raise SecretUnavailable(f"{what}: cannot read secret file {given}: {exc.strerror}") from None
    finally:
        os.close(fd)
    if len(raw) > MAX_BYTES:  # it grew between fstat and read
        raise SecretUnavailable(f"{what}: secret file {given} is larger than {MAX_BYTES} bytes")
    return _text(raw, given, what)


def _read_at_most(fd: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size < limit:
        chunk = os.read(fd, limit - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _text(raw: bytes, given: str, what: str) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SecretUnavailable(
            f"{what}: secret file {given} is not UTF-8 text (binary byte at offset {exc.start})"
        ) from None
    if "\0" in text:
        raise SecretUnavailable(f"{what}: secret file {given} is not text (it holds a NUL byte)")
    if text.endswith("\r\n"):
        return text[:-2]
    return text[:-1] if text.endswith("\n") else text


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"
