"""Write charts/hfleet/README.md from Chart.yaml and the ``# --`` comments of values.yaml.

The helm-docs convention (https://github.com/norwoodj/helm-docs): a comment block starting with
``# -- `` right above a key documents it; the following ``#`` lines continue the description. One
table row per leaf value (a scalar, a list or an empty map), plus one per documented map, sorted by
key; the default is the value in values.yaml as compact JSON. The generator is ours (a few dozen
lines, no Go binary to fetch); tests/chart/test_readme.py keeps the README current.

Usage: python scripts/chart_readme.py [--check] [CHART_DIR]
``--check`` exits 1 when the README on disk differs from what would be written.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
KEY = re.compile(r"^(?P<indent> *)(?P<key>[A-Za-z0-9_.-]+):(?:\s|$)")


def descriptions(values_yaml: str) -> dict[str, str]:
    """``{dotted key path: description}`` for every key preceded by a ``# --`` comment block."""
    found: dict[str, str] = {}
    stack: list[tuple[int, str]] = []
    block: list[str] = []
    for line in values_yaml.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            block.append(stripped.lstrip("#").strip())
            continue
        match = KEY.match(line)
        if not match or line.lstrip().startswith("- "):
            block = []
            continue
        indent = len(match["indent"])
        while stack and stack[-1][0] >= indent:
            stack.pop()
        path = ".".join([k for _, k in stack] + [match["key"]])
        stack.append((indent, match["key"]))
        start = next((i for i, text in enumerate(block) if text.startswith("-- ")), None)
        if start is not None:
            lines = [block[start][3:], *block[start + 1 :]]
            found[path] = " ".join(text for text in lines if text)
        block = []
    return found


def rows(values: dict[str, Any], documented: dict[str, str], prefix: str = "") -> list[tuple[str, Any, bool]]:
    """(path, value, is_leaf) for every leaf and every documented map, depth first."""
    out: list[tuple[str, Any, bool]] = []
    for key, value in values.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            if path in documented:
                out.append((path, value, False))
            out.extend(rows(value, documented, path + "."))
        else:
            out.append((path, value, True))
    return out


def kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    return "list" if isinstance(value, list) else "object"


def cell(text: str) -> str:
    return text.replace("|", "\\|")


def render(chart_dir: Path) -> str:
    chart = yaml.safe_load((chart_dir / "Chart.yaml").read_text())
    text = (chart_dir / "values.yaml").read_text()
    documented = descriptions(text)
    values = yaml.safe_load(text)
    out = [
        f"# {chart['name']}",
        "",
        f"Version {chart['version']}, app version {chart['appVersion']}, type {chart['type']}, "
        f"Kubernetes `{chart['kubeVersion']}`.",
        "",
        " ".join(str(chart["description"]).split()),
        "",
        f"**Homepage:** <{chart['home']}>",
        "",
        "How to install it in each mode, with the commands: [docs/deploy.md](../../docs/deploy.md). "
        "Alerts, dashboard and metrics: [docs/operations.md](../../docs/operations.md).",
        "",
        "```console",
        "$ kubectl create secret generic hf-token --from-literal=token=hf_...",
        "$ helm install hfleet charts/hfleet --set token.existingSecret=hf-token \\",
        "    --set-file 'specs.files.fleet\\.yaml=specs/fleet.yaml'",
        "$ helm test hfleet    # hfleet validate against the specs as the pods mount them",
        "```",
        "",
        "## Values",
        "",
        "Generated from the `# --` comments of [values.yaml](values.yaml) by `scripts/chart_readme.py`; "
        "[values.schema.json](values.schema.json) checks every value.",
        "",
        "| Key | Type | Default | Description |",
        "|-----|------|---------|-------------|",
    ]
    for path, value, leaf in sorted(rows(values, documented), key=lambda r: r[0]):
        default = f"`{cell(json.dumps(value, separators=(', ', ': ')))}`" if leaf else "(below)"
        out.append(f"| {path} | {kind(value)} | {default} | {cell(documented.get(path, ''))} |")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("chart", nargs="?", type=Path, default=ROOT / "charts" / "hfleet")
    parser.add_argument("--check", action="store_true", help="fail if README.md is out of date")
    args = parser.parse_args(argv)
    target = args.chart / "README.md"
    text = render(args.chart)
    if args.check:
        if not target.exists() or target.read_text() != text:
            print(f"{target} is out of date; run: python scripts/chart_readme.py", file=sys.stderr)
            return 1
        return 0
    target.write_text(text)
    print(f"wrote {target}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
