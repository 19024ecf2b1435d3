"""hfleet: a declarative fleet manager (GitOps reconciler) for Hugging Face Inference Endpoints.

The public surface for using hfleet as a library; elsewhere, modules are imported as modules
(``from reconciler import plan`` → ``plan.compute(...)``). The embedded emulator lives in
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
    from reconciler.engine.plan import Action, Change, FieldChange, Plan
    from reconciler.engine.run import Observation, apply_plan, connect, make_plan, observe
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
    "Outcome": "reconciler.engine.apply",
    "Plan": "reconciler.engine.plan",
    "ReconcilerError": "reconciler.errors",
    "SpecError": "reconciler.errors",
    "UnsafePlanError": "reconciler.errors",
    "apply_plan": "reconciler.engine.run",
    "connect": "reconciler.engine.run",
    "load": "reconciler.spec.loader",
    "make_plan": "reconciler.engine.run",
    "observe": "reconciler.engine.run",
}

__all__ = [
    "Action",
    "ApplyReport",
    "Change",
    "EndpointsApi",
    "FieldChange",
    "Fleet",
    "Observation",
    "Outcome",
    "Plan",
    "ReconcilerError",
    "SpecError",
    "UnsafePlanError",
    "apply_plan",
    "connect",
    "load",
    "make_plan",
    "observe",
]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'reconciler' has no attribute {name!r}")
