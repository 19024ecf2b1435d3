"""Hardware and quota: is an endpoint's compute in the catalog, and does it fit the namespace's quota.

Owns: ``Quotas`` (limits per namespace and instance type, usage, the catalog's quota view) and
``check`` (the 400s a create, an update or a resume gets: unknown instance, wrong accelerator,
deprecated type, bad replica bounds, vLLM/SGLang on several GPUs without a parallelism size,
``QUOTA_EXCEEDED``). Called by: the control-plane routes. Must not: write records.

Units (hf-endpoints-api.md §3.4): accelerators, ``maxReplica`` × ``numAccelerators`` per endpoint
that is not paused ([uncertain]: paused endpoints release their quota; the docs contradict each
other). What a create past quota really gets is unknown; the emulator answers 400 QUOTA_EXCEEDED.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from reconciler.emulator import catalog, wire
from reconciler.emulator.config import EmulatorConfig

__all__ = ["Quotas"]

Record = dict[str, Any]


def _bad(where: str, message: str) -> wire.HttpError:
    return wire.HttpError(400, f"VALIDATION_FAILED: {where}: {message}")


def _row(spec: dict[str, Any]) -> catalog.Compute | None:
    provider, compute = spec["provider"], spec["compute"]
    return catalog.find(
        str(provider.get("vendor", "")),
        str(provider.get("region", "")),
        str(compute.get("instanceType", "")),
        str(compute.get("instanceSize", "")),
    )


def _check_hardware(spec: dict[str, Any], row: catalog.Compute | None) -> None:
    provider, compute = spec["provider"], spec["compute"]
    if row is None:
        raise _bad(
            "compute",
            f"no instance {compute.get('instanceType')} {compute.get('instanceSize')} in "
            f"{provider.get('vendor')} {provider.get('region')}",
        )
    if row.accelerator != compute.get("accelerator"):
        raise _bad(
            "compute.accelerator",
            f"{compute.get('instanceType')} is a {row.accelerator} instance, "
            f"not {compute.get('accelerator')}",
        )
    if row.status in ("deprecated", "not_available"):
        raise _bad("compute", f"instance type {row.instance_type} is {row.status}")


def _check_scaling(spec: dict[str, Any], row: catalog.Compute | None) -> int:
    scaling = spec["compute"].get("scaling") or {}
    low, high = scaling.get("minReplica"), scaling.get("maxReplica")
    if not isinstance(low, int) or not isinstance(high, int) or low < 0 or high < 1 or low > high:
        raise _bad("compute.scaling", "need 0 <= minReplica <= maxReplica, maxReplica >= 1")
    ((variant, body),) = spec["model"]["image"].items()
    parallel = (body or {}).get("tensorParallelSize")
    # A multi-GPU vLLM/SGLang without a parallelism size is refused (HH-git guide); exact error unknown.
    multi_gpu = row is not None and row.accelerator == "gpu" and row.num_accelerators > 1
    if multi_gpu and variant in ("vLLM", "sGLang") and not parallel:
        raise _bad(
            f"model.image.{variant}",
            f"tensorParallelSize is required on a {row.num_accelerators if row else 0}-GPU instance",
        )
    return high


class Quotas:
    """Limits from the config; usage from the records, recomputed only when the store changed.

    A create used to recount every endpoint of the namespace, so creating a fleet of 5,000 took
    quadratic time (62 s of server CPU in the benchmark). Each endpoint's share (its instance type
    and accelerators, 0 while paused) only changes by a write, and the store counts its writes
    (``Store.generation``, which sees other processes' writes to a shared SQLite file too), so the
    shares of a namespace are cached under that generation.
    """

    def __init__(
        self,
        config: EmulatorConfig,
        state_of: Callable[[Record], str],
        generation: Callable[[], object] | None = None,
    ) -> None:
        self.config = config
        self.state_of = state_of
        self.generation = generation
        self._shares: dict[str, tuple[object, dict[str, tuple[str, int]]]] = {}

    def changed(
        self, namespace: str, name: str, record: Record | None, before: object, after: object
    ) -> None:
        """A store listener: keep a namespace's cached shares current through this process's own
        writes (a write by another process changes the generation differently: full recount)."""
        cached = self._shares.get(namespace)
        if cached is None or cached[0] != before:
            self._shares.pop(namespace, None)
            return
        shares = cached[1]
        if record is None:
            shares.pop(name, None)
        else:
            shares[name] = self._share(record)
        self._shares[namespace] = (after, shares)

    def _share(self, record: Record) -> tuple[str, int]:
        if self.state_of(record) == "paused":
            return ("", 0)
        compute = record["spec"]["compute"]
        row = _row(record["spec"])
        return (
            str(compute["instanceType"]),
            int(compute["scaling"]["maxReplica"]) * (row.num_accelerators if row else 1),
        )

    def shares(self, namespace: str, records: Callable[[], Iterable[Record]]) -> dict[str, tuple[str, int]]:
        """Each endpoint's (instance type, accelerators) in ``namespace``; ``records`` is read only
        when the store changed since the last call."""
        now = self.generation() if self.generation is not None else None
        cached = self._shares.get(namespace)
        if now is not None and cached is not None and cached[0] == now:
            return cached[1]
        fresh = {str(r["name"]): self._share(r) for r in records()}
        if now is not None:
            self._shares[namespace] = (now, fresh)
        return fresh

    def limit(self, namespace: str, instance_type: str) -> int:
        if (namespace, instance_type) in self.config.quotas:
            return self.config.quotas[(namespace, instance_type)]
        if instance_type.startswith(("intel-", "amd-")):
            return self.config.default_cpu_quota
        return self.config.default_gpu_quota

    def usage(
        self, namespace: str, records: Callable[[], Iterable[Record]], skip: str | None = None
    ) -> dict[str, int]:
        """Accelerators in use per instance type (maxReplica × accelerators), ``skip`` left out."""
        used: dict[str, int] = {}
        for name, (instance_type, count) in self.shares(namespace, records).items():
            if name != skip and count:
                used[instance_type] = used.get(instance_type, 0) + count
        return used

    def view(self, namespace: str, records: Callable[[], Iterable[Record]]) -> dict[str, tuple[int, int]]:
        """(max, used) per instance type of the catalog, for ``GET /v2/provider/{namespace}``."""
        used = self.usage(namespace, records)
        types = {row.instance_type for row in catalog.COMPUTES}
        return {t: (self.limit(namespace, t), used.get(t, 0)) for t in sorted(types)}

    def check(
        self,
        namespace: str,
        spec: dict[str, Any],
        records: Callable[[], Iterable[Record]],
        skip: str | None = None,
        hardware_changed: bool = True,
    ) -> None:
        """Refuse (400) what the server would refuse for ``spec`` in ``namespace``.

        ``hardware_changed=False`` (an update that keeps the hardware, a resume): an endpoint keeps
        hardware that was deprecated after it was made [uncertain; refusing would strand it].
        """
        row = _row(spec)
        if hardware_changed:
            _check_hardware(spec, row)
        high = _check_scaling(spec, row)
        instance_type = str(spec["compute"].get("instanceType"))
        limit = self.limit(namespace, instance_type)
        used = self.usage(namespace, records, skip=skip).get(instance_type, 0)
        wanted = high * (row.num_accelerators if row is not None else 1)
        if used + wanted > limit:
            raise wire.HttpError(
                400,
                f"QUOTA_EXCEEDED: {instance_type} in namespace '{namespace}': {used} of {limit} "
                f"accelerators used, {wanted} more requested",
            )
