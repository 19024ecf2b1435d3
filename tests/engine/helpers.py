"""One reconcile pass in-process, as the CLI does it, for the engine tests."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from reconciler.api import client as api_client
from reconciler.engine import apply as apply_mod
from reconciler.engine import plan as plan_mod
from reconciler.engine import run as reconcile
from reconciler.spec import loader
from tests.conftest import T0


def plan(
    path: Path, api: api_client.EndpointsApi, *, now: datetime = T0, prune: bool = False
) -> plan_mod.Plan:
    observation = reconcile.observe(loader.load([path]), api, now)
    return reconcile.make_plan(observation, prune=prune)


def converge(
    path: Path, api: api_client.EndpointsApi, *, now: datetime = T0, prune: bool = False, force: bool = False
) -> tuple[plan_mod.Plan, apply_mod.ApplyReport]:
    observation = reconcile.observe(loader.load([path]), api, now)
    result = reconcile.make_plan(observation, prune=prune)
    report = reconcile.apply_plan(observation, result, api, force=force)
    return result, report


def actions(result: plan_mod.Plan) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for change in result.changes:
        out.setdefault(change.name, []).append(change.action.value)
    return out
