"""Every fault kind, produced over the in-process transport and over a real socket."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from reconciler.emulator import Emulator, EmulatorConfig, FaultRule
from tests.emulator.conftest import payload
from tests.emulator.test_api import AUTH, client


def test_status_429_with_retry_after(emulator: Emulator) -> None:
    emulator.faults.add(FaultRule(kind="status", status=429, retry_after=3, method="GET", times=1))
    http = client(emulator)
    limited = http.get("/v2/endpoint/emulator")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "3"
    assert http.get("/v2/endpoint/emulator").status_code == 200  # times=1


def test_5xx_burst(emulator: Emulator) -> None:
    emulator.faults.add(FaultRule(kind="status", status=503, path_pattern=r"^/v2/endpoint", times=3))
    http = client(emulator)
    statuses = [http.get("/v2/endpoint/emulator").status_code for _ in range(5)]
    assert statuses == [503, 503, 503, 200, 200]


def test_latency(emulator: Emulator) -> None:
    emulator.faults.add(FaultRule(kind="latency", latency=0.2, times=1))
    started = time.monotonic()
    client(emulator).get("/v2/endpoint/emulator")
    assert time.monotonic() - started >= 0.2


def test_dropped_connection_in_process_and_on_a_socket(emulator: Emulator) -> None:
    emulator.faults.add(FaultRule(kind="drop", method="GET", times=1))
    with pytest.raises(httpx.RemoteProtocolError):
        client(emulator).get("/v2/endpoint/emulator")
    emulator.faults.add(FaultRule(kind="drop", method="GET", times=1))
    with emulator.serve() as server, httpx.Client(base_url=server.url, headers=AUTH) as http:
        with pytest.raises(httpx.TransportError):
            http.get("/v2/endpoint/emulator")
        assert http.get("/v2/endpoint/emulator").status_code == 200


def test_lost_response_is_applied_server_side(emulator: Emulator) -> None:
    emulator.faults.add(FaultRule(kind="lost_response", method="POST", times=1))
    http = client(emulator)
    with pytest.raises(httpx.RemoteProtocolError):
        http.post("/v2/endpoint/emulator", json=payload("ghost"))
    assert http.get("/v2/endpoint/emulator/ghost").status_code == 200
    assert http.post("/v2/endpoint/emulator", json=payload("ghost")).status_code == 409


def test_deploy_failed_and_update_failed(emulator: Emulator) -> None:
    emulator.faults.add(
        FaultRule(kind="deploy_failed", path_pattern="/doomed$", message="CUDA out of memory")
    )
    emulator.faults.add(FaultRule(kind="update_failed", path_pattern="/shaky$", times=1))
    http = client(emulator)
    http.post("/v2/endpoint/emulator", json=payload("doomed"))
    http.post("/v2/endpoint/emulator", json=payload("shaky"))
    doomed = http.get("/v2/endpoint/emulator/doomed").json()["status"]
    assert doomed["state"] == "failed" and doomed["message"] == "CUDA out of memory" and "url" not in doomed
    assert http.get("/v2/endpoint/emulator/shaky").json()["status"]["state"] == "running"
    http.put("/v2/endpoint/emulator/shaky", json={"compute": {"scaling": {"maxReplica": 2}}})
    assert http.get("/v2/endpoint/emulator/shaky").json()["status"]["state"] == "updateFailed"
    http.put("/v2/endpoint/emulator/shaky", json={"compute": {"scaling": {"maxReplica": 3}}})
    assert http.get("/v2/endpoint/emulator/shaky").json()["status"]["state"] == "running"


def test_faults_from_a_file_for_serve(tmp_path: Path) -> None:
    from reconciler.emulator import faults

    path = tmp_path / "faults.yaml"
    path.write_text("- {kind: status, status: 429, retry_after: 1, method: GET, times: 2}\n- {kind: drop}\n")
    rules = faults.load_rules(path)
    assert [r.kind for r in rules] == ["status", "drop"] and rules[0].retry_after == 1


def test_data_plane_503_until_running_and_scale_to_zero_wake_up(emulator: Emulator) -> None:
    http = client(emulator)
    http.post("/v2/endpoint/emulator", json=payload("svc"))
    url = http.get("/v2/endpoint/emulator/svc").json()["status"]["url"]
    assert http.get(url + "/health").status_code == 200
    http.post("/v2/endpoint/emulator/svc/pause")
    paused = http.post(url + "/", json={"inputs": "hi"})
    assert paused.status_code == 503 and "paused" in paused.json()["error"]
    http.post("/v2/endpoint/emulator/svc/resume")
    http.post("/v2/endpoint/emulator/svc/scale-to-zero")
    cold = http.post(url + "/", json={"inputs": "hi"})
    assert cold.status_code == 503 and "scaled to zero" in cold.json()["error"]
    http.post("/v2/endpoint/emulator/svc/scale-to-zero")
    woken = http.post(url + "/", json={"inputs": "hi"}, headers={"X-Scale-Up-Timeout": "5"})
    assert woken.status_code == 200
    assert http.get("/v2/endpoint/emulator/svc").json()["status"]["state"] == "running"
    assert client(emulator, None).post(url + "/", json={"inputs": "hi"}).status_code == 401


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_killed_server_loses_nothing_it_answered(tmp_path: Path) -> None:
    db, port = tmp_path / "cloud.db", _free_port()
    env = {**os.environ, "PYTHONPATH": str(Path.cwd())}
    # Through the command users run: `hfleet emulator serve`.
    cmd = [
        sys.executable,
        "-m",
        "reconciler",
        "emulator",
        "serve",
        "--port",
        str(port),
        "--state",
        str(db),
        "--speed",
        "instant",
    ]
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(url + "/v2/provider", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        with httpx.Client(base_url=url, headers=AUTH) as http:
            for i in range(10):
                assert http.post("/v2/endpoint/emulator", json=payload(f"k-{i}")).status_code == 200
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        assert proc.stderr is not None
        proc.stderr.close()
    survivor = Emulator(EmulatorConfig(state_path=db))
    names = [e["name"] for e in json.loads(client(survivor).get("/v2/endpoint/emulator").content)["items"]]
    assert names == [f"k-{i}" for i in range(10)]
    survivor.close()


def test_fault_rules_as_json_text_select_endpoints_by_name() -> None:
    from reconciler.emulator import faults

    rules = faults.load_rules('[{"kind": "deploy_failed", "name_pattern": "^emulator/bad"}]')
    assert rules[0].matches("*", "emulator/bad-one") and not rules[0].matches("*", "emulator/good")
