"""A hostile server's endpoint records: wrong JSON types and names that are path tricks.

The list answer holds the fleet's real endpoints (from the emulator) plus malformed records. The
promise (issue 13 item 2): a malformed endpoint is reported by name and left alone, the others
proceed, the run exits 1, nothing prints a traceback, and no request path ever leaves its segment.
Every answer goes through ``reconciler.wire.record.parse`` (the typed model of the response).
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest

from tests.hostile.conftest import Cli
from tests.hostile.server import TOKEN, HostileServer

LIST = "/v2/endpoint/emulator"


def live_items(hostile: HostileServer) -> list[dict[str, Any]]:
    answer = hostile.upstream.get(
        "http://emulator.hfleet.local" + LIST, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def applied(cli: Cli, specs: Path, hostile: HostileServer) -> dict[str, Any]:
    """Apply the fleet (ep-a, ep-b) and return one of its records, the template of the variants."""
    assert cli("apply", str(specs), "--yes").code == 0
    return next(i for i in live_items(hostile) if i["name"] == "ep-b")


def variant(template: dict[str, Any], path: str, value: Any, name: str) -> Any:
    """``template`` renamed ``name`` with the field at dotted ``path`` replaced ('' : the whole record)."""
    if not path:
        return value
    record = copy.deepcopy(template)
    record["name"] = name
    *parents, last = path.split(".")
    target = record
    for key in parents:
        target = target[key]
    target[last] = value
    return record


WRONG_TYPES = [
    ("name", 5),
    ("name", None),
    ("type", 3),
    ("status", "running"),
    ("status", None),
    ("status.state", 7),
    ("status.url", 5),
    ("status.createdAt", 12345),
    ("compute", []),
    ("compute.scaling", "x"),
    ("compute.scaling.minReplica", "one"),
    ("compute.scaling.maxReplica", None),
    ("provider", "aws"),
    ("model", None),
    ("model.image", "tgi"),
    ("model.env", ["A=1"]),
    ("model.secrets", "x"),
    ("tags", "hfleet:team"),
    ("tags", [1, 2]),
    ("", "ep-string"),
    ("", 42),
    ("", None),
    ("", []),
]


@pytest.mark.parametrize(
    ("index", "path", "value"),
    [pytest.param(i, p, v, id=f"{p or 'record'}={v!r}") for i, (p, v) in enumerate(WRONG_TYPES)],
)
def test_a_record_of_wrong_types_is_reported_and_the_rest_proceeds(
    cli: Cli, specs: Path, hostile: HostileServer, index: int, path: str, value: Any
) -> None:
    template = applied(cli, specs, hostile)
    name = f"bad-{index}"
    hostile.add(
        "GET", LIST, "json", body={"items": [*live_items(hostile), variant(template, path, value, name)]}
    )
    run = cli("plan", str(specs))
    assert run.code == 1, run.text[-2000:]
    if path not in ("", "name"):
        assert name in run.text


TRICKY_NAMES = [".", "..", "a/b", "", "ep-a\n", "%2e%2e"]


def forged(template: dict[str, Any]) -> list[dict[str, Any]]:
    """Records owned by the fleet (its tag) whose names are path tricks: ``--prune`` wants them gone."""
    return [variant(template, "name", name, "") for name in TRICKY_NAMES]


def test_names_that_are_path_tricks_never_leave_their_segment(
    cli: Cli, specs: Path, hostile: HostileServer
) -> None:
    """``..`` once became ``DELETE /v2/endpoint`` (URL normalization removes dot segments)."""
    template = applied(cli, specs, hostile)
    hostile.add("GET", LIST, "json", body={"items": [*live_items(hostile), *forged(template)]})
    hostile.seen.clear()
    run = cli("apply", str(specs), "--yes", "--prune", "--force")
    assert run.code == 1, run.text[-2000:]
    # At most the names that are one encoded segment are tried; ".", "..", "" and "ep-a\n" never.
    deleted = {s.path for s in hostile.requests("DELETE")}
    assert deleted <= {"/v2/endpoint/emulator/a%2Fb", "/v2/endpoint/emulator/%252e%252e"}, deleted
    for seen in hostile.requests():
        assert seen.method == "GET" or re.fullmatch(r"/v2/endpoint/emulator/[^/.][^/]*", seen.path), seen
    assert hostile.requests(path=r"/v2(/endpoint(/emulator)?)?/?(\.\.?)?") == hostile.requests("GET", LIST)


def test_names_that_are_path_tricks_are_reported_and_left_alone(
    cli: Cli, specs: Path, hostile: HostileServer
) -> None:
    template = applied(cli, specs, hostile)
    hostile.add("GET", LIST, "json", body={"items": [*live_items(hostile), *forged(template)]})
    run = cli("apply", str(specs), "--yes", "--prune", "--force")
    assert run.code == 1
    assert hostile.requests("DELETE") == []
    assert "a/b" in run.text and "'..'" in run.text
