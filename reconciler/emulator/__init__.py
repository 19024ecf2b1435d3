"""An emulator of the Hugging Face Inference Endpoints API (control plane, whoami and data plane).

Stands alone: it imports nothing else of ``reconciler``. ``Emulator`` (in ``app``) is the object
to hold; docs/emulator.md says what it answers, from which sources, and how tests drive it
(``reset``, ``seed``, fault scripting, the request log). ``server`` serves it on loopback.
"""

from reconciler.emulator.app import Emulator, EndpointSnapshot, RequestRecord
from reconciler.emulator.config import EmulatorConfig, Identity
from reconciler.emulator.faults import FaultRule, FaultSet
from reconciler.emulator.lifecycle import Durations

__all__ = [
    "Durations",
    "Emulator",
    "EmulatorConfig",
    "EndpointSnapshot",
    "FaultRule",
    "FaultSet",
    "Identity",
    "RequestRecord",
]
