"""The emulator of the Inference Endpoints API, assembled: one object tests and servers hold.

Owns: ``Emulator``: the request entry point (``handle``: request-wide faults, dispatch to whoami,
the admin routes, the data plane or the control plane, the request log), its mounts
(``transport()`` for in-process httpx, ``serve()`` on loopback, ``wsgi``) and the public API tests
use instead of reaching into the store: ``reset``, ``seed``, ``endpoint`` / ``endpoints``,
``set_state``, ``secret_matches``, fault scripting (``add_fault``, ``fail_dataplane``,
``rate_limit``...) and the request log (``requests``). ``RequestRecord``.
Called by: tests, ``hfleet --emulator``, ``emulator serve`` and the benchmark.
Must not: import anything else of ``reconciler``. The rooms it wires: ``routes`` (control plane),
``proxy`` + ``dataplane`` (each endpoint's URL), ``admin``, ``lifecycle``, ``quota``, ``render``,
``normalize``, ``store``, ``vault``, ``faults``, ``seed``. Behaviour and sources: docs/emulator.md.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from reconciler.emulator import (
    admin,
    auth,
    lifecycle,
    proxy,
    render,
    routes,
    seed,
    store,
    transport,
    vault,
    wire,
)
from reconciler.emulator.config import EmulatorConfig, Identity
from reconciler.emulator.faults import FaultRule, FaultSet
from reconciler.emulator.lifecycle import Durations
from reconciler.emulator.requestlog import RequestLog, RequestRecord

if TYPE_CHECKING:
    from reconciler.emulator.server import ServerHandle

__all__ = ["Durations", "Emulator", "EmulatorConfig", "EndpointSnapshot", "Identity", "RequestRecord"]


@dataclass(frozen=True)
class EndpointSnapshot:
    """A read-only view of one endpoint as the emulator holds it (``spec`` is a copy)."""

    namespace: str
    name: str
    id: str
    state: str
    message: str
    spec: dict[str, Any]
    secret_names: tuple[str, ...]
    created_by: str
    updated_by: str

    @property
    def path(self) -> str:
        """The endpoint URL's path (``/e/{id}``); prefix it with the base the client used."""
        return f"/e/{self.id}"


class Emulator:
    """The emulated API. Thread-safe: the socket server and in-process transports call it concurrently."""

    def __init__(
        self, config: EmulatorConfig | None = None, clock: Callable[[], float] | None = None
    ) -> None:
        self.config = config or EmulatorConfig()
        self.clock = clock or time.time
        self.store = store.Store(self.config.state_path)
        self.vault = vault.Vault(self.store.vault_key())
        self.faults = FaultSet(self.config.random_seed)
        for rule in self.config.faults:
            self.faults.add(rule)
        self.control = routes.ControlPlane(self.config, self.clock, self.store, self.vault, self.faults)
        self.proxy = proxy.DataPlaneProxy(
            self.config, self.clock, self.store, self.faults, self.control.state, self.control.wake
        )
        self.admin = admin.Admin(self.config, self._seed_records, self._put_all, self.reset, self.faults)
        self._log = RequestLog()
        if self.config.seed_file is not None:
            self.seed_file(self.config.seed_file)

    # --- state ----------------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget every endpoint, fault rule and logged request: a fresh cloud, same config."""
        self.store.clear()
        self.faults.clear()
        self.clear_requests()

    def _seed_records(self, data: Any, namespace: str) -> list[dict[str, Any]]:
        return seed.records(data, namespace, self.clock(), self.vault, self.config.durations)

    def _put_all(self, records: list[dict[str, Any]]) -> None:
        with self.store.transaction():
            for record in records:
                self.store.put(record)

    def seed(self, data: Any, namespace: str | None = None) -> list[str]:
        """Add endpoint records as the real server answers them (format: ``seed``); their names.

        ``namespace`` defaults to the first identity's user. A record whose name is taken replaces it.
        """
        space = namespace or next(iter(self.config.identities.values())).name
        records = self._seed_records(data, space)
        self._put_all(records)
        return [r["name"] for r in records]

    def seed_file(self, path: str | Path, namespace: str | None = None) -> list[str]:
        """``seed`` from a JSON file (for instance a file of shared/reference/real-responses/)."""
        return self.seed(json.loads(Path(path).read_text(encoding="utf-8")), namespace)

    def _snapshot(self, record: dict[str, Any]) -> EndpointSnapshot:
        state = self.control.state(record)
        return EndpointSnapshot(
            namespace=record["namespace"],
            name=record["name"],
            id=record["id"],
            state=state,
            message=record.get("message_" + state) or render.MESSAGES.get(state, state),
            spec=record["spec"],
            secret_names=tuple(sorted(record.get("secrets") or {})),
            created_by=record["created_by"],
            updated_by=record["updated_by"],
        )

    def endpoint(self, namespace: str, name: str) -> EndpointSnapshot | None:
        """The endpoint as the emulator holds it now, or None."""
        record = self.store.get(namespace, name)
        return self._snapshot(record) if record is not None else None

    def endpoints(self, namespace: str | None = None) -> list[EndpointSnapshot]:
        """Every endpoint (of ``namespace``), by namespace then name."""
        return [self._snapshot(json.loads(json.dumps(r))) for r in self.store.all(namespace)]

    def set_state(self, namespace: str, name: str, state: str, message: str | None = None) -> None:
        """Put an endpoint in ``state`` now, as if the cloud did (a node lost: ``failed``)."""
        if state not in lifecycle.STATES:
            raise ValueError(f"unknown state {state!r}; one of {', '.join(lifecycle.STATES)}")
        with self.store.transaction():
            record = self.control.require(namespace, name)
            record["timeline"] = [[state, self.clock()]]
            if message is not None:
                record["message_" + state] = message
            self.store.put(record)

    def secret_matches(self, namespace: str, name: str, key: str, value: str) -> bool:
        """Whether the endpoint holds secret ``key`` with this value (the store keeps fingerprints)."""
        record = self.store.get(namespace, name)
        held = (record or {}).get("secrets") or {}
        return key in held and self.vault.matches(held[key], value)

    def registry_password_matches(self, namespace: str, name: str, value: str) -> bool:
        """Whether the endpoint's ``custom`` image holds this registry password (fingerprinted)."""
        record = self.store.get(namespace, name)
        image = (record or {}).get("spec", {}).get("model", {}).get("image", {})
        credentials = (image.get("custom") or {}).get("credentials") or {}
        return self.vault.matches(credentials.get("password"), value)

    # --- faults ---------------------------------------------------------------------------------

    def add_fault(self, rule: FaultRule) -> FaultRule:
        """Script a fault (see ``faults``); returns the rule, whose ``hits`` count its uses."""
        return self.faults.add(rule)

    def remove_fault(self, rule: FaultRule) -> None:
        self.faults.remove(rule)

    def clear_faults(self) -> None:
        self.faults.clear()

    @contextlib.contextmanager
    def faults_suspended(self) -> Iterator[None]:
        """No fault applies inside the block (a test looking between runs); rules come back after."""
        with self.faults.lock:
            saved = list(self.faults.rules)
            self.faults.rules.clear()
        try:
            yield
        finally:
            with self.faults.lock:
                self.faults.rules[:0] = saved

    def fail_dataplane(
        self,
        namespace: str,
        name: str,
        status: int = 503,
        *,
        times: int | None = 1,
        retry_after: float | str | None = None,
        message: str | None = None,
        body: str | None = None,
        path_pattern: str | None = None,
    ) -> FaultRule:
        """The endpoint's URL answers ``status`` the next ``times`` requests (a 503 while a replica
        starts, a 429 with ``Retry-After``: seconds, or text such as an HTTP date), then serves
        again."""
        rule = FaultRule(
            kind="status",
            status=status,
            times=times,
            retry_after=retry_after,
            message=message,
            body=body,
            path_pattern=path_pattern,
            endpoint=f"{namespace}/{name}",
        )
        return self.faults.add(rule)

    def slow_dataplane(
        self,
        namespace: str,
        name: str,
        seconds: float,
        *,
        times: int | None = None,
        path_pattern: str | None = None,
    ) -> FaultRule:
        """The endpoint's URL waits ``seconds`` before answering (``times`` requests, None = all)."""
        rule = FaultRule(
            kind="latency",
            latency=seconds,
            times=times,
            path_pattern=path_pattern,
            endpoint=f"{namespace}/{name}",
        )
        return self.faults.add(rule)

    def garble_dataplane(
        self, namespace: str, name: str, *, times: int | None = 1, body: str | None = None
    ) -> FaultRule:
        """The endpoint's URL answers 200 with a body that is not JSON (or ``body``)."""
        return self.faults.add(
            FaultRule(kind="garbage", times=times, body=body, endpoint=f"{namespace}/{name}")
        )

    def drop_dataplane(self, namespace: str, name: str, *, times: int | None = 1) -> FaultRule:
        """The endpoint's URL closes the connection without an answer."""
        return self.faults.add(FaultRule(kind="drop", times=times, endpoint=f"{namespace}/{name}"))

    def rate_limit(
        self,
        *,
        method: str | None = None,
        path_pattern: str | None = None,
        retry_after: float = 1.0,
        times: int | None = 1,
    ) -> FaultRule:
        """Control-plane requests that match answer 429 with ``Retry-After``."""
        rule = FaultRule(
            kind="status",
            status=429,
            method=method,
            path_pattern=path_pattern,
            retry_after=retry_after,
            times=times,
        )
        return self.faults.add(rule)

    # --- request log ----------------------------------------------------------------------------

    @property
    def requests(self) -> list[RequestRecord]:
        """Every request received (the last ``requestlog.MAX_RECORDS``), oldest first."""
        return self._log.all()

    def requests_to(self, namespace: str, name: str) -> list[RequestRecord]:
        """The data-plane requests that reached this endpoint's URL, oldest first."""
        return self._log.to(f"{namespace}/{name}")

    def clear_requests(self) -> None:
        self._log.clear()

    # --- time and mounts ------------------------------------------------------------------------

    def advance(self, seconds: float) -> None:
        """Move a fake clock (one with an ``advance`` method) forward."""
        advance = getattr(self.clock, "advance", None)
        if advance is None:
            raise TypeError("advance() needs a fake clock with an advance(seconds) method")
        advance(seconds)

    def transport(self) -> httpx.BaseTransport:
        """An httpx transport that calls this app in-process (dropped connections become httpx errors)."""
        return transport.EmulatorTransport(self)

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> ServerHandle:
        """Serve on a loopback socket in a background thread; use as a context manager."""
        from reconciler.emulator import server

        return server.ServerHandle(self, host, port).start()

    def close(self) -> None:
        self.store.close()

    def wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """The emulator as a WSGI application (see ``transport.wsgi``)."""
        return transport.wsgi(self, environ, start_response)

    # --- dispatch -------------------------------------------------------------------------------

    def handle(self, request: wire.Request) -> wire.Response:
        """Answer one request: request-wide faults first, then the route. Logs it."""
        status, endpoint = 0, None
        try:
            fault = self._request_faults(request)
            if fault is not None and fault.kind == "garbage":
                response: wire.Response = (200, {"Content-Type": "application/json"}, fault.garbage())
            else:
                response, endpoint = self._dispatch(request)
            status = response[0]
            if fault is not None and fault.kind == "lost_response":
                raise wire.Drop()
            return response
        except wire.HttpError as exc:
            status, endpoint = exc.status, exc.endpoint
            headers = {"Content-Type": "application/json", **exc.headers}
            return exc.status, headers, wire.json_bytes({"error": exc.message})
        except wire.Drop as exc:
            status, endpoint = -1, exc.endpoint
            raise
        finally:
            identity = self.config.identities.get(auth.bearer(request.headers))
            self._log.add(request, status, self.clock(), identity.name if identity else None, endpoint)

    def _request_faults(self, request: wire.Request) -> FaultRule | None:
        """Latency, then a status answer or a drop; returns a ``garbage`` rule (answer it instead)
        or a ``lost_response`` rule (apply the request, then drop the connection)."""
        if request.path.startswith("/v2/") and self.config.latency:
            time.sleep(self.config.latency)
        slow = self.faults.take(("latency",), request.method, request.path)
        if slow is not None:
            slow.delay()
        fault = self.faults.take(("status", "garbage", "drop", "lost_response"), request.method, request.path)
        if fault is None or fault.kind in ("lost_response", "garbage"):
            return fault
        if fault.kind == "drop":
            raise wire.Drop()
        extra = fault.retry_after_header()
        message = fault.message or ("Too many requests" if fault.status == 429 else "Internal error")
        raise wire.HttpError(fault.status, message, extra)

    def _dispatch(self, request: wire.Request) -> tuple[wire.Response, str | None]:
        parts = request.parts
        if parts[:2] == ["api", "whoami-v2"] and request.method == "GET":
            return wire.ok(_whoami(auth.identify(self.config.identities, request.headers))), None
        if len(parts) >= 2 and parts[0] == "e":
            return self.proxy.handle(request)
        if request.path.startswith(admin.PREFIX):
            return self.admin.route(request), None
        if parts and parts[0] == "v2":
            return self.control.route(request), None
        raise wire.HttpError(404, f"no route for {request.method} {request.path}")


def _whoami(identity: Identity) -> dict[str, Any]:
    """``GET /api/whoami-v2`` of the Hub, as huggingface_hub reads it."""
    return {
        "type": "user",
        "id": render.user_ref(identity.name)["id"],
        "name": identity.name,
        "fullname": identity.name,
        "orgs": [
            {"type": "org", "name": org, "fullname": org, "roleInOrg": "write"} for org in identity.orgs
        ],
        "auth": {"type": "access_token", "accessToken": {"displayName": "emulator", "role": "write"}},
    }
