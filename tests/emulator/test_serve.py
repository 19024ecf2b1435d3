"""``emulator serve``: one parser (click, in ``server.serve_command``) and one function (``run``)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from pathlib import Path

import httpx
from click.testing import CliRunner

from reconciler.emulator import server
from tests.emulator import recorded
from tests.emulator.conftest import payload

ROOT = Path(__file__).resolve().parents[2]


def test_run_serves_every_option_until_stopped(tmp_path: Path) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps([recorded.load("hfhub-tests-running.json")]))
    options = server.ServeOptions(
        port=0,
        speed="instant",
        state=str(tmp_path / "state.db"),
        identities=("hf_alice=alice:acme,labs",),
        seed=str(seed),
        max_page_limit=20,
        cpu_quota=4,
        faults='[{"kind": "status", "status": 429, "retry_after": 2, "method": "DELETE", "times": 1}]',
    )
    stop, urls = threading.Event(), []
    ready = threading.Event()

    def announce(url: str) -> None:
        urls.append(url)
        ready.set()

    thread = threading.Thread(target=lambda: urls.append(server.run(options, stop=stop, ready=announce)))
    thread.start()
    try:
        assert ready.wait(10)
        with httpx.Client(base_url=urls[0], headers={"Authorization": "Bearer hf_alice"}) as alice:
            assert alice.get("/api/whoami-v2").json()["orgs"][1]["name"] == "labs"
            assert alice.get("/v2/endpoint/acme", params={"limit": 21}).status_code == 400
        with httpx.Client(base_url=urls[0], headers={"Authorization": "Bearer hf_emulator"}) as emulator:
            _check_default_identity(emulator)
    finally:
        stop.set()
        thread.join(10)
    assert urls[-1] == 0 and (tmp_path / "state.db").exists()


def _check_default_identity(emulator: httpx.Client) -> None:
    assert emulator.get("/v2/endpoint/emulator/my-endpoint-name").json()["type"] == "protected"
    big = payload("big")
    big["compute"]["instanceSize"] = "x8"  # 8 vCPUs over a quota of 4
    assert emulator.post("/v2/endpoint/emulator", json=big).status_code == 400
    assert emulator.delete("/v2/endpoint/emulator/my-endpoint-name").status_code == 429


def test_python_m_uses_the_same_command() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "reconciler.emulator", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0
    for option in ("--seed", "--max-page-limit", "--cpu-quota", "--identity", "--faults", "--speed"):
        assert option in out.stdout


def test_a_bad_option_is_a_usage_error_that_never_echoes_a_token() -> None:
    result = CliRunner().invoke(server.serve_command, ["--identity", "hf_secret_token_value", "--port", "0"])
    assert result.exit_code == 2 and "TOKEN=USER" in result.output
    assert "hf_secret_token_value" not in result.output
    missing = CliRunner().invoke(server.serve_command, ["--faults", "/no/such/file.yaml", "--port", "0"])
    assert missing.exit_code == 2


def test_a_body_over_the_limit_is_refused_before_it_is_read() -> None:
    from reconciler.emulator import Emulator, wire

    emulator = Emulator()
    with (
        emulator.serve() as handle,
        socket.create_connection(handle.server.server_address[:2], timeout=10) as s,
    ):
        head = (
            f"POST /v2/endpoint/emulator HTTP/1.1\r\nHost: x\r\nContent-Length: {wire.MAX_BODY + 1}\r\n\r\n"
        )
        s.sendall(head.encode())
        answer = s.recv(4096).decode()
    assert answer.startswith("HTTP/1.1 413")
    emulator.close()
