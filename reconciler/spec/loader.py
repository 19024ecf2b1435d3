"""Loading and validating a fleet from spec files and directories.

Owns: turning YAML documents into one ``Fleet`` (the fleet's identity and settings plus every endpoint
with the defaults applied), and collecting **every** problem with its ``file:line:column``.
Called by: the CLI (``validate``, ``plan``, ``apply``...) and tests. Must not: touch the network; a
``SpecError`` is always raised before any API call.

Document kinds: ``kind: Fleet`` (exactly one across all files: ``name``, ``namespace``, ``defaults``,
``schedules`` and optionally ``endpoints``) and ``kind: Endpoint`` (one endpoint per document).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler import errors
from reconciler.spec import models, source
from reconciler.spec import problems as problems_mod

__all__ = ["Fleet", "SourceRef", "load", "load_documents"]

KINDS = ("Fleet", "Endpoint")
# Fields that must be known once defaults are applied.
REQUIRED_AFTER_DEFAULTS = ("repository", "accelerator", "vendor", "region", "instance_type", "instance_size")
# Mapping fields merged key by key with the defaults (the endpoint wins); see also UNIONED_LISTS.
_MERGED_MAPPINGS = ("env", "secrets")


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
    """Validate parsed documents into a ``Fleet``; raise ``SpecError`` if anything is wrong.

    One mistake gives one problem: when the fleet document is invalid, its valid parts (defaults,
    schedule names, namespace) still serve the endpoints, so a typo in the fleet does not also
    report "region is required" on every endpoint; when the fleet cannot be read at all (a file
    that does not parse), the checks that depend on it are skipped rather than reported falsely.
    """
    problems = list(problems or [])
    unreadable_files = bool(problems)
    fleet_docs, endpoint_items = _sort(documents, problems)
    fleet_spec: models.FleetSpec | None = None
    context = _Context({}, None, "", required=False)
    if not fleet_docs:
        if not unreadable_files:  # else the fleet may be in the file that did not parse
            where = documents[0].file if documents else (files[0] if files else "<specs>")
            message = "no fleet identity: one document must be 'kind: Fleet' with a name and namespace"
            problems.append(errors.Problem(where, 0, 0, "", message))
    else:
        fleet_spec, context = _fleet(fleet_docs, problems)

    seen: dict[tuple[str, str], SourceRef] = {}
    endpoints: list[models.EndpointSpec] = []
    sources: dict[str, SourceRef] = {}
    origins: dict[str, _Origin] = {}
    for doc, prefix, body in endpoint_items:
        merged = _apply_defaults(context.defaults, body)
        spec = problems_mod.validate(models.EndpointSpec, merged, doc, prefix, problems, origin=body)
        problems.extend(_semantic_problems(merged, body, doc, prefix, context))
        if spec is None:
            continue
        ref = SourceRef(doc.file, doc.locations.at(prefix)[0])
        key = (spec.namespace or context.namespace, spec.name)
        if key in seen:
            message = f"duplicate endpoint name {spec.name!r}; first declared at {seen[key]}"
            problems.append(doc.locations.problem((*prefix, "name"), message))
            continue
        seen[key] = sources[spec.name] = ref
        endpoints.append(spec)
        origins[spec.name] = _Origin(doc.locations, prefix, frozenset(k for k in body if k != "kind"))

    if problems or fleet_spec is None:
        raise errors.SpecError(problems)
    defaults_origin = _Origin(fleet_docs[0].locations, ("defaults",), frozenset(fleet_spec.defaults))
    ordered = tuple(sorted(endpoints, key=lambda e: e.name))
    return Fleet(fleet_spec, ordered, sources, files, origins, defaults_origin)


_Item = tuple[source.Document, tuple[str | int, ...], dict[str, Any]]


@dataclass(frozen=True)
class _Context:
    """What endpoints take from the fleet document: ``defaults`` to merge, the known schedule names
    (None: unknown, do not check references), the default namespace, and whether the fields
    required after defaults can be checked (False when the defaults could not be read)."""

    defaults: dict[str, Any]
    schedule_names: frozenset[str] | None
    namespace: str
    required: bool


def _sort(
    documents: list[source.Document], problems: list[errors.Problem]
) -> tuple[list[source.Document], list[_Item]]:
    """Fleet documents, and every endpoint body (own documents and a fleet's ``endpoints`` list)."""
    fleet_docs: list[source.Document] = []
    items: list[_Item] = []
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
            listed = doc.data.get("endpoints")
            if listed is not None and not isinstance(listed, list):
                message = "endpoints must be a list of endpoints (- name: ...)"
                problems.append(doc.locations.problem(("endpoints",), message))
            for i, item in enumerate(listed if isinstance(listed, list) else []):
                if isinstance(item, dict):
                    items.append((doc, ("endpoints", i), item))
                else:
                    problems.append(doc.locations.problem(("endpoints", i), "an endpoint must be a mapping"))
        elif kind == "Endpoint":
            items.append((doc, (), {k: v for k, v in doc.data.items() if k != "kind"}))
        else:
            message = models.did_you_mean(f"unknown kind {kind!r}", str(kind), list(KINDS))
            problems.append(doc.locations.problem(("kind",), message))
    return fleet_docs, items


def _fleet(
    fleet_docs: list[source.Document], problems: list[errors.Problem]
) -> tuple[models.FleetSpec | None, _Context]:
    """Validate the (first) fleet document; salvage what endpoints need from it if it is invalid."""
    first = fleet_docs[0]
    for extra in fleet_docs[1:]:
        declared = f"{first.file}:{first.locations.at(())[0]}"
        message = f"a second Fleet document; the fleet is already declared at {declared}"
        problems.append(extra.locations.problem(("kind",), message))
    body = {k: v for k, v in first.data.items() if k != "endpoints"}
    spec = problems_mod.validate(models.FleetSpec, body, first, (), problems)
    raw_defaults = body.get("defaults", {})
    if isinstance(raw_defaults, dict) and raw_defaults:
        _check_defaults(raw_defaults, first, problems)
    raw_schedules = body.get("schedules", {})
    namespace = body.get("namespace")
    context = _Context(
        defaults={k: v for k, v in raw_defaults.items() if k != "name"}
        if isinstance(raw_defaults, dict)
        else {},
        schedule_names=frozenset(map(str, raw_schedules)) if isinstance(raw_schedules, dict) else None,
        namespace=namespace if isinstance(namespace, str) else "",
        required=isinstance(raw_defaults, dict),
    )
    return spec, context


def _apply_defaults(defaults: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    merged = {**defaults, **body}
    for key in _MERGED_MAPPINGS:
        if isinstance(defaults.get(key), dict) and isinstance(body.get(key), dict):
            merged[key] = {**defaults[key], **body[key]}
    for key in problems_mod.UNIONED_LISTS:
        if isinstance(defaults.get(key), list) and isinstance(body.get(key), list):
            # The endpoint's own items first, so that a problem's list index is the one it wrote.
            merged[key] = list(dict.fromkeys([*body[key], *defaults[key]]))
    return merged


def _check_defaults(defaults: dict[str, Any], doc: source.Document, problems: list[errors.Problem]) -> None:
    """Validate ``defaults`` as a partial endpoint, reporting problems at the defaults' own lines.

    Endpoints still merge every default, valid or not: a bad default value is reported here once
    (``_problems_from`` skips it at each endpoint), and a required field the defaults do set is
    not also reported missing on every endpoint."""
    if "name" in defaults:
        problems.append(doc.locations.problem(("defaults", "name"), "defaults cannot set an endpoint name"))
    probe = {**{k: v for k, v in defaults.items() if k != "name"}, "name": "defaults"}
    problems_mod.validate(models.EndpointSpec, probe, doc, ("defaults",), problems)


def _semantic_problems(
    merged: dict[str, Any],
    body: dict[str, Any],
    doc: source.Document,
    prefix: tuple[str | int, ...],
    context: _Context,
) -> list[errors.Problem]:
    """Rules that cross fields, checked on the merged raw data so that they are reported even when
    another field of the same endpoint has a type error (all problems at once). Each rule names the
    field a problem is about; the problem points at the endpoint's own key when it set it, else at
    the endpoint itself."""
    out: list[errors.Problem] = []
    for rule in _CROSS_FIELD_RULES:
        for field_name, message in rule(merged, context):
            path = (*prefix, field_name) if field_name in body else prefix
            line, column = doc.locations.at(path)
            out.append(
                errors.Problem(doc.file, line, column, source.format_path((*prefix, field_name)), message)
            )
    return out


_Finding = Iterator[tuple[str, str]]  # (field, message)


def _number(merged: dict[str, Any], key: str) -> int | None:
    value = merged.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _required_fields(merged: dict[str, Any], context: _Context) -> _Finding:
    for name in REQUIRED_AFTER_DEFAULTS if context.required else ():
        if merged.get(name) is None:
            yield name, f"{name} is required (set it on the endpoint or in the fleet's defaults)"


def _access_type(merged: dict[str, Any], context: _Context) -> _Finding:
    if merged.get("type") is None and context.required:
        yield "type", f"type is required (on the endpoint or in the defaults); choose {models.ACCESS_TYPES}"
    elif merged.get("type") == "private" and merged.get("private_link_account_id") is None:
        yield (
            "type",
            "type private is PrivateLink: it needs private_link_account_id (the account that connects)",
        )


def _scaling(merged: dict[str, Any], _: _Context) -> _Finding:
    low, high = _number(merged, "min_replica"), _number(merged, "max_replica")
    if low is not None and high is not None and low > high:
        yield "min_replica", f"min_replica ({low}) is greater than max_replica ({high})"
    if merged.get("scale_to_zero_timeout") is not None and (low or 0) != 0:
        yield (
            "scale_to_zero_timeout",
            "scale_to_zero_timeout needs min_replica: 0 (scale-to-zero is off otherwise)",
        )
    if merged.get("scaling_threshold") is not None and merged.get("scaling_metric") is None:
        yield "scaling_threshold", "scaling_threshold needs scaling_metric (hardwareUsage or pendingRequests)"


def _known_schedule(merged: dict[str, Any], context: _Context) -> _Finding:
    schedule, names = merged.get("schedule"), context.schedule_names
    if isinstance(schedule, str) and names is not None and schedule not in names:
        known = sorted(names)
        hint = models.did_you_mean(f"unknown schedule {schedule!r}", schedule, known)
        yield "schedule", hint + ("" if known else " (the fleet declares no schedules)")


def _image_credentials(merged: dict[str, Any], _: _Context) -> _Finding:
    image = merged.get("image")
    if isinstance(image, dict) and len(image) == 1:
        ((variant, options),) = image.items()
        if variant != "custom" and isinstance(options, dict) and "credentials" in options:
            yield "image", "registry credentials are only allowed on a custom image"


_CROSS_FIELD_RULES: tuple[Callable[[dict[str, Any], _Context], _Finding], ...] = (
    _required_fields,
    _access_type,
    _scaling,
    _known_schedule,
    _image_credentials,
)
