"""Turning pydantic's validation errors into located, plain-worded spec problems.

Owns: ``validate`` (a model over raw data → the model, or problems at ``file:line:column``) and the
wording: union tags dropped from paths, "unknown key" with a suggestion (``hints``), hints for
huggingface_hub argument names the spec spells differently, the given value in type errors.
Called by: ``reconciler.spec.loader``. Must not: decide what is valid (the models do).
"""

from __future__ import annotations

import types
import typing
from typing import Any

import pydantic

from reconciler import errors
from reconciler.spec import hints, source

__all__ = ["UNIONED_LISTS", "validate"]

# List fields the loader unions with the defaults' list, the endpoint's own items first.
UNIONED_LISTS = ("tags", "ignore_changes")


def validate(
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
    if len(path) < 2 or path[0] not in UNIONED_LISTS or not isinstance(path[1], int):
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
        return hints.did_you_mean(f"unknown key {key!r}", key, choices)
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
    if origin is typing.Annotated:
        return _model_in(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType, list, dict):
        for arg in typing.get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
    return None
