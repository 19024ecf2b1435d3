"""Polling with backoff: look at once, then after 0.5 s, 1 s, 2 s ... up to a cap, until a deadline.

Owns: ``Poller``. Called by: ``reconciler.engine.apply`` (a replace waits until the old endpoint is
gone) and ``reconciler.engine.wait`` (``apply --wait``). Must not: call the API itself.

The first look is immediate (an emulator with instant transitions answers at once); the waits then
double to ``cap`` (15 s by default: a real cold start takes minutes, and listing a namespace every
15 s stays far below any rate limit). Waiting is ``stop.wait``, so SIGTERM ends it at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

__all__ = ["Poller"]


@dataclass
class Poller:
    timeout: float
    start: float = 0.5
    cap: float = 15.0
    stop: threading.Event = field(default_factory=threading.Event)
    clock: Callable[[], float] = time.monotonic

    def ticks(self) -> Iterator[float]:
        """Yields the seconds elapsed before each look; ends at the deadline or when stopped."""
        began = self.clock()
        delay = self.start
        while True:
            yield self.clock() - began
            remaining = self.timeout - (self.clock() - began)
            if remaining <= 0 or self.stop.is_set():
                return
            if self.stop.wait(min(delay, remaining)):
                return
            delay = min(delay * 2, self.cap)
