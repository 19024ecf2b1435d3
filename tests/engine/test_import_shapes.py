"""``hfleet import`` reads any shape the server may send for an image without crashing (a review
found that a ``model.image: null`` record raised AttributeError and stopped the whole import)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from reconciler.engine import importer
from reconciler.wire import convert, record
from tests.emulator import recorded


@pytest.mark.parametrize("image", [None, [], "tgi", {"custom": None}, {"custom": {"credentials": "x"}}])
def test_odd_images_import_without_credentials(image: Any) -> None:
    raw = copy.deepcopy(recorded.load("hfhub-tests-running.json"))
    raw["model"]["image"] = image
    try:
        item = record.parse("acme", raw)
    except record.MalformedRecord:
        return  # refused at the boundary: reported by name, never imported
    assert convert.registry_credentials(item) is None
    doc, note = importer._document(item)
    assert doc["name"] == "my-endpoint-name" and note == ""


def test_redacted_credentials_put_the_image_under_ignore_changes() -> None:
    raw = copy.deepcopy(recorded.load("hfhub-tests-running.json"))
    raw["model"]["image"] = {
        "custom": {"url": "ghcr.io/acme/x:1", "credentials": {"username": "", "password": None}}
    }
    item = record.parse("acme", raw)
    assert convert.registry_credentials(item) == {"username": "", "password": "***"}
    doc, note = importer._document(item)
    assert doc["ignore_changes"] == ["image"] and "redacted" in note
