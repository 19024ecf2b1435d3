"""Commands users look for (issue 12 item 8): ``show`` of a saved plan without specs or API,
``apply --plan`` without spec paths, ``hardware``, ``status --exit-code``, the token ``hf auth
login`` saved, and shell completion (the README's line, run in a real bash)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler.cli import options
from tests.cli import helpers
from tests.emulator import recorded
from tests.hostile.server import TOKEN as HOSTILE_TOKEN
from tests.hostile.server import HostileServer
from tests.reliability.helpers import ALICE_TOKEN, WRITES, live_by_name, write_specs

UNREACHABLE = "http://127.0.0.1:9/v2"  # the discard port: nothing answers there


def test_show_reads_a_saved_plan_without_specs_or_api(tmp_path: Path, emu: Any, url: str) -> None:
    specs = write_specs(tmp_path / "specs", {"a": "", "b": "max_replica: 2\n"})
    saved = tmp_path / "plan.json"
    code, planned, err = helpers.against(url, "plan", str(specs), "--out", str(saved))
    assert code == 2, planned + err
    shutil.rmtree(specs)
    emu.clear_requests()
    code, shown, err = helpers.run("--api-url", UNREACHABLE, "show", str(saved))
    assert code == 2, shown + err
    assert shown == planned  # the very plan that was reviewed
    code, out, _ = helpers.run("--api-url", UNREACHABLE, "show", str(saved), "--format", "json")
    assert code == 2 and json.loads(out) == json.loads(saved.read_text())
    code, out, _ = helpers.run("--api-url", UNREACHABLE, "show", str(saved), "--format", "markdown")
    assert code == 2 and out.startswith("### hfleet plan: `team`")
    assert emu.requests == []
    saved.write_text('{"not": "a plan"}')
    code, out, err = helpers.run("show", str(saved))
    assert code == 1 and "plan file" in err


def test_show_of_a_plan_with_nothing_to_do_exits_0(tmp_path: Path, url: str) -> None:
    specs = write_specs(tmp_path / "specs", {"a": ""})
    assert helpers.against(url, "apply", str(specs), "--yes")[0] == 0
    saved = tmp_path / "plan.json"
    assert helpers.against(url, "plan", str(specs), "--out", str(saved))[0] == 0
    code, out, _ = helpers.run("show", str(saved))
    assert code == 0 and "No changes" in out


def test_apply_plan_needs_no_spec_paths(
    tmp_path: Path, emu: Any, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    specs = write_specs(tmp_path / "specs", {"a": "", "b": "state: paused\n"})
    saved = tmp_path / "plan.json"
    assert helpers.against(url, "plan", str(specs), "--out", str(saved))[0] == 2
    shutil.rmtree(specs)  # a CI job that kept only the plan artifact
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    code, out, err = helpers.against(url, "apply", "--plan", str(saved), "--yes", "--wait")
    assert code == 0, out + err
    assert {n: e["status"]["state"] for n, e in live_by_name(url).items()} == {"a": "running", "b": "paused"}
    assert list(elsewhere.iterdir()) == []  # the carried specs went to a temporary folder
    emu.clear_requests()
    code, out, err = helpers.against(url, "apply", "--plan", str(saved), "--yes")
    assert code == 3 and "stale" in err
    assert [r for r in emu.requests if r.method in WRITES] == []


@pytest.fixture
def recorded_catalog() -> Iterator[HostileServer]:
    """An API whose hardware catalog is the real one huggingface_hub's maintainers recorded."""
    with HostileServer() as server:
        body = recorded.load("hfhub-tests-providers.json")
        server.add("GET", "/v2/provider/emulator", "json", body=body)
        yield server


def _hardware(server: HostileServer, *args: str) -> tuple[int, str, str]:
    return helpers.run("--api-url", server.url + "/v2", "--token", HOSTILE_TOKEN, "hardware", *args)


def test_hardware_lists_the_catalog_with_prices_and_quotas(recorded_catalog: HostileServer) -> None:
    code, out, err = _hardware(recorded_catalog)
    assert code == 0, out + err
    lines = out.splitlines()
    assert lines[0].split() == [
        "VENDOR", "REGION", "ACCEL", "TYPE", "SIZE", "UNITS", "$/HOUR", "$/MONTH", "QUOTA", "FREE", "STATUS",
    ]  # fmt: skip
    rows = [line.split() for line in lines[1:]]
    assert rows == [
        ["aws", "us-east-1", "cpu", "intel-spr", "x1", "1", "0.033", "24", "60/60", "available"],
        ["aws", "us-east-1", "gpu", "nvidia-l4", "x1", "1", "0.800", "584", "15/16", "available"],
        ["gcp", "us-east4", "gpu", "nvidia-a100", "x8", "8", "28.800", "21,024", "2/2", "reserved"],
    ]
    assert len({line.index("  available") if "available" in line else None for line in lines[1:3]}) == 1
    code, out, _ = _hardware(recorded_catalog, "--accelerator", "gpu", "--vendor", "aws")
    assert code == 0 and [line.split()[3] for line in out.splitlines()[1:]] == ["nvidia-l4"]
    code, out, _ = _hardware(recorded_catalog, "--format", "json")
    l4 = next(r for r in json.loads(out) if r["instance_type"] == "nvidia-l4")
    assert (l4["price_per_hour"], l4["max_accelerators"], l4["free_accelerators"]) == (0.8, 16, 15)


def test_hardware_against_the_emulator_uses_the_tokens_namespace(emu: Any, url: str) -> None:
    code, out, err = helpers.against(url, "hardware", "--region", "us-east-1", "--accelerator", "cpu")
    assert code == 0, out + err
    rows = [line.split() for line in out.splitlines()[1:]]
    assert rows and all(r[1] == "us-east-1" and r[2] == "cpu" for r in rows)
    assert [r.path for r in emu.requests if r.path.startswith("/v2/provider")] == ["/v2/provider/emulator"]


def test_status_exit_code_is_a_refresh_only_drift_check(tmp_path: Path, emu: Any, url: str) -> None:
    specs = write_specs(tmp_path / "specs", {"a": "", "b": ""})
    assert helpers.against(url, "apply", str(specs), "--yes", "--wait")[0] == 0
    emu.clear_requests()
    assert helpers.against(url, "status", str(specs), "--exit-code")[0] == 0
    write_specs(tmp_path / "specs", {"a": "max_replica: 2\n", "b": ""})  # a field drifts
    assert helpers.against(url, "status", str(specs), "--exit-code")[0] == 2
    assert helpers.against(url, "status", str(specs))[0] == 0  # without the flag: a report, exit 0
    write_specs(tmp_path / "specs", {"a": "", "b": "state: paused\n"})  # only a power change pending
    code, out, _ = helpers.against(url, "status", str(specs), "--exit-code", "--format", "json")
    assert code == 2 and {r["name"]: r["drift"] for r in json.loads(out)["endpoints"]} == {
        "a": False,
        "b": True,
    }
    assert [r for r in emu.requests if r.method in WRITES] == []  # refresh only


# --- the token `hf auth login` saved ---------------------------------------------------------------

LAYOUTS = {
    "HF_TOKEN_PATH": ({"HF_TOKEN_PATH": "{tmp}/custom/my-token"}, "custom/my-token"),
    "HF_HOME": ({"HF_HOME": "{tmp}/hf"}, "hf/token"),
    "XDG_CACHE_HOME": ({"XDG_CACHE_HOME": "{tmp}/xdg"}, "xdg/huggingface/token"),
    "HOME": ({"HOME": "{tmp}/home"}, "home/.cache/huggingface/token"),
    "HF_HOME with ~": ({"HOME": "{tmp}/home", "HF_HOME": "~/hfhome"}, "home/hfhome/token"),
    "HF_HOME with $VAR": ({"BASE": "{tmp}/b", "HF_HOME": "$BASE/hf"}, "b/hf/token"),
    "staging": (
        {"HOME": "{tmp}/home", "HUGGINGFACE_CO_STAGING": "1"},
        "home/.cache/huggingface_staging/token",
    ),
}


def _layout_env(tmp_path: Path, name: str) -> tuple[dict[str, str], Path]:
    values, relative = LAYOUTS[name]
    env = {k: v.format(tmp=tmp_path) for k, v in values.items()}
    return env, tmp_path / relative


def _hub_env(extra: dict[str, str]) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_TOKEN_PATH", "HF_HOME", "XDG_CACHE_HOME")
        and not k.startswith("HF_OIDC")
    }
    return env | extra


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_the_token_file_is_where_huggingface_hub_looks(tmp_path: Path, layout: str) -> None:
    env, path = _layout_env(tmp_path, layout)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("  hf_fromfile123456\r\n")
    probe = (
        "import json; from huggingface_hub import constants, get_token; "
        "from reconciler.cli import options; "
        "print(json.dumps([constants.HF_TOKEN_PATH, options.token_path(), get_token(), options.hub_token()]))"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe], env=_hub_env(env) | {"PYTHONPATH": str(helpers.ROOT)},
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    hub_path, our_path, hub_token, our_token = json.loads(run.stdout)
    assert our_path == hub_path == str(path)
    assert our_token == hub_token == "hf_fromfile123456"


def test_the_environment_wins_over_the_file_as_in_huggingface_hub(tmp_path: Path) -> None:
    (tmp_path / "token").write_text("hf_fromfile123456\n")
    cases = [
        ({"HF_TOKEN": "hf_fromenv1234567"}, "hf_fromenv1234567"),
        ({"HUGGING_FACE_HUB_TOKEN": "hf_legacy12345678"}, "hf_legacy12345678"),
        ({"HF_TOKEN": " \n", "HUGGING_FACE_HUB_TOKEN": "hf_legacy12345678"}, "hf_fromfile123456"),
        ({"HF_TOKEN": "hf_with_newline12\n"}, "hf_with_newline12"),
    ]
    probe = (
        "import json; from huggingface_hub import get_token; from reconciler.cli import options; "
        "print(json.dumps([get_token(), options.hub_token()]))"
    )
    for extra, expected in cases:
        env = _hub_env({"HF_TOKEN_PATH": str(tmp_path / "token"), **extra, "PYTHONPATH": str(helpers.ROOT)})
        run = subprocess.run(
            [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True, timeout=60
        )
        assert json.loads(run.stdout) == [expected, expected], extra


def test_hfleet_uses_the_saved_token_when_hf_token_is_unset(
    tmp_path: Path, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    specs = write_specs(tmp_path / "specs", {"a": ""}, namespace="alice")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    code, _, err = helpers.run("--api-url", url + "/v2", "plan", str(specs))
    assert code == 1 and "no token: set HF_TOKEN, pass --token, or log in with `hf auth login`" in err
    (tmp_path / "hf").mkdir()
    (tmp_path / "hf" / "token").write_text(ALICE_TOKEN + "\n")  # what `hf auth login` writes
    code, out, err = helpers.run("--api-url", url + "/v2", "plan", str(specs))
    assert code == 2, out + err
    assert "+ create        alice/a" in out and ALICE_TOKEN not in out + err
    monkeypatch.setenv("HF_TOKEN", helpers.TOKEN)  # the environment wins: user "emulator" may not use alice
    code, out, err = helpers.run("--api-url", url + "/v2", "plan", str(specs))
    assert code == 1 and "403" in err, out + err


def test_the_emulator_never_reads_the_saved_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_TOKEN_PATH", str(tmp_path / "token"))
    (tmp_path / "token").write_text("hf_realtoken1234567\n")
    assert options.App("", None, str(tmp_path / "e.db"), "instant", False, None, 0).settings().token is None


# --- shell completion ------------------------------------------------------------------------------


def _complete(shell_words: str, cword: int) -> list[str]:
    env = helpers.child_env(_HFLEET_COMPLETE="bash_complete", COMP_WORDS=shell_words, COMP_CWORD=str(cword))
    run = subprocess.run(
        [sys.executable, "-m", "reconciler"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    return run.stdout.split()


def test_completion_scripts_and_answers() -> None:
    for shell, marker in (
        ("bash", "complete -o nosort -F _hfleet_completion hfleet"),
        ("zsh", "#compdef hfleet"),
        ("fish", "complete --no-files --command hfleet"),
    ):
        env = helpers.child_env(_HFLEET_COMPLETE=f"{shell}_source")
        run = subprocess.run(
            [sys.executable, "-m", "reconciler"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        assert marker in run.stdout, shell
    assert _complete("hfleet pl", 1) == ["plain,plan"]
    assert _complete("hfleet st", 1) == ["plain,status"]
    assert _complete("hfleet plan --fo", 2) == ["plain,--format"]
    assert _complete("hfleet plan --format ", 3) == ["plain,text", "plain,json", "plain,markdown"]


@pytest.mark.skipif(shutil.which("bash") is None, reason="no bash on this machine")
def test_the_readmes_completion_line_works_in_bash(tmp_path: Path) -> None:
    readme = (helpers.ROOT / "README.md").read_text()
    line = re.search(r'^\$ (eval "\$\(_HFLEET_COMPLETE=bash_source hfleet\)")', readme, re.M)
    assert line is not None, "the README documents bash completion"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "hfleet"
    shim.write_text(f'#!/bin/sh\nexec {sys.executable} -m reconciler "$@"\n')
    shim.chmod(0o755)
    script = f"""{line.group(1)}
COMP_WORDS=(hfleet sta); COMP_CWORD=1; _hfleet_completion hfleet sta hfleet
echo "${{COMPREPLY[@]}}"
COMPREPLY=(); COMP_WORDS=(hfleet apply --ma); COMP_CWORD=2; _hfleet_completion hfleet --ma apply
echo "${{COMPREPLY[@]}}"
"""
    env = helpers.child_env(PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    run = subprocess.run(
        ["bash", "-c", script], env=env, capture_output=True, text=True, timeout=60, check=True
    )
    assert run.stdout.splitlines() == ["status", "--max-delete-fraction --max-update-fraction"]
