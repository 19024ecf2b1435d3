"""The wire shape of an endpoint: a stored record rendered as the server's ``EndpointWithStatus``.

Owns: ``endpoint(record, state, base)`` and the status block (messages, replicas, url, the
``{id, name}`` of who created and updated it, nanosecond timestamps), the redactions (``model.secrets``
answered as ``{}``, registry credentials as ``{"username": "", "password": null}``).
Called by: the control-plane routes (every answer that carries an endpoint).
Must not: decide a state (``lifecycle`` does) or change a record.

Keys follow the recorded answers in shared/reference/real-responses/ plus the keys SPECNOW marks
required (``tags``, ``experimentalFeatures``, ``notifications``); docs/emulator.md lists each.
"""

from __future__ import annotations

import hashlib
from typing import Any

from reconciler.emulator import wire

__all__ = ["MESSAGES", "REDACTED_CREDENTIALS", "endpoint", "user_ref"]

MESSAGES = {
    "pending": "Endpoint waiting to be scheduled",
    "initializing": "Endpoint is initializing",
    "updating": "Endpoint waiting for the update",
    "running": "Endpoint is ready",
    "paused": "Endpoint is paused",
    "scaledToZero": "Endpoint is scaled to zero",
    "failed": "Endpoint failed to deploy",
    "updateFailed": "Endpoint failed to update",
}
# Registry credentials come back redacted (huggingface_hub commit 7105c3d89).
REDACTED_CREDENTIALS = {"username": "", "password": None}
_NO_URL = frozenset({"pending", "paused", "failed"})
_NO_REPLICA = frozenset({"paused", "scaledToZero", "failed"})


def user_ref(name: str) -> dict[str, str]:
    """``{id, name}`` of a user; the id is 24 hex digits like the Hub's (derived, stable)."""
    return {"id": hashlib.sha256(name.encode()).hexdigest()[:24], "name": name}


def _image(image: dict[str, Any]) -> dict[str, Any]:
    ((variant, body),) = image.items()
    if isinstance(body, dict) and "credentials" in body:
        return {variant: {**body, "credentials": dict(REDACTED_CREDENTIALS)}}
    return image


def _model(record: dict[str, Any]) -> dict[str, Any]:
    model = dict(record["spec"]["model"])
    model["image"] = _image(model["image"])
    # Never a value: the API keeps secrets encrypted at rest. Legacy records say ``secret``.
    model.pop("secret", None)
    model.pop("secrets", None)
    model["secret" if record.get("legacy_secret_key") else "secrets"] = {}
    return model


def _status(record: dict[str, Any], state: str, base: str) -> dict[str, Any]:
    scaling = record["spec"]["compute"]["scaling"]
    target = 0 if state in _NO_REPLICA else max(1, int(scaling.get("minReplica") or 0))
    status: dict[str, Any] = {
        "createdAt": wire.rfc3339(record["created_at"]),
        "createdBy": user_ref(record["created_by"]),
        "updatedAt": wire.rfc3339(record["updated_at"]),
        "updatedBy": user_ref(record["updated_by"]),
        "private": None,
        "state": state,
        "message": record.get("message_" + state) or MESSAGES.get(state, state),
        "readyReplica": target if state == "running" else 0,
        "targetReplica": target,
    }
    if state not in _NO_URL:
        status["url"] = f"{base}/e/{record['id']}"  # absent until scheduled, as in the recordings
    return status


def endpoint(record: dict[str, Any], state: str, base: str) -> dict[str, Any]:
    """The JSON object the server answers for ``record`` in ``state``; ``base`` prefixes the url.

    Shallow copies of the parts that differ from the stored spec: the result is serialized at once
    and never mutated, so sharing the rest with the record is safe and keeps listing cheap.
    """
    spec = record["spec"]
    image = next(iter(spec["model"]["image"].values()))
    out: dict[str, Any] = {
        "name": record["name"],
        "type": spec["type"],
        "accountId": None,  # legacy, always null (recordings)
        "provider": spec["provider"],
        "healthRoute": (image or {}).get("healthRoute") or "/health",
        "compute": spec["compute"],
        "model": _model(record),
        "status": _status(record, state, base),
        "tags": spec.get("tags") or [],
        "experimentalFeatures": spec.get("experimentalFeatures") or {"cacheHttpResponses": False},
        "notifications": spec.get("notifications"),
    }
    for key in ("route", "privateService", "network"):
        if spec.get(key) is not None:
            out[key] = spec[key]
    return out
