"""The CI recipes pass the linters their platforms' users run: actionlint (with shellcheck on every
`run:` script) and zizmor for GitHub Actions, GitLab's CI schema and shellcheck for GitLab
(scripts/lint_gitlab_ci.py). Each check also meets a known-bad recipe, to show it can fail.
`make lint-recipes` runs the same tools.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.test_examples import GITHUB_APPLY, GITHUB_PLAN, GITLAB, ROOT, load

BIN = Path(sys.executable).parent
GITHUB = [GITHUB_PLAN, GITHUB_APPLY]
sys.path.insert(0, str(ROOT / "scripts"))
import lint_gitlab_ci  # noqa: E402

sys.path.remove(str(ROOT / "scripts"))


def tool(name: str) -> str:
    path = BIN / name
    assert path.exists(), f"{name} is not installed (the dev extra: make .venv/.installed-dev)"
    return str(path)


def actionlint(*paths: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{BIN}:{os.environ.get('PATH', '')}"}  # actionlint finds shellcheck there
    return subprocess.run(
        [tool("actionlint"), "-no-color", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


def zizmor(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tool("zizmor"), "--offline", "--min-severity", "medium", "--no-progress", "--format", "plain"]
        + [str(p) for p in paths],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_actionlint_and_shellcheck_are_clean() -> None:
    result = actionlint(*GITHUB)
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_finds_nothing_medium_or_high() -> None:
    result = zizmor(*GITHUB)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout + result.stderr


def test_the_linters_catch_what_the_old_recipes_did(tmp_path: Path) -> None:
    """An unpinned action, credentials persisted, a PR-wide write permission, an unquoted variable."""
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "name: bad\non: pull_request\npermissions:\n  contents: read\n  pull-requests: write\n"
        "jobs:\n  plan:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n"
        "      - run: hfleet validate $SPECS\n"
        "  rehearse:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo rehearse\n"
    )
    findings = zizmor(bad).stdout
    for audit in ("unpinned-uses", "artipacked", "excessive-permissions"):
        assert audit in findings, audit
    assert "SC2086" in actionlint(bad).stdout


def test_github_actions_are_pinned_by_commit_sha_with_their_version() -> None:
    for path in GITHUB:
        uses = re.findall(r"^\s*(?:- )?uses: (\S+)(.*)$", path.read_text(), flags=re.M)
        assert uses, path
        for ref, comment in uses:
            assert re.fullmatch(r"actions/[a-z-]+@[0-9a-f]{40}", ref), ref
            assert re.fullmatch(r" # v\d+\.\d+\.\d+", comment), f"{ref}: no version comment"
        for job in load(path)["jobs"].values():
            for step in job["steps"]:
                if step.get("uses", "").startswith("actions/checkout@"):
                    assert step["with"]["persist-credentials"] is False


def test_gitlab_file_passes_gitlabs_schema_and_shellcheck() -> None:
    assert lint_gitlab_ci.lint(GITLAB) == []
    assert set(lint_gitlab_ci.scripts(load(GITLAB))) >= {
        "default.before_script",
        "plan.script",
        "apply.script",
        "apply.after_script",
    }


def test_gitlab_lint_catches_a_broken_file(tmp_path: Path) -> None:
    """The mistake YAML makes easy: `--only-binary=:all: --no-deps` unquoted is a mapping, not a
    command; and a job key GitLab does not know."""
    pipeline = load(GITLAB)
    pipeline["default"]["before_script"] = ["pip install --only-binary=:all: --no-deps x"]
    text = yaml.safe_dump(pipeline).replace(
        "'pip install --only-binary=:all: --no-deps x'", "pip install --only-binary=:all: --no-deps x"
    )
    broken = tmp_path / ".gitlab-ci.yml"
    broken.write_text(text)
    problems = lint_gitlab_ci.lint(broken)
    assert any(p.startswith("schema: default/before_script") for p in problems), problems
    pipeline = load(GITLAB)
    pipeline["plan"]["sript"] = pipeline["plan"].pop("script")
    broken.write_text(yaml.safe_dump(pipeline))
    assert any("plan" in p for p in lint_gitlab_ci.lint(broken))


@pytest.mark.parametrize("path", [*GITHUB, GITLAB], ids=lambda p: p.name)
def test_hfleet_comes_from_one_pinned_reference(path: Path) -> None:
    """One variable at the top chooses the source: HFLEET_REF, a tag or commit of the repository.
    Every install reads it, the dependencies come from that reference's hashed lock, and nothing asks
    the package index for an `hfleet` release (there is none)."""
    data = load(path)
    top = data["variables"] if path == GITLAB else data["env"]
    assert re.fullmatch(r"v\d+\.\d+\.\d+|[0-9a-f]{40}", top["HFLEET_REF"])
    text = path.read_text()
    assert text.count("HFLEET_REF:") == 1
    assert "hfleet==" not in text and "pip install hfleet" not in text
    installs = re.findall(r"pip install[^\n]*", re.sub(r"\\\n\s*", " ", text))
    assert installs
    for install in installs:
        assert "${HFLEET_REF}" in install, install
        if "requirements.lock" in install:
            assert "--require-hashes" in install
        else:
            assert (
                "--no-deps" in install and "github.com/hfleet/hfleet/archive/${HFLEET_REF}.tar.gz" in install
            )
    assert (ROOT / "requirements.lock").exists()  # the file those URLs name, at the repository's root
