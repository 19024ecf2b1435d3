"""The plan as a value: what will happen to each endpoint, why, and the fields that change.

Owns: ``Action``, ``Reason``, ``SecretChange``, ``FieldChange``, ``Change`` and ``Plan`` (counts,
checksum, the stable JSON of ``hfleet plan --format json`` and of saved plans). Called by:
``reconciler.engine.decide`` (which builds plans), ``apply`` (which dispatches on the typed values,
never on display text), ``safety``, ``cost`` and the renderers. Must not: decide or do I/O.

Reasons are typed (Terraform's ``ResourceInstanceChangeActionReason``): apply and the renderers read
``Change.reason``; ``Change.detail`` is prose for people only.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from reconciler import errors

__all__ = ["Action", "Change", "FieldChange", "Plan", "Reason", "SecretChange"]


class Action(StrEnum):
    """What will happen to an endpoint; values complete "endpoint X will be …" where they can."""

    CREATE = "create"
    REPLACE = "replace"
    UPDATE = "update"
    RESUME = "resume"
    PAUSE = "pause"
    SCALE_TO_ZERO = "scale_to_zero"
    DELETE = "delete"
    WAIT = "wait"
    CONFLICT = "conflict"
    ORPHAN = "orphan"
    MALFORMED = "malformed"

    @property
    def symbol(self) -> str:
        return _SYMBOLS[self]

    @property
    def writes(self) -> bool:
        """Whether applying it calls the API."""
        return self not in (Action.WAIT, Action.CONFLICT, Action.ORPHAN, Action.MALFORMED)

    @property
    def power(self) -> bool:
        """A power change (resume, pause, scale to zero): cheap, no redeploy of the configuration."""
        return self in (Action.RESUME, Action.PAUSE, Action.SCALE_TO_ZERO)

    @property
    def phase(self) -> int:
        """Apply order: creates/updates/resumes, then pauses and scale-to-zero, deletes last."""
        if self in (Action.PAUSE, Action.SCALE_TO_ZERO):
            return 2
        if self is Action.DELETE:
            return 3
        return 1


_SYMBOLS = {
    Action.CREATE: "+",
    Action.REPLACE: "-/+",
    Action.UPDATE: "~",
    Action.RESUME: "▶",
    Action.PAUSE: "⏸",
    Action.SCALE_TO_ZERO: "⤓",
    Action.DELETE: "-",
    Action.WAIT: "…",
    Action.CONFLICT: "!",
    Action.ORPHAN: "?",
    Action.MALFORMED: "✗",
}
_ORDER = {a: i for i, a in enumerate(Action)}


class Reason(StrEnum):
    """Why a change is planned."""

    NOT_FOUND = "not_found"  # create: no live endpoint has the name
    DRIFT = "drift"  # update: a field the spec states differs
    SECRETS = "secrets"  # update: only the secrets changed (set, rotated or removed)
    REPAIR = "repair"  # update: the endpoint failed; the whole stated configuration is re-sent
    IMMUTABLE = "immutable"  # replace: a field that cannot change in place differs
    STATE = "state"  # power: the spec's ``state``
    SCHEDULE = "schedule"  # power: the spec's schedule at this instant
    TRANSITION = "transition"  # wait: pending, initializing or updating
    FOREIGN = "foreign"  # conflict: another fleet owns it
    UNOWNED = "unowned"  # conflict: no fleet owns it (adopt with ``hfleet import --adopt``)
    NO_SPEC = "no_spec"  # orphan, or delete with --prune
    PROTECTED = "protected"  # orphan kept: the endpoint carries the protect tag
    MALFORMED = "malformed"  # the API's answer for it breaks the API's schema


class SecretChange(StrEnum):
    SET = "set"  # the spec declares secrets hfleet never set on this endpoint
    ROTATED = "rotated"  # a value changed (the fingerprint tag differs)
    REMOVED = "removed"  # the spec dropped every secret hfleet had set


@dataclass(frozen=True)
class FieldChange:
    """One leaf that differs. ``old`` is None when the live endpoint lacks it, ``new`` None when the
    spec removes it; values are the API's."""

    path: str
    old: Any
    new: Any

    @property
    def op(self) -> str:
        if self.old is None:
            return "add"
        if self.new is None:
            return "remove"
        return "change"

    def data(self) -> dict[str, Any]:
        return {"path": self.path, "op": self.op, "old": self.old, "new": self.new}


@dataclass(frozen=True)
class Change:
    """One action on one endpoint: the action, the typed reason, prose for people and the fields."""

    action: Action
    namespace: str
    name: str
    reason: Reason
    detail: str = ""
    fields: tuple[FieldChange, ...] = ()
    paths: tuple[str, ...] = ()  # the owned API paths apply writes (update, repair)
    secrets: SecretChange | None = None
    then: str | None = None  # create/replace: the power state to reach once it is up
    resend: tuple[str, ...] = ()  # where the secret values sent live (names only, never values)
    live_state: str | None = None
    live_fingerprint: str | None = None
    cost_delta: float | None = None  # USD per month, positive = more spend

    @property
    def key(self) -> tuple[str, str]:
        return (self.namespace, self.name)

    def with_cost(self, delta: float | None) -> Change:
        return replace(self, cost_delta=delta)

    def data(self) -> dict[str, Any]:
        """The stable JSON shape of a change (``hfleet plan --format json``)."""
        return {
            "action": self.action.value,
            "namespace": self.namespace,
            "name": self.name,
            "reason": self.reason.value,
            "detail": self.detail,
            "live_state": self.live_state,
            "live_fingerprint": self.live_fingerprint,
            "secrets": None if self.secrets is None else self.secrets.value,
            "then": self.then,
            "secrets_sent": list(self.resend),
            "paths": list(self.paths),
            "fields": [f.data() for f in self.fields],
            "cost_delta_monthly_usd": None if self.cost_delta is None else round(self.cost_delta, 2),
        }

    @staticmethod
    def from_data(data: Mapping[str, Any]) -> Change:
        secrets = data.get("secrets")
        return Change(
            action=Action(data["action"]),
            namespace=str(data["namespace"]),
            name=str(data["name"]),
            reason=Reason(data["reason"]),
            detail=str(data.get("detail") or ""),
            fields=tuple(FieldChange(f["path"], f.get("old"), f.get("new")) for f in data.get("fields", [])),
            paths=tuple(str(p) for p in data.get("paths") or ()),
            secrets=None if secrets is None else SecretChange(secrets),
            then=data.get("then"),
            resend=tuple(str(p) for p in data.get("secrets_sent") or ()),
            live_state=data.get("live_state"),
            live_fingerprint=data.get("live_fingerprint"),
            cost_delta=data.get("cost_delta_monthly_usd"),
        )


def sort_key(change: Change) -> tuple[int, str, str, int]:
    return (change.action.phase, change.namespace, change.name, _ORDER[change.action])


@dataclass(frozen=True)
class Plan:
    """A plan is a value: the changes, the endpoints already converged, and when to look again."""

    fleet: str
    now: datetime
    changes: tuple[Change, ...]
    unchanged: tuple[str, ...] = ()
    managed_count: int = 0
    requeue_after: timedelta | None = None
    warnings: tuple[str, ...] = ()
    monthly_cost: float | None = None
    monthly_cost_delta: float | None = None
    options: Mapping[str, Any] = field(default_factory=dict, compare=False)
    inputs: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    @property
    def writes(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.action.writes)

    @property
    def has_changes(self) -> bool:
        return bool(self.writes)

    @property
    def conflicts(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.action is Action.CONFLICT)

    @property
    def errored(self) -> tuple[Change, ...]:
        """Endpoints the run cannot handle: conflicts and malformed answers (exit 1)."""
        return tuple(c for c in self.changes if c.action in (Action.CONFLICT, Action.MALFORMED))

    @property
    def replaces(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.action is Action.REPLACE)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {a.value: 0 for a in Action}
        for change in self.changes:
            out[change.action.value] += 1
        out["unchanged"] = len(self.unchanged)
        return out

    def checksum(self) -> str:
        """A digest of the writes and the live fingerprints they were computed from."""
        body = [c.data() for c in self.writes]
        for item in body:
            item.pop("cost_delta_monthly_usd", None)
            item.pop("detail", None)
        return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()

    def with_costs(self, changes: tuple[Change, ...], total: float, delta: float) -> Plan:
        return replace(self, changes=changes, monthly_cost=total, monthly_cost_delta=delta)

    def with_warnings(self, *more: str) -> Plan:
        return replace(self, warnings=(*self.warnings, *more))

    def with_options(self, options: Mapping[str, Any], inputs: Mapping[str, str] | None = None) -> Plan:
        """Record how the plan was made (prune, targets, now) and from which spec files, so a saved
        plan can be applied without the specs and recomputed alike."""
        return replace(self, options=dict(options), inputs=dict(inputs or self.inputs))

    def data(self) -> dict[str, Any]:
        """The stable JSON schema of a plan (version 2)."""
        return {
            "format_version": 2,
            "fleet": self.fleet,
            "now": self.now.isoformat(),
            "checksum": self.checksum(),
            "summary": self.counts(),
            "has_changes": self.has_changes,
            "managed_count": self.managed_count,
            "requeue_after_seconds": None
            if self.requeue_after is None
            else self.requeue_after.total_seconds(),
            "monthly_cost_usd": None if self.monthly_cost is None else round(self.monthly_cost, 2),
            "monthly_cost_delta_usd": None
            if self.monthly_cost_delta is None
            else round(self.monthly_cost_delta, 2),
            "warnings": list(self.warnings),
            "options": dict(self.options),
            "changes": [c.data() for c in self.changes],
            "unchanged": list(self.unchanged),
            "inputs": dict(self.inputs),
        }

    @staticmethod
    def from_data(data: Mapping[str, Any]) -> Plan:
        if data.get("format_version") != 2:
            raise errors.ReconcilerError(
                "unsupported plan file (format_version must be 2; plan again with this hfleet)"
            )
        requeue = data.get("requeue_after_seconds")
        inputs = data.get("inputs") or {}
        if not isinstance(inputs, dict) or not all(isinstance(v, str) for v in inputs.values()):
            raise errors.ReconcilerError("plan file: 'inputs' must map file names to their text")
        return Plan(
            fleet=str(data["fleet"]),
            now=datetime.fromisoformat(str(data["now"])),
            changes=tuple(Change.from_data(c) for c in data.get("changes", [])),
            unchanged=tuple(data.get("unchanged", [])),
            managed_count=int(data.get("managed_count", 0)),
            requeue_after=None if requeue is None else timedelta(seconds=float(requeue)),
            warnings=tuple(data.get("warnings", [])),
            monthly_cost=data.get("monthly_cost_usd"),
            monthly_cost_delta=data.get("monthly_cost_delta_usd"),
            options=dict(data.get("options") or {}),
            inputs={str(k): v for k, v in inputs.items()},
        )
