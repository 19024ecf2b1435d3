"""The emulator's wire rules: request parsing and validation, error and cursor encodings.

Owns: ``HttpError`` and ``Drop`` (an answer, or no answer at all), ``parse_json``, ``check_image``,
``parse_create`` (a create body as the server checks it), timestamps, cursors and the JSON encoding.
Called by: ``emulator.app``. Must not: touch the store or the clock; hardware and quota checks need
state and stay in ``app``. Imports nothing outside the standard library.
"""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "BASE_CONTAINER",
    "IMAGE_KEYS",
    "NAME_RE",
    "REASONS",
    "TYPES",
    "Drop",
    "HttpError",
    "check_image",
    "decode_cursor",
    "encode_cursor",
    "json_bytes",
    "parse_create",
    "parse_float",
    "parse_json",
    "rfc3339",
]

NAME_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$")
TYPES = ("public", "authenticated", "private")
IMAGE_KEYS = {
    "huggingface": set(),
    "huggingfaceNeuron": {"batchSize", "neuronCache", "sequenceLength"},
    "tgi": {
        "maxBatchPrefillTokens",
        "maxBatchTotalTokens",
        "maxInputLength",
        "maxTotalTokens",
        "disableCustomKernels",
        "quantize",
    },
    "tgiNeuron": {
        "maxBatchPrefillTokens",
        "maxBatchTotalTokens",
        "maxInputLength",
        "maxTotalTokens",
        "hfAutoCastType",
        "hfNumCores",
    },
    "tei": {"maxBatchTokens", "maxConcurrentRequests", "pooling"},
    "llamacpp": {
        "ctxSize",
        "modelPath",
        "nParallel",
        "threadsHttp",
        "mmprojModelPath",
        "mode",
        "nGpuLayers",
        "pooling",
        "variant",
    },
    "vLLM": {"tensorParallelSize", "dataParallelSize", "kvCacheDtype", "maxNumBatchedTokens", "maxNumSeqs"},
    "vLLMNeuron": {"tensorParallelSize", "maxNumSeqs", "maxModelLen"},
    "sGLang": {
        "tensorParallelSize",
        "chunkedPrefillSize",
        "kvCacheDtype",
        "maxPrefillTokens",
        "maxRunningRequests",
    },
    "hfServe": set(),
    "custom": {"credentials"},
}
BASE_CONTAINER = {"url", "port", "healthRoute"}


class Drop(Exception):
    """Close the connection without an answer."""


class HttpError(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def rfc3339(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def parse_json(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body or b"null")
    except ValueError as exc:
        raise HttpError(400, f"Failed to parse the request body as JSON: {exc}") from None
    if not isinstance(data, dict):
        raise HttpError(400, "Failed to parse the request body as JSON: expected an object")
    return data


def check_image(image: Any, where: str = "model.image") -> dict[str, Any]:
    if not isinstance(image, dict) or len(image) != 1:
        raise HttpError(400, f"VALIDATION_FAILED: {where}: expected exactly one image variant")
    ((variant, body),) = image.items()
    if variant not in IMAGE_KEYS:
        raise HttpError(400, f"VALIDATION_FAILED: {where}: unknown variant `{variant}`")
    body = body or {}
    if not isinstance(body, dict):
        raise HttpError(400, f"VALIDATION_FAILED: {where}.{variant}: expected an object")
    if variant != "huggingface" and not body.get("url"):
        raise HttpError(400, f"VALIDATION_FAILED: {where}.{variant}: missing field `url`")
    allowed = IMAGE_KEYS[variant] | (BASE_CONTAINER if variant != "huggingface" else set())
    # The real API silently drops unknown fields inside a variant (e.g. snake_case health_route).
    return {variant: {k: v for k, v in body.items() if k in allowed}}


def parse_create(data: dict[str, Any]) -> tuple[str, dict[str, Any], dict[str, str]]:
    """Check a create body the way the server does; return the name, the stored spec and the secrets.

    Missing fields and unparsable values answer 400 ("Failed to parse..."), rule violations 400
    ("VALIDATION_FAILED: <path>: ..."), ``secrets: null`` 422, as the real API does.
    """
    for key in ("name", "type", "provider", "compute", "model"):
        if key not in data:
            raise HttpError(400, f"Failed to parse the request body as JSON: missing field `{key}`")
    name = data["name"]
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise HttpError(
            400, "VALIDATION_FAILED: name: must be lowercase alphanumerics and '-', at most 32 characters"
        )
    if data["type"] == "protected":
        raise HttpError(
            400,
            "VALIDATION_FAILED: type: 'protected' is no longer supported; use "
            "public, authenticated or private",
        )
    if data["type"] not in TYPES:
        raise HttpError(400, f"VALIDATION_FAILED: type: unknown variant `{data['type']}`")
    provider, compute, model = data["provider"], data["compute"], data["model"]
    if not isinstance(provider, dict) or not {"vendor", "region"} <= provider.keys():
        raise HttpError(400, "Failed to parse the request body as JSON: provider: missing field `vendor`")
    if not isinstance(compute, dict):
        raise HttpError(400, "Failed to parse the request body as JSON: compute: expected an object")
    for key in ("accelerator", "instanceType", "instanceSize", "scaling"):
        if key not in compute:
            raise HttpError(400, f"Failed to parse the request body as JSON: compute: missing field `{key}`")
    if not isinstance(model, dict):
        raise HttpError(400, "Failed to parse the request body as JSON: model: expected an object")
    for key in ("repository", "framework", "image"):
        if key not in model:
            raise HttpError(400, f"Failed to parse the request body as JSON: model: missing field `{key}`")
    if "task" in model and model["task"] is None:
        raise HttpError(400, "Failed to parse the request body as JSON: model.task: expected value")
    if "secrets" in model and model["secrets"] is None:
        raise HttpError(
            422,
            "Failed to deserialize the JSON body into the target type: model.secrets: "
            "invalid type: null, expected a map",
        )
    model = {**model, "image": check_image(model["image"])}
    model.setdefault("revision", None)
    model.setdefault("task", None)
    model.setdefault("env", {})
    secrets = model.pop("secrets", None) or {}
    scaling = dict(compute["scaling"])
    if scaling.get("scaleToZeroTimeout") is None:
        scaling["scaleToZeroTimeout"] = 15 if scaling.get("minReplica") == 0 else None
    spec = {
        "type": data["type"],
        "provider": {"vendor": provider["vendor"], "region": provider["region"]},
        "compute": {**{k: v for k, v in compute.items() if k != "id"}, "scaling": scaling},
        "model": model,
        "tags": list(data.get("tags") or []),
        "cacheHttpResponses": bool(data.get("cacheHttpResponses", False)),
    }
    for key in ("route", "privateService", "experimentalFeatures", "network", "notifications"):
        if data.get(key) is not None:
            spec[key] = data[key]
    return name, spec, secrets


def parse_float(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        return None


def json_bytes(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


def encode_cursor(name: str) -> str:
    return base64.urlsafe_b64encode(name.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        raise HttpError(400, "invalid cursor") from None


REASONS = {
    200: "OK",
    202: "Accepted",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
