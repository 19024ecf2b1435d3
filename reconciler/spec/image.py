"""The container image of an endpoint: one variant (tgi, tei, vllm, custom...) and its options.

Owns: ``ImageSpec``, ``RegistryCredentials``, the variant table (``IMAGE_VARIANTS``: spec name → the
API's ``model.image`` key), each variant's options (``VARIANT_OPTIONS``, snake_case in the spec and
camelCase on the wire, see ``camel``) and ``IMAGE_KEYS`` (every key of an image body but ``credentials``).
Called by: ``reconciler.spec.models`` (the ``image`` field, ``ignore_changes`` names), ``spec.schema``
and the engine (``to_wire``). Must not: resolve secrets (``to_wire`` takes the resolved password).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from reconciler.spec import hints, secrets

__all__ = ["IMAGE_KEYS", "IMAGE_VARIANTS", "VARIANT_OPTIONS", "ImageSpec", "RegistryCredentials", "camel"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, populate_by_name=False)


class RegistryCredentials(_Model):
    """Credentials of a private container registry (custom images only)."""

    username: str
    password: secrets.SecretRef = Field(description="A reference: {from_env: NAME} or {from_file: PATH}.")

    @field_validator("password", mode="before")
    @classmethod
    def _no_literal(cls, value: Any) -> Any:
        return secrets.refuse_literal(value)


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
# The keys of an image body other than credentials, whatever the variant (``ignore_changes: [image.<key>]``).
IMAGE_KEYS: tuple[str, ...] = tuple(
    sorted({"url", "port", "health_route", *(o for opts in VARIANT_OPTIONS.values() for o in opts)})
)


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
                hints.at_path(
                    str(variant),
                    hints.did_you_mean(f"unknown image variant {variant!r}", variant, list(IMAGE_VARIANTS)),
                )
            )
        body = {} if body is None else body
        if not isinstance(body, dict):
            raise ValueError(hints.at_path(variant, f"image.{variant} must be a mapping"))
        allowed = {"url", "port", "health_route", *VARIANT_OPTIONS[variant]}
        if variant == "custom":
            allowed.add("credentials")
        unknown = [k for k in body if k not in allowed]
        if unknown:
            key = unknown[0]
            raise ValueError(
                hints.at_path(
                    f"{variant}.{key}", hints.did_you_mean(f"unknown key {key!r}", key, sorted(allowed))
                )
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
                hints.at_path(self.variant, f"image.{self.variant} needs a url (the container image to run)")
            )
        if self.variant == "llamacpp":
            missing = [k for k in _LLAMACPP_REQUIRED if k not in self.options]
            if missing:
                raise ValueError(hints.at_path("llamacpp", f"image.llamacpp needs {', '.join(missing)}"))
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
