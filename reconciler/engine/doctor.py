"""``hfleet doctor``: a read-only first-contact check to run with a real token before the first apply.

Owns: ``Check``, ``Report``, ``KNOWN_KEYS`` and ``examine``. Called by: the CLI. Must not: write:
it only GETs (whoami, the listings, the hardware catalog); a test asserts it sends nothing else.

It answers what a user wants to know before letting hfleet loose on a real account: is the token
good and who is it; are the fleet's namespaces reachable; does every live endpoint parse; which
fields does the API send that hfleet does not model (the API adds fields over time: they are never
compared, but a user should know they exist); can the secret references be read here; and what the
first apply would do, with a warning on anything that would replace, delete, or rewrite the whole
fleet, and on each of the plan's own warnings.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from reconciler import errors
from reconciler.engine import desired, diff, run
from reconciler.engine.plan import Action, Plan
from reconciler.engine.session import Session
from reconciler.spec import loader

__all__ = ["KNOWN_KEYS", "Check", "Report", "examine", "unknown_keys"]

# The keys of EndpointWithStatus we know (hf-endpoints-api.md §3); deeper maps (image options, env,
# secrets, measure, tags) are open by nature and not listed.
KNOWN_KEYS: dict[str, frozenset[str]] = {
    "": frozenset(
        {
            "name",
            "type",
            "accountId",
            "provider",
            "compute",
            "model",
            "status",
            "healthRoute",
            "tags",
            "experimentalFeatures",
            "notifications",
            "route",
            "privateService",
            "network",
            "cacheHttpResponses",
        }
    ),
    "provider": frozenset({"vendor", "region"}),
    "compute": frozenset({"accelerator", "instanceType", "instanceSize", "id", "scaling"}),
    "compute.scaling": frozenset(
        {"minReplica", "maxReplica", "scaleToZeroTimeout", "metric", "measure", "threshold"}
    ),
    "model": frozenset(
        {
            "repository",
            "framework",
            "revision",
            "task",
            "image",
            "env",
            "secrets",
            "secret",
            "command",
            "args",
            "fromCatalog",
        }
    ),
    "route": frozenset({"domain", "path"}),
    "status": frozenset(
        {
            "createdAt",
            "createdBy",
            "updatedAt",
            "updatedBy",
            "private",
            "state",
            "message",
            "errorMessage",
            "url",
            "readyReplica",
            "targetReplica",
        }
    ),
}


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # "ok", "warn" or "fail"
    detail: str

    def data(self) -> dict[str, str]:
        return {"check": self.name, "status": self.status, "detail": self.detail}


@dataclass
class Report:
    checks: list[Check] = field(default_factory=list)
    plan: Plan | None = None

    @property
    def worst(self) -> str:
        statuses = {c.status for c in self.checks}
        return "fail" if "fail" in statuses else "warn" if "warn" in statuses else "ok"

    def add(self, name: str, status: str, detail: str) -> None:
        self.checks.append(Check(name, status, detail))


def unknown_keys(raws: Iterable[dict[str, Any]]) -> Counter[str]:
    """How many endpoints carry each key hfleet does not model."""
    seen: Counter[str] = Counter()
    for raw in raws:
        found: set[str] = set()
        for where, known in KNOWN_KEYS.items():
            node: Any = raw
            for part in where.split(".") if where else []:
                node = node.get(part) if isinstance(node, dict) else None
            if isinstance(node, dict):
                found |= {f"{where}.{k}" if where else k for k in node if k not in known}
        seen.update(found)
    return seen


def examine(fleet: loader.Fleet, session: Session) -> Report:
    """Every check, in order; a failed step does not hide the later ones it does not depend on."""
    report = Report()
    namespaces = sorted({fleet.namespace, *(fleet.namespace_of(e) for e in fleet.endpoints)})
    try:
        who = session.api.whoami()
        orgs = sorted(str(o.get("name")) for o in who.get("orgs") or [] if isinstance(o, dict))
        report.add(
            "token", "ok", f"valid: {who.get('name')!r}" + (f", member of {', '.join(orgs)}" if orgs else "")
        )
        allowed = {str(who.get("name")), *orgs}
        outside = [ns for ns in namespaces if ns not in allowed]
        if outside:
            report.add("namespaces", "warn", f"not the token's user or one of its orgs: {', '.join(outside)}")
    except errors.ReconcilerError as exc:
        report.add("token", "fail", f"whoami failed: {exc}")
    try:
        observation = run.observe(fleet, session.api)
    except errors.ReconcilerError as exc:
        report.add("listing", "fail", f"cannot list {', '.join(namespaces)}: {exc}")
        return report
    records = observation.live.records
    report.add("listing", "ok", f"{len(records)} endpoints in {', '.join(namespaces)}")
    for bad in observation.live.malformed:
        report.add("parse", "fail", f"{bad.namespace}/{bad.name}: {'; '.join(bad.problems)}")
    if not observation.live.malformed:
        report.add("parse", "ok", f"every endpoint parsed ({len(records)})")
    extra = unknown_keys(r.raw for r in records.values())
    if extra:
        listed = ", ".join(f"{key} ({count})" for key, count in sorted(extra.items()))
        report.add(
            "fields", "ok", f"fields the API sends that hfleet does not model (never compared): {listed}"
        )
    _secrets_check(report, observation)
    try:
        plan, _, quota = run.make_plan(observation, session.api, run.Options())
    except errors.ReconcilerError as exc:
        report.add("plan", "fail", str(exc))
        return report
    report.plan = plan
    _plan_checks(report, plan, quota)
    return report


def _secrets_check(report: Report, observation: run.Observation) -> None:
    """A first apply reads every secret reference (creates send them; rotation is checked by them)."""
    wants = [w for w in observation.desired.values() if w.spec.secrets or _has_credentials(w)]
    missing = sorted(w.name for w in wants if not w.secrets_resolvable)
    if missing:
        report.add(
            "secrets",
            "warn",
            f"not readable here for {', '.join(missing)}: apply needs them, and without them a plan "
            "cannot tell whether they rotated",
        )
    elif wants:
        report.add("secrets", "ok", f"every secret reference resolves ({len(wants)} endpoints)")


def _has_credentials(want: desired.DesiredEndpoint) -> bool:
    image = want.spec.image
    return image is not None and image.credentials is not None


def _summary(plan: Plan) -> str:
    quiet = {"unchanged", "wait", "conflict", "orphan", "malformed"}
    counts = ", ".join(f"{action} {n}" for action, n in plan.counts().items() if n and action not in quiet)
    cost = plan.monthly_cost_delta
    return f"a first apply would {counts}" + (f" ({cost:+,.2f} USD/month)" if cost else "")


def _plan_checks(report: Report, plan: Plan, quota: str | None) -> None:
    by_action: dict[Action, list[str]] = {}
    for change in plan.changes:
        by_action.setdefault(change.action, []).append(change.name)
    for action, what in (
        (Action.REPLACE, "a first apply would DELETE and re-create (refused without --allow-replace)"),
        (Action.CONFLICT, "exist without this fleet's owner tag (adopt with `hfleet import --adopt`)"),
        (Action.MALFORMED, "are described in a malformed way by the API"),
        (Action.ORPHAN, "belong to the fleet but no spec names them (deleted by `apply --prune`)"),
    ):
        if by_action.get(action):
            report.add(f"plan: {action.value}", "warn", f"{', '.join(by_action[action])}: {what}")
    updates = by_action.get(Action.UPDATE, [])
    managed = max(plan.managed_count, 1)
    if updates and len(updates) >= managed:
        report.add(
            "plan: update",
            "warn",
            f"a first apply would rewrite EVERY managed endpoint ({', '.join(updates)})",
        )
    elif updates:
        report.add("plan: update", "warn", f"a first apply would update {', '.join(updates)}")
    for warning in plan.warnings:
        if not warning.endswith(diff.SECRETS_UNREADABLE):  # said once by the secrets check
            report.add("plan: warning", "warn", warning)
    if quota:
        report.add("quota", "warn", quota)
    if plan.has_changes:
        report.add("plan", "ok", _summary(plan))
    elif not plan.errored:
        report.add("plan", "ok", "the live endpoints match the specs: a first apply would send nothing")
