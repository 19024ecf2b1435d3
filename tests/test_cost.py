"""The cost model: catalog prices, monthly estimates driven by schedules, quota checks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from reconciler.emulator import catalog as emulator_catalog
from reconciler.engine.cost import Catalog, CostEstimate, QuotaDemand, monthly_cost, quota_problems
from reconciler.schedule.evaluate import fraction_up
from reconciler.schedule.models import ScheduleSpec


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    # As the emulator's namespaced route reports them (CPU quotas are effectively unlimited).
    quotas = {"nvidia-a100": (8, 2), "nvidia-l4": (4, 4), "intel-spr": (100_000, 0)}
    return Catalog.from_json(emulator_catalog.provider_payload(quotas))


def test_catalog_rows_and_prices(catalog: Catalog) -> None:
    assert len(catalog) == len(emulator_catalog.COMPUTES)
    assert catalog.price("aws", "us-east-1", "nvidia-l4", "x1") == 0.8
    assert catalog.price("gcp", "us-east4", "nvidia-l4", "x1") == 0.7
    assert catalog.price("aws", "us-east-1", "intel-spr", "x2") == 0.067
    assert catalog.price("aws", "us-east-1", "nvidia-l4", "x3") is None
    row = catalog.row("aws", "us-east-1", "nvidia-a100", "x4")
    assert row is not None
    assert (row.num_accelerators, row.max_accelerators, row.used_accelerators) == (4, 8, 2)
    assert row.free_accelerators == 6 and row.accelerator == "gpu"
    assert {r.vendor for r in catalog} == {"aws", "azure", "gcp"}


def test_catalog_is_tolerant() -> None:
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


def test_monthly_cost() -> None:
    assert monthly_cost(1.0, 1, 1, 1.0) == CostEstimate(730.0, 730.0)
    assert monthly_cost(0.8, 1, 3, 0.5) == CostEstimate(pytest.approx(292.0), pytest.approx(876.0))
    # min_replica 0 (scale to zero when idle): nothing is guaranteed to be billed.
    assert monthly_cost(2.5, 0, 2, 1.0, hours=100) == CostEstimate(0.0, 500.0)
    assert monthly_cost(2.5, 1, 2, 0.0) == CostEstimate(0.0, 0.0)
    assert monthly_cost(1.0, 1, 1, 1.0) + monthly_cost(1.0, 0, 2, 1.0) == CostEstimate(730.0, 2190.0)
    for bad in ({"price_per_hour": -1.0}, {"fraction_up": 1.5}, {"hours": -1.0}):
        args = {"price_per_hour": 1.0, "min_replica": 1, "max_replica": 1, "fraction_up": 1.0, **bad}
        with pytest.raises(ValueError):
            monthly_cost(**args)  # type: ignore[arg-type]


def test_office_hours_cost_about_55_of_168_of_always_on(catalog: Catalog) -> None:
    price = catalog.price("aws", "us-east-1", "nvidia-l4", "x1")
    assert price is not None
    office = ScheduleSpec(timezone="Europe/Paris", uptime="Mon-Fri 08:00-19:00")
    start = datetime(2026, 11, 2, tzinfo=UTC)  # four whole weeks, no DST change
    share = fraction_up(office, start, start + timedelta(weeks=4))
    scheduled = monthly_cost(price, 1, 1, share)
    always = monthly_cost(price, 1, 1, fraction_up(None, start, start + timedelta(weeks=4)))
    assert scheduled.low / always.low == pytest.approx(55 / 168, rel=1e-9)
    assert always.low == pytest.approx(0.8 * 730)


def test_quota_refusal_names_the_hardware_and_numbers(catalog: Catalog) -> None:
    fits = [
        QuotaDemand("aws", "us-east-1", "nvidia-a100", "x4", 4),
        QuotaDemand("aws", "us-east-1", "nvidia-a100", "x2", 2),
    ]
    assert quota_problems(catalog, fits) == []
    too_many = [*fits, QuotaDemand("aws", "us-east-1", "nvidia-a100", "x1", 1)]
    (message,) = quota_problems(catalog, too_many)
    assert message == (
        "quota exceeded for nvidia-a100 in aws/us-east-1: the plan needs 7 more accelerators "
        "but only 6 of 8 are free (2 used)"
    )
    # A delete in the same group frees accelerators.
    assert (
        quota_problems(catalog, [*too_many, QuotaDemand("aws", "us-east-1", "nvidia-a100", "x2", -2)]) == []
    )
    (full,) = quota_problems(catalog, [QuotaDemand("aws", "us-east-1", "nvidia-l4", "x1", 1)])
    assert "nvidia-l4" in full and "needs 1 more accelerator but only 0 of 4 are free (4 used)" in full
    # CPUs have a large quota; shrinking never fails.
    assert quota_problems(catalog, [QuotaDemand("aws", "us-east-1", "intel-spr", "x2", 2)]) == []
    assert quota_problems(catalog, [QuotaDemand("aws", "us-east-1", "nvidia-l4", "x1", -1)]) == []


def test_quota_unknown_and_deprecated_hardware(catalog: Catalog) -> None:
    problems = quota_problems(
        catalog,
        [
            QuotaDemand("aws", "us-east-1", "nvidia-z9", "x1", 1),
            QuotaDemand("aws", "us-east-1", "nvidia-h100", "x1", 1),
        ],
    )
    assert problems[0] == "nvidia-z9 x1 is not in the aws/us-east-1 catalog; cannot check its quota or price"
    assert "nvidia-h100 x1 in aws/us-east-1 is deprecated" in problems
