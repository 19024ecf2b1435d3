"""How an emulator behaves: who the tokens are, how long transitions take, quotas, limits.

Owns: ``Identity``, ``EmulatorConfig`` and ``parse_identity`` (the ``TOKEN=USER[:ORG,...]`` form
of ``emulator serve --identity``). Called by: ``Emulator`` and every room that reads a setting,
``server.ServeOptions``. Must not: read the environment (settings come in, never from deep inside).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from reconciler.emulator.faults import FaultRule
from reconciler.emulator.lifecycle import Durations

__all__ = ["DEFAULT_TOKEN", "EmulatorConfig", "Identity", "default_identities", "parse_identity"]

DEFAULT_TOKEN = "hf_emulator"


@dataclass(frozen=True)
class Identity:
    """Who a token is: a user name and the organizations it belongs to."""

    name: str
    orgs: tuple[str, ...] = ()

    @property
    def namespaces(self) -> frozenset[str]:
        return frozenset((self.name, *self.orgs))


def default_identities() -> dict[str, Identity]:
    """``hf_emulator``: user ``emulator``, member of ``emulator-org``."""
    return {DEFAULT_TOKEN: Identity("emulator", ("emulator-org",))}


def parse_identity(text: str) -> tuple[str, Identity]:
    """``TOKEN=USER[:ORG,...]`` → (token, identity); ``ValueError`` names the expected form."""
    token, _, who = text.partition("=")
    user, _, orgs = who.partition(":")
    if not token.strip() or not user.strip():
        raise ValueError("an identity is TOKEN=USER[:ORG,...]")  # never echo what may be a token
    return token.strip(), Identity(user.strip(), tuple(o.strip() for o in orgs.split(",") if o.strip()))


@dataclass
class EmulatorConfig:
    """How the emulator behaves.

    Quotas: max accelerators per (namespace, instance type); types not listed get
    ``default_cpu_quota`` or ``default_gpu_quota``. Quotas are per account: the recorded catalog
    answer's account had 60 on intel-spr and 16 on nvidia-l4 (``default_cpu_quota=60`` reproduces
    it); the defaults are larger so that fleets of the size hfleet targets (thousands of CPU
    endpoints in the benchmark) rehearse without a quota error. ``max_page_limit``: the largest
    list ``limit`` accepted; above it the list answers 400 (the real maximum is undocumented).
    ``seed_file``: endpoint records loaded at start (see ``seed``). ``random_seed`` drives the
    fault rules that apply with a probability.
    """

    identities: dict[str, Identity] = field(default_factory=default_identities)
    durations: Durations = field(default_factory=Durations)
    state_path: str | Path | None = None
    default_gpu_quota: int = 64
    default_cpu_quota: int = 10_000
    quotas: dict[tuple[str, str], int] = field(default_factory=dict)
    create_status: int = 200
    latency: float = 0.0
    max_page_limit: int = 100
    faults: list[FaultRule] = field(default_factory=list)
    random_seed: int = 0
    auto_scale_to_zero: bool = True
    seed_file: str | Path | None = None
