"""The rehearse jobs of the CI recipes, run for real: their own shell, the installed ``hfleet``, the
repository's specs/ and the embedded emulator. ``apply --wait`` then ``plan`` at the same instant
must exit 0 at night, on a weekend, on a holiday, at a window edge and in office hours (issue 12:
the job failed at two thirds of the hours of a week).

``date`` is a stand-in on PATH that prints the instant under test, the one thing the scripts read
from the clock; transitions are instant (HFLEET_EMULATOR_DURATIONS) to keep the runs short.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.test_examples import GITHUB_PLAN, GITLAB, ROOT, load

INSTANTS = {
    "weekday-night": "2026-12-01T22:30:00Z",
    "saturday-noon": "2026-12-05T11:00:00Z",
    "christmas": "2026-12-25T09:00:00Z",
    "window-edge-19h-paris": "2026-12-02T18:00:00Z",
    "office-hours": "2026-12-02T09:00:00Z",
}


def github_rehearse() -> tuple[str, str, dict[str, Any]]:
    step = next(s for s in load(GITHUB_PLAN)["jobs"]["rehearse"]["steps"] if "--emulator" in s.get("run", ""))
    return "bash", step["run"], step["env"]


def gitlab_rehearse() -> tuple[str, str, dict[str, Any]]:
    job = load(GITLAB)["rehearse"]
    return "sh", "\n".join(job["script"]), job["variables"]


def workspace(tmp_path: Path, instant: str) -> dict[str, str]:
    """A checkout (specs/ only) and a PATH with the real hfleet and a `date` that answers ``instant``."""
    shutil.copytree(ROOT / "specs", tmp_path / "specs")
    stubs = tmp_path / "bin"
    stubs.mkdir()
    (stubs / "date").write_text(f"#!/bin/sh\necho {instant}\n")
    (stubs / "date").chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HFLEET"))}
    env["PATH"] = f"{stubs}:{Path(sys.executable).parent}:/usr/bin:/bin"
    env["HFLEET_EMULATOR_DURATIONS"] = "instant"
    env["NO_COLOR"] = "1"
    return env


CASES = [("github", github_rehearse, name, at) for name, at in INSTANTS.items()] + [
    ("gitlab", gitlab_rehearse, name, INSTANTS[name]) for name in ("weekday-night", "window-edge-19h-paris")
]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("recipe", "instant"), [c[1::2] for c in CASES], ids=[f"{c[0]}-{c[2]}" for c in CASES]
)
def test_rehearse_converges(tmp_path: Path, recipe: Any, instant: str) -> None:
    shell, script, variables = recipe()
    env = {**workspace(tmp_path, instant), **{k: str(v) for k, v in variables.items()}}
    result = subprocess.run(
        [shutil.which(shell) or shell, "-e", "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert f"hfleet plan for fleet 'ml-platform' at {instant.replace('Z', '+00:00')}" in out
    assert "No changes. The live endpoints match the specs." in out
    assert (tmp_path / ".hfleet" / "ci.db").exists()
