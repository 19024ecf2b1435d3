"""Promise: ``requirements.lock`` pins every runtime dependency of hfleet (and no dev tool), so that
``make audit`` (pip-audit) covers what users install."""

from __future__ import annotations

import re
import tomllib

from tests.reliability import helpers


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_the_lock_pins_every_runtime_dependency_and_no_dev_tool() -> None:
    project = tomllib.loads((helpers.ROOT / "pyproject.toml").read_text())["project"]
    lines = [x for x in (helpers.ROOT / "requirements.lock").read_text().splitlines() if x and x[0] != "#"]
    assert all(re.fullmatch(r"[a-z0-9][a-z0-9.\-]*==[^=\s]+", x) for x in lines), lines
    pinned = {x.split("==")[0] for x in lines}
    assert {_name(r) for r in project["dependencies"]} <= pinned
    dev_only = {_name(r) for r in project["optional-dependencies"]["dev"]} - {"huggingface-hub"}
    assert not (dev_only & pinned), dev_only & pinned
