"""YAML aliases and merge keys are bounded in work, not only in depth (issue 13, item 3).

A merge chain where each mapping merges the previous one twice is 902 bytes for 26 levels; it took
30.8 s to validate (doubling per level). Now each mapping's merged keys are computed once and every
inherited key is charged to ``MAX_MERGE_WORK``.
"""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from reconciler.spec import source


def merge_chain(levels: int, fan: int = 2) -> bytes:
    lines = ["kind: Endpoint", "name: a", "x0: &a0 {k0: 0}"]
    for i in range(1, levels):
        refs = ", ".join([f"*a{i - 1}"] * fan)
        lines.append(f"x{i}: &a{i} {{<<: [{refs}], k{i}: {i}}}")
    return ("\n".join(lines) + "\n").encode()


def test_a_902_byte_merge_chain_loads_at_once() -> None:
    raw = merge_chain(26)
    assert 880 <= len(raw) <= 960
    code = (
        "import sys, time\n"
        "from reconciler.spec import source\n"
        "raw = sys.stdin.buffer.read()\n"
        "started = time.process_time()\n"
        "docs, problems = source.parse_bytes(raw, 'chain.yaml')\n"
        "assert not problems, problems\n"
        "assert sorted(docs[0].data['x25']) == sorted(f'k{i}' for i in range(26))\n"
        "print(time.process_time() - started)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], input=raw, capture_output=True, timeout=20)
    assert done.returncode == 0, done.stderr.decode()
    assert float(done.stdout) < 1.0


def test_merges_still_mean_what_yaml_says() -> None:
    raw = b"kind: Endpoint\nbase: &b {a: 1, b: 2}\nmore: &m {b: 3, c: 4}\nx: {<<: [*b, *m], a: 0}\n"
    docs, problems = source.parse_bytes(raw, "m.yaml")
    assert not problems
    assert docs[0].data["x"] == {"a": 0, "b": 2, "c": 4}  # own keys win, then the first source


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (merge_chain(700), f"merge keys (<<) expand to more than {source.MAX_MERGE_WORK} keys"),
        (b"kind: Endpoint\nx: &x {a: 1, <<: *x}\n", "a merge key (<<) refers to the mapping it is in"),
    ],
    ids=["wide-chain", "self-merge"],
)
def test_merge_bombs_are_refused_quickly(raw: bytes, message: str) -> None:
    started = time.process_time()  # the parse's own CPU: other processes on the cores do not count
    docs, problems = source.parse_bytes(raw, "bomb.yaml")
    assert time.process_time() - started < 5.0
    assert docs == [] and len(problems) == 1 and message in problems[0].message
    assert problems[0].line > 0


def test_wide_merges_within_the_budget_load() -> None:
    keys = ", ".join(f"k{i}: {i}" for i in range(1000))
    lines = ["kind: Endpoint", f"base: &b {{{keys}}}"] + [f"m{i}: {{<<: *b}}" for i in range(150)]
    started = time.process_time()  # CPU, not wall clock: under -n 4 on 2 cores the wall clock doubles
    docs, problems = source.parse_bytes(("\n".join(lines) + "\n").encode(), "wide.yaml")
    assert not problems and len(docs[0].data["m149"]) == 1000
    assert time.process_time() - started < 5.0
