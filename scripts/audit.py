"""``make audit``: pip-audit the pinned runtime dependencies (``requirements.lock``).

Runs ``pip-audit --strict --require-hashes -r requirements.lock`` (the lock is complete and hashed, as
``make lock`` writes it with uv: nothing is resolved). A known vulnerability fails the target. When
the vulnerability service cannot be reached (offline machine, a package index mirror without PyPI's
per-release JSON API), the audit cannot tell anything: it prints a loud warning and exits 0 so
``make test`` still works offline; set ``HFLEET_AUDIT_REQUIRED=1`` (CI with network) to make that a
failure too. The lock is first compared with the packages installed in the venv (a warning when
they differ, fatal with ``HFLEET_AUDIT_REQUIRED=1``): the tests ran against the installed ones.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

LOCK = Path("requirements.lock")
UNREACHABLE = (
    "could not be audited",
    "ConnectionError",
    "Max retries exceeded",
    "Name or service not known",
    "Temporary failure in name resolution",
    "timed out",
    "ServiceError",
)


def drift(lock: Path = LOCK) -> list[str]:
    """``name: locked X, installed Y`` for each pin the venv has at another version (or not at all)."""
    out = []
    for match in re.finditer(r"^([a-z0-9][a-z0-9.\-]*)==([^\s;]+)", lock.read_text(), re.M):
        name, version = match.groups()
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = "nothing"
        if installed != version:
            out.append(f"{name}: locked {version}, installed {installed}")
    return out


def main() -> int:
    python = sys.executable
    required = os.environ.get("HFLEET_AUDIT_REQUIRED") == "1"
    differences = drift()
    if differences:
        # A fresh `make` may resolve newer versions than the lock: say so, audit the lock anyway.
        print(
            f"WARNING: {LOCK} differs from the installed packages ({'; '.join(differences)}); "
            "the audit below covers the lock. `make lock UPGRADE=1` moves the lock forward.",
            file=sys.stderr,
        )
        if required:
            return 1
    bin_dir = Path(python).parent
    audit = str(bin_dir / "pip-audit") if (bin_dir / "pip-audit").exists() else "pip-audit"
    cmd = [audit, "--strict", "--disable-pip", "--require-hashes", "-r", str(LOCK), "--timeout", "10"]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    output = proc.stdout + proc.stderr
    if proc.returncode == 0:
        sys.stdout.write(output or "pip-audit: no known vulnerabilities\n")
        return 0
    found = "known vulnerabilit" in output and "No known vulnerabilities" not in output
    if not found and any(marker in output for marker in UNREACHABLE):
        banner = "ERROR" if required else "WARNING"
        print(
            f"{banner}: pip-audit could not reach the vulnerability service, so requirements.lock was "
            "NOT audited. pip-audit said:",
            file=sys.stderr,
        )
        for line in [x for x in output.strip().splitlines() if "WARNING:pip_audit" not in x][:3]:
            print("    " + line, file=sys.stderr)
        print(
            "  Run `make audit` on a machine with access to https://pypi.org/pypi/<name>/<version>/json; "
            "set HFLEET_AUDIT_REQUIRED=1 to make this fatal.",
            file=sys.stderr,
        )
        return 1 if required else 0
    sys.stdout.write(output)
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
