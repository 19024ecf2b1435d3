"""The hardware catalog: what exists where, at what price, and how much quota is left.

Owns: ``Catalog`` (the JSON of ``GET /v2/provider[/{namespace}]`` indexed by hardware),
``CatalogRow``, ``hardware_problem`` (is this vendor/region/type/size offered at all) and
``quota_problems`` / ``QuotaDemand``. Called by: ``reconciler.engine.cost`` (prices, quota) and
``reconciler.engine.run`` (hardware checked at plan time, before any write). Must not: talk to the
network; the caller fetches the catalog.

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

__all__ = ["Catalog", "CatalogRow", "QuotaDemand", "for_namespace", "hardware_problem", "quota_problems"]
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


def hardware_problem(
    catalog: Catalog,
    vendor: str,
    region: str,
    accelerator: str | None,
    instance_type: str,
    instance_size: str,
) -> tuple[str, str] | None:
    """The spec field at fault and why this hardware cannot be deployed (unknown vendor, region,
    type, size, or the wrong accelerator), or None. The message names the closest valid choices so
    a typo is fixed in one go."""
    import difflib

    rows = list(catalog)
    if not rows:
        return None  # an empty catalog says nothing

    def near(word: str, choices: set[str]) -> str:
        close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return hint or f" (offered: {', '.join(sorted(choices)[:8])})"

    vendors = {r.vendor for r in rows}
    if vendor not in vendors:
        return "vendor", f"vendor {vendor!r} is not in the hardware catalog{near(vendor, vendors)}"
    regions = {r.region for r in rows if r.vendor == vendor}
    if region not in regions:
        return "region", f"region {region!r} is not offered by {vendor}{near(region, regions)}"
    here = [r for r in rows if r.vendor == vendor and r.region == region]
    types = {r.instance_type for r in here}
    if instance_type not in types:
        hint = near(instance_type, types)
        return "instance_type", f"instance type {instance_type!r} is not offered in {vendor}/{region}{hint}"
    sizes = {r.instance_size for r in here if r.instance_type == instance_type}
    if instance_size not in sizes:
        hint = near(instance_size, sizes)
        return (
            "instance_size",
            f"instance size {instance_size!r} of {instance_type} is not offered in {vendor}/{region}{hint}",
        )
    row = catalog.row(vendor, region, instance_type, instance_size)
    if row is not None and accelerator and row.accelerator and row.accelerator != accelerator:
        return "accelerator", f"{instance_type} is a {row.accelerator} instance, not {accelerator}"
    return None


def for_namespace(catalogs: Mapping[str, Catalog], namespace: str) -> Catalog | None:
    """The catalog of ``namespace``, else any catalog read (prices are the same in every namespace;
    only quotas differ), else None. An empty catalog is still that namespace's: it is never
    replaced by another namespace's (``Catalog`` has a length, so ``or`` would have)."""
    found = catalogs.get(namespace)
    if found is not None:
        return found
    return next(iter(catalogs.values()), None)
