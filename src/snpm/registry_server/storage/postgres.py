"""The PostgreSQL backend: every record in PostgreSQL (asyncpg pool), tarballs as files in a folder all
workers and hosts share (`--data`), written exactly as the SQLite backend writes them.

A package update runs in one transaction holding the package's advisory lock (see
`postgres_connection`): read the current row and the versions ever published, run the transform,
insert the tarball rows, rewrite the rows derived from the document (`package_index`; the SQL is in
`postgres_packages`), move the staged tarball files into place, commit; only after the commit are
the files of removed tarballs deleted. A crash before the commit rolls the database back and leaves at most an unreferenced file.
Documents are decoded off the event loop when they are large.

The SQL of accounts, of orgs and teams, of search/advisories/the uplink cache and of hooks lives in
`postgres_accounts`, `postgres_orgs`, `postgres_search` and `postgres_hooks`; the methods here only
choose the connection, the transaction and the lock. A package update also queues, before its
commit, the deliveries of the hooks watching the package (`postgres_hooks.record_events`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

import msgspec

from snpm.json_types import JsonObject
from snpm.registry_server.storage import postgres_accounts, postgres_hooks, postgres_orgs, postgres_search
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
from snpm.registry_server.storage.postgres_connection import (
    GLOBAL_LOCK,
    PgConnection,
    PgPool,
    package_lock,
)
from snpm.registry_server.storage.postgres_packages import apply_change
from snpm.registry_server.storage.postgres_schema import migrate
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
from snpm.registry_server.storage.tarball_files import TarballFiles

__all__ = ["PostgresStorage"]

T = TypeVar("T")
_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder()
_DECODE_IN_THREAD = 256 * 1024


def _decode_document(blob: bytes) -> JsonObject:
    value = _decoder.decode(blob)
    if not isinstance(value, dict):
        raise ValueError("stored packument is not a JSON object")
    return value


async def _keep_session(conn: PgConnection) -> None:
    """A pooled connection's reset: nothing to undo (see `PostgresStorage.open`)."""


async def _document(blob: bytes) -> JsonObject:
    if len(blob) > _DECODE_IN_THREAD:
        return await asyncio.to_thread(_decode_document, blob)
    return _decode_document(blob)


class PostgresStorage:
    """`Storage` on PostgreSQL + files. `open()` before use (it migrates), `close()` at the end."""

    def __init__(
        self, dsn: str, tarball_root: Path, *, cache_root: Path | None = None, max_connections: int = 10
    ) -> None:
        self.dsn = dsn
        self.files = TarballFiles(tarball_root)
        self.cache_files = TarballFiles(cache_root or tarball_root.parent / "uplink")
        self._max_connections = max_connections
        self._pool: PgPool | None = None

    # ── plumbing ──

    async def open(self) -> None:
        if self._pool is not None:
            return
        try:
            import asyncpg  # type: ignore[import-untyped]  # no type information; see postgres_connection
        except ImportError as err:
            raise RuntimeError(
                "the PostgreSQL backend needs asyncpg: pip install 'snpm[postgres]' (or asyncpg)"
            ) from err

        await asyncio.to_thread(self.files.prepare)
        await asyncio.to_thread(self.cache_files.prepare)
        pool: PgPool = await asyncpg.create_pool(
            self.dsn,
            min_size=1,
            max_size=self._max_connections,
            command_timeout=60,
            # Measured: asyncpg's default reset (a `RESET ALL; UNLISTEN *; …` round trip on every
            # release) and idle timer took a third of a tarball GET. This backend leaves no session
            # state behind (transactions always end, advisory locks are transaction-scoped, no
            # LISTEN or SET), so releasing a connection needs neither.
            reset=_keep_session,
            max_inactive_connection_lifetime=0,
        )
        try:
            async with pool.acquire() as conn:
                await migrate(conn)
        except BaseException:
            await pool.close()
            raise
        self._pool = pool

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()

    def _connections(self) -> PgPool:
        if self._pool is None:
            raise RuntimeError("storage is not open")
        return self._pool

    async def _read(self, fn: Callable[[PgConnection], Awaitable[T]]) -> T:
        async with self._connections().acquire() as conn:
            return await fn(conn)

    async def _write_sql(self, fn: Callable[[PgConnection], Awaitable[T]]) -> T:
        """An account/org/advisory write: one transaction under the exclusive global lock."""
        async with self._connections().acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", GLOBAL_LOCK)
            return await fn(conn)

    async def _write_cache(self, fn: Callable[[PgConnection], Awaitable[T]]) -> T:
        """An uplink-cache write: idempotent upserts, no lock needed."""
        async with self._connections().acquire() as conn, conn.transaction():
            return await fn(conn)

    async def _commit_point(self, conn: PgConnection) -> None:
        """Reached right before a package update commits (a seam for crash tests)."""

    # ── packages ──

    async def read_package(self, name: str) -> StoredPackage | None:
        row = await self._read(
            lambda c: c.fetchrow("SELECT rev, document, access, mfa FROM packages WHERE name = $1", name)
        )
        if row is None:
            return None
        return StoredPackage(name, str(row[0]), await _document(row[1]), str(row[2]), str(row[3]))

    async def read_revision(self, name: str) -> str | None:
        rev = await self._read(lambda c: c.fetchval("SELECT rev FROM packages WHERE name = $1", name))
        return str(rev) if rev is not None else None

    async def read_head(self, name: str) -> PackageHead | None:
        row = await self._read(
            lambda c: c.fetchrow("SELECT rev, access, mfa FROM packages WHERE name = $1", name)
        )
        return PackageHead(str(row[0]), str(row[1]), str(row[2])) if row else None

    async def package_names(self) -> Sequence[str]:
        rows = await self._read(lambda c: c.fetch("SELECT name FROM packages ORDER BY name"))
        return [str(r[0]) for r in rows]

    async def update_package(self, name: str, transform: PackageTransform) -> StoredPackage | None:
        removed: list[str] = []
        async with self._connections().acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock_shared($1)", GLOBAL_LOCK)
            await conn.execute("SELECT pg_advisory_xact_lock($1)", package_lock(name))
            row = await conn.fetchrow("SELECT rev, document, access, mfa FROM packages WHERE name = $1", name)
            current = (
                StoredPackage(name, str(row[0]), await _document(row[1]), str(row[2]), str(row[3]))
                if row
                else None
            )
            used = frozenset(
                str(r[0])
                for r in await conn.fetch("SELECT version FROM published_versions WHERE name = $1", name)
            )
            change = transform(PackageState(current, used))
            if not change.changed:
                return current
            result = await apply_change(conn, self.files, name, current, change, removed)
            await postgres_hooks.record_events(conn, name, current, result, time.time())
            await self._commit_point(conn)
        if removed:
            if result is None:
                await asyncio.to_thread(self.files.remove_package, name, removed)
            else:
                for filename in removed:
                    await asyncio.to_thread(self.files.remove, name, filename)
        return result

    # ── tarballs ──

    async def stage_tarball(self, data: bytes, integrity: str, shasum: str) -> StagedTarball:
        path = await asyncio.to_thread(self.files.stage, data)
        return StagedTarball(path=path, size=len(data), integrity=integrity, shasum=shasum)

    async def discard_staged(self, staged: StagedTarball) -> None:
        await asyncio.to_thread(self.files.discard, staged.path)

    async def tarball(self, name: str, filename: str) -> TarballRecord | None:
        row = await self._read(
            lambda c: c.fetchrow(
                "SELECT t.version, t.size, t.integrity, t.shasum, p.access FROM tarballs t "
                "JOIN packages p ON p.name = t.name WHERE t.name = $1 AND t.filename = $2",
                name,
                filename,
            )
        )
        if row is None:
            return None
        return TarballRecord(
            name,
            filename,
            str(row[0]),
            int(row[1]),
            str(row[2]),
            str(row[3]),
            self.files.path_of(name, filename),
            restricted=row[4] == "restricted",
        )

    async def read_tarball(self, record: TarballRecord) -> bytes:
        path = record.path or self.files.path_of(record.name, record.filename)
        return await asyncio.to_thread(path.read_bytes)

    # ── the uplink cache ──

    async def cached_heads(self, name: str) -> Sequence[CachedHead]:
        return await self._read(lambda c: postgres_search.cached_heads(c, name))

    async def read_cached(self, name: str, form: str) -> CachedPackument | None:
        return await self._read(lambda c: postgres_search.read_cached(c, name, form))

    async def store_cached(self, entry: CachedPackument) -> None:
        await self._write_cache(lambda c: postgres_search.store_cached(c, entry))

    async def touch_cached(self, name: str, form: str, fetched: float, etag: str | None) -> None:
        await self._write_cache(lambda c: postgres_search.touch_cached(c, name, form, fetched, etag))

    async def forget_cached(self, name: str) -> None:
        await self._write_cache(lambda c: postgres_search.forget_cached(c, name))

    async def cached_tarball(self, name: str, filename: str) -> TarballRecord | None:
        row = await self._read(lambda c: postgres_search.cached_tarball(c, name, filename))
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

        path = await asyncio.to_thread(install)  # the file first: a row always names a complete file
        await self._write_cache(
            lambda c: postgres_search.record_tarball(c, name, filename, version, len(data), integrity, shasum)
        )
        return TarballRecord(name, filename, version, len(data), integrity, shasum, path)

    # ── users and tokens ──

    async def get_user(self, name: str) -> UserRecord | None:
        return await self._read(lambda c: postgres_accounts.get_user(c, name))

    async def create_user(self, record: UserRecord) -> bool:
        return await self._write_sql(lambda c: postgres_accounts.create_user(c, record))

    async def set_password(self, name: str, password_hash: str, updated: str) -> bool:
        return await self._write_sql(
            lambda c: postgres_accounts.set_password(c, name, password_hash, updated)
        )

    async def remove_user(self, name: str) -> bool:
        return await self._write_sql(lambda c: postgres_accounts.remove_user(c, name))

    async def list_users(self) -> Sequence[UserRecord]:
        return await self._read(postgres_accounts.list_users)

    async def add_token(self, record: TokenRecord) -> None:
        await self._write_sql(lambda c: postgres_accounts.add_token(c, record))

    async def token_by_hash(self, token_hash: str) -> TokenRecord | None:
        return await self._read(lambda c: postgres_accounts.token_by_hash(c, token_hash))

    async def list_tokens(self, user: str | None, offset: int = 0, limit: int | None = None) -> TokenPage:
        return await self._read(lambda c: postgres_accounts.list_tokens(c, user, offset, limit))

    async def remove_token(self, key: str) -> bool:
        return await self._write_sql(lambda c: postgres_accounts.remove_token(c, key))

    # ── package access and the derived index ──

    async def grants(self, user: str | None, name: str) -> Grants:
        return await self._read(lambda c: postgres_orgs.grants(c, user, name))

    async def scope_packages(self, scope: str) -> Sequence[tuple[str, str]]:
        return await self._read(lambda c: postgres_orgs.scope_packages(c, scope))

    async def maintained_by(self, user: str) -> Sequence[tuple[str, str]]:
        return await self._read(lambda c: postgres_orgs.maintained_by(c, user))

    async def package_teams(self, name: str) -> Sequence[TeamGrant]:
        return await self._read(lambda c: postgres_orgs.package_teams(c, name))

    async def team_grants_of(self, user: str) -> Mapping[str, str]:
        return await self._read(lambda c: postgres_orgs.team_grants_of(c, user))

    async def team_members_with_access(self, name: str) -> Mapping[str, str]:
        return await self._read(lambda c: postgres_orgs.team_members_with_access(c, name))

    async def starred_by(self, user: str) -> Sequence[tuple[str, str]]:
        return await self._read(lambda c: postgres_search.starred_by(c, user))

    async def search(self, terms: Sequence[str], scope: str | None) -> Sequence[SearchEntry]:
        return await self._read(lambda c: postgres_search.search(c, terms, scope))

    # ── orgs and teams ──

    async def get_org(self, name: str) -> OrgRecord | None:
        return await self._read(lambda c: postgres_orgs.get_org(c, name))

    async def list_orgs(self) -> Sequence[OrgRecord]:
        return await self._read(postgres_orgs.list_orgs)

    async def create_org(self, record: OrgRecord, owner: str) -> bool:
        return await self._write_sql(lambda c: postgres_orgs.create_org(c, record, owner))

    async def remove_org(self, name: str) -> bool:
        return await self._write_sql(lambda c: postgres_orgs.remove_org(c, name))

    async def org_members(self, org: str) -> Mapping[str, str]:
        return await self._read(lambda c: postgres_orgs.org_members(c, org))

    async def orgs_of(self, user: str) -> Mapping[str, str]:
        return await self._read(lambda c: postgres_orgs.orgs_of(c, user))

    async def set_org_member(self, org: str, user: str, role: str, now: str) -> bool:
        return await self._write_sql(lambda c: postgres_orgs.set_org_member(c, org, user, role, now))

    async def remove_org_member(self, org: str, user: str) -> bool:
        return await self._write_sql(lambda c: postgres_orgs.remove_org_member(c, org, user))

    async def list_teams(self, org: str) -> Sequence[TeamRecord]:
        return await self._read(lambda c: postgres_orgs.list_teams(c, org))

    async def get_team(self, org: str, team: str) -> TeamRecord | None:
        return await self._read(lambda c: postgres_orgs.get_team(c, org, team))

    async def create_team(self, record: TeamRecord) -> bool:
        return await self._write_sql(lambda c: postgres_orgs.create_team(c, record))

    async def remove_team(self, org: str, team: str) -> bool:
        return await self._write_sql(lambda c: postgres_orgs.remove_team(c, org, team))

    async def team_members(self, org: str, team: str) -> Sequence[str]:
        return await self._read(lambda c: postgres_orgs.team_members(c, org, team))

    async def add_team_member(self, org: str, team: str, user: str) -> bool:
        return await self._write_sql(lambda c: postgres_orgs.add_team_member(c, org, team, user))

    async def remove_team_member(self, org: str, team: str, user: str) -> bool:
        return await self._write_sql(lambda c: postgres_orgs.remove_team_member(c, org, team, user))

    async def team_packages(self, org: str, team: str) -> Sequence[TeamGrant]:
        return await self._read(lambda c: postgres_orgs.team_packages(c, org, team))

    async def grant_team(self, grant: TeamGrant) -> None:
        await self._write_sql(lambda c: postgres_orgs.grant_team(c, grant))

    async def revoke_team(self, org: str, team: str, package: str) -> bool:
        return await self._write_sql(lambda c: postgres_orgs.revoke_team(c, org, team, package))

    # ── profiles and two-factor authentication ──

    async def update_profile(self, name: str, changes: Mapping[str, str], updated: str) -> bool:
        return await self._write_sql(lambda c: postgres_accounts.update_profile(c, name, changes, updated))

    async def set_two_factor(
        self, name: str, state: TwoFactorState | None, recovery_hashes: Sequence[str] | None, updated: str
    ) -> bool:
        return await self._write_sql(
            lambda c: postgres_accounts.set_two_factor(c, name, state, recovery_hashes, updated)
        )

    async def advance_otp_counter(self, name: str, counter: int) -> bool:
        return await self._write_sql(lambda c: postgres_accounts.advance_otp_counter(c, name, counter))

    async def use_recovery_code(self, name: str, code_hash: str) -> bool:
        return await self._write_sql(lambda c: postgres_accounts.use_recovery_code(c, name, code_hash))

    # ── web login sessions ──

    async def add_web_login(self, record: WebLoginRecord) -> None:
        await self._write_sql(lambda c: postgres_accounts.add_web_login(c, record))

    async def web_login(self, login_hash: str) -> WebLoginRecord | None:
        return await self._read(lambda c: postgres_accounts.web_login(c, login_hash))

    async def approve_web_login(self, login_hash: str, user: str) -> bool:
        return await self._write_sql(lambda c: postgres_accounts.approve_web_login(c, login_hash, user))

    async def take_web_login(self, done_hash: str) -> WebLoginRecord | None:
        return await self._write_sql(lambda c: postgres_accounts.take_web_login(c, done_hash))

    async def purge_web_logins(self, before: str) -> int:
        return await self._write_sql(lambda c: postgres_accounts.purge_web_logins(c, before))

    # ── advisories ──

    async def add_advisory(self, record: AdvisoryRecord) -> AdvisoryRecord:
        return await self._write_sql(lambda c: postgres_search.add_advisory(c, record))

    async def advisories_for(self, names: Sequence[str]) -> Sequence[AdvisoryRecord]:
        return await self._read(lambda c: postgres_search.advisories_for(c, names))

    async def list_advisories(self) -> Sequence[AdvisoryRecord]:
        return await self._read(postgres_search.list_advisories)

    async def remove_advisory(self, advisory_id: int) -> bool:
        return await self._write_sql(lambda c: postgres_search.remove_advisory(c, advisory_id))

    # ── hooks ──

    async def add_hook(self, record: HookRecord, limit: int) -> str:
        return await self._write_sql(lambda c: postgres_hooks.add_hook(c, record, limit))

    async def get_hook(self, hook_id: str) -> HookRecord | None:
        return await self._read(lambda c: postgres_hooks.get_hook(c, hook_id))

    async def list_hooks(self, owner: str, package: str | None, offset: int, limit: int | None) -> HookPage:
        return await self._read(lambda c: postgres_hooks.list_hooks(c, owner, package, offset, limit))

    async def update_hook(
        self, hook_id: str, owner: str, endpoint: str, secret: str, updated: str
    ) -> HookRecord | None:
        return await self._write_sql(
            lambda c: postgres_hooks.update_hook(c, hook_id, owner, endpoint, secret, updated)
        )

    async def remove_hook(self, hook_id: str, owner: str) -> HookRecord | None:
        return await self._write_sql(lambda c: postgres_hooks.remove_hook(c, hook_id, owner))

    async def claim_hook_deliveries(self, now: float, lease: float, limit: int) -> Sequence[HookDelivery]:
        # row locks (SKIP LOCKED) keep two claims apart: no global lock needed
        return await self._write_cache(lambda c: postgres_hooks.claim_deliveries(c, now, lease, limit))

    async def finish_hook_delivery(
        self, delivery_id: int, hook_id: str, attempted: str | None, status: int, retry_at: float | None
    ) -> None:
        await self._write_cache(
            lambda c: postgres_hooks.finish_delivery(c, delivery_id, hook_id, attempted, status, retry_at)
        )
