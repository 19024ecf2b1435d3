"""What the server keeps of a request: validation, dropped keys and the defaults it fills in.

Owns: ``parse_create`` (a POST body as the server checks and stores it), ``merge_update`` (a PUT
body merged into a stored spec), ``check_image`` and the server-filled values (engine image
defaults, ``compute.id``, scaling ``metric``/``measure``, ``scaleToZeroTimeout``, a resolved
``model.revision``, ``experimentalFeatures``). Called by: the control-plane routes and ``seed``.
Must not: touch the store, the clock or secrets' values (``parse_create`` hands secrets back apart,
the caller fingerprints them).

Every filled value names its source in docs/emulator.md ("Real-server behaviour"); a short tag
sits at the code. Where no source says whether the server fills a value, the emulator fills it:
a client that only compares what it sent is unaffected, and one that compares whole objects fails
against the emulator instead of against the real API.
"""

from __future__ import annotations

import copy
import hashlib
import re
from typing import Any

from reconciler.emulator import wire

__all__ = [
    "BASE_CONTAINER",
    "IMAGE_KEYS",
    "NAME_RE",
    "TYPES",
    "check_image",
    "compute_id",
    "merge_update",
    "parse_create",
    "resolve_revision",
]

NAME_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$")
TYPES = ("public", "authenticated", "private")
SHA_RE = re.compile(r"^[0-9a-f]{40}$")
IMAGE_KEYS: dict[str, frozenset[str]] = {
    "huggingface": frozenset(),
    "huggingfaceNeuron": frozenset({"batchSize", "neuronCache", "sequenceLength"}),
    "tgi": frozenset(
        {
            "maxBatchPrefillTokens",
            "maxBatchTotalTokens",
            "maxInputLength",
            "maxTotalTokens",
            "disableCustomKernels",
            "quantize",
        }
    ),
    "tgiNeuron": frozenset(
        {
            "maxBatchPrefillTokens",
            "maxBatchTotalTokens",
            "maxInputLength",
            "maxTotalTokens",
            "hfAutoCastType",
            "hfNumCores",
        }
    ),
    "tei": frozenset({"maxBatchTokens", "maxConcurrentRequests", "pooling"}),
    "llamacpp": frozenset(
        {
            "ctxSize",
            "modelPath",
            "nParallel",
            "threadsHttp",
            "mmprojModelPath",
            "mode",
            "nGpuLayers",
            "pooling",
            "variant",
        }
    ),
    "vLLM": frozenset(
        {"tensorParallelSize", "dataParallelSize", "kvCacheDtype", "maxNumBatchedTokens", "maxNumSeqs"}
    ),
    "vLLMNeuron": frozenset({"tensorParallelSize", "maxNumSeqs", "maxModelLen"}),
    "sGLang": frozenset(
        {
            "tensorParallelSize",
            "chunkedPrefillSize",
            "kvCacheDtype",
            "maxPrefillTokens",
            "maxRunningRequests",
        }
    ),
    "hfServe": frozenset(),
    "custom": frozenset({"credentials"}),
}
BASE_CONTAINER = frozenset({"url", "port", "healthRoute"})
# Filled into every container variant when unset. tgi: the recorded catalog answer (port 80,
# healthRoute "/health", disableCustomKernels false). Other variants: both Terraform providers mark
# ``port`` Computed, sebps marks ``healthRoute`` Computed too; the values are a guess (80 is SPEC23's
# default port, "/health" the route TGI, TEI, vLLM, SGLang and llama.cpp all serve).
_CONTAINER_DEFAULTS: dict[str, Any] = {"port": 80, "healthRoute": "/health"}
_VARIANT_DEFAULTS: dict[str, dict[str, Any]] = {"tgi": {"disableCustomKernels": False}}
SCALE_TO_ZERO_DEFAULT = 15  # minutes; SPECNOW EndpointScaling "default: 15", catalog answer
METRICS = ("hardwareUsage", "pendingRequests")


def _bad(where: str, message: str) -> wire.HttpError:
    return wire.HttpError(400, f"VALIDATION_FAILED: {where}: {message}")


def _parse_error(message: str) -> wire.HttpError:
    return wire.HttpError(400, f"Failed to parse the request body as JSON: {message}")


def check_image(image: Any, where: str = "model.image") -> dict[str, Any]:
    """One variant, its unknown keys dropped (as the server does, silently), its defaults filled.

    A container variant without ``url`` is refused: the image is replaced whole, never merged.
    """
    if not isinstance(image, dict) or len(image) != 1:
        raise _bad(where, "expected exactly one image variant")
    ((variant, body),) = image.items()
    if variant not in IMAGE_KEYS:
        raise _bad(where, f"unknown variant `{variant}`")
    body = body or {}
    if not isinstance(body, dict):
        raise _bad(f"{where}.{variant}", "expected an object")
    if variant == "huggingface":
        return {"huggingface": {}}
    if not body.get("url"):
        raise _bad(f"{where}.{variant}", "missing field `url`")
    allowed = IMAGE_KEYS[variant] | BASE_CONTAINER
    kept = {k: copy.deepcopy(v) for k, v in body.items() if k in allowed and v is not None}
    kept = {**_CONTAINER_DEFAULTS, **_VARIANT_DEFAULTS.get(variant, {}), **kept}
    credentials = kept.get("credentials")
    if credentials is not None and not isinstance(credentials, dict):
        raise _bad(f"{where}.{variant}.credentials", "expected an object")
    return {variant: kept}


def resolve_revision(repository: str, revision: Any) -> str:
    """A 40-hex commit sha: a pinned sha stays, anything else (null, a branch or a tag) resolves.

    The real server answers a resolved sha where none was pinned (every recorded answer). That a
    branch name also comes back as a sha is [uncertain]; resolving it is the stricter choice. The
    sha is derived from the repository and the reference, so it is stable across runs.
    """
    if isinstance(revision, str) and SHA_RE.match(revision):
        return revision
    ref = revision if isinstance(revision, str) and revision else "main"
    return hashlib.sha1(f"{repository}@{ref}".encode(), usedforsecurity=False).hexdigest()


def compute_id(provider: dict[str, Any], compute: dict[str, Any]) -> str:
    """``<vendor>-<region>-<type>-<size>``, as in the catalog answer (``aws-us-east-1-nvidia-l4-x1``)."""
    return (
        f"{provider.get('vendor')}-{provider.get('region')}-"
        f"{compute.get('instanceType')}-{compute.get('instanceSize')}"
    )


def _scaling(scaling: dict[str, Any], sent: dict[str, Any]) -> dict[str, Any]:
    """Fill ``metric``/``measure`` from each other (or hardwareUsage) and ``scaleToZeroTimeout``."""
    out = dict(scaling)
    measure = sent.get("measure")
    if "measure" in sent and "metric" not in sent and isinstance(measure, dict) and len(measure) == 1:
        out["metric"] = next(iter(measure))  # a new measure names its metric
    if "metric" in sent and "measure" not in sent and out.get("metric") in METRICS:
        out["measure"] = {out["metric"]: None}
    if not isinstance(out.get("measure"), dict) or not out["measure"]:
        metric = out.get("metric") if out.get("metric") in METRICS else "hardwareUsage"
        out["measure"] = {metric: None}  # catalog answer: {"hardwareUsage": null}
    if out.get("metric") not in METRICS:
        out["metric"] = next(iter(out["measure"]))
    if out.get("scaleToZeroTimeout") is None:
        # [uncertain] for minReplica >= 1: SPECNOW's default is unconditional, so fill it always.
        out["scaleToZeroTimeout"] = SCALE_TO_ZERO_DEFAULT
    return out


def _experimental(data: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
    """``cacheHttpResponses`` lives under ``experimentalFeatures`` (SPECNOW), not at the top level."""
    features = dict(current or {"cacheHttpResponses": False})
    sent = data.get("experimentalFeatures")
    if isinstance(sent, dict):
        features.update(sent)
    if "cacheHttpResponses" in data:  # the top-level key huggingface_hub still sends
        features["cacheHttpResponses"] = bool(data["cacheHttpResponses"])
    features["cacheHttpResponses"] = bool(features.get("cacheHttpResponses", False))
    return features


def _require(data: dict[str, Any], keys: tuple[str, ...], where: str = "") -> None:
    prefix = f"{where}: " if where else ""
    for key in keys:
        if key not in data:
            raise _parse_error(f"{prefix}missing field `{key}`")


def _check_model(model: dict[str, Any]) -> None:
    if "task" in model and model["task"] is None:
        raise _parse_error("model.task: expected value")
    if "secrets" in model and model["secrets"] is None:
        raise wire.HttpError(
            422,
            "Failed to deserialize the JSON body into the target type: model.secrets: "
            "invalid type: null, expected a map",
        )
    for key in ("env", "secrets"):
        value = model.get(key)
        if value is not None and (
            not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values())
        ):
            raise wire.HttpError(422, f"model.{key}: expected a map of strings")


def _check_type(value: Any) -> str:
    if value == "protected":
        # Deprecated (HH-#4329); accepted by the server in 2026-06 but made an unreachable, billed
        # endpoint (issue #4314). Refused here; seeded legacy records may still hold it.
        raise _bad("type", "'protected' is no longer supported; use public, authenticated or private")
    if value not in TYPES:
        raise _bad("type", f"unknown variant `{value}`")
    return str(value)


def parse_create(data: dict[str, Any]) -> tuple[str, dict[str, Any], dict[str, str]]:
    """Check a create body the way the server does; return the name, the stored spec and the secrets.

    Missing fields and unparsable values answer 400 ("Failed to parse..."), rule violations 400
    ("VALIDATION_FAILED: <path>: ..."), ``secrets: null`` 422, as the real API does.
    """
    _require(data, ("name", "type", "provider", "compute", "model"))
    name = data["name"]
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise _bad("name", "must be lowercase alphanumerics and '-', at most 32 characters")
    kind = _check_type(data["type"])
    provider, compute, model = data["provider"], data["compute"], data["model"]
    if not isinstance(provider, dict):
        raise _parse_error("provider: expected an object")
    _require(provider, ("vendor", "region"), "provider")
    if not isinstance(compute, dict):
        raise _parse_error("compute: expected an object")
    _require(compute, ("accelerator", "instanceType", "instanceSize", "scaling"), "compute")
    if not isinstance(compute["scaling"], dict):
        raise _parse_error("compute.scaling: expected an object")
    if not isinstance(model, dict):
        raise _parse_error("model: expected an object")
    _require(model, ("repository", "framework", "image"), "model")
    _check_model(model)
    secrets = dict(model.get("secrets") or {})
    stored_model = {k: copy.deepcopy(v) for k, v in model.items() if k not in ("secrets", "fromCatalog")}
    stored_model["image"] = check_image(model["image"])
    stored_model["revision"] = resolve_revision(str(model["repository"]), model.get("revision"))
    stored_model.setdefault("task", None)
    stored_model["env"] = dict(model.get("env") or {})
    where = {"vendor": provider["vendor"], "region": provider["region"]}
    kept_compute = {k: copy.deepcopy(v) for k, v in compute.items() if k not in ("id", "scaling")}
    kept_compute["id"] = compute_id(where, compute)
    kept_compute["scaling"] = _scaling(compute["scaling"], compute["scaling"])
    spec: dict[str, Any] = {
        "type": kind,
        "provider": where,
        "compute": kept_compute,
        "model": stored_model,
        "tags": [str(t) for t in data.get("tags") or []],
        "experimentalFeatures": _experimental(data, None),
        "notifications": data.get("notifications"),
    }
    for key in ("route", "privateService", "network"):
        if data.get(key) is not None:
            spec[key] = copy.deepcopy(data[key])
    return name, spec, secrets


def _merge_compute(spec: dict[str, Any], compute: dict[str, Any]) -> None:
    sent_scaling = compute.get("scaling") or {}
    if not isinstance(sent_scaling, dict):
        raise _parse_error("compute.scaling: expected an object")
    scaling = {**spec["compute"]["scaling"], **sent_scaling}
    merged = {**spec["compute"], **{k: v for k, v in compute.items() if k not in ("id", "scaling")}}
    merged["scaling"] = _scaling(scaling, sent_scaling)
    merged["id"] = compute_id(spec["provider"], merged)
    spec["compute"] = merged


def _merge_model(spec: dict[str, Any], model: dict[str, Any]) -> dict[str, str] | None:
    _check_model(model)
    model = {k: copy.deepcopy(v) for k, v in model.items() if k != "fromCatalog"}
    secrets = model.pop("secrets", None)
    if "image" in model:
        model["image"] = check_image(model["image"])  # replaced whole; must be complete
    current = spec["model"]
    repository = str(model.get("repository", current["repository"]))
    if "revision" in model or repository != current["repository"]:
        model["revision"] = resolve_revision(repository, model.get("revision"))
    # Objects merge field by field; image, command, args, env are replaced as values.
    spec["model"] = {**current, **model}
    return dict(secrets) if secrets is not None else None


def merge_update(spec: dict[str, Any], data: dict[str, Any], name: str) -> dict[str, str] | None:
    """Merge a PUT body into ``spec`` (in place); return the new secrets, or None when not sent.

    Semantics (hf-endpoints-api.md §3.3): objects merge field by field; ``model.image`` is replaced
    whole and must be complete; ``env``, ``secrets``, ``tags``, ``command`` and ``args`` are
    replaced [uncertain for env, secrets, tags]; ``type``, ``provider`` and ``name`` cannot change.
    """
    for key in ("type", "provider", "name"):
        if key in data and data[key] != (name if key == "name" else spec.get(key)):
            raise _bad(key, "cannot be changed; delete and re-create")
    secrets = None
    for key in ("compute", "model", "route"):
        if data.get(key) is not None and not isinstance(data[key], dict):
            raise _parse_error(f"{key}: expected an object")
    if "compute" in data:
        _merge_compute(spec, data["compute"] or {})
    if "model" in data:
        secrets = _merge_model(spec, data["model"] or {})
    if "route" in data:
        spec["route"] = {**(spec.get("route") or {}), **(data["route"] or {})}
    if "tags" in data:
        spec["tags"] = [str(t) for t in data["tags"] or []]
    if "cacheHttpResponses" in data or "experimentalFeatures" in data:
        spec["experimentalFeatures"] = _experimental(data, spec.get("experimentalFeatures"))
    return secrets
