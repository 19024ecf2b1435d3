"""Promise: two runs on the same fleet at once (a CI push and the CronJob) cannot make conflicting
changes.

(a) ``apply`` holds an OS file lock per fleet in ``$HFLEET_STATE_DIR/locks/<fleet>.lock``: a second
    apply fails fast naming the holder, before reading or writing anything, or with ``--lock-timeout``
    waits, re-reads the live state and finds nothing left to do. A killed holder leaves no stale lock.
(b) A saved plan (``plan --out``) pins the live state and specs it was computed from: once another
    plan has been applied, ``apply --plan`` of the older one is refused as stale (exit 3, no write).
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler.cli.options import state_dir as session_state_dir
from reconciler.emulator import FaultRule
from reconciler.engine import session
from tests.reliability import helpers

N = 40
IN_OPEN = 0x20  # inotify(7)


class Drained:
    """A child process whose stderr is read in a thread (no pipe ever fills), watched for a marker.
    As a context manager it never outlives the test: a child still running at the end is killed."""

    def __init__(self, proc: subprocess.Popen[str], marker: str) -> None:
        self.proc = proc
        self.lines: list[str] = []
        self.seen = threading.Event()
        self.marker = marker
        self.result: tuple[int, str, str] | None = None
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line)
            if self.marker in line:
                self.seen.set()

    def finish(self, timeout: float = 60) -> tuple[int, str, str]:
        """Wait for the child; (exit code, stdout, stderr). Once done, the same answer again."""
        if self.result is None:
            out = self.proc.stdout.read() if self.proc.stdout is not None else ""
            self.proc.wait(timeout=timeout)
            self.thread.join(timeout=10)
            for pipe in (self.proc.stdout, self.proc.stderr):
                if pipe is not None:
                    pipe.close()
            self.result = (self.proc.returncode, out, "".join(self.lines))
        return self.result

    def __enter__(self) -> Drained:
        return self

    def __exit__(self, *_: object) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.finish()


def held_fleet(tmp_path: Path, emu: Any) -> tuple[Path, FaultRule]:
    """N endpoints to create; every create is held by the emulator until the test removes the rule,
    so the first apply holds the fleet lock for as long as the test needs, however loaded the machine."""
    hold = emu.add_fault(FaultRule(kind="latency", latency=240, method="POST"))
    return helpers.write_specs(tmp_path / "specs", {f"c-{i:02d}": "" for i in range(N)}), hold


def start_apply(url: str, specs: Path, state_dir: Path, *extra: str) -> Drained:
    proc = helpers.hfleet_process(
        url, "apply", str(specs), "--yes", "--parallelism", "2", *extra, state_dir=state_dir
    )
    return Drained(proc, '"apply.change.started"')


def creates(emu: Any) -> list[Any]:
    return [r for r in emu.requests if r.method == "POST" and r.path == "/v2/endpoint/emulator"]


@contextlib.contextmanager
def opens_of(path: Path) -> Iterator[Callable[[], bool]]:
    """``seen()``: whether any process opened ``path`` since the block began (Linux inotify). A run
    waiting for the fleet lock opens the lock file at each of its polls, so this tells the test the
    second run is waiting, without guessing how long a loaded machine takes to get there."""
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
    if fd < 0 or libc.inotify_add_watch(fd, os.fsencode(path), IN_OPEN) < 0:
        raise OSError(ctypes.get_errno(), f"inotify on {path}")
    opened: list[bytes] = []

    def seen() -> bool:
        with contextlib.suppress(BlockingIOError):
            opened.append(os.read(fd, 4096))
        return bool(opened)

    try:
        yield seen
    finally:
        os.close(fd)


def test_a_second_apply_fails_fast_naming_the_holder(tmp_path: Path, emu: Any, url: str) -> None:
    (specs, hold), state = held_fleet(tmp_path, emu), tmp_path / "state"
    with start_apply(url, specs, state) as first:
        assert first.seen.wait(30), first.lines
        started = time.monotonic()
        code, out, err = helpers.hfleet_run(url, "apply", str(specs), "--yes", state_dir=state)
        assert time.monotonic() - started < 10
        assert code == 1, out + err
        assert f"fleet 'team' is being applied by pid {first.proc.pid}" in err
        assert "--lock-timeout" in err
        emu.remove_fault(hold)  # the first apply's creates go through
        code, out, err = first.finish()
    assert code == 0, out + err
    assert len(creates(emu)) == N and all(r.status == 200 for r in creates(emu))  # each exactly once
    assert set(helpers.live_by_name(url)) == {f"c-{i:02d}" for i in range(N)}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify sees the waiting run")
def test_with_lock_timeout_the_second_waits_and_finds_nothing_to_do(
    tmp_path: Path, emu: Any, url: str
) -> None:
    (specs, hold), state = held_fleet(tmp_path, emu), tmp_path / "state"
    with start_apply(url, specs, state) as first:
        assert first.seen.wait(30), first.lines
        with (
            opens_of(state / "locks" / "team.lock") as opened,
            start_apply(url, specs, state, "--lock-timeout", "60s") as second,
        ):
            helpers.wait_for(opened, timeout=30)  # the second run is polling the lock the first holds
            emu.remove_fault(hold)
            code1, out1, err1 = first.finish()
            code2, out2, err2 = second.finish()
    assert code1 == 0, out1 + err1
    assert code2 == 0 and "No changes" in out2, out2 + err2
    assert not second.seen.is_set()  # it applied nothing
    assert len(creates(emu)) == N and {r.status for r in creates(emu)} == {200}


def test_the_lock_is_checked_before_any_request(tmp_path: Path, emu: Any, url: str) -> None:
    specs = helpers.write_specs(tmp_path / "specs", {"a": ""})
    with session.fleet_lock("team", session_state_dir()):  # another run holds the fleet (same state dir)
        code, out, err = helpers.run_cli(
            "--api-url", url + "/v2", "--token", helpers.TOKEN, "apply", str(specs), "--yes"
        )
    assert code == 1 and "is being applied by pid" in err, out + err
    assert emu.requests == []
    # Another fleet is not blocked by it.
    other = helpers.write_specs(tmp_path / "other", {"b": ""}, fleet="other")
    with session.fleet_lock("team", session_state_dir()):
        code, out, err = helpers.run_cli(
            "--api-url", url + "/v2", "--token", helpers.TOKEN, "apply", str(other), "--yes"
        )
    assert code == 0, out + err


def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path, emu: Any, url: str) -> None:
    (specs, _), state = held_fleet(tmp_path, emu), tmp_path / "state"
    with start_apply(url, specs, state) as first:
        assert first.seen.wait(30), first.lines
        first.proc.send_signal(signal.SIGKILL)
        first.finish()
    assert (state / "locks" / "team.lock").exists()
    emu.faults.clear()  # the two creates it had sent go through, server-side
    code, out, err = helpers.hfleet_run(url, "apply", str(specs), "--yes", state_dir=state)
    assert code == 0, out + err
    assert set(helpers.live_by_name(url)) == {f"c-{i:02d}" for i in range(N)}


# --- (b) saved plans ------------------------------------------------------------------------------


def cli(url: str, *args: str) -> tuple[int, str, str]:
    return helpers.run_cli("--api-url", url + "/v2", "--token", helpers.TOKEN, "--log-format", "json", *args)


@pytest.fixture
def two_versions(tmp_path: Path, emu: Any, url: str) -> tuple[Path, Path]:
    """Live: a and b. Spec version 1 (the CronJob's checkout) and version 2 (a CI push) differ."""
    v1 = helpers.write_specs(tmp_path / "v1", {"a": "", "b": ""})
    code, out, err = cli(url, "apply", str(v1), "--yes")
    assert code == 0, out + err
    helpers.write_specs(v1, {"a": "max_replica: 2\n", "b": ""})
    v2 = helpers.write_specs(tmp_path / "v2", {"a": "max_replica: 3\n", "b": "env: {X: '1'}\n", "c": ""})
    return v1, v2


def test_a_saved_plan_is_refused_once_another_was_applied(
    tmp_path: Path, emu: Any, url: str, two_versions: tuple[Path, Path]
) -> None:
    v1, v2 = two_versions
    p1, p2 = tmp_path / "p1.json", tmp_path / "p2.json"
    assert cli(url, "plan", str(v1), "--out", str(p1))[0] == 2
    assert cli(url, "plan", str(v2), "--out", str(p2))[0] == 2
    code, out, err = cli(url, "apply", str(v2), "--plan", str(p2), "--yes")
    assert code == 0, out + err
    emu.clear_requests()
    code, out, err = cli(url, "apply", str(v1), "--plan", str(p1), "--yes")
    assert code == 3, out + err
    assert f"the saved plan {p1} is stale" in err and "plan again" in err
    assert helpers.writes(emu) == []
    live = helpers.live_by_name(url)
    assert live["a"]["compute"]["scaling"]["maxReplica"] == 3 and "c" in live  # v2 stands, untouched


def test_a_saved_plan_only_applies_with_the_specs_it_was_made_from(
    tmp_path: Path, emu: Any, url: str, two_versions: tuple[Path, Path]
) -> None:
    v1, v2 = two_versions
    p1 = tmp_path / "p1.json"
    assert cli(url, "plan", str(v1), "--out", str(p1))[0] == 2
    emu.clear_requests()
    code, out, err = cli(url, "apply", str(v2), "--plan", str(p1), "--yes")
    assert code == 3 and "stale" in err, out + err
    assert helpers.writes(emu) == []


def test_a_saved_plan_is_refused_after_someone_changed_the_endpoint(
    tmp_path: Path, emu: Any, url: str, two_versions: tuple[Path, Path]
) -> None:
    """The plan pins the endpoints it writes (config and state): a hotfix made by hand on one of them
    in the meantime makes it stale. (A change to an endpoint the plan does not touch does not.)"""
    v1, _ = two_versions
    p1 = tmp_path / "p1.json"
    assert cli(url, "plan", str(v1), "--out", str(p1))[0] == 2  # updates a
    conn = helpers.connect(url)
    try:
        conn.api.update("emulator", "a", {"model": {"env": {"HOTFIX": "1"}}})  # a manual change meanwhile
    finally:
        conn.close()
    emu.clear_requests()
    code, out, err = cli(url, "apply", str(v1), "--plan", str(p1), "--yes")
    assert code == 3 and "stale" in err, out + err
    assert helpers.writes(emu) == []
    assert helpers.live_by_name(url)["a"]["model"]["env"] == {"HOTFIX": "1"}


def test_saved_plan_json_is_pinned_by_checksum(
    tmp_path: Path, emu: Any, url: str, two_versions: tuple[Path, Path]
) -> None:
    v1, _ = two_versions
    p1 = tmp_path / "p1.json"
    code, _, err = cli(url, "plan", str(v1), "--out", str(p1))
    body = json.loads(p1.read_text())
    assert code == 2 and body["checksum"][:16] in err
    # Tampering with the plan file (e.g. an edited field) is refused too.
    body["changes"][0]["fields"][0]["new"] = 99
    p1.write_text(json.dumps(body))
    emu.clear_requests()
    code, out, err = cli(url, "apply", str(v1), "--plan", str(p1), "--yes")
    assert code == 3 and "stale" in err, out + err
    assert helpers.writes(emu) == []
