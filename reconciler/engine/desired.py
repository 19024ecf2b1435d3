"""Desired state: what each endpoint should look like now (spec + defaults + schedule at ``now``).

Owns: ``DesiredEndpoint`` (the managed fields in the flat shape of ``live.flatten``, the power state
and why), ``build`` and the payloads sent to the API (``create_payload``, ``update_payload``), and the
secret references (resolved only when a payload is built, never stored, printed or logged).
Called by: ``reconciler.engine.plan`` (comparison) and ``reconciler.engine.apply`` (payloads).
Must not: talk to the network. Reading the clock is the caller's job: ``now`` is an argument.

Only fields the spec sets are *managed* and compared; fields it leaves unset get huggingface_hub's
defaults on create (min/max replica 1, framework pytorch, type authenticated, the Hugging Face image)
and are not compared afterwards, so server-side defaults never show up as drift.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from reconciler import errors, logs
from reconciler.engine import live
from reconciler.spec import loader
from reconciler.spec import models as spec_models

__all__ = [
    "DesiredEndpoint",
    "SecretUnavailable",
    "build",
    "create_payload",
    "resolve_secret",
    "update_payload",
]

# Wire paths that cannot change in place: a change means delete + create.
IMMUTABLE_PATHS = ("provider.vendor", "provider.region", "type", "privateService")
# Wire paths whose value is sent whole on update.
WHOLE_PATHS = ("model.image", "model.env", "model.command", "model.args", "tags", "compute.scaling.measure")


class SecretUnavailable(errors.ReconcilerError):
    """A secret reference could not be resolved (missing variable or unreadable file)."""


@dataclass(frozen=True)
class DesiredEndpoint:
    """One endpoint as it should be at this instant."""

    spec: spec_models.EndpointSpec
    namespace: str
    fleet: str
    flat: dict[str, Any]
    power: spec_models.PowerState
    power_reason: str
    next_boundary: datetime | None
    secrets_fingerprint: str | None
    secrets_resolvable: bool

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def protect(self) -> bool:
        return bool(self.spec.protect)


def resolve_secret(ref: spec_models.SecretRef, what: str) -> str:
    """The value behind a reference. The error names the reference, never a value."""
    if ref.from_env is not None:
        value = os.environ.get(ref.from_env)
        if value is None:
            raise SecretUnavailable(f"{what}: environment variable {ref.from_env} is not set")
    else:
        assert ref.from_file is not None
        try:
            value = Path(ref.from_file).read_text().rstrip("\n")
        except OSError as exc:
            raise SecretUnavailable(
                f"{what}: cannot read secret file {ref.from_file}: {exc.strerror}"
            ) from exc
    logs.register_secret(value)
    return value


def _secret_material(spec: spec_models.EndpointSpec) -> list[tuple[str, spec_models.SecretRef]]:
    items = sorted((spec.secrets or {}).items())
    if spec.image is not None and spec.image.credentials is not None:
        items.append(("<registry:" + spec.image.credentials.username + ">", spec.image.credentials.password))
    return items


def _fingerprint(fleet: str, spec: spec_models.EndpointSpec) -> tuple[str | None, bool]:
    """A 64-bit keyed digest of the secret values, kept in a tag to detect rotation.

    It never leaves the value: the digest is salted with the fleet and endpoint names and truncated,
    so it cannot be looked up in a table; it only tells "changed" from "unchanged".
    """
    material = _secret_material(spec)
    if not material:
        return None, True
    digest = hashlib.sha256(f"hfleet-secrets-v1\0{fleet}\0{spec.name}".encode())
    try:
        for key, ref in material:
            digest.update(
                b"\0" + key.encode() + b"=" + resolve_secret(ref, f"{spec.name}: secret {key}").encode()
            )
    except SecretUnavailable:
        return None, False
    return digest.hexdigest()[:16], True


def build(
    fleet: loader.Fleet,
    spec: spec_models.EndpointSpec,
    now: datetime,
    *,
    last_change: datetime | None = None,
) -> DesiredEndpoint:
    """The desired endpoint at ``now``. ``last_change`` (the live ``updatedAt``) feeds the grace period."""
    power, reason, boundary = _power(fleet, spec, now, last_change)
    fingerprint, resolvable = _fingerprint(fleet.name, spec)
    flat = _managed(spec, fleet.name, fingerprint, resolvable)
    return DesiredEndpoint(
        spec=spec,
        namespace=fleet.namespace_of(spec),
        fleet=fleet.name,
        flat=flat,
        power=power,
        power_reason=reason,
        next_boundary=boundary,
        secrets_fingerprint=fingerprint,
        secrets_resolvable=resolvable,
    )


def _power(
    fleet: loader.Fleet, spec: spec_models.EndpointSpec, now: datetime, last_change: datetime | None
) -> tuple[spec_models.PowerState, str, datetime | None]:
    wanted = spec.state or spec_models.PowerState.RUNNING
    schedule = fleet.schedule_of(spec)
    if schedule is None and spec.schedule_override is None:
        return wanted, f"state: {wanted.value}", None
    from reconciler.schedule import evaluate as schedule_eval

    decision = schedule_eval.evaluate(schedule, now, override=spec.schedule_override, last_change=last_change)
    if wanted is not spec_models.PowerState.RUNNING:
        # An explicit paused/scaled_to_zero state wins over the schedule: the schedule only turns off.
        return wanted, f"state: {wanted.value}", decision.next_boundary
    if decision.up:
        return spec_models.PowerState.RUNNING, f"schedule: {decision.reason}", decision.next_boundary
    off = (
        spec_models.PowerState.PAUSED
        if decision.off_action == "pause"
        else spec_models.PowerState.SCALED_TO_ZERO
    )
    return off, f"schedule: {decision.reason}", decision.next_boundary


def tags_for(spec: spec_models.EndpointSpec, fleet: str, fingerprint: str | None) -> list[str]:
    tags = [*(spec.tags or []), live.owner_tag(fleet)]
    if fingerprint:
        tags.append(live.SECRETS_TAG_PREFIX + fingerprint)
    if spec.protect:
        tags.append(live.PROTECT_TAG)
    return sorted(dict.fromkeys(tags))


def _managed(
    spec: spec_models.EndpointSpec, fleet: str, fingerprint: str | None, resolvable: bool
) -> dict[str, Any]:
    """The flat ``path → value`` of every field the spec manages (see the module docstring)."""
    flat: dict[str, Any] = {
        "type": (spec.type or spec_models.EndpointType.AUTHENTICATED).value,
        "provider.vendor": spec.vendor,
        "provider.region": spec.region,
        "compute.accelerator": spec.accelerator,
        "compute.instanceType": spec.instance_type,
        "compute.instanceSize": spec.instance_size,
        "model.repository": spec.repository,
        "model.image": (spec.image.to_wire() if spec.image else {"huggingface": {}}),
    }
    flat["model.image"] = live.flatten({"model": {"image": flat["model.image"]}})["model.image"]
    optional = {
        "compute.scaling.minReplica": spec.min_replica,
        "compute.scaling.maxReplica": spec.max_replica,
        "compute.scaling.scaleToZeroTimeout": spec.scale_to_zero_timeout,
        "compute.scaling.measure": (
            {spec.scaling_metric: spec.scaling_threshold} if spec.scaling_metric is not None else None
        ),
        "model.framework": spec.framework,
        "model.revision": spec.revision,
        "model.task": spec.task,
        "model.env": dict(spec.env) if spec.env is not None else None,
        "model.command": list(spec.container_command) if spec.container_command is not None else None,
        "model.args": list(spec.container_args) if spec.container_args is not None else None,
        "route.domain": spec.domain,
        "route.path": spec.path,
        "cacheHttpResponses": spec.cache_http_responses,
        "privateService": _private_service(spec),
    }
    flat.update({k: v for k, v in optional.items() if v is not None})
    tags = tags_for(spec, fleet, fingerprint)
    if not resolvable:
        # The secret values are unknown here (e.g. a plan in CI without them): keep whatever
        # fingerprint the live endpoint has by comparing tags without it (see plan._compare).
        tags = [t for t in tags if not t.startswith(live.SECRETS_TAG_PREFIX)]
    flat["tags"] = tags
    return flat


def _private_service(spec: spec_models.EndpointSpec) -> dict[str, Any] | None:
    if spec.private_link_account_id is None:
        return None
    body: dict[str, Any] = {"accountId": spec.private_link_account_id}
    if spec.private_link_region:
        body["region"] = spec.private_link_region
    return body


def _set(payload: dict[str, Any], path: str, value: Any) -> None:
    node = payload
    *parents, leaf = path.split(".")
    for part in parents:
        node = node.setdefault(part, {})
    node[leaf] = value


def _image(spec: spec_models.EndpointSpec) -> dict[str, Any]:
    if spec.image is None:
        return {"huggingface": {}}
    password = None
    if spec.image.credentials is not None:
        password = resolve_secret(spec.image.credentials.password, f"{spec.name}: registry password")
    return spec.image.to_wire(password)


def _secrets(spec: spec_models.EndpointSpec) -> dict[str, str]:
    return {
        key: resolve_secret(ref, f"{spec.name}: secret {key}")
        for key, ref in sorted((spec.secrets or {}).items())
    }


def create_payload(desired: DesiredEndpoint) -> dict[str, Any]:
    """The full ``POST /endpoint/{ns}`` body. Resolves secrets: raises ``SecretUnavailable``."""
    spec = desired.spec
    flat = dict(desired.flat)
    payload: dict[str, Any] = {"name": spec.name}
    defaults = {
        "compute.scaling.minReplica": 1,
        "compute.scaling.maxReplica": 1,
        "model.framework": "pytorch",
        "model.revision": None,
    }
    for path, value in {**defaults, **flat}.items():
        if path == "model.image":
            value = _image(spec)
        _set(payload, path, value)
    if spec.scale_to_zero_timeout is None:
        payload["compute"]["scaling"].setdefault("scaleToZeroTimeout", None)
    if spec.secrets:
        payload["model"]["secrets"] = _secrets(spec)
    return payload


def update_payload(
    desired: DesiredEndpoint, paths: list[str], *, secrets: bool = False, remove_secrets: bool = False
) -> dict[str, Any]:
    """A partial ``PUT`` body with only ``paths`` (whole values for images, maps and lists).

    ``secrets`` re-sends the spec's secrets; ``remove_secrets`` sends none (``{}``) when the spec
    dropped every secret hfleet had set (the plan says so with a ``model.secrets`` "(removed)")."""
    payload: dict[str, Any] = {}
    for path in paths:
        if path in IMMUTABLE_PATHS:
            continue
        value = _image(desired.spec) if path == "model.image" else desired.flat.get(path)
        _set(payload, path, value)
    if secrets and desired.spec.secrets is not None:
        _set(payload, "model.secrets", _secrets(desired.spec))
    elif remove_secrets:
        _set(payload, "model.secrets", {})  # every secret hfleet had set was removed from the spec
    return payload
