"""The emulator of the Inference Endpoints API: a WSGI app for the control plane, the Hub's whoami
and each endpoint's URL (data plane), with a time-driven state machine and fault injection.

Owns: ``Emulator`` (routing, auth, the state machine, quotas, rendering, the request log, and the
entry points ``transport()`` for in-process httpx and ``serve()`` on loopback), ``EmulatorConfig``,
``Identity``, ``Durations``. Request parsing and the wire encodings live in ``wire``.
Called by: tests, ``hfleet --emulator``, ``hfleet emulator serve`` and the benchmark.
Must not: import anything else of ``reconciler``.

Behaviour follows ``shared/reference/hf-endpoints-api.md``. Where the reference is [uncertain], the
choices are written next to the code; in short: a create answers 200; secrets are never echoed
(``model.secrets`` comes back as ``{}``); ``env``, ``secrets`` and ``tags`` are replaced whole by a
PUT, like ``image``, ``command`` and ``args``; a PUT on a paused endpoint keeps it paused; a PUT can
repair a ``failed`` endpoint; ``type: protected`` is refused (400) because the real API makes such an
endpoint unreachable; a namespace the token cannot use answers 403; quota counts ``maxReplica`` ×
accelerators of every endpoint that is not paused, and a create above it answers 400.

The state machine is evaluated lazily from a timeline stored on each record (``[[state, since]]``),
against an injectable clock, so there are no background threads and zero durations make tests
instant.
"""

from __future__ import annotations

import json
import secrets as secrets_mod
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx

from reconciler.emulator import (
    catalog,
    dataplane,
    lifecycle,
    normalize,
    render,
    seed,
    store,
    transport,
    vault,
    wire,
)
from reconciler.emulator.faults import FaultRule, FaultSet
from reconciler.emulator.lifecycle import Durations

__all__ = ["Durations", "Emulator", "EmulatorConfig", "Identity", "RequestRecord"]

MESSAGES = render.MESSAGES
ADMIN_PREFIX = "/__emulator/"
UNAUTHORIZED = "A valid user or organization token, sent as a Bearer, is required"


@dataclass(frozen=True)
class Identity:
    """Who a token is: a user name and the organizations it belongs to."""

    name: str
    orgs: tuple[str, ...] = ()

    @property
    def namespaces(self) -> frozenset[str]:
        return frozenset((self.name, *self.orgs))


def _default_identities() -> dict[str, Identity]:
    return {"hf_emulator": Identity("emulator", ("emulator-org",))}


@dataclass
class EmulatorConfig:
    """How the emulator behaves.

    Quotas: max accelerators per (namespace, instance type); types not listed get
    ``default_cpu_quota`` or ``default_gpu_quota``. Quotas are per account: the recorded catalog
    answer's account had 60 on intel-spr and 16 on nvidia-l4 (``default_cpu_quota=60`` reproduces
    it); the defaults are larger so that fleets of the size hfleet targets (thousands of CPU
    endpoints in the benchmark) rehearse without a quota error. ``max_page_limit``: the largest
    list ``limit`` accepted; above it the list answers 400 (the real maximum is undocumented).
    ``seed_file``: endpoint records loaded at start (see ``seed``).
    """

    identities: dict[str, Identity] = field(default_factory=_default_identities)
    durations: Durations = field(default_factory=Durations)
    state_path: str | Path | None = None
    default_gpu_quota: int = 64
    default_cpu_quota: int = 10_000
    quotas: dict[tuple[str, str], int] = field(default_factory=dict)
    create_status: int = 200
    latency: float = 0.0
    max_page_limit: int = 100
    faults: list[FaultRule] = field(default_factory=list)
    random_seed: int = 0
    auto_scale_to_zero: bool = True
    seed_file: str | Path | None = None


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str
    query: str
    status: int
    at: float


Response = tuple[int, dict[str, str], bytes | Iterator[bytes]]


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
        self._log: list[RequestRecord] = []
        self._log_lock = threading.Lock()
        if self.config.seed_file is not None:
            self.seed_file(self.config.seed_file)

    # --- plumbing -------------------------------------------------------------------------------

    @property
    def requests(self) -> list[RequestRecord]:
        with self._log_lock:
            return list(self._log)

    def clear_requests(self) -> None:
        with self._log_lock:
            self._log.clear()

    def advance(self, seconds: float) -> None:
        """Move a fake clock (one with an ``advance`` method) forward."""
        advance = getattr(self.clock, "advance", None)
        if advance is None:
            raise TypeError("advance() needs a fake clock with an advance(seconds) method")
        advance(seconds)

    def reset(self) -> None:
        """Forget every endpoint, fault rule and logged request: a fresh cloud, same config."""
        self.store.clear()
        self.faults.clear()
        self.clear_requests()

    def seed(self, data: Any, namespace: str | None = None) -> list[str]:
        """Add endpoint records as the real server answers them (see ``seed``); returns their names.

        ``namespace`` defaults to the first identity's user. A record whose name is taken replaces it.
        """
        space = namespace or next(iter(self.config.identities.values())).name
        records = seed.records(data, space, self.clock(), self.vault, self.config.durations)
        with self.store.transaction():
            for record in records:
                self.store.put(record)
        return [r["name"] for r in records]

    def seed_file(self, path: str | Path, namespace: str | None = None) -> list[str]:
        """``seed`` from a JSON file (for instance a file of shared/reference/real-responses/)."""
        import json

        return self.seed(json.loads(Path(path).read_text(encoding="utf-8")), namespace)

    def transport(self) -> httpx.BaseTransport:
        """An httpx transport that calls this app in-process (dropped connections become httpx errors)."""
        return transport.EmulatorTransport(self)

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> Any:
        """Serve on a loopback socket in a background thread; use as a context manager."""
        from reconciler.emulator import server

        return server.ServerHandle(self, host, port).start()

    def close(self) -> None:
        self.store.close()

    # --- WSGI -----------------------------------------------------------------------------------

    def wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        path = str(environ.get("PATH_INFO", "/")) or "/"
        query = str(environ.get("QUERY_STRING", ""))
        headers = {
            k[5:].replace("_", "-").lower(): str(v) for k, v in environ.items() if k.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = str(environ["CONTENT_TYPE"])
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        scheme = str(environ.get("wsgi.url_scheme", "http"))
        host = (
            headers.get("host")
            or f"{environ.get('SERVER_NAME', 'localhost')}:{environ.get('SERVER_PORT', '80')}"
        )
        status, out_headers, payload = self.handle(method, path, query, headers, body, f"{scheme}://{host}")
        reason = wire.REASONS.get(status, "")
        start_response(f"{status} {reason}".strip(), list(out_headers.items()))
        return [payload] if isinstance(payload, bytes) else payload

    def handle(
        self, method: str, path: str, query: str, headers: dict[str, str], body: bytes, base: str
    ) -> Response:
        """Route one request; faults first, then the handlers. Records it in the request log."""
        status = 0
        try:
            if path.startswith("/v2/") and self.config.latency:
                time.sleep(self.config.latency)
            fault = self.faults.take(("latency",), method, path)
            if fault is not None:
                time.sleep(fault.latency)
            fault = self.faults.take(("status", "drop", "lost_response"), method, path)
            if fault is not None and fault.kind == "drop":
                raise wire.Drop()
            if fault is not None and fault.kind == "status":
                extra = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else {}
                message = fault.message or ("Too many requests" if fault.status == 429 else "Internal error")
                raise wire.HttpError(fault.status, message, extra)
            status, out_headers, payload = self._route(method, path, query, headers, body, base)
            if fault is not None and fault.kind == "lost_response":
                raise wire.Drop()
            return status, out_headers, payload
        except wire.HttpError as exc:
            status = exc.status
            return (
                exc.status,
                {"Content-Type": "application/json", **exc.headers},
                wire.json_bytes({"error": exc.message}),
            )
        except wire.Drop:
            status = -1
            raise
        finally:
            with self._log_lock:
                self._log.append(RequestRecord(method, path, query, status, self.clock()))

    def _route(
        self, method: str, path: str, query: str, headers: dict[str, str], body: bytes, base: str
    ) -> Response:
        parts = [p for p in path.split("/") if p]
        if parts[:2] == ["api", "whoami-v2"] and method == "GET":
            return self._ok(self._whoami(self._identity(headers)))
        if parts and parts[0] == "e" and len(parts) >= 2:
            return self._data_plane(parts[1], "/" + "/".join(parts[2:]), method, headers, body, base)
        if path.startswith(ADMIN_PREFIX):
            return self._admin(method, parts[1:], query, headers, body)
        if not parts or parts[0] != "v2":
            raise wire.HttpError(404, f"no route for {method} {path}")
        rest = parts[1:]
        params = {k: v[-1] for k, v in parse_qs(query).items()}
        if rest == ["provider"] and method == "GET":
            return self._ok(catalog.provider_payload(cpu_quota=self.config.default_cpu_quota))
        if len(rest) == 2 and rest[0] == "provider" and method == "GET":
            namespace = rest[1]
            self._authorize(headers, namespace)
            with self.store.transaction():
                return self._ok(
                    catalog.provider_payload(self._quota_view(namespace), self.config.default_cpu_quota)
                )
        if len(rest) == 3 and rest[:2] == ["provider", "quotas"] and method == "GET":
            self._authorize(headers, rest[2])
            with self.store.transaction():
                quota = self._quota_view(rest[2])
            return self._ok(
                {
                    "quotas": [
                        {"instanceType": k, "maxAccelerators": m, "usedAccelerators": u}
                        for k, (m, u) in sorted(quota.items())
                    ]
                }
            )
        if not rest or rest[0] != "endpoint" or len(rest) < 2:
            raise wire.HttpError(404, f"no route for {method} {path}")
        namespace = rest[1]
        identity = self._authorize(headers, namespace)
        if len(rest) == 2:
            if method == "GET":
                return self._ok(self._list(namespace, params, base))
            if method == "POST":
                return self._create(namespace, identity, body, base)
            raise wire.HttpError(405, f"method {method} not allowed")
        name = rest[2]
        action = rest[3] if len(rest) > 3 else None
        if action is None and method == "GET":
            return self._ok(self._render(self._require(namespace, name), base))
        if action is None and method == "PUT":
            return self._update(namespace, name, identity, body, base)
        if action is None and method == "DELETE":
            with self.store.transaction():
                self._require(namespace, name)
                self.store.delete(namespace, name)
            return self._ok({})
        if action in ("pause", "resume", "scale-to-zero") and method == "POST" and len(rest) == 4:
            return self._power(namespace, name, identity, action, base)
        if action == "logs" and method == "GET":
            record = self._require(namespace, name)
            state = self._state(record)
            lines = [
                f"{wire.rfc3339(t)} {s}: {MESSAGES.get(s, s)}"
                for s, t in record["timeline"]
                if t <= self.clock()
            ]
            text = "\n".join([*lines, f"current state: {state}"]) + "\n"
            return 200, {"Content-Type": "text/plain; charset=utf-8"}, text.encode()
        raise wire.HttpError(404, f"no route for {method} {path}")

    # --- auth -----------------------------------------------------------------------------------

    def _identity(self, headers: dict[str, str]) -> Identity:
        auth = headers.get("authorization", "")
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        identity = self.config.identities.get(token) if token else None
        if identity is None:
            raise wire.HttpError(401, UNAUTHORIZED)
        return identity

    def _authorize(self, headers: dict[str, str], namespace: str) -> Identity:
        identity = self._identity(headers)
        if namespace not in identity.namespaces:
            # [uncertain] 403 vs 404: 403 tells the caller the token is the problem, which is what
            # a user needs to fix, and reveals nothing about the namespace's endpoints.
            raise wire.HttpError(
                403, f"Token of user '{identity.name}' has no access to namespace '{namespace}'"
            )
        return identity

    def _admin(
        self, method: str, parts: list[str], query: str, headers: dict[str, str], body: bytes
    ) -> Response:
        """``/__emulator/*``: a prefix the real API never uses. Any known token may call it."""
        identity = self._identity(headers)
        if parts == ["reset"] and method == "POST":
            self.reset()
            return self._ok({})
        if parts == ["seed"] and method == "POST":
            params = {k: v[-1] for k, v in parse_qs(query).items()}
            namespace = params.get("namespace") or identity.name
            try:
                data = json.loads(body or b"null")
                records = seed.records(data, namespace, self.clock(), self.vault, self.config.durations)
            except (ValueError, seed.SeedError) as exc:
                raise wire.HttpError(400, f"bad seed: {exc}") from None
            for space in {r["namespace"] for r in records}:
                if space not in identity.namespaces:
                    raise wire.HttpError(403, f"Token of user '{identity.name}' has no access to '{space}'")
            with self.store.transaction():
                for record in records:
                    self.store.put(record)
            return self._ok({"seeded": [f"{r['namespace']}/{r['name']}" for r in records]})
        raise wire.HttpError(404, f"no admin route {method} {ADMIN_PREFIX}{'/'.join(parts)}")

    def _whoami(self, identity: Identity) -> dict[str, Any]:
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

    # --- state machine --------------------------------------------------------------------------

    def _state(self, record: dict[str, Any]) -> str:
        return lifecycle.state(record, self.clock(), self.config.auto_scale_to_zero)

    def _startup(self, now: float, failed: bool) -> list[list[Any]]:
        return lifecycle.startup(now, self.config.durations, failed)

    def _deploy_fault(self, kind: str, namespace: str, name: str) -> FaultRule | None:
        return self.faults.take((kind,), "*", f"{namespace}/{name}")

    def wake(self, namespace: str, name: str) -> None:
        """A request reached a scaled-to-zero endpoint: start a replica."""
        with self.store.transaction():
            record = self.store.get(namespace, name)
            if record is None or self._state(record) != "scaledToZero":
                return
            now = self.clock()
            record["timeline"] = lifecycle.waking(now, self.config.durations)
            record["last_request_at"] = now
            self.store.put(record)

    # --- rendering ------------------------------------------------------------------------------

    def _render(self, record: dict[str, Any], base: str) -> dict[str, Any]:
        return render.endpoint(record, self._state(record), base)

    def _ok(self, payload: Any, status: int = 200) -> Response:
        return status, {"Content-Type": "application/json"}, wire.json_bytes(payload)

    def _require(self, namespace: str, name: str) -> dict[str, Any]:
        record = self.store.get(namespace, name)
        if record is None:
            raise wire.HttpError(404, f"Endpoint '{name}' not found")
        return record

    # --- list -----------------------------------------------------------------------------------

    def _list(self, namespace: str, params: dict[str, str], base: str) -> dict[str, Any]:
        try:
            limit = int(params.get("limit", "20"))
        except ValueError:
            raise wire.HttpError(
                400, "Failed to deserialize query string: limit: invalid digit found in string"
            ) from None
        if limit < 1 or limit > self.config.max_page_limit:
            # The real maximum is undocumented; refusing above a bound lets clients test a fallback.
            raise wire.HttpError(
                400, f"Failed to deserialize query string: limit: must be 1 to {self.config.max_page_limit}"
            )
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
        more = len(records) > limit
        records = records[:limit]
        result: dict[str, Any] = {"items": [self._render(r, base) for r in records]}
        if more:
            result["nextCursor"] = wire.encode_cursor(records[-1]["name"])
        if after is not None:
            result["prevCursor"] = wire.encode_cursor(after)
        return result

    # --- create / update ------------------------------------------------------------------------

    def _validate_compute(
        self,
        namespace: str,
        spec: dict[str, Any],
        skip_quota_of: str | None = None,
        hardware_changed: bool = True,
    ) -> None:
        provider, compute = spec["provider"], spec["compute"]
        row = catalog.find(
            provider.get("vendor", ""),
            provider.get("region", ""),
            compute.get("instanceType", ""),
            compute.get("instanceSize", ""),
        )
        if not hardware_changed:
            pass  # [uncertain] an endpoint keeps hardware that was deprecated after it was made
        elif row is None:
            raise wire.HttpError(
                400,
                f"VALIDATION_FAILED: compute: no instance {compute.get('instanceType')} "
                f"{compute.get('instanceSize')} in {provider.get('vendor')} {provider.get('region')}",
            )
        elif row.accelerator != compute.get("accelerator"):
            raise wire.HttpError(
                400,
                f"VALIDATION_FAILED: compute.accelerator: {compute.get('instanceType')} is a "
                f"{row.accelerator} instance, not {compute.get('accelerator')}",
            )
        elif row.status in ("deprecated", "not_available"):
            raise wire.HttpError(
                400, f"VALIDATION_FAILED: compute: instance type {row.instance_type} is {row.status}"
            )
        scaling = compute.get("scaling") or {}
        low, high = scaling.get("minReplica"), scaling.get("maxReplica")
        if not isinstance(low, int) or not isinstance(high, int) or low < 0 or high < 1 or low > high:
            raise wire.HttpError(
                400, "VALIDATION_FAILED: compute.scaling: need 0 <= minReplica <= maxReplica, maxReplica >= 1"
            )
        image = spec["model"].get("image") or {}
        variant, body = next(iter(image.items())) if image else ("huggingface", {})
        parallel = (body or {}).get("tensorParallelSize")
        if (
            row is not None
            and variant in ("vLLM", "sGLang")
            and row.accelerator == "gpu"
            and row.num_accelerators > 1
            and not parallel
        ):
            raise wire.HttpError(
                400,
                f"VALIDATION_FAILED: model.image.{variant}: tensorParallelSize is required on a "
                f"{row.num_accelerators}-GPU instance",
            )
        instance_type = str(compute.get("instanceType"))
        limit = self._quota_limit(namespace, instance_type)
        used = self._usage(namespace, skip=skip_quota_of).get(instance_type, 0)
        wanted = high * (row.num_accelerators if row is not None else 1)
        if used + wanted > limit:
            raise wire.HttpError(
                400,
                f"QUOTA_EXCEEDED: {instance_type} in namespace '{namespace}': {used} of {limit} "
                f"accelerators used, {wanted} more requested",
            )

    def _quota_limit(self, namespace: str, instance_type: str) -> int:
        if (namespace, instance_type) in self.config.quotas:
            return self.config.quotas[(namespace, instance_type)]
        if instance_type.startswith(("intel-", "amd-")):
            return self.config.default_cpu_quota
        return self.config.default_gpu_quota

    def _usage(self, namespace: str, skip: str | None = None) -> dict[str, int]:
        """Accelerators in use per instance type (maxReplica × accelerators), in one pass."""
        used: dict[str, int] = {}
        for record in self.store.all(namespace):
            if record["name"] == skip or self._state(record) == "paused":
                continue  # [uncertain] paused endpoints release their quota
            spec = record["spec"]
            compute = spec["compute"]
            row = catalog.find(
                spec["provider"]["vendor"],
                spec["provider"]["region"],
                compute["instanceType"],
                compute["instanceSize"],
            )
            count = int(compute["scaling"]["maxReplica"]) * (row.num_accelerators if row else 1)
            used[compute["instanceType"]] = used.get(compute["instanceType"], 0) + count
        return used

    def _quota_view(self, namespace: str) -> dict[str, tuple[int, int]]:
        used = self._usage(namespace)
        out = {}
        for row in catalog.COMPUTES:
            limit = self._quota_limit(namespace, row.instance_type)
            out[row.instance_type] = (limit, used.get(row.instance_type, 0))
        return out

    def _create(self, namespace: str, identity: Identity, body: bytes, base: str) -> Response:
        name, spec, secrets = normalize.parse_create(wire.parse_json(body))
        with self.store.transaction():
            if self.store.get(namespace, name) is not None:
                raise wire.HttpError(409, "An endpoint with the same name already exists")
            self._validate_compute(namespace, spec)
            now = self.clock()
            failed = self._deploy_fault("deploy_failed", namespace, name)
            record = {
                "namespace": namespace,
                "name": name,
                "id": secrets_mod.token_hex(12),
                "spec": spec,
                "secrets": secrets,
                "timeline": self._startup(now, failed is not None),
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
        return self._ok(self._render(record, base), self.config.create_status)

    def _update(self, namespace: str, name: str, identity: Identity, body: bytes, base: str) -> Response:
        data = wire.parse_json(body)
        with self.store.transaction():
            record = self._require(namespace, name)
            spec = record["spec"]
            state = self._state(record)
            before = {k: spec["compute"].get(k) for k in ("accelerator", "instanceType", "instanceSize")}
            secrets = normalize.merge_update(spec, data, name)
            hardware_changed = before != {k: spec["compute"].get(k) for k in before}
            if secrets is not None:
                record["secrets"] = secrets  # replaced whole, never echoed
            self._validate_compute(namespace, spec, skip_quota_of=name, hardware_changed=hardware_changed)
            now = self.clock()
            config_change = any(
                k in data for k in ("compute", "model", "route", "cacheHttpResponses", "experimentalFeatures")
            )
            if config_change and state in (
                "running",
                "updating",
                "updateFailed",
                "failed",
                "initializing",
                "pending",
                "scaledToZero",
            ):
                failed = self._deploy_fault("update_failed", namespace, name)
                if state in ("failed", "pending", "initializing"):
                    # A PUT re-deploys an endpoint that never came up (the repair path).
                    deploy_failed = self._deploy_fault("deploy_failed", namespace, name)
                    record["timeline"] = self._startup(now, deploy_failed is not None)
                else:
                    record["timeline"] = lifecycle.updating(now, self.config.durations, failed is not None)
                    if failed is not None:
                        record["message_updateFailed"] = failed.message or "Endpoint failed to update"
            # A paused endpoint stays paused: the new config applies when it is resumed.
            record["updated_at"] = now
            record["updated_by"] = identity.name
            self.store.put(record)
        return self._ok(self._render(record, base))

    def _power(self, namespace: str, name: str, identity: Identity, action: str, base: str) -> Response:
        with self.store.transaction():
            record = self._require(namespace, name)
            state = self._state(record)
            now = self.clock()
            if action == "pause":
                record["timeline"] = [["paused", now]]
            elif action == "resume":
                if state in ("running", "pending", "initializing", "updating"):
                    raise wire.HttpError(400, f"Endpoint '{name}' is already running")
                if state == "scaledToZero":
                    record["timeline"] = lifecycle.waking(now, self.config.durations)
                else:
                    self._validate_compute(
                        namespace, record["spec"], skip_quota_of=name, hardware_changed=False
                    )
                    record["timeline"] = self._startup(now, False)
            else:
                if state == "paused":
                    raise wire.HttpError(400, f"Endpoint '{name}' is paused; resume it first")
                record["timeline"] = [["scaledToZero", now]]
            record["updated_at"] = now
            record["updated_by"] = identity.name
            self.store.put(record)
        return self._ok(self._render(record, base))

    # --- data plane -----------------------------------------------------------------------------

    def _data_plane(
        self, endpoint_id: str, path: str, method: str, headers: dict[str, str], body: bytes, base: str
    ) -> Response:
        record = self.store.by_id(endpoint_id)
        if record is None:
            raise wire.HttpError(404, "Endpoint not found")
        spec = record["spec"]
        if spec["type"] != "public":
            identity = self._identity(headers)
            if record["namespace"] not in identity.namespaces:
                raise wire.HttpError(403, "This token has no access to the endpoint")
        state = self._state(record)
        if state == "scaledToZero":
            self.wake(record["namespace"], record["name"])
            wait = wire.parse_float(headers.get("x-scale-up-timeout"))
            if wait is None or wait <= 0:
                raise wire.HttpError(
                    503,
                    "Endpoint is scaled to zero and is starting; retry later or send "
                    "X-Scale-Up-Timeout to wait for it",
                    {"Retry-After": "1"},
                )
            deadline = time.monotonic() + wait
            while True:
                record = self.store.by_id(endpoint_id) or record
                state = self._state(record)
                if state == "running" or time.monotonic() >= deadline:
                    break
                time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))
        if state == "paused":
            raise wire.HttpError(503, "Endpoint is paused; resume it to serve requests")
        if state in ("failed",):
            raise wire.HttpError(
                503, f"Endpoint failed: {record.get('message_failed') or MESSAGES['failed']}"
            )
        if state in ("pending", "initializing", "updating"):
            raise wire.HttpError(503, f"Endpoint is {state} and not ready yet", {"Retry-After": "1"})
        with self.store.transaction():  # the idle clock of scale-to-zero restarts with each request
            fresh = self.store.by_id(endpoint_id)
            if fresh is not None:
                fresh["last_request_at"] = self.clock()
                self.store.put(fresh)
        image = spec["model"]["image"]
        variant, image_body = next(iter(image.items()))
        view = dataplane.EndpointView(
            namespace=record["namespace"],
            name=record["name"],
            state=state,
            task=spec["model"].get("task"),
            repository=spec["model"]["repository"],
            image_variant=variant,
            health_route=(image_body or {}).get("healthRoute") or "/health",
            type=spec["type"],
        )
        answer = dataplane.handle(view, method, path, headers, body)
        return answer.status, dict(answer.headers), answer.body
