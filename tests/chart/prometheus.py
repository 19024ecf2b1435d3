"""Finding Debian's Prometheus 2 binaries (``prometheus``, ``promtool``) for the monitoring tests.

``make test`` unpacks Debian's ``prometheus`` package into ``.venv/prometheus`` (not installed: an
installed package would start a Prometheus service on the machine); one on PATH is used otherwise.
A missing binary fails the test with the command that brings it, rather than skipping it.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

UNPACKED = Path(sys.executable).resolve().parent.parent / "prometheus" / "usr" / "bin"


def binary(name: str) -> str:
    beside = Path(sys.prefix) / "prometheus" / "usr" / "bin" / name
    for candidate in (beside, UNPACKED / name):
        if candidate.exists():
            return str(candidate)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: run `make prometheus` (Debian's prometheus package)")
    return found
