"""Promise: every power state reaches every other in one ``apply`` (with or without a config change
in the same run), including paused → scaled_to_zero, which the API only allows through a resume.

Regression tests for two bugs found by the property tests (fixed in ``reconciler/apply.py``):
paused → scaled_to_zero failed on every pass ("Endpoint is paused; resume it first"), and a config
change applied after a scale-to-zero woke the endpoint up again, costing a second pass.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from tests.engine import helpers as engine_helpers
from tests.reliability import helpers

STATES = ("running", "paused", "scaled_to_zero")
LIVE = {"running": "running", "paused": "paused", "scaled_to_zero": "scaledToZero"}


def spec(state: str, replicas: int) -> str:
    return f"state: {state}\nmin_replica: 0\nmax_replica: {replicas}\n"


def one_pass(specs: Path, api: Any) -> Any:
    return engine_helpers.one_pass(specs, api)


@pytest.mark.parametrize("change_config", [False, True], ids=["power-only", "with-config-change"])
@pytest.mark.parametrize(("before", "after"), list(itertools.permutations(STATES, 2)))
def test_one_apply_moves_between_any_two_power_states(
    tmp_path: Path, emu: Any, url: str, before: str, after: str, change_config: bool
) -> None:
    conn = helpers.connect(url)
    try:
        specs = helpers.write_specs(tmp_path / "specs", {"a": spec(before, 1)})
        for _ in range(2):  # created running, then turned off if need be
            one_pass(specs, conn.api)
        assert helpers.live_by_name(url)["a"]["status"]["state"] == LIVE[before]
        helpers.write_specs(specs, {"a": spec(after, 2 if change_config else 1)})
        _, report = one_pass(specs, conn.api)
        assert report.ok, report.data()
        live = helpers.live_by_name(url)["a"]
        # (running with min_replica 0 may rest scaled to zero: that is scale-to-zero doing its job)
        idle = {"scaledToZero"} if after == "running" and before == "scaled_to_zero" else set()
        assert live["status"]["state"] in {LIVE[after], *idle}
        assert live["compute"]["scaling"]["maxReplica"] == (2 if change_config else 1)
        again, _ = one_pass(specs, conn.api)
        assert not again.has_changes, [c.data() for c in again.changes]
    finally:
        conn.close()
