"""SQL for the uplink cache (SQLite backend): packuments fetched from the uplink, one row per
(name, form), and the tarballs fetched for them. Plain functions over a connection, like
`sqlite_orgs`; documents and tarball origins are stored as msgspec-encoded JSON.
"""

from __future__ import annotations

import sqlite3

import msgspec

from snpm.json_types import JsonObject
from snpm.registry_server.storage.records import CachedHead, CachedPackument

__all__ = [
    "MIGRATION",
    "cached_heads",
    "cached_tarball",
    "forget_cached",
    "read_cached",
    "record_tarball",
    "store_cached",
    "touch_cached",
]

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder()

# migration 3 (a rowid table: documents can be large, which WITHOUT ROWID tables handle badly)
MIGRATION = """
    CREATE TABLE uplink_packuments (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        form TEXT NOT NULL,
        rev TEXT NOT NULL,
        etag TEXT,
        fetched REAL NOT NULL,
        document BLOB NOT NULL,
        origins BLOB NOT NULL,
        UNIQUE (name, form)
    );
    CREATE TABLE uplink_tarballs (
        name TEXT NOT NULL,
        filename TEXT NOT NULL,
        version TEXT NOT NULL,
        size INTEGER NOT NULL,
        integrity TEXT NOT NULL,
        shasum TEXT NOT NULL,
        PRIMARY KEY (name, filename)
    ) WITHOUT ROWID;
"""


def _object(blob: bytes) -> JsonObject:
    value = _decoder.decode(blob)
    if not isinstance(value, dict):
        raise ValueError("a cached uplink document is not a JSON object")
    return value


def cached_heads(conn: sqlite3.Connection, name: str) -> list[CachedHead]:
    rows = conn.execute("SELECT form, rev, etag, fetched FROM uplink_packuments WHERE name = ?", (name,))
    return [CachedHead(name, str(form), str(rev), etag, float(fetched)) for form, rev, etag, fetched in rows]


def read_cached(conn: sqlite3.Connection, name: str, form: str) -> CachedPackument | None:
    row = conn.execute(
        "SELECT rev, etag, fetched, document, origins FROM uplink_packuments WHERE name = ? AND form = ?",
        (name, form),
    ).fetchone()
    if row is None:
        return None
    origins = _object(row[4])
    return CachedPackument(
        CachedHead(name, form, str(row[0]), row[1], float(row[2])),
        _object(row[3]),
        {k: v for k, v in origins.items() if isinstance(v, str)},
    )


def store_cached(conn: sqlite3.Connection, entry: CachedPackument) -> None:
    head = entry.head
    conn.execute(
        "INSERT INTO uplink_packuments (name, form, rev, etag, fetched, document, origins) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name, form) DO UPDATE SET rev = excluded.rev, "
        "etag = excluded.etag, fetched = excluded.fetched, document = excluded.document, "
        "origins = excluded.origins",
        (
            head.name,
            head.form,
            head.rev,
            head.etag,
            head.fetched,
            _encoder.encode(entry.document),
            _encoder.encode(dict(entry.origins)),
        ),
    )


def touch_cached(conn: sqlite3.Connection, name: str, form: str, fetched: float, etag: str | None) -> None:
    conn.execute(
        "UPDATE uplink_packuments SET fetched = ?, etag = coalesce(?, etag) WHERE name = ? AND form = ?",
        (fetched, etag, name, form),
    )


def forget_cached(conn: sqlite3.Connection, name: str) -> None:
    conn.execute("DELETE FROM uplink_packuments WHERE name = ?", (name,))


def cached_tarball(conn: sqlite3.Connection, name: str, filename: str) -> tuple[str, int, str, str] | None:
    """(version, size, integrity, shasum) of a cached tarball."""
    row = conn.execute(
        "SELECT version, size, integrity, shasum FROM uplink_tarballs WHERE name = ? AND filename = ?",
        (name, filename),
    ).fetchone()
    return (str(row[0]), int(row[1]), str(row[2]), str(row[3])) if row else None


def record_tarball(
    conn: sqlite3.Connection, name: str, filename: str, version: str, size: int, integrity: str, shasum: str
) -> None:
    # another worker may have fetched the same file a moment earlier: same bytes, same row
    conn.execute(
        "INSERT OR IGNORE INTO uplink_tarballs (name, filename, version, size, integrity, shasum) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (name, filename, version, size, integrity, shasum),
    )
