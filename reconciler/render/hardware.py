"""The hardware catalog as a table (``hfleet hardware``, like ``hf endpoints hardware``).

Owns: ``table`` and ``rows_json``. Called by: the CLI. Must not: decide anything (filtering and
sorting are the command's).
Every cell comes from the API, so every cell is made terminal-safe; columns are as wide as their
widest cell, so a large quota never pushes a row out of line.
"""

from __future__ import annotations

from typing import Any

from reconciler.engine import cost
from reconciler.engine.catalog import CatalogRow
from reconciler.render import text

__all__ = ["rows_json", "table"]

_HEADER = ("VENDOR", "REGION", "ACCEL", "TYPE", "SIZE", "UNITS", "$/HOUR", "$/MONTH", "QUOTA FREE", "STATUS")
_RIGHT = {"UNITS", "$/HOUR", "$/MONTH", "QUOTA FREE"}


def _cells(row: CatalogRow) -> tuple[str, ...]:
    price = "-" if row.price_per_hour is None else f"{row.price_per_hour:.3f}"
    month = "-" if row.price_per_hour is None else f"{row.price_per_hour * cost.HOURS_PER_MONTH:,.0f}"
    free = "-" if row.free_accelerators is None else f"{row.free_accelerators}/{row.max_accelerators}"
    values = (
        row.vendor,
        row.region,
        row.accelerator,
        row.instance_type,
        row.instance_size,
        str(row.num_accelerators),
        price,
        month,
        free,
        row.status,
    )
    return tuple(text.safe(v) for v in values)


def table(rows: list[CatalogRow]) -> str:
    if not rows:
        return "No hardware matches."
    body = [_cells(r) for r in rows]
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(_HEADER)]

    def line(cells: tuple[str, ...]) -> str:
        out = [
            c.rjust(w) if h in _RIGHT else c.ljust(w) for c, w, h in zip(cells, widths, _HEADER, strict=True)
        ]
        return "  ".join(out).rstrip()

    return "\n".join([line(_HEADER), *(line(b) for b in body)])


def rows_json(rows: list[CatalogRow]) -> list[dict[str, Any]]:
    return [{**r.__dict__, "free_accelerators": r.free_accelerators} for r in rows]
