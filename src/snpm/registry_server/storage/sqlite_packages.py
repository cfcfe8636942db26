"""SQL of package updates (SQLite backend): how one `PackageChange` is written inside the caller's
transaction (`SqliteStorage.update_package` takes the write lock, runs the transform and commits).
"""

from __future__ import annotations

import sqlite3

import msgspec

from snpm.json_types import JsonObject
from snpm.registry_server.storage import sqlite_orgs
from snpm.registry_server.storage.base import PackageChange, StoredPackage, next_revision
from snpm.registry_server.storage.package_index import index_package
from snpm.registry_server.storage.schema import write_index
from snpm.registry_server.storage.tarball_files import TarballFiles

__all__ = ["apply_change", "decode_document"]

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder()


def decode_document(blob: bytes) -> JsonObject:
    value = _decoder.decode(blob)
    if not isinstance(value, dict):
        raise ValueError("stored packument is not a JSON object")
    return value


def apply_change(
    conn: sqlite3.Connection,
    files: TarballFiles,
    name: str,
    current: StoredPackage | None,
    change: PackageChange,
    removed: list[str],
    *,
    fulltext: bool,
) -> StoredPackage | None:
    """Write `change` to package `name` (inside the caller's transaction); the files of removed
    tarballs are appended to `removed` for deletion after the commit."""
    for version in change.record_versions:
        conn.execute(
            "INSERT OR IGNORE INTO published_versions (name, version) VALUES (?, ?)", (name, version)
        )
    if change.document is None:
        removed.extend(r[0] for r in conn.execute("SELECT filename FROM tarballs WHERE name = ?", (name,)))
        conn.execute("DELETE FROM tarballs WHERE name = ?", (name,))
        conn.execute("DELETE FROM packages WHERE name = ?", (name,))
        # a later package of the same name starts without the old one's grants
        conn.execute("DELETE FROM team_packages WHERE package = ?", (name,))
        write_index(conn, name, None, "public", fulltext=fulltext)
        return None
    for filename in change.remove_tarballs:
        if conn.execute("DELETE FROM tarballs WHERE name = ? AND filename = ?", (name, filename)).rowcount:
            removed.append(filename)
    for grant in change.team_grants:
        sqlite_orgs.grant_team(conn, grant)
    access = change.access or (current.access if current else "public")
    mfa = change.mfa or (current.mfa if current else "none")
    if current is not None and change.document is current.document and not change.add_tarballs:
        # only tarball rows, grants or policies changed: the document and revision stay
        if (access, mfa) != (current.access, current.mfa):
            conn.execute("UPDATE packages SET access = ?, mfa = ? WHERE name = ?", (access, mfa, name))
            conn.execute(
                "UPDATE search_entries SET restricted = ? WHERE name = ?",
                (int(access == "restricted"), name),
            )
            return StoredPackage(name, current.rev, current.document, access, mfa)
        return current
    encoded = _encoder.encode(change.document)
    rev = next_revision(current.rev if current else None, encoded)
    conn.execute(
        "INSERT INTO packages (name, rev, document, access, mfa) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (name) DO UPDATE SET rev = excluded.rev, document = excluded.document, "
        "access = excluded.access, mfa = excluded.mfa",
        (name, rev, encoded, access, mfa),
    )
    write_index(conn, name, index_package(name, change.document), access, fulltext=fulltext)
    for tarball in change.add_tarballs:
        # the row first: a name clash fails here, before any file is touched
        conn.execute(
            "INSERT INTO tarballs (name, filename, version, size, integrity, shasum) VALUES (?, ?, ?, ?, ?, ?)",
            (
                name,
                tarball.filename,
                tarball.version,
                tarball.staged.size,
                tarball.staged.integrity,
                tarball.staged.shasum,
            ),
        )
        files.install(tarball.staged.path, name, tarball.filename)
    return StoredPackage(name, rev, change.document, access, mfa)
