"""Waiting for touched endpoints to settle (``apply --wait``), and reporting each state as it moves.

Owns: ``settle``. Called by: ``reconciler.engine.run`` between the rounds of a converging apply.
Must not: write; it only lists namespaces (pages, not one GET per endpoint).

An endpoint has settled when it is no longer pending, initializing or updating. A failed or
updateFailed state ends its wait at once with the server's message; one that disappears is a
problem too. The caller then plans again and applies what is left (e.g. the pause a schedule
wants for an endpoint just created), so one ``apply --wait`` converges.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from reconciler.api import client as api_client
from reconciler.engine import live as live_mod
from reconciler.engine import poll
from reconciler.wire.record import Health

__all__ = ["Settled", "settle"]

Key = tuple[str, str]


@dataclass
class Settled:
    states: dict[Key, str] = field(default_factory=dict)  # the last state seen of each endpoint
    problems: dict[Key, str] = field(default_factory=dict)  # endpoints that failed or vanished
    pending: set[Key] = field(default_factory=set)  # still transitional at the deadline
    seconds: float = 0.0


def settle(
    api: api_client.EndpointsApi,
    keys: Iterable[Key],
    poller: poll.Poller,
    *,
    on_state: Callable[[Key, str], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Settled:
    """Poll until every endpoint of ``keys`` has settled, failed or vanished, or the poller ends."""
    started = clock()
    result = Settled()
    waiting = set(keys)
    for _ in poller.ticks():
        if not waiting:
            break
        listed = live_mod.fetch(api, {k[0] for k in waiting})
        for key in sorted(waiting):
            have = listed.get(key)
            if have is None:
                result.problems[key] = "disappeared while waiting"
                waiting.discard(key)
                continue
            if result.states.get(key) != have.state and on_state is not None:
                on_state(key, have.state)
            result.states[key] = have.state
            if have.health is Health.FAILED:
                result.problems[key] = f"{have.state}: {have.message or 'no message'}"
                waiting.discard(key)
            elif have.health is not Health.TRANSITIONAL:
                waiting.discard(key)
        if not waiting:
            break
    result.pending = waiting
    result.seconds = clock() - started
    return result
