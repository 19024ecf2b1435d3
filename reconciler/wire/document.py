"""The import direction: a live endpoint as an ``Endpoint`` spec document (``spec_document``).

Owns: ``spec_document``, the third conversion beside ``reconciler.wire.convert``'s two (spec →
payload, record → compared fields), kept apart because only ``hfleet import`` reads a record back
into the spec language. Called by: ``reconciler.engine.importer``.
Must not: do I/O, read secret values (each secret becomes a reference the caller names) or decide
whether an endpoint may be imported.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reconciler.spec import models as spec_models
from reconciler.wire import ownership
from reconciler.wire.record import EndpointRecord

__all__ = ["spec_document"]

_WIRE_TO_VARIANT = {v: k for k, v in spec_models.IMAGE_VARIANTS.items()}


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name)


def spec_document(record: EndpointRecord, *, secret_env: Callable[[str], str]) -> dict[str, Any]:
    """An ``Endpoint`` document that describes ``record`` (what ``hfleet import`` writes).

    Every field the spec language has is kept; server-filled ones are left out (they would only
    pin what the server chooses); the protect tag becomes ``protect: true``. Each secret becomes a
    ``from_env`` reference named by ``secret_env(key)``: values are never read back. A legacy
    ``protected`` type is written as its current name, ``authenticated`` (the comparison treats
    them as one; nothing is sent).
    """
    doc: dict[str, Any] = {"kind": "Endpoint", "name": record.name, "namespace": record.namespace}
    doc.update({k: v for k, v in _plain_fields(record).items() if v is not None})
    doc.update(_scaling_metric(record))
    doc.update(_private_link(record))
    doc.update(_image_document(record))
    doc.update(_tags_document(record))
    if record.secret_keys:
        doc["secrets"] = {key: {"from_env": secret_env(key)} for key in sorted(record.secret_keys)}
    return doc


def _plain_fields(record: EndpointRecord) -> dict[str, Any]:
    """The spec fields that map one to one onto the record (None: not written). A scale-to-zero
    timeout is kept only with a floor of zero, the one case where it takes effect."""
    kind = ownership.TYPE_ALIASES.get(record.type or "", record.type)
    return {
        "repository": record.repository,
        "revision": record.revision,
        "framework": record.framework,
        "task": record.task,
        "accelerator": record.accelerator,
        "vendor": record.vendor,
        "region": record.region,
        "instance_type": record.instance_type,
        "instance_size": record.instance_size,
        "type": kind if kind in ("public", "authenticated", "private") else None,
        "min_replica": record.min_replica,
        "max_replica": record.max_replica,
        "scale_to_zero_timeout": record.scale_to_zero_timeout if record.min_replica == 0 else None,
        "domain": record.domain,
        "path": record.path,
        "container_command": list(record.command) if record.command else None,
        "container_args": list(record.args) if record.args else None,
        "env": dict(record.env) if record.env else None,
    }


def _scaling_metric(record: EndpointRecord) -> dict[str, Any]:
    """The autoscaling metric and threshold, when the record names one the spec language has (the
    API may send ``measure`` without ``metric``)."""
    measure = record.scaling_measure or {}
    metric = record.scaling_metric or (next(iter(measure)) if len(measure) == 1 else None)
    if metric in ("hardwareUsage", "pendingRequests") and measure.get(metric) is not None:
        return {"scaling_metric": metric, "scaling_threshold": measure[metric]}
    return {}


def _private_link(record: EndpointRecord) -> dict[str, Any]:
    """The PrivateLink account and region, when the API reports them as text."""
    service = record.private_service or {}
    if not isinstance(service.get("accountId"), str):
        return {}
    link = {"private_link_account_id": service["accountId"]}
    if isinstance(service.get("region"), str):
        link["private_link_region"] = service["region"]
    return link


def _image_document(record: EndpointRecord) -> dict[str, Any]:
    """The spec's ``image`` for a non-default variant: the options that variant has, in snake case
    (the spec's spelling); the default (``huggingface``) and unknown variants write nothing."""
    variant = record.image_variant
    if variant is None or variant == "huggingface" or variant not in _WIRE_TO_VARIANT:
        return {}
    body = {_snake(k): v for k, v in sorted((record.image or {})[variant].items()) if v is not None}
    name = _WIRE_TO_VARIANT[variant]
    allowed = {"url", "port", "health_route", *spec_models.VARIANT_OPTIONS[name]}
    return {"image": {name: {k: v for k, v in body.items() if k in allowed}}}


def _tags_document(record: EndpointRecord) -> dict[str, Any]:
    """The user's tags (hfleet's reserved ones left out) and ``protect``, which the protect tag is
    hfleet's spelling of."""
    doc: dict[str, Any] = {}
    user_tags = [t for t in record.tags if not t.lower().startswith(ownership.RESERVED_TAG_PREFIX)]
    if user_tags:
        doc["tags"] = sorted(user_tags)
    if ownership.protected(record.tags):
        doc["protect"] = True
    return doc
