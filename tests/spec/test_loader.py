"""The spec language: every validation problem is reported, located to file:line:column."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from reconciler import errors
from reconciler.spec import loader, models

FLEET = """\
kind: Fleet
name: team
namespace: acme
defaults:
  vendor: aws
  region: us-east-1
  accelerator: cpu
  instance_type: intel-spr
  instance_size: x2
  type: authenticated
schedules:
  office:
    timezone: Europe/Paris
    uptime: Mon-Fri 08:00-19:00
"""


def write(tmp: Path, files: dict[str, str]) -> Path:
    for name, body in files.items():
        path = tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(body))
    return tmp


def problems(tmp: Path, files: dict[str, str]) -> list[errors.Problem]:
    write(tmp, files)
    with pytest.raises(errors.SpecError) as info:
        loader.load([tmp])
    return info.value.problems


def one(tmp: Path, endpoint: str, field: str, *, fleet: str = FLEET) -> errors.Problem:
    """The problem reported for ``field`` (a typo'd key also leaves the real key missing)."""
    found = problems(tmp, {"fleet.yaml": fleet, "ep.yaml": endpoint})
    matching = [p for p in found if p.field == field]
    assert len(matching) == 1, found
    return matching[0]


def test_the_example_fleet_loads() -> None:
    fleet = loader.load(["specs"])
    assert fleet.name == "ml-platform"
    assert [e.name for e in fleet.endpoints] == ["chat-llm", "embedder", "reranker", "sentiment-cpu"]
    chat = fleet.endpoints[0]
    assert chat.vendor == "aws" and chat.min_replica == 0  # default vendor, own min_replica
    assert chat.image is not None and chat.image.to_wire()["tgi"]["maxInputLength"] == 4096
    assert fleet.sources["chat-llm"].file.endswith("chat-llm.yaml")


def test_endpoints_spread_over_files_and_documents_with_defaults_merged(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "fleet.yaml": FLEET + "  \nendpoints:\n  - name: inline\n    repository: gpt2\n",
            "more/two.yml": "kind: Endpoint\nname: a\nrepository: x\nenv: {A: '1'}\n---\n"
            "kind: Endpoint\nname: b\nrepository: y\ntags: [z]\n",
        },
    )
    fleet = loader.load([tmp_path])
    assert [e.name for e in fleet.endpoints] == ["a", "b", "inline"]
    assert all(e.instance_type == "intel-spr" for e in fleet.endpoints)


@pytest.mark.parametrize(
    ("endpoint", "line", "column", "field", "message"),
    [
        ("kind: Endpoint\nname: a\nrepositry: x\n", 3, 1, "repositry", "did you mean 'repository'"),
        ("kind: Endpoint\nname: a\nrepository: x\nmin_replica: two\n", 4, 1, "min_replica", "valid integer"),
        ("kind: Endpoint\nname: a\nrepository: x\nmin_replica: '1'\n", 4, 1, "min_replica", "valid integer"),
        ("kind: Endpoint\nname: Not_Valid\nrepository: x\n", 2, 1, "name", "not a valid endpoint name"),
        ("kind: Endpoint\nname: " + "a" * 33 + "\nrepository: x\n", 2, 1, "name", "at most 32"),
        (
            "kind: Endpoint\nname: a\nrepository: x\nmin_replica: 3\nmax_replica: 2\n",
            4,
            1,
            "min_replica",
            "greater than max_replica",
        ),
        (
            "kind: Endpoint\nname: a\nrepository: x\nmin_replica: 1\nscale_to_zero_timeout: 15\n",
            5,
            1,
            "scale_to_zero_timeout",
            "needs min_replica: 0",
        ),
        (
            "kind: Endpoint\nname: a\nrepository: x\nschedule: ofice\n",
            4,
            1,
            "schedule",
            "did you mean 'office'",
        ),
        (
            "kind: Endpoint\nname: a\nrepository: x\nimage:\n  tgi:\n    port: 80\n",
            5,
            3,
            "image.tgi",
            "needs a url",
        ),
        (
            "kind: Endpoint\nname: a\nrepository: x\nimage:\n  tgi:\n    url: u\n    max_input_lenght: 1\n",
            7,
            5,
            "image.tgi.max_input_lenght",
            "did you mean 'max_input_length'",
        ),
        (
            "kind: Endpoint\nname: a\nrepository: x\nimage:\n  tpu: {url: u}\n",
            5,
            3,
            "image.tpu",
            "unknown image variant",
        ),
        (
            "kind: Endpoint\nname: a\nrepository: x\nsecrets:\n  TOKEN: hf_abcdefghijk\n",
            5,
            3,
            "secrets.TOKEN",
            "literal secret values are not allowed",
        ),
        (
            "kind: Endpoint\nname: a\nrepository: x\nimage:\n  custom:\n    url: u\n    credentials:\n"
            "      username: bot\n      password: hunter2\n",
            9,
            7,
            "image.custom.credentials.password",
            "literal secret values",
        ),
        ("kind: Endpoint\nname: a\nrepository: x\nstate: sleeping\n", 4, 1, "state", "'running', 'paused'"),
        ("kind: Endpoint\nname: a\n", 1, 1, "repository", "repository is required"),
        (
            "kind: Endpoint\nname: a\nrepository: x\nscaling_threshold: 80\n",
            4,
            1,
            "scaling_threshold",
            "needs scaling_metric",
        ),
        ("kind: Endpoint\nname: a\nrepository: x\npath: m\n", 4, 1, "path", "must start with '/'"),
        (
            "kind: Endpoint\nname: a\nrepository: x\nenv: {1BAD: x}\n",
            4,
            1,
            "env",
            "not a valid environment variable",
        ),
        ("kind: Endpnt\nname: a\n", 1, 1, "kind", "did you mean 'Endpoint'"),
    ],
)
def test_each_problem_is_located(
    tmp_path: Path, endpoint: str, line: int, column: int, field: str, message: str
) -> None:
    problem = one(tmp_path, endpoint, field)
    assert problem.file.endswith("ep.yaml")
    assert (problem.line, problem.column, problem.field) == (line, column, field), problem
    assert message in problem.message


def test_all_problems_are_reported_at_once(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        {
            "fleet.yaml": FLEET,
            "a.yaml": "kind: Endpoint\nname: Bad\nrepository: x\nmin_replica: 5\nmax_replica: 1\nfoo: 1\n",
            "b.yaml": "kind: Endpoint\nname: ok\nrepository: [\n",
            "c.yaml": "",
        },
    )
    assert len(found) == 5
    assert {p.file.rsplit("/", 1)[-1] for p in found} == {"a.yaml", "b.yaml", "c.yaml"}
    rendered = str(errors.SpecError(found))
    assert "5 problems" in rendered and "a.yaml:2:1: name:" in rendered


def test_duplicate_names_across_files(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        {
            "fleet.yaml": FLEET,
            "a.yaml": "kind: Endpoint\nname: twin\nrepository: x\n",
            "b.yaml": "\n\nkind: Endpoint\nname: twin\nrepository: y\n",
        },
    )
    assert len(found) == 1
    assert found[0].file.endswith("b.yaml") and found[0].line == 4
    assert "duplicate endpoint name 'twin'" in found[0].message and "a.yaml:1" in found[0].message


def test_same_name_in_two_namespaces_is_fine(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "fleet.yaml": FLEET,
            "a.yaml": "kind: Endpoint\nname: twin\nrepository: x\n",
            "b.yaml": "kind: Endpoint\nname: twin\nnamespace: other\nrepository: y\n",
        },
    )
    assert len(loader.load([tmp_path]).endpoints) == 2


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"a.yaml": "kind: Endpoint\nname: a\nrepository: x\n"}, "no fleet identity"),
        ({"fleet.yaml": FLEET, "f2.yaml": FLEET}, "a second Fleet document"),
        ({"fleet.yaml": FLEET, "e.yaml": "# only a comment\n"}, "file is empty"),
        ({"fleet.yaml": FLEET, "e.yaml": "name: a\n"}, "missing 'kind'"),
        ({"fleet.yaml": FLEET, "e.yaml": "- a\n- b\n"}, "must be a mapping"),
        ({"fleet.yaml": FLEET, "e.yaml": "kind: Endpoint\nname: a\nname: b\n"}, "duplicate key 'name'"),
        ({"fleet.yaml": FLEET, "e.yaml": "kind: Endpoint\n  name: : a\n"}, "invalid YAML"),
        ({"fleet.yaml": FLEET.replace("name: team", "name: Team!")}, "fleet name must be lowercase"),
        ({"fleet.yaml": FLEET.replace("namespace: acme\n", "")}, "this field is required"),
        ({"fleet.yaml": FLEET.replace("Europe/Paris", "Europe/Pariss")}, "unknown timezone"),
        ({"fleet.yaml": FLEET.replace("region: us-east-1", "regoin: us-east-1")}, "did you mean 'region'"),
    ],
)
def test_file_and_fleet_level_problems(tmp_path: Path, files: dict[str, str], message: str) -> None:
    found = problems(tmp_path, files)
    assert any(message in p.message for p in found), found


def test_invalid_yaml_is_located(tmp_path: Path) -> None:
    found = problems(tmp_path, {"fleet.yaml": FLEET, "e.yaml": "kind: Endpoint\nname: a\nrepository: [x\n"})
    assert found[0].line >= 3 and "invalid YAML" in found[0].message


def test_non_utf8_is_located(tmp_path: Path) -> None:
    (tmp_path / "fleet.yaml").write_text(FLEET)
    (tmp_path / "e.yaml").write_bytes(b"kind: Endpoint\nname: caf\xe9\n")
    with pytest.raises(errors.SpecError) as info:
        loader.load([tmp_path])
    assert info.value.problems[0].line == 2 and "not valid UTF-8" in info.value.problems[0].message


def test_yaml_1_2_scalars(tmp_path: Path) -> None:
    """``off``, ``yes`` and ``19:00`` stay strings (no Norway problem, no sexagesimal numbers)."""
    write(
        tmp_path,
        {
            "fleet.yaml": FLEET,
            "e.yaml": "kind: Endpoint\nname: a\nrepository: x\nenv: {A: yes, B: off, C: '19:00'}\n",
        },
    )
    # yes/off are strings in YAML 1.2, so env accepts them; 19:00 quoted or not is a string.
    assert loader.load([tmp_path]).endpoints[0].env == {"A": "yes", "B": "off", "C": "19:00"}


def test_alias_bomb_is_refused(tmp_path: Path) -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for i in range(1, 8):
        prev = chr(ord("a") + i - 1)
        cur = chr(ord("a") + i)
        bomb += f"{cur}: &{cur} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
    found = problems(tmp_path, {"fleet.yaml": FLEET, "bomb.yaml": bomb})
    assert any("alias bomb" in p.message for p in found)


def test_deep_nesting_is_refused(tmp_path: Path) -> None:
    found = problems(tmp_path, {"fleet.yaml": FLEET, "deep.yaml": "a: " + "[" * 500 + "]" * 500 + "\n"})
    assert any("nested deeper" in p.message for p in found)


def test_huge_file_is_refused(tmp_path: Path) -> None:
    from reconciler.spec import source

    found = problems(
        tmp_path, {"fleet.yaml": FLEET, "huge.yaml": "# " + "x" * (source.MAX_BYTES + 10) + "\n"}
    )
    assert any("limited to" in p.message for p in found)


def test_merge_keys_work(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "fleet.yaml": FLEET,
            "e.yaml": "kind: Endpoint\nname: a\nrepository: x\nenv:\n  <<: {A: '1', B: '2'}\n  B: '3'\n",
        },
    )
    assert loader.load([tmp_path]).endpoints[0].env == {"A": "1", "B": "3"}


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(errors.SpecError) as info:
        loader.load([tmp_path / "nope"])
    assert "no such file or directory" in str(info.value)


def test_image_to_wire_and_credentials() -> None:
    image = models.ImageSpec.model_validate(
        {
            "custom": {
                "url": "r/x:1",
                "port": 8080,
                "health_route": "/h",
                "credentials": {"username": "u", "password": {"from_env": "PW"}},
            }
        }
    )
    assert image.to_wire("s3cret") == {
        "custom": {
            "url": "r/x:1",
            "port": 8080,
            "healthRoute": "/h",
            "credentials": {"username": "u", "password": "s3cret"},
        }
    }
    assert models.ImageSpec.model_validate({"vllm": {"url": "v", "tensor_parallel_size": 2}}).to_wire() == {
        "vLLM": {"url": "v", "tensorParallelSize": 2}
    }


def test_huggingface_hub_names_get_a_hint(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        {
            "fleet.yaml": FLEET,
            "e.yaml": "kind: Endpoint\nname: a\nrepository: x\ncustom_image: {url: ghcr.io/x}\n",
        },
    )
    assert "image: {custom: {url: ...}}" in found[0].message and found[0].line == 4
