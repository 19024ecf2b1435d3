"""scripts/quality.py, the size and complexity gate of ``make test``, run as make runs it.

The gate over reconciler/ itself is ``make quality``; here it is shown to fail on each kind of
offence it promises to catch, and to pass a clean tree.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "quality.py"


def gate(root: Path) -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(root)], capture_output=True, text=True, timeout=120, check=False
    )
    return done.returncode, done.stdout


def tangled(branches: int) -> str:
    """A function of complexity ``branches + 1``, called once."""
    ifs = "".join(f"    if x == {i}:\n        return {i}\n" for i in range(branches))
    return f"def tangled(x: int) -> int:\n{ifs}    return -1\n\n\nprint(tangled(3))\n"


def long_function(lines: int) -> str:
    """A function of ``lines`` lines, called once."""
    body = "".join(f"    x += {i}\n" for i in range(lines - 2))
    return f"def long_one(x: int) -> int:\n{body}    return x\n\n\nprint(long_one(3))\n"


def test_each_offence_fails_the_gate(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "clean.py").write_text("def used(x: int) -> int:\n    return x + 1\n\n\nprint(used(1))\n")
    (package / "complex.py").write_text(tangled(21))  # 22: rank D
    (package / "long.py").write_text(long_function(81))
    (package / "big.py").write_text("X = 1\n" * 451 + "print(X)\n")
    (package / "dead.py").write_text(
        textwrap.dedent(
            """
            import json


            def f() -> int:
                return 1
                print("never")


            print(f())
            """
        )
    )
    code, out = gate(package)
    assert code == 1
    lines = out.splitlines()
    assert any("complex.py" in line and "tangled complexity 22 (rank D)" in line for line in lines), out
    assert any("long.py" in line and "long_one function of 81 lines" in line for line in lines), out
    assert any("big.py" in line and "module of 452 lines" in line for line in lines), out
    assert any("dead.py:2:" in line and "unused import 'json'" in line for line in lines), out
    assert any("dead.py:7:" in line and "unreachable code" in line for line in lines), out
    assert not any("clean.py" in line for line in lines), out
    assert len(lines) == 5, out


def test_a_clean_tree_passes(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "ok.py").write_text(tangled(19))  # 20: rank C, the worst allowed
    (package / "long.py").write_text(long_function(80))
    assert gate(package) == (0, "")
