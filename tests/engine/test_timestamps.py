"""Grace periods and clock skew (issue 12, item 2): every timestamp the API can send becomes an aware
instant, a grace period never crashes a command, a ``last_change`` in the future counts as "just
deployed", and the README's own schedule examples run as written.

Outside truth: the recorded answers of the real server (nanosecond and millisecond timestamps with
``Z``), RFC 3339 §5.6 (``T``/``t``, ``Z``/``z``, ``+hh:mm``) and the forms a lenient server or proxy
could send (``+hhmm``, no offset, Go's zero time). The end-to-end cases put each form on the wire
with a transport that rewrites the emulator's answers, so the real client parses it.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from click.testing import CliRunner

from reconciler import cli
from reconciler.api import client as api_client
from reconciler.emulator import Emulator, EmulatorConfig
from reconciler.engine import run, session
from reconciler.engine import smoke as smoke_mod
from reconciler.engine import status as status_mod
from reconciler.spec import loader
from reconciler.wire import record
from tests.conftest import NO_WAIT, FakeClock, write_fleet
from tests.emulator import recorded
from tests.engine.pinned import PinnedCli

PARIS = ZoneInfo("Europe/Paris")
SATURDAY = datetime(2026, 12, 5, 12, 0, tzinfo=PARIS)  # off by the office-hours schedule
ROOT = Path(__file__).resolve().parents[2]

# (what the API sends, the instant it means)
FORMS = [
    ("2023-10-26T12:41:53.263078506Z", datetime(2023, 10, 26, 12, 41, 53, 263078, tzinfo=UTC)),  # nanos
    ("2023-10-26T12:41:53.263Z", datetime(2023, 10, 26, 12, 41, 53, 263000, tzinfo=UTC)),  # millis
    ("2023-10-26T12:41:53Z", datetime(2023, 10, 26, 12, 41, 53, tzinfo=UTC)),
    ("2023-10-26t12:41:53z", datetime(2023, 10, 26, 12, 41, 53, tzinfo=UTC)),  # RFC 3339 lowercase
    ("2023-10-26T14:41:53.5+02:00", datetime(2023, 10, 26, 12, 41, 53, 500000, tzinfo=UTC)),
    ("2023-10-26T14:41:53+0200", datetime(2023, 10, 26, 12, 41, 53, tzinfo=UTC)),  # no colon
    ("2023-10-26T07:41:53.123456789-05:00", datetime(2023, 10, 26, 12, 41, 53, 123456, tzinfo=UTC)),
    ("2023-10-26T12:41:53-0000", datetime(2023, 10, 26, 12, 41, 53, tzinfo=UTC)),
    ("2023-10-26T12:41:53.263078", datetime(2023, 10, 26, 12, 41, 53, 263078, tzinfo=UTC)),  # no offset: UTC
    ("2023-10-26 12:41:53", datetime(2023, 10, 26, 12, 41, 53, tzinfo=UTC)),
    ("2023-10-26T12:41Z", datetime(2023, 10, 26, 12, 41, tzinfo=UTC)),  # no seconds
    ("0001-01-01T00:00:00Z", datetime(1, 1, 1, tzinfo=UTC)),  # Go's zero time.Time
]


@pytest.mark.parametrize(("text", "instant"), FORMS, ids=[f[0] for f in FORMS])
def test_every_form_parses_to_an_aware_instant(text: str, instant: datetime) -> None:
    parsed = record.parse_time(text)
    assert parsed is not None and parsed.utcoffset() is not None
    assert parsed == instant


@pytest.mark.parametrize("bad", ["", "yesterday", "2023-10-26", "2023-13-01T00:00:00Z", "9" * 65, 1698324113])
def test_what_is_not_a_timestamp_is_a_value_error(bad: object) -> None:
    with pytest.raises(ValueError):
        record.parse_time(bad)


def test_none_is_no_timestamp() -> None:
    assert record.parse_time(None) is None


ENDPOINT_ANSWERS = [p for p in recorded.files() if "status" in json.loads(p.read_text())]


@pytest.mark.parametrize("path", ENDPOINT_ANSWERS, ids=lambda p: p.name)
def test_the_real_servers_timestamps_are_aware(path: Path) -> None:
    body = json.loads(path.read_text())
    endpoint = record.parse("ns", body)
    for value in (endpoint.created_at, endpoint.updated_at, endpoint.last_change):
        assert value is not None and value.utcoffset() == timedelta(0) and value.year in (2023, 2025)


# --- on the wire, through the engine --------------------------------------------------------------


class Rewriting(httpx.BaseTransport):
    """The emulator, with ``status.updatedAt`` and ``createdAt`` of every endpoint it answers
    replaced by ``stamp(name)`` (a string as the API could send it, or None)."""

    def __init__(self, emulator: Emulator, stamp: Any) -> None:
        self.inner = emulator.transport()
        self.stamp = stamp

    def _fix(self, item: Any) -> None:
        if isinstance(item, dict) and isinstance(item.get("status"), dict) and "name" in item:
            value = self.stamp(item["name"])
            item["status"]["updatedAt"] = item["status"]["createdAt"] = value

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.method != "GET" or not request.url.path.startswith("/v2/endpoint/"):
            return response
        response.read()
        body = response.json()
        for item in body.get("items", [body]) if isinstance(body, dict) else []:
            self._fix(item)
        return httpx.Response(response.status_code, json=body, request=request)


GRACE_FLEET = {
    "fresh": "schedule: office-hours\n",  # deployed 10 minutes ago
    "skewed": "schedule: office-hours\n",  # its last change is 5 minutes in the future
    "old": "schedule: office-hours\n",  # deployed two hours ago
    "unknown": "schedule: office-hours\n",  # no timestamps at all
}


def grace_fleet(tmp_path: Path) -> Path:
    path = write_fleet(tmp_path / "specs", GRACE_FLEET)
    text = (
        (path / "fleet.yaml")
        .read_text()
        .replace("    off: pause\n", "    off: pause\n    grace_period: 30m\n")
    )
    (path / "fleet.yaml").write_text(text)
    return path


def _at(offset: timedelta) -> datetime:
    return (SATURDAY + offset).astimezone(UTC)


@pytest.mark.parametrize(
    "style",
    [
        lambda t: t.strftime("%Y-%m-%dT%H:%M:%S.%f") + "123Z",  # nanoseconds
        lambda t: t.astimezone(timezone(timedelta(hours=9))).strftime("%Y-%m-%dT%H:%M:%S%z"),  # +0900
        lambda t: t.astimezone(PARIS).isoformat(),  # +01:00
        lambda t: t.strftime("%Y-%m-%dT%H:%M:%S"),  # no offset (UTC)
    ],
    ids=["nanos-Z", "offset-without-colon", "offset", "no-offset"],
)
def test_grace_period_with_any_timestamp_form(tmp_path: Path, style: Any) -> None:
    """Saturday noon, office hours off, grace 30 min: an endpoint deployed 10 minutes ago stays up
    until 12:20; one whose last change is 5 minutes in the future (clock skew) was just deployed and
    stays up until 12:30; one deployed two hours ago and one without timestamps are paused. plan,
    apply, status and smoke all run."""
    stamps = {
        "fresh": style(_at(-timedelta(minutes=10))),
        "skewed": style(_at(timedelta(minutes=5))),
        "old": style(_at(-timedelta(hours=2))),
        "unknown": None,
    }
    emulator = Emulator(EmulatorConfig(), clock=FakeClock(SATURDAY))
    http = httpx.Client(transport=Rewriting(emulator, lambda name: stamps.get(name)))
    api = api_client.EndpointsApi(http, session.EMULATOR_BASE + "/v2", "hf_emulator", NO_WAIT)
    conn = session.Session(api, http, session.Settings(state_dir=tmp_path / "state"))
    path = grace_fleet(tmp_path)
    fleet = loader.load([path])
    for name in GRACE_FLEET:  # already deployed, running
        run.run(fleet, conn, run.Options(now=SATURDAY - timedelta(days=1), targets=(name,)), apply=True)

    result = run.run(fleet, conn, run.Options(now=SATURDAY), apply=False)
    pauses = {c.name: c.detail for c in result.plan.changes}
    assert set(pauses) == {"old", "unknown"}, pauses
    reasons = {k[1]: want.power_reason for k, want in result.observation.desired.items()}
    assert reasons["fresh"] == "schedule: grace period until 2026-12-05T12:20:00+01:00"
    assert reasons["skewed"] == "schedule: grace period until 2026-12-05T12:30:00+01:00"
    assert result.plan.requeue_after == timedelta(minutes=20)  # when the first grace period ends

    rows = {r.name: r for r in status_mod.rows(result.observation, result.plan, {})}
    assert rows["fresh"].desired == "running" and rows["old"].desired == "paused"
    probes = smoke_mod.run(fleet, api, now=SATURDAY, http=http, token="hf_emulator")
    assert {r.name: r.status for r in probes} == {
        "fresh": "passed",  # up in its grace period: probed
        "skewed": "passed",
        "old": "skipped",  # the schedule turns it off: not probed
        "unknown": "skipped",
    }

    applied = run.run(fleet, conn, run.Options(now=SATURDAY, wait=True, wait_timeout=30), apply=True)
    assert applied.report is not None and applied.report.ok
    assert {o.change.name for o in applied.report.outcomes} == {"old", "unknown"}
    states = {e["name"]: e["status"]["state"] for e in api.list_endpoints("emulator")}
    assert states == {"fresh": "running", "skewed": "running", "old": "paused", "unknown": "paused"}
    # 12:21 the first grace period is over; 12:36 the second too (its 12:05 is now in the past).
    for minutes, due in ((21, {"fresh"}), (36, {"fresh", "skewed"})):
        later = run.run(fleet, conn, run.Options(now=SATURDAY + timedelta(minutes=minutes)), apply=False)
        assert {(c.action.value, c.name) for c in later.plan.changes} == {("pause", n) for n in due}
    conn.close()


# --- the README's examples, as written ------------------------------------------------------------

README = (ROOT / "README.md").read_text()


def readme_yaml() -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", README, flags=re.S)


def readme_specs() -> dict[str, str]:
    """Every spec the README shows, runnable: the full fleet as written, and the same fleet with each
    ``schedules:`` fragment in place of its own (the fragment's names are the ones it uses)."""
    blocks = readme_yaml()
    full = [b for b in blocks if "kind: Fleet" in b]
    assert len(full) == 1, "the README's fleet example"
    out = {"fleet": full[0]}
    fragments = [b for b in blocks if b.startswith("schedules:")]
    assert fragments and any("grace_period" in b for b in fragments)
    fleet_doc, rest = full[0].split("\n---\n", 1)
    own = re.search(r"^schedules:\n(?:  .*\n?)+", fleet_doc, flags=re.M)
    assert own is not None
    for i, fragment in enumerate(fragments):
        out[f"schedules-{i}"] = fleet_doc.replace(own.group(0), fragment) + "\n---\n" + rest
    return out


@pytest.fixture
def readme_cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    monkeypatch.setenv("CHAT_LLM_HF_TOKEN", "readme-not-a-secret")
    pinned = PinnedCli(monkeypatch, tmp_path / "state")
    return lambda *args, at: pinned.run(*args, at=at)


@pytest.mark.parametrize("text", list(readme_specs().values()), ids=list(readme_specs()))
def test_readme_schedules_run_as_written(tmp_path: Path, readme_cli: Any, text: str) -> None:
    """Deployed on a Tuesday at 18:55, then every command at 19:10 and 19:26, once the endpoint
    exists (the issue: a grace period crashed plan, status, apply and smoke there)."""
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "fleet.yaml").write_text(text)
    result = CliRunner().invoke(cli.cli, ["validate", str(specs)])
    assert result.exit_code == 0, result.output
    deploy = datetime(2026, 12, 1, 18, 55, tzinfo=PARIS)
    code, out = readme_cli("apply", str(specs), "--yes", "--wait", "--smoke", at=deploy)
    assert code == 0 and "1 passed" in out, out
    # 19:10: off by the schedule; with grace_period: 30m the endpoint deployed at 18:55 stays up.
    graced = "grace_period: 30m" in text
    code, out = readme_cli("plan", str(specs), at=deploy.replace(hour=19, minute=10))
    if graced:
        assert code == 0 and "No changes" in out, out
    else:
        assert code == 2 and re.search(r"scale_to_zero +emulator-org/chat-llm", out), out
    for command in ("status", "smoke", "schedule"):
        code, out = readme_cli(command, str(specs), at=deploy.replace(hour=19, minute=10))
        assert code == 0, f"{command}: {out}"
    # 19:26: the grace period is over (the smoke at 19:10 kept it from idling to zero meanwhile).
    evening = deploy.replace(hour=19, minute=26)
    code, out = readme_cli("plan", str(specs), at=evening)
    assert code == 2 and re.search(r"scale_to_zero +emulator-org/chat-llm", out), out
    code, out = readme_cli("apply", str(specs), "--yes", "--wait", "--smoke", at=evening)
    assert code == 0, out
    for command in ("plan", "status", "smoke", "schedule"):
        code, out = readme_cli(command, str(specs), at=evening)
        assert code == 0, f"{command}: {out}"


SCHEDULES_PROSE = README.split("## Schedules", 1)[1].split("\n## ", 1)[0]


def test_readme_windows_and_override_are_valid(tmp_path: Path) -> None:
    """The windows and the override the Schedules section writes inline are accepted as written."""
    from reconciler.schedule import models as schedule_models

    spans = re.findall(r"`([^`]+)`", re.sub(r"```.*?```", "", SCHEDULES_PROSE, flags=re.S))
    windows = [
        s
        for s in spans
        if re.match(r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun)\S* \d|\d{4}-\d\d-\d\dT|always$|never$", s)
    ]
    assert len(windows) >= 7, windows
    for window in windows:
        schedule_models.ScheduleSpec(timezone="Europe/Paris", uptime=window)
    (override,) = [s for s in spans if s.startswith("schedule_override:")]
    (tmp_path / "f.yaml").write_text(
        "kind: Fleet\nname: f\nnamespace: ns\ndefaults: {type: authenticated}\n---\n"
        "kind: Endpoint\nname: e\nrepository: gpt2\nvendor: aws\nregion: us-east-1\n"
        "accelerator: cpu\ninstance_type: intel-spr\ninstance_size: x2\n" + override + "\n"
    )
    assert loader.load([tmp_path]).endpoints[0].schedule_override is not None
