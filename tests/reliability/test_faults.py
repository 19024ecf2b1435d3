"""Promise: a bad network or a struggling API never makes hfleet do the wrong thing.

Against the emulator over real HTTP (loopback), with 429 + Retry-After, 5xx bursts, dropped
connections, slow responses and lost responses (the server did it, the client never heard), alone and
in seeded random mixtures: a run either converges or ends with a report naming every failed change;
re-running converges; no endpoint is ever created twice or deleted by mistake, and every endpoint
that is not yet as the spec says shows up in the next plan.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from reconciler import errors
from reconciler.api import retry
from reconciler.emulator import FaultRule
from reconciler.engine import apply as apply_mod
from reconciler.engine import plan as plan_mod
from reconciler.engine import session
from reconciler.net import limits as net_limits
from tests.engine import helpers as engine_helpers
from tests.reliability import helpers

Want = dict[str, dict[str, Any]]


# --- the fleet: version 0 is live, version 1 is what the specs now say (14 changes) -------------------

V0: Want = {f"ep-{i:02d}": {"max_replica": 1, "env": {"V": "0"}, "state": "running"} for i in range(12)}


def v1() -> Want:
    want = {k: dict(v) for k, v in V0.items()}
    for i in range(4):  # 4 updates
        want[f"ep-{i:02d}"] |= {"max_replica": 2, "env": {"V": "1"}}
    for i in range(4, 7):  # 3 pauses
        want[f"ep-{i:02d}"]["state"] = "paused"
    for i in range(7, 9):  # 2 deletes (--prune)
        del want[f"ep-{i:02d}"]
    for i in range(12, 17):  # 5 creates
        want[f"ep-{i:02d}"] = {"max_replica": 1, "env": {"V": "1"}, "state": "running"}
    return want  # ep-09..ep-11 unchanged


def render(want: Want) -> dict[str, str]:
    return {
        name: f"max_replica: {w['max_replica']}\nenv: {json.dumps(w['env'])}\nstate: {w['state']}\n"
        for name, w in want.items()
    }


def pass_(specs: Path, conn: session.Session) -> tuple[plan_mod.Plan, apply_mod.ApplyReport]:
    """One ``hfleet apply --prune`` pass through the engine, as the CLI runs it."""
    return engine_helpers.one_pass(specs, conn.api, prune=True, parallelism=4)


def next_plan(specs: Path, url: str) -> plan_mod.Plan:
    conn = helpers.connect(url)
    try:
        return engine_helpers.plan_now(specs, conn.api, prune=True)
    finally:
        conn.close()


def differences(want: Want, live: dict[str, dict[str, Any]]) -> set[str]:
    """Endpoints whose live state is not what ``want`` says, checked independently of the planner."""
    out = {name for name in live if name not in want}
    for name, w in want.items():
        have = live.get(name)
        if have is None:
            out.add(name)
            continue
        state = have["status"]["state"]
        if (
            have["compute"]["scaling"]["maxReplica"] != w["max_replica"]
            or have["model"]["env"] != w["env"]
            or (state != "paused" if w["state"] == "paused" else state != "running")
            or "hfleet:team" not in have["tags"]
        ):
            out.add(name)
    return out


def assert_nothing_unnoticed(specs: Path, url: str, want: Want) -> None:
    """Every endpoint not yet as the spec says has a change in the next plan."""
    live = helpers.live_by_name(url)
    planned = {c.name for c in next_plan(specs, url).writes}
    unnoticed = differences(want, live) - planned
    assert not unnoticed, f"left different from the spec and missing from the next plan: {unnoticed}"


@pytest.fixture
def fleet(tmp_path: Path, emu: Any, url: str) -> tuple[Path, dict[str, str]]:
    """Version 0 applied (no faults); returns the specs directory (now version 1) and v0's ids."""
    specs = helpers.write_specs(tmp_path / "specs", render(V0))
    conn = helpers.connect(url)
    try:
        _, report = pass_(specs, conn)
        assert report.ok, report.data()
        _, report = pass_(specs, conn)
    finally:
        conn.close()
    ids = {
        name: item["status"]["createdAt"] + item["name"] for name, item in helpers.live_by_name(url).items()
    }
    helpers.write_specs(specs, render(v1()))
    emu.clear_requests()
    return specs, ids


CLEAR = re.compile(r"(failed with HTTP \d{3}|failed: \w+Error|skipped: \w+ failed|timed out)")


def converge_under_faults(specs: Path, url: str, emu: Any, passes: int = 8) -> list[apply_mod.ApplyReport]:
    """Re-run until a pass is clean; after every pass nothing may be left different unnoticed.

    A pass that cannot even read the live state fails as a whole (the CLI exits 1 with the error);
    one that applies changes reports every failed change with the reason."""
    reports = []
    conn = helpers.connect(url)
    try:
        for _ in range(passes):
            try:
                result, report = pass_(specs, conn)
            except errors.ReconcilerError as exc:
                assert CLEAR.search(str(exc)), exc
                continue
            reports.append(report)
            for failed in report.failed:  # a clear report: every failure says what and why
                assert failed.error and CLEAR.search(failed.error), failed
            with helpers.no_faults(emu):
                assert_nothing_unnoticed(specs, url, v1())
            if report.ok and not result.has_changes:
                break
    finally:
        conn.close()
    return reports


def assert_converged_safely(specs: Path, url: str, emu: Any, ids: dict[str, str]) -> None:
    live = helpers.live_by_name(url)
    assert not differences(v1(), live)
    assert not next_plan(specs, url).has_changes
    # Nothing was deleted by mistake: every endpoint kept from v0 is still the same endpoint.
    for name in v1():
        if name in ids:
            assert live[name]["status"]["createdAt"] + name == ids[name], f"{name} was re-created"
    # Nothing was created twice (names are unique, so that would take a delete in between) and
    # nothing but the two pruned endpoints was ever the target of a DELETE, answered or not.
    creates = [r for r in emu.requests if r.method == "POST" and r.path == "/v2/endpoint/emulator"]
    assert sum(1 for r in creates if r.status == 200) <= 5
    deleted = {r.path.rsplit("/", 1)[1] for r in emu.requests if r.method == "DELETE"}
    assert deleted == {"ep-07", "ep-08"}


# --- one fault kind at a time ------------------------------------------------------------------------


def test_429_with_retry_after_is_honoured_and_the_run_converges(
    fleet: tuple[Path, dict[str, str]], emu: Any, url: str
) -> None:
    specs, ids = fleet
    slept: list[float] = []
    for method in ("GET", "POST", "PUT", "DELETE"):
        emu.faults.add(FaultRule(kind="status", status=429, retry_after=3, method=method, times=2))
    conn = helpers.connect(url, retry=retry.RetryPolicy(attempts=6, sleep=slept.append))
    try:
        _, report = pass_(specs, conn)
    finally:
        conn.close()
    assert report.ok, report.data()
    assert slept and set(slept) == {3.0}  # the server's Retry-After, not our own backoff
    assert sum(1 for r in emu.requests if r.status == 429) == 8
    assert_converged_safely(specs, url, emu, ids)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_bursts_are_ridden_out(
    fleet: tuple[Path, dict[str, str]], emu: Any, url: str, status: int
) -> None:
    specs, ids = fleet
    emu.faults.add(FaultRule(kind="status", status=status, times=4))
    emu.faults.add(FaultRule(kind="status", status=status, method="POST", times=3))
    emu.faults.add(FaultRule(kind="status", status=status, method="DELETE", times=2))
    reports = converge_under_faults(specs, url, emu)
    assert reports[0].ok, reports[0].data()
    assert_converged_safely(specs, url, emu, ids)


def test_dropped_connections_are_retried(fleet: tuple[Path, dict[str, str]], emu: Any, url: str) -> None:
    specs, ids = fleet
    for method in ("GET", "POST", "PUT", "DELETE"):
        emu.faults.add(FaultRule(kind="drop", method=method, times=2))
    reports = converge_under_faults(specs, url, emu)
    assert reports[0].ok, reports[0].data()
    assert sum(1 for r in emu.requests if r.status == -1) == 8
    assert_converged_safely(specs, url, emu, ids)


def test_slow_responses_time_out_and_never_duplicate(
    fleet: tuple[Path, dict[str, str]], emu: Any, url: str
) -> None:
    """A write slower than the request deadline may still happen server-side. hfleet does not wait a
    second deadline on a stalling server (no retry of a deadline): the change is reported failed with
    the deadline, and the next run converges without a second endpoint (409 → read back → ours)."""
    specs, ids = fleet
    emu.faults.add(
        FaultRule(kind="latency", latency=0.6, method="POST", path_pattern=r"endpoint/emulator$", times=2)
    )
    emu.faults.add(FaultRule(kind="latency", latency=0.6, method="PUT", times=1))
    quick = net_limits.Limits(deadline=0.25, connect_timeout=0.25, read_timeout=0.25)
    conn = helpers.connect(url, limits=quick)
    try:
        _, report = pass_(specs, conn)
    finally:
        conn.close()
    helpers.wait_for(lambda: all(r.hits >= r.times for r in emu.faults.rules if r.times))
    helpers.wait_quiet(emu)  # the slow requests finish server-side (no wall-clock guess)
    # Exactly the three slowed writes failed, each with the deadline; every other change went through.
    failed = sorted(o.change.action.value for o in report.failed)
    assert failed == ["create", "create", "update"], report.data()
    assert all("0.25 s request deadline" in (o.error or "") for o in report.failed), report.data()
    assert len(report.applied) == len(report.outcomes) - 3
    converge_under_faults(specs, url, emu)
    assert_converged_safely(specs, url, emu, ids)


@pytest.mark.parametrize(
    ("method", "pattern"),
    [
        ("POST", r"/endpoint/emulator$"),  # creates
        ("PUT", r"/endpoint/emulator/"),  # updates
        ("DELETE", r"/endpoint/emulator/"),  # deletes
        ("POST", r"/pause$"),  # power changes
    ],
    ids=["create", "update", "delete", "pause"],
)
def test_lost_responses_are_recovered_without_a_second_write(
    fleet: tuple[Path, dict[str, str]], emu: Any, url: str, method: str, pattern: str
) -> None:
    specs, ids = fleet
    rule = emu.faults.add(FaultRule(kind="lost_response", method=method, path_pattern=pattern, times=2))
    reports = converge_under_faults(specs, url, emu)
    assert rule.hits == 2
    assert reports[0].ok, reports[0].data()  # recovered within the same run
    assert_converged_safely(specs, url, emu, ids)
    if method == "POST" and "pause" not in pattern:
        notes = [o.note or "" for o in reports[0].outcomes]
        # (a rule hit can land on the retry itself, which answers 409 and is not lost)
        assert 1 <= sum("earlier response was lost" in n for n in notes) <= 2


# --- random mixtures ---------------------------------------------------------------------------------


def mixture(emu: Any, seed: int, rate: float) -> None:
    import random

    emu.faults.random.seed(seed)
    rng = random.Random(seed)
    kinds = [("status", 429), ("status", 503), ("status", 500), ("drop", 0), ("lost_response", 0)]
    for kind, status in kinds:
        for method in ("GET", "POST", "PUT", "DELETE"):
            share = rate * rng.uniform(0.5, 1.5) / len(kinds)
            emu.faults.add(
                FaultRule(
                    kind=kind,
                    status=status or 503,
                    retry_after=0 if status == 429 else None,
                    method=method,
                    probability=share,
                )  # type: ignore[arg-type]
            )


@pytest.mark.parametrize("seed", range(4))
def test_a_random_mixture_of_faults_converges_safely(
    fleet: tuple[Path, dict[str, str]], emu: Any, url: str, seed: int
) -> None:
    specs, ids = fleet
    mixture(emu, seed, rate=0.4)
    reports = converge_under_faults(specs, url, emu, passes=10)
    assert reports and reports[-1].ok
    emu.faults.clear()
    assert_converged_safely(specs, url, emu, ids)
    assert any(r.status in (-1, 429, 500, 503) for r in emu.requests)


@pytest.mark.parametrize("seed", [pytest.param(s, marks=helpers.soak_only) for s in range(100, 130)])
def test_soak_random_mixtures_at_a_high_fault_rate(
    fleet: tuple[Path, dict[str, str]], emu: Any, url: str, seed: int
) -> None:
    specs, ids = fleet
    mixture(emu, seed, rate=0.6)
    reports = converge_under_faults(specs, url, emu, passes=20)
    assert reports and reports[-1].ok
    emu.faults.clear()
    assert_converged_safely(specs, url, emu, ids)


# --- the CLI's report when faults outlast the retries ---------------------------------------------


def test_a_run_that_cannot_finish_says_so_and_the_next_run_converges(
    fleet: tuple[Path, dict[str, str]], emu: Any, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    specs, ids = fleet
    rule = emu.faults.add(
        FaultRule(kind="status", status=503, method="POST", path_pattern=r"endpoint/emulator$")
    )
    args = ["--api-url", url + "/v2", "--token", helpers.TOKEN, "--log-format", "json"]
    code, out, err = helpers.run_cli(*args, "apply", str(specs), "--yes", "--prune")
    assert code == 1, out + err
    failed = [line for line in out.splitlines() if line.startswith("FAILED")]
    assert len(failed) == 5 and all("HTTP 503" in line and "create" in line for line in failed), out
    assert "Apply finished with errors: 9 applied, 5 failed" in out
    emu.faults.rules.remove(rule)
    code, out, err = helpers.run_cli(*args, "apply", str(specs), "--yes", "--prune")
    assert code == 0, out + err
    code, out, err = helpers.run_cli(*args, "plan", str(specs), "--prune")
    assert code == 0 and "No changes" in out, out + err
    assert_converged_safely(specs, url, emu, ids)


def test_the_cli_retries_as_hfleet_retry_attempts_says(
    fleet: tuple[Path, dict[str, str]], emu: Any, url: str
) -> None:
    specs, _ = fleet
    emu.faults.add(FaultRule(kind="status", status=503, method="GET", path_pattern=r"endpoint/emulator$"))
    args = ["--api-url", url + "/v2", "--token", helpers.TOKEN, "plan", str(specs)]
    for attempts in ("1", "3"):
        emu.clear_requests()
        code, out, err = helpers.run_cli(*args, env={"HFLEET_RETRY_ATTEMPTS": attempts})
        assert code == 1 and "HTTP 503" in err, out + err
        lists = [r for r in emu.requests if r.method == "GET" and r.path == "/v2/endpoint/emulator"]
        assert len(lists) == int(attempts)
