"""Desired state: what each endpoint should look like now (spec + defaults + schedule at ``now``).

Owns: ``DesiredEndpoint`` (the owned fields as ``reconciler.wire.convert.desired_view`` gives them,
the power state and why, the secrets fingerprint, what the spec asks hfleet to leave alone) and
``build``. Called by: ``reconciler.engine.run`` (observation), ``decide`` and ``apply``.
Must not: talk to the network. Reading the clock is the caller's job: ``now`` is an argument.

Secret values are resolved only to fingerprint them (a keyed, truncated digest kept in a tag, which
tells "changed" from "unchanged" and nothing else) and, by apply, to build a payload; they are
never stored in a plan, printed or logged.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reconciler.spec import loader, secrets
from reconciler.spec import models as spec_models
from reconciler.wire import convert

__all__ = [
    "DesiredEndpoint",
    "SecretUnavailable",
    "build",
    "grace_from",
    "power_at",
    "resolve_secret",
]

SecretUnavailable = secrets.SecretUnavailable


@dataclass(frozen=True)
class DesiredEndpoint:
    """One endpoint as it should be at this instant."""

    spec: spec_models.EndpointSpec
    namespace: str
    fleet: str
    view: dict[str, Any]  # API path → value, for every field the spec states
    power: spec_models.PowerState
    power_reason: str
    by_schedule: bool  # the power state comes from the schedule (not the spec's ``state``)
    next_boundary: datetime | None
    secrets_fingerprint: str | None
    secrets_resolvable: bool
    ignore: frozenset[str]  # spec names of ``ignore_changes``

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def key(self) -> tuple[str, str]:
        return (self.namespace, self.name)

    @property
    def allow_replace(self) -> bool:
        return self.spec.allow_replace


def resolve_secret(ref: spec_models.SecretRef, what: str) -> str:
    """The value behind a reference (``reconciler.spec.secrets``: from_file only under the allowed
    roots, bounded, regular files only). The error names the reference, never a value."""
    return secrets.resolve(ref, what)


def _secret_material(spec: spec_models.EndpointSpec) -> list[tuple[str, spec_models.SecretRef]]:
    items = sorted((spec.secrets or {}).items())
    if spec.image is not None and spec.image.credentials is not None:
        items.append(("<registry:" + spec.image.credentials.username + ">", spec.image.credentials.password))
    return items


def fingerprint(fleet: str, spec: spec_models.EndpointSpec) -> tuple[str | None, bool]:
    """A 64-bit keyed digest of every secret value (``model.secrets`` and the registry password).

    Salted with the fleet and endpoint names and truncated, so it cannot be looked up in a table; it
    only tells "changed" from "unchanged". Returns (None, False) when a value cannot be read here
    (a plan in CI without the secrets): rotation is then not checked.
    """
    material = _secret_material(spec)
    if not material:
        return None, True
    digest = hashlib.sha256(f"hfleet-secrets-v1\0{fleet}\0{spec.name}".encode())
    try:
        for key, ref in material:
            digest.update(
                b"\0" + key.encode() + b"=" + resolve_secret(ref, f"{spec.name}: secret {key}").encode()
            )
    except SecretUnavailable:
        return None, False
    return digest.hexdigest()[:16], True


def grace_from(state: str | None, last_change: datetime | None, now: datetime) -> datetime | None:
    """When the endpoint's grace period runs from, given its live ``state`` and ``last_change``
    (``updatedAt``), or None when it has none.

    A grace period only keeps an endpoint up after a deploy; it never turns one back on. While the
    endpoint is paused or scaled to zero its ``updatedAt`` is that turn-off itself (the API stamps
    pause, resume and scale-to-zero too), so it starts no grace period: otherwise every pause the
    schedule makes would be undone by a resume a minute later, and again after each grace period.
    An endpoint not created yet (``state`` None) is deployed by this plan, so its grace runs from
    ``now``: the plan then says what the apply will do (create and keep up for the grace period).
    """
    if state is None:
        return now
    if state in ("paused", "scaledToZero"):
        return None
    return last_change


def build(
    fleet: loader.Fleet,
    spec: spec_models.EndpointSpec,
    now: datetime,
    *,
    last_change: datetime | None = None,
) -> DesiredEndpoint:
    """The desired endpoint at ``now``. ``last_change`` is when its grace period runs from
    (``grace_from``: the live ``updatedAt`` while the endpoint is up), or None."""
    power, reason, by_schedule, boundary = power_at(fleet, spec, now, last_change)
    digest, resolvable = fingerprint(fleet.name, spec)
    return DesiredEndpoint(
        spec=spec,
        namespace=fleet.namespace_of(spec),
        fleet=fleet.name,
        view=convert.desired_view(spec, fleet.name),
        power=power,
        power_reason=reason,
        by_schedule=by_schedule,
        next_boundary=boundary,
        secrets_fingerprint=digest,
        secrets_resolvable=resolvable,
        ignore=frozenset(spec.ignore_changes or ()),
    )


def power_at(
    fleet: loader.Fleet, spec: spec_models.EndpointSpec, now: datetime, last_change: datetime | None
) -> tuple[spec_models.PowerState, str, bool, datetime | None]:
    """The power state the spec (or its schedule) wants at ``now``, why, whether the schedule says
    so, and the schedule's next boundary. Reads no secret: smoke asks it without building a desired
    endpoint (which resolves every secret reference)."""
    wanted = spec.state or spec_models.PowerState.RUNNING
    schedule = fleet.schedule_of(spec)
    if schedule is None and spec.schedule_override is None:
        return wanted, f"state: {wanted.value}", False, None
    from reconciler.schedule import evaluate as schedule_eval

    decision = schedule_eval.evaluate(schedule, now, override=spec.schedule_override, last_change=last_change)
    if wanted is not spec_models.PowerState.RUNNING:
        # An explicit paused/scaled_to_zero state wins over the schedule: the schedule only turns off.
        return wanted, f"state: {wanted.value}", False, decision.next_boundary
    if decision.up:
        return spec_models.PowerState.RUNNING, f"schedule: {decision.reason}", True, decision.next_boundary
    off = (
        spec_models.PowerState.PAUSED
        if decision.off_action == "pause"
        else spec_models.PowerState.SCALED_TO_ZERO
    )
    return off, f"schedule: {decision.reason}", True, decision.next_boundary
