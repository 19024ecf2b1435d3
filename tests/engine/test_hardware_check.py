"""Hardware is checked against the catalog at plan time, located to the spec's line (issue 12 item 6).

Before, a wrong instance type or region passed ``validate`` and ``plan`` and failed only at apply
with an HTTP 400 and no file:line, although plan already read the catalog.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from click.testing import CliRunner

from reconciler import cli
from tests.conftest import write_fleet


def hfleet(tmp_path: Path, *args: str) -> tuple[int, str, str]:
    db = str(tmp_path / "state" / "emulator.db")
    result = CliRunner().invoke(cli.cli, ["--emulator", db, *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def live_names(tmp_path: Path) -> list[str]:
    """The endpoints that exist in the emulated cloud (its SQLite state, read directly)."""
    from reconciler.emulator import Emulator, EmulatorConfig

    emulator = Emulator(EmulatorConfig(state_path=tmp_path / "state" / "emulator.db"))
    try:
        return sorted(e.name for e in emulator.endpoints())
    finally:
        emulator.close()


def test_a_wrong_instance_type_is_a_located_spec_error_and_nothing_is_written(tmp_path: Path) -> None:
    specs = write_fleet(tmp_path / "specs", {"good": "", "typo": "instance_type: intel-sprr\n"})
    code, out, err = hfleet(tmp_path, "plan", str(specs))
    assert code == 1, out + err
    endpoints = specs / "endpoints.yaml"
    lines = endpoints.read_text().splitlines()
    line = next(i for i, text in enumerate(lines, 1) if "intel-sprr" in text)
    assert f"{endpoints}:{line}:16: typo.instance_type: instance type 'intel-sprr' is not offered" in err
    assert "did you mean 'intel-spr'?" in err
    code, out, err = hfleet(tmp_path, "apply", str(specs), "--yes")
    assert code == 1 and "intel-sprr" in err
    assert live_names(tmp_path) == []  # nothing was created, not even `good`


def test_a_wrong_region_inherited_from_the_defaults_points_at_the_default(tmp_path: Path) -> None:
    specs = write_fleet(tmp_path / "specs", {"a": ""})
    fleet = specs / "fleet.yaml"
    fleet.write_text(fleet.read_text().replace("region: us-east-1", "region: us-east-9"))
    code, _, err = hfleet(tmp_path, "plan", str(specs))
    assert code == 1
    line = next(i for i, text in enumerate(fleet.read_text().splitlines(), 1) if "us-east-9" in text)
    assert f"{fleet}:{line}:" in err and "region 'us-east-9' is not offered by aws" in err


def test_a_wrong_accelerator_points_at_the_accelerator_line(tmp_path: Path) -> None:
    """A review found the field was parsed out of the message: the accelerator problem pointed at a
    field named after the instance type."""
    specs = write_fleet(tmp_path / "specs", {"gpu-on-cpu": "instance_type: nvidia-l4\ninstance_size: x1\n"})
    code, _, err = hfleet(tmp_path, "plan", str(specs))
    fleet = specs / "fleet.yaml"
    line = next(i for i, text in enumerate(fleet.read_text().splitlines(), 1) if "accelerator: cpu" in text)
    assert code == 1 and f"{fleet}:{line}:" in err, err
    assert "gpu-on-cpu.accelerator: nvidia-l4 is a gpu instance, not cpu" in err, err


def test_validate_checks_the_catalog_only_when_asked(tmp_path: Path) -> None:
    specs = write_fleet(tmp_path / "specs", {"a": "instance_size: x9\n"})
    code, out, err = hfleet(tmp_path, "validate", str(specs))
    assert code == 0, out + err  # offline: the spec is well formed
    code, out, err = hfleet(tmp_path, "validate", str(specs), "--catalog")
    assert code == 1 and "instance size 'x9' of intel-spr is not offered in aws/us-east-1" in err


def test_an_existing_endpoint_vouches_for_its_hardware_no_catalog_call_on_a_noop(
    tmp_path: Path, emulator: Any, api: Any
) -> None:
    from tests.engine.helpers import converge, plan

    specs = write_fleet(tmp_path / "specs", {"a": ""})
    converge(specs, api)
    emulator.clear_requests()
    assert not plan(specs, api).has_changes
    assert [r.path for r in emulator.requests] == ["/v2/endpoint/emulator"]  # the listing, nothing else
