"""The package's public surface: ``__all__`` lists every public name, sorted, and nothing else."""

from __future__ import annotations

import inspect

import pytest

import reconciler.inference
from reconciler.inference import async_client, client, errors, types


@pytest.mark.parametrize("module", [reconciler.inference, client, async_client, errors, types])
def test_all_is_complete_and_sorted(module: object) -> None:
    exported = list(module.__all__)  # type: ignore[attr-defined]
    assert exported == sorted(exported)
    public = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and (inspect.isclass(value) or inspect.isfunction(value))
        and getattr(value, "__module__", "").startswith(module.__name__)  # type: ignore[attr-defined]
    }
    assert public <= set(exported)
    assert all(hasattr(module, name) for name in exported)


def test_sync_and_async_clients_offer_the_same_methods() -> None:
    def methods(cls: type) -> set[str]:
        return {n for n, _ in inspect.getmembers(cls, inspect.isfunction) if not n.startswith("_")}

    sync_methods = methods(client.InferenceClient) - {"close"}
    assert sync_methods == methods(async_client.AsyncInferenceClient) - {"aclose"}
