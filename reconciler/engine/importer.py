"""``hfleet import``: write spec files for existing endpoints, and adopt them on purpose.

Owns: writing the documents (``reconciler.wire.document.spec_document`` makes each one), a Fleet
document when the target directory has none, and adoption (a PUT of ``tags`` only: the owner tag,
and a marker when the endpoint already has secrets). Called by: the CLI.
Must not: adopt an endpoint owned by another fleet, or write anything but tags.

Secrets are never read back from the API, so each one becomes a ``from_env`` reference named
``<ENDPOINT>_<KEY>`` (upper case) to fill in; the adoption marker tells the plan that those secrets
were set before hfleet, so it does not re-send them until they change. Registry credentials come
back redacted, so an image that has them is imported under ``ignore_changes: [image]`` (the API
replaces the image whole: writing it without them would remove them) until the user states them.
The imported directory plans with no change: importing then applying sends no write.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from reconciler import errors, logs
from reconciler.api import client as api_client
from reconciler.engine import diff
from reconciler.wire import convert, document, ownership, record

__all__ = ["ImportResult", "env_name", "run"]

log = logs.get_logger(__name__)
_FLEET_DOC = re.compile(r"^kind:\s*['\"]?Fleet['\"]?\s*$", re.M)


@dataclass
class ImportResult:
    lines: list[str] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    adopted: list[str] = field(default_factory=list)
    failed: int = 0


def env_name(endpoint: str, key: str) -> str:
    """The environment variable an imported secret reference names: ``CHAT_LLM_HF_TOKEN``."""
    return re.sub(r"[^A-Z0-9_]", "_", f"{endpoint}_{key}".upper())


def _has_fleet_document(folder: Path) -> bool:
    if not folder.is_dir():
        return False
    for path in sorted(folder.rglob("*.y*ml")):
        try:
            if _FLEET_DOC.search(path.read_text(errors="replace")):
                return True
        except OSError:
            continue
    return False


# The API answers registry credentials redacted (``{"username": "", "password": null}``,
# huggingface_hub 7105c3d89) and replaces ``model.image`` whole on update: a spec without them would
# remove them at the first image write (an update, even a repair), and the registry pull would fail.
REDACTED_CREDENTIALS = (
    "# The API answers this image's registry credentials redacted: hfleet leaves the image alone\n"
    "# (ignore_changes: [image]) until you state image.custom.credentials and remove that entry.\n"
)


def _document(item: record.EndpointRecord) -> tuple[dict[str, Any], str]:
    """The spec document of ``item`` and any header note it needs."""
    doc = document.spec_document(item, secret_env=lambda key: env_name(item.name, key))
    note = ""
    credentials = convert.registry_credentials(item)
    if "image" in doc and "custom" in doc["image"] and credentials is not None:
        username = credentials.get("username")
        if isinstance(username, str) and username:
            doc["image"]["custom"]["credentials"] = {
                "username": username,
                "password": {"from_env": env_name(item.name, "REGISTRY_PASSWORD")},
            }
        else:
            doc["ignore_changes"] = ["image"]
            note = REDACTED_CREDENTIALS
    if item.state == record.State.PAUSED:
        doc["state"] = "paused"
    if item.cache_http_responses:  # create-only: kept so a re-create (a replace) keeps it too
        doc["cache_http_responses"] = True
    return doc, note


def _header(item: record.EndpointRecord, doc: dict[str, Any], note: str = "") -> str:
    header = f"# Imported from {item.namespace}/{item.name} by hfleet import.\n" + note
    if "secrets" in doc or "credentials" in str(doc.get("image")):
        header += "# Secret values are not readable from the API: set the named environment variables.\n"
    elif not item.secret_keys:
        # Today's API answers `model.secrets: {}` whatever the endpoint holds: names are unknown too.
        header += (
            "# The API does not say which secrets this endpoint has; hfleet leaves them as they are.\n"
            "# To manage them, list them here: secrets: {NAME: {from_env: ENV_VAR}}.\n"
        )
    return header


def _fleet_named(folder: Path) -> str | None:
    """The ``name`` of the Fleet document under ``folder`` (None if there is none or it is unreadable)."""
    for path in sorted(folder.rglob("*.y*ml")):
        try:
            for doc in yaml.safe_load_all(path.read_text(errors="replace")):
                if isinstance(doc, dict) and doc.get("kind") == "Fleet":
                    name = doc.get("name")
                    return name if isinstance(name, str) else None
        except (OSError, yaml.YAMLError):
            continue
    return None


def _write(path: Path, doc: dict[str, Any], header: str) -> None:
    path.write_text(header + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))


def run(
    api: api_client.EndpointsApi,
    namespace: str,
    out_dir: Path,
    *,
    fleet: str | None = None,
    fleet_defined_in: Path | None = None,
    names: list[str] | None = None,
    adopt: bool = False,
    overwrite: bool = False,
) -> ImportResult:
    """Import the endpoints of ``namespace`` (or only ``names``) into spec files under ``out_dir``.

    ``fleet_defined_in``: the specs directory that already holds the fleet's document, if any; a
    Fleet document is written into ``out_dir`` when neither it nor ``out_dir`` has one.
    """
    result = ImportResult()
    items = _wanted(_fetch(api, namespace, result), namespace, names, result)
    _check_fleet_name(out_dir, fleet, fleet_defined_in)
    out_dir.mkdir(parents=True, exist_ok=True)
    if fleet and not _has_fleet_document(out_dir) and not _inside_fleet(out_dir, fleet_defined_in):
        _write_fleet_document(out_dir, fleet, namespace, result)
    for item in sorted(items, key=lambda e: e.name):
        owner = ownership.owner_of(item.tags)
        if owner is not None and owner != fleet:
            result.lines.append(f"skipped  {namespace}/{item.name}: owned by fleet {owner!r}")
            continue
        _write_endpoint(item, out_dir / f"{item.name}.yaml", overwrite, result)
        if adopt and fleet and owner != fleet and _adopt(api, item, fleet, result):
            result.adopted.append(item.name)
    return result


def _fetch(api: api_client.EndpointsApi, namespace: str, result: ImportResult) -> list[record.EndpointRecord]:
    """Every endpoint of ``namespace`` the API describes well; a malformed one is reported and
    skipped, so one broken answer does not stop the import of the others."""
    items: list[record.EndpointRecord] = []
    for raw in api.iter_endpoints(namespace):
        try:
            items.append(record.parse(namespace, raw))
        except record.MalformedRecord as exc:
            result.lines.append(f"FAILED   {namespace}/{exc.name}: {exc}")
            result.failed += 1
    return items


def _wanted(
    items: list[record.EndpointRecord], namespace: str, names: list[str] | None, result: ImportResult
) -> list[record.EndpointRecord]:
    """Only the endpoints ``names`` asks for (all without it); a name with no endpoint is a failure,
    not silence: a typo must not look like a successful import."""
    if not names:
        return items
    wanted = set(names)
    for name in sorted(wanted - {e.name for e in items}):
        result.lines.append(f"missing  {namespace}/{name}: no such endpoint")
        result.failed += 1
    return [e for e in items if e.name in wanted]


def _write_fleet_document(out_dir: Path, fleet: str, namespace: str, result: ImportResult) -> None:
    """A Fleet document, so the imported directory loads as a fleet on its own."""
    path = out_dir / "fleet.yaml"
    _write(path, {"kind": "Fleet", "name": fleet, "namespace": namespace}, "# Written by hfleet import.\n")
    result.written.append(path)
    result.lines.append(f"wrote    {path} (the fleet document)")


def _write_endpoint(item: record.EndpointRecord, path: Path, overwrite: bool, result: ImportResult) -> None:
    """The spec file of one endpoint; an existing file is kept unless ``overwrite`` (it may hold
    the user's edits)."""
    if path.exists() and not overwrite:
        result.lines.append(f"exists   {path} (use --overwrite)")
        return
    doc, note = _document(item)
    _write(path, doc, _header(item, doc, note))
    result.written.append(path)
    result.lines.append(f"wrote    {path}")
    if note:
        result.lines.append(
            f"note     {path}: registry credentials come back redacted; the image is under "
            "ignore_changes until the spec states them"
        )


def _check_fleet_name(out_dir: Path, fleet: str | None, specs: Path | None) -> None:
    """Refuse to write into the folder of another fleet: the endpoints would be tagged ``fleet`` and
    described in specs of a fleet with another name, so every plan would find them in conflict."""
    if fleet is None:
        return
    for folder in (out_dir, specs if _inside_fleet(out_dir, specs) else None):
        if folder is None or not _has_fleet_document(folder):
            continue
        other = _fleet_named(folder)
        if other is not None and other != fleet:
            raise errors.ReconcilerError(
                f"{out_dir} is inside the specs of fleet {other!r}, not {fleet!r}: "
                "import into another directory, or adopt into that fleet"
            )


def _inside_fleet(out_dir: Path, specs: Path | None) -> bool:
    if specs is None:
        return False
    try:
        out_dir.resolve().relative_to(specs.resolve())
    except ValueError:
        return False
    return _has_fleet_document(specs)


def _adopt(
    api: api_client.EndpointsApi, item: record.EndpointRecord, fleet: str, result: ImportResult
) -> bool:
    tags = [*item.tags, ownership.owner_tag(fleet)]
    # A fingerprint tag left by a fleet that once managed it is as good as unknown: the API does not
    # say which secrets the endpoint holds now, and read as "the spec removed every secret" it would
    # make the next apply send ``model.secrets: {}``. Like secrets the API shows, it becomes the
    # adoption marker: nothing is re-sent until hfleet sets the secrets itself.
    if (
        item.secret_keys
        or convert.has_registry_credentials(item)
        or ownership.fingerprint_of(item.tags) is not None
    ):
        tags = convert.with_fingerprint(tags, diff.ADOPTED)
    try:
        api.update(item.namespace, item.name, {"tags": sorted(dict.fromkeys(tags))})
    except errors.ReconcilerError as exc:
        result.lines.append(f"FAILED   adopt {item.namespace}/{item.name}: {logs.redact(str(exc))}")
        result.failed += 1
        return False
    result.lines.append(f"adopted  {item.namespace}/{item.name} into fleet {fleet!r}")
    return True
