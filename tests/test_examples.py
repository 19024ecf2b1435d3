"""The CI recipes in examples/ and the commands in docs/deploy.md use the real hfleet CLI.

Every ``hfleet ...`` command line in the workflows (their ``run:``/``script:`` blocks) and in the docs'
console blocks is split like a shell would, then parsed by the real click command tree: the
subcommand must exist in ``reconciler.cli.cli.commands`` and every option must be one it accepts,
with a value of the right type (``--format markdown``, ``--interval 5m``...). Nothing is executed.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from reconciler.cli import cli, parse_duration

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
GITHUB_PLAN = EXAMPLES / "github-actions" / "plan.yml"
GITHUB_APPLY = EXAMPLES / "github-actions" / "apply.yml"
GITLAB = EXAMPLES / "gitlab-ci" / ".gitlab-ci.yml"
DEPLOY_DOC = ROOT / "docs" / "deploy.md"
WORKFLOWS = [GITHUB_PLAN, GITHUB_APPLY, GITLAB]
SHELL_OPERATORS = {"|", "||", "&&", ";", ">", ">>", "<", "2>", "&", "(", ")"}


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text())
    return data


def github_steps(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    for job_name, job in load(path)["jobs"].items():
        for step in job["steps"]:
            yield job_name, step


def scripts(path: Path) -> list[str]:
    """Every shell script of a workflow: GitHub `run:` steps, GitLab script sections."""
    if path == GITLAB:
        out: list[str] = []
        for name, job in load(path).items():
            if isinstance(job, dict) and not name.startswith("."):
                for key in ("before_script", "script", "after_script"):
                    out.extend(job.get(key, []))
        return out
    return [step["run"] for _, step in github_steps(path) if "run" in step]


def doc_commands() -> list[str]:
    """`$ ...` lines of the console blocks in docs/deploy.md and examples/README.md, and their
    inline `hfleet ...` code spans."""
    lines: list[str] = []
    for doc in (DEPLOY_DOC, EXAMPLES / "README.md"):
        prose = re.sub(r"```.*?```", "", doc.read_text(), flags=re.S)
        lines.extend(" ".join(span.split()) for span in re.findall(r"`(hfleet [^`]+)`", prose))
        for block in re.findall(r"```console\n(.*?)```", doc.read_text(), flags=re.S):
            command = ""
            for raw in block.splitlines():
                line = raw.strip()
                if line.startswith("$ "):
                    command = line[2:]
                elif command:
                    command += " " + line
                else:
                    continue
                if command.endswith("\\"):
                    command = command[:-1]
                    continue
                lines.append(command)
                command = ""
    return lines


def hfleet_invocations(script: str) -> list[list[str]]:
    """The argument lists of every `hfleet` command in a shell script."""
    joined = re.sub(r"\\\n\s*", " ", script)
    found: list[list[str]] = []
    for line in joined.splitlines():
        line = line.split(" #", 1)[0]
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        tokens = list(lexer)
        for i, token in enumerate(tokens):
            if token == "hfleet" and (i == 0 or tokens[i - 1] in SHELL_OPERATORS | {"then", "do"}):
                args: list[str] = []
                for arg in tokens[i + 1 :]:
                    if arg in SHELL_OPERATORS or set(arg) <= set("|&;<>()"):
                        break
                    args.append(arg)
                found.append(args)
    return found


def parse(args: list[str]) -> tuple[click.Command, click.Context]:
    """Parse like `hfleet ARGS` would, without running anything; raise click errors on misuse."""
    parent = cli.make_context("hfleet", list(args), resilient_parsing=False)
    rest = [*parent._protected_args, *parent.args] if hasattr(parent, "_protected_args") else parent.args
    assert rest, f"no subcommand in hfleet {shlex.join(args)}"
    name, *sub_args = rest
    assert name in cli.commands, f"hfleet has no subcommand {name!r} (hfleet {shlex.join(args)})"
    command = cli.commands[name]
    if isinstance(command, click.Group):
        sub_name, *sub_args = sub_args
        found = command.get_command(parent, sub_name)  # the public API: groups may load lazily
        assert found is not None, f"hfleet {name} has no subcommand {sub_name!r}"
        command = found
    ctx = command.make_context(name, list(sub_args), parent=parent)
    return command, ctx


def all_invocations() -> list[tuple[str, list[str]]]:
    out: list[tuple[str, list[str]]] = []
    for path in WORKFLOWS:
        for script in scripts(path):
            out.extend((path.name, args) for args in hfleet_invocations(script))
    for command in doc_commands():
        out.extend(("docs", args) for args in hfleet_invocations(command))
    return out


# --- the workflows parse and are wired as intended --------------------------------------------------


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_yaml_parses(path: Path) -> None:
    data = load(path)
    assert isinstance(data, dict) and data


def test_every_hfleet_command_is_real() -> None:
    invocations = all_invocations()
    assert len(invocations) >= 10
    problems = []
    for where, args in invocations:
        try:
            _command, ctx = parse(args)
        except click.exceptions.Exit as exc:  # an eager option that answers and exits: --version
            assert exc.exit_code == 0 and args == ["--version"], args
            continue
        except (click.ClickException, AssertionError) as exc:
            message = exc.format_message() if isinstance(exc, click.ClickException) else str(exc)
            problems.append(f"{where}: hfleet {shlex.join(args)}: {message}")
            continue
        for key in ("interval_text", "timeout_text", "lock_timeout_text"):
            if ctx.params.get(key) is not None:
                parse_duration(ctx.params[key])
    assert not problems, "\n".join(problems)


def test_the_parser_catches_a_wrong_flag() -> None:
    with pytest.raises(click.NoSuchOption):
        parse(["plan", "specs/", "--frmat", "markdown"])
    with pytest.raises(click.BadParameter):
        parse(["plan", "specs/", "--format", "html"])
    with pytest.raises(AssertionError):
        parse(["deploy", "specs/"])
    assert hfleet_invocations("set +e\nx=1; hfleet plan a --out p.json > plan.md || code=$?") == [
        ["plan", "a", "--out", "p.json"]
    ]


def _commands(path: Path) -> list[list[str]]:
    return [args for script in scripts(path) for args in hfleet_invocations(script)]


def _subcommands(path: Path) -> set[str]:
    return {parse(args)[1].info_name or "" for args in _commands(path)}


def test_github_plan_workflow() -> None:
    data = load(GITHUB_PLAN)
    # PyYAML reads the bare key `on` as the boolean True (YAML 1.1).
    triggers = data.get("on", data.get(True))
    assert "pull_request" in triggers
    # Least privilege: nothing at the top, read-only jobs, and only the comment job may write to the PR.
    assert data["permissions"] == {}
    assert {name: job["permissions"] for name, job in data["jobs"].items()} == {
        "plan": {"contents": "read"},
        "comment": {"pull-requests": "write"},
        "rehearse": {"contents": "read"},
    }
    commands = _commands(GITHUB_PLAN)
    assert ["validate", "specs/"] in commands
    plan = next(parse(a)[1] for a in commands if "--format" in a and "markdown" in a)
    assert plan.params["fmt"] == "markdown"
    assert str(plan.params["out"]) == "plan.json"
    plan_step = next(s for _, s in github_steps(GITHUB_PLAN) if s.get("id") == "plan")
    assert "> plan.md" in plan_step["run"]
    assert "-ne 2 ]" in plan_step["run"]  # exit 2 (changes pending) is tolerated
    assert "$GITHUB_STEP_SUMMARY" in plan_step["run"]
    assert plan_step["env"]["HF_TOKEN"] == "${{ secrets.HF_TOKEN }}"
    uses = [s.get("uses", "") for _, s in github_steps(GITHUB_PLAN)]
    assert any(u.startswith("actions/github-script@") for u in uses)
    upload = next(
        s for _, s in github_steps(GITHUB_PLAN) if s.get("uses", "").startswith("actions/upload-artifact@")
    )
    assert "plan.json" in upload["with"]["path"]
    rehearse = [a for a in commands if "--emulator" in a and "apply" in a]
    assert rehearse == [
        [
            "--emulator",
            ".hfleet/ci.db",
            "--token",
            "hf_emulator",
            "apply",
            "--yes",
            "--wait",
            "--smoke",
            "--now",
            "$now",
            "specs/",
        ]
    ]
    ctx = parse(rehearse[0])[1]
    assert ctx.parent is not None and ctx.parent.params["emulator"] == ".hfleet/ci.db"
    assert ctx.params["yes"] and ctx.params["wait"] and ctx.params["smoke"]
    # The check after it plans at the same instant (tests/recipes/test_rehearse.py runs both).
    check = [a for a in commands if "--emulator" in a and "plan" in a]
    assert check == [
        ["--emulator", ".hfleet/ci.db", "--token", "hf_emulator", "plan", "--now", "$now", "specs/"]
    ]


def test_github_apply_workflow() -> None:
    data = load(GITHUB_APPLY)
    triggers = data.get("on", data.get(True))
    assert triggers["push"]["branches"] == ["main"]
    assert data["concurrency"] == {"group": "hfleet-apply", "cancel-in-progress": False}
    (apply,) = [parse(a)[1] for a in _commands(GITHUB_APPLY) if "apply" in a]
    assert apply.params["yes"] and apply.params["wait"] and apply.params["smoke"]
    apply_step = next(s for _, s in github_steps(GITHUB_APPLY) if s.get("name") == "Apply")
    assert apply_step["env"]["HF_TOKEN"] == "${{ secrets.HF_TOKEN }}"
    assert apply_step["shell"] == "bash"  # -o pipefail: `| tee` keeps hfleet's exit code
    for _, step in github_steps(GITHUB_APPLY):
        for value in (step.get("env") or {}).values():
            assert str(value).startswith("${{ secrets."), "secrets only from the secret store"


def test_gitlab_pipeline() -> None:
    data = load(GITLAB)
    assert data["apply"]["resource_group"] == "hfleet-apply"
    assert data["apply"]["interruptible"] is False
    assert {"validate", "plan", "apply", "rehearse"} <= set(data)
    assert _subcommands(GITLAB) >= {"validate", "plan", "apply", "status"}
    (apply,) = [parse(a)[1] for a in _commands(GITLAB) if "apply" in a and "--emulator" not in a]
    assert apply.params["yes"] and apply.params["wait"] and apply.params["smoke"]
    plan_script = "\n".join(data["plan"]["script"])
    assert "--format markdown --out plan.json > plan.md" in plan_script
    assert "-ne 2 ]" in plan_script
    assert data["plan"]["artifacts"]["paths"] == ["plan.json", "plan.md"]
    assert any("--emulator" in a for a in _commands(GITLAB))
    assert "HF_TOKEN" not in yaml.safe_dump(data.get("variables", {}))  # from CI/CD variables only


def test_docs_have_the_three_recipes() -> None:
    text = DEPLOY_DOC.read_text()
    for title in ("## Run it in CI", "## Run it as a Kubernetes CronJob", "## Run it as a controller"):
        assert title in text
    assert "kubectl -n hfleet create secret generic hf-token --from-literal=token=" in text
    assert "--set token.existingSecret=hf-token" in text
    assert "--set-file 'specs.files.fleet\\.yaml=specs/fleet.yaml'" in text
    for spec in sorted((ROOT / "specs").glob("*.yaml")):
        assert f"specs/{spec.name}'" in text, f"the CronJob recipe leaves out {spec.name}"
    for link in re.findall(r"\]\((\.\./[^)#]+)\)", text):
        assert (DEPLOY_DOC.parent / link).resolve().exists(), link
