"""Promise: a malformed spec is refused before anything else happens.

Each case below is refused by ``hfleet plan`` and ``hfleet apply --yes`` with exit 1, the problem's
``file:line`` (or the file, for file-level problems such as an empty or oversized file) and a plain
message, and **zero requests** to the API (the served emulator's request log stays empty).

Cases are inline (the table) or files in ``bad_specs/`` whose first line is
``# expect: LINE MESSAGE`` (LINE ``0`` for a file-level problem); drop a file there to add one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from reconciler.spec import source
from tests.reliability import helpers

# The fleet document of every case, spelled out here: the expected line numbers count on it.
_FLEET_DOC = """\
kind: Fleet
name: {fleet}
namespace: {namespace}
defaults:
  vendor: aws
  region: us-east-1
  accelerator: cpu
  instance_type: intel-spr
  instance_size: x2
  repository: distilbert/distilbert-base-uncased-finetuned-sst-2-english
  task: text-classification
  min_replica: 1
  max_replica: 1
  type: authenticated
"""
FLEET = _FLEET_DOC.format(fleet="team", namespace="emulator") + (
    "schedules:\n  office:\n    timezone: Europe/Paris\n    uptime: Mon-Fri 08:00-19:00\n"
)
E = "kind: Endpoint\nname: a\n"  # lines 1-2 of most endpoint files; the case's own lines start at 3
HERE = Path(__file__).parent / "bad_specs"


@dataclass
class Case:
    id: str
    files: dict[str, str | bytes | None]  # "fleet.yaml": None drops the fleet file
    where: str  # "ep.yaml:3" (file:line) or "ep.yaml" (a file-level problem)
    message: str
    marks: list[Any] = field(default_factory=list)


def ep(body: str, where: int, message: str, id: str, **kw: Any) -> Case:
    return Case(id, {"ep.yaml": E + body}, f"ep.yaml:{where}", message, **kw)


def merge_bomb() -> str:
    """A mapping of 1,000 keys merged 201 times into one mapping: 201,000 keys copied (line 4)."""
    keys = ", ".join(f"k{i}: {i}" for i in range(1000))
    return E + f"base: &b {{{keys}}}\nm: {{<<: [{', '.join(['*b'] * 201)}]}}\n"


def many(count: int, item: str) -> str:
    return "[" + ", ".join(item.format(i=i) for i in range(count)) + "]"


def alias_bomb() -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]")
    return E + "\n".join(lines) + "\n"


CASES = [
    # --- YAML itself ---------------------------------------------------------------------------------
    ep("repository: [unclosed\n", 4, "invalid YAML", "yaml-unclosed-flow"),
    ep("env:\n\tA: '1'\n", 4, "invalid YAML: a tab character in the indentation", "yaml-tab-indent"),
    ep("repository: x\nrepository: y\n", 4, "duplicate key 'repository'", "yaml-duplicate-key"),
    ep("repository: x\n  task: y\n", 4, "invalid YAML", "yaml-bad-indentation"),
    ep("? [a, b]\n: c\n", 3, "mapping keys must be plain scalars", "yaml-complex-key"),
    ep("<<: 1\n", 3, "a merge key (<<) needs a mapping", "yaml-bad-merge"),
    ep("repository: !!python/object:os.system x\n", 3, "invalid YAML", "yaml-python-tag"),
    Case("yaml-not-a-mapping", {"ep.yaml": "- a\n- b\n"}, "ep.yaml:1", "a document must be a mapping"),
    Case(
        "yaml-empty-document",
        {"ep.yaml": E + "---\n---\n" + E.replace("a\n", "b\n")},
        "ep.yaml:4",
        "document is empty",
    ),
    Case("empty-file", {"ep.yaml": ""}, "ep.yaml", "file is empty"),
    Case("comments-only", {"ep.yaml": "# nothing here\n---\n# still nothing\n"}, "ep.yaml", "file is empty"),
    Case(
        "huge-file",
        {"ep.yaml": E + "# " + "x" * source.MAX_BYTES + "\n"},
        "ep.yaml",
        "spec files are limited to",
    ),
    Case(
        "deeply-nested",
        {"ep.yaml": E + "env: " + "[" * 200 + "]" * 200 + "\n"},
        "ep.yaml:3",
        "nested deeper than 48",
    ),
    Case("alias-bomb", {"ep.yaml": alias_bomb()}, "ep.yaml:3", "alias bomb"),
    Case(
        "non-utf8",
        {"ep.yaml": (E + "repository: caf\xe9\n").encode("latin-1")},
        "ep.yaml:3",
        "not valid UTF-8 (byte 0xe9)",
    ),
    Case("utf16-bom", {"ep.yaml": (E + "repository: x\n").encode("utf-16")}, "ep.yaml:1", "not valid UTF-8"),
    # --- documents and the fleet -----------------------------------------------------------------------
    Case("missing-fleet", {"fleet.yaml": None, "ep.yaml": E}, "ep.yaml", "no fleet identity"),
    Case(
        "two-fleets",
        {"ep.yaml": FLEET},
        "fleet.yaml:1",
        "a second Fleet document; the fleet is already declared at",
    ),
    Case(
        "missing-kind",
        {"ep.yaml": "name: a\nrepository: x\n"},
        "ep.yaml:1",
        "missing 'kind' (Fleet or Endpoint)",
    ),
    Case("unknown-kind", {"ep.yaml": "kind: Endpiont\nname: a\n"}, "ep.yaml:1", "did you mean 'Endpoint'"),
    Case(
        "fleet-no-namespace",
        {"fleet.yaml": "kind: Fleet\nname: team\n"},
        "fleet.yaml:1",
        "namespace: this field is required",
    ),
    Case(
        "fleet-bad-name",
        {"fleet.yaml": FLEET.replace("name: team", "name: Team!")},
        "fleet.yaml:2",
        "fleet name must be lowercase",
    ),
    Case("fleet-unknown-key", {"fleet.yaml": FLEET + "owner: me\n"}, "fleet.yaml:19", "unknown key 'owner'"),
    Case(
        "defaults-with-name",
        {"fleet.yaml": FLEET.replace("defaults:\n", "defaults:\n  name: x\n")},
        "fleet.yaml:5",
        "defaults cannot set an endpoint name",
    ),
    Case(
        "defaults-wrong-type",
        {"fleet.yaml": FLEET.replace("max_replica: 1", "max_replica: two")},
        "fleet.yaml:13",
        "valid integer",
    ),
    Case(
        "fleet-endpoint-not-mapping",
        {"fleet.yaml": FLEET + "endpoints:\n  - just-a-name\n"},
        "fleet.yaml:20",
        "an endpoint must be a mapping",
    ),
    # --- names -----------------------------------------------------------------------------------------
    Case(
        "name-uppercase",
        {"ep.yaml": "kind: Endpoint\nname: Bad_Name\n"},
        "ep.yaml:2",
        "not a valid endpoint name",
    ),
    Case(
        "name-too-long",
        {"ep.yaml": "kind: Endpoint\nname: " + "a" * 33 + "\n"},
        "ep.yaml:2",
        "at most 32 characters",
    ),
    Case(
        "name-trailing-dash",
        {"ep.yaml": "kind: Endpoint\nname: a-\n"},
        "ep.yaml:2",
        "not a valid endpoint name",
    ),
    Case("name-number", {"ep.yaml": "kind: Endpoint\nname: 42\n"}, "ep.yaml:2", "valid string"),
    Case(
        "name-missing",
        {"ep.yaml": "kind: Endpoint\nrepository: x\n"},
        "ep.yaml:1",
        "name: this field is required",
    ),
    Case(
        "duplicate-names",
        {"ep.yaml": E, "more.yaml": E},
        "more.yaml:2",
        "duplicate endpoint name 'a'; first declared at",
    ),
    # --- types and unknown keys --------------------------------------------------------------------------
    ep("repositry: gpt2\n", 3, "unknown key 'repositry'; did you mean 'repository'", "unknown-key"),
    ep("max_replica: '2'\n", 3, "valid integer", "string-for-int"),
    ep("max_replica: 1.5\n", 3, "valid integer", "float-for-int"),
    ep("protect: 'yes'\n", 3, "valid boolean", "string-for-bool"),
    ep("env: [A, B]\n", 3, "valid dictionary", "list-for-mapping"),
    ep("env: {A: 1}\n", 3, "valid string", "int-env-value"),
    ep("env: {1A: x}\n", 3, "not a valid environment variable name", "bad-env-name"),
    ep("tags: prod\n", 3, "valid list", "string-for-list"),
    ep("accelerator: tpu\n", 3, "'cpu', 'gpu' or 'neuron'", "bad-accelerator"),
    ep("type: protected\n", 3, "legacy name of 'authenticated'", "type-protected"),
    ep("state: stopped\n", 3, "'running', 'paused' or 'scaled_to_zero'", "bad-state"),
    ep("path: api/v1\n", 3, "path must start with '/'", "route-path"),
    ep("smoke: {max_latency_ms: 0}\n", 3, "greater than 0", "smoke-latency"),
    ep("smoke: {expect: ok}\n", 3, "unknown key 'expect'", "smoke-unknown-key"),
    ep("repository: null\n", 3, "repository is required", "repository-null"),
    # --- impossible replicas and scaling -------------------------------------------------------------------
    ep(
        "min_replica: 3\nmax_replica: 1\n",
        3,
        "min_replica (3) is greater than max_replica (1)",
        "min-above-max",
    ),
    ep("min_replica: -1\n", 3, "greater than or equal to 0", "negative-min"),
    ep("max_replica: 0\n", 3, "greater than or equal to 1", "zero-max"),
    ep("scale_to_zero_timeout: 15\n", 3, "needs min_replica: 0", "scale-to-zero-needs-min-0"),
    ep("scaling_threshold: 0.8\n", 3, "needs scaling_metric", "threshold-without-metric"),
    ep("scaling_metric: cpu\n", 3, "'hardwareUsage' or 'pendingRequests'", "bad-scaling-metric"),
    # --- secrets -------------------------------------------------------------------------------------------
    ep("secrets: {API_KEY: hunter2}\n", 3, "literal secret values are not allowed", "literal-secret"),
    ep("secrets: {API_KEY: 12345}\n", 3, "literal secret values are not allowed", "literal-secret-number"),
    ep(
        "secrets: {K: {from_env: A, from_file: /x}}\n",
        3,
        "exactly one of from_env or from_file",
        "secret-two-sources",
    ),
    ep(
        "secrets: {K: {from_env: my-var}}\n", 3, "must be an environment variable name", "secret-bad-env-name"
    ),
    ep("secrets: {K: {value: hunter2}}\n", 3, "unknown key 'value'", "secret-value-key"),
    ep(
        "image:\n  custom:\n    url: ghcr.io/a/b:1\n    credentials: {username: bot, password: hunter2}\n",
        6,
        "credentials.password: literal secret values are not allowed",
        "literal-registry-password",
    ),
    ep(
        "image:\n  tgi:\n    url: ghcr.io/a/b:1\n    credentials: {username: bot, password: {from_env: P}}\n",
        3,
        "registry credentials are only allowed on a custom image",
        "credentials-not-custom",
    ),
    # --- images --------------------------------------------------------------------------------------------
    ep(
        "image: {tgii: {url: x}}\n",
        3,
        "unknown image variant 'tgii'; did you mean 'tgi'",
        "image-unknown-variant",
    ),
    ep("image: {tgi: {url: x}, tei: {url: y}}\n", 3, "exactly one variant key", "image-two-variants"),
    ep("image: {tgi: {}}\n", 3, "image.tgi needs a url", "image-no-url"),
    ep(
        "image: {tgi: {url: x, max_input_len: 1}}\n", 3, "unknown key 'max_input_len'", "image-unknown-option"
    ),
    ep("image: {llamacpp: {url: x}}\n", 3, "image.llamacpp needs ctx_size", "image-llamacpp-incomplete"),
    ep("image: {tgi: {url: x, port: 70000}}\n", 3, "less than or equal to 65535", "image-bad-port"),
    ep("image: tgi\n", 3, "image must be a mapping", "image-not-mapping"),
    # --- schedules -----------------------------------------------------------------------------------------
    ep(
        "schedule: {timezone: Mars/Olympus, uptime: Mon-Fri 08:00-19:00}\n",
        3,
        "unknown timezone 'Mars/Olympus'",
        "schedule-bad-timezone",
    ),
    ep("schedule: ofice\n", 3, "unknown schedule 'ofice'; did you mean 'office'", "schedule-unknown-name"),
    ep("schedule: {uptme: Mon-Fri 08:00-19:00}\n", 3, "unknown key 'uptme'", "schedule-unknown-key"),
    ep(
        "schedule: {uptime: Mon-Fri 08:00-19:00, off: stop}\n",
        3,
        "'pause' or 'scale_to_zero'",
        "schedule-bad-off",
    ),
    ep(
        "schedule_override: {state: maybe, until: '2026-01-01T00:00:00Z'}\n",
        3,
        "'up' or 'down'",
        "override-bad-state",
    ),
    ep("schedule: {uptime: Mon-Fri 25:00-19:00}\n", 3, "25:00", "window-bad-hour"),
    ep("schedule: {uptime: Funday 08:00-19:00}\n", 3, "Funday", "window-bad-day"),
    ep("schedule: {uptime: Mon-Fri 08:00}\n", 3, "window", "window-no-end"),
    # --- names, namespaces and tags cannot reach outside the fleet (issue 13) ---------------------------
    Case(
        "name-trailing-newline",
        {"ep.yaml": 'kind: Endpoint\nname: "a\\n"\n'},
        "ep.yaml:2",
        "not a valid endpoint name",
    ),
    ep("namespace: '..'\n", 3, "'..' is not a valid namespace", "namespace-dotdot"),
    ep("namespace: '.'\n", 3, "'.' is not a valid namespace", "namespace-dot"),
    ep("namespace: a/b\n", 3, "'a/b' is not a valid namespace", "namespace-slash"),
    ep("namespace: 'a\\n'\n", 3, "is not a valid namespace", "namespace-newline"),
    Case(
        "fleet-namespace-dotdot",
        {"fleet.yaml": FLEET.replace("namespace: emulator", "namespace: '..'")},
        "fleet.yaml:3",
        "'..' is not a valid namespace",
    ),
    Case(
        "fleet-name-newline",
        {"fleet.yaml": FLEET.replace("name: team", 'name: "team\\n"')},
        "fleet.yaml:2",
        "fleet name must be lowercase",
    ),
    ep("tags: ['hfleet:other']\n", 3, "reserved prefix 'hfleet'", "tag-forged-owner"),
    ep("tags: [HFLEET-protect]\n", 3, "use protect: true", "tag-forged-protect"),
    ep("tags: ['hfleet-secrets:00']\n", 3, "reserved prefix 'hfleet'", "tag-forged-secrets"),
    ep("tags: ['a,b']\n", 3, "without spaces or commas", "tag-comma"),
    ep("tags: ['two words']\n", 3, "without spaces or commas", "tag-space"),
    ep("tags: " + many(65, "t{i}") + "\n", 3, "at most 64 tags", "tags-too-many"),
    Case(
        "defaults-forged-owner-tag",
        {
            "fleet.yaml": FLEET.replace(
                "  type: authenticated\n", "  type: authenticated\n  tags: ['hfleet:x']\n"
            )
        },
        "fleet.yaml:15",
        "reserved prefix 'hfleet'",
    ),
    # --- bounded work --------------------------------------------------------------------------------
    Case("merge-bomb", {"ep.yaml": merge_bomb()}, "ep.yaml:4", "merge keys (<<) expand to more than"),
    ep("x: &x {a: 1, <<: *x}\n", 3, "a merge key (<<) refers to the mapping it is in", "merge-self"),
    ep(
        "schedule: {uptime: " + many(101, "Mon 08:00-09:00") + "}\n",
        3,
        "101 windows; a schedule takes at most 100",
        "schedule-too-many-windows",
    ),
    ep(
        "schedule: {holidays: " + many(1001, "'2026-01-01'") + "}\n",
        3,
        "1001 holidays; a schedule takes at most 1000",
        "schedule-too-many-holidays",
    ),
    # --- durations -----------------------------------------------------------------------------------
    ep(
        "min_replica: 0\nscale_to_zero_timeout: 90s\n",
        4,
        "must be a whole number of minutes (the API counts minutes), not 1m30s",
        "scale-to-zero-seconds",
    ),
    ep("min_replica: 0\nscale_to_zero_timeout: 15x\n", 4, "unknown unit 'x'", "scale-to-zero-bad-unit"),
    ep("schedule: {grace_period: '-5m'}\n", 3, "grace_period must not be negative", "grace-negative"),
    ep("schedule: {grace_period: 400d}\n", 3, "more than the maximum, 365d", "grace-too-long"),
    ep("schedule: {grace_period: 30m1h}\n", 3, "units go from largest to smallest", "grace-unit-order"),
    # --- one mistake, one clear problem ----------------------------------------------------------------
    ep("repo: gpt2\n", 3, "unknown key 'repo'; did you mean 'repository'?", "alias-repo"),
    ep("min_replicas: 1\n", 3, "did you mean 'min_replica'?", "alias-min-replicas"),
    ep("schedule: {tz: UTC}\n", 3, "unknown key 'tz'; did you mean 'timezone'?", "alias-schedule-tz"),
    # --- the engine's fields: ignore_changes, allow_replace, type ----------------------------------------
    ep(
        "ignore_changes: [max_replicas]\n",
        3,
        "unknown field 'max_replicas' in ignore_changes; did you mean 'max_replica'?",
        "ignore-changes-typo",
    ),
    ep("ignore_changes: [region]\n", 3, "'region' cannot be ignored", "ignore-changes-immutable"),
    ep("ignore_changes: [image.urll]\n", 3, "unknown image key 'urll'", "ignore-changes-image-key"),
    ep("ignore_changes: [env.1X]\n", 3, "is not an environment variable name", "ignore-changes-env"),
    ep("allow_replace: 'yes'\n", 3, "valid boolean", "allow-replace-string"),
    Case(
        "type-missing",
        {"fleet.yaml": FLEET.replace("  type: authenticated\n", ""), "ep.yaml": E},
        "ep.yaml:1",
        "type is required (on the endpoint or in the defaults); choose public (anyone, no token)",
    ),
    ep("type: privte\n", 3, "unknown type 'privte'; did you mean 'private'?", "type-typo"),
    ep("type: private\n", 3, "it needs private_link_account_id", "type-private-without-account"),
]


def file_cases() -> list[Case]:
    """The cases in bad_specs/: ``# expect: LINE MESSAGE`` on the first line."""
    out = []
    for path in sorted(HERE.glob("*.yaml")):
        first = path.read_text().splitlines()[0]
        match = re.match(r"#\s*expect:\s*(\d+)\s+(.+)$", first)
        assert match, f"{path.name}: first line must be '# expect: LINE MESSAGE'"
        line, message = int(match.group(1)), match.group(2).strip()
        where = path.name if line == 0 else f"{path.name}:{line}"
        out.append(Case(f"file:{path.stem}", {path.name: path.read_text()}, where, message))
    return out


ALL = CASES + file_cases()
COMMANDS = {"plan": ["plan"], "apply": ["apply", "--yes"]}


def write(directory: Path, case: Case) -> Path:
    directory.mkdir(parents=True)
    files: dict[str, str | bytes | None] = {"fleet.yaml": FLEET, **case.files}
    for name, body in files.items():
        if body is None:
            continue
        path = directory / name
        path.write_bytes(body if isinstance(body, bytes) else body.encode())
    return directory


def promised() -> dict[str, int]:
    """The number of cases each document promises ("More than N" / "N+ malformed specs")."""
    root = Path(__file__).parents[2]
    found = {}
    for name, pattern in (
        ("docs/guarantees.md", r"More than (\d+) malformed specs"),
        ("README.md", r"(\d+)\+ malformed specs"),
    ):
        match = re.search(pattern, (root / name).read_text())
        assert match, f"{name} no longer says how many bad specs are refused"
        found[name] = int(match.group(1))
    return found


def test_the_catalogue_holds_what_the_docs_promise() -> None:
    assert len({c.id for c in ALL}) == len(ALL)  # unique ids
    for name, count in promised().items():
        assert len(ALL) > count if name.endswith("guarantees.md") else len(ALL) >= count, (name, len(ALL))


@pytest.mark.parametrize("command", COMMANDS.values(), ids=COMMANDS.keys())
@pytest.mark.parametrize("case", [pytest.param(c, id=c.id, marks=c.marks) for c in ALL])
def test_a_bad_spec_is_refused_before_any_request(
    tmp_path: Path, emu: Any, url: str, case: Case, command: list[str]
) -> None:
    specs = write(tmp_path / "specs", case)
    code, out, err = helpers.run_cli("--api-url", url + "/v2", "--token", helpers.TOKEN, *command, str(specs))
    assert code == 1, out + err
    assert f"{specs}/{case.where}:" in err, err[:2000]
    assert case.message in err, err[:2000]
    assert "Traceback" not in err and out == ""
    assert emu.requests == []  # not a single request, let alone a write
