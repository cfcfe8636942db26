"""The embedded storage backend: one data folder, an SQLite database (WAL) plus tarball files.

Reads go to a small thread pool (a connection per thread; WAL lets them run beside a writer), writes
to a single writer thread whose transactions start with `BEGIN IMMEDIATE`, so two updates of one
package (or two processes on one data folder, such as the server and an admin command) are
serialised by SQLite's write lock. The exception, measured: the point lookups every request makes
(a package's revision, a tarball's row, a token, a user) run on the event loop itself, on a
connection that never waits for a lock (`busy_timeout = 0`, memory-mapped pages): such a lookup
takes about 15 µs there, while handing it to a thread costs far more than the query (about 270 µs
of wake-ups per request here), which dominated a packument or tarball GET. When that connection
would have to wait (a lock held elsewhere), the lookup goes to the thread pool as every other read.

A package update: read the current row and the versions ever published, run the transform, insert
the tarball rows, rewrite the rows derived from the document (search entry, maintainers, stars; see
`package_index` and `sqlite_packages`), move the staged tarball files into place, commit; only after the commit are the
files of removed tarballs deleted. A crash before the commit rolls the database back and leaves at
most an unreferenced file.

The SQL of users, tokens, profiles, 2FA and web logins, of orgs and teams, of
search/stars/advisories, of the uplink cache and of hooks lives in `sqlite_accounts`, `sqlite_orgs`,
`sqlite_search`, `sqlite_uplink` and `sqlite_hooks`; for those the methods here only choose the
thread and the transaction. A package update also queues, before its commit, the deliveries of the
hooks watching the package (`sqlite_hooks.record_events`).

Several processes may open one data folder (`--workers`, admin commands): WAL lets their readers
run beside one writer, and `BEGIN IMMEDIATE` serialises the writers across processes too.

Size: one backend behind the storage protocol; the account, org and hook queries already live in
the sqlite_* modules beside it.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from snpm.registry_server.storage import (
    sqlite_accounts,
    sqlite_hooks,
    sqlite_orgs,
    sqlite_search,
    sqlite_uplink,
)
from snpm.registry_server.storage.base import (
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
from snpm.registry_server.storage.hooks import HookDelivery, HookPage, HookRecord
from snpm.registry_server.storage.records import (
    AdvisoryRecord,
    CachedHead,
    CachedPackument,
    Grants,
    OrgRecord,
    SearchEntry,
    TeamGrant,
    TeamRecord,
    TwoFactorState,
    WebLoginRecord,
)
from snpm.registry_server.storage.schema import ensure_fulltext, migrate
from snpm.registry_server.storage.sqlite_packages import apply_change, decode_document
from snpm.registry_server.storage.tarball_files import TarballFiles

__all__ = ["SqliteStorage"]

T = TypeVar("T")


class SqliteStorage:
    """`Storage` on SQLite + files. `open()` before use, `close()` at the end."""

    def __init__(
        self, database: Path, tarball_root: Path, *, cache_root: Path | None = None, readers: int = 4
    ) -> None:
        self.database = database
        self.files = TarballFiles(tarball_root)
        self.cache_files = TarballFiles(cache_root or tarball_root.parent / "uplink")
        self._readers = readers
        self._read_pool: ThreadPoolExecutor | None = None
        self._write_pool: ThreadPoolExecutor | None = None
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        self._loop_conn: sqlite3.Connection | None = None
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

    async def _lookup(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """A point lookup: on the event loop's own connection unless that would wait for a lock."""
        conn = self._loop_conn
        if conn is not None:
            try:
                return fn(conn)
            except sqlite3.OperationalError:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
        return await self._read(fn)

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
        self.cache_files.prepare()
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
        conn = sqlite3.connect(self.database, timeout=0.0, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout = 0")
        conn.execute("PRAGMA mmap_size = 268435456")
        with self._connections_lock:
            self._connections.append(conn)
        self._loop_conn = conn

    async def close(self) -> None:
        pools = [p for p in (self._read_pool, self._write_pool) if p is not None]
        self._read_pool = self._write_pool = None
        self._loop_conn = None
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
            return StoredPackage(name, row[0], decode_document(row[1]), row[2], row[3]) if row else None

        return await self._read(run)

    async def read_revision(self, name: str) -> str | None:
        def run(conn: sqlite3.Connection) -> str | None:
            row = conn.execute("SELECT rev FROM packages WHERE name = ?", (name,)).fetchone()
            return str(row[0]) if row else None

        return await self._lookup(run)

    async def read_head(self, name: str) -> PackageHead | None:
        def run(conn: sqlite3.Connection) -> PackageHead | None:
            row = conn.execute("SELECT rev, access, mfa FROM packages WHERE name = ?", (name,)).fetchone()
            return PackageHead(str(row[0]), str(row[1]), str(row[2])) if row else None

        return await self._lookup(run)

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
            current = StoredPackage(name, row[0], decode_document(row[1]), row[2], row[3]) if row else None
            used = frozenset(
                r[0] for r in conn.execute("SELECT version FROM published_versions WHERE name = ?", (name,))
            )
            change = transform(PackageState(current, used))
            if not change.changed:
                return current
            after = apply_change(conn, self.files, name, current, change, removed, fulltext=self.fulltext)
            sqlite_hooks.record_events(conn, name, current, after, time.time())
            return after

        result = self._transaction(conn, body)
        if removed:
            if result is None:
                self.files.remove_package(name, removed)
            else:
                for filename in removed:
                    self.files.remove(name, filename)
        return result

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

        return await self._lookup(run)

    async def read_tarball(self, record: TarballRecord) -> bytes:
        path = record.path or self.files.path_of(record.name, record.filename)
        return await asyncio.to_thread(path.read_bytes)

    # ── the uplink cache ──

    async def cached_heads(self, name: str) -> Sequence[CachedHead]:
        return await self._lookup(lambda c: sqlite_uplink.cached_heads(c, name))

    async def read_cached(self, name: str, form: str) -> CachedPackument | None:
        return await self._read(lambda c: sqlite_uplink.read_cached(c, name, form))

    async def store_cached(self, entry: CachedPackument) -> None:
        await self._write_sql(lambda c: sqlite_uplink.store_cached(c, entry))

    async def touch_cached(self, name: str, form: str, fetched: float, etag: str | None) -> None:
        await self._write_sql(lambda c: sqlite_uplink.touch_cached(c, name, form, fetched, etag))

    async def forget_cached(self, name: str) -> None:
        await self._write_sql(lambda c: sqlite_uplink.forget_cached(c, name))

    async def cached_tarball(self, name: str, filename: str) -> TarballRecord | None:
        row = await self._lookup(lambda c: sqlite_uplink.cached_tarball(c, name, filename))
        if row is None:
            return None
        version, size, integrity, shasum = row
        return TarballRecord(
            name, filename, version, size, integrity, shasum, self.cache_files.path_of(name, filename)
        )

    async def store_cached_tarball(
        self, name: str, filename: str, version: str, data: bytes, integrity: str, shasum: str
    ) -> TarballRecord:
        def install() -> Path:
            return self.cache_files.install(self.cache_files.stage(data), name, filename)

        # the file first: a row always names a complete file
        path = await asyncio.to_thread(install)
        await self._write_sql(
            lambda c: sqlite_uplink.record_tarball(c, name, filename, version, len(data), integrity, shasum)
        )
        return TarballRecord(name, filename, version, len(data), integrity, shasum, path)

    # ── users ──

    async def get_user(self, name: str) -> UserRecord | None:
        return await self._lookup(lambda c: sqlite_accounts.get_user(c, name))

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
        return await self._lookup(lambda c: sqlite_accounts.token_by_hash(c, token_hash))

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

    # ── hooks ──

    async def add_hook(self, record: HookRecord, limit: int) -> str:
        return await self._write_sql(lambda c: sqlite_hooks.add_hook(c, record, limit))

    async def get_hook(self, hook_id: str) -> HookRecord | None:
        return await self._read(lambda c: sqlite_hooks.get_hook(c, hook_id))

    async def list_hooks(self, owner: str, package: str | None, offset: int, limit: int | None) -> HookPage:
        return await self._read(lambda c: sqlite_hooks.list_hooks(c, owner, package, offset, limit))

    async def update_hook(
        self, hook_id: str, owner: str, endpoint: str, secret: str, updated: str
    ) -> HookRecord | None:
        return await self._write_sql(
            lambda c: sqlite_hooks.update_hook(c, hook_id, owner, endpoint, secret, updated)
        )

    async def remove_hook(self, hook_id: str, owner: str) -> HookRecord | None:
        return await self._write_sql(lambda c: sqlite_hooks.remove_hook(c, hook_id, owner))

    async def claim_hook_deliveries(self, now: float, lease: float, limit: int) -> Sequence[HookDelivery]:
        # polled by every worker: a write transaction only when something is due
        if not await self._lookup(lambda c: sqlite_hooks.has_due(c, now)):
            return []
        return await self._write_sql(lambda c: sqlite_hooks.claim_deliveries(c, now, lease, limit))

    async def finish_hook_delivery(
        self, delivery_id: int, hook_id: str, attempted: str | None, status: int, retry_at: float | None
    ) -> None:
        await self._write_sql(
            lambda c: sqlite_hooks.finish_delivery(c, delivery_id, hook_id, attempted, status, retry_at)
        )
