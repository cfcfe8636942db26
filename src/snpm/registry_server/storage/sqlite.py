"""The embedded storage backend: one data folder, an SQLite database (WAL) plus tarball files.

Blocking sqlite3 calls never run on the event loop: reads go to a small thread pool (a connection
per thread; WAL lets them run beside a writer), writes to a single writer thread whose transactions
start with `BEGIN IMMEDIATE`, so two updates of one package (or two processes on one data folder,
such as the server and an admin command) are serialised by SQLite's write lock.

A package update: read the current row and the versions ever published, run the transform, insert
the tarball rows, move the staged tarball files into place, commit; only after the commit are the
files of removed tarballs deleted. A crash before the commit rolls the database back and leaves at
most an unreferenced file.
"""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import msgspec

from snpm.json_types import JsonObject
from snpm.registry_server.storage.base import (
    PackageChange,
    PackageState,
    PackageTransform,
    StagedTarball,
    StoredPackage,
    TarballRecord,
    TokenPage,
    TokenRecord,
    UserRecord,
)
from snpm.registry_server.storage.schema import migrate
from snpm.registry_server.storage.tarball_files import TarballFiles

__all__ = ["SqliteStorage"]

T = TypeVar("T")
_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder()
_USER_COLUMNS = "name, email, password_hash, created, updated"
_TOKEN_COLUMNS = (
    "key, token_hash, user, prefix, name, description, readonly, cidr_whitelist, created, updated, expires"
)


def _decode_document(blob: bytes) -> JsonObject:
    value = _decoder.decode(blob)
    if not isinstance(value, dict):
        raise ValueError("stored packument is not a JSON object")
    return value


def next_revision(previous: str | None, body: bytes) -> str:
    """couch-style `<serial>-<digest>`: the serial counts updates, the digest names the content."""
    serial = 0
    if previous:
        head = previous.split("-", 1)[0]
        serial = int(head) if head.isdigit() else 0
    return f"{serial + 1}-{hashlib.sha256(body).hexdigest()[:32]}"


def _user(row: tuple[str, str, str, str, str]) -> UserRecord:
    return UserRecord(*row)


def _token(row: tuple[object, ...]) -> TokenRecord:
    (key, token_hash, user, prefix, name, description, readonly, cidr, created, updated, expires) = row
    cidrs = _decoder.decode(cidr) if isinstance(cidr, str) and cidr else []
    return TokenRecord(
        key=str(key),
        token_hash=str(token_hash),
        user=str(user),
        prefix=str(prefix),
        name=str(name or ""),
        description=str(description or ""),
        readonly=bool(readonly),
        cidr_whitelist=tuple(str(c) for c in cidrs),
        created=str(created),
        updated=str(updated),
        expires=str(expires) if expires else None,
    )


class SqliteStorage:
    """`Storage` on SQLite + files. `open()` before use, `close()` at the end."""

    def __init__(self, database: Path, tarball_root: Path, *, readers: int = 4) -> None:
        self.database = database
        self.files = TarballFiles(tarball_root)
        self._readers = readers
        self._read_pool: ThreadPoolExecutor | None = None
        self._write_pool: ThreadPoolExecutor | None = None
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()

    # ── plumbing ──

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.database, timeout=30.0, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA busy_timeout = 30000")
        with self._connections_lock:
            self._connections.append(conn)
        return conn

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
        return conn

    async def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        if self._read_pool is None:
            raise RuntimeError("storage is not open")
        return await asyncio.get_running_loop().run_in_executor(self._read_pool, lambda: fn(self._conn()))

    async def _write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        if self._write_pool is None:
            raise RuntimeError("storage is not open")
        return await asyncio.get_running_loop().run_in_executor(self._write_pool, lambda: fn(self._conn()))

    def _commit(self, conn: sqlite3.Connection) -> None:
        """The commit point of every write (a seam for crash tests)."""
        conn.execute("COMMIT")

    def _transaction(self, conn: sqlite3.Connection, body: Callable[[], T]) -> T:
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = body()
            self._commit(conn)
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return result

    def open_sync(self) -> None:
        self.database.parent.mkdir(parents=True, exist_ok=True)
        self.files.prepare()
        conn = sqlite3.connect(self.database, timeout=30.0, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            migrate(conn)
        finally:
            conn.close()

    async def open(self) -> None:
        if self._read_pool is not None:
            return
        await asyncio.to_thread(self.open_sync)
        self._read_pool = ThreadPoolExecutor(self._readers, thread_name_prefix="snpm-registry-read")
        self._write_pool = ThreadPoolExecutor(1, thread_name_prefix="snpm-registry-write")

    async def close(self) -> None:
        pools = [p for p in (self._read_pool, self._write_pool) if p is not None]
        self._read_pool = self._write_pool = None
        for pool in pools:
            await asyncio.to_thread(pool.shutdown, wait=True)
        with self._connections_lock:
            connections, self._connections = self._connections, []
        for conn in connections:
            conn.close()
        self._local = threading.local()

    # ── packages ──

    async def read_package(self, name: str) -> StoredPackage | None:
        def run(conn: sqlite3.Connection) -> StoredPackage | None:
            row = conn.execute("SELECT rev, document FROM packages WHERE name = ?", (name,)).fetchone()
            return StoredPackage(name, row[0], _decode_document(row[1])) if row else None

        return await self._read(run)

    async def read_revision(self, name: str) -> str | None:
        def run(conn: sqlite3.Connection) -> str | None:
            row = conn.execute("SELECT rev FROM packages WHERE name = ?", (name,)).fetchone()
            return str(row[0]) if row else None

        return await self._read(run)

    async def package_names(self) -> Sequence[str]:
        return await self._read(
            lambda c: [r[0] for r in c.execute("SELECT name FROM packages ORDER BY name")]
        )

    async def update_package(self, name: str, transform: PackageTransform) -> StoredPackage | None:
        return await self._write(lambda conn: self._update_sync(conn, name, transform))

    def _update_sync(
        self, conn: sqlite3.Connection, name: str, transform: PackageTransform
    ) -> StoredPackage | None:
        removed: list[str] = []

        def body() -> StoredPackage | None:
            row = conn.execute("SELECT rev, document FROM packages WHERE name = ?", (name,)).fetchone()
            current = StoredPackage(name, row[0], _decode_document(row[1])) if row else None
            used = frozenset(
                r[0] for r in conn.execute("SELECT version FROM published_versions WHERE name = ?", (name,))
            )
            change = transform(PackageState(current, used))
            if not change.changed:
                return current
            return self._apply(conn, name, current, change, removed)

        result = self._transaction(conn, body)
        if removed:
            if result is None:
                self.files.remove_package(name, removed)
            else:
                for filename in removed:
                    self.files.remove(name, filename)
        return result

    def _apply(
        self,
        conn: sqlite3.Connection,
        name: str,
        current: StoredPackage | None,
        change: PackageChange,
        removed: list[str],
    ) -> StoredPackage | None:
        for version in change.record_versions:
            conn.execute(
                "INSERT OR IGNORE INTO published_versions (name, version) VALUES (?, ?)", (name, version)
            )
        if change.document is None:
            removed.extend(
                r[0] for r in conn.execute("SELECT filename FROM tarballs WHERE name = ?", (name,))
            )
            conn.execute("DELETE FROM tarballs WHERE name = ?", (name,))
            conn.execute("DELETE FROM packages WHERE name = ?", (name,))
            return None
        for filename in change.remove_tarballs:
            if conn.execute(
                "DELETE FROM tarballs WHERE name = ? AND filename = ?", (name, filename)
            ).rowcount:
                removed.append(filename)
        if current is not None and change.document is current.document and not change.add_tarballs:
            return current  # only tarball rows changed: the document and its revision stay
        encoded = _encoder.encode(change.document)
        rev = next_revision(current.rev if current else None, encoded)
        conn.execute(
            "INSERT INTO packages (name, rev, document) VALUES (?, ?, ?) "
            "ON CONFLICT (name) DO UPDATE SET rev = excluded.rev, document = excluded.document",
            (name, rev, encoded),
        )
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
            self.files.install(tarball.staged.path, name, tarball.filename)
        return StoredPackage(name, rev, change.document)

    # ── tarballs ──

    async def stage_tarball(self, data: bytes, integrity: str, shasum: str) -> StagedTarball:
        path = await asyncio.to_thread(self.files.stage, data)
        return StagedTarball(path=path, size=len(data), integrity=integrity, shasum=shasum)

    async def discard_staged(self, staged: StagedTarball) -> None:
        await asyncio.to_thread(self.files.discard, staged.path)

    async def tarball(self, name: str, filename: str) -> TarballRecord | None:
        def run(conn: sqlite3.Connection) -> TarballRecord | None:
            row = conn.execute(
                "SELECT version, size, integrity, shasum FROM tarballs WHERE name = ? AND filename = ?",
                (name, filename),
            ).fetchone()
            if row is None:
                return None
            return TarballRecord(
                name, filename, row[0], row[1], row[2], row[3], self.files.path_of(name, filename)
            )

        return await self._read(run)

    async def read_tarball(self, record: TarballRecord) -> bytes:
        path = record.path or self.files.path_of(record.name, record.filename)
        return await asyncio.to_thread(path.read_bytes)

    # ── users ──

    async def get_user(self, name: str) -> UserRecord | None:
        def run(conn: sqlite3.Connection) -> UserRecord | None:
            row = conn.execute(f"SELECT {_USER_COLUMNS} FROM users WHERE name = ?", (name,)).fetchone()
            return _user(row) if row else None

        return await self._read(run)

    async def create_user(self, record: UserRecord) -> bool:
        def run(conn: sqlite3.Connection) -> bool:
            cursor = conn.execute(
                f"INSERT OR IGNORE INTO users ({_USER_COLUMNS}) VALUES (?, ?, ?, ?, ?)",
                (record.name, record.email, record.password_hash, record.created, record.updated),
            )
            return cursor.rowcount == 1

        return await self._write(lambda conn: self._transaction(conn, lambda: run(conn)))

    async def set_password(self, name: str, password_hash: str, updated: str) -> bool:
        def run(conn: sqlite3.Connection) -> bool:
            cursor = conn.execute(
                "UPDATE users SET password_hash = ?, updated = ? WHERE name = ?",
                (password_hash, updated, name),
            )
            return cursor.rowcount == 1

        return await self._write(lambda conn: self._transaction(conn, lambda: run(conn)))

    async def remove_user(self, name: str) -> bool:
        def run(conn: sqlite3.Connection) -> bool:
            conn.execute("DELETE FROM tokens WHERE user = ?", (name,))
            return conn.execute("DELETE FROM users WHERE name = ?", (name,)).rowcount == 1

        return await self._write(lambda conn: self._transaction(conn, lambda: run(conn)))

    async def list_users(self) -> Sequence[UserRecord]:
        return await self._read(
            lambda c: [_user(r) for r in c.execute(f"SELECT {_USER_COLUMNS} FROM users ORDER BY name")]
        )

    # ── tokens ──

    async def add_token(self, record: TokenRecord) -> None:
        def run(conn: sqlite3.Connection) -> None:
            conn.execute(
                f"INSERT INTO tokens ({_TOKEN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record.key,
                    record.token_hash,
                    record.user,
                    record.prefix,
                    record.name,
                    record.description,
                    int(record.readonly),
                    _encoder.encode(list(record.cidr_whitelist)).decode() if record.cidr_whitelist else None,
                    record.created,
                    record.updated,
                    record.expires,
                ),
            )

        await self._write(lambda conn: self._transaction(conn, lambda: run(conn)))

    async def token_by_hash(self, token_hash: str) -> TokenRecord | None:
        def run(conn: sqlite3.Connection) -> TokenRecord | None:
            row = conn.execute(
                f"SELECT {_TOKEN_COLUMNS} FROM tokens WHERE token_hash = ?", (token_hash,)
            ).fetchone()
            return _token(row) if row else None

        return await self._read(run)

    async def list_tokens(self, user: str | None, offset: int = 0, limit: int | None = None) -> TokenPage:
        def run(conn: sqlite3.Connection) -> TokenPage:
            where, args = ("WHERE user = ?", (user,)) if user is not None else ("", ())
            total = conn.execute(f"SELECT count(*) FROM tokens {where}", args).fetchone()[0]
            rows = conn.execute(
                f"SELECT {_TOKEN_COLUMNS} FROM tokens {where} ORDER BY created, rowid LIMIT ? OFFSET ?",
                (*args, -1 if limit is None else limit, offset),
            ).fetchall()
            return TokenPage(tuple(_token(r) for r in rows), int(total))

        return await self._read(run)

    async def remove_token(self, key: str) -> bool:
        def run(conn: sqlite3.Connection) -> bool:
            return conn.execute("DELETE FROM tokens WHERE key = ?", (key,)).rowcount == 1

        return await self._write(lambda conn: self._transaction(conn, lambda: run(conn)))
