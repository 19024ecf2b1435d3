"""The fields the engine consumes: ``ignore_changes``, ``allow_replace``, a required ``type`` and
``Fleet.locate`` (where a field's value is written, on the endpoint or in the defaults)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from reconciler import errors
from reconciler.spec import loader, models, schema

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
  repository: org/model
  type: authenticated
  env: {LOG_LEVEL: info}
  ignore_changes: [min_replica, env.LOG_LEVEL]
"""


def load(tmp: Path, endpoints: str, fleet: str = FLEET) -> loader.Fleet:
    (tmp / "fleet.yaml").write_text(fleet)
    (tmp / "ep.yaml").write_text(textwrap.dedent(endpoints))
    return loader.load([tmp])


def problems(tmp: Path, endpoints: str, fleet: str = FLEET) -> list[errors.Problem]:
    with pytest.raises(errors.SpecError) as info:
        load(tmp, endpoints, fleet)
    return info.value.problems


def test_ignore_changes_is_unioned_with_the_defaults(tmp_path: Path) -> None:
    fleet = load(
        tmp_path,
        "kind: Endpoint\nname: a\n"
        "ignore_changes: [image.url, max_replica, min_replica, image.max_input_length]\n"
        "---\nkind: Endpoint\nname: b\n",
    )
    a, b = fleet.endpoints
    assert a.ignore_changes == [
        "image.url",
        "max_replica",
        "min_replica",
        "image.max_input_length",
        "env.LOG_LEVEL",
    ]
    assert b.ignore_changes == ["min_replica", "env.LOG_LEVEL"]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("max_replicas", "unknown field 'max_replicas' in ignore_changes; did you mean 'max_replica'?"),
        ("repo", "did you mean 'repository'?"),
        ("image.urll", "unknown image key 'urll' in ignore_changes entry 'image.urll'; did you mean 'url'?"),
        ("image.maxInputLength", "unknown image key 'maxInputLength'"),
        ("env.1BAD", "is not an environment variable name"),
        ("region", "'region' cannot be ignored: it cannot change in place"),
        ("type", "'type' cannot be ignored"),
        ("secrets", "compared by fingerprint"),
    ],
)
def test_an_unknown_ignore_changes_entry_is_located(tmp_path: Path, entry: str, message: str) -> None:
    found = problems(tmp_path, f"kind: Endpoint\nname: a\nignore_changes:\n  - min_replica\n  - {entry}\n")
    assert len(found) == 1, found  # once, at the endpoint's own item (not shifted by the defaults' items)
    assert (found[0].line, found[0].field) == (5, "ignore_changes[1]")
    assert message in found[0].message


def test_every_ignorable_field_is_an_endpoint_field() -> None:
    fields = set(models.EndpointSpec.model_fields)
    assert set(models.IGNORABLE_FIELDS) <= fields
    for name in models.IGNORABLE_FIELDS:
        assert models.check_ignore_entry(name) == name


def test_allow_replace_defaults_to_false_and_may_come_from_the_defaults(tmp_path: Path) -> None:
    fleet = load(tmp_path, "kind: Endpoint\nname: a\n---\nkind: Endpoint\nname: b\nallow_replace: true\n")
    assert [e.allow_replace for e in fleet.endpoints] == [False, True]
    fleet = load(
        tmp_path,
        "kind: Endpoint\nname: a\n---\nkind: Endpoint\nname: b\nallow_replace: false\n",
        FLEET + "  allow_replace: true\n",
    )
    assert [e.allow_replace for e in fleet.endpoints] == [True, False]


def test_type_is_required_and_the_message_explains_the_choices(tmp_path: Path) -> None:
    fleet = FLEET.replace("  type: authenticated\n", "")
    found = problems(tmp_path, "kind: Endpoint\nname: a\n", fleet)
    assert [(p.file.rsplit("/", 1)[-1], p.line, p.field) for p in found] == [("ep.yaml", 1, "type")]
    message = found[0].message
    assert message.startswith("type is required")
    for words in ("public (anyone, no token)", "any Hugging Face account", "bill you", "PrivateLink"):
        assert words in message


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("type: protected", "legacy name of 'authenticated'"),
        ("type: Protected", "legacy name of 'authenticated'"),
        ("type: privte", "unknown type 'privte'; did you mean 'private'?"),
        ("type: private", "type private is PrivateLink: it needs private_link_account_id"),
    ],
)
def test_bad_types_say_why(tmp_path: Path, line: str, message: str) -> None:
    found = problems(tmp_path, f"kind: Endpoint\nname: a\n{line}\n")
    assert len(found) == 1 and message in found[0].message, found
    assert found[0].line == 3


def test_private_with_an_account_loads(tmp_path: Path) -> None:
    fleet = load(
        tmp_path, "kind: Endpoint\nname: a\ntype: private\nprivate_link_account_id: '123456789012'\n"
    )
    assert fleet.endpoints[0].type is models.EndpointType.PRIVATE


def test_locate_finds_the_value_on_the_endpoint_or_in_the_defaults(tmp_path: Path) -> None:
    fleet = load(
        tmp_path,
        """\
        kind: Endpoint
        name: a
        instance_type: x9
        env: {A: '1'}
        image:
          tgi:
            url: ghcr.io/x:1
        tags: [one, two]
        """,
    )
    ep, fl = str(tmp_path / "ep.yaml"), str(tmp_path / "fleet.yaml")
    where = {f: fleet.locate("a", f) for f in ("instance_type", "region", "image.tgi.url", "image.url")}
    assert where["instance_type"] == loader.SourceRef(ep, 3, 16)
    assert str(where["instance_type"]) == f"{ep}:3:16"
    assert where["region"] == loader.SourceRef(fl, 6, 11)
    assert where["image.tgi.url"] == where["image.url"] == loader.SourceRef(ep, 7, 10)
    assert fleet.locate("a", "env.A") == loader.SourceRef(ep, 4, 10)
    assert fleet.locate("a", "env.LOG_LEVEL") == loader.SourceRef(fl, 12, 20)
    assert fleet.locate("a", "tags.1") == loader.SourceRef(ep, 8, 13)
    # Not written: where its parent (tgi) is.
    assert fleet.locate("a", "image.tgi.port") == loader.SourceRef(ep, 6, 3)
    assert fleet.locate("a", "domain") is None
    assert fleet.locate("nobody", "region") is None
    assert fleet.locate("a", "") is None


def test_locate_in_a_fleet_document_with_inline_endpoints(tmp_path: Path) -> None:
    fleet = load(
        tmp_path, "kind: Endpoint\nname: b\n", FLEET + "endpoints:\n  - name: a\n    region: eu-west-1\n"
    )
    assert fleet.locate("a", "region") == loader.SourceRef(str(tmp_path / "fleet.yaml"), 16, 13)
    assert fleet.locate("b", "region") == loader.SourceRef(str(tmp_path / "fleet.yaml"), 6, 11)


def test_the_json_schema_knows_the_new_fields() -> None:
    document = schema.json_schema()
    fleet, endpoint = document["oneOf"]
    for props in (endpoint["properties"], fleet["properties"]["defaults"]["properties"]):
        assert {"ignore_changes", "allow_replace", "type"} <= set(props)
    assert "PrivateLink" in endpoint["properties"]["type"]["description"]


def test_a_bad_default_entry_is_reported_once_at_the_defaults(tmp_path: Path) -> None:
    fleet = FLEET.replace(
        "ignore_changes: [min_replica, env.LOG_LEVEL]", "ignore_changes: [min_replica, regoin]"
    )
    found = problems(tmp_path, "kind: Endpoint\nname: a\nignore_changes: [max_replica]\n", fleet)
    assert [(p.file.rsplit("/", 1)[-1], p.line, p.field) for p in found] == [
        ("fleet.yaml", 13, "defaults.ignore_changes[1]")
    ], found
    assert "unknown field 'regoin' in ignore_changes" in found[0].message
