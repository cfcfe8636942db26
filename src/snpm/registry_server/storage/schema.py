"""The SQLite schema and its migrations, numbered by `PRAGMA user_version`.

Only hashes of tokens are stored (sha512 hex), with a random key to name them and a short prefix to
list them; passwords are argon2id hashes. `published_versions` remembers every version ever
published under a name, so an unpublished version can never be published again.
"""

from __future__ import annotations

import sqlite3

__all__ = ["SCHEMA_VERSION", "migrate"]

_MIGRATIONS: tuple[str, ...] = (
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
            for statement in _MIGRATIONS[current].split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {current + 1}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
