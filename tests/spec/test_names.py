"""Names, namespaces and tags cannot reach outside the fleet (issue 13, item 3).

The namespace rule is checked against huggingface_hub 2.4.0's own validator of the ``namespace/``
part of a repo id (outside truth); the endpoint name rule against the API's documented pattern.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from huggingface_hub.utils import HFValidationError, validate_repo_id
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler import errors
from reconciler.spec import loader, names

FLEET = """\
kind: Fleet
name: team
namespace: acme
defaults: {vendor: aws, region: us-east-1, accelerator: cpu, instance_type: intel-spr,
           instance_size: x2, repository: org/model, type: authenticated}
"""


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("a", True),
        ("ep-a", True),
        ("a" * 32, True),
        ("a" * 33, False),
        ("ep-a\n", False),  # re.match with $ accepted this one
        ("\nep-a", False),
        ("ep-", False),
        ("-ep", False),
        ("Ep", False),
        ("ep_a", False),
        (".", False),
        ("..", False),
        ("", False),
        ("a/b", False),
        ("é", False),
        ("ep\x00", False),
    ],
)
def test_endpoint_names(value: str, ok: bool) -> None:
    assert names.is_endpoint_name(value) is ok
    if not ok:
        with pytest.raises(ValueError, match="not a valid endpoint name"):
            names.check_endpoint_name(value)


def hub_accepts_namespace(value: str) -> bool:
    try:
        validate_repo_id(f"{value}/model")
    except HFValidationError:
        return False
    return True


@pytest.mark.parametrize(
    "value",
    [
        "acme",
        "Acme-Org",
        "a.b_c-d",
        "_private",
        "x" * 96,
        "x" * 97,
        ".",
        "..",
        "a..b",
        "a--b",
        "-a",
        "a-",
        ".a",
        "a.",
        "a/b",
        "a\n",
        "a b",
        "",
        "caf\u00e9",
        "a\x1b[31m",
    ],
)
def test_namespaces_follow_the_hub(value: str) -> None:
    assert names.is_namespace(value) is hub_accepts_namespace(value)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="aZ09-_./\n é\x00", max_size=12))
def test_namespaces_agree_with_huggingface_hub_on_any_string(value: str) -> None:
    assert names.is_namespace(value) is hub_accepts_namespace(value)


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("team-ml", True),
        ("env:prod", True),
        ("cost=42", True),
        ("a" * 128, True),
        ("a" * 129, False),
        ("", False),
        ("two words", False),
        ("a,b", False),
        ("tab\there", False),
        ("line\n", False),
        ("caf\u00e9", False),
    ],
)
def test_tag_shape(value: str, ok: bool) -> None:
    assert names.is_tag(value) is ok


@pytest.mark.parametrize(
    "tag", ["hfleet:other", "HFLEET:other", "hfleet-secrets:0123", "hfleet-protect", "hfleetx"]
)
def test_reserved_prefix(tag: str) -> None:
    assert names.is_tag(tag)  # hfleet's own tags have a valid shape...
    with pytest.raises(ValueError, match="reserved prefix 'hfleet'"):
        names.check_user_tag(tag)  # ...but a spec may not write them


def problems(tmp: Path, fleet: str, endpoint: str) -> list[errors.Problem]:
    (tmp / "fleet.yaml").write_text(fleet)
    (tmp / "ep.yaml").write_text(textwrap.dedent(endpoint))
    with pytest.raises(errors.SpecError) as info:
        loader.load([tmp])
    return info.value.problems


@pytest.mark.parametrize(
    ("fleet", "endpoint", "where", "message"),
    [
        (FLEET, 'kind: Endpoint\nname: "ep-a\\n"\n', "ep.yaml:2 name", "not a valid endpoint name"),
        (FLEET, "kind: Endpoint\nname: a\nnamespace: ..\n", "ep.yaml:3 namespace", "not a valid namespace"),
        (FLEET, "kind: Endpoint\nname: a\nnamespace: a/b\n", "ep.yaml:3 namespace", "not a valid namespace"),
        (FLEET.replace("acme", "'.'"), "kind: Endpoint\nname: a\n", "fleet.yaml:3 namespace", "not a valid"),
        (
            FLEET.replace("name: team", 'name: "team\\n"'),
            "kind: Endpoint\nname: a\n",
            "fleet.yaml:2 name",
            "fleet name",
        ),
        (
            FLEET,
            "kind: Endpoint\nname: a\ntags:\n  - mine\n  - hfleet:other-fleet\n",
            "ep.yaml:5 tags[1]",
            "reserved prefix 'hfleet'",
        ),
        (
            FLEET,
            "kind: Endpoint\nname: a\ntags: [HFleet-Protect]\n",
            "ep.yaml:3 tags[0]",
            "use protect: true",
        ),
        (FLEET, "kind: Endpoint\nname: a\ntags: ['a,b']\n", "ep.yaml:3 tags[0]", "without spaces or commas"),
        (
            FLEET,
            "kind: Endpoint\nname: a\ntags: [" + ", ".join(f"t{i}" for i in range(65)) + "]\n",
            "ep.yaml:3 tags",
            "at most 64 tags",
        ),
    ],
)
def test_the_models_refuse_names_that_reach_outside(
    tmp_path: Path, fleet: str, endpoint: str, where: str, message: str
) -> None:
    found = problems(tmp_path, fleet, endpoint)
    assert [f"{p.file.rsplit('/', 1)[-1]}:{p.line} {p.field}" for p in found] == [where], found
    assert message in found[0].message


def test_a_forged_owner_tag_in_the_defaults_is_refused_at_the_defaults(tmp_path: Path) -> None:
    fleet = FLEET.replace("type: authenticated}", "type: authenticated, tags: [hfleet:victim]}")
    found = problems(tmp_path, fleet, "kind: Endpoint\nname: a\n")
    assert [(p.file.rsplit("/", 1)[-1], p.field) for p in found] == [("fleet.yaml", "defaults.tags[0]")]
