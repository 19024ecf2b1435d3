"""The spec language: what users write in ``specs/*.yaml``.

Owns: the pydantic models of a fleet document and an endpoint document and their field-level rules,
and the vocabulary of ``ignore_changes`` (``IGNORABLE_FIELDS``, ``check_ignore_entry``).
Called by: ``reconciler.spec.loader`` (validation), the engine (payloads, field ownership) and
``hfleet schema`` (the JSON Schema). Must not: read files or talk to the network. The image lives in
``spec.image``, secret references in ``spec.secrets`` and naming rules in ``spec.names``; the names
are re-exported here (``models.ImageSpec``...) because they are part of the models' surface.

Keys follow huggingface_hub's ``create_inference_endpoint`` argument names where one exists
(``instance_type``, ``min_replica``, ``container_command``...). Models are frozen, strict (``"2"`` is not
an integer) and forbid unknown keys; the loader turns every pydantic error into a located problem.

Access types. ``type`` has no default: every endpoint (or the fleet's ``defaults``) states it, because
the choice decides who can call, and bill, the endpoint, and no source settles a safe default.
Sources (the project's reference notes, real-api-evidence.md, "Access types"): the Inference Endpoints
documentation (hf-endpoints-documentation @ 6b7307ab, ``guides/configuration.md``, "Authentication")
says **public** is anyone without a token and **authenticated** is anyone with a Hugging Face
account, with their own token; huggingface_hub commit 558987464 (2026-06) made ``authenticated``
the SDK's default ("token-gated, publicly reachable") and deprecated ``protected`` in its favour.
**private** is PrivateLink in the API, so it needs ``private_link_account_id`` (issue 14, the
Terraform providers' ``privateService``). ``protected`` is refused in specs as the legacy name of
``authenticated``; a live endpoint of type ``protected`` is left as it is (the engine treats the two
as one value and never replaces an endpoint for it).
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    WithJsonSchema,
    field_validator,
)

from reconciler import durations
from reconciler.schedule import models as schedule_models
from reconciler.spec import hints, image, names, secrets

__all__ = [
    "ACCESS_TYPES",
    "IGNORABLE_FIELDS",
    "IMAGE_VARIANTS",
    "VARIANT_OPTIONS",
    "EndpointSpec",
    "EndpointType",
    "FleetSpec",
    "ImageSpec",
    "PowerState",
    "RegistryCredentials",
    "SecretRef",
    "SmokeSpec",
    "check_ignore_entry",
    "did_you_mean",
]

# Re-exports: these are fields' types of the models below (see the module docstring).
ImageSpec = image.ImageSpec
RegistryCredentials = image.RegistryCredentials
IMAGE_VARIANTS = image.IMAGE_VARIANTS
VARIANT_OPTIONS = image.VARIANT_OPTIONS
SecretRef = secrets.SecretRef
_refuse_literal = secrets.refuse_literal
did_you_mean = hints.did_you_mean

_FLEET_NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, populate_by_name=False)


class PowerState(StrEnum):
    """The power state a spec asks for. Maps to the API's resume / pause / scale-to-zero calls."""

    RUNNING = "running"
    PAUSED = "paused"
    SCALED_TO_ZERO = "scaled_to_zero"


class EndpointType(StrEnum):
    """Who may call the endpoint (see "Access types" in the module docstring)."""

    PUBLIC = "public"
    AUTHENTICATED = "authenticated"
    PRIVATE = "private"


# One line a user reads when ``type`` is missing or wrong.
ACCESS_TYPES = (
    "public (anyone, no token), authenticated (any Hugging Face account's token can call it, "
    "and bill you), private (PrivateLink; needs private_link_account_id)"
)
_PROTECTED = (
    "type 'protected' is the legacy name of 'authenticated' (deprecated by huggingface_hub in 2026): "
    "write type: authenticated; a live endpoint of type protected is left as it is"
)


def _access_type(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lower() == "protected":
        raise ValueError(_PROTECTED)
    if isinstance(value, str) and value not in EndpointType.__members__.values():
        choices = [member.value for member in EndpointType]
        raise ValueError(hints.did_you_mean(f"unknown type {value!r}", value, choices) + f"; {ACCESS_TYPES}")
    return value


# Spec fields that map to an API field hfleet may update in place: what ``ignore_changes`` may name.
IGNORABLE_FIELDS: tuple[str, ...] = (
    "repository",
    "revision",
    "framework",
    "task",
    "accelerator",
    "instance_type",
    "instance_size",
    "min_replica",
    "max_replica",
    "scale_to_zero_timeout",
    "scaling_metric",
    "scaling_threshold",
    "image",
    "env",
    "tags",
    "domain",
    "path",
    "cache_http_responses",
    "container_command",
    "container_args",
)
_NOT_IGNORABLE = {
    "vendor": "it cannot change in place (a change replaces the endpoint; see allow_replace)",
    "region": "it cannot change in place (a change replaces the endpoint; see allow_replace)",
    "type": "it cannot change in place (a change replaces the endpoint; see allow_replace)",
    "private_link_account_id": "it cannot change in place (a change replaces the endpoint)",
    "private_link_region": "it cannot change in place (a change replaces the endpoint)",
    "secrets": "secrets are compared by fingerprint and only re-sent when a value rotates",
    "state": "the power state is an action, not a field: use state or a schedule",
}


def check_ignore_entry(entry: str) -> str:
    """One ``ignore_changes`` entry: a field of ``IGNORABLE_FIELDS``, ``image.<key>`` or ``env.<NAME>``."""
    head, dot, rest = entry.partition(".")
    if not dot and entry in IGNORABLE_FIELDS:
        return entry
    if dot and head == "image":
        if rest in image.IMAGE_KEYS:
            return entry
        message = f"unknown image key {rest!r} in ignore_changes entry {entry!r}"
        return _raise(hints.did_you_mean(message, rest, list(image.IMAGE_KEYS)))
    if dot and head == "env":
        if names.is_env_name(rest):
            return entry
        return _raise(f"{rest!r} in ignore_changes entry {entry!r} is not an environment variable name")
    if entry in _NOT_IGNORABLE:
        return _raise(f"{entry!r} cannot be ignored: {_NOT_IGNORABLE[entry]}")
    choices = [*IGNORABLE_FIELDS, "image.<key>", "env.<NAME>"]
    return _raise(hints.did_you_mean(f"unknown field {entry!r} in ignore_changes", entry, choices))


def _raise(message: str) -> str:
    raise ValueError(message)


def _whole_minutes(value: Any) -> Any:
    """``scale_to_zero_timeout``: minutes, or a duration; the wire wants whole minutes."""
    if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
        what = "scale_to_zero_timeout"
        return durations.whole_minutes(durations.parse(value, unit="m", what=what), what)
    return value


class SmokeSpec(_Model):
    """A probe run after deploy (``hfleet smoke``, ``apply --smoke``).

    ``task`` picks the call (defaults to the endpoint's task); ``input`` is the request's input;
    ``expect`` lists what must hold of the answer.
    """

    task: str | None = None
    input: str | list[str] | dict[str, Any] | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)
    expect_status: int = 200
    expect_contains: str | None = None
    expect_label: str | None = None
    non_empty: bool = True
    max_latency_ms: int | None = Field(default=None, gt=0)
    timeout_s: float = Field(default=60.0, gt=0)
    enabled: bool = True


def _schedule_kind(value: Any) -> str:
    return "ScheduleSpec" if isinstance(value, dict | schedule_models.ScheduleSpec) else "str"


# A name or an inline schedule; discriminated so that a bad inline schedule reports only its own
# problems (not also "Input should be a valid string").
_ScheduleRef = Annotated[
    Annotated[str, Tag("str")] | Annotated[schedule_models.ScheduleSpec, Tag("ScheduleSpec")],
    Discriminator(_schedule_kind),
]


class EndpointSpec(_Model):
    """One Inference Endpoint as the team wants it. Unset fields fall back to the fleet's ``defaults``.

    After loading, ``type`` and the fields of ``loader.REQUIRED_AFTER_DEFAULTS`` are always set.
    """

    name: str = Field(description="Endpoint name: lowercase letters, digits and '-', at most 32 characters.")
    namespace: str | None = Field(default=None, description="User or organization; defaults to the fleet's.")
    repository: str | None = Field(default=None, description="Model repository on the Hub, e.g. 'gpt2'.")
    revision: str | None = Field(default=None, description="Commit SHA or branch of the repository.")
    framework: str | None = Field(default=None, description="pytorch, custom, ... (default pytorch).")
    task: str | None = Field(default=None, description="text-generation, feature-extraction, ...")
    accelerator: Literal["cpu", "gpu", "neuron"] | None = None
    vendor: str | None = Field(default=None, description="aws, gcp, azure.")
    region: str | None = Field(default=None, description="us-east-1, eu-west-1, ...")
    instance_type: str | None = Field(default=None, description="intel-spr, nvidia-l4, ...")
    instance_size: str | None = Field(default=None, description="x1, x2, x4, ...")
    type: Annotated[EndpointType | None, Field(strict=False), BeforeValidator(_access_type)] = Field(
        default=None, description="Required: " + ACCESS_TYPES + "."
    )
    min_replica: int | None = Field(default=None, ge=0)
    max_replica: int | None = Field(default=None, ge=1)
    scale_to_zero_timeout: Annotated[
        int | None,
        BeforeValidator(_whole_minutes),
        WithJsonSchema({"type": ["integer", "string", "null"]}),
    ] = Field(
        default=None,
        ge=1,
        description="Idle time before scaling to zero: minutes (15) or a duration ('15m', '1h').",
    )
    scaling_metric: Literal["hardwareUsage", "pendingRequests"] | None = None
    scaling_threshold: float | None = Field(default=None, gt=0)
    image: ImageSpec | None = Field(
        default=None, description="Container: {tgi|tei|vllm|custom|...: {url, ...}}."
    )
    env: dict[str, str] | None = None
    secrets: dict[str, Annotated[SecretRef, BeforeValidator(_refuse_literal)]] | None = None
    tags: list[str] | None = Field(
        default=None, description="Your tags; the prefix 'hfleet' is reserved for hfleet's own."
    )
    domain: str | None = None
    path: str | None = None
    cache_http_responses: bool | None = None
    container_command: list[str] | None = None
    container_args: list[str] | None = None
    private_link_account_id: str | None = None
    private_link_region: str | None = None
    state: Annotated[PowerState | None, Field(strict=False)] = Field(
        default=None, description="running | paused | scaled_to_zero."
    )
    schedule: _ScheduleRef | None = Field(
        default=None, description="The name of a fleet schedule, or an inline schedule."
    )
    schedule_override: schedule_models.OverrideSpec | None = None
    smoke: SmokeSpec | None = None
    protect: bool | None = Field(default=None, description="Never delete this endpoint, even with --prune.")
    ignore_changes: list[str] | None = Field(
        default=None,
        description="Fields hfleet never updates on this endpoint (a field name, image.<key> or "
        "env.<NAME>); unioned with the defaults' list.",
    )
    allow_replace: bool = Field(
        default=False,
        description="Consent to delete and re-create this endpoint when vendor, region, type or "
        "private link change (they cannot change in place).",
    )

    @field_validator("name")
    @classmethod
    def _api_name(cls, value: str) -> str:
        return names.check_endpoint_name(value)

    @field_validator("namespace")
    @classmethod
    def _namespace(cls, value: str | None) -> str | None:
        return None if value is None else names.check_namespace(value)

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and len(value) > names.MAX_USER_TAGS:
            raise ValueError(f"at most {names.MAX_USER_TAGS} tags (got {len(value)})")
        for i, tag in enumerate(value or []):
            try:
                names.check_user_tag(tag)
            except ValueError as exc:
                raise ValueError(hints.at_path(str(i), str(exc))) from None
        return value

    @field_validator("env")
    @classmethod
    def _env_names(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        for key in value or {}:
            if not names.is_env_name(key):
                raise ValueError(f"{key!r} is not a valid environment variable name")
        return value

    @field_validator("ignore_changes")
    @classmethod
    def _ignore(cls, value: list[str] | None) -> list[str] | None:
        for i, entry in enumerate(value or []):
            try:
                check_ignore_entry(entry)
            except ValueError as exc:
                raise ValueError(hints.at_path(str(i), str(exc))) from None
        return None if value is None else list(dict.fromkeys(value))

    @field_validator("path")
    @classmethod
    def _route_path(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("/"):
            raise ValueError("path must start with '/'")
        return value


class FleetSpec(_Model):
    """The fleet's identity and shared settings. Exactly one fleet document across all spec files."""

    kind: Literal["Fleet"] = "Fleet"
    name: str = Field(
        description="The fleet's identity; endpoints hfleet creates carry the tag hfleet:<name>."
    )
    namespace: str = Field(description="Default user or organization of the endpoints.")
    defaults: dict[str, Any] = Field(
        default_factory=dict, description="Endpoint fields applied to every endpoint that does not set them."
    )
    schedules: dict[str, schedule_models.ScheduleSpec] = Field(default_factory=dict)
    endpoints: list[dict[str, Any]] = Field(
        default_factory=list, description="Endpoints (also allowed in own files)."
    )

    @field_validator("name")
    @classmethod
    def _fleet_name(cls, value: str) -> str:
        if _FLEET_NAME.fullmatch(value) is None:
            raise ValueError("fleet name must be lowercase letters, digits and '-', at most 63 characters")
        return value

    @field_validator("namespace")
    @classmethod
    def _namespace(cls, value: str) -> str:
        return names.check_namespace(value)
