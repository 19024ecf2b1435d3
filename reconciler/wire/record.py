"""An endpoint as the API reports it, validated at the boundary: ``EndpointRecord`` and ``parse``.

Owns: the typed record of ``EndpointWithStatus`` (the answer of GET, list items, PUT, pause, resume
and scale-to-zero; its wire shape is in ``reconciler.wire.schema``), the endpoint states, timestamp
parsing, and scrubbing secret values out of what we keep. Called by: ``reconciler.engine.live``
(every listed endpoint goes through ``parse``), ``reconciler.engine.apply`` (read-backs) and
``reconciler.wire.convert``.
Must not: talk to the network or decide anything about the fleet.

Everything the server sends is untrusted. ``parse`` turns one JSON object into a record or raises
``MalformedRecord`` naming the endpoint and the bad fields, so one broken endpoint is reported and
left alone while the others proceed; a wrong JSON type never becomes a traceback. A name, namespace
or URL that breaks the API's own rules (a path segment ``.``, ``..``, ``a/b``, a newline) is
malformed: such a value must never reach a request path. Unknown keys are kept in ``raw`` (the
server adds fields over time; they are never compared), but secret values are dropped on arrival:
``model.secrets`` (and the legacy ``model.secret``) keep their keys only, registry passwords are
removed, so no output built from a record can print one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

import pydantic

from reconciler import errors
from reconciler.spec import names
from reconciler.wire import schema

__all__ = [
    "EndpointRecord",
    "Health",
    "MalformedRecord",
    "State",
    "health_of",
    "parse",
    "parse_time",
]

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class State(StrEnum):
    """The API's ``EndpointState`` (identical in the 2023 spec, huggingface_hub 2.4.0 and the docs)."""

    PENDING = "pending"
    INITIALIZING = "initializing"
    UPDATING = "updating"
    UPDATE_FAILED = "updateFailed"
    RUNNING = "running"
    PAUSED = "paused"
    FAILED = "failed"
    SCALED_TO_ZERO = "scaledToZero"


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
    State.RUNNING: Health.STABLE,
    State.PAUSED: Health.OFF,
    State.SCALED_TO_ZERO: Health.OFF,
    State.PENDING: Health.TRANSITIONAL,
    State.INITIALIZING: Health.TRANSITIONAL,
    State.UPDATING: Health.TRANSITIONAL,
    State.FAILED: Health.FAILED,
    State.UPDATE_FAILED: Health.FAILED,
}


def health_of(state: str) -> Health:
    """Unknown states are transitional: never write on top of what we do not understand."""
    try:
        return _HEALTH[State(state)]
    except ValueError:
        return Health.TRANSITIONAL


class MalformedRecord(errors.ReconcilerError):
    """An endpoint object the API sent that breaks its own schema; it is reported and left alone."""

    def __init__(self, name: str, problems: list[str]) -> None:
        self.name = name
        self.problems = problems
        super().__init__(f"{name}: the API sent a malformed endpoint ({'; '.join(problems)})")


def _text(value: str) -> str:
    if len(value) > schema.MAX_TEXT:
        raise ValueError(f"longer than {schema.MAX_TEXT} characters")
    return value


def _plain(value: str) -> str:
    """A short identifier: no control characters (no newline, no escape sequence)."""
    _text(value)
    if _CONTROL.search(value):
        raise ValueError("contains control characters")
    return value


def parse_time(value: object) -> datetime | None:
    """An API timestamp as an aware instant, or None when absent.

    Accepts what the API sends: RFC 3339 with ``Z`` or an offset, and any number of fractional
    digits (the API sends nanoseconds, ``2023-10-26T12:41:53.263078506Z``; Python keeps
    microseconds). A timestamp without an offset is read as UTC. Raises ValueError otherwise.
    """
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 64:
        raise ValueError("not an RFC 3339 timestamp")
    match = re.fullmatch(
        r"(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}(?::\d{2})?)(?:\.(\d+))?([Zz]|[+-]\d{2}:?\d{2})?", value.strip()
    )
    if match is None:
        raise ValueError(f"{value!r} is not an RFC 3339 timestamp")
    day, clock, fraction, zone = match.groups()
    text = f"{day}T{clock}"
    if fraction:
        text += "." + fraction[:6].ljust(6, "0")
    if zone and zone not in ("Z", "z"):
        text += zone if ":" in zone else f"{zone[:3]}:{zone[3:]}"
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


@dataclass(frozen=True)
class EndpointRecord:
    """One endpoint as the API reported it, validated; ``raw`` is the JSON without secret values."""

    namespace: str
    name: str
    type: str | None
    vendor: str | None
    region: str | None
    accelerator: str | None
    instance_type: str | None
    instance_size: str | None
    min_replica: int | None
    max_replica: int | None
    scale_to_zero_timeout: int | None
    scaling_metric: str | None
    scaling_measure: Mapping[str, float | None] | None
    repository: str | None
    framework: str | None
    revision: str | None
    task: str | None
    image: Mapping[str, Mapping[str, Any]] | None
    env: Mapping[str, str] | None
    secret_keys: frozenset[str]
    command: tuple[str, ...] | None
    args: tuple[str, ...] | None
    domain: str | None
    path: str | None
    tags: tuple[str, ...]
    cache_http_responses: bool | None
    private_service: Mapping[str, Any] | None
    state: str
    message: str
    url: str | None
    health_route: str | None
    ready_replica: int
    target_replica: int
    created_at: datetime | None
    updated_at: datetime | None
    raw: dict[str, Any] = field(repr=False, compare=False)

    @property
    def key(self) -> tuple[str, str]:
        return (self.namespace, self.name)

    @property
    def health(self) -> Health:
        return health_of(self.state)

    @property
    def last_change(self) -> datetime | None:
        """When the endpoint was last deployed or updated (feeds a schedule's grace period)."""
        return self.updated_at or self.created_at

    @property
    def image_variant(self) -> str | None:
        if not self.image or len(self.image) != 1:
            return None
        return next(iter(self.image))


def _scrub(raw: dict[str, Any]) -> dict[str, Any]:
    """``raw`` with every secret value removed (keys of ``model.secrets`` kept).

    Only the path to what changes is copied (the top level, ``model``, its image and variant
    bodies); the rest is shared with the parsed answer, which nothing writes to. A deep copy of
    every listed endpoint was the largest cost of planning 10,000 of them.
    """
    clean = dict(raw)
    model = clean.get("model")
    if isinstance(model, dict):
        model = clean["model"] = dict(model)
        if isinstance(model.get("image"), dict):
            model["image"] = {k: dict(v) if isinstance(v, dict) else v for k, v in model["image"].items()}
        for key in ("secrets", "secret"):
            if isinstance(model.get(key), dict):
                model[key] = {str(k): "***" for k in model[key]}
            elif key in model and model[key] is not None:
                model[key] = "***"
        image = model.get("image")
        if isinstance(image, dict):
            for body in image.values():
                if isinstance(body, dict) and isinstance(body.get("credentials"), dict):
                    body["credentials"] = {
                        k: ("***" if k != "username" else v) for k, v in body["credentials"].items()
                    }
    return clean


def _check_url(url: str | None) -> str | None:
    if url is None or url == "":
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or _CONTROL.search(url):
        raise ValueError(f"status.url {url[:80]!r} is not an http(s) URL")
    return url


def _image(value: Mapping[str, Mapping[str, Any] | None] | None) -> dict[str, dict[str, Any]] | None:
    if value is None:
        return None
    out: dict[str, dict[str, Any]] = {}
    for variant, body in value.items():
        clean = {k: v for k, v in (body or {}).items() if k != "credentials"}
        out[variant] = clean
    return out


def _problem(error: Any) -> str:
    where = ".".join(str(p) for p in error.get("loc", ())) or "(top level)"
    return f"{where}: {error.get('msg', 'invalid')}"


def _name_of(obj: object) -> str:
    name = obj.get("name") if isinstance(obj, dict) else None
    if isinstance(name, str) and name and len(name) <= 64 and not _CONTROL.search(name):
        return name
    return "(an endpoint without a readable name)"


def parse(namespace: str, obj: object) -> EndpointRecord:
    """Validate one endpoint object of ``namespace``; raise ``MalformedRecord`` if it is not one.

    First the shape (``schema.Endpoint``: one bad type ends there), then the rules a shape cannot
    state, all reported together, and only then the record: nothing half-checked is ever built."""
    label = _name_of(obj)
    if not isinstance(obj, dict):
        raise MalformedRecord(label, [f"expected a JSON object, got {type(obj).__name__}"])
    wire = _validated(label, obj)
    created_at, updated_at, time_problems = _times(wire.status)
    url, url_problems = _url_and_state(wire.status)
    problems = _identity_problems(namespace, wire) + time_problems + url_problems
    if problems:
        raise MalformedRecord(label, problems)
    return _record(namespace, wire, obj, url=url, created_at=created_at, updated_at=updated_at)


def _validated(label: str, obj: dict[str, Any]) -> schema.Endpoint:
    """``obj`` as the wire model; at most five of pydantic's complaints, so a hostile answer stays
    a short report."""
    try:
        return schema.Endpoint.model_validate(obj)
    except pydantic.ValidationError as exc:
        raise MalformedRecord(label, [_problem(e) for e in exc.errors()[:5]]) from None


def _identity_problems(namespace: str, wire: schema.Endpoint) -> list[str]:
    """What in the name, namespace or tags could corrupt a request path or the output.

    Tags are not checked against the spec's (assumed) tag rules: a tag someone set in the UI must
    not make the endpoint unmanageable."""
    problems: list[str] = []
    if not names.is_endpoint_name(wire.name):
        problems.append(f"name {wire.name[:80]!r} is not a valid endpoint name")
    if not names.is_namespace(namespace):
        problems.append(f"namespace {namespace[:80]!r} is not a valid namespace")
    for tag in wire.tags or ():
        if _CONTROL.search(tag):
            problems.append(f"tag {tag[:80]!r} contains control characters")
    return problems


def _times(status: schema.Status) -> tuple[datetime | None, datetime | None, list[str]]:
    """``createdAt`` and ``updatedAt`` as instants, and what is wrong with either (both are read,
    so a report names every bad one at once)."""
    times: list[datetime | None] = []
    problems: list[str] = []
    for what, value in (("createdAt", status.created_at), ("updatedAt", status.updated_at)):
        try:
            times.append(parse_time(value))
        except ValueError as exc:
            problems.append(f"status.{what}: {exc}")
            times.append(None)
    return times[0], times[1], problems


def _url_and_state(status: schema.Status) -> tuple[str | None, list[str]]:
    """The checked ``status.url``, and a problem if it or the state could reach a request or the
    terminal as something else than plain text."""
    try:
        url = _check_url(status.url)
        _plain(status.state)
    except ValueError as exc:
        return None, [str(exc)]
    return url, []


def _health_route(value: str | None) -> str | None:
    """The top-level ``healthRoute`` as a path smoke tests may call with the token: a plain string
    starting with ``/`` (bounded by the schema's text limit), else None (the default route)."""
    if value is None or not value.startswith("/") or _CONTROL.search(value) or "//" in value:
        return None
    return value


def _cache_flag(wire: schema.Endpoint) -> bool | None:
    """``cacheHttpResponses``: at the top level, or where older answers put it (under
    ``experimentalFeatures``), so both spellings compare alike."""
    if wire.cache_http_responses is not None or not isinstance(wire.experimental_features, dict):
        return wire.cache_http_responses
    flag = wire.experimental_features.get("cacheHttpResponses")
    return flag if isinstance(flag, bool) else None


def _record(
    namespace: str,
    wire: schema.Endpoint,
    raw: dict[str, Any],
    *,
    url: str | None,
    created_at: datetime | None,
    updated_at: datetime | None,
) -> EndpointRecord:
    """The record of a checked answer: flat fields the engine compares, ``raw`` without secrets."""
    model, compute, scaling, status = wire.model, wire.compute, wire.compute.scaling, wire.status
    secrets = model.secrets if model.secrets is not None else model.secret
    return EndpointRecord(
        namespace=namespace,
        name=wire.name,
        type=wire.type,
        vendor=wire.provider.vendor,
        region=wire.provider.region,
        accelerator=compute.accelerator,
        instance_type=compute.instance_type,
        instance_size=compute.instance_size,
        min_replica=scaling.min_replica,
        max_replica=scaling.max_replica,
        scale_to_zero_timeout=scaling.scale_to_zero_timeout,
        scaling_metric=scaling.metric,
        scaling_measure=scaling.measure,
        repository=model.repository,
        framework=model.framework,
        revision=model.revision,
        task=model.task,
        image=_image(model.image),
        env=model.env,
        secret_keys=frozenset(secrets or ()),
        command=tuple(model.command) if model.command is not None else None,
        args=tuple(model.args) if model.args is not None else None,
        domain=wire.route.domain if wire.route else None,
        path=wire.route.path if wire.route else None,
        tags=tuple(wire.tags or ()),
        cache_http_responses=_cache_flag(wire),
        private_service=wire.private_service,
        state=status.state,
        message=status.error_message or status.message or "",
        url=url,
        health_route=_health_route(wire.health_route),
        ready_replica=status.ready_replica or 0,
        target_replica=status.target_replica or 0,
        created_at=created_at,
        updated_at=updated_at,
        raw=_scrub(raw),
    )
