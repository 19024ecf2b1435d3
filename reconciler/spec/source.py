"""Reading YAML spec files into plain data, remembering where every value came from.

Owns: file discovery, decoding, YAML parsing with safety limits, and the map from a field path to its
``line:column`` so that every later problem can be pointed at precisely.
Called by: ``reconciler.spec.loader``. Must not: know what an endpoint is.

The YAML dialect is YAML 1.2's core schema on top of PyYAML's safe loader: ``yes``/``no``/``on``/``off``
stay strings (``off: pause`` must not become ``False: pause``), ``19:00`` stays a string instead of the
sexagesimal integer 1140, and timestamps stay strings for pydantic to parse.

Aliases and merge keys work, bounded in work rather than in bytes (a few hundred bytes of aliases
can describe billions of values): a document may expand to at most ``MAX_NODES`` values (alias
bombs), its merge keys may copy at most ``MAX_MERGE_WORK`` keys in all (each mapping's merged keys
are computed once, so a chain of merges costs its length, not 2^length), and it may nest at most
``MAX_DEPTH`` levels. A file is at most ``MAX_BYTES``. Any document within these limits loads in
well under a second.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from reconciler import errors

__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_MERGE_WORK",
    "MAX_NODES",
    "Document",
    "Locations",
    "discover",
    "read_documents",
]

MAX_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 48
MAX_NODES = 200_000
MAX_MERGE_WORK = 200_000
_IN_PROGRESS: list[tuple[yaml.Node, yaml.Node]] = []

Path_ = tuple[str | int, ...]


def format_path(path: Path_) -> str:
    """``("endpoints", 2, "min_replica")`` → ``endpoints[2].min_replica``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


@dataclass
class Locations:
    """Field path → (line, column), both 1-based. Keys of mappings are recorded under the child path
    (``marks``: where a problem about the field points); ``values`` holds where each value starts
    (``instance_type: x9`` → the ``x9``)."""

    file: str
    marks: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    values: dict[Path_, tuple[int, int]] = field(default_factory=dict)

    def at(self, path: Path_) -> tuple[int, int]:
        """The position of ``path``, or of its nearest recorded ancestor."""
        probe = tuple(path)
        while probe:
            if probe in self.marks:
                return self.marks[probe]
            probe = probe[:-1]
        return self.marks.get((), (1, 1))

    def value_of(self, path: Path_, exact: bool = True) -> tuple[int, int] | None:
        """Where the value at ``path`` starts. With ``exact=False``, where the key of its nearest
        written ancestor is (never the document itself): the field is not written, its parent is."""
        if exact:
            return self.values.get(tuple(path))
        probe = tuple(path)[:-1]
        while probe:
            if probe in self.marks:
                return self.marks[probe]
            probe = probe[:-1]
        return None

    def problem(self, path: Path_, message: str, *, prefix: Path_ = ()) -> errors.Problem:
        """A located problem for ``path`` (relative to the document); ``prefix`` is prepended to the name."""
        line, column = self.at(path)
        return errors.Problem(self.file, line, column, format_path(prefix + tuple(path)), message)


@dataclass
class Document:
    """One YAML document of one file: its data and where each value sits."""

    file: str
    index: int
    data: Any
    locations: Locations


# libyaml's parser when PyYAML was built with it: the pure-Python scanner was ~70% of the CPU of
# loading a 10,000-endpoint fleet (1.3 s of 2.0 s, bench/profile.txt); CParser gives the same nodes
# and marks at a quarter of that. The constructor and resolvers below are the Python ones either way.
_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[valid-type,misc]
    """SafeLoader with YAML 1.2 core-schema scalars (see the module docstring)."""


# Rebuild the implicit resolvers: drop timestamps, sexagesimal numbers and yes/no/on/off booleans.
_Loader.yaml_implicit_resolvers = {}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"),
    list("-+0123456789"),
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)
_Loader.add_implicit_resolver("tag:yaml.org,2002:merge", re.compile(r"^(?:<<)$"), ["<"])


def _int_1_2(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    text = str(loader.construct_scalar(node))
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text, 10)


_Loader.add_constructor("tag:yaml.org,2002:int", _int_1_2)


class _TooBig(Exception):
    def __init__(self, message: str, node: yaml.Node) -> None:
        super().__init__(message)
        self.node = node


class _Builder:
    """Turns a composed node graph into plain data while recording the position of every value."""

    def __init__(self, loader: _Loader, locations: Locations) -> None:
        self.loader = loader
        self.locations = locations
        self.count = 0
        self.work = 0
        # id(mapping node) → its pairs with merges expanded; the nodes live as long as the builder.
        self.merged: dict[int, list[tuple[yaml.Node, yaml.Node]]] = {}

    def build(self, node: yaml.Node, path: Path_, depth: int) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise _TooBig(f"document expands to more than {MAX_NODES} values (an alias bomb?)", node)
        if depth > MAX_DEPTH:
            raise _TooBig(f"document is nested deeper than {MAX_DEPTH} levels", node)
        here = (node.start_mark.line + 1, node.start_mark.column + 1)
        self.locations.marks.setdefault(path, here)
        self.locations.values.setdefault(path, here)
        if isinstance(node, yaml.MappingNode):
            result: dict[Any, Any] = {}
            for key_node, value_node in self._pairs(node):
                key = (
                    self.loader.construct_object(key_node) if isinstance(key_node, yaml.ScalarNode) else None
                )
                if (
                    key is None
                    or isinstance(key, list | dict)
                    or not isinstance(key, str | int | float | bool)
                ):
                    raise yaml.constructor.ConstructorError(
                        None, None, "mapping keys must be plain scalars", key_node.start_mark
                    )
                child = (*path, str(key))
                self.locations.marks[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
                if str(key) in result:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {key!r}", key_node.start_mark
                    )
                result[str(key)] = self.build(value_node, child, depth + 1)
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        return self.loader.construct_object(node)

    def _pairs(self, node: yaml.MappingNode) -> list[tuple[yaml.Node, yaml.Node]]:
        """Own keys, with ``<<`` merge keys expanded (own keys win, as YAML specifies).

        Memoized per mapping node and charged to the work budget: without both, a chain where each
        mapping merges the previous one twice costs 2^depth (902 bytes took 30 s)."""
        known = self.merged.get(id(node))
        if known is not None:
            if known is _IN_PROGRESS:
                raise _TooBig("a merge key (<<) refers to the mapping it is in", node)
            return known
        self.merged[id(node)] = _IN_PROGRESS
        own = [(k, v) for k, v in node.value if k.tag != "tag:yaml.org,2002:merge"]
        own_keys = {k.value for k, _ in own if isinstance(k, yaml.ScalarNode)}
        merged: list[tuple[yaml.Node, yaml.Node]] = []
        for key_node, value_node in node.value:
            if key_node.tag != "tag:yaml.org,2002:merge":
                continue
            sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
            for source in sources:
                if not isinstance(source, yaml.MappingNode):
                    raise yaml.constructor.ConstructorError(
                        None,
                        None,
                        "a merge key (<<) needs a mapping or a list of mappings",
                        source.start_mark,
                    )
                inherited = self._pairs(source)
                self._charge(len(inherited), node)
                for k, v in inherited:
                    if isinstance(k, yaml.ScalarNode) and k.value not in own_keys:
                        own_keys.add(k.value)
                        merged.append((k, v))
        result = merged + own
        self.merged[id(node)] = result
        return result

    def _charge(self, steps: int, node: yaml.Node) -> None:
        self.work += steps
        if self.work > MAX_MERGE_WORK:
            raise _TooBig(f"merge keys (<<) expand to more than {MAX_MERGE_WORK} keys (a merge bomb?)", node)


def _tab_at(text: str, line: int, column: int) -> bool:
    """Whether the parser stopped on a tab, or on a line indented with one (PyYAML only says
    "found character that cannot start any token")."""
    lines = text.splitlines()
    if not 0 < line <= len(lines):
        return False
    row = lines[line - 1]
    indent = row[: len(row) - len(row.lstrip(" \t-"))]
    return "\t" in indent or row[column - 1 : column] == "\t"


def discover(paths: list[Path]) -> tuple[list[Path], list[errors.Problem]]:
    """Expand files and directories (recursively, ``*.yaml``/``*.yml``) into a sorted, unique file list."""
    files: list[Path] = []
    problems: list[errors.Problem] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
            if not found:
                problems.append(
                    errors.Problem(str(path), 0, 0, "", "directory holds no *.yaml or *.yml file")
                )
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            problems.append(errors.Problem(str(path), 0, 0, "", "no such file or directory"))
    unique = list(dict.fromkeys(p.resolve() for p in files))
    by_resolved = {p.resolve(): p for p in files}
    return [by_resolved[p] for p in unique], problems


def read_documents(path: Path, display: str | None = None) -> tuple[list[Document], list[errors.Problem]]:
    """Parse every document of one file. Never raises for bad content: problems are returned."""
    name = display or str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return [], [errors.Problem(name, 0, 0, "", f"cannot read file: {exc.strerror or exc}")]
    return parse_bytes(raw, name)


def parse_bytes(raw: bytes, name: str) -> tuple[list[Document], list[errors.Problem]]:
    """Parse YAML bytes (the body of one file) into documents, or located problems."""
    if len(raw) > MAX_BYTES:
        return [], [
            errors.Problem(name, 0, 0, "", f"file is {len(raw)} bytes; spec files are limited to {MAX_BYTES}")
        ]
    text = _decode(raw, name)
    if isinstance(text, errors.Problem):
        return [], [text]
    if _holds_no_document(text):
        return [], [errors.Problem(name, 0, 0, "", "file is empty: it holds no YAML document")]
    try:
        return _compose(text, name), []
    except (_TooBig, yaml.YAMLError, RecursionError) as exc:
        return [], [_yaml_problem(exc, text, name)]


def _decode(raw: bytes, name: str) -> str | errors.Problem:
    """The text of UTF-8 bytes (a byte-order mark is dropped), or where they stop being UTF-8."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return errors.Problem(
            name, line, column, "", f"file is not valid UTF-8 (byte 0x{raw[exc.start]:02x})"
        )


def _holds_no_document(text: str) -> bool:
    """Only blank lines, comments and document markers."""
    return all(
        not line.strip() or line.lstrip().startswith("#") or line.strip() in ("---", "...")
        for line in text.splitlines()
    )


def _compose(text: str, name: str) -> list[Document]:
    """Every document of the text, each with the locations of its values; raises on bad YAML."""
    documents: list[Document] = []
    loader = _Loader(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                break
            locations = Locations(name)
            data = _Builder(loader, locations).build(node, (), 0)
            documents.append(Document(name, len(documents), data, locations))
    finally:
        loader.dispose()
    return documents


def _yaml_problem(exc: BaseException, text: str, name: str) -> errors.Problem:
    """The located problem a parse failure stands for."""
    if isinstance(exc, _TooBig):
        mark = exc.node.start_mark
        return errors.Problem(name, mark.line + 1, mark.column + 1, "", str(exc))
    if isinstance(exc, yaml.MarkedYAMLError):
        where = exc.problem_mark or exc.context_mark
        line, column = (where.line + 1, where.column + 1) if where else (0, 0)
        message = " ".join(str(part) for part in (exc.context, exc.problem) if part) or "invalid YAML"
        if _tab_at(text, line, column):
            message = "a tab character in the indentation (YAML indents with spaces only)"
        return errors.Problem(name, line, column, "", f"invalid YAML: {message}")
    if isinstance(exc, RecursionError):
        return errors.Problem(name, 0, 0, "", f"document is nested deeper than {MAX_DEPTH} levels")
    return errors.Problem(name, 0, 0, "", f"invalid YAML: {exc}")
