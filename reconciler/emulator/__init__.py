"""An emulator of the Hugging Face Inference Endpoints API (control plane, whoami and data plane).

Stands alone: it imports nothing else of ``reconciler``. See ``app`` for the behaviour and the
choices made where the public reference is uncertain.
"""

from reconciler.emulator.app import Durations, Emulator, EmulatorConfig, Identity, RequestRecord
from reconciler.emulator.faults import FaultRule, FaultSet

__all__ = ["Durations", "Emulator", "EmulatorConfig", "FaultRule", "FaultSet", "Identity", "RequestRecord"]
