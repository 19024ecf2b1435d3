"""charts/hfleet/README.md is generated from values.yaml's ``# --`` comments (helm-docs style) by
scripts/chart_readme.py, and kept current: a value added or changed without regenerating fails here."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from tests.chart.helpers import CHART, ROOT

SCRIPT = ROOT / "scripts" / "chart_readme.py"


def generate(chart: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args, str(chart)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_readme_is_current() -> None:
    result = generate(CHART, "--check")
    assert result.returncode == 0, result.stderr + " (run: .venv/bin/python scripts/chart_readme.py)"


def test_every_value_is_in_the_readme_and_described() -> None:
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        import chart_readme
    finally:
        sys.path.remove(str(SCRIPT.parent))
    text = (CHART / "values.yaml").read_text()
    documented = chart_readme.descriptions(text)
    readme = (CHART / "README.md").read_text()
    for path, _, _ in chart_readme.rows(yaml.safe_load(text), documented):
        assert f"\n| {path} | " in readme, path
        # A value documents itself, or sits inside a documented map.
        assert any(path == d or path.startswith(d + ".") for d in documented), f"{path} has no # -- comment"
    assert documented["specs.git.period"].startswith("How often the controller's sidecar pulls")


def test_a_changed_value_makes_the_check_fail(tmp_path: Path) -> None:
    chart = tmp_path / "hfleet"
    shutil.copytree(CHART, chart)
    values = chart / "values.yaml"
    values.write_text(values.read_text() + "\n# -- A new knob.\n#    Over two lines.\nnewKnob: 3\n")
    result = generate(chart, "--check")
    assert result.returncode == 1 and "out of date" in result.stderr
    assert generate(chart).returncode == 0
    assert "| newKnob | int | `3` | A new knob. Over two lines. |" in (chart / "README.md").read_text()
    assert generate(chart, "--check").returncode == 0
