"""The state machine of an endpoint, evaluated lazily from a timeline against a clock.

Owns: ``state(record, now)`` and the timelines each event writes into a record (create, update,
pause, resume, scale to zero, wake-up, a seeded state). A timeline is ``[[state, since], ...]``:
the state in force at ``now`` is the last entry whose ``since <= now``, so there are no background
threads and zero durations make tests instant. Called by: the control-plane routes, the data-plane
proxy and ``seed``. Must not: know HTTP, the store or the wire shape.

States and transitions follow hf-endpoints-api.md §5: create → pending → initializing → running (or
failed); PUT → updating → running (or updateFailed); pause → paused; resume → pending → ... ;
scale-to-zero → scaledToZero, and the next request wakes it (initializing → running). A running
endpoint with ``minReplica`` 0 scales itself to zero after ``scaleToZeroTimeout`` idle minutes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "STATES",
    "TRANSITIONAL",
    "Durations",
    "Refused",
    "paused",
    "redeploys",
    "resumed",
    "scaled_to_zero",
    "seeded",
    "startup",
    "state",
    "updates",
    "updating",
    "waking",
]

STATES = (
    "pending",
    "initializing",
    "updating",
    "updateFailed",
    "running",
    "paused",
    "failed",
    "scaledToZero",
)
TRANSITIONAL = frozenset({"pending", "initializing", "updating"})
Timeline = list[list[Any]]


@dataclass(frozen=True)
class Durations:
    """Seconds each transition takes. All zero (instant) by default, for tests."""

    pending: float = 0.0
    initializing: float = 0.0
    updating: float = 0.0
    waking: float = 0.0

    @classmethod
    def demo(cls) -> Durations:
        """A few seconds each: long enough to watch, short enough for a demo."""
        return cls(pending=1.0, initializing=2.0, updating=2.0, waking=2.0)


def state(record: dict[str, Any], now: float, auto_scale_to_zero: bool = True) -> str:
    """The state of ``record`` at ``now``."""
    current, entered = record["timeline"][0]
    for name, since in record["timeline"]:
        if since <= now:
            current, entered = name, since
    if current == "running" and auto_scale_to_zero:
        # minReplica 0: after scaleToZeroTimeout minutes without a request, the endpoint is at zero.
        scaling = record["spec"]["compute"]["scaling"]
        timeout = scaling.get("scaleToZeroTimeout")
        if scaling.get("minReplica") == 0 and timeout:
            idle_since = max(float(entered), float(record.get("last_request_at") or 0.0))
            if now - idle_since >= float(timeout) * 60:
                return "scaledToZero"
    return str(current)


def startup(now: float, durations: Durations, failed: bool = False) -> Timeline:
    """pending → initializing → running (or failed): a create, a resume, a repair."""
    end = "failed" if failed else "running"
    first = now + durations.pending
    return [["pending", now], ["initializing", first], [end, first + durations.initializing]]


def updating(now: float, durations: Durations, failed: bool = False) -> Timeline:
    """updating → running (or updateFailed): a PUT on a live endpoint."""
    return [["updating", now], ["updateFailed" if failed else "running", now + durations.updating]]


def waking(now: float, durations: Durations) -> Timeline:
    """initializing → running: a resume or a request reaching a scaled-to-zero endpoint."""
    return [["initializing", now], ["running", now + durations.waking]]


def seeded(current: str, now: float, durations: Durations) -> Timeline:
    """The timeline of a seeded record: a transitional state carries on as it would have."""
    if current == "pending":
        return startup(now, durations)
    if current == "initializing":
        return waking(now, durations)
    if current == "updating":
        return updating(now, durations)
    return [[current, now]]


class Refused(Exception):
    """A transition the server refuses (answered 400 with this message)."""


def paused(now: float) -> Timeline:
    """pause → paused, whatever the state (no replicas, not billed)."""
    return [["paused", now]]


def resumed(current: str, name: str, now: float, durations: Durations) -> Timeline:
    """resume: a running (or starting) endpoint answers 400 "already running" (HH-2.4
    ``running_ok``); a scaled-to-zero one wakes; any other starts up again."""
    if current == "running" or current in TRANSITIONAL:
        raise Refused(f"Endpoint '{name}' is already running")
    if current == "scaledToZero":
        return waking(now, durations)
    return startup(now, durations)


def scaled_to_zero(current: str, name: str, now: float) -> Timeline:
    """scale-to-zero; [uncertain] from paused: refused, a paused endpoint must be resumed first."""
    if current == "paused":
        raise Refused(f"Endpoint '{name}' is paused; resume it first")
    return [["scaledToZero", now]]


def updates(current: str) -> bool:
    """Whether a configuration change (PUT) starts a transition from ``current``.

    A paused endpoint stays paused: the new configuration applies when it is resumed [uncertain].
    """
    return current != "paused"


def redeploys(current: str) -> bool:
    """Whether a PUT re-deploys from scratch (an endpoint that never came up: the repair path,
    [uncertain]) rather than updating in place."""
    return current in ("failed", "pending", "initializing")
