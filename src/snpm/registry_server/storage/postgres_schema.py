"""The PostgreSQL schema: the SQLite migrations (`schema.py`) expressed for PostgreSQL, numbered the
same way in a one-row `snpm_schema` table, plus `write_index` (the rows derived from a packument).

Differences from SQLite, all for PostgreSQL's sake: key columns are `COLLATE "C"` (bytewise, as
SQLite compares and sorts, which the scope range queries rely on); documents and search summaries
are `bytea` (msgspec-encoded JSON, kept byte for byte: `jsonb` would reorder keys); flags are
`boolean`; tokens get an identity column for the listing order SQLite's rowid gives; `user` is a
reserved word and so quoted. There is no full-text index: search matches substrings of the lowercase
text (as SQLite does without FTS5), which the search service then ranks.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import msgspec

from snpm.registry_server.storage import postgres_hooks
from snpm.registry_server.storage.package_index import PackageIndex, index_package
from snpm.registry_server.storage.postgres_connection import MIGRATION_LOCK, PgConnection

__all__ = ["SCHEMA_VERSION", "migrate", "write_index"]

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder()
_KEY = 'TEXT COLLATE "C" NOT NULL'

_PACKAGES_USERS_TOKENS = f"""
    CREATE TABLE packages (
        name {_KEY} PRIMARY KEY,
        rev TEXT NOT NULL,
        document BYTEA NOT NULL
    );
    CREATE TABLE published_versions (
        name {_KEY},
        version {_KEY},
        PRIMARY KEY (name, version)
    );
    CREATE TABLE tarballs (
        name {_KEY},
        filename {_KEY},
        version TEXT NOT NULL,
        size BIGINT NOT NULL,
        integrity TEXT NOT NULL,
        shasum TEXT NOT NULL,
        PRIMARY KEY (name, filename)
    );
    CREATE TABLE users (
        name {_KEY} PRIMARY KEY,
        email TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        created TEXT NOT NULL,
        updated TEXT NOT NULL
    );
    CREATE TABLE tokens (
        seq BIGINT GENERATED ALWAYS AS IDENTITY,
        key {_KEY} PRIMARY KEY,
        token_hash {_KEY} UNIQUE,
        "user" {_KEY} REFERENCES users (name) ON DELETE CASCADE,
        prefix TEXT NOT NULL,
        name TEXT NOT NULL DEFAULT '',
        description TEXT NOT NULL DEFAULT '',
        readonly BOOLEAN NOT NULL DEFAULT FALSE,
        cidr_whitelist TEXT,
        created TEXT COLLATE "C" NOT NULL,
        updated TEXT NOT NULL,
        expires TEXT
    );
    CREATE INDEX tokens_by_user ON tokens ("user", created);
"""

_ORGS_PROFILES_INDEX = f"""
    ALTER TABLE packages ADD COLUMN access TEXT NOT NULL DEFAULT 'public';
    ALTER TABLE packages ADD COLUMN mfa TEXT NOT NULL DEFAULT 'none';
    ALTER TABLE users ADD COLUMN fullname TEXT NOT NULL DEFAULT '';
    ALTER TABLE users ADD COLUMN homepage TEXT NOT NULL DEFAULT '';
    ALTER TABLE users ADD COLUMN freenode TEXT NOT NULL DEFAULT '';
    ALTER TABLE users ADD COLUMN twitter TEXT NOT NULL DEFAULT '';
    ALTER TABLE users ADD COLUMN github TEXT NOT NULL DEFAULT '';
    ALTER TABLE users ADD COLUMN tfa_mode TEXT;
    ALTER TABLE users ADD COLUMN tfa_secret TEXT;
    ALTER TABLE users ADD COLUMN tfa_pending BOOLEAN NOT NULL DEFAULT FALSE;
    ALTER TABLE users ADD COLUMN tfa_last_counter BIGINT NOT NULL DEFAULT 0;
    ALTER TABLE tokens ADD COLUMN bypass_2fa BOOLEAN NOT NULL DEFAULT FALSE;
    CREATE TABLE recovery_codes (
        "user" {_KEY} REFERENCES users (name) ON DELETE CASCADE,
        code_hash {_KEY},
        PRIMARY KEY ("user", code_hash)
    );
    CREATE TABLE orgs (
        name {_KEY} PRIMARY KEY,
        created TEXT NOT NULL
    );
    CREATE TABLE org_members (
        org {_KEY} REFERENCES orgs (name) ON DELETE CASCADE,
        "user" {_KEY} REFERENCES users (name) ON DELETE CASCADE,
        role TEXT NOT NULL,
        created TEXT NOT NULL,
        PRIMARY KEY (org, "user")
    );
    CREATE INDEX org_members_by_user ON org_members ("user");
    CREATE TABLE teams (
        org {_KEY} REFERENCES orgs (name) ON DELETE CASCADE,
        name {_KEY},
        description TEXT NOT NULL DEFAULT '',
        created TEXT NOT NULL,
        PRIMARY KEY (org, name)
    );
    CREATE TABLE team_members (
        org {_KEY},
        team {_KEY},
        "user" {_KEY} REFERENCES users (name) ON DELETE CASCADE,
        PRIMARY KEY (org, team, "user"),
        FOREIGN KEY (org, team) REFERENCES teams (org, name) ON DELETE CASCADE
    );
    CREATE INDEX team_members_by_user ON team_members ("user");
    CREATE TABLE team_packages (
        org {_KEY},
        team {_KEY},
        package {_KEY},
        permission TEXT NOT NULL,
        PRIMARY KEY (org, team, package),
        FOREIGN KEY (org, team) REFERENCES teams (org, name) ON DELETE CASCADE
    );
    CREATE INDEX team_packages_by_package ON team_packages (package);
    CREATE TABLE package_maintainers (
        name {_KEY},
        "user" {_KEY},
        PRIMARY KEY (name, "user")
    );
    CREATE INDEX package_maintainers_by_user ON package_maintainers ("user");
    CREATE TABLE package_stars (
        name {_KEY},
        "user" {_KEY},
        PRIMARY KEY ("user", name)
    );
    CREATE INDEX package_stars_by_name ON package_stars (name);
    CREATE TABLE search_entries (
        name {_KEY} PRIMARY KEY,
        scope TEXT COLLATE "C",
        restricted BOOLEAN NOT NULL DEFAULT FALSE,
        text TEXT NOT NULL,
        name_text TEXT NOT NULL,
        keywords_text TEXT NOT NULL,
        description TEXT NOT NULL,
        people TEXT NOT NULL,
        summary BYTEA NOT NULL
    );
    CREATE INDEX search_entries_by_scope ON search_entries (scope);
    CREATE TABLE web_logins (
        login_hash {_KEY} PRIMARY KEY,
        done_hash {_KEY} UNIQUE,
        create_account BOOLEAN NOT NULL DEFAULT FALSE,
        created TEXT NOT NULL,
        expires TEXT COLLATE "C" NOT NULL,
        "user" TEXT COLLATE "C"
    );
    CREATE TABLE advisories (
        id BIGINT PRIMARY KEY,
        name {_KEY},
        vulnerable_versions TEXT NOT NULL,
        severity TEXT NOT NULL,
        title TEXT NOT NULL,
        url TEXT NOT NULL DEFAULT '',
        cwe TEXT NOT NULL DEFAULT '[]',
        cvss_score DOUBLE PRECISION,
        cvss_vector TEXT,
        created TEXT NOT NULL,
        updated TEXT NOT NULL
    );
    CREATE INDEX advisories_by_name ON advisories (name);
"""

_UPLINK_CACHE = f"""
    CREATE TABLE uplink_packuments (
        name {_KEY},
        form {_KEY},
        rev TEXT NOT NULL,
        etag TEXT,
        fetched DOUBLE PRECISION NOT NULL,
        document BYTEA NOT NULL,
        origins BYTEA NOT NULL,
        PRIMARY KEY (name, form)
    );
    CREATE TABLE uplink_tarballs (
        name {_KEY},
        filename {_KEY},
        version TEXT NOT NULL,
        size BIGINT NOT NULL,
        integrity TEXT NOT NULL,
        shasum TEXT NOT NULL,
        PRIMARY KEY (name, filename)
    );
"""


async def _script(conn: PgConnection, script: str) -> None:
    for statement in script.split(";"):
        if statement.strip():
            await conn.execute(statement)


async def write_index(conn: PgConnection, name: str, index: PackageIndex | None, access: str) -> None:
    """Replace the rows derived from package `name` (None: the package is gone)."""
    await conn.execute("DELETE FROM search_entries WHERE name = $1", name)
    await conn.execute("DELETE FROM package_maintainers WHERE name = $1", name)
    await conn.execute("DELETE FROM package_stars WHERE name = $1", name)
    if index is None:
        return
    await conn.execute(
        "INSERT INTO search_entries (name, scope, restricted, text, name_text, keywords_text, description, "
        "people, summary) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        name,
        index.scope,
        access == "restricted",
        index.text,
        index.name_text,
        index.keywords_text,
        index.description,
        index.people,
        _encoder.encode(index.summary),
    )
    if index.maintainers:
        await conn.executemany(
            'INSERT INTO package_maintainers (name, "user") VALUES ($1, $2) ON CONFLICT DO NOTHING',
            [(name, user) for user in index.maintainers],
        )
    if index.stars:
        await conn.executemany(
            'INSERT INTO package_stars (name, "user") VALUES ($1, $2) ON CONFLICT DO NOTHING',
            [(name, user) for user in index.stars],
        )


async def _orgs_profiles_index(conn: PgConnection) -> None:
    await _script(conn, _ORGS_PROFILES_INDEX)
    for row in await conn.fetch("SELECT name, document FROM packages"):
        value = _decoder.decode(row[1])
        if isinstance(value, dict):
            await write_index(conn, str(row[0]), index_package(str(row[0]), value), "public")


async def _sql(script: str, conn: PgConnection) -> None:
    await _script(conn, script)


_MIGRATIONS: tuple[Callable[[PgConnection], Awaitable[None]], ...] = (
    # 1: packages, tarballs, version history, users, tokens
    lambda conn: _sql(_PACKAGES_USERS_TOKENS, conn),
    # 2: package access, profiles, 2FA, orgs and teams, the derived package index, web logins, advisories
    _orgs_profiles_index,
    # 3: the uplink cache (packuments and tarballs fetched from the uplink)
    lambda conn: _sql(_UPLINK_CACHE, conn),
    # 4: registry hooks and the outbox of their deliveries
    lambda conn: _sql(postgres_hooks.MIGRATION, conn),
)
SCHEMA_VERSION = len(_MIGRATIONS)


async def migrate(conn: PgConnection) -> None:
    """Bring the database up to SCHEMA_VERSION, one transaction per step, under an advisory lock
    (workers and hosts starting together migrate once; the version is read again under the lock)."""
    while True:
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
            await conn.execute("CREATE TABLE IF NOT EXISTS snpm_schema (version INTEGER NOT NULL)")
            found = await conn.fetchval("SELECT version FROM snpm_schema")
            if found is None:
                await conn.execute("INSERT INTO snpm_schema (version) VALUES (0)")
            current = int(found or 0)
            if current > SCHEMA_VERSION:
                raise RuntimeError(
                    f"the database schema is version {current}, newer than this snpm-registry ({SCHEMA_VERSION})"
                )
            if current == SCHEMA_VERSION:
                return
            await _MIGRATIONS[current](conn)
            await conn.execute("UPDATE snpm_schema SET version = $1", current + 1)
