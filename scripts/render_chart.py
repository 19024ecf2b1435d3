"""Render charts/hfleet with each of its ci/ value sets into DIR/<set>.yaml (for checkov and reviews).

Uses Helm's own engine through helm-python-sdk (no helm binary, no cluster). ``make checkov`` scans
the output with checkov's kubernetes framework; checkov's helm framework would need a helm binary.

Usage: python scripts/render_chart.py DIR
"""

from __future__ import annotations

import sys
from pathlib import Path

import helm_python as helm
import yaml

CHART = Path(__file__).resolve().parents[1] / "charts" / "hfleet"


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    with helm.Chart.load(CHART) as chart:
        for values_file in sorted((CHART / "ci").glob("*-values.yaml")):
            values = yaml.safe_load(values_file.read_text())
            rendered = chart.render(values, name="hfleet", namespace="hfleet")
            docs = [text for path, text in sorted(rendered.items()) if not path.endswith("NOTES.txt")]
            target = out / values_file.name.replace("-values", "")
            target.write_text("\n---\n".join(doc.strip() for doc in docs if doc.strip()) + "\n")
            print(f"wrote {target}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
