"""The emulator's state: endpoint records in memory or in a SQLite file shared by processes.

Owns: ``Store`` (get, insert-if-absent, replace, delete, list by namespace in name order, lookup by
id) and its transactions. Called by: ``emulator.app``. Must not: know HTTP or the state machine.

A record is a plain dict (``namespace``, ``name``, ``id``, ``spec``, ``timeline``, ``secrets``...).
Every write is committed at once (WAL mode), so a killed server loses nothing it answered; a
transaction takes SQLite's write lock up front (``BEGIN IMMEDIATE``) so that check-then-write
sequences (a create checks the name is free) are atomic across processes too.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["Store"]

Record = dict[str, Any]


class Store:
    """Endpoint records keyed by (namespace, name). Thread-safe; process-safe with a SQLite file."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else None
        self.lock = threading.RLock()
        self._memory: dict[tuple[str, str], Record] = {}
        self._ids: dict[str, tuple[str, str]] = {}
        self._db: sqlite3.Connection | None = None
        self._depth = 0
        self._writes = 0
        # Called after each put or delete: (namespace, name, record or None, generation before, after).
        self.listeners: list[Any] = []
        self._key: bytes | None = None
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(
                str(self.path), timeout=30.0, check_same_thread=False, isolation_level=None
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS endpoints (namespace TEXT NOT NULL, name TEXT NOT NULL, "
                "id TEXT NOT NULL UNIQUE, data TEXT NOT NULL, PRIMARY KEY (namespace, name))"
            )
            self._db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")

    def vault_key(self) -> bytes:
        """The state's fingerprint key: created once, shared by every process using the file."""
        with self.lock:
            if self._key is not None:
                return self._key
            fresh = secrets.token_hex(32)
            if self._db is not None:
                with self.transaction():
                    self._db.execute(
                        "INSERT OR IGNORE INTO meta (key, value) VALUES ('vault_key', ?)", (fresh,)
                    )
                    row = self._db.execute("SELECT value FROM meta WHERE key = 'vault_key'").fetchone()
                fresh = str(row[0])
            self._key = bytes.fromhex(fresh)
            return self._key

    def clear(self) -> None:
        """Forget every endpoint (the fingerprint key stays)."""
        with self.transaction():
            self._writes += 1
            if self._db is None:
                self._memory.clear()
                self._ids.clear()
            else:
                self._db.execute("DELETE FROM endpoints")

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Serialize a read-modify-write, within this process and across processes."""
        with self.lock:
            outer = self._depth == 0
            self._depth += 1
            try:
                if outer and self._db is not None:
                    self._db.execute("BEGIN IMMEDIATE")
                yield
                if outer and self._db is not None:
                    self._db.execute("COMMIT")
            except BaseException:
                if outer and self._db is not None:
                    self._db.execute("ROLLBACK")
                raise
            finally:
                self._depth -= 1

    def generation(self) -> tuple[int, int]:
        """Changes whenever a record changes: this store's writes, and (with a SQLite file) SQLite's
        ``data_version``, which moves when another process commits to the same file."""
        with self.lock:
            if self._db is None:
                return (self._writes, 0)
            row = self._db.execute("PRAGMA data_version").fetchone()
            return (self._writes, int(row[0]))

    def get(self, namespace: str, name: str) -> Record | None:
        with self.lock:
            if self._db is None:
                record = self._memory.get((namespace, name))
                return json.loads(json.dumps(record)) if record is not None else None
            row = self._db.execute(
                "SELECT data FROM endpoints WHERE namespace = ? AND name = ?", (namespace, name)
            ).fetchone()
            return json.loads(row[0]) if row else None

    def by_id(self, endpoint_id: str) -> Record | None:
        with self.lock:
            if self._db is None:
                key = self._ids.get(endpoint_id)
                return self.get(*key) if key else None
            row = self._db.execute("SELECT data FROM endpoints WHERE id = ?", (endpoint_id,)).fetchone()
            return json.loads(row[0]) if row else None

    def put(self, record: Record) -> None:
        """Insert or replace."""
        with self.lock:
            before = self.generation()
            self._writes += 1
            key = (record["namespace"], record["name"])
            if self._db is None:
                self._memory[key] = json.loads(json.dumps(record))
                self._ids[record["id"]] = key
            else:
                self._db.execute(
                    "INSERT OR REPLACE INTO endpoints (namespace, name, id, data) VALUES (?, ?, ?, ?)",
                    (*key, record["id"], json.dumps(record)),
                )
            self._tell(key, record, before)

    def _tell(self, key: tuple[str, str], record: Record | None, before: tuple[int, int]) -> None:
        after = self.generation()
        for listener in self.listeners:
            listener(key[0], key[1], record, before, after)

    def delete(self, namespace: str, name: str) -> bool:
        with self.lock:
            before = self.generation()
            self._writes += 1
            if self._db is None:
                record = self._memory.pop((namespace, name), None)
                if record is not None:
                    self._ids.pop(record["id"], None)
                gone = record is not None
            else:
                cursor = self._db.execute(
                    "DELETE FROM endpoints WHERE namespace = ? AND name = ?", (namespace, name)
                )
                gone = cursor.rowcount > 0
            self._tell((namespace, name), None, before)
            return gone

    def names(self, namespace: str) -> list[str]:
        with self.lock:
            if self._db is None:
                return sorted(name for ns, name in self._memory if ns == namespace)
            rows = self._db.execute(
                "SELECT name FROM endpoints WHERE namespace = ? ORDER BY name", (namespace,)
            )
            return [r[0] for r in rows]

    def page(self, namespace: str, after: str | None, limit: int) -> list[Record]:
        """Records of ``namespace`` in name order, strictly after ``after``."""
        with self.lock:
            if self._db is None:
                # Read-only callers (listing): shallow copies; writers go through get(), which copies deeply.
                names = [n for n in self.names(namespace) if after is None or n > after][:limit]
                return [dict(self._memory[(namespace, n)]) for n in names]
            rows = self._db.execute(
                "SELECT data FROM endpoints WHERE namespace = ? AND name > ? ORDER BY name LIMIT ?",
                (namespace, after or "", limit),
            )
            return [json.loads(r[0]) for r in rows]

    def all(self, namespace: str | None = None) -> list[Record]:
        with self.lock:
            if self._db is None:
                keys = sorted(k for k in self._memory if namespace is None or k[0] == namespace)
                return [dict(self._memory[k]) for k in keys]
            if namespace is None:
                rows = self._db.execute("SELECT data FROM endpoints ORDER BY namespace, name")
            else:
                rows = self._db.execute(
                    "SELECT data FROM endpoints WHERE namespace = ? ORDER BY name", (namespace,)
                )
            return [json.loads(r[0]) for r in rows]

    def close(self) -> None:
        with self.lock:
            if self._db is not None:
                self._db.close()
                self._db = None
