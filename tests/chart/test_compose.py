"""The chart composes: as a subchart of an umbrella chart, with values refused the way the programs
that read them would refuse them (git-sync's durations, hfleet's), literal tokens refused wherever
they could reach a pod, a `helm test` hook that validates the mounted specs, probes on the git-sync
sidecar, an optional NetworkPolicy, and the specs' secret files under one directory.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import helm_python as helm
import pytest

from reconciler.cli import parse_duration
from tests.chart.helpers import (
    CHART,
    NAMESPACE,
    ROOT,
    VALUE_SETS,
    Manifest,
    all_containers,
    by_kind,
    deep_merge,
    documents,
    hfleet_container,
    manifests,
    one,
    pod_spec,
    render,
    validate,
    workload,
)

BASE: dict[str, Any] = {
    "token": {"existingSecret": "hf-token"},
    "specs": {"files": {"fleet.yaml": "kind: Fleet\n"}},
}
# The shape of a real Hugging Face token (hf_ + 34 letters and digits); not a real one.
TOKEN = "hf_" + "AbCdEfGhIjKlMnOpQrStUvWxYz01234567"


# --- an umbrella chart ----------------------------------------------------------------------------


def umbrella(tmp_path: Path) -> Path:
    """A parent chart with hfleet as a dependency (vendored in charts/, as `helm dependency build`
    leaves it) and a template of its own."""
    root = tmp_path / "platform"
    (root / "templates").mkdir(parents=True)
    shutil.copytree(CHART, root / "charts" / "hfleet")
    (root / "Chart.yaml").write_text(
        "apiVersion: v2\nname: platform\nversion: 1.0.0\nicon: https://example.com/icon.svg\n"
        "dependencies:\n  - name: hfleet\n    version: 0.1.0\n    condition: hfleet.enabled\n"
    )
    (root / "values.yaml").write_text("global:\n  imageRegistry: registry.example.com\n  team: ml\n")
    (root / "templates" / "configmap.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-platform\n"
        "data:\n  team: {{ .Values.global.team | quote }}\n"
    )
    return root


UMBRELLA_VALUES = {
    "global": {"imageRegistry": "registry.example.com", "team": "ml"},
    "hfleet": deep_merge(BASE, {"mode": "controller", "prometheusRule": {"enabled": True}}),
}


def test_an_umbrella_chart_passing_global_renders_and_lints(tmp_path: Path) -> None:
    root = umbrella(tmp_path)
    with helm.Chart.load(root) as loaded:
        rendered = loaded.render(UMBRELLA_VALUES, name="platform", namespace=NAMESPACE)
    docs = documents(rendered)
    assert {d["kind"] for d in docs} >= {"Deployment", "PrometheusRule", "ConfigMap"}
    deploy = one(docs, "Deployment")
    assert deploy["metadata"]["name"] == "platform-hfleet"
    for doc in docs:
        validate(doc)
    report = helm.lint(root, UMBRELLA_VALUES, strict=True, namespace=NAMESPACE, with_subcharts=True)
    assert report["errors"] == [], report
    assert [m for m in report["messages"] if m["severity"] >= 2] == []


def test_the_umbrella_turns_hfleet_off_with_enabled(tmp_path: Path) -> None:
    values = deep_merge(UMBRELLA_VALUES, {"hfleet": {"enabled": False}})
    with helm.Chart.load(umbrella(tmp_path)) as loaded:
        rendered = loaded.render(values, name="platform", namespace=NAMESPACE)
    assert [d["kind"] for d in documents(rendered)] == ["ConfigMap"]


def test_global_and_enabled_are_in_the_schema(chart: Any) -> None:
    chart.validate_schema(deep_merge(BASE, {"global": {"anything": {"nested": [1]}}, "enabled": False}))
    with pytest.raises(helm.HelmValuesError, match="'/enabled'"):
        chart.validate_schema(deep_merge(BASE, {"enabled": "yes"}))


# --- durations, as the programs that read them parse them -------------------------------------------

# Go's time.ParseDuration (git-sync's --period), as Go's own table in src/time/time_test.go
# (parseDurationTests) has them, plus the ones git-sync then refuses: negative, zero, under 10ms.
GO_PERIODS = {
    "60s": True,
    "1m30s": True,
    "1h": True,
    "5.6s": True,
    "5.s": True,
    ".5s": True,
    "10.5s4m": True,
    "3h30m": True,
    "39h9m14.425s": True,
    "10ms": True,
    "1h2m3s4ms": True,
    "60": False,  # Go: missing unit
    "1d": False,  # Go: unknown unit "d"
    "": False,
    "s": False,
    ".s": False,
    "-5s": False,  # git-sync: must be at least 10ms
    "0s": False,
    "0.0m": False,
    "9ms": False,
    "0.5ms": False,
    "1 m": False,
    "5m ": False,
}


@pytest.mark.parametrize("period", sorted(GO_PERIODS))
def test_git_sync_period_is_a_go_duration(chart: Any, period: str) -> None:
    values = deep_merge(
        BASE, {"specs": {"source": "git", "git": {"repo": "https://x/y.git", "period": period}}}
    )
    if GO_PERIODS[period]:
        chart.validate_schema(values)
    else:
        with pytest.raises(helm.HelmValuesError, match="'/specs/git/period'"):
            chart.validate_schema(values)


@pytest.mark.parametrize(
    "interval",
    ["90", "90s", "5m", "1.5h", "1d", "60", "5 minutes", "1m30s", "5min", "", "1m1m", "5m3h", "-5s", "1x"],
)
def test_hfleet_durations_agree_with_hfleet(chart: Any, interval: str) -> None:
    """controller.interval and cronjob.waitTimeout reach hfleet's own parser: the schema admits exactly
    what it parses (the one duration parser, reconciler.durations)."""
    try:
        parse_duration(interval)
        parses = interval != ""
    except click.BadParameter:
        parses = False
    for key, values in (
        (
            "/controller/interval",
            deep_merge(BASE, {"mode": "controller", "controller": {"interval": interval}}),
        ),
        ("/cronjob/waitTimeout", deep_merge(BASE, {"cronjob": {"waitTimeout": interval}})),
    ):
        if parses:
            chart.validate_schema(values)
        else:
            with pytest.raises(helm.HelmValuesError, match=f"'{key}'"):
                chart.validate_schema(values)


# --- literal tokens, wherever they could reach a pod -----------------------------------------------

LITERAL_TOKENS: dict[str, tuple[dict[str, Any], str]] = {
    "token.value": ({"token": {"value": TOKEN}}, "additional properties 'value'"),
    "--token in extraArgs": ({"extraArgs": ["--token", "x"]}, "'/extraArgs/0'"),
    "--token= in extraArgs": ({"extraArgs": ["--token=x"]}, "'/extraArgs/0'"),
    "a token in extraArgs": ({"extraArgs": ["--api-url", TOKEN]}, "'/extraArgs/1'"),
    "HF_TOKEN in extraEnv": ({"extraEnv": [{"name": "HF_TOKEN", "value": "x"}]}, "'/extraEnv/0/name'"),
    "HUGGING_FACE_HUB_TOKEN in extraEnv": (
        {"extraEnv": [{"name": "HUGGING_FACE_HUB_TOKEN", "value": "x"}]},
        "'/extraEnv/0/name'",
    ),
    "a literal *_TOKEN in extraEnv": (
        {"extraEnv": [{"name": "CHAT_LLM_HF_TOKEN", "value": "x"}]},
        "'/extraEnv/0'",
    ),
    "a literal *_PASSWORD in extraEnv": (
        {"extraEnv": [{"name": "REGISTRY_PASSWORD", "value": "x"}]},
        "'/extraEnv/0'",
    ),
    "a token-shaped extraEnv value": (
        {"extraEnv": [{"name": "OTHER", "value": TOKEN}]},
        "'/extraEnv/0/value'",
    ),
    "a token in a spec file": (
        {"specs": {"files": {"chat.yaml": f"kind: Endpoint\nenv: {{X: {TOKEN}}}\n"}}},
        "'/specs/files/chat.yaml'",
    ),
    "--password in git-sync's extraArgs": (
        {"specs": {"source": "git", "git": {"repo": "https://x/y.git", "extraArgs": ["--password=p"]}}},
        "'/specs/git/extraArgs/0'",
    ),
}


@pytest.mark.parametrize("case", sorted(LITERAL_TOKENS))
def test_the_schema_refuses_literal_tokens(chart: Any, case: str) -> None:
    extra, where = LITERAL_TOKENS[case]
    with pytest.raises(helm.HelmValuesError) as caught:
        chart.validate_schema(deep_merge(BASE, extra))
    assert where in str(caught.value)
    assert TOKEN not in str(caught.value)


@pytest.mark.parametrize(
    "extra",
    [
        {"podAnnotations": {"note": TOKEN}},
        {"global": {"huggingface": {"token": TOKEN}}},
        {"extraEnvFrom": [{"prefix": TOKEN, "secretRef": {"name": "s"}}]},
    ],
    ids=["annotation", "global", "envFrom prefix"],
)
def test_rendering_refuses_a_token_anywhere_else(extra: dict[str, Any]) -> None:
    """Where the schema has no rule, the templates still refuse a token-shaped value, without
    repeating it."""
    with pytest.raises(helm.HelmError) as caught:
        render(deep_merge(BASE, extra))
    assert "a literal Hugging Face token is in the values" in str(caught.value)
    assert TOKEN not in str(caught.value)


def test_secret_references_are_still_welcome(chart: Any) -> None:
    values = deep_merge(
        BASE,
        {
            "extraEnv": [
                {"name": "CHAT_LLM_HF_TOKEN", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}},
                {"name": "TZ", "value": "UTC"},
            ],
            "extraArgs": ["--parallelism", "8"],
        },
    )
    chart.validate_schema(values)
    render(values)


# --- helm test ------------------------------------------------------------------------------------


def helm_test_pod(docs: list[Manifest]) -> Manifest:
    pods = [d for d in by_kind(docs, "Pod") if d["metadata"]["annotations"].get("helm.sh/hook") == "test"]
    assert len(pods) == 1
    return pods[0]


def test_helm_test_validates_the_mounted_specs(value_set: str) -> None:
    docs = manifests(value_set)
    pod, work = helm_test_pod(docs), pod_spec(workload(docs))
    assert (
        pod["metadata"]["annotations"]["helm.sh/hook-delete-policy"] == "before-hook-creation,hook-succeeded"
    )
    spec = pod["spec"]
    assert spec["restartPolicy"] == "Never" and spec["automountServiceAccountToken"] is False
    container = hfleet_container(spec)
    work_container = hfleet_container(work)
    # The same image and the same specs path the workload reads, with `validate` (no token, no API).
    assert container["image"] == work_container["image"]
    assert container["args"][:3] == ["--log-format", "json", "validate"]
    assert container["args"][-1] == work_container["args"][-1]
    assert not any(e["name"] == "HF_TOKEN" for e in container["env"])
    specs_mount = next(m for m in container["volumeMounts"] if m["mountPath"] in ("/specs", "/git"))
    assert specs_mount in work_container["volumeMounts"]
    volumes = {v["name"]: v for v in spec["volumes"]}
    assert volumes[specs_mount["name"]] == {v["name"]: v for v in work["volumes"]}[specs_mount["name"]]
    # A git source is cloned first, as for the workload.
    assert [c["name"] for c in spec.get("initContainers", [])] == [
        c["name"] for c in work.get("initContainers", [])
    ]
    for c in all_containers(spec):
        assert c["securityContext"]["readOnlyRootFilesystem"] is True
    # Never selected by the controller's ReplicaSet or Service (which would adopt or route to it).
    labels = pod["metadata"]["labels"]
    for deploy in by_kind(docs, "Deployment"):
        assert not deploy["spec"]["selector"]["matchLabels"].items() <= labels.items()
    for service in by_kind(docs, "Service"):
        assert not service["spec"]["selector"].items() <= labels.items()


@pytest.mark.parametrize("broken", [False, True])
def test_the_helm_test_command_runs(tmp_path: Path, broken: bool) -> None:
    """The test pod's command, run for real on the specs the chart ships in its ConfigMap (from
    --set-file of the repository's specs/): exit 0; a broken spec: exit 1."""
    files = {p.name: p.read_text() for p in sorted((ROOT / "specs").glob("*.yaml"))}
    if broken:
        files["embedder.yaml"] = files["embedder.yaml"].replace("max_replica:", "max_replicas:", 1)
    docs = documents(render(deep_merge(BASE, {"specs": {"files": files}})))
    specs = tmp_path / "specs"
    specs.mkdir()
    for name, text in one(docs, "ConfigMap")["data"].items():
        (specs / name).write_text(text)
    args = hfleet_container(helm_test_pod(docs)["spec"])["args"]
    assert args[-1] == "/specs"
    done = subprocess.run(
        [sys.executable, "-m", "reconciler", *args[:-1], str(specs)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == (1 if broken else 0), done.stdout + done.stderr
    if broken:
        assert "max_replicas" in done.stdout + done.stderr


# --- the git-sync sidecar ---------------------------------------------------------------------------


def test_git_sync_sidecar_has_probes_on_its_http_endpoint() -> None:
    pod = pod_spec(one(manifests("git-controller"), "Deployment"))
    (clone,) = pod["initContainers"]
    sidecar = next(c for c in pod["containers"] if c["name"] == "git-sync")
    (port,) = sidecar["ports"]
    assert port == {"name": "git-sync", "containerPort": 2020, "protocol": "TCP"}
    assert f"--http-bind=:{port['containerPort']}" in sidecar["args"]
    for probe in ("livenessProbe", "readinessProbe"):
        assert sidecar[probe]["httpGet"] == {"path": "/", "port": "git-sync"}
    # The one-time clone exits when done: no HTTP endpoint, and init containers take no probes.
    assert not any(a.startswith("--http-bind") for a in clone["args"])
    assert "livenessProbe" not in clone and "ports" not in clone


# --- NetworkPolicy ----------------------------------------------------------------------------------


def egress_ports(policy: Manifest) -> set[tuple[int, str]]:
    return {
        (p["port"], p["protocol"])
        for rule in policy["spec"]["egress"]
        if "to" not in rule
        for p in rule["ports"]
    }


def selects(policy: Manifest, labels: dict[str, str]) -> bool:
    return bool(policy["spec"]["podSelector"]["matchLabels"].items() <= labels.items())


def test_network_policy_for_the_controller() -> None:
    docs = manifests("controller")
    policy, deploy = one(docs, "NetworkPolicy"), one(docs, "Deployment")
    assert selects(policy, deploy["spec"]["template"]["metadata"]["labels"])
    assert selects(policy, helm_test_pod(docs)["metadata"]["labels"])
    assert policy["spec"]["policyTypes"] == ["Ingress", "Egress"]
    (ingress,) = policy["spec"]["ingress"]
    assert ingress["ports"] == [{"port": "metrics", "protocol": "TCP"}]
    assert "metrics" in {p["name"] for p in hfleet_container(pod_spec(deploy))["ports"]}
    assert ingress["from"] == VALUE_SETS["controller"]["networkPolicy"]["metricsFrom"]
    assert egress_ports(policy) == {(53, "UDP"), (53, "TCP"), (443, "TCP")}
    extra = [rule for rule in policy["spec"]["egress"] if "to" in rule]
    assert extra == VALUE_SETS["controller"]["networkPolicy"]["extraEgress"]


def test_network_policy_for_a_cronjob_admits_no_ingress() -> None:
    docs = manifests("secrets")
    policy = one(docs, "NetworkPolicy")
    assert selects(policy, workload(docs)["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"])
    assert policy["spec"]["ingress"] == []
    assert egress_ports(policy) == {(53, "UDP"), (53, "TCP"), (443, "TCP")}


def test_network_policy_opens_ssh_for_git_over_ssh() -> None:
    values = deep_merge(
        VALUE_SETS["git"],
        {
            "networkPolicy": {"enabled": True},
            "specs": {"git": {"repo": "git@github.com:a/b.git", "auth": {"type": "ssh"}}},
        },
    )
    policy = one(documents(render(values)), "NetworkPolicy")
    assert egress_ports(policy) == {(53, "UDP"), (53, "TCP"), (443, "TCP"), (22, "TCP")}


def test_no_network_policy_unless_enabled() -> None:
    assert not by_kind(manifests("cronjob"), "NetworkPolicy")


# --- secret files under one directory ---------------------------------------------------------------


def test_secret_files_live_under_the_secrets_dir() -> None:
    values = deep_merge(
        BASE,
        {
            "secretFilesDir": "/var/run/secrets/fleet",
            "secretFiles": [{"secretName": "a"}, {"secretName": "b", "dir": "bee"}],
        },
    )
    pod = pod_spec(workload(documents(render(values))))
    container = hfleet_container(pod)
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["HFLEET_SECRETS_DIR"] == "/var/run/secrets/fleet"
    mounts = {m["mountPath"] for m in container["volumeMounts"] if m["name"].startswith("secret-file-")}
    assert mounts == {"/var/run/secrets/fleet/a", "/var/run/secrets/fleet/bee"}


def test_two_secrets_in_one_directory_are_refused() -> None:
    values = deep_merge(BASE, {"secretFiles": [{"secretName": "a"}, {"secretName": "b", "dir": "a"}]})
    with pytest.raises(helm.HelmError, match="two Secrets are mounted at /run/secrets/hfleet/a"):
        render(values)


def test_monitoring_objects_need_controller_mode(chart: Any) -> None:
    """A CronJob serves no /metrics: asking it for a ServiceMonitor, alerts or a dashboard is an error,
    not something silently left out."""
    for where, extra in (
        ("'/metrics/serviceMonitor/enabled'", {"metrics": {"serviceMonitor": {"enabled": True}}}),
        ("'/prometheusRule/enabled'", {"prometheusRule": {"enabled": True}}),
        ("'/dashboard/enabled'", {"dashboard": {"enabled": True}}),
    ):
        with pytest.raises(helm.HelmValuesError) as caught:
            chart.validate_schema(deep_merge(BASE, extra))
        assert where in str(caught.value)
        chart.validate_schema(deep_merge(BASE, {"mode": "controller", **extra}))
