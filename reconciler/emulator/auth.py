"""Who is calling: a bearer token resolved to an ``Identity``, and the namespaces it may use.

Owns: ``identify`` (401 without a known bearer token) and ``authorize`` (403 for a namespace the
identity does not belong to). Called by: the control-plane routes, the admin routes and the
data-plane proxy. Must not: log or return a token.
"""

from __future__ import annotations

from collections.abc import Mapping

from reconciler.emulator import wire
from reconciler.emulator.config import Identity

__all__ = ["UNAUTHORIZED", "authorize", "bearer", "identify"]

UNAUTHORIZED = "A valid user or organization token, sent as a Bearer, is required"


def bearer(headers: Mapping[str, str]) -> str:
    """The bearer token of a request, or ``""``."""
    auth = headers.get("authorization", "")
    return auth[7:].strip() if auth.lower().startswith("bearer ") else ""


def identify(identities: Mapping[str, Identity], headers: Mapping[str, str]) -> Identity:
    token = bearer(headers)
    identity = identities.get(token) if token else None
    if identity is None:
        raise wire.HttpError(401, UNAUTHORIZED)
    return identity


def authorize(identities: Mapping[str, Identity], headers: Mapping[str, str], namespace: str) -> Identity:
    """The caller, if it may use ``namespace``.

    [uncertain] 403 vs 404 for a namespace the token cannot use: 403 tells the caller the token is
    the problem, which is what a user needs to fix, and reveals nothing about the namespace.
    """
    identity = identify(identities, headers)
    if namespace not in identity.namespaces:
        raise wire.HttpError(403, f"Token of user '{identity.name}' has no access to namespace '{namespace}'")
    return identity
