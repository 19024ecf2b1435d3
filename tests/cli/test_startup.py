"""Fast start (issue 12 item 9), checked deterministically: which modules ``hfleet --help`` and
``hfleet validate`` import (a fresh process, its ``sys.modules`` at exit), never a stopwatch. The
times themselves are measured by ``bench/startup.py`` (``make bench``), run here once, quickly,
for what it writes only."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli import helpers

# Heavy, and needed only once a command talks to the API, logs, renders rich output or plans.
NEVER_AT_START = {
    "structlog",
    "rich",
    "httpx",
    "httpcore",
    "tenacity",
    "deepdiff",
    "prometheus_client",
    "filelock",
    "anyio",
    "huggingface_hub",
    "reconciler.engine",
    "reconciler.api",
    "reconciler.net",
    "reconciler.wire",
    "reconciler.inference",
    "reconciler.emulator",
    "reconciler.controller",
    "reconciler.metrics",
}
SPEC_MODULES = {"pydantic", "yaml", "reconciler.spec", "reconciler.schedule"}

PROBE = """
import json, sys
from reconciler import cli
code = None
try:
    cli.main(sys.argv[1:])
except SystemExit as exit:
    code = exit.code
loader = sys.modules.get("pydantic.plugin._loader")
scanned = loader is not None and loader._plugins is not None
print(json.dumps({"code": code, "modules": sorted(sys.modules), "plugins_scanned": scanned}), file=sys.stderr)
"""


def _imported(*args: str) -> tuple[int, set[str], bool]:
    env = helpers.child_env()
    env.pop("PYDANTIC_DISABLE_PLUGINS", None)
    run = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        env=env, cwd=str(helpers.ROOT), capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    report = json.loads(run.stderr.strip().splitlines()[-1])
    return report["code"], set(report["modules"]), report["plugins_scanned"]


def _heavy(modules: set[str], names: set[str]) -> set[str]:
    return {m for m in modules if any(m == n or m.startswith(n + ".") for n in names)}


def test_help_imports_click_and_the_command_table_only() -> None:
    code, modules, _ = _imported("--help")
    assert code == 0
    assert _heavy(modules, NEVER_AT_START | SPEC_MODULES) == set()
    assert "click" in modules and "reconciler.cli.run_cmds" in modules


@pytest.mark.parametrize("args", [["plan", "--help"], ["--version"]])
def test_other_help_screens_stay_light(args: list[str]) -> None:
    code, modules, _ = _imported(*args)
    assert code == 0 and _heavy(modules, NEVER_AT_START | SPEC_MODULES) == set()


def test_validate_imports_the_spec_models_and_nothing_that_talks_or_logs() -> None:
    code, modules, plugins_scanned = _imported("validate", "specs")
    assert code == 0
    assert _heavy(modules, NEVER_AT_START) == set()
    assert {"pydantic", "yaml", "reconciler.spec.loader"} <= modules
    assert plugins_scanned is False  # no scan of every installed package for pydantic plugins


def test_validate_of_bad_specs_stays_light_too(tmp_path: Path) -> None:
    (tmp_path / "fleet.yaml").write_text("kind: Fleet\nname: x\nnamespace: y\nbogus: 1\n")
    code, modules, _ = _imported("validate", str(tmp_path))
    assert code == 1 and _heavy(modules, NEVER_AT_START) == set()


def test_the_startup_benchmark_writes_its_section_and_keeps_the_rest(tmp_path: Path) -> None:
    results = tmp_path / "results.md"
    results.write_text("# hfleet fleet benchmark\n\nfleet numbers\n\n## Start-up\n\nold numbers\n")
    run = subprocess.run(
        [sys.executable, "-m", "bench.startup", "--quick", "--out", str(tmp_path)],
        env=helpers.child_env(), cwd=str(helpers.ROOT), capture_output=True, text=True, timeout=120,
        check=True,
    )  # fmt: skip
    text = results.read_text()
    assert text.startswith("# hfleet fleet benchmark\n\nfleet numbers\n\n## Start-up\n")
    assert "old numbers" not in text and text.count("## Start-up") == 1
    rows = {line.split("|")[1].strip(): line for line in text.splitlines() if line.startswith("| `")}
    assert set(rows) == {
        "`python -c pass`",
        "`hfleet --help`",
        "`hfleet --version`",
        "`hfleet validate specs`",
    }
    assert "< 200 ms" in rows["`hfleet validate specs`"] and run.stdout.startswith("## Start-up")
