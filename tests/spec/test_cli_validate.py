"""``hfleet validate`` and ``hfleet schema`` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from reconciler import cli


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli.cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_validate_the_examples() -> None:
    code, out, _ = run("validate", "specs")
    assert code == 0 and "4 endpoints" in out


def test_validate_reports_problems_and_exits_1(tmp_path: Path) -> None:
    (tmp_path / "f.yaml").write_text("kind: Fleet\nname: t\nnamespace: n\n")
    (tmp_path / "e.yaml").write_text("kind: Endpoint\nname: BAD\nrepository: x\n")
    code, _, err = run("validate", str(tmp_path))
    assert code == 1
    assert f"{tmp_path}/e.yaml:2:1: name:" in err


def test_validate_json(tmp_path: Path) -> None:
    (tmp_path / "f.yaml").write_text("kind: Fleet\nname: t\nnamespace: n\n")
    (tmp_path / "e.yaml").write_text("kind: Endpoint\nname: a\nrepository: x\n")
    code, out, _ = run("validate", "--format", "json", str(tmp_path))
    body = json.loads(out)
    assert code == 1 and body["valid"] is False
    assert {p["field"] for p in body["problems"]} >= {"accelerator", "vendor", "region"}


def test_schema_is_json_schema_that_accepts_the_examples(tmp_path: Path) -> None:
    code, out, _ = run("schema")
    schema = json.loads(out)
    assert code == 0 and schema["$schema"].startswith("https://json-schema.org/")
    titles = {s["title"] for s in schema["oneOf"]}
    assert titles == {"Fleet", "Endpoint"}
    endpoint = next(s for s in schema["oneOf"] if s["title"] == "Endpoint")
    assert "tgi" in endpoint["properties"]["image"]["properties"]
    assert endpoint["properties"]["image"]["properties"]["tgi"]["required"] == ["url"]


def test_help_lists_every_command() -> None:
    code, out, _ = run("--help")
    assert code == 0
    for name in ("validate", "plan", "apply", "status", "import", "reconcile", "schema"):
        assert name in out
