"""The recorded answers of the real server: ``tests/data/real-responses/`` (a copy of the project's
reference collection, ``shared/reference/real-responses/``, with its provenance in a README).

``$HFLEET_REAL_RESPONSES`` points at another collection. A missing directory is an error, not a
skip: the contract tests exist to compare the emulator with outside truth, and without it they would
prove nothing. ``REFERENCE`` is the collection beside the repository, when there is one: a test holds
the copy to it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "real-responses"
REAL_RESPONSES = Path(
    os.environ.get("HFLEET_REAL_RESPONSES") or Path(__file__).resolve().parents[1] / "data" / "real-responses"
)


def files() -> list[Path]:
    """Every recorded JSON answer; fails (never skips) when the directory is missing or empty."""
    found = sorted(REAL_RESPONSES.glob("*.json")) if REAL_RESPONSES.is_dir() else []
    if not found:
        raise AssertionError(
            f"no recorded real responses in {REAL_RESPONSES}: the contract tests need "
            "tests/data/real-responses/*.json (or $HFLEET_REAL_RESPONSES pointing at a copy)"
        )
    return found


def load(name: str) -> Any:
    """One recorded answer by file name (e.g. ``catalog-deploy-2025-03.json``)."""
    path = REAL_RESPONSES / name
    if not path.is_file():
        files()  # the clear message when the whole directory is missing
        raise AssertionError(f"missing recorded answer {path}")
    return json.loads(path.read_text(encoding="utf-8"))
