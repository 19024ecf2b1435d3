"""The pipeline: load → evaluate → build desired → fetch live → plan → apply, once or forever.

Owns: ``connect`` (an API client for the real API or the embedded emulator), ``observe`` and
``make_plan`` (read-only), ``apply_plan`` (safety checks + execute), the fleet lock, and
``run_forever`` (controller mode: level-triggered, re-planning from live state every pass).
Called by: the CLI and the controller. Must not: render anything or parse arguments.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from reconciler import errors, logs, metrics
from reconciler.api import client as api_client
from reconciler.api import retry
from reconciler.engine import apply as apply_mod
from reconciler.engine import desired as desired_mod
from reconciler.engine import live
from reconciler.engine import plan as plan_mod
from reconciler.spec import loader

__all__ = [
    "EMULATOR_BASE",
    "EMULATOR_TOKEN",
    "Connection",
    "Observation",
    "apply_plan",
    "connect",
    "fleet_lock",
    "make_plan",
    "observe",
    "price_plan",
    "run_forever",
    "state_dir",
]

# A loopback name (RFC 6761 .localhost): the in-process emulator never leaves this machine, and smoke
# sends the token in plain http only to loopback (reconciler.net.urls).
EMULATOR_BASE = "http://emulator.localhost"
EMULATOR_TOKEN = "hf_emulator"
log = logs.get_logger(__name__)


def state_dir() -> Path:
    """Where hfleet keeps local state (the fleet lock, the emulator's database): ``$HFLEET_STATE_DIR``
    or ``.hfleet`` in the working directory."""
    return Path(os.environ.get("HFLEET_STATE_DIR") or ".hfleet")


@dataclass
class Connection:
    """An API client and what must be closed with it."""

    api: api_client.EndpointsApi
    http: httpx.Client
    emulator: Any = None
    api_token: str | None = field(default=None, repr=False)

    def close(self) -> None:
        self.http.close()


def connect(
    api_url: str,
    token: str | None,
    *,
    emulator_state: str | None = None,
    policy: retry.RetryPolicy | None = None,
    timeout: float = 30.0,
    parallelism: int = 16,
    transport: httpx.BaseTransport | None = None,
) -> Connection:
    """A client of the real API at ``api_url``, or of the embedded emulator when ``emulator_state``
    is given (a SQLite file, so successive ``hfleet`` runs share one emulated cloud)."""
    limits = httpx.Limits(
        max_connections=max(parallelism, 8) + 4, max_keepalive_connections=max(parallelism, 8)
    )
    emulator = None
    if emulator_state is not None:
        from reconciler import emulator as emulator_pkg

        path = Path(emulator_state)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Transitions take a few seconds, like a (very fast) real cloud; tests ask for instant ones.
        instant = os.environ.get("HFLEET_EMULATOR_DURATIONS", "demo") == "instant"
        durations = emulator_pkg.Durations() if instant else emulator_pkg.Durations.demo()
        emulator = emulator_pkg.Emulator(emulator_pkg.EmulatorConfig(state_path=path, durations=durations))
        transport = emulator.transport()
        api_url = EMULATOR_BASE + "/v2"
        token = token or EMULATOR_TOKEN
    if not token:
        raise errors.ReconcilerError(
            "no token: pass --token or set HF_TOKEN (a token with access to the namespace)"
        )
    http = httpx.Client(transport=transport, timeout=timeout, limits=limits, follow_redirects=True)
    return Connection(api_client.EndpointsApi(http, api_url, token, policy), http, emulator, token)


@contextlib.contextmanager
def fleet_lock(fleet: str, timeout: float = 0.0, directory: Path | None = None) -> Iterator[Path]:
    """Hold an exclusive lock on the fleet for the duration of an apply (same host or shared volume).

    ``timeout`` seconds to wait for another run to finish; ``LockHeld`` after that. The lock is an
    OS file lock, so a killed run never leaves a stale lock behind (terraform's classic complaint).
    """
    folder = (directory or state_dir()) / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{fleet}.lock"
    handle = path.open("a+")
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    handle.seek(0)
                    holder = handle.read().strip() or "another process"
                    raise errors.LockHeld(
                        f"fleet {fleet!r} is being applied by {holder}; wait for it or use --lock-timeout"
                    ) from None
                time.sleep(0.2)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} since {datetime.now(UTC).isoformat(timespec='seconds')}\n")
        handle.flush()
        yield path
    finally:
        with contextlib.suppress(OSError):
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        handle.close()


@dataclass(frozen=True)
class Observation:
    """Everything a plan is computed from."""

    fleet: loader.Fleet
    now: datetime
    live: dict[tuple[str, str], live.LiveEndpoint]
    desired: dict[tuple[str, str], desired_mod.DesiredEndpoint]
    namespaces: tuple[str, ...]
    catalog: dict[str, Any] = field(default_factory=dict)


def observe(fleet: loader.Fleet, api: api_client.EndpointsApi, now: datetime | None = None) -> Observation:
    """Read the live endpoints of every namespace the fleet uses, and build the desired state."""
    at = now or datetime.now(UTC)
    namespaces = tuple(sorted({fleet.namespace, *(fleet.namespace_of(e) for e in fleet.endpoints)}))
    current = live.fetch(api, namespaces)
    wanted: dict[tuple[str, str], desired_mod.DesiredEndpoint] = {}
    for spec in fleet.endpoints:
        key = (fleet.namespace_of(spec), spec.name)
        have = current.get(key)
        wanted[key] = desired_mod.build(fleet, spec, at, last_change=have.updated_at if have else None)
    return Observation(fleet, at, current, wanted, namespaces)


def make_plan(
    observation: Observation, *, prune: bool = False, targets: list[str] | None = None
) -> plan_mod.Plan:
    """The plan from an observation (pure)."""
    result = plan_mod.compute(
        observation.fleet.name,
        observation.desired.values(),
        observation.live,
        now=observation.now,
        prune=prune,
        targets=targets,
        namespaces=observation.namespaces,
    )
    _record_gauges(observation, result)
    log.info("plan.computed", fleet=observation.fleet.name, **{k: v for k, v in result.counts().items() if v})
    return result


def _record_gauges(observation: Observation, result: plan_mod.Plan) -> None:
    owned = [e for e in observation.live.values() if e.owner() == observation.fleet.name]
    states: dict[str, int] = {}
    for endpoint in owned:
        states[endpoint.state] = states.get(endpoint.state, 0) + 1
    for state in (
        "pending",
        "initializing",
        "updating",
        "updateFailed",
        "running",
        "paused",
        "failed",
        "scaledToZero",
    ):
        metrics.ENDPOINTS.labels(state).set(states.get(state, 0))
    drifted = {c.key for c in result.changes if c.action.writes}
    metrics.DRIFT.set(len(drifted))


def price_plan(
    observation: Observation, result: plan_mod.Plan, api: api_client.EndpointsApi, *, check_quota: bool = True
) -> plan_mod.Plan:
    """Add cost deltas to a plan and check quotas, reading the hardware catalog of each namespace the
    plan writes to. A plan without writes needs no catalog (and no extra API call).

    Raises ``QuotaExceeded`` (before any write) when creates or resizes do not fit. A catalog that
    cannot be read only costs the plan its prices: a warning, not an error.
    """
    if not result.has_changes:
        return result
    from reconciler.engine import cost, pricing

    spaces = sorted({c.namespace for c in result.writes})
    catalogs: dict[str, cost.Catalog] = {}
    for namespace in spaces:
        try:
            catalogs[namespace] = cost.Catalog.from_json(api.hardware(namespace))
        except errors.ReconcilerError as exc:
            log.warning("plan.catalog.unavailable", namespace=namespace, error=str(exc))
    if not catalogs:
        return dataclasses.replace(
            result, warnings=(*result.warnings, "hardware catalog unavailable: no costs")
        )
    schedules = {key: observation.fleet.schedule_of(want.spec) for key, want in observation.desired.items()}
    if check_quota:
        for namespace, catalog in catalogs.items():
            pick = {k: v for k, v in observation.desired.items() if k[0] == namespace}
            pricing.check_quota(result, pick, observation.live, catalog)
    merged = next(iter(catalogs.values()))
    return pricing.annotate(result, observation.desired, observation.live, schedules, merged)


def apply_plan(
    observation: Observation,
    result: plan_mod.Plan,
    api: api_client.EndpointsApi,
    *,
    force: bool = False,
    max_delete_fraction: float = 0.3,
    parallelism: int = 16,
    on_outcome: Callable[[apply_mod.Outcome], None] | None = None,
    stop: threading.Event | None = None,
) -> apply_mod.ApplyReport:
    """Check safety (unless ``force``), then execute. Raises ``UnsafePlanError`` before any write."""
    if not force:
        result.raise_if_unsafe(max_delete_fraction)
    return apply_mod.execute(
        result, observation.desired, api, parallelism=parallelism, on_outcome=on_outcome, stop=stop
    )


def run_forever(
    load: Callable[[], loader.Fleet],
    api: api_client.EndpointsApi,
    *,
    interval: float,
    stop: threading.Event,
    prune: bool = False,
    force: bool = False,
    parallelism: int = 16,
    max_delete_fraction: float = 0.3,
    on_pass: Callable[[bool, str], None] | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    max_passes: int | None = None,
) -> int:
    """Controller mode: plan and apply every ``interval`` seconds, or sooner at the next schedule
    boundary or when an endpoint is in transition. One pass at a time, by construction (one loop).

    ``stop`` ends the loop between passes; an in-flight apply finishes its started calls and skips
    the rest. Returns the number of passes run.
    """
    passes = 0
    while not stop.is_set():
        started = time.monotonic()
        ok, message, requeue = True, "converged", None
        try:
            fleet = load()
            observation = observe(fleet, api, clock())
            result = make_plan(observation, prune=prune)
            requeue = result.requeue_after
            if result.has_changes:
                result = price_plan(observation, result, api, check_quota=not force)
                report = apply_plan(
                    observation,
                    result,
                    api,
                    force=force,
                    parallelism=parallelism,
                    max_delete_fraction=max_delete_fraction,
                    stop=stop,
                )
                ok = report.ok
                message = f"{len(report.outcomes)} changes, {len(report.failed)} failed"
                if requeue is None or requeue > timedelta(seconds=30):
                    requeue = timedelta(seconds=30)  # look again soon: the changes start transitions
        except errors.ReconcilerError as exc:
            ok, message = False, logs.redact(str(exc))
            log.error("reconcile.pass.failed", error=message)
        except Exception as exc:  # the controller must survive a bug in one pass
            ok, message = False, logs.redact(f"{type(exc).__name__}: {exc}")
            log.exception("reconcile.pass.crashed", error=message)
        duration = time.monotonic() - started
        metrics.RECONCILE_DURATION.observe(duration)
        metrics.RECONCILE_RUNS.labels("ok" if ok else "error").inc()
        if ok:
            metrics.LAST_SUCCESS.set(time.time())
        passes += 1
        log.info("reconcile.pass.done", ok=ok, result=message, duration=round(duration, 3))
        if on_pass is not None:
            on_pass(ok, message)
        if max_passes is not None and passes >= max_passes:
            break
        delay = interval
        if requeue is not None:
            delay = min(delay, max(1.0, requeue.total_seconds()))
        stop.wait(delay)
    return passes
