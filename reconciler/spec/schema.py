"""The JSON Schema of spec files, for editors (yaml-language-server) and ``hfleet schema``.

Owns: ``json_schema()``. Called by: the CLI. Must not: validate anything itself; the loader is the
authority and reports located problems the schema cannot express (duplicates, cross-field rules).
"""

from __future__ import annotations

from typing import Any

from reconciler.spec import models

__all__ = ["json_schema"]


def _image_schema() -> dict[str, Any]:
    variants: dict[str, Any] = {}
    for name, options in models.VARIANT_OPTIONS.items():
        props: dict[str, Any] = {
            "url": {"type": "string", "description": "Container image to run."},
            "port": {"type": "integer", "minimum": 1, "maximum": 65535},
            "health_route": {"type": "string"},
        }
        for option in options:
            props[option] = {"type": ["string", "integer", "number", "boolean"]}
        if name == "custom":
            props["credentials"] = models.RegistryCredentials.model_json_schema()
        body: dict[str, Any] = {
            "type": ["object", "null"],
            "additionalProperties": False,
            "properties": props,
        }
        if name != "huggingface":
            body["required"] = ["url"]
        variants[name] = body
    return {
        "type": "object",
        "description": "Exactly one variant key.",
        "minProperties": 1,
        "maxProperties": 1,
        "additionalProperties": False,
        "properties": variants,
    }


def json_schema() -> dict[str, Any]:
    """One schema accepting either document kind (``Fleet`` or ``Endpoint``)."""
    endpoint = models.EndpointSpec.model_json_schema()
    defs = endpoint.pop("$defs", {})
    endpoint["properties"]["image"] = _image_schema()
    endpoint["properties"]["kind"] = {"const": "Endpoint"}
    endpoint["required"] = ["kind", "name"]
    fleet = models.FleetSpec.model_json_schema()
    defs.update(fleet.pop("$defs", {}))
    fleet["properties"]["kind"] = {"const": "Fleet"}
    fleet["required"] = ["kind", "name", "namespace"]
    partial = {k: v for k, v in endpoint["properties"].items() if k not in ("name", "kind")}
    fleet["properties"]["defaults"] = {"type": "object", "additionalProperties": False, "properties": partial}
    fleet["properties"]["endpoints"] = {
        "type": "array",
        "items": {
            **endpoint,
            "properties": {k: v for k, v in endpoint["properties"].items() if k != "kind"},
            "required": ["name"],
        },
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://hfleet.dev/schema/spec.json",
        "title": "hfleet spec file",
        "oneOf": [{**fleet, "title": "Fleet"}, {**endpoint, "title": "Endpoint"}],
        "$defs": defs,
    }
