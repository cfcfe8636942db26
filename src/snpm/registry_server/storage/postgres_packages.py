"""SQL of package updates (PostgreSQL backend): how one `PackageChange` is written inside the
caller's transaction (`PostgresStorage.update_package` takes the locks, runs the transform and
commits), statement for statement what `sqlite_packages` does.
"""

from __future__ import annotations

import asyncio

import msgspec

from snpm.registry_server.storage import postgres_orgs
from snpm.registry_server.storage.base import PackageChange, StoredPackage, next_revision
from snpm.registry_server.storage.package_index import index_package
from snpm.registry_server.storage.postgres_connection import PgConnection, affected
from snpm.registry_server.storage.postgres_schema import write_index
from snpm.registry_server.storage.tarball_files import TarballFiles

__all__ = ["apply_change"]

_encoder = msgspec.json.Encoder()


async def apply_change(
    conn: PgConnection,
    files: TarballFiles,
    name: str,
    current: StoredPackage | None,
    change: PackageChange,
    removed: list[str],
) -> StoredPackage | None:
    """Write `change` to package `name` (inside the caller's transaction, under its lock); the
    files of removed tarballs are appended to `removed` for deletion after the commit."""
    if change.record_versions:
        await conn.executemany(
            "INSERT INTO published_versions (name, version) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            [(name, version) for version in change.record_versions],
        )
    if change.document is None:
        rows = await conn.fetch("DELETE FROM tarballs WHERE name = $1 RETURNING filename", name)
        removed.extend(str(r[0]) for r in rows)
        await conn.execute("DELETE FROM packages WHERE name = $1", name)
        # a later package of the same name starts without the old one's grants
        await conn.execute("DELETE FROM team_packages WHERE package = $1", name)
        await write_index(conn, name, None, "public")
        return None
    for filename in change.remove_tarballs:
        status = await conn.execute("DELETE FROM tarballs WHERE name = $1 AND filename = $2", name, filename)
        if affected(status):
            removed.append(filename)
    for grant in change.team_grants:
        await postgres_orgs.grant_team(conn, grant)
    access = change.access or (current.access if current else "public")
    mfa = change.mfa or (current.mfa if current else "none")
    if current is not None and change.document is current.document and not change.add_tarballs:
        # only tarball rows, grants or policies changed: the document and revision stay
        if (access, mfa) != (current.access, current.mfa):
            await conn.execute("UPDATE packages SET access = $1, mfa = $2 WHERE name = $3", access, mfa, name)
            await conn.execute(
                "UPDATE search_entries SET restricted = $1 WHERE name = $2", access == "restricted", name
            )
            return StoredPackage(name, current.rev, current.document, access, mfa)
        return current
    encoded = _encoder.encode(change.document)
    rev = next_revision(current.rev if current else None, encoded)
    await conn.execute(
        "INSERT INTO packages (name, rev, document, access, mfa) VALUES ($1, $2, $3, $4, $5) "
        "ON CONFLICT (name) DO UPDATE SET rev = excluded.rev, document = excluded.document, "
        "access = excluded.access, mfa = excluded.mfa",
        name,
        rev,
        encoded,
        access,
        mfa,
    )
    await write_index(conn, name, index_package(name, change.document), access)
    for tarball in change.add_tarballs:
        # the row first: a name clash fails here, before any file is touched
        await conn.execute(
            "INSERT INTO tarballs (name, filename, version, size, integrity, shasum) "
            "VALUES ($1, $2, $3, $4, $5, $6)",
            name,
            tarball.filename,
            tarball.version,
            tarball.staged.size,
            tarball.staged.integrity,
            tarball.staged.shasum,
        )
        await asyncio.to_thread(files.install, tarball.staged.path, name, tarball.filename)
    return StoredPackage(name, rev, change.document, access, mfa)
