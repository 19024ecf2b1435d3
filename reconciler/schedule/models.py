"""The schedule language (spec side).

Owns: ``ScheduleSpec`` (windows, timezone, holidays, what "off" means, grace period) and
``OverrideSpec`` (keep an endpoint up or down until a time).
Called by: ``reconciler.spec.models`` (validation) and ``reconciler.schedule.evaluate``.
Must not: read the clock; evaluation takes ``now`` as an argument.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["OverrideSpec", "ScheduleSpec"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class ScheduleSpec(_Model):
    """When an endpoint is up. Windows use kube-downscaler's syntax (``Mon-Fri 08:00-19:00 Europe/Paris``)."""

    timezone: str = Field(default="UTC", description="IANA timezone for windows that do not name one.")
    uptime: str | list[str] | None = Field(default=None, description="Windows when the endpoint is up.")
    downtime: str | list[str] | None = Field(default=None, description="Windows when it is off (wins).")
    off: Literal["pause", "scale_to_zero"] = Field(
        default="scale_to_zero", description="What off means: pause (explicit resume) or scale_to_zero."
    )
    holidays: list[str] = Field(default_factory=list, description="Dates or date ranges when it is off.")
    grace_period: str | int = Field(
        default=0, description="Minutes (or '15m', '1h') after a deploy before it may go off."
    )

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {value!r} (use an IANA name like Europe/Paris)") from exc
        return value


class OverrideSpec(_Model):
    """Keep an endpoint up (or down) until a given instant, without editing its schedule."""

    state: Literal["up", "down"]
    until: str = Field(description="ISO-8601 instant with an offset, e.g. 2026-11-30T18:00:00+01:00.")
