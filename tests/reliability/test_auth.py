"""Promise: with a missing token, a wrong token, or a token without access to a namespace the fleet
uses, hfleet says so plainly, exits 1, and writes nothing at all (the emulator's request log shows
zero POST/PUT/DELETE), even when other namespaces of the fleet are accessible."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.reliability import helpers

COMMANDS = {
    "plan": ["plan"],
    "apply": ["apply", "--yes"],
    "apply-prune": ["apply", "--yes", "--prune", "--force"],
    "status": ["status"],
    "smoke": ["smoke"],
}
WRONG = "hf_wrongTOKENvalue9999"


def run(
    url: str, specs: Path, command: list[str], token: str | None, env: dict[str, str] | None = None
) -> tuple[int, str, str]:
    args = ["--api-url", url + "/v2", "--log-format", "json"]
    if token is not None:
        args += ["--token", token]
    return helpers.run_cli(*args, *command, str(specs), env=env)


@pytest.mark.parametrize("command", COMMANDS.values(), ids=COMMANDS.keys())
def test_no_token_is_refused_before_any_request(
    tmp_path: Path, emu: Any, url: str, command: list[str]
) -> None:
    specs = helpers.write_specs(tmp_path / "specs", {"a": ""})
    # No HF_TOKEN, and no token file where `hf auth login` would have saved one.
    env = {"HF_TOKEN_PATH": str(tmp_path / "no-token-file"), "HUGGING_FACE_HUB_TOKEN": ""}
    code, out, err = run(url, specs, command, token=None, env=env)
    assert code == 1, out + err
    # In JSON log mode every stderr line is one JSON object, the error included.
    lines = [json.loads(line) for line in err.splitlines()]
    assert any(
        line["level"] == "error" and line["error"].startswith("no token: set HF_TOKEN") for line in lines
    )
    assert emu.requests == []


@pytest.mark.parametrize("command", COMMANDS.values(), ids=COMMANDS.keys())
def test_a_wrong_token_is_refused_with_no_write(
    tmp_path: Path, emu: Any, url: str, command: list[str]
) -> None:
    specs = helpers.write_specs(tmp_path / "specs", {"a": ""})
    code, out, err = run(url, specs, command, token=WRONG)
    assert code == 1, out + err
    assert "HTTP 401" in err and "token" in err
    assert WRONG not in out + err
    assert helpers.writes(emu) == []
    assert len(emu.requests) == 1  # a 401 is not retried


def test_a_wrong_token_from_the_environment_is_refused(tmp_path: Path, emu: Any, url: str) -> None:
    specs = helpers.write_specs(tmp_path / "specs", {"a": ""})
    code, out, err = run(url, specs, ["apply", "--yes"], token=None, env={"HF_TOKEN": WRONG})
    assert code == 1 and "HTTP 401" in err and WRONG not in out + err
    assert helpers.writes(emu) == []


@pytest.mark.parametrize("command", COMMANDS.values(), ids=COMMANDS.keys())
def test_a_token_without_access_to_the_namespace_writes_nothing(
    tmp_path: Path, emu: Any, url: str, command: list[str]
) -> None:
    specs = helpers.write_specs(tmp_path / "specs", {"a": ""}, namespace="emulator")
    code, out, err = run(url, specs, command, token=helpers.ALICE_TOKEN)
    assert code == 1, out + err
    assert "HTTP 403" in err and "has no access to namespace 'emulator'" in err
    assert helpers.writes(emu) == []


def test_one_inaccessible_namespace_stops_the_whole_run(tmp_path: Path, emu: Any, url: str) -> None:
    """alice may write to 'alice' but not to 'emulator-org': nothing is written anywhere."""
    specs = helpers.write_specs(
        tmp_path / "specs", {"mine": "", "theirs": "namespace: emulator-org\n"}, namespace="alice"
    )
    code, out, err = run(url, specs, ["apply", "--yes"], token=helpers.ALICE_TOKEN)
    assert code == 1 and "no access to namespace 'emulator-org'" in err, out + err
    assert helpers.writes(emu) == []
    assert emu.endpoints() == []


def test_existing_endpoints_survive_an_unauthorized_prune(tmp_path: Path, emu: Any, url: str) -> None:
    specs = helpers.write_specs(tmp_path / "specs", {"a": "", "b": ""})
    assert run(url, specs, ["apply", "--yes"], token=helpers.TOKEN)[0] == 0
    helpers.write_specs(specs, {})
    emu.clear_requests()
    for token in (WRONG, helpers.ALICE_TOKEN):
        code, _, _ = run(url, specs, ["apply", "--yes", "--prune", "--force"], token=token)
        assert code == 1
    assert helpers.writes(emu) == []
    assert {e.name for e in emu.endpoints()} == {"a", "b"}


def test_import_with_a_bad_token_writes_nothing(tmp_path: Path, emu: Any, url: str) -> None:
    out_dir = tmp_path / "imported"
    for token, status in ((WRONG, "401"), (helpers.ALICE_TOKEN, "403")):
        code, out, err = helpers.run_cli(
            "--api-url",
            url + "/v2",
            "--token",
            token,
            "import",
            "--namespace",
            "emulator",
            "--out",
            str(out_dir),
        )
        assert code == 1 and f"HTTP {status}" in err, out + err
    assert helpers.writes(emu) == []
    assert not out_dir.exists() or not any(out_dir.iterdir())
