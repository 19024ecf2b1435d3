"""The recipes' shell, run for real: the plan steps treat exit 2 (changes pending) as a successful plan
and every other non-zero code as a failure, and the GitLab plan job keeps ONE merge request note,
found by its marker and updated in place, against a fake GitLab notes API on loopback.

`hfleet` is a stand-in on PATH that prints a plan and exits with the code under test; the scripts
are the recipes' own text, taken from the YAML.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from tests.test_examples import GITHUB_PLAN, GITLAB, load

MARKER = "<!-- hfleet-plan -->"


def fake_hfleet(tmp_path: Path, code: int, plan: str = "| endpoint | change |") -> dict[str, str]:
    """A PATH whose `hfleet` prints ``plan`` and exits ``code`` (the real python stays reachable)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    script = bin_dir / "hfleet"
    script.write_text(f"#!/bin/sh\nprintf '%s\\n' '{plan}'\nexit {code}\n")
    script.chmod(0o755)
    python = bin_dir / "python"
    if not python.exists():
        python.symlink_to(sys.executable)
    return {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path)}


def run(shell: str, script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [shutil.which(shell) or shell, "-e", "-c", script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("code", [0, 2, 1, 3, 4])
def test_github_plan_step_exit_codes(tmp_path: Path, code: int) -> None:
    step = next(s for s in load(GITHUB_PLAN)["jobs"]["plan"]["steps"] if s.get("id") == "plan")
    outputs, summary = tmp_path / "output", tmp_path / "summary"
    env = {**fake_hfleet(tmp_path, code), "GITHUB_OUTPUT": str(outputs), "GITHUB_STEP_SUMMARY": str(summary)}
    result = run("bash", step["run"], tmp_path, env)  # GitHub runs `bash -e {0}`
    assert (result.returncode == 0) is (code in (0, 2)), result.stdout + result.stderr
    if code in (0, 2):
        assert "| endpoint | change |" in summary.read_text()
    else:
        assert result.returncode == code and f"hfleet plan failed (exit {code})" in result.stdout
    assert outputs.read_text() == f"exit-code={code}\n"  # the comment job reads it either way


@pytest.mark.parametrize("code", [0, 2, 1, 3])
def test_gitlab_plan_job_exit_codes_and_read_token(tmp_path: Path, code: int) -> None:
    first = load(GITLAB)["plan"]["script"][0]
    env = {**fake_hfleet(tmp_path, code), "HF_READ_TOKEN": "hf_readonly"}
    result = run("sh", first, tmp_path, env)
    assert (result.returncode == 0) is (code in (0, 2)), result.stdout + result.stderr
    if code in (0, 2):
        assert (tmp_path / "plan.exit-code").read_text() == f"{code}\n"
    # A protected HF_TOKEN is invisible to merge request pipelines: without the read token the job
    # says what to set instead of planning with no token.
    result = run("sh", first, tmp_path, fake_hfleet(tmp_path, code))
    assert result.returncode == 1 and "HF_READ_TOKEN is not set" in result.stderr


class FakeGitLab:
    """The merge request notes API (list with pages, create, update), on 127.0.0.1."""

    def __init__(self, token: str, existing: int) -> None:
        self.token = token
        self.notes: list[dict[str, Any]] = [
            {"id": i + 1, "body": f"review comment {i}", "system": False} for i in range(existing)
        ]
        # GitLab's own notes (e.g. "added 1 commit") may quote anything: never ours to edit.
        self.notes.append({"id": 9000, "body": f"system note quoting {MARKER}", "system": True})
        self.calls: list[str] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self.handler())

    def handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self
        prefix = "/api/v4/projects/7/merge_requests/3/notes"

        class Handler(BaseHTTPRequestHandler):
            def _reply(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _authorized(self) -> bool:
                if self.headers.get("PRIVATE-TOKEN") != fake.token:
                    self._reply(401, {"message": "401 Unauthorized"})
                    return False
                return True

            def do_GET(self) -> None:
                url = urlparse(self.path)
                fake.calls.append(f"GET {url.path}")
                if not self._authorized() or url.path != prefix:
                    return
                query = parse_qs(url.query)
                page, size = int(query["page"][0]), int(query["per_page"][0])
                self._reply(200, fake.notes[(page - 1) * size : page * size])

            def _body(self) -> dict[str, Any]:
                data: dict[str, Any] = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                return data

            def do_POST(self) -> None:
                fake.calls.append(f"POST {self.path}")
                if self._authorized() and self.path == prefix:
                    note = {"id": len(fake.notes) + 100, "body": self._body()["body"], "system": False}
                    fake.notes.append(note)
                    self._reply(201, note)

            def do_PUT(self) -> None:
                fake.calls.append(f"PUT {self.path}")
                if self._authorized():
                    note_id = int(self.path.rsplit("/", 1)[1])
                    note = next(n for n in fake.notes if n["id"] == note_id)
                    note["body"] = self._body()["body"]
                    self._reply(200, note)

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/api/v4"


@pytest.fixture
def gitlab() -> Iterator[FakeGitLab]:
    fake = FakeGitLab("glpat-test-token", existing=130)  # two pages of 100
    thread = threading.Thread(target=fake.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        fake.server.shutdown()
        fake.server.server_close()


def test_gitlab_keeps_one_note_updated_in_place(tmp_path: Path, gitlab: FakeGitLab) -> None:
    note_script = load(GITLAB)["plan"]["script"][1]
    env = {
        "CI_API_V4_URL": gitlab.url,
        "CI_PROJECT_ID": "7",
        "CI_MERGE_REQUEST_IID": "3",
        "CI_COMMIT_SHORT_SHA": "abc1234",
        "CI_JOB_URL": "https://gitlab.example.com/job/1",
        "GITLAB_API_TOKEN": gitlab.token,
    }
    for pipeline, (code, plan) in enumerate([(2, "first plan"), (0, "second plan"), (2, "third plan")]):
        (tmp_path / "plan.md").write_text(plan + "\n")
        (tmp_path / "plan.exit-code").write_text(f"{code}\n")
        result = run("sh", note_script, tmp_path, {**fake_hfleet(tmp_path, 0), **env})
        assert result.returncode == 0, result.stdout + result.stderr
        ours = [n for n in gitlab.notes if MARKER in n["body"] and not n["system"]]
        assert len(ours) == 1, f"pipeline {pipeline}: {len(ours)} notes"
        assert plan in ours[0]["body"]
        title = "changes pending" if code == 2 else "nothing to do"
        assert ours[0]["body"].startswith(f"{MARKER}\n### hfleet plan: {title}\nCommit abc1234")
    assert [c.split()[0] for c in gitlab.calls].count("POST") == 1
    assert [c.split()[0] for c in gitlab.calls].count("PUT") == 2
    assert next(n for n in gitlab.notes if n["id"] == 9000)["body"] == f"system note quoting {MARKER}"


def test_gitlab_note_is_skipped_without_an_api_token(tmp_path: Path) -> None:
    note_script = load(GITLAB)["plan"]["script"][1]
    env = {k: v for k, v in os.environ.items() if k != "GITLAB_API_TOKEN"}
    result = run("sh", note_script, tmp_path, {**env, **fake_hfleet(tmp_path, 0)})
    assert result.returncode == 0 and "GITLAB_API_TOKEN is not set" in result.stdout
