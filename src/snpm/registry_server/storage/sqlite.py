"""The embedded storage backend: one data folder, an SQLite database (WAL) plus tarball files.

Blocking sqlite3 calls never run on the event loop: reads go to a small thread pool (a connection
per thread; WAL lets them run beside a writer), writes to a single writer thread whose transactions
start with `BEGIN IMMEDIATE`, so two updates of one package (or two processes on one data folder,
such as the server and an admin command) are serialised by SQLite's write lock.

A package update: read the current row and the versions ever published, run the transform, insert
the tarball rows, rewrite the rows derived from the document (search entry, maintainers, stars; see
`package_index`), move the staged tarball files into place, commit; only after the commit are the
files of removed tarballs deleted. A crash before the commit rolls the database back and leaves at
most an unreferenced file.

The SQL of users, tokens, profiles, 2FA and web logins, of orgs and teams, and of
search/stars/advisories lives in `sqlite_accounts`, `sqlite_orgs` and `sqlite_search`; for those
the methods here only choose the thread and the transaction.
"""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import msgspec

from snpm.json_types import JsonObject
from snpm.registry_server.storage import sqlite_accounts, sqlite_orgs, sqlite_search
from snpm.registry_server.storage.base import (
    PackageChange,
    PackageHead,
    PackageState,
    PackageTransform,
    StagedTarball,
    StoredPackage,
    TarballRecord,
    TokenPage,
    TokenRecord,
    UserRecord,
)
from snpm.registry_server.storage.package_index import index_package
from snpm.registry_server.storage.records import (
    AdvisoryRecord,
    Grants,
    OrgRecord,
    SearchEntry,
    TeamGrant,
    TeamRecord,
    TwoFactorState,
    WebLoginRecord,
)
from snpm.registry_server.storage.schema import ensure_fulltext, migrate, write_index
from snpm.registry_server.storage.tarball_files import TarballFiles

__all__ = ["SqliteStorage"]

T = TypeVar("T")
_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder()


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
        # FTS5 is used when this SQLite has it (decided at open); else search falls back to LIKE
        self.fulltext = False

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
            conn.execute("PRAGMA foreign_keys = ON")
            migrate(conn)
            self.fulltext = ensure_fulltext(conn)
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
            row = conn.execute(
                "SELECT rev, document, access, mfa FROM packages WHERE name = ?", (name,)
            ).fetchone()
            return StoredPackage(name, row[0], _decode_document(row[1]), row[2], row[3]) if row else None

        return await self._read(run)

    async def read_revision(self, name: str) -> str | None:
        def run(conn: sqlite3.Connection) -> str | None:
            row = conn.execute("SELECT rev FROM packages WHERE name = ?", (name,)).fetchone()
            return str(row[0]) if row else None

        return await self._read(run)

    async def read_head(self, name: str) -> PackageHead | None:
        def run(conn: sqlite3.Connection) -> PackageHead | None:
            row = conn.execute("SELECT rev, access, mfa FROM packages WHERE name = ?", (name,)).fetchone()
            return PackageHead(str(row[0]), str(row[1]), str(row[2])) if row else None

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
            row = conn.execute(
                "SELECT rev, document, access, mfa FROM packages WHERE name = ?", (name,)
            ).fetchone()
            current = StoredPackage(name, row[0], _decode_document(row[1]), row[2], row[3]) if row else None
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
            # a later package of the same name starts without the old one's grants
            conn.execute("DELETE FROM team_packages WHERE package = ?", (name,))
            write_index(conn, name, None, "public", fulltext=self.fulltext)
            return None
        for filename in change.remove_tarballs:
            if conn.execute(
                "DELETE FROM tarballs WHERE name = ? AND filename = ?", (name, filename)
            ).rowcount:
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
        write_index(conn, name, index_package(name, change.document), access, fulltext=self.fulltext)
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
        return StoredPackage(name, rev, change.document, access, mfa)

    # ── tarballs ──

    async def stage_tarball(self, data: bytes, integrity: str, shasum: str) -> StagedTarball:
        path = await asyncio.to_thread(self.files.stage, data)
        return StagedTarball(path=path, size=len(data), integrity=integrity, shasum=shasum)

    async def discard_staged(self, staged: StagedTarball) -> None:
        await asyncio.to_thread(self.files.discard, staged.path)

    async def tarball(self, name: str, filename: str) -> TarballRecord | None:
        def run(conn: sqlite3.Connection) -> TarballRecord | None:
            row = conn.execute(
                "SELECT t.version, t.size, t.integrity, t.shasum, p.access FROM tarballs t "
                "JOIN packages p ON p.name = t.name WHERE t.name = ? AND t.filename = ?",
                (name, filename),
            ).fetchone()
            if row is None:
                return None
            return TarballRecord(
                name,
                filename,
                row[0],
                row[1],
                row[2],
                row[3],
                self.files.path_of(name, filename),
                restricted=row[4] == "restricted",
            )

        return await self._read(run)

    async def read_tarball(self, record: TarballRecord) -> bytes:
        path = record.path or self.files.path_of(record.name, record.filename)
        return await asyncio.to_thread(path.read_bytes)

    # ── users ──

    async def get_user(self, name: str) -> UserRecord | None:
        return await self._read(lambda c: sqlite_accounts.get_user(c, name))

    async def create_user(self, record: UserRecord) -> bool:
        return await self._write_sql(lambda c: sqlite_accounts.create_user(c, record))

    async def set_password(self, name: str, password_hash: str, updated: str) -> bool:
        return await self._write_sql(lambda c: sqlite_accounts.set_password(c, name, password_hash, updated))

    async def remove_user(self, name: str) -> bool:
        return await self._write_sql(lambda c: sqlite_accounts.remove_user(c, name))

    async def list_users(self) -> Sequence[UserRecord]:
        return await self._read(sqlite_accounts.list_users)

    # ── tokens ──

    async def add_token(self, record: TokenRecord) -> None:
        await self._write_sql(lambda c: sqlite_accounts.add_token(c, record))

    async def token_by_hash(self, token_hash: str) -> TokenRecord | None:
        return await self._read(lambda c: sqlite_accounts.token_by_hash(c, token_hash))

    async def list_tokens(self, user: str | None, offset: int = 0, limit: int | None = None) -> TokenPage:
        return await self._read(lambda c: sqlite_accounts.list_tokens(c, user, offset, limit))

    async def remove_token(self, key: str) -> bool:
        return await self._write_sql(lambda c: sqlite_accounts.remove_token(c, key))

    # ── helpers for the SQL modules ──

    async def _write_sql(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        return await self._write(lambda conn: self._transaction(conn, lambda: fn(conn)))

    # ── package access and the derived index ──

    async def grants(self, user: str | None, name: str) -> Grants:
        return await self._read(lambda c: sqlite_orgs.grants(c, user, name))

    async def scope_packages(self, scope: str) -> Sequence[tuple[str, str]]:
        return await self._read(lambda c: sqlite_orgs.scope_packages(c, scope))

    async def maintained_by(self, user: str) -> Sequence[tuple[str, str]]:
        return await self._read(lambda c: sqlite_orgs.maintained_by(c, user))

    async def package_teams(self, name: str) -> Sequence[TeamGrant]:
        return await self._read(lambda c: sqlite_orgs.package_teams(c, name))

    async def team_grants_of(self, user: str) -> Mapping[str, str]:
        return await self._read(lambda c: sqlite_orgs.team_grants_of(c, user))

    async def team_members_with_access(self, name: str) -> Mapping[str, str]:
        return await self._read(lambda c: sqlite_orgs.team_members_with_access(c, name))

    async def starred_by(self, user: str) -> Sequence[tuple[str, str]]:
        return await self._read(lambda c: sqlite_search.starred_by(c, user))

    async def search(self, terms: Sequence[str], scope: str | None) -> Sequence[SearchEntry]:
        return await self._read(lambda c: sqlite_search.search(c, terms, scope, fulltext=self.fulltext))

    # ── orgs and teams ──

    async def get_org(self, name: str) -> OrgRecord | None:
        return await self._read(lambda c: sqlite_orgs.get_org(c, name))

    async def list_orgs(self) -> Sequence[OrgRecord]:
        return await self._read(sqlite_orgs.list_orgs)

    async def create_org(self, record: OrgRecord, owner: str) -> bool:
        return await self._write_sql(lambda c: sqlite_orgs.create_org(c, record, owner))

    async def remove_org(self, name: str) -> bool:
        return await self._write_sql(lambda c: sqlite_orgs.remove_org(c, name))

    async def org_members(self, org: str) -> Mapping[str, str]:
        return await self._read(lambda c: sqlite_orgs.org_members(c, org))

    async def orgs_of(self, user: str) -> Mapping[str, str]:
        return await self._read(lambda c: sqlite_orgs.orgs_of(c, user))

    async def set_org_member(self, org: str, user: str, role: str, now: str) -> bool:
        return await self._write_sql(lambda c: sqlite_orgs.set_org_member(c, org, user, role, now))

    async def remove_org_member(self, org: str, user: str) -> bool:
        return await self._write_sql(lambda c: sqlite_orgs.remove_org_member(c, org, user))

    async def list_teams(self, org: str) -> Sequence[TeamRecord]:
        return await self._read(lambda c: sqlite_orgs.list_teams(c, org))

    async def get_team(self, org: str, team: str) -> TeamRecord | None:
        return await self._read(lambda c: sqlite_orgs.get_team(c, org, team))

    async def create_team(self, record: TeamRecord) -> bool:
        return await self._write_sql(lambda c: sqlite_orgs.create_team(c, record))

    async def remove_team(self, org: str, team: str) -> bool:
        return await self._write_sql(lambda c: sqlite_orgs.remove_team(c, org, team))

    async def team_members(self, org: str, team: str) -> Sequence[str]:
        return await self._read(lambda c: sqlite_orgs.team_members(c, org, team))

    async def add_team_member(self, org: str, team: str, user: str) -> bool:
        return await self._write_sql(lambda c: sqlite_orgs.add_team_member(c, org, team, user))

    async def remove_team_member(self, org: str, team: str, user: str) -> bool:
        return await self._write_sql(lambda c: sqlite_orgs.remove_team_member(c, org, team, user))

    async def team_packages(self, org: str, team: str) -> Sequence[TeamGrant]:
        return await self._read(lambda c: sqlite_orgs.team_packages(c, org, team))

    async def grant_team(self, grant: TeamGrant) -> None:
        await self._write_sql(lambda c: sqlite_orgs.grant_team(c, grant))

    async def revoke_team(self, org: str, team: str, package: str) -> bool:
        return await self._write_sql(lambda c: sqlite_orgs.revoke_team(c, org, team, package))

    # ── profiles and two-factor authentication ──

    async def update_profile(self, name: str, changes: Mapping[str, str], updated: str) -> bool:
        return await self._write_sql(lambda c: sqlite_accounts.update_profile(c, name, changes, updated))

    async def set_two_factor(
        self, name: str, state: TwoFactorState | None, recovery_hashes: Sequence[str] | None, updated: str
    ) -> bool:
        return await self._write_sql(
            lambda c: sqlite_accounts.set_two_factor(c, name, state, recovery_hashes, updated)
        )

    async def advance_otp_counter(self, name: str, counter: int) -> bool:
        return await self._write_sql(lambda c: sqlite_accounts.advance_otp_counter(c, name, counter))

    async def use_recovery_code(self, name: str, code_hash: str) -> bool:
        return await self._write_sql(lambda c: sqlite_accounts.use_recovery_code(c, name, code_hash))

    # ── web login sessions ──

    async def add_web_login(self, record: WebLoginRecord) -> None:
        await self._write_sql(lambda c: sqlite_accounts.add_web_login(c, record))

    async def web_login(self, login_hash: str) -> WebLoginRecord | None:
        return await self._read(lambda c: sqlite_accounts.web_login(c, login_hash))

    async def approve_web_login(self, login_hash: str, user: str) -> bool:
        return await self._write_sql(lambda c: sqlite_accounts.approve_web_login(c, login_hash, user))

    async def take_web_login(self, done_hash: str) -> WebLoginRecord | None:
        return await self._write_sql(lambda c: sqlite_accounts.take_web_login(c, done_hash))

    async def purge_web_logins(self, before: str) -> int:
        return await self._write_sql(lambda c: sqlite_accounts.purge_web_logins(c, before))

    # ── advisories ──

    async def add_advisory(self, record: AdvisoryRecord) -> AdvisoryRecord:
        return await self._write_sql(lambda c: sqlite_search.add_advisory(c, record))

    async def advisories_for(self, names: Sequence[str]) -> Sequence[AdvisoryRecord]:
        return await self._read(lambda c: sqlite_search.advisories_for(c, names))

    async def list_advisories(self) -> Sequence[AdvisoryRecord]:
        return await self._read(sqlite_search.list_advisories)

    async def remove_advisory(self, advisory_id: int) -> bool:
        return await self._write_sql(lambda c: sqlite_search.remove_advisory(c, advisory_id))
