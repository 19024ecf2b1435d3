"""Live state: every endpoint of the fleet's namespaces, as validated records.

Owns: ``LiveState`` (records by ``(namespace, name)``, and the endpoints the API described in a
malformed way), ``fetch`` and ``fingerprint`` (a digest of an endpoint's configuration and state,
which pins a saved plan to what it was computed from). Called by: ``reconciler.engine.run`` and
``wait``. Must not: write anything.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from reconciler import logs
from reconciler.api import client as api_client
from reconciler.wire import ownership, record

__all__ = ["LiveState", "Malformed", "fetch", "fingerprint"]

log = logs.get_logger(__name__)
Key = tuple[str, str]


@dataclass(frozen=True)
class Malformed:
    """An endpoint the API described in a way that breaks its own schema: reported, never touched."""

    namespace: str
    name: str
    problems: tuple[str, ...]


@dataclass(frozen=True)
class LiveState:
    records: dict[Key, record.EndpointRecord] = field(default_factory=dict)
    malformed: tuple[Malformed, ...] = ()

    def get(self, key: Key) -> record.EndpointRecord | None:
        return self.records.get(key)

    def owned_by(self, fleet: str, namespaces: Iterable[str]) -> list[record.EndpointRecord]:
        spaces = set(namespaces)
        return sorted(
            (r for k, r in self.records.items() if k[0] in spaces and ownership.owner_of(r.tags) == fleet),
            key=lambda r: r.key,
        )


def fingerprint(endpoint: record.EndpointRecord) -> str:
    """A digest of configuration and state, ignoring timestamps and replica counts.

    A saved plan records it for each endpoint it touches; a different value at apply time means the
    endpoint changed since the plan was made.
    """
    config = {k: v for k, v in endpoint.raw.items() if k != "status"}
    body = {"config": config, "state": endpoint.state}
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()[:16]


def fetch(api: api_client.EndpointsApi, namespaces: Iterable[str]) -> LiveState:
    """Every live endpoint of the given namespaces. Namespaces are listed concurrently; each one's
    pages are followed in order. An endpoint the API describes badly is kept aside, by name."""
    spaces = sorted(set(namespaces))

    def one(namespace: str) -> tuple[list[record.EndpointRecord], list[Malformed]]:
        good: list[record.EndpointRecord] = []
        bad: list[Malformed] = []
        for item in api.iter_endpoints(namespace):
            try:
                good.append(record.parse(namespace, item))
            except record.MalformedRecord as exc:
                log.warning("live.malformed", namespace=namespace, endpoint=exc.name, problems=exc.problems)
                bad.append(Malformed(namespace, exc.name, tuple(exc.problems)))
        return good, bad

    if len(spaces) == 1:
        listed = [one(spaces[0])]
    else:
        with ThreadPoolExecutor(max_workers=min(8, len(spaces))) as pool:
            listed = list(pool.map(logs.carry(one), spaces))
    records: dict[Key, record.EndpointRecord] = {}
    malformed: list[Malformed] = []
    twice: set[Key] = set()
    for good, bad in listed:
        malformed += bad
        for item in good:
            if item.key in records or item.key in twice:
                records.pop(item.key, None)
                twice.add(item.key)
                continue
            records[item.key] = item
    malformed += [Malformed(ns, name, ("listed more than once by the API",)) for ns, name in sorted(twice)]
    return LiveState(records, tuple(malformed))
