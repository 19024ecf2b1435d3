"""Live progress of an apply: outcomes as they happen, and each endpoint's state as it moves.

Owns: ``Progress`` (the ``Events`` of ``reconciler.engine.run`` turned into output). Called by: the
CLI's ``apply``. Must not: decide anything or slow the engine down (callbacks only record and print).

On a terminal a rich live table shows every endpoint the apply touches: its action, its state, and
the time since the apply started. Off a terminal (CI logs) each event is one line, printed when it
happens, with the elapsed time, so a cold start of several minutes is never silent.
"""

from __future__ import annotations

import threading
import time
from typing import IO, Any

from reconciler.engine.apply import Outcome
from reconciler.engine.plan import Plan
from reconciler.engine.run import Events
from reconciler.render import report, text

__all__ = ["Progress"]

Key = tuple[str, str]


class Progress:
    """``live``: a terminal (a rich live table, outcome lines printed above it); else one line per
    event. The live table starts with the first outcome, after the plan was shown and confirmed,
    so it never draws over the plan or the confirmation prompt."""

    def __init__(self, out: IO[str], *, live: bool, color: bool) -> None:
        self.out = out
        self.live = live
        self.color = color
        self.started = time.monotonic()
        self.lock = threading.RLock()
        self.rows: dict[Key, list[str]] = {}  # endpoint → [action, state, elapsed]
        self._live: Any = None

    def events(self) -> Events:
        return Events(
            on_plan=self.on_plan, on_outcome=self.on_outcome, on_state=self.on_state, on_round=self.on_round
        )

    def __enter__(self) -> Progress:
        self.started = time.monotonic()
        return self

    def __exit__(self, *_: object) -> None:
        with self.lock:
            if self._live is not None:
                self._live.update(self._table(), refresh=True)
                self._live.stop()
                self._live = None

    def _start_live(self) -> None:
        """Called with the lock held."""
        if not self.live or self._live is not None:
            return
        from rich.console import Console
        from rich.live import Live

        console = Console(
            file=self.out, force_terminal=True, no_color=not self.color, highlight=False, emoji=False
        )
        # Log lines written to sys.stderr while the table is live are printed above it (logs.configure
        # writes to whatever sys.stderr is at the time, which rich redirects), but only when stderr
        # is this terminal too: a stderr sent to a file keeps its lines.
        import sys

        self._live = Live(
            self._table(),
            console=console,
            refresh_per_second=4,
            transient=False,
            redirect_stderr=sys.stderr.isatty(),
        )
        self._live.start()

    def _elapsed(self) -> str:
        return f"{time.monotonic() - self.started:6.1f}s"

    def _table(self) -> Any:
        from rich.table import Table

        grid = Table(box=None, pad_edge=False, show_edge=False, header_style="bold" if self.color else "")
        for column in ("ENDPOINT", "ACTION", "STATE", "AT"):
            grid.add_column(column, no_wrap=True)
        for key, (action, state, at) in sorted(self.rows.items()):
            grid.add_row(f"{text.safe(key[0])}/{text.safe(key[1])}", action, text.safe(state), at)
        return grid

    def _line(self, line: str) -> None:
        """An event as a line: above the live table on a terminal, appended to the log otherwise."""
        with self.lock:
            if self.live:
                self._start_live()
                from rich.text import Text

                self._live.console.print(Text.from_ansi(line))
                self._live.update(self._table())
                return
            self.out.write(line + "\n")
            self.out.flush()

    def on_plan(self, plan: Plan) -> None:
        with self.lock:
            for change in plan.writes:
                self.rows[change.key] = [change.action.value, change.live_state or "-", self._elapsed()]

    def on_outcome(self, outcome: Outcome) -> None:
        key = outcome.change.key
        with self.lock:
            row = self.rows.setdefault(key, [outcome.change.action.value, "-", ""])
            verdict = " ok" if outcome.ok else (" skipped" if outcome.skipped else " FAILED")
            row[0] = outcome.change.action.value + verdict
            row[2] = self._elapsed()
            self._line(f"{report.outcome_line(outcome, color=self.color)}  (at {self._elapsed().strip()})")

    def on_state(self, key: Key, state: str) -> None:
        with self.lock:
            row = self.rows.setdefault(key, ["-", state, ""])
            row[1], row[2] = state, self._elapsed()
            if self.live:  # the table shows it
                self._start_live()
                self._live.update(self._table())
                return
        name = f"{text.safe(key[0])}/{text.safe(key[1])}"
        self._line(f"state   {name}: {text.safe(state)}  (at {self._elapsed().strip()})")

    def on_round(self, number: int, plan: Plan) -> None:
        names = ", ".join(f"{c.action.value} {c.name}" for c in plan.changes)
        self._line(f"round {number}: {text.safe(names)}  (at {self._elapsed().strip()})")
