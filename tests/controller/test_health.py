"""Liveness and readiness of controller mode, over HTTP on loopback.

``/healthz`` fails when passes keep failing (``max_failed_passes`` in a row, default 3), so that
Kubernetes restarts a stuck controller; one good pass makes it healthy again. ``/readyz`` follows the
last pass. The end-to-end case runs ``hfleet reconcile`` with a token the emulator refuses: every
pass fails for real, and the probe turns 503 saying why.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from reconciler import controller
from tests.conftest import write_fleet
from tests.controller.test_controller import free_port, wait_for


@pytest.fixture
def state() -> controller.LoopState:
    return controller.LoopState(60)


@pytest.fixture
def url(state: controller.LoopState) -> Iterator[str]:
    server = controller.HealthServer(state, "127.0.0.1", 0).start()
    try:
        yield server.url
    finally:
        server.close()


def probe(url: str, path: str) -> tuple[int, str]:
    response = httpx.get(url + path)
    return response.status_code, response.text


def test_before_the_first_pass(url: str) -> None:
    assert probe(url, "/healthz") == (200, "ok")
    assert probe(url, "/readyz") == (503, "no pass yet")


@pytest.mark.parametrize("kind", ["crashed", "error"])
def test_liveness_fails_after_three_failed_passes_in_a_row(
    state: controller.LoopState, url: str, kind: str
) -> None:
    state.record(False, "boom 1", kind)
    state.record(False, "boom 2", kind)
    assert probe(url, "/healthz") == (200, "ok")
    assert probe(url, "/readyz") == (503, "boom 2")
    state.record(False, "ValueError: last_change must be timezone-aware", kind)
    status, body = probe(url, "/healthz")
    assert status == 503
    assert body == f"3 passes in a row failed (last {kind}: ValueError: last_change must be timezone-aware)"
    state.record(True, "converged", "ok")  # one good pass: healthy and ready again
    assert probe(url, "/healthz") == (200, "ok")
    assert probe(url, "/readyz") == (200, "converged")


def test_a_good_pass_between_failures_resets_the_count(state: controller.LoopState, url: str) -> None:
    for ok in (False, False, True, False, False):
        state.record(ok, "x", None)  # without a kind, ok decides between ok and error
    assert probe(url, "/healthz")[0] == 200
    state.record(False, "x", "crashed")
    assert probe(url, "/healthz")[0] == 503


def test_the_threshold_is_configurable() -> None:
    state = controller.LoopState(60, max_failed_passes=1)
    state.record(False, "x", controller.PassResult.CRASHED)
    assert state.live() == (False, "1 passes in a row failed (last crashed: x)")
    with pytest.raises(ValueError):
        controller.LoopState(60, max_failed_passes=0)
    with pytest.raises(ValueError):
        state.record(False, "x", "exploded")  # not a result kind


def test_a_stalled_loop_is_not_live(monkeypatch: pytest.MonkeyPatch) -> None:
    state = controller.LoopState(1)
    state.record(True, "converged", "ok")
    later = time.monotonic() + 301
    monkeypatch.setattr(controller.time, "monotonic", lambda: later)
    ok, reason = state.live()
    assert not ok and reason.startswith("stalled: no pass finished for 30")


def test_reconcile_with_a_refused_token_turns_unhealthy(tmp_path: Path) -> None:
    """Every pass fails (HTTP 401 from the emulator); after two in a row, /healthz says 503 and why."""
    specs = write_fleet(tmp_path / "specs", {"a": ""})
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(Path.cwd()), "HFLEET_STATE_DIR": str(tmp_path / "state")}
    env.pop("HF_TOKEN", None)
    cmd = [sys.executable, "-m", "reconciler", "--emulator", str(tmp_path / "emulator.db")]
    cmd += ["--token", "hf_refusedrefused", "--log-format", "json", "reconcile", str(specs)]
    cmd += ["--interval", "5s", "--max-failed-passes", "2", "--listen", f"127.0.0.1:{port}"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    health = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: httpx.get(health + "/healthz").status_code == 503)
        body = httpx.get(health + "/healthz").text
        assert "passes in a row failed (last error: " in body and "HTTP 401" in body
        assert httpx.get(health + "/readyz").status_code == 503
        runs = {
            s.labels["result"]: s.value
            for f in text_string_to_metric_families(httpx.get(health + "/metrics").text)
            for s in f.samples
            if s.name == "hfleet_reconcile_runs_total"
        }
        assert runs["error"] >= 2 and runs["ok"] == 0
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=15)
    assert "hf_refusedrefused" not in out + err + body
