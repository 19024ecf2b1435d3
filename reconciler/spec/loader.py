"""Loading and validating a fleet from spec files and directories.

Owns: turning YAML documents into one ``Fleet`` (the fleet's identity and settings plus every endpoint
with the defaults applied), and collecting **every** problem with its ``file:line:column``.
Called by: the CLI (``validate``, ``plan``, ``apply``...) and tests. Must not: touch the network; a
``SpecError`` is always raised before any API call.

Document kinds: ``kind: Fleet`` (exactly one across all files: ``name``, ``namespace``, ``defaults``,
``schedules`` and optionally ``endpoints``) and ``kind: Endpoint`` (one endpoint per document).
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pydantic

from reconciler import errors
from reconciler.spec import models, source

__all__ = ["Fleet", "SourceRef", "load", "load_documents"]

KINDS = ("Fleet", "Endpoint")
# Fields that must be known once defaults are applied.
REQUIRED_AFTER_DEFAULTS = ("repository", "accelerator", "vendor", "region", "instance_type", "instance_size")
# Mapping fields merged key by key with the defaults (the endpoint wins), and lists unioned.
_MERGED_MAPPINGS = ("env", "secrets")
_UNIONED_LISTS = ("tags", "ignore_changes")


@dataclass(frozen=True)
class SourceRef:
    """A place in a spec file: where an endpoint was declared, or where a field's value is written.

    ``column`` is 0 when only the line is meant (an endpoint's declaration)."""

    file: str
    line: int
    column: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" + (f":{self.column}" if self.column else "")


@dataclass(frozen=True)
class _Origin:
    """Where one endpoint body (or the fleet's ``defaults``) sits: its document's locations, the path
    of the body inside the document, and the top-level keys written there."""

    locations: source.Locations
    prefix: tuple[str | int, ...]
    keys: frozenset[str]


@dataclass(frozen=True)
class Fleet:
    """A validated fleet: identity, schedules and endpoints with defaults applied (sorted by name)."""

    spec: models.FleetSpec
    endpoints: tuple[models.EndpointSpec, ...]
    sources: dict[str, SourceRef] = field(default_factory=dict)
    files: tuple[str, ...] = ()
    origins: dict[str, _Origin] = field(default_factory=dict, repr=False, compare=False)
    defaults_origin: _Origin | None = field(default=None, repr=False, compare=False)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def namespace(self) -> str:
        return self.spec.namespace

    def namespace_of(self, endpoint: models.EndpointSpec) -> str:
        return endpoint.namespace or self.spec.namespace

    def locate(self, endpoint_name: str, field: str) -> SourceRef | None:
        """Where the value of ``field`` of an endpoint is written: on the endpoint, or in the fleet's
        ``defaults`` it inherited it from. ``field`` is a spec path (``instance_type``,
        ``image.tgi.url``, ``env.HF_TOKEN``, ``tags.0``; ``image.url`` finds the variant's ``url``).
        The nearest written ancestor if the field itself is not written; None if neither is, or if
        there is no such endpoint."""
        path = tuple(int(p) if p.isdigit() else p for p in field.split(".") if p)
        if endpoint_name not in self.origins:
            return None
        written = [o for o in (self.origins[endpoint_name], self.defaults_origin) if o is not None]
        written = [o for o in written if path and path[0] in o.keys]
        for exact in (True, False):
            for origin in written:
                found = origin.locations.value_of((*origin.prefix, *_through_variant(origin, path)), exact)
                if found is not None:
                    return SourceRef(origin.locations.file, *found)
        return None

    def schedule_of(self, endpoint: models.EndpointSpec) -> Any:
        """The endpoint's ``ScheduleSpec`` (named or inline), or None."""
        if endpoint.schedule is None:
            return None
        if isinstance(endpoint.schedule, str):
            return self.spec.schedules[endpoint.schedule]
        return endpoint.schedule


def _through_variant(origin: _Origin, path: tuple[str | int, ...]) -> tuple[str | int, ...]:
    """``image.url`` → ``image.tgi.url`` when the image written there is a ``tgi`` one."""
    if len(path) < 2 or path[0] != "image" or path[1] in models.IMAGE_VARIANTS:
        return path
    values = origin.locations.values
    variants = [v for v in models.IMAGE_VARIANTS if (*origin.prefix, "image", v) in values]
    return ("image", variants[0], *path[1:]) if len(variants) == 1 else path


def load(paths: Iterable[str | Path]) -> Fleet:
    """Load the fleet from files and directories. Raises ``SpecError`` with all problems found."""
    files, problems = source.discover([Path(p) for p in paths])
    documents: list[source.Document] = []
    for path in files:
        docs, file_problems = source.read_documents(path)
        documents.extend(docs)
        problems.extend(file_problems)
    if not files and not problems:
        problems.append(errors.Problem("<specs>", 0, 0, "", "no spec files given"))
    return load_documents(documents, problems, files=tuple(str(f) for f in files))


def load_documents(
    documents: list[source.Document],
    problems: list[errors.Problem] | None = None,
    files: tuple[str, ...] = (),
) -> Fleet:
    """Validate parsed documents into a ``Fleet``; raise ``SpecError`` if anything is wrong."""
    problems = list(problems or [])
    fleet_docs: list[source.Document] = []
    endpoint_items: list[tuple[source.Document, tuple[str | int, ...], dict[str, Any]]] = []

    for doc in documents:
        if doc.data is None:
            problems.append(doc.locations.problem((), "document is empty"))
            continue
        if not isinstance(doc.data, dict):
            problems.append(doc.locations.problem((), "a document must be a mapping with a 'kind' key"))
            continue
        kind = doc.data.get("kind")
        if kind is None:
            problems.append(doc.locations.problem((), "missing 'kind' (Fleet or Endpoint)"))
        elif kind == "Fleet":
            fleet_docs.append(doc)
            for i, item in enumerate(doc.data.get("endpoints") or []):
                if isinstance(item, dict):
                    endpoint_items.append((doc, ("endpoints", i), item))
                else:
                    problems.append(doc.locations.problem(("endpoints", i), "an endpoint must be a mapping"))
        elif kind == "Endpoint":
            body = {k: v for k, v in doc.data.items() if k != "kind"}
            endpoint_items.append((doc, (), body))
        else:
            problems.append(
                doc.locations.problem(
                    ("kind",), models.did_you_mean(f"unknown kind {kind!r}", str(kind), list(KINDS))
                )
            )

    fleet_spec: models.FleetSpec | None = None
    if not fleet_docs:
        where = documents[0].file if documents else (files[0] if files else "<specs>")
        problems.append(
            errors.Problem(
                where,
                0,
                0,
                "",
                "no fleet identity: one document must be 'kind: Fleet' with a name and namespace",
            )
        )
    else:
        for extra in fleet_docs[1:]:
            first = fleet_docs[0]
            problems.append(
                extra.locations.problem(
                    ("kind",),
                    "a second Fleet document; the fleet is already declared at "
                    f"{first.file}:{first.locations.at(())[0]}",
                )
            )
        doc = fleet_docs[0]
        body = {k: v for k, v in doc.data.items() if k != "endpoints"}
        fleet_spec = _validate(models.FleetSpec, body, doc, (), problems)
        if fleet_spec is not None and fleet_spec.defaults:
            _check_defaults(fleet_spec.defaults, doc, problems)

    defaults = fleet_spec.defaults if fleet_spec else {}
    schedules = fleet_spec.schedules if fleet_spec else {}
    seen: dict[tuple[str, str], SourceRef] = {}
    endpoints: list[models.EndpointSpec] = []
    sources: dict[str, SourceRef] = {}
    origins: dict[str, _Origin] = {}
    for doc, prefix, body in endpoint_items:
        merged = _apply_defaults(defaults, body)
        spec = _validate(models.EndpointSpec, merged, doc, prefix, problems, origin=body)
        problems.extend(_semantic_problems(merged, body, doc, prefix, schedules))
        if spec is None:
            continue
        line = doc.locations.at(prefix)[0]
        ref = SourceRef(doc.file, line)
        namespace = spec.namespace or (fleet_spec.namespace if fleet_spec else "")
        key = (namespace, spec.name)
        if key in seen:
            problems.append(
                doc.locations.problem(
                    (*prefix, "name"), f"duplicate endpoint name {spec.name!r}; first declared at {seen[key]}"
                )
            )
            continue
        seen[key] = ref
        endpoints.append(spec)
        sources[spec.name] = ref
        origins[spec.name] = _Origin(doc.locations, prefix, frozenset(k for k in body if k != "kind"))

    if problems or fleet_spec is None:
        raise errors.SpecError(problems)
    fleet_doc = fleet_docs[0]
    defaults_origin = _Origin(fleet_doc.locations, ("defaults",), frozenset(fleet_spec.defaults))
    ordered = tuple(sorted(endpoints, key=lambda e: e.name))
    return Fleet(fleet_spec, ordered, sources, files, origins, defaults_origin)


def _apply_defaults(defaults: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    merged = {**defaults, **body}
    for key in _MERGED_MAPPINGS:
        if isinstance(defaults.get(key), dict) and isinstance(body.get(key), dict):
            merged[key] = {**defaults[key], **body[key]}
    for key in _UNIONED_LISTS:
        if isinstance(defaults.get(key), list) and isinstance(body.get(key), list):
            # The endpoint's own items first, so that a problem's list index is the one it wrote.
            merged[key] = list(dict.fromkeys([*body[key], *defaults[key]]))
    return merged


def _check_defaults(defaults: dict[str, Any], doc: source.Document, problems: list[errors.Problem]) -> None:
    """Validate ``defaults`` as a partial endpoint, reporting problems at the defaults' own lines."""
    if "name" in defaults:
        problems.append(doc.locations.problem(("defaults", "name"), "defaults cannot set an endpoint name"))
    probe = {**{k: v for k, v in defaults.items() if k != "name"}, "name": "defaults"}
    _validate(models.EndpointSpec, probe, doc, ("defaults",), problems)


def _semantic_problems(
    merged: dict[str, Any],
    body: dict[str, Any],
    doc: source.Document,
    prefix: tuple[str | int, ...],
    schedules: dict[str, Any],
) -> list[errors.Problem]:
    """Rules that cross fields, checked on the merged raw data so that they are reported even when
    another field of the same endpoint has a type error (all problems at once)."""
    out: list[errors.Problem] = []

    def at(field_name: str, message: str) -> None:
        # Point at the endpoint's own key when it set it, else at the endpoint itself.
        path = (*prefix, field_name) if field_name in body else prefix
        line, column = doc.locations.at(path)
        out.append(errors.Problem(doc.file, line, column, source.format_path((*prefix, field_name)), message))

    def number(key: str) -> int | None:
        value = merged.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    for name in REQUIRED_AFTER_DEFAULTS:
        if merged.get(name) is None:
            at(name, f"{name} is required (set it on the endpoint or in the fleet's defaults)")
    if merged.get("type") is None:
        at("type", f"type is required (on the endpoint or in the defaults); choose {models.ACCESS_TYPES}")
    elif merged.get("type") == "private" and merged.get("private_link_account_id") is None:
        at(
            "type",
            "type private is PrivateLink: it needs private_link_account_id (the account that connects)",
        )
    low, high = number("min_replica"), number("max_replica")
    if low is not None and high is not None and low > high:
        at("min_replica", f"min_replica ({low}) is greater than max_replica ({high})")
    if merged.get("scale_to_zero_timeout") is not None and (low or 0) != 0:
        at(
            "scale_to_zero_timeout",
            "scale_to_zero_timeout needs min_replica: 0 (scale-to-zero is off otherwise)",
        )
    if merged.get("scaling_threshold") is not None and merged.get("scaling_metric") is None:
        at("scaling_threshold", "scaling_threshold needs scaling_metric (hardwareUsage or pendingRequests)")
    schedule = merged.get("schedule")
    if isinstance(schedule, str) and schedule not in schedules:
        known = list(schedules)
        hint = models.did_you_mean(f"unknown schedule {schedule!r}", schedule, known)
        if not known:
            hint += " (the fleet declares no schedules)"
        at("schedule", hint)
    image = merged.get("image")
    if isinstance(image, dict) and len(image) == 1:
        ((variant, options),) = image.items()
        if variant != "custom" and isinstance(options, dict) and "credentials" in options:
            at("image", "registry credentials are only allowed on a custom image")
    return out


def _validate(
    model: type[pydantic.BaseModel],
    data: dict[str, Any],
    doc: source.Document,
    prefix: tuple[str | int, ...],
    problems: list[errors.Problem],
    origin: dict[str, Any] | None = None,
) -> Any:
    """Validate ``data`` with ``model``; on failure add located problems and return None."""
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        problems.extend(_problems_from(exc, model, data, doc, prefix, origin))
        return None


def _problems_from(
    exc: pydantic.ValidationError,
    model: type[pydantic.BaseModel],
    data: dict[str, Any],
    doc: source.Document,
    prefix: tuple[str | int, ...],
    origin: dict[str, Any] | None,
) -> list[errors.Problem]:
    by_path: dict[tuple[str | int, ...], list[str]] = {}
    for error in exc.errors(include_url=False):
        path = _data_path(data, error["loc"])
        message = _message(error, model, path)
        if message.startswith("@") and "@ " in message:
            sub, message = message[1:].split("@ ", 1)
            path = (*path, *(int(p) if p.isdigit() else p for p in sub.split(".")))
        by_path.setdefault(path, [])
        if message not in by_path[path]:
            by_path[path].append(message)
    out = []
    for path, messages in by_path.items():
        full = (*prefix, *path)
        # A value that came from the defaults is reported once, at the defaults' own line.
        if origin is not None and path and path[0] not in origin and path[0] in data:
            continue
        if origin is not None and _from_unioned_defaults(path, origin):
            continue
        line, column = doc.locations.at(full)
        out.append(errors.Problem(doc.file, line, column, source.format_path(full), "; or ".join(messages)))
    return out


def _from_unioned_defaults(path: tuple[str | int, ...], origin: dict[str, Any]) -> bool:
    """An item of a unioned list (tags...) past the endpoint's own items came from the defaults."""
    if len(path) < 2 or path[0] not in _UNIONED_LISTS or not isinstance(path[1], int):
        return False
    own = origin.get(str(path[0]))
    return isinstance(own, list) and path[1] >= len(own)


def _data_path(data: Any, loc: tuple[str | int, ...]) -> tuple[str | int, ...]:
    """Map a pydantic ``loc`` onto the data, dropping union tags (``str``, ``ScheduleSpec``...)."""
    out: list[str | int] = []
    current = data
    for part in loc:
        if isinstance(current, dict) and part not in current and len(current) == 1:
            # An image is validated in a flattened form; walk through its single variant key.
            ((variant, inner),) = current.items()
            if isinstance(inner, dict) and part in inner:
                out.append(variant)
                current = inner
        in_dict = isinstance(current, dict) and part in current
        in_list = isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current)
        if in_dict or in_list:
            out.append(part)
            current = current[part]
        elif isinstance(current, dict) and isinstance(part, str) and not _looks_like_tag(part):
            out.append(part)  # a missing key
            current = None
    return tuple(out)


# huggingface_hub argument names that the spec language spells differently.
_CREDENTIALS = "use image: {custom: {credentials: {username: ..., password: {from_env: ...}}}}"
_HINTS = {
    "custom_image": "write the container as image: {custom: {url: ...}} (or tgi, tei, vllm, ...)",
    "container_registry_username": _CREDENTIALS,
    "container_registry_password": _CREDENTIALS,
    "health_route": "it belongs to the image variant: image: {tgi: {url: ..., health_route: /health}}",
    "engine": "pick the engine as the image variant: image: {vllm: {url: ...}}",
}


def _looks_like_tag(part: str) -> bool:
    return (
        part[:1].isupper() or "[" in part or part in ("str", "int", "float", "bool", "list", "dict", "none")
    )


def _message(error: Any, model: type[pydantic.BaseModel], path: tuple[str | int, ...]) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        key = str(path[-1]) if path else "?"
        if key in _HINTS:
            return f"unknown key {key!r}; {_HINTS[key]}"
        choices = _fields_at(model, path[:-1])
        return models.did_you_mean(f"unknown key {key!r}", key, choices)
    if kind == "missing":
        return "this field is required"
    message = str(error["msg"])
    for noise in ("Value error, ", "Assertion failed, "):
        message = message.replace(noise, "")
    if kind.endswith("_type") or kind in ("literal_error", "enum"):
        given = error.get("input")
        if not isinstance(given, dict | list):
            message += f" (got {type(given).__name__} {given!r})"
        else:
            message += f" (got a {type(given).__name__})"
    return message


def _fields_at(model: type[pydantic.BaseModel], path: tuple[str | int, ...]) -> list[str]:
    """Field names of the (sub-)model found by walking ``path`` from ``model``."""
    current: Any = model
    for part in path:
        if isinstance(part, int):
            continue
        fields = getattr(current, "model_fields", None)
        if not fields or part not in fields:
            return []
        current = _model_in(fields[part].annotation)
        if current is None:
            return []
    fields = getattr(current, "model_fields", None)
    return list(fields) if fields else []


def _model_in(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, list, dict):
        for arg in typing.get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
    return None
