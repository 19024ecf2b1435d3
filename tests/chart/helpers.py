"""Rendering the chart for the chart tests: value sets, rendered manifests, and schema validation.

Rendering uses helm-python-sdk (Helm v4's engine as a library, no helm binary, no cluster, no network):
``Chart.render`` coalesces the values and checks them against values.schema.json exactly like
``helm template``/``helm install``. Built-in kinds are validated with kubernetes-validate (strict:
unknown fields are errors); the Prometheus Operator kinds (ServiceMonitor, PrometheusRule) against
the CRDs' own ``openAPIV3Schema`` stored in tests/chart/crds/ (see SOURCE.md there), made strict the
same way.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import helm_python as helm
import jsonschema
import kubernetes_validate
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "hfleet"
CI_VALUES = CHART / "ci"
CRDS = Path(__file__).parent / "crds"
KUBE_VERSION = "1.33.0"
# Every manifest is also checked against the oldest Kubernetes the chart admits (Chart.yaml's
# kubeVersion) and the newest kubernetes-validate ships, so a field too new or removed shows.
_KUBE_MIN = re.fullmatch(
    r">=(\d+\.\d+\.\d+)-0", yaml.safe_load((CHART / "Chart.yaml").read_text())["kubeVersion"]
)
assert _KUBE_MIN is not None, "Chart.yaml kubeVersion is expected as >=X.Y.Z-0"
KUBE_MIN_VERSION = _KUBE_MIN.group(1)
KUBE_VERSIONS = sorted(
    {KUBE_MIN_VERSION, KUBE_VERSION, kubernetes_validate.utils.latest_version()},
    key=lambda v: tuple(int(part) for part in v.split(".")),
)
RELEASE = "hfleet"
NAMESPACE = "fleet-system"

Manifest = dict[str, Any]
# git-sync's image runs as 65533:65533, the only UID in its /etc/passwd (ssh needs one).
GIT_SYNC_UID = 65533
GIT_SYNC_CONTAINERS = {"git-clone", "git-sync"}


def ci_values(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((CI_VALUES / f"{name}-values.yaml").read_text())
    return data


def deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


# The value sets: the chart's ci/ files (also what `ct lint` uses) plus a git-backed controller.
VALUE_SETS: dict[str, dict[str, Any]] = {
    "cronjob": ci_values("cronjob"),
    "controller": ci_values("controller"),
    "git": ci_values("git"),
    "git-controller": deep_merge(ci_values("git"), {"mode": "controller"}),
    "secrets": ci_values("secrets"),
}


def render(values: dict[str, Any], *, name: str = RELEASE, namespace: str = NAMESPACE) -> dict[str, str]:
    with helm.Chart.load(CHART) as loaded:
        out: dict[str, str] = loaded.render(values, name=name, namespace=namespace)
    return out


def documents(rendered: dict[str, str]) -> list[Manifest]:
    """Every manifest of a render (NOTES.txt left out)."""
    docs: list[Manifest] = []
    for path, text in sorted(rendered.items()):
        if not path.endswith("NOTES.txt"):
            docs.extend(doc for doc in yaml.safe_load_all(text) if doc)
    return docs


@functools.cache
def _render(name: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(render(VALUE_SETS[name]).items()))


def manifests(name: str) -> list[Manifest]:
    return documents(dict(_render(name)))


def notes(name: str) -> str:
    return dict(_render(name))[f"{CHART.name}/templates/NOTES.txt"]


def by_kind(docs: list[Manifest], kind: str) -> list[Manifest]:
    return [d for d in docs if d["kind"] == kind]


def one(docs: list[Manifest], kind: str) -> Manifest:
    found = by_kind(docs, kind)
    assert len(found) == 1, f"expected one {kind}, got {[d['metadata']['name'] for d in found]}"
    return found[0]


def pod_spec(doc: Manifest) -> dict[str, Any]:
    if doc["kind"] == "CronJob":
        spec: dict[str, Any] = doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    elif doc["kind"] == "Pod":
        spec = doc["spec"]
    else:
        spec = doc["spec"]["template"]["spec"]
    return spec


def workload(docs: list[Manifest]) -> Manifest:
    found = by_kind(docs, "CronJob") + by_kind(docs, "Deployment")
    assert len(found) == 1
    return found[0]


def hfleet_container(spec: dict[str, Any]) -> dict[str, Any]:
    (container,) = [c for c in spec["containers"] if c["name"] == "hfleet"]
    return container


def all_containers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return list(spec.get("initContainers", [])) + list(spec["containers"])


# --- validation ---------------------------------------------------------------------------------


def _strict(schema: Any) -> Any:
    """A CRD's structural schema made strict: objects with declared properties take no others
    (what ``kubectl apply --validate=strict`` does), unless the CRD preserves unknown fields."""
    if isinstance(schema, list):
        return [_strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _strict(v) for k, v in schema.items()}
    if "properties" in out and not out.get("x-kubernetes-preserve-unknown-fields"):
        out.setdefault("additionalProperties", False)
    return out


@functools.cache
def crd_schemas() -> dict[tuple[str, str], dict[str, Any]]:
    """``{(apiVersion, kind): strict JSON schema}`` of the stored CRDs' served versions."""
    schemas: dict[tuple[str, str], dict[str, Any]] = {}
    for path in sorted(CRDS.glob("*.yaml")):
        crd = yaml.safe_load(path.read_text())
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            if version.get("served"):
                schema = _strict(version["schema"]["openAPIV3Schema"])
                schemas[(f"{group}/{version['name']}", kind)] = schema
    return schemas


def validate(doc: Manifest, kube_version: str = KUBE_VERSION) -> None:
    """Raise AssertionError naming the field when ``doc`` is not a valid object of its kind."""
    crd = crd_schemas().get((doc["apiVersion"], doc["kind"]))
    where = f"{kube_version}: {doc['kind']}/{doc['metadata']['name']}"
    if crd is not None:
        errors = sorted(jsonschema.Draft7Validator(crd).iter_errors(doc), key=lambda e: list(e.path))
        assert not errors, f"{where}: " + "; ".join(
            f"{'.'.join(str(p) for p in e.path)}: {e.message}" for e in errors
        )
        return
    try:
        kubernetes_validate.validate(doc, kube_version, strict=True)
    except kubernetes_validate.ValidationError as exc:
        raise AssertionError(f"{where}: {'.'.join(str(p) for p in exc.path)}: {exc.message}") from None
