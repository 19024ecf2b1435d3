"""Who owns each field of an endpoint: the spec, the server, or nobody we know of. One table.

Owns: ``FIELDS`` (for every API path hfleet can write: its spec name, whether it can change in place,
and how a desired value is compared with a live one), the tag rules (owner, secrets fingerprint,
protection) and ``Verdict``. Called by: ``reconciler.wire.convert`` (views and payloads),
``reconciler.engine.diff`` (comparison) and ``reconciler.engine.plan`` (replace or update).
Must not: do I/O.

The model is Terraform's Optional+Computed, or Kubernetes' field ownership, applied to one API:
- a field is compared only when the spec (or the fleet's defaults) states it, and only at the
  granularity it states it: ``image.tgi.url`` set in a spec is compared, ``image.tgi.port`` filled
  by the server is not. ``image`` itself is always owned (omitting it means the Hugging Face
  container), ``tags`` too (they carry ownership);
- server-filled fields (``compute.id``, ``healthRoute``, ``status.*``, a scaling ``metric`` the spec
  does not state, a resolved revision, ...) and keys we do not know are never drift;
- known aliases are normalized: the API's legacy ``protected`` type reads as ``authenticated``
  (huggingface_hub #4329 deprecated the first in favour of the second). Treating them as equal never
  widens access: hfleet never sends ``type`` on an update, so a live ``protected`` endpoint stays
  as it is unless the spec asks for something else, which is a replace (and needs consent);
- a live value we cannot read (an unknown ``type``) is UNKNOWN, reported, and never a reason to
  write, let alone to replace;
- IMMUTABLE fields (vendor, region, type, private link) change only by delete + create, planned
  only from a spec difference and applied only with consent; CREATE_ONLY fields
  (``cache_http_responses``, which the API keeps under ``experimentalFeatures`` for admins only) are
  sent on create, and a difference is reported but never written, so a server that ignores the
  value cannot drive a redeploy loop; WRITE_ONLY fields (secrets, registry passwords) are never
  read back and are compared through a fingerprint tag.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

__all__ = [
    "FIELDS",
    "OWNER_TAG_PREFIX",
    "PROTECT_TAG",
    "RESERVED_TAG_PREFIX",
    "SECRETS_TAG_PREFIX",
    "Field",
    "Mutability",
    "Verdict",
    "field_for",
    "fingerprint_of",
    "is_sha",
    "owner_of",
    "owner_tag",
    "protected",
    "spec_name",
]

OWNER_TAG_PREFIX = "hfleet:"
SECRETS_TAG_PREFIX = "hfleet-secrets:"
PROTECT_TAG = "hfleet-protect"
RESERVED_TAG_PREFIX = "hfleet"  # user tags may not start with it: they could forge ownership
TYPE_ALIASES = {"protected": "authenticated"}
KNOWN_TYPES = frozenset({"public", "authenticated", "private", "protected"})
_SHA_RE = re.compile(r"[0-9a-f]{40}")


class Mutability(StrEnum):
    IMMUTABLE = "immutable"
    MUTABLE = "mutable"
    CREATE_ONLY = "create_only"


class Verdict(StrEnum):
    EQUAL = "equal"
    DIFFERENT = "different"
    UNKNOWN = "unknown"  # the live value cannot be read: report it, never act on it


Comparator = Callable[[Any, Any], Verdict]


def _equal(want: Any, have: Any) -> Verdict:
    return Verdict.EQUAL if want == have else Verdict.DIFFERENT


def _type(want: Any, have: Any) -> Verdict:
    if have not in KNOWN_TYPES:
        return Verdict.UNKNOWN
    return _equal(TYPE_ALIASES.get(want, want), TYPE_ALIASES.get(have, have))


def is_sha(value: object) -> bool:
    return isinstance(value, str) and bool(_SHA_RE.fullmatch(value))


def _revision(want: Any, have: Any) -> Verdict:
    # The API resolves a branch (or no revision) to the commit it deployed: a branch in the spec
    # matches any sha. A pinned sha is compared exactly.
    if not is_sha(want) and is_sha(have):
        return Verdict.EQUAL
    return _equal(want, have)


def _set(want: Any, have: Any) -> Verdict:
    return _equal(sorted(want or ()), sorted(have or ()))


def _map(want: Any, have: Any) -> Verdict:
    return _equal(dict(want or {}), dict(have or {}))


def _number(want: Any, have: Any) -> Verdict:
    if isinstance(have, bool) or not isinstance(have, int | float):
        return Verdict.DIFFERENT
    return _equal(float(want), float(have))


@dataclass(frozen=True)
class Field:
    """One API path hfleet writes. ``pattern`` may end in ``*`` for a family (image options)."""

    pattern: str
    spec: str
    mutability: Mutability = Mutability.MUTABLE
    compare: Comparator = _equal

    def matches(self, path: str) -> bool:
        if self.pattern.endswith("*"):
            return path.startswith(self.pattern[:-1])
        return path == self.pattern


FIELDS: tuple[Field, ...] = (
    Field("type", "type", Mutability.IMMUTABLE, _type),
    Field("provider.vendor", "vendor", Mutability.IMMUTABLE),
    Field("provider.region", "region", Mutability.IMMUTABLE),
    Field("privateService.accountId", "private_link_account_id", Mutability.IMMUTABLE),
    Field("privateService.region", "private_link_region", Mutability.IMMUTABLE),
    Field("compute.accelerator", "accelerator"),
    Field("compute.instanceType", "instance_type"),
    Field("compute.instanceSize", "instance_size"),
    Field("compute.scaling.minReplica", "min_replica"),
    Field("compute.scaling.maxReplica", "max_replica"),
    Field("compute.scaling.scaleToZeroTimeout", "scale_to_zero_timeout"),
    Field("compute.scaling.metric", "scaling_metric"),
    Field("compute.scaling.measure.*", "scaling_threshold", compare=_number),
    Field("model.repository", "repository"),
    Field("model.framework", "framework"),
    Field("model.revision", "revision", compare=_revision),
    Field("model.task", "task"),
    Field("model.image", "image"),  # the variant: tgi, tei, custom, ...
    Field("model.image.*", "image"),  # one option of the variant, as the spec states it
    Field("model.env", "env", compare=_map),
    Field("model.command", "container_command"),
    Field("model.args", "container_args"),
    Field("route.domain", "domain"),
    Field("route.path", "path"),
    Field("cacheHttpResponses", "cache_http_responses", Mutability.CREATE_ONLY),
    Field("tags", "tags", compare=_set),
)


@functools.lru_cache(maxsize=4096)
def field_for(path: str) -> Field:
    """The table row of an API path. Every path a desired view holds has one (cached: a fleet of
    10,000 endpoints asks for the same few dozen paths over and over)."""
    for entry in FIELDS:
        if entry.matches(path):
            return entry
    raise KeyError(f"no ownership rule for {path!r}")


def spec_name(path: str) -> str:
    """The name a spec (and ``ignore_changes``) uses for an API path: ``model.image.tgi.maxInputLength``
    → ``image.max_input_length``; ``compute.scaling.minReplica`` → ``min_replica``."""
    if path.startswith("model.image.") and path.count(".") >= 3:
        key = path.split(".", 3)[3]
        return "image." + _snake(key)
    return field_for(path).spec


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


# --- tags -------------------------------------------------------------------------------------------


def owner_tag(fleet: str) -> str:
    """The tag that marks an endpoint as owned by ``fleet``."""
    return OWNER_TAG_PREFIX + fleet


def owner_of(tags: Iterable[str]) -> str | None:
    """The fleet named by the owner tag, if any (the first one, if a server sent several)."""
    for tag in tags:
        if tag.startswith(OWNER_TAG_PREFIX):
            return tag[len(OWNER_TAG_PREFIX) :]
    return None


def fingerprint_of(tags: Iterable[str]) -> str | None:
    """The secrets fingerprint hfleet left on the endpoint the last time it set its secrets."""
    for tag in tags:
        if tag.startswith(SECRETS_TAG_PREFIX):
            return tag[len(SECRETS_TAG_PREFIX) :]
    return None


def protected(tags: Iterable[str]) -> bool:
    return PROTECT_TAG in tags
