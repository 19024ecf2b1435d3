"""``hfleet doctor``: the read-only first-contact check, over real HTTP against the served emulator.

Whatever it finds, it never writes: every test asserts that the emulator's request log holds only
GETs. It reports malformed records, fields hfleet does not model, what a first apply would do
(creates, and warnings on replaces, updates of every endpoint, orphans a prune would delete,
conflicts, the plan's own warnings), unreadable secrets and a bad token, and exits 0 when all is
good, 2 on warnings, 1 when a check failed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler.emulator import Emulator, FaultRule
from tests.conftest import write_fleet
from tests.emulator.conftest import payload
from tests.reliability import helpers

SECRET = "hf_doctor_secret_value"


@pytest.fixture
def cloud() -> Iterator[tuple[Emulator, str]]:
    with helpers.served() as served:
        yield served


def hfleet(
    url: str, *args: str, token: str = helpers.TOKEN, env: dict[str, str] | None = None
) -> tuple[int, str, str]:
    base = ["--api-url", url + "/v2", "--token", token, "--log-format", "json"]
    return helpers.run_cli(*base, *args, env={"HF_TOKEN": "", **(env or {})})


def doctor(url: str, specs: Path, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    code, out, err = hfleet(url, "doctor", str(specs), "--format", "json", **kwargs)
    report: dict[str, Any] = json.loads(out)
    assert report["status"] == {0: "ok", 2: "warn", 1: "fail"}[code], (code, report["status"], err)
    return code, report


def checks(report: dict[str, Any]) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    for item in report["checks"]:
        out.setdefault(item["check"], []).append((item["status"], item["detail"]))
    return out


def only_gets(emulator: Emulator) -> None:
    methods = {(r.method, r.path) for r in emulator.requests}
    assert methods and all(method == "GET" for method, _ in methods), sorted(methods)


def fleet(tmp_path: Path, endpoints: dict[str, str]) -> Path:
    return write_fleet(tmp_path / "specs", endpoints)


def applied(url: str, specs: Path, emulator: Emulator) -> None:
    code, out, err = hfleet(url, "apply", str(specs), "--yes")
    assert code == 0, out + err
    emulator.clear_requests()


def test_first_contact_on_an_empty_namespace_says_what_the_first_apply_creates(
    cloud: tuple[Emulator, str], tmp_path: Path
) -> None:
    emulator, url = cloud
    specs = fleet(tmp_path, {"a": "", "b": ""})
    code, report = doctor(url, specs)
    assert code == 0
    found = checks(report)
    assert found["token"] == [("ok", "valid: 'emulator', member of emulator-org")]
    assert found["listing"] == [("ok", "0 endpoints in emulator")]
    assert found["parse"][0][0] == "ok"
    assert found["plan"][0][0] == "ok" and found["plan"][0][1].startswith("a first apply would create 2")
    assert report["plan"]["summary"]["create"] == 2
    only_gets(emulator)


def test_a_fleet_in_step_with_its_specs_is_all_good(cloud: tuple[Emulator, str], tmp_path: Path) -> None:
    emulator, url = cloud
    specs = fleet(tmp_path, {"a": "", "b": "secrets: {TOKEN: {from_env: DOCTOR_SECRET}}\n"})
    code, out, err = hfleet(url, "apply", str(specs), "--yes", env={"DOCTOR_SECRET": SECRET})
    assert code == 0, out + err
    emulator.clear_requests()
    code, report = doctor(url, specs, env={"DOCTOR_SECRET": SECRET})
    assert code == 0
    assert {name: statuses[0][0] for name, statuses in checks(report).items()} == {
        "token": "ok",
        "listing": "ok",
        "parse": "ok",
        "secrets": "ok",
        "plan": "ok",
    }
    assert "a first apply would send nothing" in checks(report)["plan"][0][1]
    only_gets(emulator)


def _replace(specs: Path, emulator: Emulator, url: str) -> str:
    fleet(specs.parent, {"a": "region: eu-west-1\n", "b": "", "c": ""})
    return "plan: replace"


def _update_all(specs: Path, emulator: Emulator, url: str) -> str:
    fleet(specs.parent, {"a": "max_replica: 2\n", "b": "max_replica: 2\n", "c": "max_replica: 2\n"})
    return "plan: update"


def _orphan(specs: Path, emulator: Emulator, url: str) -> str:
    fleet(specs.parent, {"a": "", "b": ""})
    return "plan: orphan"


def _conflict(specs: Path, emulator: Emulator, url: str) -> str:
    conn = helpers.connect(url)
    conn.api.create("emulator", payload("someone-elses"))
    conn.close()
    fleet(specs.parent, {"a": "", "b": "", "c": "", "someone-elses": ""})
    return "plan: conflict"


def _unreadable_secret(specs: Path, emulator: Emulator, url: str) -> str:
    fleet(specs.parent, {"a": "", "b": "", "c": "secrets: {TOKEN: {from_env: DOCTOR_UNSET_SECRET}}\n"})
    return "secrets"


@pytest.mark.parametrize(
    ("scenario", "says"),
    [
        (_replace, "a: a first apply would DELETE and re-create"),
        (_update_all, "a first apply would rewrite EVERY managed endpoint (a, b, c)"),
        (_orphan, "c: belong to the fleet but no spec names them (deleted by `apply --prune`)"),
        (_conflict, "someone-elses: exist without this fleet's owner tag"),
        (_unreadable_secret, "not readable here for c: apply needs them"),
    ],
    ids=["replace", "update-everything", "delete", "conflict", "secrets"],
)
def test_what_a_first_apply_should_not_do_silently_is_a_warning(
    cloud: tuple[Emulator, str], tmp_path: Path, scenario: Any, says: str
) -> None:
    emulator, url = cloud
    specs = fleet(tmp_path, {"a": "", "b": "", "c": ""})
    applied(url, specs, emulator)
    check = scenario(specs, emulator, url)
    emulator.clear_requests()
    code, report = doctor(url, specs)
    assert code == 2
    found = checks(report)
    assert any(status == "warn" and says in detail for status, detail in found[check]), found
    assert all(status != "fail" for entries in found.values() for status, _ in entries)
    only_gets(emulator)


def _listing_with(emulator: Emulator, url: str, edit: Any) -> None:
    """Make the API answer its listing of ``emulator`` edited by ``edit`` (a garbage fault whose
    body is the real listing, changed): shapes the emulator itself never sends."""
    conn = helpers.connect(url)
    items = conn.api.list_endpoints("emulator")
    conn.close()
    edit(items)
    body = json.dumps({"items": items, "nextCursor": None})
    emulator.add_fault(
        FaultRule(kind="garbage", method="GET", path_pattern=r"^/v2/endpoint/emulator$", body=body)
    )


def test_malformed_records_and_unmodelled_fields_are_reported(
    cloud: tuple[Emulator, str], tmp_path: Path
) -> None:
    emulator, url = cloud
    specs = fleet(tmp_path, {"a": "", "b": "", "c": ""})
    applied(url, specs, emulator)

    def edit(items: list[dict[str, Any]]) -> None:
        by_name = {item["name"]: item for item in items}
        by_name["a"]["billingGroup"] = {"id": "bg-1"}  # a top-level key the API may add one day
        by_name["a"]["compute"]["autoscalerProfile"] = "fast"
        by_name["b"]["billingGroup"] = None
        del by_name["c"]["compute"]  # breaks the API's own schema

    _listing_with(emulator, url, edit)
    emulator.clear_requests()
    code, report = doctor(url, specs)
    assert code == 1
    found = checks(report)
    assert found["parse"] == [("fail", "emulator/c: compute: Field required")]
    assert found["fields"] == [
        (
            "ok",
            "fields the API sends that hfleet does not model (never compared): "
            "billingGroup (2), compute.autoscalerProfile (1)",
        )
    ]
    assert any("c: are described in a malformed way" in detail for _, detail in found["plan: malformed"])
    only_gets(emulator)


def test_an_unknown_access_type_is_a_warning_not_a_replace(
    cloud: tuple[Emulator, str], tmp_path: Path
) -> None:
    emulator, url = cloud
    specs = fleet(tmp_path, {"a": "", "b": ""})
    applied(url, specs, emulator)
    _listing_with(emulator, url, lambda items: items[0].update(type="org-only"))
    code, report = doctor(url, specs)
    assert code == 2
    found = checks(report)
    assert found["plan: warning"] == [("warn", "a: type (live 'org-only') is not understood; not compared")]
    assert "plan: replace" not in found
    only_gets(emulator)


def test_a_bad_token_fails_and_is_never_printed(cloud: tuple[Emulator, str], tmp_path: Path) -> None:
    emulator, url = cloud
    specs = fleet(tmp_path, {"a": ""})
    code, out, err = hfleet(url, "doctor", str(specs), token="hf_NotAValidToken12345")
    assert code == 1
    assert "hf_NotAValidToken12345" not in out + err
    assert "✗ token" in out and "401" in out and "✗ listing" in out
    only_gets(emulator)


def test_a_namespace_the_token_cannot_reach_fails(cloud: tuple[Emulator, str], tmp_path: Path) -> None:
    emulator, url = cloud
    specs = write_fleet(tmp_path / "specs", {"a": ""}, namespace="someone-else")
    code, report = doctor(url, specs)
    assert code == 1
    found = checks(report)
    assert found["namespaces"] == [("warn", "not the token's user or one of its orgs: someone-else")]
    assert found["listing"][0][0] == "fail" and "someone-else" in found["listing"][0][1]
    only_gets(emulator)
