"""``make audit``: pip-audit the pinned runtime dependencies (``requirements.lock``).

Runs ``pip-audit --strict -r requirements.lock`` (pins only, no resolution). A known vulnerability
fails the target. When the vulnerability service cannot be reached (offline machine, a package index
mirror without PyPI's per-release JSON API), the audit cannot tell anything: it prints a loud warning
and exits 0 so ``make test`` still works offline; set ``HFLEET_AUDIT_REQUIRED=1`` (CI with network)
to make that a failure too. The lock file is first checked against the installed environment (a
warning when they differ, fatal with ``HFLEET_AUDIT_REQUIRED=1``).
"""

from __future__ import annotations

import os
import subprocess
import sys
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


def main() -> int:
    python = sys.executable
    required = os.environ.get("HFLEET_AUDIT_REQUIRED") == "1"
    check = subprocess.run([python, "scripts/lock.py", "--check", "--out", str(LOCK)], check=False)
    if check.returncode != 0:
        # A fresh `make` may resolve newer versions than the lock: say so, audit the lock anyway.
        print(
            f"WARNING: {LOCK} differs from the installed packages; the audit below covers the lock.",
            file=sys.stderr,
        )
        if required:
            return check.returncode
    bin_dir = Path(python).parent
    audit = str(bin_dir / "pip-audit") if (bin_dir / "pip-audit").exists() else "pip-audit"
    cmd = [audit, "--strict", "--no-deps", "--disable-pip", "-r", str(LOCK), "--timeout", "10"]
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
