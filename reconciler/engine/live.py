"""Live state: the endpoints as the API reports them, normalized for comparison, and their health.

Owns: ``LiveEndpoint`` (a frozen view over the API's JSON, keeping ``raw``), the health classes of
the API's states, ``normalize`` (the managed fields of an endpoint in the flat shape ``desired``
produces) and ``fetch`` (list every namespace, following pagination).
Called by: ``reconciler.engine.plan`` and ``reconciler.engine.run``. Must not: write anything.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from reconciler import logs
from reconciler.api import client as api_client

__all__ = [
    "OWNER_TAG_PREFIX",
    "PROTECT_TAG",
    "SECRETS_TAG_PREFIX",
    "Health",
    "LiveEndpoint",
    "fetch",
    "flatten",
    "health_of",
    "owner_tag",
]

OWNER_TAG_PREFIX = "hfleet:"
SECRETS_TAG_PREFIX = "hfleet-secrets:"
PROTECT_TAG = "hfleet-protect"


def owner_tag(fleet: str) -> str:
    """The tag that marks an endpoint as owned by ``fleet``."""
    return OWNER_TAG_PREFIX + fleet


class Health(StrEnum):
    """How a live state reads to the reconciler."""

    STABLE = "stable"  # running: writes allowed
    OFF = "off"  # paused or scaledToZero: writes allowed
    TRANSITIONAL = "transitional"  # pending, initializing, updating: no write on top
    FAILED = "failed"  # failed, updateFailed: reported, repaired by re-sending the config

    @property
    def writable(self) -> bool:
        return self is not Health.TRANSITIONAL


_HEALTH = {
    "running": Health.STABLE,
    "paused": Health.OFF,
    "scaledToZero": Health.OFF,
    "pending": Health.TRANSITIONAL,
    "initializing": Health.TRANSITIONAL,
    "updating": Health.TRANSITIONAL,
    "failed": Health.FAILED,
    "updateFailed": Health.FAILED,
}


def health_of(state: str) -> Health:
    """Unknown states are treated as transitional: never write on top of what we do not understand."""
    return _HEALTH.get(state, Health.TRANSITIONAL)


@dataclass(frozen=True)
class LiveEndpoint:
    """One endpoint as the API returned it."""

    namespace: str
    raw: dict[str, Any] = field(repr=False, compare=False)

    @property
    def name(self) -> str:
        return str(self.raw.get("name", ""))

    @property
    def status(self) -> dict[str, Any]:
        status = self.raw.get("status")
        return status if isinstance(status, dict) else {}

    @property
    def state(self) -> str:
        return str(self.status.get("state") or "unknown")

    @property
    def health(self) -> Health:
        return health_of(self.state)

    @property
    def message(self) -> str:
        return str(self.status.get("errorMessage") or self.status.get("message") or "")

    @property
    def url(self) -> str | None:
        url = self.status.get("url")
        return str(url) if url else None

    @property
    def tags(self) -> tuple[str, ...]:
        tags = self.raw.get("tags")
        return tuple(str(t) for t in tags) if isinstance(tags, list) else ()

    def owner(self) -> str | None:
        """The fleet named by the owner tag, if any."""
        for tag in self.tags:
            if tag.startswith(OWNER_TAG_PREFIX):
                return tag[len(OWNER_TAG_PREFIX) :]
        return None

    @property
    def secrets_fingerprint(self) -> str | None:
        for tag in self.tags:
            if tag.startswith(SECRETS_TAG_PREFIX):
                return tag[len(SECRETS_TAG_PREFIX) :]
        return None

    @property
    def protected(self) -> bool:
        return PROTECT_TAG in self.tags

    @property
    def updated_at(self) -> datetime | None:
        for key in ("updatedAt", "createdAt"):
            value = self.status.get(key)
            if isinstance(value, str):
                try:
                    return datetime.fromisoformat(_trim_nanos(value.replace("Z", "+00:00")))
                except ValueError:
                    continue
        return None

    @property
    def replicas(self) -> tuple[int, int]:
        """(ready, target) replicas."""
        return int(self.status.get("readyReplica") or 0), int(self.status.get("targetReplica") or 0)

    def flat(self) -> dict[str, Any]:
        """The configuration as a flat ``path → value`` mapping (see ``flatten``)."""
        return flatten(self.raw)

    def fingerprint(self) -> str:
        """A digest of configuration and state, ignoring timestamps and replica counts.

        A saved plan records it for each endpoint it touches; a different value at apply time
        means the endpoint changed since the plan was made.
        """
        body = {"config": self.flat(), "state": self.state}
        return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _trim_nanos(text: str) -> str:
    """Python parses at most microseconds; the API sends nanoseconds (``.263078506+00:00``)."""
    if "." not in text:
        return text
    head, _, tail = text.partition(".")
    digits = "".join(c for c in tail if c.isdigit())
    rest = tail[len(digits) :]
    return f"{head}.{digits[:6]}{rest}"


def flatten(raw: dict[str, Any]) -> dict[str, Any]:
    """The managed configuration fields of an endpoint JSON, as ``path → value``.

    Server-filled fields (``compute.id``, ``status``, ``healthRoute``, ``model.fromCatalog``) are
    left out. ``model.image`` is one value (compared whole) without registry credentials, which the
    API returns redacted. Secrets are never read back.
    """
    out: dict[str, Any] = {}
    provider = raw.get("provider") or {}
    compute = raw.get("compute") or {}
    scaling = compute.get("scaling") or {}
    model = raw.get("model") or {}
    route = raw.get("route") or {}
    out["type"] = raw.get("type")
    out["provider.vendor"] = provider.get("vendor")
    out["provider.region"] = provider.get("region")
    out["compute.accelerator"] = compute.get("accelerator")
    out["compute.instanceType"] = compute.get("instanceType")
    out["compute.instanceSize"] = compute.get("instanceSize")
    out["compute.scaling.minReplica"] = scaling.get("minReplica")
    out["compute.scaling.maxReplica"] = scaling.get("maxReplica")
    out["compute.scaling.scaleToZeroTimeout"] = scaling.get("scaleToZeroTimeout")
    out["compute.scaling.measure"] = scaling.get("measure")
    out["model.repository"] = model.get("repository")
    out["model.framework"] = model.get("framework")
    out["model.revision"] = model.get("revision")
    out["model.task"] = model.get("task")
    out["model.image"] = _image_without_credentials(model.get("image"))
    out["model.env"] = model.get("env") or {}
    out["model.command"] = model.get("command")
    out["model.args"] = model.get("args")
    out["route.domain"] = route.get("domain")
    out["route.path"] = route.get("path")
    out["cacheHttpResponses"] = raw.get("cacheHttpResponses")
    out["privateService"] = raw.get("privateService")
    out["tags"] = sorted(str(t) for t in raw.get("tags") or [])
    return out


def _image_without_credentials(image: Any) -> Any:
    if not isinstance(image, dict):
        return image
    out = {}
    for variant, body in image.items():
        if isinstance(body, dict):
            body = {k: v for k, v in body.items() if k != "credentials" and v is not None}
        out[variant] = body if body is not None else {}
    return out


def fetch(api: api_client.EndpointsApi, namespaces: Iterable[str]) -> dict[tuple[str, str], LiveEndpoint]:
    """Every live endpoint of the given namespaces, keyed by ``(namespace, name)``.

    Namespaces are listed concurrently; each one's pages are followed in order (cursor pagination).
    """
    spaces = sorted(set(namespaces))

    def one(namespace: str) -> list[LiveEndpoint]:
        return [LiveEndpoint(namespace, item) for item in api.iter_endpoints(namespace)]

    result: dict[tuple[str, str], LiveEndpoint] = {}
    if len(spaces) == 1:
        listed = [one(spaces[0])]
    else:
        with ThreadPoolExecutor(max_workers=min(8, len(spaces))) as pool:
            listed = list(pool.map(logs.carry(one), spaces))
    for endpoints in listed:
        for endpoint in endpoints:
            result[(endpoint.namespace, endpoint.name)] = endpoint
    return result
