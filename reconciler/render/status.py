"""The status table: one row per endpoint, sized to the terminal it is printed on.

Owns: ``table``. Called by: the CLI (``hfleet status``). Must not: decide anything.
On a terminal the table takes its width: the state columns keep theirs, the long columns (drift,
URL) share the rest, cut with an ellipsis, or are dropped rather than squeezed to a few letters;
off a terminal (a CI log) rows are never cut.
"""

from __future__ import annotations

from reconciler.engine.status import StatusRow
from reconciler.render import text

__all__ = ["table"]


def _drift(row: StatusRow) -> str:
    if not row.managed:
        return "not in specs"
    if not row.drift:
        return "no"
    return "yes: " + ", ".join(row.drift)


_GAP = 2  # spaces between two columns
_MIN_DRIFT = 12  # "yes: compute…": less than this says nothing a plain yes/no does not
_ROOMY_DRIFT = 30  # what DRIFT gets at least before the URL is given room
_MIN_URL = 24  # "https://abcdefgh.us-east…": enough to tell endpoints apart


def _cells(row: StatusRow, priced: bool) -> dict[str, str]:
    cells = {
        "ENDPOINT": f"{row.namespace}/{row.name}",
        "DESIRED": row.desired,
        "LIVE": row.live,
        "REPLICAS": f"{row.ready}/{row.target}",
        "OWNER": row.owner or "-",
    }
    if priced:
        cells["$/H NOW"] = "-" if row.hourly_now is None else f"{row.hourly_now:.3f}"
        cells["$/MONTH"] = (
            "-" if row.monthly_high is None else f"{row.monthly_low or 0:,.0f}-{row.monthly_high:,.0f}"
        )
    cells["DRIFT"] = _drift(row)
    cells["URL"] = row.url or "-"
    return {k: text.safe(v) for k, v in cells.items()}


def _fit(rows: list[dict[str, str]], width: int | None) -> tuple[list[str], bool]:
    """The columns that fit ``width``, and whether DRIFT is cut to yes/no. The state columns are
    never cut (they are the point of the table); URL goes first, then OWNER, then DRIFT's detail,
    then the prices."""
    columns = list(rows[0])
    if width is None:
        return columns, False
    wide = {c: max(len(c), *(len(r[c]) for r in rows)) for c in columns}
    steps: list[tuple[tuple[str, ...], int]] = [
        ((), _ROOMY_DRIFT),  # with a URL, DRIFT still gets room to say what drifted
        (("URL",), _MIN_DRIFT),
        (("URL", "OWNER"), _MIN_DRIFT),
        (("URL", "OWNER"), 0),
        (("URL", "OWNER", "$/H NOW"), 0),
        (("URL", "OWNER", "$/H NOW", "$/MONTH"), 0),
    ]
    for drop, drift_room in steps:
        kept = [c for c in columns if c not in drop]
        need = _GAP * (len(kept) - 1)
        for c in kept:
            if c == "DRIFT":
                need += min(wide[c], drift_room) if drift_room else len("not in specs")
            elif c == "URL":
                need += min(wide[c], _MIN_URL)
            else:
                need += wide[c]
        if need <= width:
            return kept, drift_room == 0
    return kept, True


def _share(room: int, wants: dict[str, int]) -> dict[str, int]:
    """Split ``room`` between the flexible columns: each its floor first (what ``_fit`` counted),
    then the rest two to one for DRIFT; none above its need."""
    floors = {"DRIFT": _ROOMY_DRIFT if "URL" in wants else _MIN_DRIFT, "URL": _MIN_URL}
    given = {c: min(wants[c], floors[c]) for c in wants}
    left = room - sum(given.values())
    weights = {"DRIFT": 2, "URL": 1}
    while left > 0:
        hungry = [c for c in wants if given[c] < wants[c]]
        if not hungry:
            break
        total = sum(weights[c] for c in hungry)
        for c in hungry:
            part = min(max(1, left * weights[c] // total), wants[c] - given[c], left)
            given[c] += part
            left -= part
    return given


def _cut(column: str, value: str, width: int) -> str:
    """DRIFT keeps its start (the first fields); a URL its start and end (the host's first letters
    and, behind a shared gateway, the endpoint's path)."""
    if len(value) <= width:
        return value
    if column == "URL" and width > 8:
        return text.shorten(value, width)
    return value[: max(0, width - 1)] + "…"


def table(items: list[StatusRow], *, color: bool = False, width: int | None = None) -> str:
    """``width``: the terminal's columns, or None for no limit (rows are never cut). On a terminal
    the state columns keep their full width; DRIFT and URL share what is left, cut with an ellipsis,
    and are dropped (URL, then OWNER, then DRIFT's detail) rather than squeezed to nothing."""
    if not items:
        return "No endpoints."
    rows, priced = _rows(items)
    columns, short_drift = _fit(rows, width)
    if priced and "$/MONTH" not in columns:
        rows.pop()  # a total of nothing shown
    if short_drift:
        for cells in rows:
            cells["DRIFT"] = cells["DRIFT"].split(":", 1)[0]
    wide = _widths(rows, columns, width, short_drift)
    header = {c: c for c in columns}
    lines = [_line(header, columns, wide, header=True, color=color), *(_line(r, columns, wide) for r in rows)]
    return "\n".join(lines)


def _rows(items: list[StatusRow]) -> tuple[list[dict[str, str]], bool]:
    """One row of cells per endpoint and, when any has a price, the price columns and a total row
    (last); whether it is priced. Without any price the columns would only say "-"."""
    priced = any(row.monthly_high is not None or row.hourly_now is not None for row in items)
    rows = [_cells(row, priced) for row in items]
    if priced:
        rows.append(_total(items, list(rows[0])))
    return rows, priced


def _total(items: list[StatusRow], columns: list[str]) -> dict[str, str]:
    """The row that sums the prices: what the fleet costs now and at most per month."""
    total = {c: "" for c in columns} | {"ENDPOINT": "total"}
    total["$/H NOW"] = f"{sum(row.hourly_now or 0.0 for row in items):.3f}"
    total["$/MONTH"] = f"{sum(row.monthly_high or 0.0 for row in items):,.0f}"
    return total


def _widths(
    rows: list[dict[str, str]], columns: list[str], width: int | None, short_drift: bool
) -> dict[str, int]:
    """Each column's width: its widest cell, except on a terminal where DRIFT and URL (the
    flexible ones, unless DRIFT is cut to yes/no) share what the others leave."""
    wide = {c: max(len(c), *(len(r[c]) for r in rows)) for c in columns}
    if width is None:
        return wide
    flexible = {c: wide[c] for c in columns if c in ("DRIFT", "URL") and not (c == "DRIFT" and short_drift)}
    fixed = sum(wide[c] for c in columns if c not in flexible) + _GAP * (len(columns) - 1)
    wide.update(_share(max(0, width - fixed), flexible))
    return wide


def _line(
    cells: dict[str, str],
    columns: list[str],
    wide: dict[str, int],
    *,
    header: bool = False,
    color: bool = False,
) -> str:
    """One row: prices right-aligned so their digits line up, the rest left-aligned; the header in
    bold when colour is on."""
    out = []
    for c in columns:
        value = _cut(c, cells[c], wide[c])
        value = value.rjust(wide[c]) if c.startswith("$") and not header else value.ljust(wide[c])
        out.append(text.paint(value, "1", color) if header else value)
    return (" " * _GAP).join(out).rstrip()
