"""``hfleet import``: write spec files for existing endpoints, and adopt them on purpose.

Owns: the reverse mapping live JSON → spec YAML, and adoption (adding the owner tag with a PUT of
``tags`` only). Called by: the CLI. Must not: adopt an endpoint owned by another fleet.

Secrets are never read back from the API, so each one becomes a ``from_env`` reference to fill in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from reconciler import errors, logs
from reconciler.api import client as api_client
from reconciler.engine import live
from reconciler.spec import models as spec_models

__all__ = ["ImportResult", "run", "spec_from_live"]

log = logs.get_logger(__name__)
_WIRE_TO_VARIANT = {v: k for k, v in spec_models.IMAGE_VARIANTS.items()}


@dataclass
class ImportResult:
    lines: list[str] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    adopted: list[str] = field(default_factory=list)
    failed: int = 0


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name)


def spec_from_live(endpoint: live.LiveEndpoint) -> dict[str, Any]:
    """An ``Endpoint`` document reproducing the live endpoint's configuration."""
    raw = endpoint.raw
    compute = raw.get("compute") or {}
    scaling = compute.get("scaling") or {}
    model = raw.get("model") or {}
    provider = raw.get("provider") or {}
    route = raw.get("route") or {}
    doc: dict[str, Any] = {"kind": "Endpoint", "name": endpoint.name, "namespace": endpoint.namespace}
    simple = {
        "repository": model.get("repository"),
        "revision": model.get("revision"),
        "framework": model.get("framework"),
        "task": model.get("task"),
        "accelerator": compute.get("accelerator"),
        "vendor": provider.get("vendor"),
        "region": provider.get("region"),
        "instance_type": compute.get("instanceType"),
        "instance_size": compute.get("instanceSize"),
        "type": raw.get("type") if raw.get("type") in ("public", "authenticated", "private") else None,
        "min_replica": scaling.get("minReplica"),
        "max_replica": scaling.get("maxReplica"),
        "scale_to_zero_timeout": scaling.get("scaleToZeroTimeout")
        if scaling.get("minReplica") == 0
        else None,
        "domain": route.get("domain"),
        "path": route.get("path"),
        "cache_http_responses": raw.get("cacheHttpResponses"),
        "container_command": model.get("command") or None,
        "container_args": model.get("args") or None,
        "env": model.get("env") or None,
    }
    doc.update({k: v for k, v in simple.items() if v is not None})
    measure = scaling.get("measure")
    if isinstance(measure, dict) and len(measure) == 1:
        ((metric, threshold),) = measure.items()
        if metric in ("hardwareUsage", "pendingRequests"):
            doc["scaling_metric"] = metric
            if threshold is not None:
                doc["scaling_threshold"] = threshold
    image = model.get("image")
    if isinstance(image, dict) and len(image) == 1:
        ((variant, body),) = image.items()
        name = _WIRE_TO_VARIANT.get(variant)
        if name and name != "huggingface":
            options: dict[str, Any] = {}
            allowed = set(spec_models.VARIANT_OPTIONS[name])
            for key, value in (body or {}).items():
                snake = _snake(key)
                if key == "credentials":
                    options["credentials"] = {
                        "username": (value or {}).get("username") or "FILL-ME",
                        "password": {
                            "from_env": f"{endpoint.name.upper().replace('-', '_')}_REGISTRY_PASSWORD"
                        },
                    }
                elif (snake in ("url", "port", "health_route") or snake in allowed) and value is not None:
                    options[snake] = value
            doc["image"] = {name: options}
    secrets = model.get("secrets")
    if isinstance(secrets, dict) and secrets:
        prefix = endpoint.name.upper().replace("-", "_")
        doc["secrets"] = {k: {"from_env": f"{prefix}_{k}"} for k in sorted(secrets)}
    tags = [t for t in endpoint.tags if not t.startswith(("hfleet:", "hfleet-"))]
    if tags:
        doc["tags"] = tags
    if endpoint.state == "paused":
        doc["state"] = "paused"
    return doc


def run(
    api: api_client.EndpointsApi,
    namespace: str,
    out_dir: Path,
    *,
    fleet: str | None = None,
    names: list[str] | None = None,
    adopt: bool = False,
    overwrite: bool = False,
) -> ImportResult:
    """Import the endpoints of ``namespace`` (or only ``names``) into spec files under ``out_dir``."""
    result = ImportResult()
    endpoints = [live.LiveEndpoint(namespace, item) for item in api.iter_endpoints(namespace)]
    if names:
        wanted = set(names)
        missing = wanted - {e.name for e in endpoints}
        for name in sorted(missing):
            result.lines.append(f"missing  {namespace}/{name}: no such endpoint")
            result.failed += 1
        endpoints = [e for e in endpoints if e.name in wanted]
    out_dir.mkdir(parents=True, exist_ok=True)
    for endpoint in sorted(endpoints, key=lambda e: e.name):
        owner = endpoint.owner()
        if owner is not None and owner != fleet:
            result.lines.append(f"skipped  {namespace}/{endpoint.name}: owned by fleet {owner!r}")
            continue
        path = out_dir / f"{endpoint.name}.yaml"
        if path.exists() and not overwrite:
            result.lines.append(f"exists   {path} (use --overwrite)")
        else:
            doc = spec_from_live(endpoint)
            header = f"# Imported from {namespace}/{endpoint.name} by hfleet import.\n"
            if "secrets" in doc:
                header += "# Secrets are not readable from the API: set the named environment variables.\n"
            path.write_text(header + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
            result.written.append(path)
            result.lines.append(f"wrote    {path}")
        if adopt and fleet and owner != fleet:
            try:
                tags = sorted({*endpoint.tags, live.owner_tag(fleet)})
                api.update(namespace, endpoint.name, {"tags": tags})
            except errors.ReconcilerError as exc:
                result.lines.append(f"FAILED   adopt {namespace}/{endpoint.name}: {exc}")
                result.failed += 1
                continue
            result.adopted.append(endpoint.name)
            result.lines.append(f"adopted  {namespace}/{endpoint.name} into fleet {fleet!r}")
    return result
