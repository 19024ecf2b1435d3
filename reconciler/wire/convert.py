"""The conversions between a spec and the API that a plan and its apply use, side by side.

Owns: ``desired_view`` (spec → the owned fields, as ``API path → value``), ``live_value`` (a live
record → the value at one of those paths) and the payloads (``create_payload``, ``update_payload``).
The third conversion, a live record → an ``Endpoint`` document (``hfleet import``), is its sibling
``reconciler.wire.document``. Called by: ``reconciler.engine`` (desired state, comparison, apply,
import). Must not: do I/O or read secret values itself: the caller passes ``resolve``
(``SecretRef → str``), so a plan never holds one.

Paths are the API's, dotted: ``compute.scaling.minReplica``; an image option is
``model.image.<variant>.<key>`` and a scaling threshold ``compute.scaling.measure.<metric>``. Which
paths are compared, and how, is ``reconciler.wire.ownership``'s table.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any, Final

from reconciler.spec import models as spec_models
from reconciler.wire import ownership
from reconciler.wire.record import EndpointRecord

__all__ = [
    "MISSING",
    "Resolver",
    "create_payload",
    "desired_view",
    "has_registry_credentials",
    "image_wire",
    "live_value",
    "registry_credentials",
    "tags_of",
    "update_payload",
    "with_fingerprint",
]


class _Missing:
    """A path the live endpoint does not have (shown as ``(absent)``)."""

    def __repr__(self) -> str:
        return "(absent)"


MISSING: Final = _Missing()
Resolver = Callable[[spec_models.SecretRef, str], str]

# What huggingface_hub 2.4.0 sends for arguments left unset (hf-endpoints-api.md §4): the same
# defaults on create, so an endpoint made by hfleet looks like one made by the SDK. Not compared
# afterwards (the spec does not state them), so a server default never shows as drift.
CREATE_DEFAULTS: Final[Mapping[str, Any]] = {
    "type": "authenticated",
    "compute.scaling.minReplica": 1,
    "compute.scaling.maxReplica": 1,
    "compute.scaling.scaleToZeroTimeout": None,
    "model.framework": "pytorch",
    "model.revision": None,
}


def _variant_key(spec: spec_models.EndpointSpec) -> str:
    return spec_models.IMAGE_VARIANTS[spec.image.variant] if spec.image else "huggingface"


def image_wire(spec: spec_models.EndpointSpec, password: str | None = None) -> dict[str, Any]:
    """The spec's ``model.image`` as sent (credentials only with a resolved ``password``)."""
    if spec.image is None:
        return {"huggingface": {}}
    body = spec.image.to_wire(password)
    if password is None:
        for variant in body.values():
            variant.pop("credentials", None)
    return body


def tags_of(spec: spec_models.EndpointSpec, fleet: str) -> list[str]:
    """The endpoint's owned tags: the spec's, the owner tag and protection.

    The secrets fingerprint tag is not among them: it is compared by the secrets rule, and written
    with whatever sends tags (``with_fingerprint``)."""
    tags = [*(spec.tags or []), ownership.owner_tag(fleet)]
    if spec.protect:
        tags.append(ownership.PROTECT_TAG)
    return sorted(dict.fromkeys(tags))


def with_fingerprint(tags: Iterable[str], fingerprint: str | None) -> list[str]:
    """``tags`` without any secrets fingerprint, plus ``fingerprint``'s tag if there is one."""
    kept = [t for t in tags if not t.startswith(ownership.SECRETS_TAG_PREFIX)]
    if fingerprint:
        kept.append(ownership.SECRETS_TAG_PREFIX + fingerprint)
    return sorted(dict.fromkeys(kept))


def desired_view(spec: spec_models.EndpointSpec, fleet: str) -> dict[str, Any]:
    """Every field the spec states, as ``API path → value`` (see the module docstring)."""
    view: dict[str, Any] = {}

    def put(path: str, value: Any) -> None:
        if value is not None:
            view[path] = value

    put("type", spec.type.value if spec.type is not None else None)
    put("provider.vendor", spec.vendor)
    put("provider.region", spec.region)
    put("privateService.accountId", spec.private_link_account_id)
    put("privateService.region", spec.private_link_region if spec.private_link_account_id else None)
    put("compute.accelerator", spec.accelerator)
    put("compute.instanceType", spec.instance_type)
    put("compute.instanceSize", spec.instance_size)
    put("compute.scaling.minReplica", spec.min_replica)
    put("compute.scaling.maxReplica", spec.max_replica)
    put("compute.scaling.scaleToZeroTimeout", spec.scale_to_zero_timeout)
    put("compute.scaling.metric", spec.scaling_metric)
    if spec.scaling_metric is not None and spec.scaling_threshold is not None:
        put(f"compute.scaling.measure.{spec.scaling_metric}", spec.scaling_threshold)
    put("model.repository", spec.repository)
    put("model.framework", spec.framework)
    put("model.revision", spec.revision)
    put("model.task", spec.task)
    variant = _variant_key(spec)
    view["model.image"] = variant
    for key, value in image_wire(spec)[variant].items():
        put(f"model.image.{variant}.{key}", value)
    put("model.env", dict(spec.env) if spec.env is not None else None)
    put("model.command", list(spec.container_command) if spec.container_command is not None else None)
    put("model.args", list(spec.container_args) if spec.container_args is not None else None)
    put("route.domain", spec.domain)
    put("route.path", spec.path)
    put("cacheHttpResponses", spec.cache_http_responses)
    view["tags"] = tags_of(spec, fleet)
    return view


def _listed(values: tuple[str, ...] | None) -> list[str] | None:
    return list(values) if values is not None else None


# How to read each simple path off a record: one getter each, so a lookup computes only its own
# value (a dict of every value per call cost more than parsing the record, once per compared path).
_SIMPLE: Final[Mapping[str, Callable[[EndpointRecord], Any]]] = {
    "type": lambda r: r.type,
    "provider.vendor": lambda r: r.vendor,
    "provider.region": lambda r: r.region,
    "compute.accelerator": lambda r: r.accelerator,
    "compute.instanceType": lambda r: r.instance_type,
    "compute.instanceSize": lambda r: r.instance_size,
    "compute.scaling.minReplica": lambda r: r.min_replica,
    "compute.scaling.maxReplica": lambda r: r.max_replica,
    "compute.scaling.scaleToZeroTimeout": lambda r: r.scale_to_zero_timeout,
    "compute.scaling.metric": lambda r: r.scaling_metric or _only_key(r.scaling_measure),
    "model.repository": lambda r: r.repository,
    "model.framework": lambda r: r.framework,
    "model.revision": lambda r: r.revision,
    "model.task": lambda r: r.task,
    "model.image": lambda r: r.image_variant,
    "model.env": lambda r: dict(r.env or {}),
    "model.command": lambda r: _listed(r.command),
    "model.args": lambda r: _listed(r.args),
    "route.domain": lambda r: r.domain,
    "route.path": lambda r: r.path,
    "cacheHttpResponses": lambda r: r.cache_http_responses,
    "tags": lambda r: sorted(t for t in r.tags if not t.startswith(ownership.SECRETS_TAG_PREFIX)),
}


def live_value(record: EndpointRecord, path: str) -> Any:
    """The live value at ``path``, or ``MISSING``."""
    getter = _SIMPLE.get(path)
    if getter is not None:
        value = getter(record)
        return MISSING if value is None else value
    head, _, rest = path.rpartition(".")
    if head == "compute.scaling.measure":
        measure = record.scaling_measure or {}
        return measure[rest] if rest in measure and measure[rest] is not None else MISSING
    if head == "privateService":
        service = record.private_service or {}
        return service.get(rest, MISSING)
    if path.startswith("model.image."):
        _, _, variant, key = path.split(".", 3)
        body = (record.image or {}).get(variant)
        return MISSING if body is None or body.get(key) is None else body[key]
    raise KeyError(f"no live value for {path!r}")


def registry_credentials(record: EndpointRecord) -> dict[str, Any] | None:
    """The live image's registry credentials, without their values (the record drops passwords on
    arrival), or None. Tolerates any shape the server sends (a null image, a list...)."""
    model = record.raw.get("model")
    image = model.get("image") if isinstance(model, dict) else None
    if not isinstance(image, dict):
        return None
    for body in image.values():
        if isinstance(body, dict) and isinstance(body.get("credentials"), dict):
            return dict(body["credentials"])
    return None


def has_registry_credentials(record: EndpointRecord) -> bool:
    """The live image holds registry credentials."""
    return registry_credentials(record) is not None


def _only_key(measure: Mapping[str, Any] | None) -> str | None:
    """The metric a ``measure`` names, when the API reports ``measure`` without ``metric``."""
    return next(iter(measure)) if measure and len(measure) == 1 else None


def _set(payload: dict[str, Any], path: str, value: Any) -> None:
    node = payload
    *parents, leaf = path.split(".")
    for part in parents:
        node = node.setdefault(part, {})
    node[leaf] = value


def _secrets(spec: spec_models.EndpointSpec, resolve: Resolver) -> dict[str, str]:
    return {
        key: resolve(ref, f"{spec.name}: secret {key}") for key, ref in sorted((spec.secrets or {}).items())
    }


def _password(spec: spec_models.EndpointSpec, resolve: Resolver) -> str | None:
    if spec.image is None or spec.image.credentials is None:
        return None
    return resolve(spec.image.credentials.password, f"{spec.name}: registry password")


def create_payload(
    spec: spec_models.EndpointSpec, fleet: str, fingerprint: str | None, resolve: Resolver
) -> dict[str, Any]:
    """The full ``POST /endpoint/{namespace}`` body. Resolves secret references through ``resolve``."""
    view = desired_view(spec, fleet)
    view["tags"] = with_fingerprint(view["tags"], fingerprint)
    payload: dict[str, Any] = {"name": spec.name}
    for path, value in {**CREATE_DEFAULTS, **view}.items():
        if path.startswith(("model.image", "privateService.")):
            continue
        if path == "compute.scaling.metric" or path.startswith("compute.scaling.measure."):
            continue
        _set(payload, path, value)
    _set(payload, "model.image", image_wire(spec, _password(spec, resolve)))
    if spec.scaling_metric is not None:
        _set(payload, "compute.scaling.measure", {spec.scaling_metric: spec.scaling_threshold})
    if spec.private_link_account_id is not None:
        service: dict[str, Any] = {"accountId": spec.private_link_account_id}
        if spec.private_link_region:
            service["region"] = spec.private_link_region
        payload["privateService"] = service
    if spec.secrets:
        _set(payload, "model.secrets", _secrets(spec, resolve))
    return payload


def update_payload(
    spec: spec_models.EndpointSpec,
    view: Mapping[str, Any],
    paths: Iterable[str],
    *,
    live: EndpointRecord | None,
    resolve: Resolver,
    secrets: str | None = None,
    fingerprint: str | None = None,
    keep_env: Collection[str] = (),
    keep_image: Collection[str] = (),
) -> dict[str, Any]:
    """A partial ``PUT`` body that writes ``paths`` of ``view`` (the desired view).

    The API replaces some values whole, so they are sent whole: the image (all the options the spec
    states, the registry credentials, and the live values of options listed in ``keep_image``: the
    spec's ``ignore_changes``), ``env`` (with the live values of ``keep_env``), ``command``,
    ``args`` and ``tags``; a scaling metric is sent with its ``measure``. ``secrets`` is ``"send"``
    (the spec's values, and the image too when it carries registry credentials: a rotated password
    lives there), ``"remove"`` (``{}``: the spec dropped every secret hfleet had set) or None.
    Tags are sent whenever the secrets are (they carry the fingerprint: ``fingerprint`` when sending,
    none when removing, the live one otherwise). Immutable paths are never sent: that is a replace.
    """
    payload: dict[str, Any] = {}
    image = False
    for path in paths:
        if ownership.field_for(path).mutability is not ownership.Mutability.MUTABLE:
            continue
        if path.startswith("model.image"):
            image = True  # sent whole, once, however many of its paths changed
        elif path == "compute.scaling.metric" or path.startswith("compute.scaling.measure."):
            _set(payload, "compute.scaling.metric", spec.scaling_metric)
            _set(payload, "compute.scaling.measure", {spec.scaling_metric: spec.scaling_threshold})
        elif path == "model.env":
            _set(payload, path, _env_to_send(view.get(path), live, keep_env))
        else:
            _set(payload, path, view.get(path))
    if _put_secrets(payload, secrets, spec, view, resolve, fingerprint, live) or image:
        _set(payload, "model.image", _image_to_send(spec, resolve, live, keep_image))
    return payload


def _env_to_send(
    wanted: Mapping[str, str] | None, live: EndpointRecord | None, keep: Collection[str]
) -> dict[str, str]:
    """The spec's ``env`` plus the live values of the keys it ignores: the API replaces ``env``
    whole, so a key left out would be removed."""
    env = dict(wanted or {})
    for key in keep:
        if live is not None and live.env and key in live.env:
            env[key] = live.env[key]
    return env


def _put_secrets(
    payload: dict[str, Any],
    secrets: str | None,
    spec: spec_models.EndpointSpec,
    view: Mapping[str, Any],
    resolve: Resolver,
    fingerprint: str | None,
    live: EndpointRecord | None,
) -> bool:
    """Write ``model.secrets`` and the tags that carry their fingerprint (see ``update_payload``).
    True when the image must be sent too: it holds the registry password being sent."""
    if secrets == "send":
        _set(payload, "model.secrets", _secrets(spec, resolve))
        payload["tags"] = with_fingerprint(view["tags"], fingerprint)
        return spec.image is not None and spec.image.credentials is not None
    if secrets == "remove":
        _set(payload, "model.secrets", {})
        payload["tags"] = with_fingerprint(view["tags"], None)
    elif "tags" in payload:
        live_fingerprint = ownership.fingerprint_of(live.tags) if live is not None else None
        payload["tags"] = with_fingerprint(payload["tags"], live_fingerprint)
    return False


def _image_to_send(
    spec: spec_models.EndpointSpec, resolve: Resolver, live: EndpointRecord | None, keep: Collection[str]
) -> dict[str, Any]:
    """The spec's whole image with its credentials, and the live values of the options it ignores
    (only within the same variant: another variant's options mean nothing here)."""
    body = image_wire(spec, _password(spec, resolve))
    variant = next(iter(body))
    if live is not None and live.image_variant == variant:
        for key in keep:
            live_body = (live.image or {}).get(variant) or {}
            if key in live_body:
                body[variant][key] = live_body[key]
    return body
