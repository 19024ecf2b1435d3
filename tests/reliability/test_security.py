"""Promise: tokens, secret values and registry passwords never appear in anything hfleet writes:
stdout, stderr, JSON logs at debug verbosity, saved plan files, generated spec files, error messages.
And the emulator refuses requests without a valid token (401) or across namespaces (403).

Every command runs with distinctive secrets (``from_env``, ``from_file``, a registry password), some
of them hostile to naive redaction (quotes and backslashes, several lines, unicode, base64-looking),
and a secret-looking token (``hf_SECRETtoken123456``, accepted by the served emulator as user
``alice``). Every byte of output is scanned for them and for the forms they could be shown in
(``tests.hostile.leaks``: escaped, encoded, one line, the first 8 characters).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler import logs
from reconciler.emulator import FaultRule
from tests.hostile import leaks
from tests.reliability import helpers

TOKEN = helpers.ALICE_TOKEN
API_KEY = "s3cr3t-API-KEY-9f8e7d6c5b"
API_KEY_2 = "rotated-API-KEY-1a2b3c4d5e"
DB_PASSWORD = "file-secret-QmV4YW1wbGU"
REGISTRY_PASSWORD = "regpass-Zx81-QQ-77-p4ss"
WRONG_TOKEN = "hf_SECRETwrongTOKEN4242"
# Secrets that an exact-match redaction misses once a server or a library escapes or splits them.
QUOTED = 'k3y-"quoted"-\\back\\slash-4f9a'
UNICODE = "sécret-ünïcødé-€✓-日本語-7c1d"
BASE64ISH = "QmFzZTY0TG9va2luZ1NlY3JldD09"
PEM = (
    "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIB\n"
    "AQC7VJTUt9Us8cKjMzEfYyjiWA4R4ypbHDk5qKoQ2bRNdp2e\n-----END PRIVATE KEY-----"
)
SECRETS = (
    TOKEN,
    API_KEY,
    API_KEY_2,
    DB_PASSWORD,
    REGISTRY_PASSWORD,
    WRONG_TOKEN,
    QUOTED,
    UNICODE,
    BASE64ISH,
    PEM,
)

ENDPOINTS = {
    "api": """\
        secrets:
          API_KEY: {from_env: HFLEET_TEST_API_KEY}
          DB_PASSWORD: {from_file: %(db)s}
          QUOTED: {from_env: HFLEET_TEST_QUOTED}
          UNICODE: {from_env: HFLEET_TEST_UNICODE}
          BASE64ISH: {from_env: HFLEET_TEST_BASE64ISH}
          PEM: {from_file: %(pem)s}
        env: {LOG_LEVEL: info}
        """,
    "private-img": """\
        task: text-classification
        image:
          custom:
            url: ghcr.io/acme/private:1.2.3
            credentials:
              username: deploy-bot
              password: {from_env: HFLEET_TEST_REGISTRY_PASSWORD}
        """,
    "plain": "",
}


def assert_clean(where: str, text: str) -> None:
    leaks.assert_no_leak(where, text, SECRETS)


def secret_env(tmp: Path) -> dict[str, str]:
    """The environment the specs read their secrets from (the files are written under ``tmp``)."""
    (tmp / "db-password").write_text(DB_PASSWORD + "\n")
    (tmp / "key.pem").write_text(PEM + "\n")
    return {
        "HFLEET_TEST_API_KEY": API_KEY,
        "HFLEET_TEST_REGISTRY_PASSWORD": REGISTRY_PASSWORD,
        "HFLEET_TEST_QUOTED": QUOTED,
        "HFLEET_TEST_UNICODE": UNICODE,
        "HFLEET_TEST_BASE64ISH": BASE64ISH,
        "HFLEET_SECRETS_DIR": str(tmp),  # where from_file may read (once the spec room enforces it)
    }


def fleet_endpoints(tmp: Path) -> dict[str, str]:
    files = {"db": tmp / "db-password", "pem": tmp / "key.pem"}
    return {k: v % files if "%(" in v else v for k, v in ENDPOINTS.items()}


def assert_json_logs(stderr: str) -> None:
    """With --log-format json every stderr line that is a log event parses as JSON."""
    for line in stderr.splitlines():
        if line.startswith("{"):
            json.loads(line)


@pytest.fixture
def world(tmp_path: Path, emu: Any, url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    # A fresh process knows no secret yet: forget those registered by earlier tests of this process.
    logs.forget_secrets()
    for name, value in secret_env(tmp_path).items():
        monkeypatch.setenv(name, value)
    specs = helpers.write_specs(tmp_path / "specs", fleet_endpoints(tmp_path), namespace="alice")
    seen: list[tuple[str, str]] = []

    def hfleet(*args: str, token: str = TOKEN) -> tuple[int, str, str]:
        code, out, err = helpers.run_cli(
            "--api-url", url + "/v2", "--token", token, "--log-format", "json", "-v", *args
        )
        seen.append((f"hfleet {' '.join(args)}", out + err))
        assert_clean(f"hfleet {' '.join(args)} stdout", out)
        assert_clean(f"hfleet {' '.join(args)} stderr", err)
        assert_json_logs(err)
        return code, out, err

    yield {"specs": specs, "hfleet": hfleet, "tmp": tmp_path, "emu": emu, "url": url, "seen": seen}
    logs.forget_secrets()


def test_every_command_keeps_every_secret_out_of_its_output(world: dict[str, Any]) -> None:
    hfleet, specs, tmp = world["hfleet"], str(world["specs"]), world["tmp"]
    assert hfleet("validate", specs)[0] == 0
    for fmt in ("text", "json", "markdown"):
        assert hfleet("plan", specs, "--format", fmt, "--detailed")[0] == 2
    saved = tmp / "plan.json"
    assert hfleet("plan", specs, "--out", str(saved))[0] == 2
    assert_clean("saved plan file", saved.read_text())
    _, out, err = hfleet(
        "apply", specs, "--plan", str(saved), "--yes", "--wait", "--timeout", "30s", "--smoke"
    )
    assert "Apply complete: 3 applied" in out, out + err
    # The secrets did reach the API (so the scan above is meaningful) ...
    emu = world["emu"]
    record = {e.name: e for e in emu.endpoints()}
    api_ns, img_ns = record["api"].namespace, record["private-img"].namespace
    secrets = {
        "API_KEY": API_KEY,
        "DB_PASSWORD": DB_PASSWORD,
        "QUOTED": QUOTED,
        "UNICODE": UNICODE,
        "BASE64ISH": BASE64ISH,
        "PEM": PEM,
    }
    assert record["api"].secret_names == tuple(sorted(secrets))
    for key, value in secrets.items():
        assert emu.secret_matches(api_ns, "api", key, value), key
    assert emu.registry_password_matches(img_ns, "private-img", REGISTRY_PASSWORD)
    # ... and the fingerprint tag is not a recoverable form of them.
    tags = " ".join(record["api"].spec["tags"])
    assert "hfleet-secrets:" in tags
    assert_clean("tags", tags)
    assert hfleet("plan", specs)[0] == 0
    for fmt in ("text", "json"):
        assert hfleet("status", specs, "--format", fmt)[0] == 0
        hfleet("smoke", specs, "--format", fmt)
    assert hfleet("apply", specs, "--yes", "--format", "json")[0] == 0
    assert hfleet("reconcile", specs, "--max-passes", "1", "--listen", "", "--interval", "5s")[0] == 0
    out_dir = tmp / "imported"
    assert hfleet("import", "--namespace", "alice", "--out", str(out_dir), "--fleet", "team")[0] == 0
    written = list(out_dir.rglob("*"))
    assert written
    for path in written:
        if path.is_file():
            assert_clean(f"imported {path.name}", path.read_text())


def test_a_rotated_registry_password_is_sent_with_the_image_and_the_plan_says_so(
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 14 item 5: the password lives inside model.image; before, only the fingerprint tag was
    sent and the endpoint kept the old password while the apply reported success."""
    hfleet, specs, emu = world["hfleet"], str(world["specs"]), world["emu"]
    assert hfleet("apply", specs, "--yes")[0] == 0
    rotated = "regpass-ROTATED-91-zz"
    monkeypatch.setenv("HFLEET_TEST_REGISTRY_PASSWORD", rotated)
    code, out, _ = hfleet("plan", specs)
    assert code == 2
    assert "secrets rotated: model.image.custom.credentials (password of" in out, out
    assert_clean("rotation plan", out.replace(rotated, "<new>"))
    assert rotated not in out
    emu.clear_requests()
    assert hfleet("apply", specs, "--yes")[0] == 0
    record = emu.endpoint(
        next(e.namespace for e in emu.endpoints() if e.name == "private-img"), "private-img"
    )
    assert record is not None
    assert emu.registry_password_matches(record.namespace, "private-img", rotated)
    assert hfleet("plan", specs)[0] == 0


def test_a_rotated_secret_is_shown_as_rotated_never_by_value(
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    hfleet, specs = world["hfleet"], str(world["specs"])
    assert hfleet("apply", specs, "--yes")[0] == 0
    monkeypatch.setenv("HFLEET_TEST_API_KEY", API_KEY_2)
    code, out, _ = hfleet("plan", specs, "--format", "json")
    assert code == 2
    changes = [c for c in json.loads(out)["changes"] if c["name"] == "api"]
    assert [(c["action"], c["reason"], c["secrets"]) for c in changes] == [("update", "secrets", "rotated")]
    assert all("model.secrets" not in json.dumps(f) for c in changes for f in c["fields"])
    saved = world["tmp"] / "rotate.json"
    hfleet("plan", specs, "--out", str(saved))
    assert_clean("saved rotation plan", saved.read_text())
    assert hfleet("apply", specs, "--yes", "--plan", str(saved))[0] == 0
    api = {e.name: e for e in world["emu"].endpoints()}["api"]
    assert world["emu"].secret_matches(api.namespace, "api", "API_KEY", API_KEY_2)


def test_error_paths_keep_secrets_out_of_messages(
    world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    hfleet, specs, emu = world["hfleet"], str(world["specs"]), world["emu"]
    # A server that echoes the payload in its error (it happens): the echo is redacted, also when
    # the server escapes it, encodes it, quotes one line of it or cuts it short.
    pem_line = PEM.splitlines()[1]
    emu.faults.add(
        FaultRule(
            kind="status",
            status=400,
            method="POST",
            times=3,
            message=f"VALIDATION_FAILED: model.secrets.API_KEY={API_KEY} "
            f"registry password {REGISTRY_PASSWORD} token {TOKEN} "
            f"payload {json.dumps({'QUOTED': QUOTED, 'UNICODE': UNICODE, 'PEM': PEM})} "
            f"b64 {base64.b64encode(BASE64ISH.encode()).decode()} line {pem_line} "
            f"cut {PEM[:40]}",
        )
    )
    code, out, err = hfleet("apply", specs, "--yes")
    assert code == 1 and "VALIDATION_FAILED" in out + err
    emu.faults.clear()
    # A wrong token in the error of a 401.
    code, out, err = hfleet("plan", specs, token=WRONG_TOKEN)
    assert code == 1 and "HTTP 401" in err
    # A transport error (nothing listens there) with the token in hand.
    code, out, err = helpers.run_cli(
        "--api-url",
        "http://127.0.0.1:9/v2",
        "--token",
        TOKEN,
        "--log-format",
        "json",
        "-v",
        "plan",
        specs,
        env=secret_env(world["tmp"]),
    )
    assert_clean("transport error", out + err)
    # A secret that cannot be resolved is named by reference only.
    monkeypatch.delenv("HFLEET_TEST_API_KEY")
    code, out, err = hfleet("apply", specs, "--yes")
    assert "HFLEET_TEST_API_KEY" in out + err


def test_a_fresh_process_leaks_nothing_either(tmp_path: Path, url: str, emu: Any) -> None:
    """The same run as a child process: catches prints, warnings and tracebacks outside click."""
    env = helpers.subprocess_env(
        **secret_env(tmp_path), HFLEET_STATE_DIR=str(tmp_path / "state"), HF_TOKEN=TOKEN
    )
    specs = helpers.write_specs(tmp_path / "specs", fleet_endpoints(tmp_path), namespace="alice")
    import subprocess
    import sys

    for args in (
        ["plan", str(specs)],
        ["apply", str(specs), "--yes", "--wait", "--smoke"],
        ["status", str(specs)],
    ):
        proc = subprocess.run(
            [
                sys.executable,
                "-W",
                "error",
                "-m",
                "reconciler",
                "--api-url",
                url + "/v2",
                "--log-format",
                "json",
                "-vv",
                *args,
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )
        assert proc.returncode in (0, 2), proc.stdout + proc.stderr
        assert "Traceback" not in proc.stderr
        assert_clean(f"child {args[0]}", proc.stdout + proc.stderr)


# --- the emulator's side of the contract ------------------------------------------------------------

ROUTES = [
    ("GET", "/v2/endpoint/{ns}"),
    ("POST", "/v2/endpoint/{ns}"),
    ("GET", "/v2/endpoint/{ns}/x"),
    ("PUT", "/v2/endpoint/{ns}/x"),
    ("DELETE", "/v2/endpoint/{ns}/x"),
    ("POST", "/v2/endpoint/{ns}/x/pause"),
    ("POST", "/v2/endpoint/{ns}/x/resume"),
    ("POST", "/v2/endpoint/{ns}/x/scale-to-zero"),
    ("GET", "/v2/endpoint/{ns}/x/logs"),
    ("GET", "/v2/provider/{ns}"),
    ("GET", "/v2/provider/quotas/{ns}"),
]


@pytest.fixture
def existing(emu: Any, url: str) -> dict[str, Any]:
    """An endpoint x in namespace 'emulator', created by its owner."""
    conn = helpers.connect(url)
    try:
        conn.api.create(
            "emulator",
            {
                "name": "x",
                "type": "authenticated",
                "provider": {"vendor": "aws", "region": "us-east-1"},
                "compute": {
                    "accelerator": "cpu",
                    "instanceType": "intel-spr",
                    "instanceSize": "x2",
                    "scaling": {"minReplica": 1, "maxReplica": 1},
                },
                "model": {
                    "repository": "gpt2",
                    "framework": "pytorch",
                    "image": {"huggingface": {}},
                    "secrets": {"K": API_KEY},
                },
            },
        )
    finally:
        conn.close()
    emu.clear_requests()
    return emu.store.get("emulator", "x")


@pytest.mark.parametrize(("method", "route"), ROUTES, ids=[f"{m} {r}" for m, r in ROUTES])
@pytest.mark.parametrize(
    ("auth", "status"),
    [(None, 401), ("Basic dXNlcjpwYXNz", 401), (f"Bearer {WRONG_TOKEN}", 401), (f"Bearer {TOKEN}", 403)],
    ids=["no-token", "not-bearer", "wrong", "other-namespace"],
)
def test_the_emulator_refuses_unauthorized_requests(
    url: str, emu: Any, existing: dict[str, Any], method: str, route: str, auth: str | None, status: int
) -> None:
    headers = {} if auth is None else {"Authorization": auth}
    body = {"name": "y"} if method in ("POST", "PUT") else None
    response = httpx.request(
        method, url + route.format(ns="emulator"), headers=headers, json=body, timeout=10
    )
    assert response.status_code == status, response.text
    assert API_KEY not in response.text
    assert emu.store.get("emulator", "x") == existing  # untouched
    assert [r["name"] for r in emu.store.all()] == ["x"]


def test_the_emulator_never_echoes_secrets(url: str, emu: Any, existing: dict[str, Any]) -> None:
    for path in ("/v2/endpoint/emulator", "/v2/endpoint/emulator/x", "/v2/endpoint/emulator/x/logs"):
        response = helpers.get_json(url, path)
        assert response.status_code == 200 and API_KEY not in response.text
    assert helpers.get_json(url, "/v2/endpoint/emulator/x").json()["model"]["secrets"] == {}


def test_the_data_plane_of_a_non_public_endpoint_needs_a_token_of_its_namespace(
    url: str, emu: Any, existing: dict[str, Any]
) -> None:
    endpoint_url = helpers.get_json(url, "/v2/endpoint/emulator/x").json()["status"]["url"]
    body = {"inputs": "hello"}
    assert httpx.post(endpoint_url, json=body, timeout=10).status_code == 401
    wrong = {"Authorization": f"Bearer {WRONG_TOKEN}"}
    assert httpx.post(endpoint_url, json=body, headers=wrong, timeout=10).status_code == 401
    other = {"Authorization": f"Bearer {TOKEN}"}
    assert httpx.post(endpoint_url, json=body, headers=other, timeout=10).status_code == 403
    owner = {"Authorization": f"Bearer {helpers.TOKEN}"}
    assert httpx.post(endpoint_url, json=body, headers=owner, timeout=10).status_code == 200


def test_secrets_removed_from_the_spec_are_removed_from_the_endpoint(world: dict[str, Any]) -> None:
    """Regression (found by the property tests): dropping every secret of an endpoint used to leave
    them on the endpoint, while dropping one of several keys removed it."""
    hfleet, specs, emu = world["hfleet"], world["specs"], world["emu"]
    assert hfleet("apply", str(specs), "--yes")[0] == 0
    text = (specs / "endpoints.yaml").read_text()
    start = text.index("secrets:")
    end = text.index("env: {LOG_LEVEL")
    (specs / "endpoints.yaml").write_text(text[:start] + text[end:])
    code, out, _ = hfleet("plan", str(specs))
    assert code == 2 and "secrets removed: model.secrets (all removed) (values never shown)" in out, out
    assert hfleet("apply", str(specs), "--yes")[0] == 0
    record = emu.endpoint("alice", "api")
    assert record is not None and record.secret_names == ()
    assert not any(t.startswith("hfleet-secrets:") for t in record.spec["tags"])
    assert hfleet("plan", str(specs))[0] == 0
