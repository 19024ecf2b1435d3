"""The cost model: list prices from the provider catalog, monthly estimates and quota checks.

Owns: ``Catalog`` (the JSON of ``GET /v2/provider[/{namespace}]`` indexed by hardware),
``CatalogRow``, ``monthly_cost`` / ``CostEstimate`` and ``quota_problems`` / ``QuotaDemand``.
Called by: the plan (quota refusal), ``hfleet cost`` / ``schedule`` views. Must not: talk to the
network or read the clock; the caller fetches the catalog and computes the share of time up
(``reconciler.schedule.evaluate.fraction_up``).

Billing (API reference §3.4): USD per replica-hour, billed while an endpoint is initializing or
running; a paused or scaled-to-zero endpoint is not billed. So an endpoint costs nothing while its
schedule has it off, and while up it runs between ``min_replica`` and ``max_replica`` replicas.

Quota: each catalog row carries ``quota.maxAccelerators`` / ``usedAccelerators``; a demand is
deployable when ``max - used >= needed`` (huggingface_hub's ``_is_deployable``). Demands are summed
per (vendor, region, instance type) before the check, so two new endpoints on the same hardware are
checked together; a negative delta (a shrink or delete) frees accelerators in the same group. The
unnamespaced route carries placeholder zero quotas: fetch the namespaced one.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "HOURS_PER_MONTH",
    "Catalog",
    "CatalogRow",
    "CostEstimate",
    "QuotaDemand",
    "monthly_cost",
    "quota_problems",
]

HOURS_PER_MONTH = 730.0  # 365 × 24 / 12
_NOT_DEPLOYABLE = ("deprecated", "not_available")

Key = tuple[str, str, str, str]


@dataclass(frozen=True)
class CatalogRow:
    """One compute of the catalog (a vendor, region, instance type and size)."""

    vendor: str
    region: str
    instance_type: str
    instance_size: str
    accelerator: str
    num_accelerators: int
    price_per_hour: float | None
    status: str
    max_accelerators: int | None
    used_accelerators: int | None

    @property
    def key(self) -> Key:
        return (self.vendor, self.region, self.instance_type, self.instance_size)

    @property
    def free_accelerators(self) -> int | None:
        if self.max_accelerators is None or self.used_accelerators is None:
            return None
        return self.max_accelerators - self.used_accelerators


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _float(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


class Catalog:
    """Hardware rows by (vendor, region, instance type, instance size)."""

    def __init__(self, rows: Mapping[Key, CatalogRow] | None = None) -> None:
        self._rows: dict[Key, CatalogRow] = dict(rows or {})

    @classmethod
    def from_json(cls, payload: Mapping[str, Any]) -> Catalog:
        """From ``{"vendors": [{"name", "regions": [{"name", "computes": [...]}]}]}``.

        Tolerant: malformed vendors, regions or computes are skipped, missing numbers become None.
        """
        rows: dict[Key, CatalogRow] = {}
        for vendor in payload.get("vendors") or []:
            if not isinstance(vendor, dict) or not isinstance(vendor.get("name"), str):
                continue
            for region in vendor.get("regions") or []:
                if not isinstance(region, dict) or not isinstance(region.get("name"), str):
                    continue
                for compute in region.get("computes") or []:
                    if not isinstance(compute, dict):
                        continue
                    itype, size = compute.get("instanceType"), compute.get("instanceSize")
                    if not isinstance(itype, str) or not isinstance(size, str):
                        continue
                    raw_quota = compute.get("quota")
                    quota: dict[str, Any] = raw_quota if isinstance(raw_quota, dict) else {}
                    row = CatalogRow(
                        vendor=vendor["name"],
                        region=region["name"],
                        instance_type=itype,
                        instance_size=size,
                        accelerator=str(compute.get("accelerator") or ""),
                        num_accelerators=_int(compute.get("numAccelerators")) or 1,
                        price_per_hour=_float(compute.get("pricePerHour")),
                        status=str(compute.get("status") or "available"),
                        max_accelerators=_int(quota.get("maxAccelerators")),
                        used_accelerators=_int(quota.get("usedAccelerators")),
                    )
                    rows[row.key] = row
        return cls(rows)

    def row(self, vendor: str, region: str, instance_type: str, instance_size: str) -> CatalogRow | None:
        return self._rows.get((vendor, region, instance_type, instance_size))

    def price(self, vendor: str, region: str, instance_type: str, instance_size: str) -> float | None:
        """USD per replica-hour, or None if the hardware is unknown or has no price."""
        found = self.row(vendor, region, instance_type, instance_size)
        return found.price_per_hour if found is not None else None

    def __iter__(self) -> Iterator[CatalogRow]:
        return iter(self._rows.values())

    def __len__(self) -> int:
        return len(self._rows)


@dataclass(frozen=True)
class CostEstimate:
    """USD over the period: ``low`` at ``min_replica`` replicas while up, ``high`` at ``max_replica``."""

    low: float
    high: float

    def __add__(self, other: CostEstimate) -> CostEstimate:
        return CostEstimate(self.low + other.low, self.high + other.high)


def monthly_cost(
    price_per_hour: float,
    min_replica: int,
    max_replica: int,
    fraction_up: float,
    *,
    hours: float = HOURS_PER_MONTH,
) -> CostEstimate:
    """The cost of one endpoint over ``hours`` (a month by default), billed only while it is up.

    ``low = price × max(min_replica, 0) × hours × fraction_up`` (0 with ``min_replica: 0``: it may
    scale to zero whenever idle) and ``high = price × max_replica × hours × fraction_up``.
    """
    if price_per_hour < 0:
        raise ValueError(f"price_per_hour must not be negative (got {price_per_hour})")
    if not 0.0 <= fraction_up <= 1.0:
        raise ValueError(f"fraction_up must be between 0 and 1 (got {fraction_up})")
    if hours < 0:
        raise ValueError(f"hours must not be negative (got {hours})")
    billed = price_per_hour * hours * fraction_up
    low_replicas = max(min_replica, 0)
    high_replicas = max(max_replica, low_replicas)
    return CostEstimate(low=billed * low_replicas, high=billed * high_replicas)


@dataclass(frozen=True)
class QuotaDemand:
    """Accelerators a plan adds (positive) or frees (negative) on one hardware row."""

    vendor: str
    region: str
    instance_type: str
    instance_size: str
    accelerators_delta: int


def quota_problems(catalog: Catalog, demands: list[QuotaDemand]) -> list[str]:
    """One message per hardware group the demands would push over quota (empty: deployable).

    Unknown hardware and, for positive demands, hardware that is deprecated or not available are
    reported too. Rows without quota numbers are not checked.
    """
    problems: list[str] = []
    groups: dict[tuple[str, str, str], list[QuotaDemand]] = {}
    for demand in demands:
        groups.setdefault((demand.vendor, demand.region, demand.instance_type), []).append(demand)
    for (vendor, region, itype), items in groups.items():
        where = f"{vendor}/{region}"
        needed = sum(d.accelerators_delta for d in items)
        reference: CatalogRow | None = None
        for demand in items:
            found = catalog.row(vendor, region, itype, demand.instance_size)
            if found is None:
                problems.append(
                    f"{itype} {demand.instance_size} is not in the {where} catalog; "
                    "cannot check its quota or price"
                )
                continue
            if demand.accelerators_delta > 0 and found.status in _NOT_DEPLOYABLE:
                problems.append(f"{itype} {demand.instance_size} in {where} is {found.status}")
            if reference is None or found.max_accelerators is not None:
                reference = found
        if reference is None or needed <= 0:
            continue
        free = reference.free_accelerators
        if free is None:
            continue
        if free < needed:
            assert reference.max_accelerators is not None and reference.used_accelerators is not None
            problems.append(
                f"quota exceeded for {itype} in {where}: the plan needs {needed} more "
                f"accelerator{'s' if needed != 1 else ''} but only {max(free, 0)} of "
                f"{reference.max_accelerators} are free ({reference.used_accelerators} used)"
            )
    return problems
