"""The API's naming rules in one place: endpoint names, namespaces and tags.

Owns: the checks (``check_endpoint_name``, ``check_namespace``, ``check_tag``, ``check_user_tag``),
their boolean twins (``is_*``) and the reserved tag prefix.
Called by: ``reconciler.spec.models`` (what users write) and the API layer's typed response model
(what the SERVER sends: a name ``..`` or ``a/b`` must never become a path segment).
Must not: import anything of reconciler; every check is a pure function of one string.

Why these rules, and where they come from:

* **Endpoint names**: lowercase ASCII letters, digits and ``-``, starting and ending with a letter
  or digit, 1 to 32 characters (the API's ``name`` description in its OpenAPI documents, 2023 and
  today; the project's reference notes, hf-endpoints-api.md §3.1). Matched with ``fullmatch``: ``re.match``
  with ``$`` accepts ``"ep-a\\n"`` because ``$`` also matches before a final newline.
* **Namespaces** (a Hub user or organization): ASCII letters, digits, ``-``, ``_`` and ``.``; no
  leading or trailing ``-`` or ``.``; no ``--`` or ``..``; 1 to 96 characters. These are the Hub's
  rules for the ``namespace/`` part of a repo id as huggingface_hub 2.4.0 mirrors them
  (``huggingface_hub/utils/_validators.py``, ``validate_repo_id`` and ``REPO_ID_REGEX``, which cites
  the Hub's own ``Names.ts``). So ``.``, ``..``, ``a/b``, an empty string and control characters are
  all refused: a namespace is a URL path segment.
* **Tags**: no public source states the API's rules (real-api-evidence.md, "Unknown"). Assumed,
  conservatively: 1 to ``MAX_TAG_LENGTH`` printable ASCII characters, no whitespace, no ``,`` (the
  list route's ``tags`` filter is comma-separated, so such a tag could never be filtered on), at most
  ``MAX_USER_TAGS`` tags written by the user. hfleet's own tags (``hfleet:<fleet>``,
  ``hfleet-secrets:<digest>``, ``hfleet-protect``) fit these rules.
* **Reserved prefix**: a user tag may not start with ``hfleet`` (any case). hfleet marks ownership
  with ``hfleet:<fleet>``, secret fingerprints with ``hfleet-secrets:`` and protection with
  ``hfleet-protect``; a spec that could write them could forge another fleet's ownership (and get
  that fleet's ``apply --prune`` to delete its endpoint) or fake a protection.
"""

from __future__ import annotations

import re

__all__ = [
    "ENDPOINT_NAME_MAX",
    "MAX_TAG_LENGTH",
    "MAX_USER_TAGS",
    "NAMESPACE_MAX",
    "RESERVED_TAG_PREFIX",
    "check_endpoint_name",
    "check_namespace",
    "check_tag",
    "check_user_tag",
    "is_endpoint_name",
    "is_env_name",
    "is_namespace",
    "is_tag",
]

ENDPOINT_NAME_MAX = 32
NAMESPACE_MAX = 96
MAX_TAG_LENGTH = 128
MAX_USER_TAGS = 64
RESERVED_TAG_PREFIX = "hfleet"

_ENDPOINT_NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?")
_NAMESPACE = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,94}[A-Za-z0-9_])?")
_TAG = re.compile(rf"[!-+\--~]{{1,{MAX_TAG_LENGTH}}}")  # printable ASCII but space (0x20) and comma (0x2c)
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,255}")


def _shown(value: str) -> str:
    """``repr`` cut to 60 characters: a hostile value must not flood a message."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def is_endpoint_name(value: object) -> bool:
    return isinstance(value, str) and _ENDPOINT_NAME.fullmatch(value) is not None


def check_endpoint_name(value: str) -> str:
    """``value`` if it is a valid endpoint name, else ``ValueError`` saying the rule."""
    if not is_endpoint_name(value):
        raise ValueError(
            f"{_shown(value)} is not a valid endpoint name: use lowercase letters, digits and '-', "
            f"start and end with a letter or digit, at most {ENDPOINT_NAME_MAX} characters"
        )
    return value


def is_env_name(value: object) -> bool:
    """An environment variable name (POSIX portable: letters, digits, '_', not starting with a digit)."""
    return isinstance(value, str) and _ENV_NAME.fullmatch(value) is not None


def is_namespace(value: object) -> bool:
    return (
        isinstance(value, str)
        and _NAMESPACE.fullmatch(value) is not None
        and "--" not in value
        and ".." not in value
    )


def check_namespace(value: str) -> str:
    """``value`` if it is a valid Hub user or organization name, else ``ValueError``."""
    if not is_namespace(value):
        raise ValueError(
            f"{_shown(value)} is not a valid namespace (a Hugging Face user or organization name): "
            "use letters, digits, '-', '_' and '.', start and end with a letter, digit or '_', "
            f"no '--' or '..', at most {NAMESPACE_MAX} characters"
        )
    return value


def is_tag(value: object) -> bool:
    return isinstance(value, str) and _TAG.fullmatch(value) is not None


def check_tag(value: str) -> str:
    """``value`` if it has a tag's shape (any tag, hfleet's own included), else ``ValueError``."""
    if not is_tag(value):
        raise ValueError(
            f"{_shown(value)} is not a valid tag: use 1 to {MAX_TAG_LENGTH} printable ASCII characters "
            "without spaces or commas"
        )
    return value


def check_user_tag(value: str) -> str:
    """A tag a spec may write: a valid tag outside the reserved ``hfleet`` prefix."""
    check_tag(value)
    if value.lower().startswith(RESERVED_TAG_PREFIX):
        raise ValueError(
            f"tag {_shown(value)} uses the reserved prefix {RESERVED_TAG_PREFIX!r}: hfleet writes its own "
            "ownership (hfleet:<fleet>), secret (hfleet-secrets:) and protection (hfleet-protect) tags; "
            "use protect: true to protect an endpoint"
        )
    return value
