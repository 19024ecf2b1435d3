"""The package's public surface: ``__all__`` is complete, sorted and importable."""

from __future__ import annotations

import reconciler
import reconciler.emulator
import reconciler.inference


def test_all_is_sorted_and_importable() -> None:
    for module in (reconciler, reconciler.emulator, reconciler.inference):
        assert list(module.__all__) == sorted(module.__all__), module.__name__
        for name in module.__all__:
            assert hasattr(module, name), f"{module.__name__}.{name}"


def test_unknown_names_raise_attribute_error() -> None:
    import pytest

    with pytest.raises(AttributeError):
        _ = reconciler.NoSuchThing  # type: ignore[attr-defined]


def test_the_emulator_stands_alone() -> None:
    """Importing the emulator loads nothing of the engine (checked in a fresh interpreter)."""
    import subprocess
    import sys

    code = (
        "import sys, reconciler.emulator; "
        "leaked = sorted(m for m in sys.modules if m.startswith('reconciler.') "
        "and not m.startswith('reconciler.emulator')); print(leaked)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
