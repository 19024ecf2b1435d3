"""``make demo`` passes at any hour (issue 12): scripts/demo.sh, run for real in a subprocess with the
installed ``hfleet``, at a weekday night, a Saturday noon, a holiday and the real time of the run.

The script asserts itself that the plan after ``apply --wait`` is empty (exit 0); these tests also
check that the scheduled embedder was created *and* scaled to zero in the same apply when its
schedule says off, and that status and the schedule preview agree. The night and the real-time runs
keep the demo's transition durations (a few seconds: the create must be up before it can be
turned off); the others use instant ones to stay fast.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HFLEET = Path(sys.executable).parent / "hfleet"

CASES = [
    # (id, HFLEET_DEMO_NOW, embedder up?, transition speed)
    ("weekday-night", "2026-12-01T23:30:00+01:00", False, "demo"),
    ("tuesday-0610-paris", "2026-12-01T06:10:00+01:00", False, "instant"),  # the instant
    ("saturday-noon", "2026-12-05T12:00:00+01:00", False, "instant"),
    ("christmas", "2026-12-25T10:00:00+01:00", False, "instant"),  # a Friday, in the window
    ("weekday-office-hours", "2026-12-02T10:00:00+01:00", True, "instant"),
]


def demo(tmp_path: Path, now: str | None, speed: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HFLEET"))}
    env.update(HFLEET=str(HFLEET), HFLEET_DEMO_DIR=str(tmp_path / "demo"), NO_COLOR="1")
    env["HFLEET_EMULATOR_DURATIONS"] = speed
    if now is not None:
        env["HFLEET_DEMO_NOW"] = now
    return subprocess.run(
        ["bash", str(ROOT / "scripts" / "demo.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def status_row(out: str, name: str) -> list[str]:
    """The row of ``name`` in the output of the demo's ``hfleet status``."""
    section = out.split("\n$ hfleet status", 1)[1].split("\n$ hfleet ", 1)[0]
    line = next(line for line in section.splitlines() if line.startswith(f"emulator-org/{name} "))
    return line.split()


@pytest.mark.slow
@pytest.mark.parametrize(("now", "up", "speed"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_demo_passes_at(tmp_path: Path, now: str, up: bool, speed: str) -> None:
    result = demo(tmp_path, now, speed)
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert "expected nothing to do after apply" not in out
    assert f"hfleet plan for fleet 'ml-platform' at {now}" in out
    turned_off = re.search(r"^ok +scale_to_zero +emulator-org/embedder ", out, re.MULTILINE)
    if up:
        assert turned_off is None and "in 2 rounds" not in out
        assert status_row(out, "embedder")[1:3] == ["running", "running"]
        assert re.search(r"^embedder .* now up: in uptime", out, re.MULTILINE)
    else:
        # Created, then scaled to zero once up: the same apply, a second round.
        assert turned_off is not None and "round 2: scale_to_zero embedder" in out, out
        assert status_row(out, "embedder")[1:3] == ["scaled_to_zero", "scaledToZero"]
        assert re.search(r"^embedder .* now off \(scale_to_zero\)", out, re.MULTILINE)
    assert "No changes. The live endpoints match the specs." in out
    assert (tmp_path / "demo" / "emulator.db").exists()  # its own directory, not the repository's


@pytest.mark.slow
def test_demo_passes_now(tmp_path: Path) -> None:
    """At the real time of the run (whatever it is), with the demo's own speed: what `make demo` does."""
    before = datetime.now(UTC)
    result = demo(tmp_path, None, "demo")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No changes. The live endpoints match the specs." in result.stdout
    stamp = re.search(r"hfleet plan for fleet 'ml-platform' at (\S+)", result.stdout)
    assert stamp is not None and datetime.fromisoformat(stamp.group(1)) >= before.replace(microsecond=0)
