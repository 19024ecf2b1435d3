"""Controller mode: ``hfleet reconcile`` serves health and metrics, converges, and stops on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from reconciler.emulator import Emulator, EmulatorConfig
from tests.conftest import write_fleet


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served() -> Iterator[tuple[Emulator, str]]:
    emulator = Emulator(EmulatorConfig())
    with emulator.serve() as server:
        yield emulator, server.url


def wait_for(check: object, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():  # type: ignore[operator]
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.1)


def test_reconcile_serves_health_metrics_converges_and_stops(
    tmp_path: Path, served: tuple[Emulator, str]
) -> None:
    _, url = served
    specs = write_fleet(tmp_path / "specs", {"a": "", "b": "max_replica: 2\n"})
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(Path.cwd()), "HFLEET_STATE_DIR": str(tmp_path / "state")}
    env.pop("HF_TOKEN", None)
    cmd = [
        sys.executable,
        "-m",
        "reconciler",
        "--api-url",
        url + "/v2",
        "--token",
        "hf_emulator",
        "--log-format",
        "json",
        "reconcile",
        str(specs),
        "--interval",
        "5s",
        "--listen",
        f"127.0.0.1:{port}",
    ]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    health = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: httpx.get(health + "/healthz").status_code == 200)
        wait_for(lambda: httpx.get(health + "/readyz").status_code == 200)
        names = {
            e["name"]
            for e in httpx.get(
                url + "/v2/endpoint/emulator", headers={"Authorization": "Bearer hf_emulator"}
            ).json()["items"]
        }
        assert names == {"a", "b"}
        # Drift behind its back is corrected on a later pass.
        httpx.put(
            url + "/v2/endpoint/emulator/b",
            json={"compute": {"scaling": {"maxReplica": 7}}},
            headers={"Authorization": "Bearer hf_emulator"},
        )

        def corrected() -> bool:
            body = httpx.get(
                url + "/v2/endpoint/emulator/b", headers={"Authorization": "Bearer hf_emulator"}
            ).json()
            return bool(body["compute"]["scaling"]["maxReplica"] == 2)

        wait_for(corrected)
        metrics = httpx.get(health + "/metrics").text
        assert 'hfleet_endpoints{state="running"} 2.0' in metrics
        assert "hfleet_last_successful_reconcile_timestamp_seconds" in metrics
        assert 'hfleet_reconcile_runs_total{result="ok"}' in metrics
        assert "hfleet_api_requests_total" in metrics
        assert httpx.get(health + "/nope").status_code == 404
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        out, err = proc.communicate(timeout=10)
    assert "reconcile.pass.done" in err
    assert "hf_emulator" not in out + err


def test_two_controllers_never_run_at_once(tmp_path: Path) -> None:
    """A second controller on the same state dir waits for the fleet lock instead of running a pass."""
    from reconciler import errors
    from reconciler.engine import session as reconcile

    with (
        reconcile.fleet_lock("team", tmp_path),
        pytest.raises(errors.LockHeld) as info,
        reconcile.fleet_lock("team", tmp_path, timeout=0.3),
    ):
        pass
    assert "is being applied by pid" in str(info.value)
    with reconcile.fleet_lock("team", tmp_path):  # released: free again
        pass
