"""The Helm chart in charts/hfleet: rendered offline, linted, and every manifest schema-checked.

Each value set (the chart's ci/ files) is rendered once and every manifest validated, built-in kinds
with kubernetes-validate at the oldest and newest supported Kubernetes, the Prometheus Operator kinds
against their CRDs (tests/chart/helpers.py). The composition features (umbrella charts, NetworkPolicy,
helm test, secrets directory) are in test_compose.py; alerts and the dashboard in test_monitoring.py.
"""

from __future__ import annotations

import itertools
import re
import shlex
from pathlib import Path
from typing import Any

import helm_python as helm
import pytest
import yaml

from tests.chart.helpers import (
    CHART,
    GIT_SYNC_CONTAINERS,
    GIT_SYNC_UID,
    KUBE_VERSION,
    KUBE_VERSIONS,
    NAMESPACE,
    RELEASE,
    ROOT,
    VALUE_SETS,
    Manifest,
    all_containers,
    by_kind,
    deep_merge,
    hfleet_container,
    manifests,
    notes,
    one,
    pod_spec,
    validate,
    workload,
)

# --- every value set ------------------------------------------------------------------------------


@pytest.mark.parametrize("kube_version", [KUBE_VERSIONS[0], KUBE_VERSIONS[-1]])
def test_lint_is_clean(value_set: str, kube_version: str) -> None:
    """`helm lint --strict` at the oldest and the newest supported Kubernetes."""
    report = helm.lint(
        CHART, VALUE_SETS[value_set], strict=True, namespace=NAMESPACE, kube_version=f"v{kube_version}"
    )
    assert report["errors"] == []
    assert [m for m in report["messages"] if m["severity"] >= 2] == []


@pytest.mark.parametrize("kube_version", KUBE_VERSIONS)
def test_manifests_validate_against_kubernetes(value_set: str, kube_version: str) -> None:
    docs = manifests(value_set)
    assert docs
    for doc in docs:
        validate(doc, kube_version)


def test_every_resource_is_labelled(value_set: str) -> None:
    for doc in manifests(value_set):
        labels = doc["metadata"]["labels"]
        assert labels["app.kubernetes.io/name"] == "hfleet"
        assert labels["app.kubernetes.io/instance"] == RELEASE
        assert labels["app.kubernetes.io/managed-by"] == "Helm"


def test_pod_and_containers_are_locked_down(value_set: str) -> None:
    spec = pod_spec(workload(manifests(value_set)))
    assert spec["automountServiceAccountToken"] is False
    pod = spec["securityContext"]
    assert pod["runAsNonRoot"] is True
    assert pod["runAsUser"] == 10001
    assert pod["runAsGroup"] == 10001
    assert pod["fsGroup"] == 10001
    assert pod["seccompProfile"] == {"type": "RuntimeDefault"}
    for container in all_containers(spec):
        sc = container["securityContext"]
        assert sc["runAsNonRoot"] is True, container["name"]
        # git-sync keeps its image's user (see test_git_sync_runs_as_its_image_user).
        uid = GIT_SYNC_UID if container["name"] in GIT_SYNC_CONTAINERS else 10001
        assert sc["runAsUser"] == uid, container["name"]
        assert sc["runAsGroup"] == uid, container["name"]
        assert sc["readOnlyRootFilesystem"] is True, container["name"]
        assert sc["allowPrivilegeEscalation"] is False, container["name"]
        assert sc["capabilities"] == {"drop": ["ALL"]}, container["name"]
        assert sc["seccompProfile"] == {"type": "RuntimeDefault"}, container["name"]
        assert container["resources"]["requests"] and container["resources"]["limits"], container["name"]
    # Writable places under the read-only root: emptyDirs on /tmp and the state directory.
    volumes = {v["name"]: v for v in spec["volumes"]}
    mounts = {m["mountPath"]: m["name"] for m in hfleet_container(spec)["volumeMounts"]}
    assert "emptyDir" in volumes[mounts["/tmp"]]
    assert "emptyDir" in volumes[mounts["/var/lib/hfleet"]]
    env = {e["name"]: e for e in hfleet_container(spec)["env"]}
    assert env["HFLEET_STATE_DIR"]["value"] == "/var/lib/hfleet"
    assert env["HOME"]["value"] == "/tmp"


def test_token_only_from_a_secret_key_ref(value_set: str) -> None:
    values = VALUE_SETS[value_set]
    spec = pod_spec(workload(manifests(value_set)))
    for container in all_containers(spec):
        for var in container.get("env", []):
            if var["name"] == "HF_TOKEN":
                assert container["name"] == "hfleet"
                assert "value" not in var
                assert var["valueFrom"] == {
                    "secretKeyRef": {
                        "name": values["token"]["existingSecret"],
                        "key": values["token"].get("key", "token"),
                    }
                }
            else:
                assert not str(var.get("value", "")).startswith("hf_"), var
    assert [e["name"] for e in hfleet_container(spec)["env"]].count("HF_TOKEN") == 1
    assert by_kind(manifests(value_set), "Secret") == []  # the chart never creates the token Secret


def test_service_account_has_no_token(value_set: str) -> None:
    docs = manifests(value_set)
    sa = one(docs, "ServiceAccount")
    assert sa["automountServiceAccountToken"] is False
    assert pod_spec(workload(docs))["serviceAccountName"] == sa["metadata"]["name"]
    assert not by_kind(docs, "Role") and not by_kind(docs, "RoleBinding")


def test_notes_render(value_set: str) -> None:
    text = notes(value_set)
    assert f"mode: {VALUE_SETS[value_set].get('mode', 'cronjob')}" in text
    assert f"Secret {VALUE_SETS[value_set]['token']['existingSecret']}," in text


def test_notes_commands_are_real(value_set: str) -> None:
    """The hfleet commands NOTES.txt suggests (kubectl exec ... -- hfleet ...) parse with the real CLI,
    and read the specs where the container has them."""
    from tests.test_examples import parse

    commands = [
        shlex.split(line.split(" -- ", 1)[1])[1:]
        for line in notes(value_set).splitlines()
        if " -- hfleet " in line
    ]
    if VALUE_SETS[value_set].get("mode") == "controller":
        assert len(commands) == 2
    args = hfleet_container(pod_spec(workload(manifests(value_set))))["args"]
    for command in commands:
        _, ctx = parse(command)
        assert list(ctx.params["paths"]) == [args[-1]]


def test_hfleet_reads_a_mounted_config_map(tmp_path: Path) -> None:
    """A ConfigMap volume is the kubelet's atomic-writer layout: the data lives in a hidden
    timestamped directory, reached through `..data` and one symlink per key. hfleet walks the mount
    recursively, so it meets every file twice; it must load each once."""
    from reconciler.spec import loader

    data = tmp_path / "..2026_01_01_00_00_00.000000001"
    data.mkdir()
    files = sorted((ROOT / "specs").glob("*.yaml"))
    for spec in files:
        (data / spec.name).write_text(spec.read_text())
    (tmp_path / "..data").symlink_to(data.name)
    for spec in files:
        (tmp_path / spec.name).symlink_to(f"..data/{spec.name}")
    fleet = loader.load([str(tmp_path)])
    assert sorted(Path(f).name for f in fleet.files) == [f.name for f in files]
    assert len(fleet.endpoints) == len(loader.load([str(ROOT / "specs")]).endpoints)


# --- the default: a CronJob ----------------------------------------------------------------------


def test_cronjob_defaults() -> None:
    docs = manifests("cronjob")
    assert {d["kind"] for d in docs} == {"ServiceAccount", "ConfigMap", "CronJob", "Pod"}  # Pod: helm test
    cron = one(docs, "CronJob")
    assert cron["metadata"]["name"] == RELEASE
    spec = cron["spec"]
    assert spec["schedule"] == "*/5 * * * *"
    assert spec["concurrencyPolicy"] == "Forbid"
    assert spec["successfulJobsHistoryLimit"] == 3
    assert spec["failedJobsHistoryLimit"] == 3
    assert spec["startingDeadlineSeconds"] == 120
    job = spec["jobTemplate"]["spec"]
    assert job["backoffLimit"] == 1
    assert job["activeDeadlineSeconds"] == 1800
    # Exit 3 (refused as unsafe) fails the Job at once: a retry would only refuse again.
    refuse, disruption = job["podFailurePolicy"]["rules"]
    assert refuse == {
        "action": "FailJob",
        "onExitCodes": {"containerName": "hfleet", "operator": "In", "values": [3]},
    }
    assert disruption == {
        "action": "Ignore",
        "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}],
    }
    pod = pod_spec(cron)
    assert pod["restartPolicy"] == "Never"
    container = hfleet_container(pod)
    assert container["image"] == "ghcr.io/hfleet/hfleet:0.1.0"
    assert container["command"] == ["hfleet"]
    assert container["args"] == ["--log-format", "json", "apply", "--yes", "/specs"]
    assert "ports" not in container and "livenessProbe" not in container
    # Nothing listens in a Job: no scrape annotations.
    assert not any(k.startswith("prometheus.io/") for k in pod_template_annotations(cron))


def test_cronjob_mounts_the_specs_config_map() -> None:
    docs = manifests("cronjob")
    cm = one(docs, "ConfigMap")
    assert sorted(cm["data"]) == ["embedder.yaml", "fleet.yaml"]
    assert yaml.safe_load(cm["data"]["fleet.yaml"])["kind"] == "Fleet"
    pod = pod_spec(one(docs, "CronJob"))
    volumes = {v["name"]: v for v in pod["volumes"]}
    mount = next(m for m in hfleet_container(pod)["volumeMounts"] if m["mountPath"] == "/specs")
    assert mount["readOnly"] is True
    assert volumes[mount["name"]]["configMap"]["name"] == cm["metadata"]["name"]
    annotations = pod_template_annotations(one(docs, "CronJob"))
    assert len(annotations["checksum/specs"]) == 64  # a spec change rolls the pod template


def pod_template_annotations(doc: Manifest) -> dict[str, str]:
    template = (
        doc["spec"]["jobTemplate"]["spec"]["template"]
        if doc["kind"] == "CronJob"
        else doc["spec"]["template"]
    )
    annotations: dict[str, str] = template["metadata"].get("annotations", {})
    return annotations


def test_set_file_puts_real_specs_in_the_config_map(chart: Any, tmp_path: Path) -> None:
    """`--set-file specs.files.<name>\\.yaml=<path>` for every file of specs/ round-trips to a valid fleet."""
    from reconciler.spec import loader

    files = sorted((ROOT / "specs").glob("*.yaml"))
    expression = ",".join(f"specs.files.{f.name.replace('.', chr(92) + '.')}={f}" for f in files)
    values = deep_merge({"token": {"existingSecret": "hf-token"}}, helm.parse_set_file(expression))
    chart.validate_schema(values)
    rendered = chart.render(values, name=RELEASE, namespace=NAMESPACE)
    (cm,) = [d for d in yaml.safe_load_all(rendered["hfleet/templates/configmap-specs.yaml"]) if d]
    assert sorted(cm["data"]) == [f.name for f in files]
    for name, content in cm["data"].items():
        assert content == (ROOT / "specs" / name).read_text()
        (tmp_path / name).write_text(content)
    fleet = loader.load([str(tmp_path)])
    assert fleet.name == loader.load([str(ROOT / "specs")]).name
    assert len(fleet.endpoints) == len(files) - 1


def test_cronjob_wait_smoke_and_prune(chart: Any) -> None:
    values = deep_merge(
        VALUE_SETS["cronjob"],
        {
            "prune": True,
            "cronjob": {"wait": True, "smoke": True, "waitTimeout": "10m", "timeZone": "Europe/Paris"},
        },
    )
    rendered = chart.render(values, name=RELEASE, namespace=NAMESPACE)
    (cron,) = [d for d in yaml.safe_load_all(rendered["hfleet/templates/cronjob.yaml"]) if d]
    assert cron["spec"]["timeZone"] == "Europe/Paris"
    args = hfleet_container(pod_spec(cron))["args"]
    assert args == [
        "--log-format",
        "json",
        "apply",
        "--yes",
        "--wait",
        "--timeout",
        "10m",
        "--smoke",
        "--prune",
        "/specs",
    ]


# --- controller mode ------------------------------------------------------------------------------


def test_controller_deployment() -> None:
    docs = manifests("controller")
    assert {d["kind"] for d in docs} == {
        "ServiceAccount",
        "Deployment",
        "Service",
        "ServiceMonitor",
        "PrometheusRule",
        "ConfigMap",  # the Grafana dashboard
        "NetworkPolicy",
        "Pod",  # helm test
    }
    deploy = one(docs, "Deployment")
    assert deploy["spec"]["replicas"] == 1
    assert deploy["spec"]["strategy"] == {"type": "Recreate"}
    pod = pod_spec(deploy)
    container = hfleet_container(pod)
    assert container["command"] == ["hfleet"]
    assert container["args"] == (
        [
            "--log-format",
            "json",
            "reconcile",
            "--interval",
            "2m",
            "--listen",
            "0.0.0.0:8080",
            "--prune",
            "/specs",
        ]
    )
    assert container["ports"] == [{"name": "metrics", "containerPort": 8080, "protocol": "TCP"}]
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "metrics"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "metrics"}
    env = {e["name"]: e for e in container["env"]}
    assert env["HFLEET_API_URL"]["value"] == "http://hfleet-emulator.hfleet.svc:8765/v2"
    # An existing ConfigMap: none rendered, and no checksum to follow.
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["specs"]["configMap"]["name"] == "fleet-specs"
    assert "checksum/specs" not in pod_template_annotations(deploy)
    # Annotation-based Prometheus discovery finds the pod (only the pod: the Service is not
    # annotated, so such a Prometheus does not scrape twice).
    annotations = pod_template_annotations(deploy)
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/port"] == str(container["ports"][0]["containerPort"])
    assert annotations["prometheus.io/path"] == "/metrics"
    assert not any(
        k.startswith("prometheus.io/") for k in one(docs, "Service")["metadata"].get("annotations", {})
    )
    selector = deploy["spec"]["selector"]["matchLabels"]
    assert selector.items() <= deploy["spec"]["template"]["metadata"]["labels"].items()


def test_service_targets_the_controller() -> None:
    docs = manifests("controller")
    service, deploy = one(docs, "Service"), one(docs, "Deployment")
    assert service["spec"]["ports"] == [
        {"name": "metrics", "port": 8080, "targetPort": "metrics", "protocol": "TCP"}
    ]
    assert service["spec"]["selector"].items() <= deploy["spec"]["template"]["metadata"]["labels"].items()
    # /readyz fails after a failed pass; the metrics of that pass must still be scraped.
    assert service["spec"]["publishNotReadyAddresses"] is True


def test_service_monitor_shape() -> None:
    docs = manifests("controller")
    monitor, service = one(docs, "ServiceMonitor"), one(docs, "Service")
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert set(monitor) == {"apiVersion", "kind", "metadata", "spec"}
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    spec = monitor["spec"]
    assert set(spec) == {"selector", "namespaceSelector", "endpoints"}
    assert spec["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    assert spec["namespaceSelector"] == {"matchNames": [NAMESPACE]}
    (endpoint,) = spec["endpoints"]
    assert endpoint == {"port": "metrics", "path": "/metrics", "interval": "30s", "scrapeTimeout": "10s"}
    assert endpoint["port"] in {p["name"] for p in service["spec"]["ports"]}


def test_service_monitor_only_when_enabled(chart: Any) -> None:
    values = deep_merge(VALUE_SETS["controller"], {"metrics": {"serviceMonitor": {"enabled": False}}})
    rendered = chart.render(values, name=RELEASE, namespace=NAMESPACE)
    assert not rendered.get("hfleet/templates/servicemonitor.yaml", "").strip()


# --- specs from git -------------------------------------------------------------------------------


def _git_sync_flags(container: dict[str, Any]) -> dict[str, str]:
    flags: dict[str, str] = {}
    for arg in container["args"]:
        key, _, value = arg.partition("=")
        flags[key] = value
    return flags


def test_git_source_cronjob_clones_once() -> None:
    docs = manifests("git")
    assert not by_kind(docs, "ConfigMap")
    pod = pod_spec(one(docs, "CronJob"))
    (clone,) = pod["initContainers"]
    assert clone["image"] == "registry.k8s.io/git-sync/git-sync:v4.4.0"
    flags = _git_sync_flags(clone)
    assert flags["--repo"] == "https://github.com/acme/fleet.git"
    assert flags["--ref"] == "main"
    assert flags["--root"] == "/git"
    assert flags["--link"] == "current"
    assert flags["--period"] == "30s"
    assert "--one-time" in flags
    assert flags["--username"] == "x-access-token"
    assert flags["--password-file"] == "/etc/git-secret/token"
    assert [c["name"] for c in pod["containers"]] == ["hfleet"]
    container = hfleet_container(pod)
    assert container["args"][-1] == "/git/current/fleets/prod"
    assert container["args"][:4] == ["--log-format", "json", "apply", "--yes"]
    assert {"--wait", "--smoke"} <= set(container["args"])
    git_mount = next(m for m in container["volumeMounts"] if m["mountPath"] == "/git")
    assert git_mount["readOnly"] is True
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["git-secret"]["secret"]["secretName"] == "git-credentials"
    assert "emptyDir" in volumes[git_mount["name"]]
    assert one(docs, "CronJob")["spec"]["jobTemplate"]["spec"]["ttlSecondsAfterFinished"] == 86400


def test_git_source_controller_runs_a_sidecar() -> None:
    pod = pod_spec(one(manifests("git-controller"), "Deployment"))
    (clone,) = pod["initContainers"]  # the first clone happens before hfleet validates the specs
    assert "--one-time" in clone["args"]
    names = [c["name"] for c in pod["containers"]]
    assert names == ["hfleet", "git-sync"]
    sidecar = pod["containers"][1]
    assert "--one-time" not in sidecar["args"]
    assert _git_sync_flags(sidecar)["--period"] == "30s"
    args = hfleet_container(pod)["args"]
    assert args[2:4] == ["reconcile", "--interval"] and args[-1] == "/git/current/fleets/prod"


def test_git_ssh_auth(chart: Any) -> None:
    values = deep_merge(
        VALUE_SETS["git"],
        {"specs": {"git": {"repo": "git@github.com:acme/fleet.git", "subPath": "", "auth": {"type": "ssh"}}}},
    )
    rendered = chart.render(values, name=RELEASE, namespace=NAMESPACE)
    (cron,) = [d for d in yaml.safe_load_all(rendered["hfleet/templates/cronjob.yaml"]) if d]
    flags = _git_sync_flags(pod_spec(cron)["initContainers"][0])
    assert flags["--ssh-key-file"] == "/etc/git-secret/ssh"
    assert flags["--ssh-known-hosts-file"] == "/etc/git-secret/known_hosts"
    assert "--password-file" not in flags
    assert hfleet_container(pod_spec(cron))["args"][-1] == "/git/current"


def test_git_sync_runs_as_its_image_user(chart: Any) -> None:
    """ssh exits for a UID without a passwd entry, and git-sync's --add-user cannot write /etc/passwd
    under a read-only root: git-sync keeps its image's 65533 and reads the Secret through fsGroup."""
    values = deep_merge(
        VALUE_SETS["git-controller"],
        {"specs": {"git": {"repo": "git@github.com:acme/fleet.git", "auth": {"type": "ssh"}}}},
    )
    rendered = chart.render(values, name=RELEASE, namespace=NAMESPACE)
    (deploy,) = [d for d in yaml.safe_load_all(rendered["hfleet/templates/deployment.yaml"]) if d]
    pod = pod_spec(deploy)
    volumes = {v["name"]: v for v in pod["volumes"]}
    git_sync = [c for c in all_containers(pod) if c["name"] in GIT_SYNC_CONTAINERS]
    assert len(git_sync) == 2
    for container in git_sync:
        sc = container["securityContext"]
        assert (sc["runAsUser"], sc["runAsGroup"]) == (GIT_SYNC_UID, GIT_SYNC_UID)
        assert sc["readOnlyRootFilesystem"] is True and "--add-user" not in container["args"]
        mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        # A /tmp of its own, not shared with hfleet's UID.
        assert mounts["/tmp"] == "git-tmp" and "emptyDir" in volumes["git-tmp"]
    # The Secret is group-readable (0440) and the pod's fsGroup is a supplementary group of every
    # container, git-sync's included.
    assert volumes["git-secret"]["secret"]["defaultMode"] == 0o440
    assert pod["securityContext"]["fsGroup"] == 10001
    mounts = {m["mountPath"]: m["name"] for m in hfleet_container(pod)["volumeMounts"]}
    assert mounts["/tmp"] == "tmp"


# --- secrets for the specs and scheduling knobs ---------------------------------------------------


def test_extra_env_from_and_secret_files() -> None:
    values = VALUE_SETS["secrets"]
    pod = pod_spec(one(manifests("secrets"), "CronJob"))
    container = hfleet_container(pod)
    assert container["envFrom"] == values["extraEnvFrom"]
    assert {"name": "TZ", "value": "UTC"} in container["env"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    # Every Secret in its own directory under the one secrets directory hfleet is told about.
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["HFLEET_SECRETS_DIR"] == "/run/secrets/hfleet"
    for entry in values["secretFiles"]:
        mount = mounts[f"/run/secrets/hfleet/{entry.get('dir', entry['secretName'])}"]
        assert mount["readOnly"] is True
        secret = volumes[mount["name"]]["secret"]
        assert secret["secretName"] == entry["secretName"]
        assert secret["defaultMode"] == entry.get("defaultMode", 0o440)
        assert secret.get("items") == entry.get("items")
    args = container["args"]
    assert args[-5:] == ["--parallelism", "8", "--max-delete-fraction", "0.5", "/specs"]
    assert container["image"].endswith("@sha256:" + "0123456789abcdef" * 4)
    assert pod["imagePullSecrets"] == [{"name": "ghcr-pull"}]
    assert pod["nodeSelector"] == values["nodeSelector"]
    assert pod["tolerations"] == values["tolerations"]
    assert pod["affinity"] == values["affinity"]
    cron = one(manifests("secrets"), "CronJob")
    template_meta = cron["spec"]["jobTemplate"]["spec"]["template"]["metadata"]
    assert template_meta["labels"]["team"] == "ml-platform"
    assert template_meta["annotations"]["example.com/team"] == "ml-platform"


# --- the schema refuses bad values ----------------------------------------------------------------

BASE = {"token": {"existingSecret": "hf-token"}, "specs": {"files": {"fleet.yaml": "kind: Fleet\n"}}}
BAD_VALUES: dict[str, dict[str, Any]] = {
    "no token secret": {"specs": BASE["specs"]},
    "no spec files": {"token": BASE["token"]},
    "literal token": deep_merge(BASE, {"token": {"value": "hf_abc"}}),
    "HF_TOKEN through extraEnv": deep_merge(BASE, {"extraEnv": [{"name": "HF_TOKEN", "value": "hf_abc"}]}),
    "unknown mode": deep_merge(BASE, {"mode": "daemon"}),
    "unknown top-level key": deep_merge(BASE, {"replicaCount": 2}),
    "unknown nested key": deep_merge(BASE, {"cronjob": {"concurrencyPolicy": "Allow"}}),
    "bad schedule": deep_merge(BASE, {"cronjob": {"schedule": "every five minutes"}}),
    "bad interval": deep_merge(BASE, {"mode": "controller", "controller": {"interval": "5 parsecs"}}),
    "port as string": deep_merge(BASE, {"controller": {"port": "8080"}}),
    "git without repo": deep_merge(BASE, {"specs": {"source": "git"}}),
    "unknown spec source": deep_merge(BASE, {"specs": {"source": "s3"}}),
    "spec file not yaml": deep_merge(BASE, {"specs": {"files": {"fleet.json": "{}"}}}),
    "git auth without secret": deep_merge(
        BASE, {"specs": {"source": "git", "git": {"repo": "https://x/y.git", "auth": {"type": "https"}}}}
    ),
    "writable root": deep_merge(BASE, {"securityContext": {"readOnlyRootFilesystem": False}}),
    "privilege escalation": deep_merge(BASE, {"securityContext": {"allowPrivilegeEscalation": True}}),
    "root pod": deep_merge(BASE, {"podSecurityContext": {"runAsNonRoot": False}}),
    "root group": deep_merge(BASE, {"securityContext": {"runAsGroup": 0}}),
    "capability added": deep_merge(BASE, {"securityContext": {"capabilities": {"add": ["NET_ADMIN"]}}}),
    "capabilities kept": deep_merge(BASE, {"securityContext": {"capabilities": {"drop": ["NET_RAW"]}}}),
    "unconfined seccomp": deep_merge(
        BASE, {"podSecurityContext": {"seccompProfile": {"type": "Unconfined"}}}
    ),
    "relative secrets dir": deep_merge(BASE, {"secretFilesDir": "etc/secrets"}),
    "secrets dir over the state dir": deep_merge(BASE, {"secretFilesDir": "/var/lib/hfleet/secrets"}),
    "secret file dir with a slash": deep_merge(BASE, {"secretFiles": [{"secretName": "s", "dir": "a/b"}]}),
    "secret file with its own mount path": deep_merge(
        BASE, {"secretFiles": [{"secretName": "s", "mountPath": "/etc/secrets"}]}
    ),
    "envFrom with a literal": deep_merge(
        BASE, {"extraEnvFrom": [{"secretRef": {"name": "s"}, "value": "x"}]}
    ),
    "bad image digest": deep_merge(BASE, {"image": {"digest": "latest"}}),
    "log format": deep_merge(BASE, {"logFormat": "xml"}),
}


# Where the schema must point for each case (Helm's message names the offending key).
BAD_VALUE_LOCATIONS: dict[str, str] = {
    "no token secret": "'/token/existingSecret'",
    "no spec files": "'/specs/files'",
    "literal token": "additional properties 'value'",
    "HF_TOKEN through extraEnv": "'/extraEnv/0/name'",
    "unknown mode": "'/mode'",
    "unknown top-level key": "additional properties 'replicaCount'",
    "unknown nested key": "additional properties 'concurrencyPolicy'",
    "bad schedule": "'/cronjob/schedule'",
    "bad interval": "'/controller/interval'",
    "port as string": "'/controller/port'",
    "git without repo": "'/specs/git/repo'",
    "unknown spec source": "'/specs/source'",
    "spec file not yaml": "'fleet.json'",
    "git auth without secret": "'/specs/git/auth/existingSecret'",
    "writable root": "'/securityContext/readOnlyRootFilesystem'",
    "privilege escalation": "'/securityContext/allowPrivilegeEscalation'",
    "root pod": "'/podSecurityContext/runAsNonRoot'",
    "root group": "'/securityContext/runAsGroup'",
    "capability added": "'/securityContext/capabilities/add'",
    "capabilities kept": "'/securityContext/capabilities/drop'",
    "unconfined seccomp": "'/podSecurityContext/seccompProfile/type'",
    "relative secrets dir": "'/secretFilesDir'",
    "secrets dir over the state dir": "'/secretFilesDir'",
    "secret file dir with a slash": "'/secretFiles/0/dir'",
    "secret file with its own mount path": "additional properties 'mountPath'",
    "envFrom with a literal": "'/extraEnvFrom/0'",
    "bad image digest": "'/image/digest'",
    "log format": "'/logFormat'",
}


@pytest.mark.parametrize("case", sorted(BAD_VALUES))
def test_schema_rejects_bad_values(chart: Any, case: str) -> None:
    with pytest.raises(helm.HelmValuesError) as caught:
        chart.validate_schema(BAD_VALUES[case])
    assert BAD_VALUE_LOCATIONS[case] in str(caught.value)


def test_rendering_refuses_bad_values_too(chart: Any) -> None:
    with pytest.raises(helm.HelmValuesError, match="existingSecret"):
        chart.render({}, name=RELEASE, namespace=NAMESPACE)


def test_schema_accepts_every_value_set(chart: Any, value_set: str) -> None:
    chart.validate_schema(VALUE_SETS[value_set])


def test_values_yaml_and_schema_agree(chart: Any) -> None:
    """Every key of values.yaml is in the schema, and the defaults plus a token pass it."""
    schema = chart.schema
    assert schema is not None and schema["additionalProperties"] is False
    defaults = yaml.safe_load((CHART / "values.yaml").read_text())
    assert set(defaults) <= set(schema["properties"])
    chart.validate_schema(BASE)


# --- the helm commands in docs/deploy.md ----------------------------------------------------------


def doc_helm_installs() -> list[list[str]]:
    text = (ROOT / "docs" / "deploy.md").read_text()
    commands = []
    for block in re.findall(r"```console\n(.*?)```", text, flags=re.S):
        for command in re.sub(r"\\\n\s*", " ", block).splitlines():
            command = command.strip().removeprefix("$ ")
            if command.startswith("helm install"):
                commands.append(shlex.split(command))
    return commands


def test_docs_helm_commands_render(chart: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each `helm install` of docs/deploy.md, --set and --set-file parsed by Helm's own parsers,
    passes the schema, renders, and validates."""
    monkeypatch.chdir(ROOT)  # the --set-file paths are relative to the repository
    installs = doc_helm_installs()
    assert len(installs) == 4
    for argv in installs:
        assert argv[:4] == ["helm", "install", RELEASE, "charts/hfleet"]
        values: dict[str, Any] = {}
        for flag, value in itertools.pairwise(argv):
            if flag == "--set":
                values = deep_merge(values, helm.parse_set_string(value))
            elif flag == "--set-file":
                values = deep_merge(values, helm.parse_set_file(value))
        assert values["token"] == {"existingSecret": "hf-token"}
        rendered = chart.render(values, name=RELEASE, namespace="hfleet")
        for path, text in rendered.items():
            if path.endswith("NOTES.txt"):
                continue
            for doc in yaml.safe_load_all(text):
                if doc:
                    validate(doc, KUBE_VERSION)
