"""The status table: one row per endpoint, sized to the terminal it is printed on.

Owns: ``table``. Called by: the CLI (``hfleet status``). Must not: decide anything.
On a terminal the table takes its width and the long columns (drift, URL) are cut with an
ellipsis instead of wrapping every row; off a terminal (a CI log) rows are never cut.
"""

from __future__ import annotations

import io

from reconciler.engine.status import StatusRow
from reconciler.render import text

__all__ = ["table"]


def _drift(row: StatusRow) -> str:
    if not row.managed:
        return "not in specs"
    if not row.drift:
        return "no"
    return "yes: " + ", ".join(row.drift)


def table(items: list[StatusRow], *, color: bool = False, width: int | None = None) -> str:
    """``width``: the terminal's columns, or None for no limit (rows are never cut)."""
    from rich.console import Console
    from rich.table import Table

    grid = Table(box=None, pad_edge=False, show_edge=False, header_style="bold" if color else "")
    priced = any(row.monthly_high is not None or row.hourly_now is not None for row in items)
    grid.add_column("ENDPOINT", no_wrap=True)
    for column in ("DESIRED", "LIVE", "REPLICAS", "OWNER"):
        grid.add_column(column, no_wrap=True)
    if priced:
        grid.add_column("$/H NOW", no_wrap=True, justify="right")
        grid.add_column("$/MONTH", no_wrap=True, justify="right")
    grid.add_column("DRIFT", no_wrap=True, overflow="ellipsis", ratio=2)
    grid.add_column("URL", no_wrap=True, overflow="ellipsis", ratio=1)
    for row in items:
        cells = [
            f"{row.namespace}/{row.name}",
            row.desired,
            row.live,
            f"{row.ready}/{row.target}",
            row.owner or "-",
        ]
        if priced:
            cells.append("-" if row.hourly_now is None else f"{row.hourly_now:.3f}")
            cells.append(
                "-" if row.monthly_high is None else f"{row.monthly_low or 0:,.0f}-{row.monthly_high:,.0f}"
            )
        cells += [_drift(row), row.url or "-"]
        grid.add_row(*[text.safe(c) for c in cells])
    if priced:
        total = sum(row.hourly_now or 0.0 for row in items)
        month = sum(row.monthly_high or 0.0 for row in items)
        grid.add_row("total", "", "", "", "", f"{total:.3f}", f"{month:,.0f}", "", "")
    console = Console(
        width=width or 10_000, color_system="standard" if color else None, record=True, file=io.StringIO()
    )
    console.print(grid, crop=False, soft_wrap=width is None)
    lines = console.export_text(styles=color).splitlines()
    return "\n".join(line.rstrip() for line in lines).rstrip()
