"""Fault injection: scripted failures that let users (and our tests) rehearse a bad day.

Owns: ``FaultRule`` and ``FaultSet`` (thread-safe matching and counting). Called by: ``emulator.app``
for every request. Must not: import anything but the standard library (PyYAML only to read YAML fault files).

Kinds:
- ``latency``: add ``latency`` seconds before answering;
- ``status``: answer ``status`` (e.g. 429 with ``retry_after``, or a 5xx) instead of handling;
- ``drop``: close the connection without an answer (the request is not applied);
- ``lost_response``: apply the request, then drop the connection (the client never learns it worked);
- ``deploy_failed`` / ``update_failed``: a create (or update) of a matching endpoint ends in
  ``failed`` (or ``updateFailed``) instead of ``running``.

``method`` and ``path_pattern`` (a regex searched in the request path) select requests; for the two
deploy kinds ``name_pattern`` (or ``path_pattern``) is searched in ``namespace/name`` of the endpoint.
``times`` bounds how many matches a rule applies to (None = forever); ``probability`` applies it at
random (seeded).
"""

from __future__ import annotations

import json
import random
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

__all__ = ["FaultRule", "FaultSet", "load_rules"]

Kind = Literal["latency", "status", "drop", "lost_response", "deploy_failed", "update_failed"]


@dataclass
class FaultRule:
    kind: Kind
    method: str | None = None
    path_pattern: str | None = None
    status: int = 503
    retry_after: float | None = None
    latency: float = 0.0
    times: int | None = None
    probability: float = 1.0
    body: str | None = None
    message: str | None = None
    name_pattern: str | None = None
    hits: int = field(default=0, compare=False)

    def matches(self, method: str, target: str) -> bool:
        if self.kind in ("deploy_failed", "update_failed"):
            pattern = self.name_pattern or self.path_pattern
            return pattern is None or re.search(pattern, target) is not None
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self.path_pattern is None or re.search(self.path_pattern, target) is not None


class FaultSet:
    """The active rules. ``take`` consumes one application of the first matching rule of a kind."""

    def __init__(self, seed: int = 0) -> None:
        self.rules: list[FaultRule] = []
        self.lock = threading.Lock()
        self.random = random.Random(seed)

    def add(self, rule: FaultRule) -> FaultRule:
        with self.lock:
            self.rules.append(rule)
        return rule

    def clear(self) -> None:
        with self.lock:
            self.rules.clear()

    def take(self, kinds: tuple[str, ...], method: str, target: str) -> FaultRule | None:
        with self.lock:
            for rule in self.rules:
                if rule.kind not in kinds or not rule.matches(method, target):
                    continue
                if rule.times is not None and rule.hits >= rule.times:
                    continue
                if rule.probability < 1.0 and self.random.random() >= rule.probability:
                    continue
                rule.hits += 1
                return rule
        return None


def load_rules(path: str | Path) -> list[FaultRule]:
    """Rules from a JSON or YAML file: a list of mappings with the ``FaultRule`` fields.

    ``path`` may also be the JSON text itself (as in ``$HFLEET_EMULATOR_FAULTS``).
    """
    text = str(path) if str(path).lstrip().startswith(("[", "{")) else Path(path).read_text()
    data: Any
    try:
        data = json.loads(text)
    except ValueError:
        import yaml

        data = yaml.safe_load(text)
    if isinstance(data, dict):
        data = data.get("faults", [])
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a list of fault rules")
    return [FaultRule(**item) for item in data]
