"""The decision tier of hfleet's errors.

Owns: the root ``ReconcilerError`` and the errors raised by decisions (bad specs, unsafe plans).
Called by: every room; the CLI maps them to exit codes (1 error, 3 refused as unsafe).
Must not: import any other reconciler module. HTTP errors live in ``reconciler.api.errors`` and
subclass ``ReconcilerError`` too, so one ``except ReconcilerError`` catches everything we raise.

    ReconcilerError
    ├── SpecError            one or more problems in the spec files (never a network call before)
    ├── UnsafePlanError      the plan is refused (exit 3); nothing was written
    │   ├── TooMuchChange    deletes/replacements or updates above the threshold (--force)
    │   ├── ReplaceNeedsConsent  a delete + re-create without --allow-replace or allow_replace
    │   ├── QuotaExceeded    creates/resizes above the namespace's accelerator quota
    │   └── StalePlan        a saved plan no longer matches the live state
    ├── ForeignEndpoint      an endpoint with our name that we do not own
    ├── LockHeld             another hfleet run holds the fleet's lease
    └── api.errors.ApiError  (see reconciler.api.errors)
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ForeignEndpoint",
    "LockHeld",
    "Problem",
    "QuotaExceeded",
    "ReconcilerError",
    "ReplaceNeedsConsent",
    "SpecError",
    "StalePlan",
    "TooMuchChange",
    "UnsafePlanError",
]


class ReconcilerError(Exception):
    """Root of every error hfleet raises on purpose."""


@dataclass(frozen=True, order=True)
class Problem:
    """One problem found in a spec file, located to the character.

    ``line`` and ``column`` are 1-based; 0 means the position is not known (a file-level problem).
    ``field`` is the dotted path of the offending field inside the document (``endpoints[2].min_replica``).
    """

    file: str
    line: int
    column: int
    field: str
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line:
            where += f":{self.line}:{self.column}"
        field = f" {self.field}:" if self.field else ""
        return f"{where}:{field} {self.message}"


class SpecError(ReconcilerError):
    """The spec files are invalid. Carries **all** the problems found, sorted by place."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in the specs"
        super().__init__(head + "\n" + "\n".join(f"  {p}" for p in self.problems))


class UnsafePlanError(ReconcilerError):
    """A plan that hfleet refuses to apply without ``--force`` (exit code 3)."""


class TooMuchChange(UnsafePlanError):
    """The plan deletes, replaces or rewrites more of the fleet than the safety thresholds allow."""


class ReplaceNeedsConsent(UnsafePlanError):
    """The plan deletes and re-creates endpoints (new URL, cold start) and nobody consented."""


class QuotaExceeded(UnsafePlanError):
    """The plan's creates or resizes exceed the namespace's accelerator quota."""


class StalePlan(UnsafePlanError):
    """A saved plan was computed from a live state that has changed since."""


class ForeignEndpoint(ReconcilerError):
    """An endpoint carries a name from the specs but not this fleet's owner tag."""


class LockHeld(ReconcilerError):
    """Another hfleet run holds the lease on this fleet."""
