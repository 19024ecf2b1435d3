"""Fault injection: scripted failures that let users (and our tests) rehearse a bad day.

Owns: ``FaultRule`` and ``FaultSet`` (thread-safe matching and counting). Called by: ``emulator.app``
for every request, the data-plane proxy for each endpoint's requests, the control-plane routes for
the deploy kinds. Must not: import anything but the standard library (PyYAML only to read YAML
fault files).

Kinds:
- ``latency``: add ``latency`` seconds before answering;
- ``status``: answer ``status`` (e.g. 429 with ``retry_after``, or a 5xx) instead of handling; the
  body is ``{"error": message}``, or ``body`` verbatim when given; ``retry_after`` is seconds, or
  text sent as it is (an HTTP date, which RFC 9110 allows too);
- ``garbage``: answer 200 with a body that is not what the route promises (``body``, or bytes that
  are not JSON) under the route's usual content type;
- ``drop``: close the connection without an answer (the request is not applied);
- ``lost_response``: apply the request, then drop the connection (the client never learns it worked);
- ``deploy_failed`` / ``update_failed``: a create (or update) of a matching endpoint ends in
  ``failed`` (or ``updateFailed``) instead of ``running``.

``method`` and ``path_pattern`` (a regex searched in the request path) select requests; for the two
deploy kinds ``name_pattern`` (or ``path_pattern``) is searched in ``namespace/name`` of the endpoint.
A rule with ``endpoint`` (``"namespace/name"``) applies only to that endpoint's data plane, and its
``path_pattern`` is searched in the path after the endpoint's URL (``/generate``, ``/health``).
``times`` bounds how many matches a rule applies to (None = forever); ``probability`` applies it at
random (seeded). Every rule is bounded in time: ``latency`` is capped at ``MAX_LATENCY`` seconds, and
removing a ``latency`` rule lets the requests it holds go on at once.
"""

from __future__ import annotations

import json
import random
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

__all__ = ["GARBAGE", "MAX_LATENCY", "FaultRule", "FaultSet", "load_rules", "parse_rules"]

Kind = Literal["latency", "status", "garbage", "drop", "lost_response", "deploy_failed", "update_failed"]
MAX_LATENCY = 300.0
GARBAGE = b"<html><body>502 Bad Gateway</body></html>\n\x00\xff"


@dataclass
class FaultRule:
    kind: Kind
    method: str | None = None
    path_pattern: str | None = None
    status: int = 503
    retry_after: float | str | None = None
    latency: float = 0.0
    times: int | None = None
    probability: float = 1.0
    body: str | None = None
    message: str | None = None
    name_pattern: str | None = None
    endpoint: str | None = None
    hits: int = field(default=0, compare=False)
    # Set when the rule is removed: a request held by a ``latency`` rule goes on at once.
    released: threading.Event = field(default_factory=threading.Event, init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.latency = min(max(0.0, float(self.latency)), MAX_LATENCY)
        for pattern in (self.path_pattern, self.name_pattern):
            if pattern is not None:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    raise ValueError(f"bad pattern {pattern!r}: {exc}") from None

    def delay(self) -> None:
        """Hold a request ``latency`` seconds, or until the rule is removed (``FaultSet.remove`` or
        ``clear``): a test holds writes with a long latency and lets them go when it is ready, so
        nothing depends on how fast a loaded machine gets there."""
        self.released.wait(self.latency)

    def retry_after_header(self) -> dict[str, str]:
        """The ``Retry-After`` header of a ``status`` answer (none when ``retry_after`` is None)."""
        if self.retry_after is None:
            return {}
        value = self.retry_after if isinstance(self.retry_after, str) else f"{self.retry_after:g}"
        return {"Retry-After": value}

    def garbage(self) -> bytes:
        """The body of a ``garbage`` answer."""
        return self.body.encode() if self.body is not None else GARBAGE

    def matches(self, method: str, target: str, endpoint: str | None = None) -> bool:
        if self.endpoint != endpoint:
            return False  # endpoint-scoped rules only see their endpoint's data plane, and only them
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
        """Remove every rule; requests they hold go on."""
        with self.lock:
            for rule in self.rules:
                rule.released.set()
            self.rules.clear()

    def remove(self, rule: FaultRule) -> None:
        """Remove this rule (by identity: two rules may be equal); requests it holds go on."""
        with self.lock:
            rule.released.set()
            for i, candidate in enumerate(self.rules):
                if candidate is rule:
                    del self.rules[i]
                    return

    def take(
        self, kinds: tuple[str, ...], method: str, target: str, endpoint: str | None = None
    ) -> FaultRule | None:
        """The first rule of ``kinds`` that matches (its use counted), or None."""
        with self.lock:
            for rule in self.rules:
                if rule.kind not in kinds or not rule.matches(method, target, endpoint):
                    continue
                if rule.times is not None and rule.hits >= rule.times:
                    continue
                if rule.probability < 1.0 and self.random.random() >= rule.probability:
                    continue
                rule.hits += 1
                return rule
        return None


def parse_rules(text: str, yaml_ok: bool = True) -> list[FaultRule]:
    """Rules from JSON (or YAML) text: a list of mappings with the ``FaultRule`` fields, or
    ``{"faults": [...]}``. ``ValueError`` / ``TypeError`` name what is wrong."""
    data: Any
    try:
        data = json.loads(text)
    except ValueError:
        if not yaml_ok:
            raise
        import yaml

        data = yaml.safe_load(text)
    if isinstance(data, dict):
        data = data.get("faults", [])
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise ValueError("expected a list of fault rules (mappings)")
    return [FaultRule(**item) for item in data]


def load_rules(path: str | Path) -> list[FaultRule]:
    """Rules from a JSON or YAML file; ``path`` may also be the JSON text itself (as in
    ``$HFLEET_EMULATOR_FAULTS``)."""
    text = str(path) if str(path).lstrip().startswith(("[", "{")) else Path(path).read_text()
    try:
        return parse_rules(text)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{path}: {exc}") from None
