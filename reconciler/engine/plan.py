"""Planning: pair desired endpoints with live ones and decide what to change. Pure.

Owns: ``Action``, ``FieldChange``, ``Change``, ``Plan`` and ``compute``. Called by:
``reconciler.engine.run`` (and tests). Must not: perform I/O; rendering lives in ``render``.

``compute`` works in these steps:
 1. pair every desired endpoint with the live endpoint of the same namespace and name;
 2. no live endpoint → **create**;
 3. a live endpoint without this fleet's owner tag → **conflict** (never touched; ``import --adopt``);
 4. a live endpoint in pending/initializing/updating → **wait** (no write on top of a transition);
 5. compare the managed fields (``desired.flat`` vs ``live.flatten``); a change of vendor, region,
    type or private link → **replace** (delete + create), otherwise **update** with only those fields;
    a rotated secret (its fingerprint tag differs) is an update that re-sends ``model.secrets``;
 6. failed / updateFailed → **update** re-sending the whole managed config (repair), with the
    server's message as the reason;
 7. compare the power state → **resume**, **pause** or **scale_to_zero**;
 8. live endpoints with the owner tag that no spec names → **delete** with ``prune``, else **orphan**
    (reported only); a ``protect`` tag keeps them;
 9. sort changes deterministically, count them and compute a checksum that pins the plan to the live
    state it was computed from (``apply --plan`` refuses a stale one).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from reconciler import errors
from reconciler.engine import desired as desired_mod
from reconciler.engine import live
from reconciler.spec import models as spec_models

__all__ = ["Action", "Change", "FieldChange", "Plan", "compute", "field_changes"]

WAIT_REQUEUE = timedelta(seconds=30)
_SHA_RE = re.compile(r"^[0-9a-f]{40}$")


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

    @property
    def symbol(self) -> str:
        return _SYMBOLS[self]

    @property
    def writes(self) -> bool:
        """Whether applying it calls the API."""
        return self not in (Action.WAIT, Action.CONFLICT, Action.ORPHAN)

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
}
_ORDER = {a: i for i, a in enumerate(Action)}


@dataclass(frozen=True)
class FieldChange:
    """One field that differs: ``op`` is add, change or remove; values are the wire values."""

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
    """One action on one endpoint, with why and the field-level before → after."""

    action: Action
    namespace: str
    name: str
    reason: str
    fields: tuple[FieldChange, ...] = ()
    live_state: str | None = None
    live_fingerprint: str | None = None
    secrets: bool = False
    cost_delta: float | None = None  # USD per month, positive = more spend

    @property
    def key(self) -> tuple[str, str]:
        return (self.namespace, self.name)

    @property
    def paths(self) -> list[str]:
        return [f.path for f in self.fields if f.path != "model.secrets"]

    def with_cost(self, delta: float | None) -> Change:
        return replace(self, cost_delta=delta)

    def data(self) -> dict[str, Any]:
        """The stable JSON shape of a change (``hfleet plan --format json``)."""
        return {
            "action": self.action.value,
            "namespace": self.namespace,
            "name": self.name,
            "reason": self.reason,
            "live_state": self.live_state,
            "live_fingerprint": self.live_fingerprint,
            "secrets_changed": self.secrets,
            "fields": [f.data() for f in self.fields],
            "cost_delta_monthly_usd": None if self.cost_delta is None else round(self.cost_delta, 2),
        }

    @staticmethod
    def from_data(data: Mapping[str, Any]) -> Change:
        return Change(
            action=Action(data["action"]),
            namespace=str(data["namespace"]),
            name=str(data["name"]),
            reason=str(data["reason"]),
            fields=tuple(FieldChange(f["path"], f.get("old"), f.get("new")) for f in data.get("fields", [])),
            live_state=data.get("live_state"),
            live_fingerprint=data.get("live_fingerprint"),
            secrets=bool(data.get("secrets_changed")),
            cost_delta=data.get("cost_delta_monthly_usd"),
        )


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
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def writes(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.action.writes)

    @property
    def has_changes(self) -> bool:
        return bool(self.writes)

    @property
    def conflicts(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.action is Action.CONFLICT)

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
        return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()

    def raise_if_unsafe(self, max_fraction: float = 0.3) -> None:
        """Refuse plans that delete or replace more than ``max_fraction`` of the managed fleet."""
        destructive = [c for c in self.changes if c.action in (Action.DELETE, Action.REPLACE)]
        if len(destructive) <= 1 or self.managed_count == 0:
            return
        fraction = len(destructive) / self.managed_count
        if fraction > max_fraction:
            raise errors.TooMuchChange(
                f"the plan deletes or replaces {len(destructive)} of {self.managed_count} managed endpoints "
                f"({fraction:.0%} > {max_fraction:.0%}); review it and re-run with --force to proceed"
            )

    def data(self) -> dict[str, Any]:
        """The stable JSON schema of a plan (version 1)."""
        return {
            "format_version": 1,
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
            "options": self.extra.get("options", {}),
            "changes": [c.data() for c in self.changes],
            "unchanged": list(self.unchanged),
        }

    @staticmethod
    def from_data(data: Mapping[str, Any]) -> Plan:
        if data.get("format_version") != 1:
            raise errors.ReconcilerError("unsupported plan file (format_version must be 1)")
        requeue = data.get("requeue_after_seconds")
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
            extra={"options": dict(data.get("options") or {})},
        )

    def with_options(self, **options: Any) -> Plan:
        """Record how the plan was made (prune, targets) so ``apply --plan`` can recompute it alike."""
        return replace(self, extra={**self.extra, "options": {**self.extra.get("options", {}), **options}})


def field_changes(want: Mapping[str, Any], have: Mapping[str, Any]) -> list[FieldChange]:
    """Field changes of the managed paths (only paths present in ``want`` are compared)."""
    out = []
    for path, value in want.items():
        current = have.get(path)
        resolved = isinstance(current, str) and _SHA_RE.match(current) and not _SHA_RE.match(str(value))
        if path == "model.revision" and resolved:
            continue  # the API may resolve a branch to its commit; a branch in the spec then matches any SHA
        if path == "model.env" and current is None:
            current = {}
        if current != value:
            out.append(FieldChange(path, current, value))
    return out


def _power_change(want: desired_mod.DesiredEndpoint, have: live.LiveEndpoint) -> tuple[Action, str] | None:
    state = have.state
    power = want.power
    if power is spec_models.PowerState.RUNNING:
        if state == "paused":
            return Action.RESUME, want.power_reason
        if state == "scaledToZero" and (want.spec.min_replica or 0) >= 1:
            return Action.RESUME, want.power_reason + " (min_replica ≥ 1)"
        return None
    if power is spec_models.PowerState.PAUSED:
        if state != "paused":
            return Action.PAUSE, want.power_reason
        return None
    if state != "scaledToZero":  # from paused, apply resumes it first (the API refuses otherwise)
        return Action.SCALE_TO_ZERO, want.power_reason
    return None


def _compare(want: desired_mod.DesiredEndpoint, have: live.LiveEndpoint) -> tuple[list[FieldChange], bool]:
    """Field changes and whether the secrets changed (by fingerprint)."""
    have_flat = have.flat()
    want_flat = dict(want.flat)
    if not want.secrets_resolvable:
        # Unknown secret values: keep the live fingerprint tag, and do not claim a rotation.
        kept = [t for t in have_flat["tags"] if t.startswith(live.SECRETS_TAG_PREFIX)]
        want_flat["tags"] = sorted([*want_flat["tags"], *kept])
    fields = field_changes(want_flat, have_flat)
    secrets = want.secrets_resolvable and want.secrets_fingerprint != have.secrets_fingerprint
    if secrets and want.secrets_fingerprint is not None:
        fields.append(
            FieldChange("model.secrets", "(hidden)", "(rotated)" if have.secrets_fingerprint else "(set)")
        )
        return fields, True
    if secrets and have.secrets_fingerprint is not None:
        # The spec no longer declares any secret, but hfleet set some (the live fingerprint tag says
        # so): remove them, as removing one of several keys does. Leaving them would keep a
        # credential the team took out of the spec.
        fields.append(FieldChange("model.secrets", "(hidden)", "(removed)"))
        return fields, True
    return fields, False


def compute(
    fleet_name: str,
    desired: Iterable[desired_mod.DesiredEndpoint],
    live_endpoints: Mapping[tuple[str, str], live.LiveEndpoint],
    *,
    now: datetime,
    prune: bool = False,
    targets: Iterable[str] | None = None,
    namespaces: Iterable[str] | None = None,
) -> Plan:
    """The plan that takes ``live_endpoints`` to ``desired`` (see the module docstring)."""
    wanted = {(d.namespace, d.name): d for d in desired}
    target_set = set(targets) if targets else None
    changes: list[Change] = []
    unchanged: list[str] = []
    warnings: list[str] = []
    requeue: list[timedelta] = []

    for key in sorted(wanted):
        want = wanted[key]
        if target_set is not None and want.name not in target_set:
            continue
        if want.next_boundary is not None:
            requeue.append(max(timedelta(0), want.next_boundary - now))
        if not want.secrets_resolvable:
            warnings.append(f"{want.name}: secret values are not available here; rotation is not checked")
        have = live_endpoints.get(key)
        if have is None:
            created = tuple(FieldChange(p, None, v) for p, v in sorted(want.flat.items()))
            reason = "not found live"
            if want.power is not spec_models.PowerState.RUNNING:
                reason += f"; then {want.power.value} ({want.power_reason}) once it is up"
            changes.append(Change(Action.CREATE, *key, reason, created, None, None, bool(want.spec.secrets)))
            continue
        owner = have.owner()
        if owner != fleet_name:
            why = (
                f"owned by fleet {owner!r}" if owner else "exists without this fleet's owner tag"
            ) + "; not touched (adopt it on purpose with `hfleet import --adopt`)"
            changes.append(Change(Action.CONFLICT, *key, why, (), have.state, have.fingerprint()))
            continue
        if have.health is live.Health.TRANSITIONAL:
            changes.append(
                Change(
                    Action.WAIT,
                    *key,
                    f"endpoint is {have.state}; no write on top of a transition",
                    (),
                    have.state,
                    have.fingerprint(),
                )
            )
            requeue.append(WAIT_REQUEUE)
            continue
        fields, secrets = _compare(want, have)
        before = len(changes)
        immutable = [f for f in fields if f.path in desired_mod.IMMUTABLE_PATHS]
        if immutable:
            names = ", ".join(f.path for f in immutable)
            changes.append(
                Change(
                    Action.REPLACE,
                    *key,
                    f"{names} cannot change in place",
                    tuple(fields),
                    have.state,
                    have.fingerprint(),
                    secrets,
                )
            )
            continue
        power = _power_change(want, have)
        if have.health is live.Health.FAILED and not (power and power[0] is Action.PAUSE):
            all_fields = tuple(FieldChange(p, have.flat().get(p), v) for p, v in sorted(want.flat.items()))
            all_fields += tuple(f for f in fields if f.path == "model.secrets")  # rotated or removed
            changes.append(
                Change(
                    Action.UPDATE,
                    *key,
                    f"repair: endpoint is {have.state}: {have.message or 'no message'}",
                    all_fields,
                    have.state,
                    have.fingerprint(),
                    bool(want.spec.secrets),
                )
            )
            continue
        if fields:
            changes.append(
                Change(
                    Action.UPDATE,
                    *key,
                    "drift: " + ", ".join(f.path for f in fields),
                    tuple(fields),
                    have.state,
                    have.fingerprint(),
                    secrets,
                )
            )
        if power is not None:
            changes.append(Change(power[0], *key, power[1], (), have.state, have.fingerprint()))
        if len(changes) == before:
            unchanged.append(want.name)

    spaces = set(namespaces) if namespaces is not None else {k[0] for k in wanted}
    managed = [e for k, e in live_endpoints.items() if e.owner() == fleet_name and k[0] in spaces]
    for have in sorted(managed, key=lambda e: (e.namespace, e.name)):
        key = (have.namespace, have.name)
        if key in wanted or (target_set is not None and have.name not in target_set):
            continue
        if not prune:
            changes.append(
                Change(
                    Action.ORPHAN,
                    *key,
                    "no spec names it; deleted only with --prune",
                    (),
                    have.state,
                    have.fingerprint(),
                )
            )
        elif have.protected:
            changes.append(
                Change(
                    Action.ORPHAN,
                    *key,
                    "no spec names it, but it is protected (hfleet-protect tag); kept",
                    (),
                    have.state,
                    have.fingerprint(),
                )
            )
        else:
            changes.append(
                Change(Action.DELETE, *key, "no spec names it (--prune)", (), have.state, have.fingerprint())
            )

    changes.sort(key=lambda c: (c.action.phase, c.namespace, c.name, _ORDER[c.action]))
    return Plan(
        fleet=fleet_name,
        now=now,
        changes=tuple(changes),
        unchanged=tuple(sorted(unchanged)),
        managed_count=len(managed),
        requeue_after=min(requeue) if requeue else None,
        warnings=tuple(warnings),
    )
