"""Where a bearer token may be sent: https anywhere, plain http only to this machine.

Owns: ``InsecureUrl``, ``is_loopback`` and ``require_secure``. Called by: the API client (the API
URL) and the smoke tests (the URLs the API reports for endpoints). Must not: do I/O (no DNS: a name
is loopback only when it is ``localhost`` or a loopback address literal).
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from reconciler import errors

__all__ = ["InsecureUrl", "is_loopback", "require_secure"]


class InsecureUrl(errors.ReconcilerError):
    """A URL that would carry the token in clear text, or that is not an http(s) URL at all."""


def is_loopback(host: str) -> bool:
    """``localhost``, ``*.localhost`` (RFC 6761), ``127.0.0.0/8`` and ``::1``."""
    name = host.strip("[]").rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def require_secure(url: str, *, allow_insecure_http: bool = False, what: str = "URL") -> None:
    """Raise ``InsecureUrl`` unless ``url`` is https, or http to loopback, or insecure http is allowed."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError as exc:
        raise InsecureUrl(f"{what} {url!r} is not a valid URL") from exc
    if parts.scheme not in ("http", "https") or not host:
        raise InsecureUrl(f"{what} {url!r} is not an http(s) URL")
    if parts.scheme == "https" or allow_insecure_http or is_loopback(host):
        return
    raise InsecureUrl(
        f"refusing plain http to {host}: the token would travel in clear text ({what} {url}); "
        "use https, or pass --insecure-http if this network is trusted"
    )
