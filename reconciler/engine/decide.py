"""Planning: pair desired endpoints with live ones, then one small rule per decision. Pure.

Owns: ``Pair``, ``pair`` and ``compute`` (the plan that takes the live endpoints to the desired
ones). Called by: ``reconciler.engine.run`` (and the fixture tests in ``tests/engine/cases``).
Must not: perform I/O; rendering lives in ``reconciler.render``.

``compute`` works in these steps:
 1. **pair** every desired endpoint with the live record of the same namespace and name, and every
    live endpoint of this fleet that no spec names (gitops-engine's ``sync.Reconcile``); an endpoint
    the API described in a malformed way is **malformed** (reported, never touched, exit 1);
 2. no live endpoint → **create** (then the power state the spec or schedule asks for, once up);
 3. a live endpoint without this fleet's owner tag → **conflict** (never touched; adopt it on purpose
    with ``hfleet import --adopt``);
 4. pending / initializing / updating → **wait** (no write on top of a transition);
 5. compare the owned fields (``reconciler.engine.diff``): an immutable one differs → **replace**
    (delete + create; shown apart, applied only with consent); mutable ones or secrets differ →
    **update** of just those; a failed endpoint → **update** re-sending every stated field (repair);
 6. compare the power state → **resume**, **pause** or **scale_to_zero**;
 7. a live endpoint of this fleet that no spec names → **delete** with ``prune``, else **orphan**
    (reported only); the protect tag keeps it;
 8. sort deterministically (creates, updates and resumes; then pauses and scale-to-zero; deletes
    last) and note when to look again (the next schedule boundary, or soon while waiting).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from reconciler.engine import diff
from reconciler.engine import live as live_mod
from reconciler.engine.desired import DesiredEndpoint
from reconciler.engine.plan import Action, Change, FieldChange, Plan, Reason, SecretChange, sort_key
from reconciler.spec.models import PowerState
from reconciler.wire import convert, ownership
from reconciler.wire.record import EndpointRecord, Health, State

__all__ = ["WAIT_REQUEUE", "Pair", "compute", "pair"]

WAIT_REQUEUE = timedelta(seconds=30)
Key = tuple[str, str]


@dataclass(frozen=True)
class Pair:
    """A desired endpoint and its live record; either may be missing (create / orphan)."""

    key: Key
    want: DesiredEndpoint | None
    have: EndpointRecord | None
    malformed: live_mod.Malformed | None = None


def pair(
    fleet: str,
    desired: Iterable[DesiredEndpoint],
    live: live_mod.LiveState,
    *,
    namespaces: Iterable[str],
    targets: Iterable[str] | None = None,
) -> list[Pair]:
    """Desired endpoints with their live records, then this fleet's live endpoints no spec names."""
    only = set(targets) if targets else None
    wanted = {d.key: d for d in desired if only is None or d.name in only}
    broken = {(m.namespace, m.name): m for m in live.malformed}
    pairs = [Pair(k, wanted[k], live.get(k), broken.get(k)) for k in sorted(wanted)]
    for have in live.owned_by(fleet, namespaces):
        if have.key not in wanted and (only is None or have.name in only):
            pairs.append(Pair(have.key, None, have))
    for key, bad in sorted(broken.items()):
        if key not in wanted and key[0] in set(namespaces) and (only is None or key[1] in only):
            pairs.append(Pair(key, None, None, bad))
    return pairs


def _change(action: Action, p: Pair, reason: Reason, detail: str, **more: object) -> Change:
    have = p.have
    return Change(
        action,
        *p.key,
        reason,
        detail,
        live_state=have.state if have else None,
        live_fingerprint=live_mod.fingerprint(have) if have else None,
        resend=_resent(p.want, more.get("secrets")),
        **more,  # type: ignore[arg-type]
    )


def _resent(want: DesiredEndpoint | None, secrets: object) -> tuple[str, ...]:
    """Where the secret values a change sends live, by name (never by value): ``model.secrets`` and,
    for a private registry, the password inside ``model.image`` (the image is re-sent with it)."""
    if want is None or secrets is None:
        return ()
    if secrets is SecretChange.REMOVED:
        return ("model.secrets (all removed)",)
    parts = []
    if want.spec.secrets:
        parts.append(f"model.secrets ({', '.join(sorted(want.spec.secrets))})")
    image = want.spec.image
    if image is not None and image.credentials is not None:
        parts.append(f"model.image.{image.variant}.credentials (password of {image.credentials.username})")
    return tuple(parts)


def _created(want: DesiredEndpoint) -> tuple[FieldChange, ...]:
    return tuple(FieldChange(path, None, value) for path, value in sorted(want.view.items()))


def _then(want: DesiredEndpoint) -> str | None:
    return None if want.power is PowerState.RUNNING else want.power.value


def rule_create(p: Pair, want: DesiredEndpoint) -> Change:
    detail = "not found live"
    if want.power is not PowerState.RUNNING:
        detail += f"; then {want.power.value} ({want.power_reason}) once it is up"
    return _change(
        Action.CREATE,
        p,
        Reason.NOT_FOUND,
        detail,
        fields=_created(want),
        secrets=SecretChange.SET if want.secrets_fingerprint else None,
        then=_then(want),
    )


def rule_ownership(p: Pair, fleet: str, have: EndpointRecord) -> Change | None:
    owner = ownership.owner_of(have.tags)
    if owner == fleet:
        return None
    if owner:
        return _change(Action.CONFLICT, p, Reason.FOREIGN, f"owned by fleet {owner!r}; not touched")
    return _change(
        Action.CONFLICT,
        p,
        Reason.UNOWNED,
        "exists without this fleet's owner tag; not touched (adopt it with `hfleet import --adopt`)",
    )


def rule_config(
    p: Pair, want: DesiredEndpoint, have: EndpointRecord, found: diff.Comparison
) -> Change | None:
    if found.immutable:
        names = ", ".join(sorted({f.path for f in found.immutable}))
        return _change(
            Action.REPLACE,
            p,
            Reason.IMMUTABLE,
            f"{names} cannot change in place: delete and re-create (new URL, cold start)",
            fields=found.immutable + found.fields,
            secrets=SecretChange.SET if want.secrets_fingerprint else None,
            then=_then(want),
        )
    if have.health is Health.FAILED and want.power is not PowerState.PAUSED:
        return _change(
            Action.UPDATE,
            p,
            Reason.REPAIR,
            f"repair: endpoint is {have.state}: {have.message or 'no message'}",
            fields=found.fields,
            paths=diff.writable_paths(want),
            secrets=found.secrets or (SecretChange.ROTATED if want.secrets_fingerprint else None),
        )
    if not found.drift:
        return None
    if found.paths:
        detail = "drift: " + ", ".join(found.paths)
        reason = Reason.DRIFT
    else:
        detail = f"secrets {found.secrets.value if found.secrets else ''}"
        reason = Reason.SECRETS
    if found.secrets and found.paths:
        detail += f"; secrets {found.secrets.value}"
    return _change(
        Action.UPDATE, p, reason, detail, fields=found.fields, paths=found.paths, secrets=found.secrets
    )


def rule_power(p: Pair, want: DesiredEndpoint, have: EndpointRecord) -> Change | None:
    reason = Reason.SCHEDULE if want.by_schedule else Reason.STATE
    state = have.state
    if want.power is PowerState.RUNNING:
        if state == State.PAUSED:
            return _change(Action.RESUME, p, reason, want.power_reason)
        floor = want.spec.min_replica if want.spec.min_replica is not None else have.min_replica
        if state == State.SCALED_TO_ZERO and (floor or 0) >= 1:
            # Scaled to zero by hand although it may not idle to zero (min_replica ≥ 1): wake it.
            return _change(Action.RESUME, p, reason, want.power_reason + " (min_replica ≥ 1)")
        return None
    if want.power is PowerState.PAUSED:
        return None if state == State.PAUSED else _change(Action.PAUSE, p, reason, want.power_reason)
    if state == State.SCALED_TO_ZERO:
        return None
    return _change(Action.SCALE_TO_ZERO, p, reason, want.power_reason)  # from paused: apply resumes first


def rule_orphan(p: Pair, have: EndpointRecord, prune: bool) -> Change:
    if not prune:
        return _change(Action.ORPHAN, p, Reason.NO_SPEC, "no spec names it; deleted only with --prune")
    if ownership.protected(have.tags):
        return _change(Action.ORPHAN, p, Reason.PROTECTED, "no spec names it, but it is protected; kept")
    return _change(Action.DELETE, p, Reason.NO_SPEC, "no spec names it (--prune)")


def _credentials_warning(want: DesiredEndpoint, have: EndpointRecord, change: Change) -> list[str]:
    """The API replaces ``model.image`` whole and answers registry credentials redacted: an image
    written without the credentials the live one holds removes them (the next pull fails)."""
    writes_image = change.action is Action.UPDATE and any(p.startswith("model.image") for p in change.paths)
    stated = want.spec.image is not None and want.spec.image.credentials is not None
    if not writes_image or stated or not convert.has_registry_credentials(have):
        return []
    return [
        f"{want.name}: the live image has registry credentials the spec does not state; writing "
        "model.image removes them (state image.custom.credentials, or ignore_changes: [image])"
    ]


def decide(p: Pair, fleet: str, prune: bool) -> tuple[list[Change], list[str]]:
    """The changes of one pair, and warnings about it."""
    want, have = p.want, p.have
    if p.malformed is not None:
        problems = "; ".join(p.malformed.problems)
        return [
            _change(Action.MALFORMED, p, Reason.MALFORMED, f"the API's answer is malformed: {problems}")
        ], []
    if want is None:
        assert have is not None
        return [rule_orphan(p, have, prune)], []
    if have is None:
        return [rule_create(p, want)], []
    conflict = rule_ownership(p, fleet, have)
    if conflict is not None:
        return [conflict], []
    if have.health is Health.TRANSITIONAL:
        return [
            _change(
                Action.WAIT,
                p,
                Reason.TRANSITION,
                f"endpoint is {have.state}; no write on top of a transition",
            )
        ], []
    found = diff.compare(want, have)
    warnings = [f"{want.name}: {why}; not compared" for why in found.unknown]
    warnings += [
        f"{want.name}: {f.path} is {f.old!r} live, {f.new!r} in the spec; the API keeps it for admins only, "
        "so hfleet sets it on create and never updates it"
        for f in found.advisory
    ]
    if found.secrets_note:
        warnings.append(f"{want.name}: {found.secrets_note}")
    changes = []
    config = rule_config(p, want, have, found)
    if config is not None:
        changes.append(config)
        warnings += _credentials_warning(want, have, config)
    if config is None or config.action is Action.UPDATE:
        power = rule_power(p, want, have)
        if power is not None:
            changes.append(power)
    return changes, warnings


def compute(
    fleet: str,
    desired: Mapping[Key, DesiredEndpoint],
    live: live_mod.LiveState,
    *,
    now: datetime,
    namespaces: Iterable[str],
    prune: bool = False,
    targets: Iterable[str] | None = None,
) -> Plan:
    """The plan that takes ``live`` to ``desired`` (see the module docstring)."""
    spaces = tuple(namespaces)
    changes: list[Change] = []
    unchanged: list[str] = []
    warnings: list[str] = []
    requeue: list[timedelta] = []
    for p in pair(fleet, desired.values(), live, namespaces=spaces, targets=targets):
        found, notes = decide(p, fleet, prune)
        changes += found
        warnings += notes
        if p.want is not None and p.want.next_boundary is not None:
            requeue.append(max(timedelta(0), p.want.next_boundary - now))
        if any(c.action is Action.WAIT for c in found):
            requeue.append(WAIT_REQUEUE)
        if p.want is not None and not found:
            unchanged.append(p.want.name)
    changes.sort(key=sort_key)
    return Plan(
        fleet=fleet,
        now=now,
        changes=tuple(changes),
        unchanged=tuple(sorted(unchanged)),
        managed_count=len(live.owned_by(fleet, spaces)),
        requeue_after=min(requeue) if requeue else None,
        warnings=tuple(dict.fromkeys(warnings)),
    )
