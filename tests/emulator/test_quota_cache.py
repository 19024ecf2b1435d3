"""The emulator's quota usage is cached per namespace (creating 5,000 endpoints was quadratic) and the
cache is never stale: every write of this process updates it, a pause releases quota, a delete frees
it, and a write by another process to the same SQLite file is seen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from reconciler.emulator import Emulator, EmulatorConfig
from tests.emulator.conftest import payload

AUTH = {"Authorization": "Bearer hf_emulator"}


def client(emulator: Emulator) -> httpx.Client:
    return httpx.Client(transport=emulator.transport(), base_url="http://emulator.localhost", headers=AUTH)


def create(http: httpx.Client, name: str, **changes: Any) -> httpx.Response:
    return http.post("/v2/endpoint/emulator", json=payload(name, **changes))


def used(http: httpx.Client) -> int:
    for vendor in http.get("/v2/provider/emulator").json()["vendors"]:
        for region in vendor["regions"]:
            for row in region["computes"]:
                if row["instanceType"] == "intel-spr" and row["instanceSize"] == "x2":
                    return int(row["quota"]["usedAccelerators"])
    raise AssertionError("no intel-spr x2 row")


def test_every_write_of_this_process_keeps_the_usage_exact() -> None:
    emulator = Emulator(EmulatorConfig(default_cpu_quota=6))
    http = client(emulator)
    assert create(http, "a").status_code == 200 and create(http, "b").status_code == 200
    before = used(http)
    assert before > 0
    refused = create(
        http, "c", compute={**payload()["compute"], "scaling": {"minReplica": 1, "maxReplica": 9}}
    )
    assert refused.status_code == 400 and "QUOTA_EXCEEDED" in refused.text
    assert http.post("/v2/endpoint/emulator/a/pause").status_code == 200
    assert used(http) < before  # a paused endpoint releases its quota
    assert http.delete("/v2/endpoint/emulator/b").status_code == 200
    assert used(http) == 0
    assert http.post("/v2/endpoint/emulator/a/resume").status_code == 200
    assert used(http) == before // 2


def test_a_write_by_another_process_to_the_same_file_is_seen(tmp_path: Path) -> None:
    state = tmp_path / "emulator.db"
    first, second = Emulator(EmulatorConfig(state_path=state)), Emulator(EmulatorConfig(state_path=state))
    one, two = client(first), client(second)
    try:
        assert used(one) == 0  # cached now, at this generation
        assert create(two, "x").status_code == 200  # another connection writes
        assert used(one) > 0
        assert two.delete("/v2/endpoint/emulator/x").status_code == 200
        assert used(one) == 0
    finally:
        first.close()
        second.close()
