"""Secrets at rest: the emulator keeps a keyed fingerprint of each secret value, never the value.

Owns: ``Vault`` (``fingerprint(value)`` and ``matches(fingerprint, value)``), the fingerprints of
``model.secrets`` and of registry passwords inside a ``custom`` image. Called by: the control-plane
routes (before anything reaches the store) and ``Emulator``'s inspection helpers. Must not: log,
return or store a value.

A fingerprint is ``"hmac-sha256:" + hex(HMAC-SHA256(key, value))``. The key is 32 random bytes,
created with the state (kept in the SQLite file's ``meta`` table so that processes sharing the file
agree, or in memory). Someone holding the state file can test a guess of a weak secret, never read
one; a precomputed table is useless because the key is per state.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

__all__ = ["PREFIX", "Vault"]

PREFIX = "hmac-sha256:"


class Vault:
    """Fingerprints secret values with one key per emulator state."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def fingerprint(self, value: str) -> str:
        return PREFIX + hmac.new(self._key, value.encode("utf-8"), hashlib.sha256).hexdigest()

    def matches(self, fingerprint: Any, value: str) -> bool:
        return isinstance(fingerprint, str) and hmac.compare_digest(fingerprint, self.fingerprint(value))

    def seal_secrets(self, secrets: dict[str, Any]) -> dict[str, str]:
        """``{name: value}`` → ``{name: fingerprint}``."""
        return {str(k): self.fingerprint(str(v)) for k, v in secrets.items()}

    def seal_image(self, image: dict[str, Any]) -> dict[str, Any]:
        """The image with a registry password replaced by its fingerprint (the username is kept)."""
        ((variant, body),) = image.items()
        credentials = body.get("credentials") if isinstance(body, dict) else None
        if not isinstance(credentials, dict) or credentials.get("password") is None:
            return image
        sealed = {**credentials, "password": self.fingerprint(str(credentials["password"]))}
        return {variant: {**body, "credentials": sealed}}
