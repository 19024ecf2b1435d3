"""The hardware catalog, read from the real server's recorded answer: rows, prices, quotas, checks."""

from __future__ import annotations

import json

import pytest

from reconciler.engine.catalog import Catalog, QuotaDemand, hardware_problem, quota_problems
from tests.emulator import recorded

RECORDED = recorded.REAL_RESPONSES / "hfhub-tests-providers.json"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    """``GET /v2/provider/{namespace}`` as huggingface_hub's maintainers recorded it."""
    assert RECORDED.is_file(), f"the recorded real answer is missing: {RECORDED}"
    return Catalog.from_json(json.loads(RECORDED.read_text()))


def test_recorded_catalog_rows_prices_and_quotas(catalog: Catalog) -> None:
    assert len(catalog) == 3
    assert catalog.price("aws", "us-east-1", "nvidia-l4", "x1") == 0.8
    assert catalog.price("aws", "us-east-1", "intel-spr", "x1") == 0.033
    cpu = catalog.row("aws", "us-east-1", "intel-spr", "x1")
    assert (
        cpu is not None
        and cpu.accelerator == "cpu"
        and (cpu.max_accelerators, cpu.used_accelerators) == (60, 0)
    )
    a100 = catalog.row("gcp", "us-east4", "nvidia-a100", "x8")
    assert a100 is not None and a100.status == "reserved" and a100.num_accelerators == 8
    assert a100.free_accelerators == 2


def test_catalog_is_tolerant_of_junk() -> None:
    payload = {
        "vendors": [
            "junk",
            {"name": "aws", "regions": [{"name": "r", "computes": [{"instanceType": "t"}, 3, {}]}]},
            {
                "name": "aws",
                "regions": [
                    {
                        "name": "r",
                        "computes": [{"instanceType": "t", "instanceSize": "x1", "pricePerHour": True}],
                    }
                ],
            },
        ]
    }
    catalog = Catalog.from_json(payload)
    row = catalog.row("aws", "r", "t", "x1")
    assert row is not None and row.price_per_hour is None and row.free_accelerators is None
    assert len(Catalog.from_json({})) == 0


@pytest.mark.parametrize(
    ("where", "problem"),
    [
        (("aws", "us-east-1", "gpu", "nvidia-l4", "x1"), None),
        (("aws", "us-east-1", "cpu", "intel-spr", "x1"), None),
        (
            ("awz", "us-east-1", "gpu", "nvidia-l4", "x1"),
            ("vendor", "vendor 'awz' is not in the hardware catalog; did you mean 'aws'?"),
        ),
        (
            ("aws", "us-east-2", "gpu", "nvidia-l4", "x1"),
            ("region", "region 'us-east-2' is not offered by aws; did you mean 'us-east-1'?"),
        ),
        (
            ("aws", "us-east-1", "gpu", "nvidia-l5", "x1"),
            (
                "instance_type",
                "instance type 'nvidia-l5' is not offered in aws/us-east-1; did you mean 'nvidia-l4'?",
            ),
        ),
        (
            ("aws", "us-east-1", "gpu", "nvidia-l4", "x9"),
            (
                "instance_size",
                "instance size 'x9' of nvidia-l4 is not offered in aws/us-east-1 (offered: x1)",
            ),
        ),
        (
            ("aws", "us-east-1", "cpu", "nvidia-l4", "x1"),
            ("accelerator", "nvidia-l4 is a gpu instance, not cpu"),
        ),
    ],
)
def test_hardware_problems_name_the_field_and_the_nearest_valid_choice(
    catalog: Catalog, where: tuple[str, str, str, str, str], problem: tuple[str, str] | None
) -> None:
    """The field at fault is named, so the problem points at the spec's line for that field."""
    vendor, region, accelerator, itype, size = where
    assert hardware_problem(catalog, vendor, region, accelerator, itype, size) == problem


def test_quota_refusal_names_the_hardware_and_numbers(catalog: Catalog) -> None:
    assert quota_problems(catalog, [QuotaDemand("aws", "us-east-1", "nvidia-l4", "x1", 15)]) == []
    (message,) = quota_problems(catalog, [QuotaDemand("aws", "us-east-1", "nvidia-l4", "x1", 16)])
    assert message == (
        "quota exceeded for nvidia-l4 in aws/us-east-1: the plan needs 16 more accelerators "
        "but only 15 of 16 are free (1 used)"
    )
    # CPU rows carry quotas too (60 for intel-spr x1 in the recorded answer).
    (cpu,) = quota_problems(catalog, [QuotaDemand("aws", "us-east-1", "intel-spr", "x1", 61)])
    assert "only 60 of 60 are free" in cpu
    # A delete in the same group frees accelerators; shrinking never fails.
    demands = [
        QuotaDemand("aws", "us-east-1", "nvidia-l4", "x1", 16),
        QuotaDemand("aws", "us-east-1", "nvidia-l4", "x1", -1),
    ]
    assert quota_problems(catalog, demands) == []


def test_quota_unknown_hardware_is_reported(catalog: Catalog) -> None:
    (problem,) = quota_problems(catalog, [QuotaDemand("aws", "us-east-1", "nvidia-z9", "x1", 1)])
    assert problem == "nvidia-z9 x1 is not in the aws/us-east-1 catalog; cannot check its quota or price"
