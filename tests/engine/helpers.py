"""One reconcile pass in-process, as the CLI does it, for the engine tests."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from reconciler.api import client as api_client
from reconciler.engine import apply as apply_mod
from reconciler.engine import plan as plan_mod
from reconciler.engine import run, safety
from reconciler.spec import loader
from tests.conftest import T0


def plan(
    path: Path, api: api_client.EndpointsApi, *, now: datetime = T0, prune: bool = False
) -> plan_mod.Plan:
    observation = run.observe(loader.load([path]), api, now)
    return run.make_plan(observation, api, run.Options(prune=prune))[0]


def converge(
    path: Path,
    api: api_client.EndpointsApi,
    *,
    now: datetime = T0,
    prune: bool = False,
    force: bool = False,
    allow_replace: bool = False,
) -> tuple[plan_mod.Plan, apply_mod.ApplyReport]:
    """Observe, plan, check safety (as apply does) and apply once, without the lock or waiting."""
    observation = run.observe(loader.load([path]), api, now)
    result = run.make_plan(observation, api, run.Options(prune=prune))[0]
    safety.check(result, safety.Limits(force=force, allow_replace=allow_replace), observation.desired)
    report = apply_mod.execute(result, observation.desired, observation.live.records, api)
    return result, report


def one_pass(
    path: Path,
    api: api_client.EndpointsApi,
    *,
    prune: bool = False,
    force: bool = False,
    allow_replace: bool = False,
    parallelism: int = 16,
    now: datetime | None = None,
) -> tuple[plan_mod.Plan, apply_mod.ApplyReport]:
    """One ``hfleet apply`` pass at the current instant (``now``), as the CLI runs it, minus the lock."""
    observation = run.observe(loader.load([path]), api, now)
    result = run.make_plan(observation, api, run.Options(prune=prune))[0]
    safety.check(result, safety.Limits(force=force, allow_replace=allow_replace), observation.desired)
    report = apply_mod.execute(
        result, observation.desired, observation.live.records, api, parallelism=parallelism
    )
    return result, report


def plan_now(path: Path, api: api_client.EndpointsApi, *, prune: bool = False) -> plan_mod.Plan:
    """The plan at the current instant."""
    return run.make_plan(run.observe(loader.load([path]), api), api, run.Options(prune=prune))[0]


def actions(result: plan_mod.Plan) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for change in result.changes:
        out.setdefault(change.name, []).append(change.action.value)
    return out
