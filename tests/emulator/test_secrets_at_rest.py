"""Secrets at rest: the emulator's state keeps keyed fingerprints of secret values, never the values.

Checked from the outside: the bytes of the SQLite state file (and its WAL), the endpoint snapshots
and the request log; the values must still be recognisable through ``secret_matches``.
"""

from __future__ import annotations

import re
from pathlib import Path

from reconciler.emulator import Emulator, EmulatorConfig
from tests.emulator import recorded
from tests.emulator.conftest import payload
from tests.emulator.test_api import client

SECRET = 'sk-live-"quoted"\\back\nline-ünïcode-0123456789'
PASSWORD = "registry-pa55word-9f8e7d6c"


def _state_bytes(db: Path) -> bytes:
    return b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))


def test_no_secret_value_reaches_the_state_file(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    emulator = Emulator(EmulatorConfig(state_path=db))
    http = client(emulator)
    body = payload("api")
    body["model"]["secrets"] = {"API_KEY": SECRET}
    assert http.post("/v2/endpoint/emulator", json=body).status_code == 200
    image = {"custom": {"url": "r/x:1", "credentials": {"username": "bot", "password": PASSWORD}}}
    private = payload("private-img")
    private["model"]["image"] = image
    assert http.post("/v2/endpoint/emulator", json=private).status_code == 200
    rotated = {"model": {"secrets": {"API_KEY": SECRET + "-2"}, "image": image}}
    assert http.put("/v2/endpoint/emulator/api", json=rotated).status_code == 200
    emulator.seed(recorded.load("hfhub-tests-running.json"))  # a legacy record with a value
    raw = _state_bytes(db)
    for value in (SECRET, SECRET + "-2", PASSWORD, "my-token"):
        for form in (value.encode(), value.encode("unicode_escape"), value.encode("utf-8").hex().encode()):
            assert form not in raw
    assert emulator.secret_matches("emulator", "api", "API_KEY", SECRET + "-2")
    assert not emulator.secret_matches("emulator", "api", "API_KEY", SECRET)
    assert emulator.registry_password_matches("emulator", "private-img", PASSWORD)
    assert emulator.secret_matches("emulator", "my-endpoint-name", "token", "my-token")
    snapshots = repr(emulator.endpoints())
    assert PASSWORD not in snapshots and SECRET not in snapshots
    emulator.close()


def test_processes_sharing_a_state_file_agree_on_fingerprints(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    writer, reader = Emulator(EmulatorConfig(state_path=db)), Emulator(EmulatorConfig(state_path=db))
    body = payload("api")
    body["model"]["secrets"] = {"K": SECRET}
    client(writer).post("/v2/endpoint/emulator", json=body)
    assert reader.secret_matches("emulator", "api", "K", SECRET)
    other = Emulator(EmulatorConfig(state_path=tmp_path / "other.db"))
    client(other).post("/v2/endpoint/emulator", json=body)
    # The key is per state: the same value has another fingerprint in another state file.
    pattern = re.compile(rb"hmac-sha256:[0-9a-f]{64}")
    mine, theirs = (
        set(pattern.findall(_state_bytes(db))),
        set(pattern.findall(_state_bytes(tmp_path / "other.db"))),
    )
    assert mine and theirs and not mine & theirs
    writer.close()
    reader.close()
    other.close()
