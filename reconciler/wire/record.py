"""An endpoint as the API reports it, validated at the boundary: ``EndpointRecord`` and ``parse``.

Owns: the typed model of ``EndpointWithStatus`` (the answer of GET, list items, PUT, pause, resume
and scale-to-zero), the endpoint states, timestamp parsing, and scrubbing secret values out of what
we keep. Called by: ``reconciler.engine.live`` (every listed endpoint goes through ``parse``),
``reconciler.engine.apply`` (read-backs) and ``reconciler.wire.convert``.
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

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any
from urllib.parse import urlsplit

import pydantic
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from reconciler import errors
from reconciler.spec import names

__all__ = [
    "EndpointRecord",
    "Health",
    "MalformedRecord",
    "State",
    "health_of",
    "parse",
    "parse_time",
]

MAX_TEXT = 4096  # longest string we accept in a field we print or compare
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
    if len(value) > MAX_TEXT:
        raise ValueError(f"longer than {MAX_TEXT} characters")
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


# --- the wire schema: only what hfleet reads; unknown keys are ignored here and kept in ``raw`` ------


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, strict=True, populate_by_name=True)


Text = Annotated[str, StringConstraints(max_length=MAX_TEXT)]
Count = Annotated[int, Field(ge=0, le=100_000)]


# Fields the API documents as required, and that hfleet's decisions read, are required here: a record
# without them cannot be compared, so it is reported as malformed and never acted upon.
class _Scaling(_Wire):
    min_replica: Count = Field(alias="minReplica")
    max_replica: Count = Field(alias="maxReplica")
    scale_to_zero_timeout: Count | None = Field(None, alias="scaleToZeroTimeout")
    metric: Text | None = None
    measure: dict[Text, float | None] | None = None


class _Compute(_Wire):
    accelerator: Text | None = None
    instance_type: Text = Field(alias="instanceType")
    instance_size: Text = Field(alias="instanceSize")
    id: Text | None = None
    scaling: _Scaling


class _Provider(_Wire):
    vendor: Text
    region: Text


class _Model(_Wire):
    repository: Text
    framework: Text | None = None
    revision: Text | None = None
    task: Text | None = None
    image: dict[Text, dict[Text, Any] | None] | None = None
    env: dict[Text, Text] | None = None
    secrets: dict[Text, Any] | None = None
    secret: dict[Text, Any] | None = None  # the 2023 spelling
    command: list[Text] | None = None
    args: list[Text] | None = None


class _Route(_Wire):
    domain: Text | None = None
    path: Text | None = None


class _Status(_Wire):
    state: Text
    message: Text | None = None
    error_message: Text | None = Field(None, alias="errorMessage")
    url: Text | None = None
    ready_replica: Count | None = Field(None, alias="readyReplica")
    target_replica: Count | None = Field(None, alias="targetReplica")
    created_at: Any = Field(None, alias="createdAt")
    updated_at: Any = Field(None, alias="updatedAt")


class _Endpoint(_Wire):
    name: Text
    type: Text | None = None
    provider: _Provider
    compute: _Compute
    model: _Model
    route: _Route | None = None
    tags: list[Text] | None = None
    cache_http_responses: bool | None = Field(None, alias="cacheHttpResponses")
    experimental_features: dict[Text, Any] | None = Field(None, alias="experimentalFeatures")
    private_service: dict[Text, Any] | None = Field(None, alias="privateService")
    status: _Status


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
    """A deep copy of ``raw`` with every secret value removed (keys of ``model.secrets`` kept)."""
    clean = copy.deepcopy(raw)
    model = clean.get("model")
    if isinstance(model, dict):
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
    """Validate one endpoint object of ``namespace``; raise ``MalformedRecord`` if it is not one."""
    label = _name_of(obj)
    if not isinstance(obj, dict):
        raise MalformedRecord(label, [f"expected a JSON object, got {type(obj).__name__}"])
    try:
        wire = _Endpoint.model_validate(obj)
    except pydantic.ValidationError as exc:
        raise MalformedRecord(label, [_problem(e) for e in exc.errors()[:5]]) from None
    problems: list[str] = []
    if not names.is_endpoint_name(wire.name):
        problems.append(f"name {wire.name[:80]!r} is not a valid endpoint name")
    if not names.is_namespace(namespace):
        problems.append(f"namespace {namespace[:80]!r} is not a valid namespace")
    # Tags are not checked against the spec's (assumed) tag rules: a tag someone set in the UI must
    # not make the endpoint unmanageable. Only what could corrupt output or a request is refused.
    for tag in wire.tags or ():
        if _CONTROL.search(tag):
            problems.append(f"tag {tag[:80]!r} contains control characters")
    times: list[datetime | None] = []
    for what, value in (("createdAt", wire.status.created_at), ("updatedAt", wire.status.updated_at)):
        try:
            times.append(parse_time(value))
        except ValueError as exc:
            problems.append(f"status.{what}: {exc}")
            times.append(None)
    url: str | None = None
    try:
        url = _check_url(wire.status.url)
        _plain(wire.status.state)
    except ValueError as exc:
        problems.append(str(exc))
    if problems:
        raise MalformedRecord(label, problems)
    model, compute, scaling, status = wire.model, wire.compute, wire.compute.scaling, wire.status
    secrets = model.secrets if model.secrets is not None else model.secret
    cache = wire.cache_http_responses
    if cache is None and isinstance(wire.experimental_features, dict):
        flag = wire.experimental_features.get("cacheHttpResponses")
        cache = flag if isinstance(flag, bool) else None
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
        cache_http_responses=cache,
        private_service=wire.private_service,
        state=status.state,
        message=status.error_message or status.message or "",
        url=url,
        ready_replica=status.ready_replica or 0,
        target_replica=status.target_replica or 0,
        created_at=times[0],
        updated_at=times[1],
        raw=_scrub(obj),
    )
