"""A request's time budget, and a network backend whose every socket wait respects it.

Owns: ``Budget`` (a deadline and an optional stop event), ``bounded`` (makes a budget current for
the code it wraps) and ``BoundedBackend``, an httpcore network backend. Called by:
``reconciler.net.send`` (sets the budget) and ``reconciler.net.transport`` (installs the backend).
Must not: raise anything but httpcore's own exceptions from the backend; ``send`` reads the budget
afterwards to tell a deadline or a cancellation from an ordinary timeout.

Why a backend: httpx's timeouts apply to each socket operation, so a server that sends one byte
every second never times out. Here each read waits at most the time left before the request's
deadline, in slices of ``poll`` seconds so a set stop event ends the wait promptly. The budget
travels in a context variable because httpcore gives a backend no handle on the request; a
synchronous request does all its I/O in the calling thread, in the caller's context.
"""

from __future__ import annotations

import contextlib
import contextvars
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpcore

__all__ = ["BoundedBackend", "Budget", "bounded", "current"]


@dataclass(frozen=True)
class Budget:
    """``seconds`` from ``started`` (a ``clock`` instant), unless ``stop`` is set first."""

    seconds: float
    started: float
    stop: threading.Event | None = None
    poll: float = 0.25
    clock: Callable[[], float] = field(default=time.monotonic, compare=False, repr=False)

    @classmethod
    def start(
        cls,
        seconds: float,
        stop: threading.Event | None = None,
        poll: float = 0.25,
        clock: Callable[[], float] = time.monotonic,
    ) -> Budget:
        return cls(seconds, clock(), stop, poll, clock)

    def left(self) -> float:
        """Seconds left before the deadline (negative once it has passed)."""
        return self.started + self.seconds - self.clock()

    def expired(self) -> bool:
        return self.left() <= 0

    def cancelled(self) -> bool:
        return self.stop is not None and self.stop.is_set()

    def slice(self, timeout: float | None) -> float:
        """How long the next socket wait may block: never past the deadline or ``timeout``, and no
        longer than ``poll`` when a stop event must be watched."""
        wait = self.left()
        if timeout is not None:
            wait = min(wait, timeout)
        if self.stop is not None:
            wait = min(wait, self.poll)
        return max(wait, 0.0)


_current: contextvars.ContextVar[Budget | None] = contextvars.ContextVar("hfleet_net_budget", default=None)


@contextlib.contextmanager
def bounded(budget: Budget) -> Iterator[Budget]:
    """Make ``budget`` the current one for the requests made inside the block."""
    token = _current.set(budget)
    try:
        yield budget
    finally:
        _current.reset(token)


def current() -> Budget | None:
    return _current.get()


class _Stream(httpcore.NetworkStream):
    """A socket stream whose reads and writes never outlast the current budget."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        budget = current()
        if budget is None:
            return self._inner.read(max_bytes, timeout)
        give_up = None if timeout is None else budget.clock() + timeout
        while True:
            if budget.cancelled():
                raise httpcore.ReadError("cancelled by the stop event")
            own = None if give_up is None else give_up - budget.clock()
            if budget.expired() or (own is not None and own <= 0):
                raise httpcore.ReadTimeout("timed out")
            try:
                return self._inner.read(max_bytes, budget.slice(own))
            except httpcore.ReadTimeout:
                continue  # one slice passed in silence: look at the stop event and the clock again

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        # A timed-out ``sendall`` may have sent part of the buffer, so writes are not sliced; they
        # are bounded by the deadline, and request bodies here are small.
        budget = current()
        if budget is not None:
            if budget.cancelled():
                raise httpcore.WriteError("cancelled by the stop event")
            timeout = max(min(budget.left(), timeout if timeout is not None else budget.left()), 0.001)
        self._inner.write(buffer, timeout)

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        return _Stream(self._inner.start_tls(ssl_context, server_hostname, _capped(timeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


def _capped(timeout: float | None) -> float | None:
    budget = current()
    if budget is None:
        return timeout
    if budget.cancelled():
        raise httpcore.ConnectError("cancelled by the stop event")
    left = max(budget.left(), 0.001)
    return left if timeout is None else min(timeout, left)


class BoundedBackend(httpcore.NetworkBackend):
    """httpcore's synchronous backend (or ``inner``), with every stream bounded by the budget."""

    def __init__(self, inner: httpcore.NetworkBackend | None = None) -> None:
        self._inner = inner if inner is not None else httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(host, port, _capped(timeout), local_address, socket_options)
        return _Stream(stream)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        return _Stream(self._inner.connect_unix_socket(path, _capped(timeout), socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)
