"""The guards a plan must pass before any write: consent to replace, and bulk-change thresholds.

Owns: ``Limits``, ``allowed`` and ``check``. Called by: ``reconciler.engine.run`` (once per run,
before confirmation and apply). Must not: write or prompt; a refused plan raises an
``UnsafePlanError`` subclass (exit 3) and nothing has been sent.

- A **replace** (delete + create: new URL, cold start, downtime) is applied only with consent:
  ``--allow-replace`` for the run, or ``allow_replace: true`` on the endpoint. ``--force`` does not
  give it: forcing through a threshold is not consent to destroy.
- **Deletes and replaces** together may touch at most ``max_delete_fraction`` of the managed fleet,
  and **updates** (configuration writes, which redeploy) at most ``max_update_fraction``
  (octoDNS's ``MAX_SAFE_UPDATE_PCENT`` / ``MAX_SAFE_DELETE_PCENT``), unless ``--force``. A plan that
  rewrites most of a fleet on first contact with an API that answers differently than expected is
  the case this stops. Fractions are taken of the fleet counted as at least ``SMALL_FLEET``
  endpoints, so in a fleet of one or two one change is not "50 %", while a fraction of 0 still
  refuses every such change. Power changes (pause, resume, scale to zero) are never limited:
  schedules turn whole fleets off every evening.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from reconciler import errors
from reconciler.engine.desired import DesiredEndpoint
from reconciler.engine.plan import Action, Plan

__all__ = ["SMALL_FLEET", "Limits", "allowed", "check"]

SMALL_FLEET = 4


@dataclass(frozen=True)
class Limits:
    max_delete_fraction: float = 0.3
    max_update_fraction: float = 0.5
    force: bool = False
    allow_replace: bool = False


def allowed(fraction: float, managed: int) -> int:
    """How many changes of a kind a fleet of ``managed`` endpoints may take without --force."""
    return math.floor(fraction * max(managed, SMALL_FLEET) + 1e-9)


def check(plan: Plan, limits: Limits, desired: Mapping[tuple[str, str], DesiredEndpoint]) -> None:
    """Raise the first guard the plan fails (see the module docstring)."""
    unconsented = [
        c.name
        for c in plan.replaces
        if not limits.allow_replace and not (c.key in desired and desired[c.key].allow_replace)
    ]
    if unconsented:
        raise errors.ReplaceNeedsConsent(
            f"the plan deletes and re-creates {', '.join(unconsented)} (new URL, cold start, downtime); "
            "re-run with --allow-replace, or set allow_replace: true on the endpoint, to consent"
        )
    if limits.force:
        return
    managed = plan.managed_count
    destroy = [c for c in plan.changes if c.action in (Action.DELETE, Action.REPLACE)]
    updates = [c for c in plan.changes if c.action is Action.UPDATE]
    for kind, items, fraction, flag in (
        ("deletes or replaces", destroy, limits.max_delete_fraction, "--max-delete-fraction"),
        ("rewrites the configuration of", updates, limits.max_update_fraction, "--max-update-fraction"),
    ):
        limit = allowed(fraction, managed)
        if len(items) > limit:
            raise errors.TooMuchChange(
                f"the plan {kind} {len(items)} of {managed} managed endpoints, more than the "
                f"{limit} allowed ({flag} {fraction:g}); review it and re-run with --force to proceed"
            )
