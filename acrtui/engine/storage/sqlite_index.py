"""The metadata index in SQLite (WAL).

One connection guarded by a lock: indexed lookups take microseconds, less than a hop to a
worker thread would, so the engine may call this straight from the event loop. WAL with
synchronous=NORMAL keeps the database consistent when the process is killed at any point.
"""

from __future__ import annotations

import bisect
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import groupby
from operator import itemgetter
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from acrtui.engine.storage.index import MetaIndex, Order, index_time
from acrtui.engine.storage.records import (
    Attributes,
    ChildRef,
    ManifestLookup,
    ManifestRecord,
    RepositoryRecord,
    TagRecord,
    UploadRecord,
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS repositories (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  created TEXT NOT NULL,
  updated TEXT NOT NULL,
  attrs INTEGER NOT NULL DEFAULT 15
);
CREATE TABLE IF NOT EXISTS blobs (
  repo INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
  digest TEXT NOT NULL,
  size INTEGER NOT NULL,
  PRIMARY KEY (repo, digest)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS blobs_by_digest ON blobs(digest);
CREATE TABLE IF NOT EXISTS manifests (
  repo INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
  digest TEXT NOT NULL,
  media_type TEXT NOT NULL,
  body BLOB NOT NULL,
  created TEXT NOT NULL,
  updated TEXT NOT NULL,
  attrs INTEGER NOT NULL DEFAULT 15,
  subject TEXT,
  artifact_type TEXT NOT NULL DEFAULT '',
  config_media_type TEXT NOT NULL DEFAULT '',
  architecture TEXT NOT NULL DEFAULT '',
  os TEXT NOT NULL DEFAULT '',
  image_size INTEGER NOT NULL DEFAULT 0,
  annotations TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (repo, digest)
);
CREATE INDEX IF NOT EXISTS manifests_by_subject ON manifests(repo, subject) WHERE subject IS NOT NULL;
CREATE INDEX IF NOT EXISTS manifests_by_time ON manifests(repo, updated, digest);
CREATE TABLE IF NOT EXISTS manifest_blobs (
  repo INTEGER NOT NULL,
  manifest TEXT NOT NULL,
  blob TEXT NOT NULL,
  PRIMARY KEY (repo, manifest, blob),
  FOREIGN KEY (repo, manifest) REFERENCES manifests(repo, digest) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS manifest_children (
  repo INTEGER NOT NULL,
  parent TEXT NOT NULL,
  child TEXT NOT NULL,
  architecture TEXT NOT NULL DEFAULT '',
  os TEXT NOT NULL DEFAULT '',
  variant TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (repo, parent, child),
  FOREIGN KEY (repo, parent) REFERENCES manifests(repo, digest) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS children_by_child ON manifest_children(repo, child);
CREATE TABLE IF NOT EXISTS tags (
  repo INTEGER NOT NULL,
  name TEXT NOT NULL,
  digest TEXT NOT NULL,
  created TEXT NOT NULL,
  updated TEXT NOT NULL,
  attrs INTEGER NOT NULL DEFAULT 15,
  PRIMARY KEY (repo, name),
  FOREIGN KEY (repo, digest) REFERENCES manifests(repo, digest) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS tags_by_digest ON tags(repo, digest);
CREATE INDEX IF NOT EXISTS tags_by_time ON tags(repo, updated, name);
CREATE TABLE IF NOT EXISTS uploads (
  id TEXT PRIMARY KEY,
  repo INTEGER NOT NULL REFERENCES repositories(id) ON DELETE CASCADE,
  started TEXT NOT NULL
);
"""

_DELETE, _WRITE, _READ, _LIST = 1, 2, 4, 8
# Below this many tags a listing is cheap enough to read from the table every time.
_CACHED_LISTING = 1000
# Digests per `IN (...)` query: well below SQLite's bound-parameter limit (999 before 3.32).
_IN_CHUNK = 500


def _in_chunks(keys: list[str]) -> Iterator[tuple[list[str], str]]:
    """`keys` in slices of _IN_CHUNK, each with its `?,?,…` placeholders for an IN list."""
    for start in range(0, len(keys), _IN_CHUNK):
        chunk = keys[start : start + _IN_CHUNK]
        yield chunk, ",".join("?" * len(chunk))
_MANIFEST_COLUMNS = (
    "m.digest, m.media_type, m.body, m.created, m.updated, m.attrs, m.subject, m.artifact_type, "
    "m.config_media_type, m.architecture, m.os, m.image_size, m.annotations"
)


def utc_now() -> str:
    return index_time(datetime.now(UTC))


def _pack(a: Attributes) -> int:
    return (
        (_DELETE if a.delete_enabled else 0)
        | (_WRITE if a.write_enabled else 0)
        | (_READ if a.read_enabled else 0)
        | (_LIST if a.list_enabled else 0)
    )


# Attributes are frozen: the sixteen combinations are built once, so reading locks allocates nothing.
_ATTRIBUTES = tuple(
    Attributes(bool(bits & _DELETE), bool(bits & _WRITE), bool(bits & _READ), bool(bits & _LIST)) for bits in range(16)
)


def _unpack(bits: int) -> Attributes:
    return _ATTRIBUTES[bits & 15]


class SqliteMetaIndex(MetaIndex):
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._lock = threading.RLock()
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA foreign_keys=ON")
        self._conn.execute("PRAGMA busy_timeout=5000")
        self._conn.executescript(_SCHEMA)
        # Full tag listings of big repositories, kept until the next write (see tag_names).
        self._writes = 0
        self._tag_lists: dict[str, tuple[tuple[int, int], list[str]]] = {}

    # plumbing

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        # Every write goes through here: the count of commits is what expires remembered listings.
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
            self._writes += 1

    def _version(self) -> tuple[int, int]:
        """Changes with every commit: this connection's own, and (data_version) any other process's."""
        return self._writes, self._conn.execute("PRAGMA data_version").fetchone()[0]

    def _query(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def _one(self, sql: str, params: tuple = ()) -> tuple | None:
        with self._lock:
            return self._conn.execute(sql, params).fetchone()

    def _repo_id(self, name: str) -> int | None:
        row = self._one("SELECT id FROM repositories WHERE name=?", (name,))
        return row[0] if row else None

    @staticmethod
    def _ensure_repo(conn: sqlite3.Connection, name: str, now: str) -> int:
        conn.execute(
            "INSERT OR IGNORE INTO repositories(name, created, updated) VALUES (?, ?, ?)", (name, now, now)
        )
        return conn.execute("SELECT id FROM repositories WHERE name=?", (name,)).fetchone()[0]

    # repositories

    def get_repository(self, name: str) -> RepositoryRecord | None:
        row = self._one(
            "SELECT r.name, r.created, r.updated, r.attrs,"
            " (SELECT COUNT(*) FROM manifests m WHERE m.repo=r.id),"
            " (SELECT COUNT(*) FROM tags t WHERE t.repo=r.id)"
            " FROM repositories r WHERE r.name=?",
            (name,),
        )
        if row is None:
            return None
        return RepositoryRecord(row[0], row[1], row[2], _unpack(row[3]), row[4], row[5])

    def list_repositories(self, *, last: str | None, limit: int | None, include_hidden: bool) -> list[str]:
        sql = "SELECT name FROM repositories r WHERE name > ? AND EXISTS (SELECT 1 FROM manifests m WHERE m.repo=r.id)"
        if not include_hidden:
            sql += f" AND (attrs & {_LIST})"
        sql += " ORDER BY name LIMIT ?"
        return [r[0] for r in self._query(sql, (last or "", -1 if limit is None else limit))]

    def repository_attributes(self, name: str) -> Attributes | None:
        row = self._one("SELECT attrs FROM repositories WHERE name=?", (name,))
        return _unpack(row[0]) if row else None

    def set_repository_attributes(self, name: str, attributes: Attributes) -> RepositoryRecord | None:
        with self._tx() as c:
            updated = c.execute("UPDATE repositories SET attrs=? WHERE name=?", (_pack(attributes), name)).rowcount
        return self.get_repository(name) if updated else None

    def undeletable(self, repository: str, *, limit: int) -> tuple[list[str], list[str]]:
        repo = self._repo_id(repository)
        if repo is None:
            return [], []
        # A write lock forbids deletion too (ACR), so either bit cleared means locked.
        locked = f"(attrs & {_DELETE | _WRITE}) != {_DELETE | _WRITE}"
        tags = self._query(f"SELECT name FROM tags WHERE repo=? AND {locked} ORDER BY name LIMIT ?", (repo, limit))
        digests = self._query(
            f"SELECT digest FROM manifests WHERE repo=? AND {locked} ORDER BY digest LIMIT ?", (repo, limit)
        )
        return [r[0] for r in tags], [r[0] for r in digests]

    def delete_repository(self, name: str) -> tuple[list[str], list[str]] | None:
        with self._tx() as c:
            row = c.execute("SELECT id FROM repositories WHERE name=?", (name,)).fetchone()
            if row is None:
                return None
            digests = [r[0] for r in c.execute("SELECT digest FROM manifests WHERE repo=? ORDER BY digest", row)]
            tags = [r[0] for r in c.execute("SELECT name FROM tags WHERE repo=? ORDER BY name", row)]
            c.execute("DELETE FROM repositories WHERE id=?", row)
        return digests, tags

    # blobs

    def link_blob(self, repository: str, digest: str, size: int) -> None:
        with self._tx() as c:
            repo = self._ensure_repo(c, repository, utc_now())
            c.execute("INSERT OR IGNORE INTO blobs(repo, digest, size) VALUES (?, ?, ?)", (repo, digest, size))

    def linked_blob_size(self, repository: str, digest: str) -> int | None:
        row = self._one(
            "SELECT b.size FROM blobs b JOIN repositories r ON r.id=b.repo WHERE r.name=? AND b.digest=?",
            (repository, digest),
        )
        return row[0] if row else None

    def blob_link(self, repository: str, digest: str) -> tuple[int, Attributes] | None:
        row = self._one(
            "SELECT b.size, r.attrs FROM repositories r JOIN blobs b ON b.repo=r.id WHERE r.name=? AND b.digest=?",
            (repository, digest),
        )
        return (row[0], _unpack(row[1])) if row else None

    def any_blob_size(self, digest: str) -> int | None:
        row = self._one("SELECT size FROM blobs WHERE digest=? LIMIT 1", (digest,))
        return row[0] if row else None

    def missing_blobs(self, repository: str, digests: list[str]) -> list[str]:
        repo = self._repo_id(repository)
        if repo is None:
            return list(dict.fromkeys(digests))
        return [
            d
            for d in dict.fromkeys(digests)
            if self._one("SELECT 1 FROM blobs WHERE repo=? AND digest=?", (repo, d)) is None
        ]

    def unlink_blob(self, repository: str, digest: str) -> bool:
        with self._tx() as c:
            return bool(
                c.execute(
                    "DELETE FROM blobs WHERE digest=? AND repo=(SELECT id FROM repositories WHERE name=?)",
                    (digest, repository),
                ).rowcount
            )

    def blob_in_use(self, digest: str) -> bool:
        return self._one("SELECT 1 FROM blobs WHERE digest=? LIMIT 1", (digest,)) is not None

    # uploads

    def create_upload(self, upload_id: str, repository: str) -> UploadRecord:
        now = utc_now()
        with self._tx() as c:
            repo = self._ensure_repo(c, repository, now)
            c.execute("INSERT INTO uploads(id, repo, started) VALUES (?, ?, ?)", (upload_id, repo, now))
        return UploadRecord(upload_id, repository, now)

    def get_upload(self, upload_id: str) -> UploadRecord | None:
        row = self._one(
            "SELECT u.id, r.name, u.started FROM uploads u JOIN repositories r ON r.id=u.repo WHERE u.id=?",
            (upload_id,),
        )
        return UploadRecord(*row) if row else None

    def delete_upload(self, upload_id: str) -> None:
        with self._tx() as c:
            c.execute("DELETE FROM uploads WHERE id=?", (upload_id,))

    def uploads_started_before(self, stamp: str) -> list[str]:
        return [r[0] for r in self._query("SELECT id FROM uploads WHERE started < ?", (stamp,))]

    # manifests and tags

    def put_manifest(self, record: ManifestRecord, tag: str | None) -> str | None:
        now = utc_now()
        with self._tx() as c:
            repo = self._ensure_repo(c, record.repository, now)
            inserted = c.execute(
                "INSERT OR IGNORE INTO manifests(repo, digest, media_type, body, created, updated, attrs, subject,"
                " artifact_type, config_media_type, architecture, os, image_size, annotations)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    repo,
                    record.digest,
                    record.media_type,
                    record.body,
                    now,
                    now,
                    _pack(record.attributes),
                    record.subject,
                    record.artifact_type,
                    record.config_media_type,
                    record.architecture,
                    record.os,
                    record.image_size,
                    record.annotations_json,
                ),
            ).rowcount
            if inserted:
                c.executemany(
                    "INSERT OR IGNORE INTO manifest_blobs(repo, manifest, blob) VALUES (?, ?, ?)",
                    [(repo, record.digest, b) for b in record.blobs],
                )
                c.executemany(
                    "INSERT OR IGNORE INTO manifest_children(repo, parent, child, architecture, os, variant)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    [(repo, record.digest, ch.digest, ch.architecture, ch.os, ch.variant) for ch in record.children],
                )
            previous = None
            if tag is not None:
                row = c.execute("SELECT digest FROM tags WHERE repo=? AND name=?", (repo, tag)).fetchone()
                previous = row[0] if row else None
                if previous is None:
                    c.execute(
                        "INSERT INTO tags(repo, name, digest, created, updated) VALUES (?, ?, ?, ?, ?)",
                        (repo, tag, record.digest, now, now),
                    )
                elif previous != record.digest:
                    c.execute(
                        "UPDATE tags SET digest=?, updated=? WHERE repo=? AND name=?", (record.digest, now, repo, tag)
                    )
            c.execute("UPDATE repositories SET updated=? WHERE id=?", (now, repo))
        return previous

    def _manifests_from_rows(
        self, repository: str, repo: int, rows: list[tuple], with_refs: bool
    ) -> list[ManifestRecord]:
        """Records for manifest rows; their tags (and blobs and children) in one query each, not per row."""
        digests = [row[0] for row in rows]
        tags = self._tags_by_digest(repo, digests)
        blobs: dict[str, list[tuple]] = {}
        children: dict[str, list[tuple]] = {}
        if with_refs:
            blobs = self._grouped(
                "SELECT manifest, blob FROM manifest_blobs WHERE repo=? AND manifest IN ({}) ORDER BY manifest", repo, digests
            )
            children = self._grouped(
                "SELECT parent, child, architecture, os, variant FROM manifest_children WHERE repo=? AND parent IN ({})"
                " ORDER BY parent, child",
                repo,
                digests,
            )
        return [
            ManifestRecord(
                repository=repository,
                digest=row[0],
                media_type=row[1],
                body=row[2],
                created=row[3],
                updated=row[4],
                attributes=_unpack(row[5]),
                subject=row[6],
                artifact_type=row[7],
                config_media_type=row[8],
                architecture=row[9],
                os=row[10],
                image_size=row[11],
                annotations_json=row[12],
                blobs=tuple(map(itemgetter(1), blobs.get(row[0], ()))),
                children=tuple(ChildRef(*r[1:]) for r in children.get(row[0], ())),
                tags=tags.get(row[0], ()),
            )
            for row in rows
        ]

    def _grouped(self, sql: str, repo: int, keys: list[str]) -> dict[str, list[tuple]]:
        """Rows of `sql` (ordered by its first column, the key; `{}` the IN list) grouped by key,
        in chunks below SQLite's limit on bound parameters. Grouping stays in C: one manifest may
        carry 100,000 tags."""
        grouped: dict[str, list[tuple]] = {}
        for chunk, marks in _in_chunks(keys):
            rows = self._query(sql.format(marks), (repo, *chunk))
            grouped.update((key, list(group)) for key, group in groupby(rows, key=itemgetter(0)))
        return grouped

    def _tags_by_digest(self, repo: int, digests: list[str]) -> dict[str, tuple[str, ...]]:
        """The tags of each manifest, sorted. The names come alone, in the index's order (digest,
        then name), and are cut by per-digest counts: a second column of 71-character digests
        would cost half as much again for a manifest with 100,000 tags."""
        found: dict[str, tuple[str, ...]] = {}
        for chunk, marks in _in_chunks(digests):
            with self._lock, self._snapshot() as c:
                counts = c.execute(
                    f"SELECT digest, count(*) FROM tags WHERE repo=? AND digest IN ({marks}) GROUP BY digest ORDER BY digest",
                    (repo, *chunk),
                ).fetchall()
                names = c.execute(
                    f"SELECT name FROM tags WHERE repo=? AND digest IN ({marks}) ORDER BY digest, name", (repo, *chunk)
                ).fetchall()
            offset = 0
            for digest, count in counts:
                found[digest] = tuple(map(itemgetter(0), names[offset : offset + count]))
                offset += count
        return found

    @contextmanager
    def _snapshot(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: the queries inside see one state of the index."""
        self._conn.execute("BEGIN")
        try:
            yield self._conn
        finally:
            self._conn.execute("COMMIT")

    def get_manifest(self, repository: str, digest: str) -> ManifestRecord | None:
        repo = self._repo_id(repository)
        if repo is None:
            return None
        row = self._one(f"SELECT {_MANIFEST_COLUMNS} FROM manifests m WHERE m.repo=? AND m.digest=?", (repo, digest))
        return self._manifests_from_rows(repository, repo, [row], with_refs=True)[0] if row else None

    def lookup_manifest(self, repository: str, reference: str) -> ManifestLookup | None:
        if ":" in reference:
            row = self._one(
                "SELECT m.digest, m.media_type, m.body, m.attrs, r.attrs, NULL FROM repositories r"
                " JOIN manifests m ON m.repo=r.id WHERE r.name=? AND m.digest=?",
                (repository, reference),
            )
        else:
            row = self._one(
                "SELECT m.digest, m.media_type, m.body, m.attrs, r.attrs, t.attrs FROM repositories r"
                " JOIN tags t ON t.repo=r.id JOIN manifests m ON m.repo=r.id AND m.digest=t.digest"
                " WHERE r.name=? AND t.name=?",
                (repository, reference),
            )
        if row is None:
            return None
        return ManifestLookup(
            row[0], row[1], row[2], _unpack(row[3]), _unpack(row[4]), None if row[5] is None else _unpack(row[5])
        )

    def missing_manifests(self, repository: str, digests: list[str]) -> list[str]:
        repo = self._repo_id(repository)
        if repo is None:
            return list(dict.fromkeys(digests))
        return [
            d
            for d in dict.fromkeys(digests)
            if self._one("SELECT 1 FROM manifests WHERE repo=? AND digest=?", (repo, d)) is None
        ]

    def get_tag(self, repository: str, tag: str) -> TagRecord | None:
        row = self._one(
            "SELECT t.name, t.digest, t.created, t.updated, t.attrs FROM tags t"
            " JOIN repositories r ON r.id=t.repo WHERE r.name=? AND t.name=?",
            (repository, tag),
        )
        return TagRecord(repository, row[0], row[1], row[2], row[3], _unpack(row[4])) if row else None

    def _time_cursor(
        self, repo: int | None, table: str, key: str, order: Order, last: str | None, last_time: str | None
    ) -> str | None | Literal[False]:
        """The time of the `last` item when paging in time order; False when that item is gone."""
        if repo is None or not last or order == "name":
            return None
        if last_time:
            return last_time
        row = self._one(f"SELECT updated FROM {table} WHERE repo=? AND {key}=?", (repo, last))
        return row[0] if row else False

    @staticmethod
    def _keyset(order: Order, key: str, time_col: str, cursor_time: str | None, last: str | None) -> tuple[str, tuple, str]:
        """WHERE clause, its parameters and ORDER BY for keyset paging after `last`."""
        if order == "name":
            return (f" AND {key} > ?", (last,), f"{key}") if last else ("", (), f"{key}")
        direction, cmp = ("DESC", "<") if order == "timedesc" else ("ASC", ">")
        order_by = f"{time_col} {direction}, {key} {direction}"
        if cursor_time is None:
            return "", (), order_by
        return f" AND ({time_col}, {key}) {cmp} (?, ?)", (cursor_time, last), order_by

    def list_tags(
        self,
        repository: str,
        *,
        last: str | None,
        limit: int | None,
        include_hidden: bool,
        order: Order = "name",
        digest: str | None = None,
        last_time: str | None = None,
    ) -> list[TagRecord]:
        repo = self._repo_id(repository)
        cursor = self._time_cursor(repo, "tags", "name", order, last, last_time)
        if repo is None or cursor is False:
            return []
        where, params, order_by = self._keyset(order, "name", "updated", cursor, last)
        sql = "SELECT name, digest, created, updated, attrs FROM tags WHERE repo=?" + where
        if not include_hidden:
            sql += f" AND (attrs & {_LIST})"
        if digest:
            sql += " AND digest=?"
            params += (digest,)
        sql += f" ORDER BY {order_by} LIMIT ?"
        rows = self._query(sql, (repo, *params, -1 if limit is None else limit))
        return [TagRecord(repository, r[0], r[1], r[2], r[3], _unpack(r[4])) for r in rows]

    def tag_names(self, repository: str, *, last: str | None, limit: int | None) -> list[str] | None:
        # A full listing is remembered until the next write, so listing a repository of 10,000 tags
        # again (or paging through it afterwards) slices a list instead of reading every row.
        with self._lock:
            version = self._version()
            cached = self._tag_lists.get(repository)
            if cached is not None and cached[0] == version:
                names = cached[1]
                start = bisect.bisect_right(names, last) if last else 0
                return names[start:] if limit is None else names[start : start + limit]
            repo = self._repo_id(repository)
            if repo is None:
                return None
            rows = self._conn.execute(
                f"SELECT name FROM tags WHERE repo=? AND name > ? AND (attrs & {_LIST}) ORDER BY name LIMIT ?",
                (repo, last or "", -1 if limit is None else limit),
            ).fetchall()
            names = [r[0] for r in rows]
            if last is None and limit is None and len(names) >= _CACHED_LISTING:
                if len(self._tag_lists) >= 16:
                    self._tag_lists.clear()
                self._tag_lists[repository] = (version, names)
                return list(names)
            return names

    def list_manifests(
        self,
        repository: str,
        *,
        last: str | None,
        limit: int | None,
        include_hidden: bool,
        order: Order = "name",
        last_time: str | None = None,
    ) -> list[ManifestRecord]:
        repo = self._repo_id(repository)
        cursor = self._time_cursor(repo, "manifests", "digest", order, last, last_time)
        if repo is None or cursor is False:
            return []
        where, params, order_by = self._keyset(order, "m.digest", "m.updated", cursor, last)
        sql = f"SELECT {_MANIFEST_COLUMNS} FROM manifests m WHERE m.repo=?" + where
        if not include_hidden:
            sql += f" AND (m.attrs & {_LIST})"
        sql += f" ORDER BY {order_by} LIMIT ?"
        rows = self._query(sql, (repo, *params, -1 if limit is None else limit))
        return self._manifests_from_rows(repository, repo, rows, with_refs=True)

    def tags_of(self, repository: str, digest: str) -> list[str]:
        return [
            r[0]
            for r in self._query(
                "SELECT t.name FROM tags t JOIN repositories r ON r.id=t.repo WHERE r.name=? AND t.digest=? ORDER BY t.name",
                (repository, digest),
            )
        ]

    def parents_of(self, repository: str, digest: str) -> list[str]:
        return [
            r[0]
            for r in self._query(
                "SELECT c.parent FROM manifest_children c JOIN repositories r ON r.id=c.repo"
                " WHERE r.name=? AND c.child=? ORDER BY c.parent",
                (repository, digest),
            )
        ]

    def referrers(self, repository: str, subject: str, artifact_type: str | None) -> list[ManifestRecord]:
        repo = self._repo_id(repository)
        if repo is None:
            return []
        rows = self._query(
            f"SELECT {_MANIFEST_COLUMNS} FROM manifests m WHERE m.repo=? AND m.subject=? ORDER BY m.digest",
            (repo, subject),
        )
        records = self._manifests_from_rows(repository, repo, rows, with_refs=False)
        if artifact_type:
            records = [r for r in records if (r.artifact_type or r.config_media_type) == artifact_type]
        return records

    def delete_manifest(self, repository: str, digest: str) -> list[str] | None:
        now = utc_now()
        with self._tx() as c:
            row = c.execute("SELECT id FROM repositories WHERE name=?", (repository,)).fetchone()
            if row is None:
                return None
            repo = row[0]
            tags = [r[0] for r in c.execute("SELECT name FROM tags WHERE repo=? AND digest=? ORDER BY name", (repo, digest))]
            if not c.execute("DELETE FROM manifests WHERE repo=? AND digest=?", (repo, digest)).rowcount:
                return None
            c.execute("UPDATE repositories SET updated=? WHERE id=?", (now, repo))
        return tags

    def delete_tag(self, repository: str, tag: str) -> bool:
        now = utc_now()
        with self._tx() as c:
            deleted = c.execute(
                "DELETE FROM tags WHERE name=? AND repo=(SELECT id FROM repositories WHERE name=?)", (tag, repository)
            ).rowcount
            if deleted:
                c.execute("UPDATE repositories SET updated=? WHERE name=?", (now, repository))
        return bool(deleted)

    def set_tag_attributes(self, repository: str, tag: str, attributes: Attributes) -> TagRecord | None:
        with self._tx() as c:
            c.execute(
                "UPDATE tags SET attrs=? WHERE name=? AND repo=(SELECT id FROM repositories WHERE name=?)",
                (_pack(attributes), tag, repository),
            )
        return self.get_tag(repository, tag)

    def set_manifest_attributes(self, repository: str, digest: str, attributes: Attributes) -> ManifestRecord | None:
        with self._tx() as c:
            c.execute(
                "UPDATE manifests SET attrs=? WHERE digest=? AND repo=(SELECT id FROM repositories WHERE name=?)",
                (_pack(attributes), digest, repository),
            )
        return self.get_manifest(repository, digest)

    def set_times(self, repository: str, *, tag: str | None = None, digest: str | None = None, when: str) -> bool:
        table, key, value = ("tags", "name", tag) if tag is not None else ("manifests", "digest", digest)
        with self._tx() as c:
            changed = c.execute(
                f"UPDATE {table} SET created=?, updated=? WHERE {key}=?"
                " AND repo=(SELECT id FROM repositories WHERE name=?)",
                (when, when, value, repository),
            ).rowcount
            # The repository was last updated when its newest tag or manifest was.
            c.execute(
                "UPDATE repositories SET"
                " created=MIN(created, ?),"
                " updated=MAX(COALESCE((SELECT MAX(updated) FROM tags WHERE repo=repositories.id), ''),"
                "             COALESCE((SELECT MAX(updated) FROM manifests WHERE repo=repositories.id), ''))"
                " WHERE name=?",
                (when, repository),
            )
        return bool(changed)

    def close(self) -> None:
        with self._lock:
            self._conn.close()
