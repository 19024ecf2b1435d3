"""Comparing one desired endpoint with its live record, field by owned field.

Owns: ``Comparison`` and ``compare``. Called by: ``reconciler.engine.decide``. Must not: do I/O.

What is compared, and how, comes from ``reconciler.wire.ownership`` (only what the spec states,
aliases normalized, server-filled keys never); the spec's ``ignore_changes`` takes fields out
(``env.NAME`` one variable of the map). An immutable field the live record does not report is
unknown (a warning), never a difference: only the spec can cause a replace. Nested values are
shown at the leaf that changed, with deepdiff doing the nested comparison
(``model.env.LOG_LEVEL: "info" → "debug"``, ``tags: + team-a``), so an identical value is never
printed as a change.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from reconciler.engine import desired as desired_mod
from reconciler.engine.plan import FieldChange, SecretChange
from reconciler.wire import convert, ownership
from reconciler.wire.record import EndpointRecord

__all__ = ["ADOPTED", "SECRETS_UNREADABLE", "Comparison", "compare", "leaves", "writable_paths"]

# The fingerprint ``hfleet import --adopt`` leaves on an endpoint whose secrets were set before
# hfleet managed it: their values are unknown, so rotation is not checked until hfleet sets them.
ADOPTED = "adopted"
# The note of a plan made without the secret values (doctor reports it once, as its own check).
SECRETS_UNREADABLE = "secret values are not available here; rotation is not checked"


@dataclass(frozen=True)
class Comparison:
    """What differs between a desired endpoint and its live record."""

    paths: tuple[str, ...]  # owned, mutable paths to write
    fields: tuple[FieldChange, ...]  # the same, leaf by leaf, for people
    immutable: tuple[FieldChange, ...]  # fields that only a replace can change
    advisory: tuple[FieldChange, ...]  # create-only fields that differ: reported, never written
    unknown: tuple[str, ...]  # owned paths whose live value cannot be read, and why
    secrets: SecretChange | None
    secrets_note: str | None = None

    @property
    def drift(self) -> bool:
        return bool(self.paths or self.secrets)


def _ignored(path: str, ignore: frozenset[str]) -> bool:
    if not ignore:
        return False
    name = ownership.spec_name(path)
    return name in ignore or name.split(".", 1)[0] in ignore


def writable_paths(want: desired_mod.DesiredEndpoint) -> tuple[str, ...]:
    """Every stated, mutable, not ignored path: what a repair re-sends."""
    return tuple(
        path
        for path in want.view
        if ownership.field_for(path).mutability is ownership.Mutability.MUTABLE
        and not _ignored(path, want.ignore)
    )


def _shown(value: Any) -> Any:
    return None if value is convert.MISSING else value


def leaves(path: str, old: Any, new: Any) -> list[FieldChange]:
    """``old → new`` at ``path`` as leaf changes (maps by key, tag sets by item)."""
    old, new = _shown(old), _shown(new)
    if isinstance(old, dict) and isinstance(new, dict):
        from deepdiff import DeepDiff  # imported here: ~0.1 s, and `hfleet --help` must start fast
        from deepdiff.helper import notpresent

        out = []
        for items in DeepDiff(old, new, view="tree").values():
            for item in items:
                keys = item.path(output_format="list")
                before = None if item.t1 is notpresent else item.t1
                after = None if item.t2 is notpresent else item.t2
                out.append(FieldChange(".".join([path, *map(str, keys)]), before, after))
        return sorted(out, key=lambda f: f.path)
    if path == "tags":
        gone = sorted(set(old or ()) - set(new or ()))
        added = sorted(set(new or ()) - set(old or ()))
        return [FieldChange(path, t, None) for t in gone] + [FieldChange(path, None, t) for t in added]
    return [FieldChange(path, old, new)]


def _without(value: Any, keys: Iterable[str]) -> Any:
    if not isinstance(value, dict):
        return value
    drop = set(keys)
    return {k: v for k, v in value.items() if k not in drop}


def _secrets(
    want: desired_mod.DesiredEndpoint, have: EndpointRecord
) -> tuple[SecretChange | None, str | None]:
    live = ownership.fingerprint_of(have.tags)
    if not want.secrets_resolvable:
        return None, SECRETS_UNREADABLE
    if live == ADOPTED:
        if want.secrets_fingerprint is None:
            return None, None
        return None, "secrets were set before hfleet managed it; rotation is checked once hfleet sets them"
    if want.secrets_fingerprint is not None and want.secrets_fingerprint != live:
        return (SecretChange.ROTATED if live else SecretChange.SET), None
    if want.secrets_fingerprint is None and live is not None:
        return SecretChange.REMOVED, None
    return None, None


def compare(want: desired_mod.DesiredEndpoint, have: EndpointRecord) -> Comparison:
    """Every owned field of ``want`` against ``have`` (see the module docstring)."""
    env_kept = [name.split(".", 1)[1] for name in want.ignore if name.startswith("env.")]
    paths: list[str] = []
    shown: list[FieldChange] = []
    immutable: list[FieldChange] = []
    advisory: list[FieldChange] = []
    unknown: list[str] = []
    for path, value in want.view.items():
        if _ignored(path, want.ignore):
            continue
        entry = ownership.field_for(path)
        live = convert.live_value(have, path)
        if path == "model.env":
            value, live = _without(value, env_kept), _without(live, env_kept)
        if entry.mutability is ownership.Mutability.CREATE_ONLY and live is convert.MISSING:
            continue  # the API does not report it to us: nothing to compare
        if entry.mutability is ownership.Mutability.IMMUTABLE and live is convert.MISSING:
            # A value the server does not report (privateService.region: the Terraform provider
            # models privateService as {accountId, shared}) is unknown, never a reason to replace.
            unknown.append(f"{path} is not reported by the API")
            continue
        verdict = entry.compare(value, live)
        if verdict is ownership.Verdict.EQUAL:
            continue
        if verdict is ownership.Verdict.UNKNOWN:
            unknown.append(f"{path} (live {_shown(live)!r}) is not understood")
            continue
        changes = leaves(path, live, value)
        if entry.mutability is ownership.Mutability.IMMUTABLE:
            immutable += changes
        elif entry.mutability is ownership.Mutability.CREATE_ONLY:
            advisory += changes
        else:
            paths.append(path)
            shown += changes
    secrets, note = _secrets(want, have)
    return Comparison(
        tuple(paths), tuple(shown), tuple(immutable), tuple(advisory), tuple(unknown), secrets, note
    )
