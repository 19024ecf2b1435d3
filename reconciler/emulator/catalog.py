"""The emulator's hardware catalog: vendors, regions, instance types and sizes with list prices.

Owns: ``COMPUTES`` (from the public price table in the API reference: USD per replica-hour) and
``provider_payload`` (the JSON of ``GET /v2/provider[/{namespace}]``). Called by: ``emulator.app``.
Must not: import anything outside the standard library.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["COMPUTES", "Compute", "find", "provider_payload"]


@dataclass(frozen=True)
class Compute:
    vendor: str
    region: str
    accelerator: str
    instance_type: str
    instance_size: str
    num_accelerators: int
    price: float
    architecture: str
    memory_gb: float
    gpu_memory_gb: int | None  # summed over the GPUs; an int, null on CPU rows (recorded)
    status: str = "available"

    @property
    def id(self) -> str:
        return f"{self.vendor}-{self.region}-{self.instance_type}-{self.instance_size}"


_GPU = {
    # instance type: (architecture, GPU memory per GPU, {size: price}, status)
    "nvidia-t4": ("Nvidia T4", 16, {"x1": 0.5, "x4": 3.0}, "available"),
    "nvidia-l4": ("Nvidia L4", 24, {"x1": 0.8, "x4": 3.8}, "available"),
    "nvidia-a10g": ("Nvidia A10G", 24, {"x1": 1.0, "x4": 5.0}, "available"),
    "nvidia-l40s": ("Nvidia L40S", 48, {"x1": 1.8, "x4": 8.3, "x8": 23.5}, "available"),
    "nvidia-a100": ("Nvidia A100", 80, {"x1": 2.5, "x2": 5.0, "x4": 10.0, "x8": 20.0}, "available"),
    "nvidia-h100": ("Nvidia H100", 80, {"x1": 4.5, "x2": 9.0, "x4": 18.0, "x8": 36.0}, "deprecated"),
    "nvidia-h200": ("Nvidia H200", 141, {"x1": 5.0, "x2": 10.0, "x4": 20.0, "x8": 40.0}, "available"),
}
_GCP_GPU = {
    "nvidia-t4": ("Nvidia T4", 16, {"x1": 0.5}, "available"),
    "nvidia-l4": ("Nvidia L4", 24, {"x1": 0.7, "x4": 3.8}, "available"),
    "nvidia-a100": ("Nvidia A100", 80, {"x1": 3.6, "x2": 7.2, "x4": 14.4, "x8": 28.8}, "available"),
    "nvidia-h100": ("Nvidia H100", 80, {"x1": 10.0, "x2": 20.0, "x4": 40.0, "x8": 80.0}, "available"),
}


def _build() -> tuple[Compute, ...]:
    rows: list[Compute] = []
    cpu_aws = {"x1": 0.033, "x2": 0.067, "x4": 0.134, "x8": 0.268, "x16": 0.536}
    for region in ("us-east-1", "eu-west-1"):
        for size, price in cpu_aws.items():
            n = int(size[1:])
            rows.append(
                Compute(
                    "aws", region, "cpu", "intel-spr", size, n, price, "Intel Sapphire Rapids", 2.0 * n, None
                )
            )
        for size, price in {"x1": 0.032, "x2": 0.064, "x4": 0.128, "x8": 0.256}.items():
            n = int(size[1:])
            rows.append(
                Compute(
                    "aws",
                    region,
                    "cpu",
                    "intel-icl",
                    size,
                    n,
                    price,
                    "Intel Ice Lake",
                    2.0 * n,
                    None,
                    "deprecated",
                )
            )
        for itype, (arch, mem, prices, status) in _GPU.items():
            for size, price in prices.items():
                n = int(size[1:])
                rows.append(
                    Compute("aws", region, "gpu", itype, size, n, price, arch, 16.0 * n, mem * n, status)
                )
        rows.append(Compute("aws", region, "neuron", "inf2", "x1", 1, 0.75, "AWS Inferentia2", 16.0, 32))
        rows.append(Compute("aws", region, "neuron", "inf2", "x12", 12, 12.0, "AWS Inferentia2", 384.0, 384))
    for size, price in {"x1": 0.06, "x2": 0.12, "x4": 0.24, "x8": 0.48}.items():
        n = int(size[1:])
        rows.append(
            Compute("azure", "eastus", "cpu", "intel-xeon", size, n, price, "Intel Xeon", 2.0 * n, None)
        )
    for size, price in {"x1": 0.05, "x2": 0.10, "x4": 0.20, "x8": 0.40}.items():
        n = int(size[1:])
        rows.append(
            Compute(
                "gcp", "us-east4", "cpu", "intel-spr", size, n, price, "Intel Sapphire Rapids", 2.0 * n, None
            )
        )
    for itype, (arch, mem, prices, status) in _GCP_GPU.items():
        for size, price in prices.items():
            n = int(size[1:])
            rows.append(
                Compute("gcp", "us-east4", "gpu", itype, size, n, price, arch, 16.0 * n, mem * n, status)
            )
    return tuple(rows)


COMPUTES: tuple[Compute, ...] = _build()
_BY_KEY = {(c.vendor, c.region, c.instance_type, c.instance_size): c for c in COMPUTES}
_LABELS = {"us-east-1": "N. Virginia", "eu-west-1": "Ireland", "eastus": "Virginia", "us-east4": "Virginia"}


def find(vendor: str, region: str, instance_type: str, instance_size: str) -> Compute | None:
    return _BY_KEY.get((vendor, region, instance_type, instance_size))


def provider_payload(quota: dict[str, tuple[int, int]] | None = None, cpu_quota: int = 60) -> dict[str, Any]:
    """``{"vendors": [...]}``. ``quota`` maps an instance type to (max, used); None gives the
    public, unnamespaced route's placeholders: zero for accelerators, ``cpu_quota`` for CPU rows
    (the recorded catalog answer carries 60 for intel-spr x1)."""
    vendors: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for c in COMPUTES:
        placeholder = (cpu_quota, 0) if c.accelerator == "cpu" else (0, 0)
        maximum, used = (quota or {}).get(c.instance_type, placeholder)
        row: dict[str, Any] = {
            "id": c.id,
            "accelerator": c.accelerator,
            "instanceType": c.instance_type,
            "instanceSize": c.instance_size,
            "architecture": c.architecture,
            "numAccelerators": c.num_accelerators,
            "memoryGb": c.memory_gb,
            "pricePerHour": c.price,
            "status": c.status,
            "quota": {"maxAccelerators": maximum, "usedAccelerators": used},
        }
        row["gpuMemoryGb"] = c.gpu_memory_gb  # null on CPU rows (recorded answer)
        if c.accelerator != "cpu":
            row["numCpus"] = 8 * c.num_accelerators  # missing on CPU rows (recorded answer)
        vendors.setdefault(c.vendor, {}).setdefault(c.region, []).append(row)
    return {
        "vendors": [
            {
                "name": vendor,
                "status": "available",
                "regions": [
                    {
                        "name": region,
                        "label": _LABELS.get(region, region),
                        "status": "available",
                        "computes": rows,
                    }
                    for region, rows in regions.items()
                ],
            }
            for vendor, regions in vendors.items()
        ]
    }
