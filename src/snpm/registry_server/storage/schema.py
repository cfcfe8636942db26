"""The SQLite schema and its migrations, numbered by `PRAGMA user_version`.

Only hashes of tokens are stored (sha512 hex), with a random key to name them and a short prefix to
list them; passwords are argon2id hashes. `published_versions` remembers every version ever
published under a name, so an unpublished version can never be published again.

A migration is SQL, or a function for steps SQL alone cannot do (migration 2 backfills the rows
derived from existing packuments: search entries, maintainers and stars). The full-text index
(FTS5) is not a numbered migration: SQLite builds without FTS5 exist, so `ensure_fulltext` creates
it when the module is there and the storage falls back to LIKE otherwise.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import msgspec

from snpm.registry_server.storage import sqlite_hooks, sqlite_uplink
from snpm.registry_server.storage.package_index import PackageIndex, index_package

__all__ = ["SCHEMA_VERSION", "ensure_fulltext", "migrate", "write_index"]

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder()

_ORGS_PROFILES_INDEX = """
    ALTER TABLE packages ADD COLUMN access TEXT NOT NULL DEFAULT 'public';
    ALTER TABLE packages ADD COLUMN mfa TEXT NOT NULL DEFAULT 'none';
    ALTER TABLE users ADD COLUMN fullname TEXT NOT NULL DEFAULT '';
    ALTER TABLE users ADD COLUMN homepage TEXT NOT NULL DEFAULT '';
    ALTER TABLE users ADD COLUMN freenode TEXT NOT NULL DEFAULT '';
    ALTER TABLE users ADD COLUMN twitter TEXT NOT NULL DEFAULT '';
    ALTER TABLE users ADD COLUMN github TEXT NOT NULL DEFAULT '';
    ALTER TABLE users ADD COLUMN tfa_mode TEXT;
    ALTER TABLE users ADD COLUMN tfa_secret TEXT;
    ALTER TABLE users ADD COLUMN tfa_pending INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE users ADD COLUMN tfa_last_counter INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE tokens ADD COLUMN bypass_2fa INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE recovery_codes (
        user TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
        code_hash TEXT NOT NULL,
        PRIMARY KEY (user, code_hash)
    ) WITHOUT ROWID;
    CREATE TABLE orgs (
        name TEXT PRIMARY KEY,
        created TEXT NOT NULL
    );
    CREATE TABLE org_members (
        org TEXT NOT NULL REFERENCES orgs (name) ON DELETE CASCADE,
        user TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
        role TEXT NOT NULL,
        created TEXT NOT NULL,
        PRIMARY KEY (org, user)
    ) WITHOUT ROWID;
    CREATE INDEX org_members_by_user ON org_members (user);
    CREATE TABLE teams (
        org TEXT NOT NULL REFERENCES orgs (name) ON DELETE CASCADE,
        name TEXT NOT NULL,
        description TEXT NOT NULL DEFAULT '',
        created TEXT NOT NULL,
        PRIMARY KEY (org, name)
    ) WITHOUT ROWID;
    CREATE TABLE team_members (
        org TEXT NOT NULL,
        team TEXT NOT NULL,
        user TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
        PRIMARY KEY (org, team, user),
        FOREIGN KEY (org, team) REFERENCES teams (org, name) ON DELETE CASCADE
    ) WITHOUT ROWID;
    CREATE INDEX team_members_by_user ON team_members (user);
    CREATE TABLE team_packages (
        org TEXT NOT NULL,
        team TEXT NOT NULL,
        package TEXT NOT NULL,
        permission TEXT NOT NULL,
        PRIMARY KEY (org, team, package),
        FOREIGN KEY (org, team) REFERENCES teams (org, name) ON DELETE CASCADE
    ) WITHOUT ROWID;
    CREATE INDEX team_packages_by_package ON team_packages (package);
    CREATE TABLE package_maintainers (
        name TEXT NOT NULL,
        user TEXT NOT NULL,
        PRIMARY KEY (name, user)
    ) WITHOUT ROWID;
    CREATE INDEX package_maintainers_by_user ON package_maintainers (user);
    CREATE TABLE package_stars (
        name TEXT NOT NULL,
        user TEXT NOT NULL,
        PRIMARY KEY (user, name)
    ) WITHOUT ROWID;
    CREATE INDEX package_stars_by_name ON package_stars (name);
    CREATE TABLE search_entries (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        scope TEXT,
        restricted INTEGER NOT NULL DEFAULT 0,
        text TEXT NOT NULL,
        name_text TEXT NOT NULL,
        keywords_text TEXT NOT NULL,
        description TEXT NOT NULL,
        people TEXT NOT NULL,
        summary BLOB NOT NULL
    );
    CREATE INDEX search_entries_by_scope ON search_entries (scope);
    CREATE TABLE web_logins (
        login_hash TEXT PRIMARY KEY,
        done_hash TEXT NOT NULL UNIQUE,
        create_account INTEGER NOT NULL DEFAULT 0,
        created TEXT NOT NULL,
        expires TEXT NOT NULL,
        user TEXT
    );
    CREATE TABLE advisories (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        vulnerable_versions TEXT NOT NULL,
        severity TEXT NOT NULL,
        title TEXT NOT NULL,
        url TEXT NOT NULL DEFAULT '',
        cwe TEXT NOT NULL DEFAULT '[]',
        cvss_score REAL,
        cvss_vector TEXT,
        created TEXT NOT NULL,
        updated TEXT NOT NULL
    );
    CREATE INDEX advisories_by_name ON advisories (name);
"""

_FULLTEXT = (
    "CREATE VIRTUAL TABLE search_fulltext USING fts5("
    "name_text, keywords_text, description, people, content='search_entries', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2')"
)


def _script(conn: sqlite3.Connection, script: str) -> None:
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)


def write_index(
    conn: sqlite3.Connection, name: str, index: PackageIndex | None, access: str, *, fulltext: bool
) -> None:
    """Replace the rows derived from package `name` (None: the package is gone). `fulltext`: this
    connection keeps the FTS5 index in step too."""
    old = conn.execute("SELECT id FROM search_entries WHERE name = ?", (name,)).fetchone()
    if old is not None and fulltext:
        conn.execute(
            "INSERT INTO search_fulltext (search_fulltext, rowid, name_text, keywords_text, description, people) "
            "SELECT 'delete', id, name_text, keywords_text, description, people FROM search_entries WHERE id = ?",
            (old[0],),
        )
    conn.execute("DELETE FROM search_entries WHERE name = ?", (name,))
    conn.execute("DELETE FROM package_maintainers WHERE name = ?", (name,))
    conn.execute("DELETE FROM package_stars WHERE name = ?", (name,))
    if index is None:
        return
    cursor = conn.execute(
        "INSERT INTO search_entries (name, scope, restricted, text, name_text, keywords_text, description, "
        "people, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            name,
            index.scope,
            int(access == "restricted"),
            index.text,
            index.name_text,
            index.keywords_text,
            index.description,
            index.people,
            _encoder.encode(index.summary),
        ),
    )
    if fulltext:
        conn.execute(
            "INSERT INTO search_fulltext (rowid, name_text, keywords_text, description, people) "
            "VALUES (?, ?, ?, ?, ?)",
            (cursor.lastrowid, index.name_text, index.keywords_text, index.description, index.people),
        )
    conn.executemany(
        "INSERT OR IGNORE INTO package_maintainers (name, user) VALUES (?, ?)",
        [(name, user) for user in index.maintainers],
    )
    conn.executemany(
        "INSERT OR IGNORE INTO package_stars (name, user) VALUES (?, ?)",
        [(name, user) for user in index.stars],
    )


def _has_fulltext_table(conn: sqlite3.Connection) -> bool:
    return (
        conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'search_fulltext'"
        ).fetchone()
        is not None
    )


def _orgs_profiles_index(conn: sqlite3.Connection) -> None:
    _script(conn, _ORGS_PROFILES_INDEX)
    for name, document in conn.execute("SELECT name, document FROM packages").fetchall():
        value = _decoder.decode(document)
        if isinstance(value, dict):
            # the FTS5 index does not exist yet: ensure_fulltext builds it from these rows
            write_index(conn, name, index_package(name, value), "public", fulltext=False)


def ensure_fulltext(conn: sqlite3.Connection) -> bool:
    """Create (and fill) the FTS5 index if this SQLite has FTS5; False when it does not. Rebuilt when
    it is out of step with `search_entries` (a process without FTS5 wrote in between)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        if not _has_fulltext_table(conn):
            try:
                conn.execute(_FULLTEXT)
            except sqlite3.OperationalError:
                conn.execute("ROLLBACK")
                return False
            conn.execute("INSERT INTO search_fulltext (search_fulltext) VALUES ('rebuild')")
        else:
            try:
                conn.execute(
                    "INSERT INTO search_fulltext (search_fulltext, rank) VALUES ('integrity-check', 1)"
                )
            except sqlite3.OperationalError:
                conn.execute("ROLLBACK")  # the table exists, but this SQLite cannot use it
                return False
            except sqlite3.DatabaseError:
                conn.execute("INSERT INTO search_fulltext (search_fulltext) VALUES ('rebuild')")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return True


_MIGRATIONS: tuple[str | Callable[[sqlite3.Connection], None], ...] = (
    # 1: packages, tarballs, version history, users, tokens
    """
    CREATE TABLE packages (
        name TEXT PRIMARY KEY,
        rev TEXT NOT NULL,
        document BLOB NOT NULL
    );
    CREATE TABLE published_versions (
        name TEXT NOT NULL,
        version TEXT NOT NULL,
        PRIMARY KEY (name, version)
    ) WITHOUT ROWID;
    CREATE TABLE tarballs (
        name TEXT NOT NULL,
        filename TEXT NOT NULL,
        version TEXT NOT NULL,
        size INTEGER NOT NULL,
        integrity TEXT NOT NULL,
        shasum TEXT NOT NULL,
        PRIMARY KEY (name, filename)
    ) WITHOUT ROWID;
    CREATE TABLE users (
        name TEXT PRIMARY KEY,
        email TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        created TEXT NOT NULL,
        updated TEXT NOT NULL
    );
    CREATE TABLE tokens (
        key TEXT PRIMARY KEY,
        token_hash TEXT NOT NULL UNIQUE,
        user TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
        prefix TEXT NOT NULL,
        name TEXT NOT NULL DEFAULT '',
        description TEXT NOT NULL DEFAULT '',
        readonly INTEGER NOT NULL DEFAULT 0,
        cidr_whitelist TEXT,
        created TEXT NOT NULL,
        updated TEXT NOT NULL,
        expires TEXT
    );
    CREATE INDEX tokens_by_user ON tokens (user, created);
    """,
    # 2: package access, profiles, 2FA, orgs and teams, the derived package index, web logins, advisories
    _orgs_profiles_index,
    # 3: the uplink cache (packuments and tarballs fetched from the uplink)
    sqlite_uplink.MIGRATION,
    # 4: registry hooks and the outbox of their deliveries
    sqlite_hooks.MIGRATION,
)
SCHEMA_VERSION = len(_MIGRATIONS)


def migrate(conn: sqlite3.Connection) -> None:
    """Bring the database up to SCHEMA_VERSION, one transaction per step (safe against a second
    process migrating at the same time: the version is read again under the write lock)."""
    while True:
        conn.execute("BEGIN IMMEDIATE")
        try:
            current = int(conn.execute("PRAGMA user_version").fetchone()[0])
            if current > SCHEMA_VERSION:
                raise RuntimeError(
                    f"the database schema is version {current}, newer than this snpm-registry ({SCHEMA_VERSION})"
                )
            if current == SCHEMA_VERSION:
                conn.execute("COMMIT")
                return
            step = _MIGRATIONS[current]
            if isinstance(step, str):
                _script(conn, step)
            else:
                step(conn)
            conn.execute(f"PRAGMA user_version = {current + 1}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
