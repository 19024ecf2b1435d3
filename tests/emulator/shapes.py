"""Recursive shapes of JSON documents, and the differences between two of them.

A shape maps each path (``status.createdBy.id``, ``vendors[].regions[].computes[].quota``) to the
set of JSON types seen there (``null``, ``bool``, ``int``, ``float``, ``str``, ``object``,
``array``, ``map``). List elements share one path (``[]``); the children of free-form maps (``env``,
``secrets``) share one path (``*``), so two answers with different keys in a map still compare.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Diff", "compare", "shape"]

# Objects whose keys are data, not schema.
MAPS = frozenset({"model.env", "model.secrets", "model.secret"})


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    if isinstance(value, list):
        return "array"
    return "object"


def shape(document: Any, maps: frozenset[str] = MAPS) -> dict[str, set[str]]:
    """Every path of ``document`` with the types seen there (the root is ``""``)."""
    out: dict[str, set[str]] = {}

    def walk(value: Any, path: str) -> None:
        kind = "map" if path in maps and isinstance(value, dict) else _kind(value)
        out.setdefault(path, set()).add(kind)
        if isinstance(value, dict):
            for key, child in value.items():
                sub = f"{path}.*" if kind == "map" else (f"{path}.{key}" if path else str(key))
                walk(child, sub)
        elif isinstance(value, list):
            for child in value:
                walk(child, f"{path}[]")

    walk(document, "")
    return out


def union(shapes: Iterable[dict[str, set[str]]]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for one in shapes:
        for path, kinds in one.items():
            out.setdefault(path, set()).update(kinds)
    return out


@dataclass
class Diff:
    """Paths only the real answer has, paths only ours has, and paths whose types never agree."""

    real_only: list[str] = field(default_factory=list)
    ours_only: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.real_only or self.ours_only or self.types)


def compare(real: dict[str, set[str]], ours: dict[str, set[str]]) -> Diff:
    """Compare two shapes. Types agree when the sets share a type other than null, or are both null
    (a value that is null in one answer and set in the other is a different state, not a different
    schema, as long as some answer shows the same type)."""
    diff = Diff()
    for path in sorted(real.keys() - ours.keys()):
        diff.real_only.append(path)
    for path in sorted(ours.keys() - real.keys()):
        diff.ours_only.append(path)
    for path in sorted(real.keys() & ours.keys()):
        a, b = real[path], ours[path]
        if (a - {"null"}) & (b - {"null"}) or (a == b):
            continue
        if a == {"null"} or b == {"null"}:
            continue  # null on one side only: see the docstring
        diff.types.append(f"{path}: real {sorted(a)} vs ours {sorted(b)}")
    return diff
