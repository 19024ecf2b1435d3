"""The control plane's routes: ``/v2/endpoint/...`` and ``/v2/provider/...``, as the real API has them.

Owns: ``ControlPlane.route`` (dispatch, auth per namespace) and one handler per route: list (limit,
cursor, tags, search), create, get, update, delete, pause / resume / scale-to-zero, logs, the
hardware catalog with quotas. Called by: ``Emulator.handle`` for every ``/v2/`` request.
Must not: render (``render``), decide states (``lifecycle``), validate bodies (``normalize``) or
hardware (``quota``): it wires them to the store, the clock and the fault rules.
"""

from __future__ import annotations

import secrets as secrets_mod
from collections.abc import Callable
from typing import Any

from reconciler.emulator import auth, catalog, lifecycle, normalize, quota, render, store, vault, wire
from reconciler.emulator.config import EmulatorConfig, Identity
from reconciler.emulator.faults import FaultRule, FaultSet

__all__ = ["ControlPlane"]

Record = dict[str, Any]
Handler = Callable[[wire.Request, str, str, Identity], wire.Response]
_CONFIG_KEYS = ("compute", "model", "route", "cacheHttpResponses", "experimentalFeatures")
_HARDWARE = ("accelerator", "instanceType", "instanceSize")


class ControlPlane:
    """The ``/v2`` API over a store. Thread-safe: every read-modify-write is one store transaction."""

    def __init__(
        self,
        config: EmulatorConfig,
        clock: Callable[[], float],
        records: store.Store,
        keys: vault.Vault,
        faults: FaultSet,
    ) -> None:
        self.config = config
        self.clock = clock
        self.store = records
        self.vault = keys
        self.faults = faults
        self.quotas = quota.Quotas(config, self.state, self.store.generation)
        self.store.listeners.append(self.quotas.changed)
        self._handlers: dict[tuple[str, int, str | None], Handler] = {
            ("GET", 2, None): self._list,
            ("POST", 2, None): self._create,
            ("GET", 3, None): self._get,
            ("PUT", 3, None): self._update,
            ("DELETE", 3, None): self._delete,
            ("POST", 4, "pause"): self._power,
            ("POST", 4, "resume"): self._power,
            ("POST", 4, "scale-to-zero"): self._power,
            ("GET", 4, "logs"): self._logs,
        }

    def state(self, record: Record) -> str:
        return lifecycle.state(record, self.clock(), self.config.auto_scale_to_zero)

    def render(self, record: Record, base: str) -> dict[str, Any]:
        return render.endpoint(record, self.state(record), base)

    def route(self, request: wire.Request) -> wire.Response:
        """Answer one ``/v2/...`` request (the caller checked the ``v2`` prefix)."""
        rest = request.parts[1:]
        if rest and rest[0] == "provider" and request.method == "GET":
            return self._provider(request, rest[1:])
        if len(rest) < 2 or rest[0] != "endpoint" or len(rest) > 4:
            raise wire.HttpError(404, f"no route for {request.method} {request.path}")
        namespace = rest[1]
        identity = auth.authorize(self.config.identities, request.headers, namespace)
        handler = self._handlers.get((request.method, len(rest), rest[3] if len(rest) == 4 else None))
        if handler is None:
            status = 405 if len(rest) == 2 else 404
            raise wire.HttpError(status, f"no route for {request.method} {request.path}")
        return handler(request, namespace, rest[2] if len(rest) > 2 else "", identity)

    # --- reads ----------------------------------------------------------------------------------

    def require(self, namespace: str, name: str) -> Record:
        record = self.store.get(namespace, name)
        if record is None:
            raise wire.HttpError(404, f"Endpoint '{name}' not found")
        return record

    def _get(self, request: wire.Request, namespace: str, name: str, _: Identity) -> wire.Response:
        return wire.ok(self.render(self.require(namespace, name), request.base))

    def _limit(self, params: dict[str, str]) -> int:
        try:
            limit = int(params.get("limit", "20"))  # SPECNOW: default 20
        except ValueError:
            raise wire.HttpError(
                400, "Failed to deserialize query string: limit: invalid digit found in string"
            ) from None
        if limit < 1 or limit > self.config.max_page_limit:
            # The real maximum is undocumented; refusing above a bound lets clients test a fallback.
            raise wire.HttpError(
                400, f"Failed to deserialize query string: limit: must be 1 to {self.config.max_page_limit}"
            )
        return limit

    def _list(self, request: wire.Request, namespace: str, _: str, __: Identity) -> wire.Response:
        params = request.params
        limit = self._limit(params)
        after = wire.decode_cursor(params["cursor"]) if params.get("cursor") else None
        tags = [t for t in params.get("tags", "").split(",") if t]
        search = params.get("search")
        if not tags and not search:
            records = self.store.page(namespace, after, limit + 1)
        else:
            records = [
                r
                for r in self.store.all(namespace)
                if (after is None or r["name"] > after)
                and all(t in (r["spec"].get("tags") or []) for t in tags)
                and (not search or search in r["name"])
            ][: limit + 1]
        result: dict[str, Any] = {"items": [self.render(r, request.base) for r in records[:limit]]}
        if len(records) > limit:
            result["nextCursor"] = wire.encode_cursor(records[limit - 1]["name"])
        if after is not None:
            result["prevCursor"] = wire.encode_cursor(after)
        return wire.ok(result)

    def _logs(self, _: wire.Request, namespace: str, name: str, __: Identity) -> wire.Response:
        record = self.require(namespace, name)
        now = self.clock()
        lines = [
            f"{wire.rfc3339(since)} {state}: {render.MESSAGES.get(state, state)}"
            for state, since in record["timeline"]
            if since <= now
        ]
        text = "\n".join([*lines, f"current state: {self.state(record)}"]) + "\n"
        return 200, {"Content-Type": "text/plain; charset=utf-8"}, text.encode()

    def _provider(self, request: wire.Request, rest: list[str]) -> wire.Response:
        if not rest:  # public: placeholder quotas
            return wire.ok(catalog.provider_payload(cpu_quota=self.config.default_cpu_quota))
        if len(rest) == 1:
            auth.authorize(self.config.identities, request.headers, rest[0])
            view = self.quotas.view(rest[0], lambda: self.store.all(rest[0]))
            return wire.ok(catalog.provider_payload(view))
        if len(rest) == 2 and rest[0] == "quotas":  # SPECNOW route page only: shape [uncertain]
            auth.authorize(self.config.identities, request.headers, rest[1])
            view = self.quotas.view(rest[1], lambda: self.store.all(rest[1]))
            rows = [
                {"instanceType": k, "maxAccelerators": m, "usedAccelerators": u} for k, (m, u) in view.items()
            ]
            return wire.ok({"quotas": rows})
        raise wire.HttpError(404, f"no route for {request.method} {request.path}")

    # --- writes ---------------------------------------------------------------------------------

    def _deploy_fault(self, kind: str, namespace: str, name: str) -> FaultRule | None:
        return self.faults.take((kind,), "*", f"{namespace}/{name}")

    def _create(self, request: wire.Request, namespace: str, _: str, identity: Identity) -> wire.Response:
        name, spec, secrets = normalize.parse_create(wire.parse_json(request.body))
        spec["model"]["image"] = self.vault.seal_image(spec["model"]["image"])
        with self.store.transaction():
            if self.store.get(namespace, name) is not None:
                raise wire.HttpError(409, "An endpoint with the same name already exists")
            self.quotas.check(namespace, spec, lambda: self.store.all(namespace))
            now = self.clock()
            failed = self._deploy_fault("deploy_failed", namespace, name)
            record: Record = {
                "namespace": namespace,
                "name": name,
                "id": secrets_mod.token_hex(12),
                "spec": spec,
                "secrets": self.vault.seal_secrets(secrets),  # fingerprints only, never values
                "timeline": lifecycle.startup(now, self.config.durations, failed is not None),
                "created_at": now,
                "updated_at": now,
                "created_by": identity.name,
                "updated_by": identity.name,
            }
            if failed is not None:
                record["message_failed"] = (
                    failed.message or "Endpoint failed to deploy: container exited with code 1"
                )
            self.store.put(record)
        return wire.ok(self.render(record, request.base), self.config.create_status)

    def _transition(self, record: Record, state: str, now: float) -> None:
        """What a configuration change does to the timeline (nothing while paused)."""
        if not lifecycle.updates(state):
            return
        namespace, name = record["namespace"], record["name"]
        failed = self._deploy_fault("update_failed", namespace, name)
        if lifecycle.redeploys(state):
            deploy_failed = self._deploy_fault("deploy_failed", namespace, name)
            record["timeline"] = lifecycle.startup(now, self.config.durations, deploy_failed is not None)
            return
        record["timeline"] = lifecycle.updating(now, self.config.durations, failed is not None)
        if failed is not None:
            record["message_updateFailed"] = failed.message or "Endpoint failed to update"

    def _update(self, request: wire.Request, namespace: str, name: str, identity: Identity) -> wire.Response:
        data = wire.parse_json(request.body)
        with self.store.transaction():
            record = self.require(namespace, name)
            spec = record["spec"]
            state = self.state(record)
            before = [spec["compute"].get(k) for k in _HARDWARE]
            secrets = normalize.merge_update(spec, data, name)
            if secrets is not None:
                record["secrets"] = self.vault.seal_secrets(secrets)  # replaced whole
            if "image" in (data.get("model") or {}):
                spec["model"]["image"] = self.vault.seal_image(spec["model"]["image"])
            changed = before != [spec["compute"].get(k) for k in _HARDWARE]
            self.quotas.check(
                namespace, spec, lambda: self.store.all(namespace), skip=name, hardware_changed=changed
            )
            now = self.clock()
            if any(k in data for k in _CONFIG_KEYS):
                self._transition(record, state, now)
            record["updated_at"] = now
            record["updated_by"] = identity.name
            self.store.put(record)
        return wire.ok(self.render(record, request.base))

    def _delete(self, _: wire.Request, namespace: str, name: str, __: Identity) -> wire.Response:
        with self.store.transaction():
            self.require(namespace, name)
            self.store.delete(namespace, name)
        return wire.ok({})

    def _power(self, request: wire.Request, namespace: str, name: str, identity: Identity) -> wire.Response:
        action = request.parts[-1]
        with self.store.transaction():
            record = self.require(namespace, name)
            state = self.state(record)
            now = self.clock()
            try:
                if action == "pause":
                    record["timeline"] = lifecycle.paused(now)
                elif action == "resume":
                    record["timeline"] = lifecycle.resumed(state, name, now, self.config.durations)
                    if state != "scaledToZero":  # a paused endpoint takes its quota back
                        self.quotas.check(
                            namespace,
                            record["spec"],
                            lambda: self.store.all(namespace),
                            skip=name,
                            hardware_changed=False,
                        )
                else:
                    record["timeline"] = lifecycle.scaled_to_zero(state, name, now)
            except lifecycle.Refused as exc:
                raise wire.HttpError(400, str(exc)) from None
            record["updated_at"] = now
            record["updated_by"] = identity.name
            self.store.put(record)
        return wire.ok(self.render(record, request.base))

    def wake(self, namespace: str, name: str) -> None:
        """A request reached a scaled-to-zero endpoint: start a replica."""
        with self.store.transaction():
            record = self.store.get(namespace, name)
            if record is None or self.state(record) != "scaledToZero":
                return
            now = self.clock()
            record["timeline"] = lifecycle.waking(now, self.config.durations)
            record["last_request_at"] = now
            self.store.put(record)
