"""Fleet specs for the benchmark, generated from one template.

A fleet of ``n`` endpoints named ``bench-00000`` … is one ``kind: Fleet`` document (the defaults: CPU
``intel-spr`` x1 on aws us-east-1, so quotas never interfere) plus one ``kind: Endpoint`` document
per endpoint, spread over ``FILES`` files. The phases derive from the index ``i``:

* ``cold`` / ``noop``: every endpoint, all defaults;
* ``drift``: ``i % 10 == 1`` → ``max_replica: 2`` (an update), ``i % 10 == 2`` → ``state: paused`` (a pause);
* ``prune``: the drift spec without ``i % 10 == 3`` (10% of the fleet, deleted with ``--prune``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["FILES", "FLEET", "NAMESPACE", "Desired", "desired", "name", "write"]

FLEET = "bench"
NAMESPACE = "emulator"
FILES = 4
REPOSITORY = "distilbert/distilbert-base-uncased-finetuned-sst-2-english"

FLEET_DOC = f"""\
kind: Fleet
name: {FLEET}
namespace: {{namespace}}
defaults:
  vendor: aws
  region: us-east-1
  accelerator: cpu
  instance_type: intel-spr
  instance_size: x1
  repository: {REPOSITORY}
  framework: pytorch
  task: text-classification
  min_replica: 1
  max_replica: 1
  type: authenticated
"""

PHASES = ("cold", "noop", "drift", "prune")


@dataclass(frozen=True)
class Desired:
    """One endpoint as a phase wants it (for the baseline script, which has no spec loader)."""

    name: str
    max_replica: int
    paused: bool


def name(i: int) -> str:
    return f"bench-{i:05d}"


def desired(n: int, phase: str) -> list[Desired]:
    """The endpoints of ``phase`` for a fleet of ``n`` (see the module docstring)."""
    if phase not in PHASES:
        raise ValueError(f"unknown phase {phase!r}")
    drifted = phase in ("drift", "prune")
    out = []
    for i in range(n):
        if phase == "prune" and i % 10 == 3:
            continue
        out.append(
            Desired(
                name(i),
                max_replica=2 if drifted and i % 10 == 1 else 1,
                paused=drifted and i % 10 == 2,
            )
        )
    return out


def write(directory: Path, n: int, phase: str, namespace: str = NAMESPACE) -> Path:
    """Write the fleet of ``phase`` into ``directory`` (replacing any previous YAML there)."""
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("*.yaml"):
        old.unlink()
    (directory / "fleet.yaml").write_text(FLEET_DOC.format(namespace=namespace))
    chunks: list[list[str]] = [[] for _ in range(FILES)]
    for index, item in enumerate(desired(n, phase)):
        doc = f"kind: Endpoint\nname: {item.name}\n"
        if item.max_replica != 1:
            doc += f"max_replica: {item.max_replica}\n"
        if item.paused:
            doc += "state: paused\n"
        chunks[index * FILES // max(1, n)].append(doc)
    for number, docs in enumerate(chunks):
        if docs:
            (directory / f"endpoints-{number}.yaml").write_text("---\n".join(docs))
    return directory
