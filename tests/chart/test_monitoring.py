"""The chart's alerting rules and Grafana dashboard, checked with Prometheus' own tools.

- ``promtool check rules`` on the rendered PrometheusRule's groups, and ``promtool test rules`` with
  tests/chart/alerts/hfleet_test.yaml: each alert fires on the series that should fire it, stays
  quiet on those that should not, and renders its summary as written.
- The dashboard: every panel's query names metrics that reconciler.metrics exposes, and parses as
  PromQL (promtool checks it as a recording rule). test_prometheus.py runs them against a real server.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler import metrics
from tests.chart.helpers import ROOT, Manifest, deep_merge, documents, one, render
from tests.chart.prometheus import binary

ALERT_TESTS = Path(__file__).parent / "alerts" / "hfleet_test.yaml"
OPERATIONS = ROOT / "docs" / "operations.md"
CONTROLLER = {
    "mode": "controller",
    "token": {"existingSecret": "hf-token"},
    "specs": {"existingConfigMap": "fleet-specs"},
    "prometheusRule": {"enabled": True},
    "dashboard": {"enabled": True},
}


def rendered(extra: dict[str, Any] | None = None) -> list[Manifest]:
    return documents(render(deep_merge(CONTROLLER, extra or {})))


def rules_file(docs: list[Manifest], directory: Path) -> Path:
    """The PrometheusRule's groups as a plain Prometheus rule file."""
    path = directory / "rules.yaml"
    path.write_text(
        yaml.safe_dump({"groups": one(docs, "PrometheusRule")["spec"]["groups"]}, sort_keys=False)
    )
    return path


def alert_names(docs: list[Manifest]) -> list[str]:
    return [r["alert"] for g in one(docs, "PrometheusRule")["spec"]["groups"] for r in g["rules"]]


def promtool(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [binary("promtool"), *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )


def dashboard(docs: list[Manifest]) -> dict[str, Any]:
    configmap = next(
        d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"].endswith("-dashboard")
    )
    data: dict[str, Any] = json.loads(configmap["data"]["hfleet.json"])
    return data


def dashboard_queries(board: dict[str, Any]) -> list[tuple[str, str]]:
    return [(p["title"], t["expr"]) for p in board["panels"] for t in p["targets"]]


def concrete(expr: str) -> str:
    """A dashboard query with Grafana's variables replaced, as Grafana would send it."""
    return expr.replace("$__rate_interval", "1m").replace('"$job"', '".*"')


# --- alerts -------------------------------------------------------------------------------------


def test_rules_pass_promtool_check(tmp_path: Path) -> None:
    result = promtool("check", "rules", str(rules_file(rendered(), tmp_path)), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 6 rules found" in result.stdout


def test_every_alert_passes_its_unit_tests(tmp_path: Path) -> None:
    rules_file(rendered(), tmp_path)
    shutil.copy(ALERT_TESTS, tmp_path / ALERT_TESTS.name)
    result = promtool("test", "rules", ALERT_TESTS.name, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_the_unit_tests_can_fail(tmp_path: Path) -> None:
    """The same tests against rules with one threshold moved (drift after 1h) fail: they pin the
    thresholds, not only the syntax."""
    rules_file(rendered({"prometheusRule": {"driftFor": "1h"}}), tmp_path)
    shutil.copy(ALERT_TESTS, tmp_path / ALERT_TESTS.name)
    result = promtool("test", "rules", ALERT_TESTS.name, cwd=tmp_path)
    assert result.returncode != 0
    assert "alertname: HfleetDriftPersists, time: 50m" in result.stdout + result.stderr


def test_each_alert_has_a_firing_and_a_quiet_case() -> None:
    cases: dict[str, set[bool]] = {}
    for group in yaml.safe_load(ALERT_TESTS.read_text())["tests"]:
        for case in group["alert_rule_test"]:
            cases.setdefault(case["alertname"], set()).add(bool(case["exp_alerts"]))
    assert sorted(cases) == sorted(alert_names(rendered()))
    assert all(kinds == {True, False} for kinds in cases.values()), cases


def test_alerts_name_only_metrics_hfleet_exposes() -> None:
    for group in one(rendered(), "PrometheusRule")["spec"]["groups"]:
        for rule in group["rules"]:
            assert metric_names(rule["expr"]) <= exposed(), rule["alert"]


def test_disabled_alerts_and_extra_labels() -> None:
    docs = rendered(
        {
            "prometheusRule": {
                "disabled": {"HfleetApiRetriesClimbing": True, "HfleetDriftPersists": True},
                "alertLabels": {"team": "ml-platform"},
                "labels": {"release": "kube-prometheus-stack"},
            }
        }
    )
    assert "HfleetApiRetriesClimbing" not in alert_names(docs) and "HfleetDriftPersists" not in alert_names(
        docs
    )
    assert len(alert_names(docs)) == 4
    rule = one(docs, "PrometheusRule")
    assert rule["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    for r in rule["spec"]["groups"][0]["rules"]:
        assert r["labels"]["team"] == "ml-platform" and r["labels"]["severity"] in {"warning", "critical"}


def test_every_alert_is_explained_in_the_operations_guide() -> None:
    text = OPERATIONS.read_text()
    anchors = {
        re.sub(r"[^a-z0-9 -]", "", h.lower()).replace(" ", "-") for h in re.findall(r"^#+ (.+)$", text, re.M)
    }
    for group in one(rendered(), "PrometheusRule")["spec"]["groups"]:
        for rule in group["rules"]:
            url = rule["annotations"]["runbook_url"]
            assert url.startswith("https://github.com/hfleet/hfleet/blob/main/docs/operations.md#")
            assert url.rsplit("#", 1)[1] in anchors, rule["alert"]


# --- the dashboard ----------------------------------------------------------------------------------


def exposed() -> set[str]:
    """Every sample name hfleet's registry can expose (counters with _total, histograms' series...)."""
    names: set[str] = set()
    for family in metrics.REGISTRY.collect():
        names.add(family.name)
        names.update(s.name for s in family.samples)
        if family.type == "histogram":
            names.update(f"{family.name}_{suffix}" for suffix in ("bucket", "count", "sum"))
        if family.type == "counter":
            names.add(f"{family.name}_total")
        if family.type == "info":
            names.add(f"{family.name}_info")
    return names


def metric_names(expr: str) -> set[str]:
    return set(re.findall(r"\bhfleet_[a-z_]+\b", expr))


def test_dashboard_config_map_for_the_grafana_sidecar() -> None:
    docs = rendered({"dashboard": {"annotations": {"grafana_folder": "Platform"}}})
    configmap = next(d for d in docs if d["metadata"]["name"].endswith("-dashboard"))
    assert configmap["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert configmap["metadata"]["annotations"] == {"grafana_folder": "Platform"}
    assert list(configmap["data"]) == ["hfleet.json"]


def test_dashboard_panels_query_metrics_that_exist() -> None:
    board = dashboard(rendered())
    assert board["uid"] and board["title"] == "hfleet"
    ids = [p["id"] for p in board["panels"]]
    assert len(ids) == len(set(ids))
    variables = {v["name"]: v for v in board["templating"]["list"]}
    assert (
        variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"
    )
    names = exposed()
    queried: set[str] = set()
    for title, expr in dashboard_queries(board):
        found = metric_names(expr)
        assert found, f"{title}: no hfleet metric in {expr}"
        assert found <= names, f"{title}: {sorted(found - names)} is not a metric hfleet exposes"
        queried |= found
    for panel in board["panels"]:
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
    # What the issue asks the dashboard to show.
    for required in (
        "hfleet_endpoints",
        "hfleet_drift_endpoints",
        "hfleet_spend_rate_usd_per_hour",
        "hfleet_reconcile_duration_seconds_bucket",
        "hfleet_api_request_duration_seconds_bucket",
    ):
        assert required in queried


def test_dashboard_queries_are_valid_promql(tmp_path: Path) -> None:
    board = dashboard(rendered())
    rules = [
        {"record": f"hfleet:dashboard:{i}", "expr": concrete(expr)}
        for i, (_, expr) in enumerate(dashboard_queries(board))
    ]
    path = tmp_path / "dashboard-rules.yaml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    result = promtool("check", "rules", str(path), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("broken", ["sum(hfleet_endpoints", "rate(hfleet_api_requests_total)"])
def test_promtool_catches_a_broken_query(tmp_path: Path, broken: str) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "x", "rules": [{"record": "x:y", "expr": broken}]}]}))
    assert promtool("check", "rules", str(path), cwd=tmp_path).returncode != 0
