"""The spec language: what users write in ``specs/*.yaml``.

Owns: the pydantic models of a fleet document and an endpoint document, their field-level rules, and
the mapping of image variants to the API's keys.
Called by: ``reconciler.spec.loader`` (validation), ``reconciler.engine.desired`` (building payloads) and
``hfleet schema`` (the JSON Schema). Must not: read files or talk to the network.

Keys follow huggingface_hub's ``create_inference_endpoint`` argument names where one exists
(``instance_type``, ``min_replica``, ``container_command``...). Models are frozen, strict (``"2"`` is not
an integer) and forbid unknown keys; the loader turns every pydantic error into a located problem.
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
    field_validator,
    model_validator,
)

from reconciler.schedule import models as schedule_models

__all__ = [
    "API_NAME_RE",
    "IMAGE_VARIANTS",
    "EndpointSpec",
    "EndpointType",
    "FleetSpec",
    "ImageSpec",
    "PowerState",
    "RegistryCredentials",
    "SecretRef",
    "SmokeSpec",
    "did_you_mean",
]

API_NAME_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$")
_ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, populate_by_name=False)


class PowerState(StrEnum):
    """The power state a spec asks for. Maps to the API's resume / pause / scale-to-zero calls."""

    RUNNING = "running"
    PAUSED = "paused"
    SCALED_TO_ZERO = "scaled_to_zero"


class EndpointType(StrEnum):
    """Who may call the endpoint. ``protected`` is refused: the API makes it unreachable (hf_hub #4314)."""

    PUBLIC = "public"
    AUTHENTICATED = "authenticated"
    PRIVATE = "private"


class SecretRef(_Model):
    """Where a secret's value comes from at apply time. A literal value in git is refused.

    ``from_env`` names an environment variable; ``from_file`` a file (e.g. a Kubernetes-mounted
    Secret). The value is read only when a payload is built, and never printed or logged.
    """

    from_env: str | None = Field(default=None, description="Environment variable holding the value.")
    from_file: str | None = Field(default=None, description="Path of a file holding the value.")

    @model_validator(mode="after")
    def _exactly_one(self) -> SecretRef:
        if (self.from_env is None) == (self.from_file is None):
            raise ValueError("give exactly one of from_env or from_file")
        if self.from_env is not None and not _ENV_NAME_RE.match(self.from_env):
            raise ValueError(f"from_env must be an environment variable name, not {self.from_env!r}")
        return self


def at_path(sub: str, message: str) -> str:
    """Tag a validator's message with a sub-path below the field (the loader moves the location there)."""
    return f"@{sub}@ {message}"


def _refuse_literal_secret(value: Any) -> Any:
    if isinstance(value, str | int | float | bool):
        raise ValueError(
            "literal secret values are not allowed in specs; use {from_env: NAME} or {from_file: PATH}"
        )
    return value


class RegistryCredentials(_Model):
    """Credentials of a private container registry (custom images only)."""

    username: str
    password: SecretRef = Field(description="A reference: {from_env: NAME} or {from_file: PATH}.")

    @field_validator("password", mode="before")
    @classmethod
    def _no_literal(cls, value: Any) -> Any:
        return _refuse_literal_secret(value)


# Variant name in the spec → key in the API's ``model.image`` oneOf.
IMAGE_VARIANTS: dict[str, str] = {
    "huggingface": "huggingface",
    "huggingface_neuron": "huggingfaceNeuron",
    "tgi": "tgi",
    "tgi_neuron": "tgiNeuron",
    "tei": "tei",
    "llamacpp": "llamacpp",
    "vllm": "vLLM",
    "vllm_neuron": "vLLMNeuron",
    "sglang": "sGLang",
    "hf_serve": "hfServe",
    "custom": "custom",
}

# Options of each variant (snake_case in the spec, camelCase on the wire), beyond url/port/health_route.
VARIANT_OPTIONS: dict[str, tuple[str, ...]] = {
    "huggingface": (),
    "huggingface_neuron": ("batch_size", "neuron_cache", "sequence_length"),
    "tgi": (
        "max_batch_prefill_tokens",
        "max_batch_total_tokens",
        "max_input_length",
        "max_total_tokens",
        "disable_custom_kernels",
        "quantize",
    ),
    "tgi_neuron": (
        "max_batch_prefill_tokens",
        "max_batch_total_tokens",
        "max_input_length",
        "max_total_tokens",
        "hf_auto_cast_type",
        "hf_num_cores",
    ),
    "tei": ("max_batch_tokens", "max_concurrent_requests", "pooling"),
    "llamacpp": (
        "ctx_size",
        "model_path",
        "n_parallel",
        "threads_http",
        "mmproj_model_path",
        "mode",
        "n_gpu_layers",
        "pooling",
        "variant",
    ),
    "vllm": (
        "tensor_parallel_size",
        "data_parallel_size",
        "kv_cache_dtype",
        "max_num_batched_tokens",
        "max_num_seqs",
    ),
    "vllm_neuron": ("tensor_parallel_size", "max_num_seqs", "max_model_len"),
    "sglang": (
        "tensor_parallel_size",
        "chunked_prefill_size",
        "kv_cache_dtype",
        "max_prefill_tokens",
        "max_running_requests",
    ),
    "hf_serve": (),
    "custom": (),
}
_LLAMACPP_REQUIRED = ("ctx_size", "model_path", "n_parallel", "threads_http")


def camel(name: str) -> str:
    """``max_input_length`` → ``maxInputLength``."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


OptionValue = Annotated[str | int | float | bool | None, Field(union_mode="left_to_right")]


class ImageSpec(_Model):
    """The container image: exactly one variant key, e.g. ``{tgi: {url: ..., max_input_length: 4096}}``.

    Every variant except ``huggingface`` needs ``url``. ``port`` and ``health_route`` are optional, and
    the variant's own options are snake_case versions of the API's keys. ``custom`` may carry
    ``credentials`` for a private registry. Omit ``image`` for the Hugging Face default container.
    """

    variant: Literal[
        "huggingface",
        "huggingface_neuron",
        "tgi",
        "tgi_neuron",
        "tei",
        "llamacpp",
        "vllm",
        "vllm_neuron",
        "sglang",
        "hf_serve",
        "custom",
    ]
    url: str | None = None
    port: int | None = Field(default=None, ge=1, le=65535)
    health_route: str | None = None
    options: dict[str, OptionValue] = Field(default_factory=dict)
    credentials: RegistryCredentials | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_variant_mapping(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            raise ValueError("image must be a mapping with exactly one variant key, e.g. {tgi: {url: ...}}")
        if "variant" in data:  # already in model form (model_validate of our own dump)
            return data
        if len(data) != 1:
            keys = ", ".join(sorted(map(str, data))) or "none"
            raise ValueError(
                f"image needs exactly one variant key (one of {', '.join(IMAGE_VARIANTS)}); got {keys}"
            )
        ((variant, body),) = data.items()
        if variant not in IMAGE_VARIANTS:
            raise ValueError(
                at_path(
                    str(variant),
                    did_you_mean(f"unknown image variant {variant!r}", variant, list(IMAGE_VARIANTS)),
                )
            )
        body = {} if body is None else body
        if not isinstance(body, dict):
            raise ValueError(at_path(variant, f"image.{variant} must be a mapping"))
        allowed = {"url", "port", "health_route", *VARIANT_OPTIONS[variant]}
        if variant == "custom":
            allowed.add("credentials")
        unknown = [k for k in body if k not in allowed]
        if unknown:
            key = unknown[0]
            raise ValueError(
                at_path(f"{variant}.{key}", did_you_mean(f"unknown key {key!r}", key, sorted(allowed)))
            )
        out: dict[str, Any] = {"variant": variant, "options": {}}
        for key, value in body.items():
            if key in ("url", "port", "health_route", "credentials"):
                out[key] = value
            else:
                out["options"][key] = value
        return out

    @model_validator(mode="after")
    def _needs_url(self) -> ImageSpec:
        if self.variant != "huggingface" and not self.url:
            raise ValueError(
                at_path(self.variant, f"image.{self.variant} needs a url (the container image to run)")
            )
        if self.variant == "llamacpp":
            missing = [k for k in _LLAMACPP_REQUIRED if k not in self.options]
            if missing:
                raise ValueError(at_path("llamacpp", f"image.llamacpp needs {', '.join(missing)}"))
        return self

    def to_wire(self, password: str | None = None) -> dict[str, Any]:
        """The API's ``model.image`` value. ``password`` is the resolved registry password, if any."""
        body: dict[str, Any] = {}
        if self.variant != "huggingface":
            body["url"] = self.url
            if self.port is not None:
                body["port"] = self.port
            if self.health_route is not None:
                body["healthRoute"] = self.health_route
            for key, value in sorted(self.options.items()):
                body[camel(key)] = value
            if self.credentials is not None:
                body["credentials"] = {"username": self.credentials.username, "password": password}
        return {IMAGE_VARIANTS[self.variant]: body}


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


_SCALING_METRICS = ("hardwareUsage", "pendingRequests")


def _schedule_kind(value: Any) -> str:
    return "ScheduleSpec" if isinstance(value, dict | schedule_models.ScheduleSpec) else "str"


# A name or an inline schedule; discriminated so that a bad inline schedule reports only its own
# problems (not also "Input should be a valid string").
_ScheduleRef = Annotated[
    Annotated[str, Tag("str")] | Annotated[schedule_models.ScheduleSpec, Tag("ScheduleSpec")],
    Discriminator(_schedule_kind),
]


class EndpointSpec(_Model):
    """One Inference Endpoint as the team wants it. Unset fields fall back to the fleet's ``defaults``."""

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
    type: Annotated[EndpointType | None, Field(strict=False)] = Field(
        default=None, description="public | authenticated | private."
    )
    min_replica: int | None = Field(default=None, ge=0)
    max_replica: int | None = Field(default=None, ge=1)
    scale_to_zero_timeout: int | None = Field(
        default=None, ge=1, description="Minutes idle before scaling to zero."
    )
    scaling_metric: Literal["hardwareUsage", "pendingRequests"] | None = None
    scaling_threshold: float | None = Field(default=None, gt=0)
    image: ImageSpec | None = Field(
        default=None, description="Container: {tgi|tei|vllm|custom|...: {url, ...}}."
    )
    env: dict[str, str] | None = None
    secrets: dict[str, Annotated[SecretRef, BeforeValidator(_refuse_literal_secret)]] | None = None
    tags: list[str] | None = None
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

    @field_validator("name")
    @classmethod
    def _api_name(cls, value: str) -> str:
        if not API_NAME_RE.match(value):
            raise ValueError(
                f"{value!r} is not a valid endpoint name: use lowercase letters, digits and '-', "
                "start and end with a letter or digit, at most 32 characters"
            )
        return value

    @field_validator("env")
    @classmethod
    def _env_names(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        for key in value or {}:
            if not _ENV_NAME_RE.match(key):
                raise ValueError(f"{key!r} is not a valid environment variable name")
        return value

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
        if not re.match(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", value):
            raise ValueError("fleet name must be lowercase letters, digits and '-', at most 63 characters")
        return value


def did_you_mean(message: str, word: str, choices: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"{message}; did you mean {close[0]!r}?" if close else message
