"""hfleet: a declarative fleet manager (GitOps reconciler) for Hugging Face Inference Endpoints.

The public surface for using hfleet as a library; elsewhere, modules are imported as modules
(``from reconciler.engine import run`` → ``run.run(...)``). The embedded emulator lives in
``reconciler.emulator`` and the inference client in ``reconciler.inference``.

Names are resolved lazily (PEP 562), so ``import reconciler.emulator`` loads the emulator alone:
it stands apart from the engine and must not pull it in.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reconciler.api.client import EndpointsApi
    from reconciler.engine.apply import ApplyReport, Outcome
    from reconciler.engine.plan import Action, Change, FieldChange, Plan, Reason
    from reconciler.engine.run import Observation, Options, RunResult, make_plan, observe, run
    from reconciler.engine.session import Session, Settings, connect
    from reconciler.errors import ReconcilerError, SpecError, UnsafePlanError
    from reconciler.spec.loader import Fleet, load

_WHERE = {
    "Action": "reconciler.engine.plan",
    "ApplyReport": "reconciler.engine.apply",
    "Change": "reconciler.engine.plan",
    "EndpointsApi": "reconciler.api.client",
    "FieldChange": "reconciler.engine.plan",
    "Fleet": "reconciler.spec.loader",
    "Observation": "reconciler.engine.run",
    "Options": "reconciler.engine.run",
    "Outcome": "reconciler.engine.apply",
    "Plan": "reconciler.engine.plan",
    "Reason": "reconciler.engine.plan",
    "ReconcilerError": "reconciler.errors",
    "RunResult": "reconciler.engine.run",
    "Session": "reconciler.engine.session",
    "Settings": "reconciler.engine.session",
    "SpecError": "reconciler.errors",
    "UnsafePlanError": "reconciler.errors",
    "connect": "reconciler.engine.session",
    "load": "reconciler.spec.loader",
    "make_plan": "reconciler.engine.run",
    "observe": "reconciler.engine.run",
    "run": "reconciler.engine.run",
}

__all__ = [
    "Action",
    "ApplyReport",
    "Change",
    "EndpointsApi",
    "FieldChange",
    "Fleet",
    "Observation",
    "Options",
    "Outcome",
    "Plan",
    "Reason",
    "ReconcilerError",
    "RunResult",
    "Session",
    "Settings",
    "SpecError",
    "UnsafePlanError",
    "connect",
    "load",
    "make_plan",
    "observe",
    "run",
]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'reconciler' has no attribute {name!r}")
