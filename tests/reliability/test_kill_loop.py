"""Promise: killing ``hfleet apply`` at any point (SIGKILL: no cleanup, no finally) loses nothing.

An apply of 200 changes (120 creates, 40 updates, 20 pauses, 20 deletes with --prune) runs as its own
process against an emulator served by another process (SQLite state, 10 ms per control-plane call),
and is killed at a random point: after the k-th change started, plus a random few milliseconds so
that requests are in flight. The kill must land mid-apply (the child dies of SIGKILL, and its own log
shows changes it never finished; a run that finished first fails the test). The next run must
converge in one go: exactly the spec's endpoints, none duplicated, none lost, none re-created, every
field as the spec says, and a final ``plan`` exits 0.

``make test`` runs 3 seeds; ``make soak`` (HFLEET_SOAK=1) runs 25 more.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.engine import helpers as engine_helpers
from tests.reliability import helpers

DEFAULT_SEEDS = (2, 7, 5)  # kill after 14, 82 and 159 changes started: early, middle, late
CHANGES = 200
PARALLELISM = 8
# Kill points: before any change (0) up to one parallel batch before the end. Later, every change
# may have finished before the signal arrives, and that would not be a kill mid-apply.
KILL_POINTS = [0, *range(1, CHANGES - PARALLELISM + 1)]
KEEP, UPDATE, PAUSE, DROP, CREATE = (
    range(40),
    range(40, 80),
    range(80, 100),
    range(100, 120),
    range(120, 240),
)


def v0() -> dict[str, str]:
    return {f"k-{i:03d}": "env: {V: '0'}\n" for i in range(120)}


def v1() -> dict[str, str]:
    specs = {}
    for i in (*KEEP, *UPDATE, *PAUSE, *CREATE):
        env = "{V: '1'}" if i in UPDATE or i in CREATE else "{V: '0'}"
        extra = f"env: {env}\n"
        if i in UPDATE:
            extra += "max_replica: 2\n"
        if i in PAUSE:
            extra += "state: paused\n"
        specs[f"k-{i:03d}"] = extra
    return specs


def seed_v0(url: str, specs: Path) -> dict[str, str]:
    """Apply version 0 through the engine (no kill); return each endpoint's createdAt."""
    conn = helpers.connect(url, parallelism=16)
    try:
        _, report = engine_helpers.one_pass(specs, conn.api, parallelism=16)
        assert report.ok, report.data()
    finally:
        conn.close()
    return {n: e["status"]["createdAt"] for n, e in helpers.live_by_name(url).items()}


def apply_and_kill(url: str, specs: Path, state_dir: Path, rng: random.Random) -> str:
    """Start ``hfleet apply``, SIGKILL it after a random number of changes started, and check that
    the kill landed mid-apply; returns what happened."""
    kill_after = rng.choice(KILL_POINTS)
    extra_delay = rng.uniform(0, 0.015)
    proc = helpers.hfleet_process(
        url,
        "apply",
        str(specs),
        "--yes",
        "--prune",
        "--parallelism",
        str(PARALLELISM),
        state_dir=state_dir,
        stdout=subprocess.DEVNULL,
    )
    guard = threading.Timer(60, proc.kill)  # bounded: never hang the suite
    guard.start()
    started = finished = 0
    killed = False
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            started += '"apply.change.started"' in line
            finished += '"apply.change.done"' in line or '"apply.change.failed"' in line
            if started >= kill_after:
                time.sleep(extra_delay)
                proc.send_signal(signal.SIGKILL)
                killed = True
                break
        proc.wait(timeout=30)
        # Whatever the child wrote before it died is still in the pipe: with it, the count is the
        # child's own account of how far it got, whatever this process had read when it killed.
        rest = proc.stderr.read()
    finally:
        guard.cancel()
        if proc.stderr is not None:
            proc.stderr.close()
    finished += rest.count('"apply.change.done"') + rest.count('"apply.change.failed"')
    what = f"kill after {kill_after} changes started (+{extra_delay * 1000:.1f} ms)"
    assert killed, f"{what}: the apply ended before change {kill_after} started (exit {proc.returncode})"
    assert proc.returncode == -signal.SIGKILL, f"{what}: the child exited {proc.returncode}, not by the kill"
    assert finished < CHANGES, f"{what}: all {CHANGES} changes had finished, so the kill was not mid-apply"
    return f"{what}: landed with {CHANGES - finished} of {CHANGES} changes unfinished"


def check_converged(url: str, before: dict[str, str]) -> None:
    live = helpers.live_by_name(url)
    wanted = {f"k-{i:03d}" for i in (*KEEP, *UPDATE, *PAUSE, *CREATE)}
    assert set(live) == wanted, {"missing": wanted - set(live), "extra": set(live) - wanted}
    for name, item in live.items():
        i = int(name[2:])
        if name in before:  # never deleted and re-created
            assert item["status"]["createdAt"] == before[name], f"{name} was re-created"
        assert item["model"]["env"] == {"V": "1" if i in UPDATE or i in CREATE else "0"}, name
        assert item["compute"]["scaling"]["maxReplica"] == (2 if i in UPDATE else 1), name
        assert item["status"]["state"] == ("paused" if i in PAUSE else "running"), name
        assert "hfleet:team" in item["tags"], name


def kill_iteration(tmp_path: Path, seed: int) -> str:
    rng = random.Random(seed)
    state_dir = tmp_path / "state"
    with helpers.EmulatorProcess(tmp_path / "cloud.db", latency=0.01) as cloud:
        specs = helpers.write_specs(tmp_path / "specs", v0())
        before = seed_v0(cloud.url, specs)
        helpers.write_specs(specs, v1())
        what = apply_and_kill(cloud.url, specs, state_dir, rng)
        # The next run converges by itself (one run, exit 0) ...
        code, out, err = helpers.hfleet_run(
            cloud.url, "apply", str(specs), "--yes", "--prune", state_dir=state_dir
        )
        assert code == 0, f"{what}: the run after the kill failed:\n{out[-3000:]}\n{err[-3000:]}"
        # ... and leaves nothing to do.
        code, out, err = helpers.hfleet_run(
            cloud.url, "plan", str(specs), "--prune", "--format", "json", state_dir=state_dir
        )
        assert code == 0, f"{what}: plan after the re-run still has changes: {json.loads(out)['summary']}"
        check_converged(cloud.url, before)
    return what


@pytest.mark.slow
@pytest.mark.parametrize("seed", DEFAULT_SEEDS)
def test_apply_killed_at_a_random_point_converges_on_the_next_run(tmp_path: Path, seed: int) -> None:
    kill_iteration(tmp_path, seed)  # asserts the kill landed mid-apply, then convergence


@pytest.mark.parametrize("seed", [pytest.param(s, marks=helpers.soak_only) for s in range(1000, 1025)])
def test_soak_kill_loop(tmp_path: Path, seed: int) -> None:
    kill_iteration(tmp_path, seed)  # asserts the kill landed mid-apply, then convergence


def test_the_kill_points_cover_the_whole_apply(tmp_path: Path) -> None:
    """The seeds of ``make test`` kill early, in the middle and late in the apply."""
    points = sorted(random.Random(seed).choice(KILL_POINTS) for seed in DEFAULT_SEEDS)
    assert points[0] < 50 and 50 <= points[1] <= 150 and points[2] > 150, points
