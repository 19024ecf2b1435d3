"""The recorded answers of the real server, read where the project keeps them (never copied here).

``REAL_RESPONSES`` is ``shared/reference/real-responses/`` beside the repository
(``$HFLEET_REAL_RESPONSES`` overrides it). A missing directory is an error, not a skip: the contract
tests exist to compare the emulator with outside truth, and without it they would prove nothing.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

REAL_RESPONSES = Path(
    os.environ.get("HFLEET_REAL_RESPONSES")
    or Path(__file__).resolve().parents[3] / "shared" / "reference" / "real-responses"
)


def files() -> list[Path]:
    """Every recorded JSON answer; fails (never skips) when the directory is missing or empty."""
    found = sorted(REAL_RESPONSES.glob("*.json")) if REAL_RESPONSES.is_dir() else []
    if not found:
        raise AssertionError(
            f"no recorded real responses in {REAL_RESPONSES}: the contract tests need "
            "shared/reference/real-responses/*.json (or $HFLEET_REAL_RESPONSES pointing at a copy)"
        )
    return found


def load(name: str) -> Any:
    """One recorded answer by file name (e.g. ``catalog-deploy-2025-03.json``)."""
    path = REAL_RESPONSES / name
    if not path.is_file():
        files()  # the clear message when the whole directory is missing
        raise AssertionError(f"missing recorded answer {path}")
    return json.loads(path.read_text(encoding="utf-8"))
