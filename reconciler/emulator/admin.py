"""Admin routes under ``/__emulator/``, a prefix the real API never uses: drive a served emulator.

Owns: ``POST /__emulator/seed[?namespace=NS]`` (body: a seed, see ``seed``),
``POST /__emulator/reset`` (forget endpoints, faults and logged requests), ``POST
/__emulator/faults`` (body: a list of fault rules, as in a fault file) and ``DELETE
/__emulator/faults``. Every route needs a known token; seeding needs access to each namespace it
writes. Called by: ``Emulator.handle``. Must not: be reachable under ``/v2``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from reconciler.emulator import auth, faults, seed, wire
from reconciler.emulator.config import EmulatorConfig

__all__ = ["PREFIX", "Admin"]

PREFIX = "/__emulator/"


class Admin:
    """The admin routes, over the emulator's own public operations."""

    def __init__(
        self,
        config: EmulatorConfig,
        records: Callable[[Any, str], list[dict[str, Any]]],
        put: Callable[[list[dict[str, Any]]], None],
        reset: Callable[[], None],
        rules: faults.FaultSet,
    ) -> None:
        self.config = config
        self.records = records
        self.put = put
        self.reset = reset
        self.rules = rules

    def route(self, request: wire.Request) -> wire.Response:
        identity = auth.identify(self.config.identities, request.headers)
        action = request.parts[1:]
        if action == ["reset"] and request.method == "POST":
            self.reset()
            return wire.ok({})
        if action == ["faults"] and request.method == "POST":
            try:
                parsed = faults.parse_rules(request.body.decode() or "[]", yaml_ok=False)
                added = [self.rules.add(rule) for rule in parsed]
            except (ValueError, TypeError) as exc:
                raise wire.HttpError(400, f"bad fault rules: {exc}") from None
            return wire.ok({"added": len(added)})
        if action == ["faults"] and request.method == "DELETE":
            self.rules.clear()
            return wire.ok({})
        if action == ["seed"] and request.method == "POST":
            namespace = request.params.get("namespace") or identity.name
            try:
                records = self.records(json.loads(request.body or b"null"), namespace)
            except (ValueError, seed.SeedError) as exc:
                raise wire.HttpError(400, f"bad seed: {exc}") from None
            for space in sorted({r["namespace"] for r in records}):
                if space not in identity.namespaces:
                    raise wire.HttpError(403, f"Token of user '{identity.name}' has no access to '{space}'")
            self.put(records)
            return wire.ok({"seeded": [f"{r['namespace']}/{r['name']}" for r in records]})
        raise wire.HttpError(404, f"no admin route {request.method} {request.path}")
