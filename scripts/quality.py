"""The size and complexity gate of ``make test`` (``make quality``): keeps reconciler/ readable.

Why: issue 16 item 7 brought every module under ~400 lines, every function under ~60 and every
block to radon's rank C or better, and removed the dead code vulture found. This script keeps it so,
with a little slack over those goals. It fails (exit 1, one line per finding) when, in reconciler/:
- a block (function, method, closure, class) has a cyclomatic complexity ranked above C (radon);
- a function is longer than ``MAX_FUNCTION_LINES`` lines, or a module than ``MAX_MODULE_LINES``;
- vulture finds unused code at ``MIN_CONFIDENCE`` % or more (``scripts/vulture_whitelist.py``
  names its false positives, each with the reason);
- an entry of ``ALLOWED`` no longer offends (take it out: the list only shrinks).

Usage: python scripts/quality.py [ROOT]   (ROOT defaults to the repository's reconciler/)
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import vulture
from radon.complexity import cc_rank, cc_visit

REPO = Path(__file__).resolve().parent.parent
WHITELIST = REPO / "scripts" / "vulture_whitelist.py"
WORST_RANK = "C"  # ranks D (complexity 21-30), E and F fail
MAX_FUNCTION_LINES = 80
MAX_MODULE_LINES = 450
MIN_CONFIDENCE = 80

# Known offenders ("path:block", path relative to the repository) let through while other work
# shrinks them. The list only shrinks; it is empty since the refactor of issue 16's last offenders.
ALLOWED: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Finding:
    path: str  # relative to the repository
    line: int
    block: str  # qualified name ("Class.method", "outer.inner"), or "" for the module
    message: str

    @property
    def key(self) -> str:
        return f"{self.path}:{self.block}"

    def __str__(self) -> str:
        where = f" {self.block}" if self.block else ""
        return f"{self.path}:{self.line}:{where} {self.message}"


def _shown(file: str | Path) -> str:
    """A path as ALLOWED spells it: relative to the repository (as given when outside it)."""
    resolved = Path(file).resolve()
    return resolved.relative_to(REPO).as_posix() if resolved.is_relative_to(REPO) else str(file)


def _blocks(blocks: list[Any], parent: str = "") -> Iterator[tuple[str, Any]]:
    """Every radon block with its qualified name, closures and methods included."""
    for block in blocks:
        name = f"{parent}{block.name}"
        yield name, block
        yield from _blocks(list(getattr(block, "closures", [])), f"{name}.")


def complexity(path: str, source: str) -> Iterator[Finding]:
    for name, block in _blocks(cc_visit(source)):
        qualified = f"{block.classname}.{name}" if getattr(block, "classname", None) else name
        rank = cc_rank(block.complexity)
        if rank > WORST_RANK:
            yield Finding(path, block.lineno, qualified, f"complexity {block.complexity} (rank {rank})")


def _functions(
    tree: ast.AST, parent: str = ""
) -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield f"{parent}{node.name}", node
            yield from _functions(node, f"{parent}{node.name}.")
        elif isinstance(node, ast.ClassDef):
            yield from _functions(node, f"{parent}{node.name}.")
        else:
            yield from _functions(node, parent)


def sizes(path: str, source: str) -> Iterator[Finding]:
    lines = len(source.splitlines())
    if lines > MAX_MODULE_LINES:
        yield Finding(path, 1, "", f"module of {lines} lines (at most {MAX_MODULE_LINES})")
    for name, node in _functions(ast.parse(source)):
        length = (node.end_lineno or node.lineno) - node.lineno + 1
        if length > MAX_FUNCTION_LINES:
            yield Finding(
                path, node.lineno, name, f"function of {length} lines (at most {MAX_FUNCTION_LINES})"
            )


def dead_code(root: Path) -> Iterator[Finding]:
    scan = vulture.Vulture(verbose=False)
    scan.scavenge([str(root), str(WHITELIST)])
    for item in scan.get_unused_code(min_confidence=MIN_CONFIDENCE):
        yield Finding(
            _shown(item.filename),
            item.first_lineno,
            "",
            f"{item.message} ({item.confidence}% confidence, vulture)",
        )


def findings(root: Path) -> list[Finding]:
    found: list[Finding] = []
    for file in sorted(root.rglob("*.py")):
        path, source = _shown(file), file.read_text(encoding="utf-8")
        found += [*complexity(path, source), *sizes(path, source)]
    return found + list(dead_code(root))


def main(argv: list[str]) -> int:
    root = Path(argv[0]) if argv else REPO / "reconciler"
    found = findings(root)
    failures = [str(f) for f in found if f.key not in ALLOWED]
    offending = {f.key for f in found}
    failures += [
        f"{key}: no longer an offender; take it out of ALLOWED in scripts/quality.py"
        for key in sorted(ALLOWED - offending)
        if (REPO / key.split(":", 1)[0]).resolve().is_relative_to(root.resolve())
    ]
    for line in failures:
        print(line)
    allowed = len({f.key for f in found} & ALLOWED)
    print(
        f"quality: {len(failures)} problem(s); {allowed} known offender(s) allowed "
        f"(rank <= {WORST_RANK}, functions <= {MAX_FUNCTION_LINES} lines, modules <= {MAX_MODULE_LINES}, "
        f"vulture < {MIN_CONFIDENCE}%)",
        file=sys.stderr,
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
