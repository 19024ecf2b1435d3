"""Seeding: endpoint records the emulator starts with, as the real server answered them.

Owns: the seed format and ``records(data, ...)``, which turns it into store records. Called by:
``Emulator.seed`` / ``Emulator.seed_file``, the ``seed`` option of the config and of
``emulator serve``, and the admin route ``POST /__emulator/seed``. Must not: touch the store.

Format (JSON): an endpoint object exactly as ``GET /v2/endpoint/{ns}/{name}`` answers it (the
files in shared/reference/real-responses/ work as they are), a list of them, or
``{"namespace": NS, "endpoints": [...]}``; a list item may also be ``{"namespace": NS,
"endpoint": {...}}``. The namespace defaults to the caller's. Seeds are server state, so what
a create would refuse is kept: ``type: "protected"``, a deprecated instance type, the legacy
``model.secret`` (singular), a record without ``compute.id``. Secret values are fingerprinted at
once (see ``vault``). Bounds: at most ``MAX_RECORDS`` records per call; bodies are bounded by
the server's request size limit.
"""

from __future__ import annotations

import copy
import re
import secrets as secrets_mod
from typing import Any

from reconciler.emulator import lifecycle, normalize, vault, wire

__all__ = ["MAX_RECORDS", "SeedError", "records"]

MAX_RECORDS = 10_000
_SEED_TYPES = (*normalize.TYPES, "protected")
_NAMESPACE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,95}$")


class SeedError(ValueError):
    """A seed that is not a list of endpoint records; the message names the record and the field."""


def _items(data: Any, namespace: str) -> list[tuple[str, dict[str, Any]]]:
    if isinstance(data, dict) and "endpoints" in data:
        namespace = str(data.get("namespace") or namespace)
        data = data["endpoints"]
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise SeedError("a seed is an endpoint object, a list of them, or {namespace, endpoints}")
    if len(data) > MAX_RECORDS:
        raise SeedError(f"at most {MAX_RECORDS} records per seed, got {len(data)}")
    out = []
    for i, item in enumerate(data):
        if isinstance(item, dict) and "endpoint" in item:
            out.append((str(item.get("namespace") or namespace), item["endpoint"]))
        else:
            out.append((namespace, item))
        if not isinstance(out[-1][1], dict):
            raise SeedError(f"record {i}: expected an object")
    return out


def _need(obj: Any, keys: tuple[str, ...], where: str) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise SeedError(f"{where}: expected an object")
    missing = [k for k in keys if k not in obj]
    if missing:
        raise SeedError(f"{where}: missing {', '.join(missing)}")
    return obj


def _spec(raw: dict[str, Any], where: str) -> dict[str, Any]:
    if raw["type"] not in _SEED_TYPES:
        raise SeedError(f"{where}.type: unknown type {raw['type']!r}")
    _need(raw["provider"], ("vendor", "region"), f"{where}.provider")
    compute = _need(raw["compute"], ("accelerator", "instanceType", "instanceSize", "scaling"), where)
    _need(compute["scaling"], ("minReplica", "maxReplica"), f"{where}.compute.scaling")
    model = _need(raw["model"], ("repository", "framework", "image"), f"{where}.model")
    image = model["image"]
    if not isinstance(image, dict) or len(image) != 1:
        raise SeedError(f"{where}.model.image: expected exactly one variant")
    spec = {k: copy.deepcopy(raw[k]) for k in ("type", "provider", "compute", "model")}
    for key in ("tags", "experimentalFeatures", "notifications", "route", "privateService", "network"):
        if key in raw:
            spec[key] = copy.deepcopy(raw[key])
    if "cacheHttpResponses" in raw:  # older answers kept it at the top level
        features = dict(spec.get("experimentalFeatures") or {})
        features.setdefault("cacheHttpResponses", bool(raw["cacheHttpResponses"]))
        spec["experimentalFeatures"] = features
    return spec


def _record(
    namespace: str,
    raw: dict[str, Any],
    where: str,
    now: float,
    keys: vault.Vault,
    durations: lifecycle.Durations,
) -> dict[str, Any]:
    _need(raw, ("name", "type", "provider", "compute", "model"), where)
    name = raw["name"]
    if not isinstance(name, str) or not normalize.NAME_RE.match(name):
        raise SeedError(f"{where}.name: {name!r} is not an endpoint name")
    if not _NAMESPACE_RE.match(namespace):
        raise SeedError(f"{where}: bad namespace {namespace!r}")
    spec = _spec(raw, where)
    model = spec["model"]
    legacy = "secret" in model and "secrets" not in model
    sealed = keys.seal_secrets(dict(model.pop("secrets", None) or model.pop("secret", None) or {}))
    model.pop("secret", None)
    model["image"] = keys.seal_image(model["image"])
    status: dict[str, Any] = raw["status"] if isinstance(raw.get("status"), dict) else {}
    current = str(status["state"]) if status.get("state") in lifecycle.STATES else "running"
    record: dict[str, Any] = {
        "namespace": namespace,
        "name": name,
        "id": secrets_mod.token_hex(12),
        "spec": spec,
        "secrets": sealed,
        "timeline": lifecycle.seeded(current, now, durations),
        "created_at": _stamp(status.get("createdAt"), now),
        "updated_at": _stamp(status.get("updatedAt"), now),
        "created_by": _who(status.get("createdBy"), namespace),
        "updated_by": _who(status.get("updatedBy"), namespace),
    }
    if legacy:
        record["legacy_secret_key"] = True
    if isinstance(status.get("message"), str):
        record["message_" + current] = status["message"]
    return record


def _stamp(value: Any, default: float) -> float:
    try:
        return wire.parse_rfc3339(value) if isinstance(value, str) else default
    except ValueError:
        return default


def _who(value: Any, default: str) -> str:
    return str(value["name"]) if isinstance(value, dict) and value.get("name") else default


def records(
    data: Any, namespace: str, now: float, keys: vault.Vault, durations: lifecycle.Durations
) -> list[dict[str, Any]]:
    """Store records for a seed (see the module docstring); raises ``SeedError`` on a bad one."""
    out = []
    for i, (space, raw) in enumerate(_items(data, namespace)):
        out.append(_record(space, raw, f"record {i}", now, keys, durations))
    return out
