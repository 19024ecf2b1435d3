"""How spec problems are phrased: suggestions for misspelt keys and located sub-messages.

Owns: ``did_you_mean`` (a table of known aliases first, then a fuzzy match), ``ALIASES`` and
``at_path`` (the ``@sub.path@ message`` convention that lets a validator point below its field).
Called by: ``reconciler.spec.models``, ``reconciler.spec.image`` and ``reconciler.spec.loader``.
Must not: import other reconciler modules.

Why a table before the fuzzy match: ``difflib`` ranks by shared letters, so ``repo`` suggests
``region`` and ``gpu`` suggests ``path``. People write huggingface_hub's argument names, Terraform's
attribute names or words from other tools; those are known, so they are looked up first.
"""

from __future__ import annotations

import difflib

__all__ = ["ALIASES", "at_path", "did_you_mean"]

# A word people write → the spec language's word. Sources: huggingface_hub's
# create_inference_endpoint arguments and InferenceEndpoint attributes, the two Terraform providers'
# attribute names (real-api-evidence.md: TF-sebps, TF-gorgias), and common spellings.
ALIASES: dict[str, str] = {
    "repo": "repository",
    "repo_id": "repository",
    "model": "repository",
    "model_id": "repository",
    "model_name": "repository",
    "repository_id": "repository",
    "commit": "revision",
    "sha": "revision",
    "branch": "revision",
    "provider": "vendor",
    "cloud": "vendor",
    "location": "region",
    "zone": "region",
    "instance": "instance_type",
    "gpu": "instance_type",
    "hardware": "instance_type",
    "size": "instance_size",
    "min_replicas": "min_replica",
    "max_replicas": "max_replica",
    "minreplica": "min_replica",
    "maxreplica": "max_replica",
    "replicas": "max_replica",
    "scale_to_zero": "scale_to_zero_timeout",
    "scaletozerotimeout": "scale_to_zero_timeout",
    "idle_timeout": "scale_to_zero_timeout",
    "metric": "scaling_metric",
    "threshold": "scaling_threshold",
    "environment": "env",
    "env_vars": "env",
    "variables": "env",
    "secret": "secrets",
    "labels": "tags",
    "access": "type",
    "visibility": "type",
    "endpoint_type": "type",
    "power": "state",
    "status": "state",
    "command": "container_command",
    "args": "container_args",
    "arguments": "container_args",
    "container_image": "image",
    "docker_image": "image",
    "ignore_change": "ignore_changes",
    "ignored_changes": "ignore_changes",
    "lifecycle": "ignore_changes",
    "ignore_differences": "ignore_changes",
    "allow_replacement": "allow_replace",
    "replace": "allow_replace",
    "protected": "protect",
    "prevent_destroy": "protect",
    "timezone": "schedule",
    "uptime": "schedule",
    "healthcheck": "health_route",
    "health_check": "health_route",
    "health": "health_route",
    "image_url": "url",
    "time_zone": "timezone",
    "tz": "timezone",
    "holiday": "holidays",
    "grace": "grace_period",
}


def did_you_mean(message: str, word: str, choices: list[str]) -> str:
    """``message`` plus "; did you mean 'x'?" when a known alias or a close spelling is in ``choices``."""
    key = word.lower().replace("-", "_")
    alias = ALIASES.get(key)
    if alias is not None and alias in choices:
        return f"{message}; did you mean {alias!r}?"
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"{message}; did you mean {close[0]!r}?" if close else message


def at_path(sub: str, message: str) -> str:
    """Tag a validator's message with a sub-path below the field (the loader moves the location there)."""
    return f"@{sub}@ {message}"
