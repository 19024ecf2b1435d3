"""The copy of the recorded real answers in tests/data/ is the project's reference collection, byte
for byte, wherever the reference sits beside the repository (a checkout of the project alone has
only the copy, which is why it exists)."""

from __future__ import annotations

import pytest

from tests.emulator import recorded


def test_the_copy_has_every_recorded_answer() -> None:
    names = {p.name for p in recorded.files()}
    assert (
        len(names) >= 6 and "catalog-deploy-2025-03.json" in names and "hfhub-tests-providers.json" in names
    )


@pytest.mark.skipif(not recorded.REFERENCE.is_dir(), reason="no reference collection beside this checkout")
def test_the_copy_matches_the_reference_collection() -> None:
    reference = {p.name: p.read_bytes() for p in recorded.REFERENCE.glob("*.json")}
    copy = {p.name: p.read_bytes() for p in recorded.files()}
    assert copy == reference
