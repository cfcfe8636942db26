"""SQL for accounts (SQLite backend): users and their profile fields, tokens, two-factor state,
recovery codes and web-login sessions. Plain functions over a connection, like `sqlite_orgs`; a user
name an org already has is refused (`@name` is one scope).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence

import msgspec

from snpm.registry_server.storage.base import PROFILE_FIELDS, TokenPage, TokenRecord, UserRecord
from snpm.registry_server.storage.records import TwoFactorState, WebLoginRecord

__all__ = [
    "add_token",
    "add_web_login",
    "advance_otp_counter",
    "approve_web_login",
    "create_user",
    "get_user",
    "list_tokens",
    "list_users",
    "purge_web_logins",
    "remove_token",
    "remove_user",
    "set_password",
    "set_two_factor",
    "take_web_login",
    "token_by_hash",
    "update_profile",
    "use_recovery_code",
    "web_login",
]

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder()
_USER_COLUMNS = (
    "name, email, password_hash, created, updated, "
    "fullname, homepage, freenode, twitter, github, tfa_mode, tfa_secret, tfa_pending, tfa_last_counter"
)
_TOKEN_COLUMNS = (
    "key, token_hash, user, prefix, name, description, readonly, cidr_whitelist, created, updated, expires, "
    "bypass_2fa"
)
_WEB_LOGIN_COLUMNS = "login_hash, done_hash, create_account, created, expires, user"


def _two_factor(mode: object, secret: object, pending: object, counter: object) -> TwoFactorState | None:
    if not isinstance(mode, str) or not isinstance(secret, str) or not mode:
        return None
    return TwoFactorState(mode, secret, bool(pending), int(counter) if isinstance(counter, int) else 0)


def _user(row: tuple[object, ...]) -> UserRecord:
    (name, email, password_hash, created, updated, *profile) = row
    fullname, homepage, freenode, twitter, github, mode, secret, pending, counter = profile
    return UserRecord(
        str(name),
        str(email),
        str(password_hash),
        str(created),
        str(updated),
        fullname=str(fullname or ""),
        homepage=str(homepage or ""),
        freenode=str(freenode or ""),
        twitter=str(twitter or ""),
        github=str(github or ""),
        two_factor=_two_factor(mode, secret, pending, counter),
    )


def _token(row: tuple[object, ...]) -> TokenRecord:
    (key, token_hash, user, prefix, name, description, readonly, cidr, created, updated, expires, bypass) = (
        row
    )
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
        bypass_2fa=bool(bypass),
    )


# ── users ──


def get_user(conn: sqlite3.Connection, name: str) -> UserRecord | None:
    row = conn.execute(f"SELECT {_USER_COLUMNS} FROM users WHERE name = ?", (name,)).fetchone()
    return _user(row) if row else None


def create_user(conn: sqlite3.Connection, record: UserRecord) -> bool:
    """Insert a user; False when the name is taken by a user or an org, or is the scope of existing
    packages (a new user `corp` would own `@corp/*` packages others published)."""
    if conn.execute("SELECT 1 FROM orgs WHERE name = ?", (record.name,)).fetchone():
        return False
    prefix = f"@{record.name}/"
    scoped = conn.execute(
        "SELECT 1 FROM packages WHERE name >= ? AND name < ? LIMIT 1", (prefix, prefix[:-1] + "0")
    ).fetchone()
    if scoped:
        return False
    cursor = conn.execute(
        "INSERT OR IGNORE INTO users (name, email, password_hash, created, updated, fullname, homepage, "
        "freenode, twitter, github) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            record.name,
            record.email,
            record.password_hash,
            record.created,
            record.updated,
            record.fullname,
            record.homepage,
            record.freenode,
            record.twitter,
            record.github,
        ),
    )
    return cursor.rowcount == 1


def set_password(conn: sqlite3.Connection, name: str, password_hash: str, updated: str) -> bool:
    cursor = conn.execute(
        "UPDATE users SET password_hash = ?, updated = ? WHERE name = ?", (password_hash, updated, name)
    )
    return cursor.rowcount == 1


def remove_user(conn: sqlite3.Connection, name: str) -> bool:
    # recovery codes and org/team memberships go with the user (their foreign keys cascade)
    conn.execute("DELETE FROM tokens WHERE user = ?", (name,))
    return conn.execute("DELETE FROM users WHERE name = ?", (name,)).rowcount == 1


def list_users(conn: sqlite3.Connection) -> list[UserRecord]:
    return [_user(r) for r in conn.execute(f"SELECT {_USER_COLUMNS} FROM users ORDER BY name")]


# ── tokens ──


def add_token(conn: sqlite3.Connection, record: TokenRecord) -> None:
    conn.execute(
        f"INSERT INTO tokens ({_TOKEN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
            int(record.bypass_2fa),
        ),
    )


def token_by_hash(conn: sqlite3.Connection, token_hash: str) -> TokenRecord | None:
    row = conn.execute(f"SELECT {_TOKEN_COLUMNS} FROM tokens WHERE token_hash = ?", (token_hash,)).fetchone()
    return _token(row) if row else None


def list_tokens(conn: sqlite3.Connection, user: str | None, offset: int, limit: int | None) -> TokenPage:
    where, args = ("WHERE user = ?", (user,)) if user is not None else ("", ())
    total = conn.execute(f"SELECT count(*) FROM tokens {where}", args).fetchone()[0]
    rows = conn.execute(
        f"SELECT {_TOKEN_COLUMNS} FROM tokens {where} ORDER BY created, rowid LIMIT ? OFFSET ?",
        (*args, -1 if limit is None else limit, offset),
    ).fetchall()
    return TokenPage(tuple(_token(r) for r in rows), int(total))


def remove_token(conn: sqlite3.Connection, key: str) -> bool:
    return conn.execute("DELETE FROM tokens WHERE key = ?", (key,)).rowcount == 1


# ── profiles and two-factor authentication ──


def update_profile(conn: sqlite3.Connection, name: str, changes: Mapping[str, str], updated: str) -> bool:
    allowed = ("email", *PROFILE_FIELDS)
    columns = [key for key in changes if key in allowed]
    if len(columns) != len(changes):
        raise ValueError(f"not profile fields: {sorted(set(changes) - set(allowed))}")
    assignments = ", ".join(f"{column} = ?" for column in (*columns, "updated"))
    values = [changes[c] for c in columns]
    cursor = conn.execute(f"UPDATE users SET {assignments} WHERE name = ?", (*values, updated, name))
    return cursor.rowcount == 1


def set_two_factor(
    conn: sqlite3.Connection,
    name: str,
    state: TwoFactorState | None,
    recovery_hashes: Sequence[str] | None,
    updated: str,
) -> bool:
    if state is None:
        cursor = conn.execute(
            "UPDATE users SET tfa_mode = NULL, tfa_secret = NULL, tfa_pending = 0, tfa_last_counter = 0, "
            "updated = ? WHERE name = ?",
            (updated, name),
        )
        conn.execute("DELETE FROM recovery_codes WHERE user = ?", (name,))
        return cursor.rowcount == 1
    cursor = conn.execute(
        "UPDATE users SET tfa_mode = ?, tfa_secret = ?, tfa_pending = ?, tfa_last_counter = ?, updated = ? "
        "WHERE name = ?",
        (state.mode, state.secret, int(state.pending), state.last_counter, updated, name),
    )
    if recovery_hashes is not None:
        conn.execute("DELETE FROM recovery_codes WHERE user = ?", (name,))
        conn.executemany(
            "INSERT OR IGNORE INTO recovery_codes (user, code_hash) VALUES (?, ?)",
            [(name, code) for code in recovery_hashes],
        )
    return cursor.rowcount == 1


def advance_otp_counter(conn: sqlite3.Connection, name: str, counter: int) -> bool:
    cursor = conn.execute(
        "UPDATE users SET tfa_last_counter = ? WHERE name = ? AND tfa_last_counter <= ?",
        (counter, name, counter),
    )
    return cursor.rowcount == 1


def use_recovery_code(conn: sqlite3.Connection, name: str, code_hash: str) -> bool:
    cursor = conn.execute("DELETE FROM recovery_codes WHERE user = ? AND code_hash = ?", (name, code_hash))
    return cursor.rowcount == 1


# ── web login sessions ──


def _web_login(row: tuple[object, ...]) -> WebLoginRecord:
    login_hash, done_hash, create, created, expires, user = row
    return WebLoginRecord(
        str(login_hash), str(done_hash), bool(create), str(created), str(expires), str(user) if user else None
    )


def add_web_login(conn: sqlite3.Connection, record: WebLoginRecord) -> None:
    conn.execute(
        f"INSERT INTO web_logins ({_WEB_LOGIN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
        (
            record.login_hash,
            record.done_hash,
            int(record.create),
            record.created,
            record.expires,
            record.user,
        ),
    )


def web_login(conn: sqlite3.Connection, login_hash: str) -> WebLoginRecord | None:
    row = conn.execute(
        f"SELECT {_WEB_LOGIN_COLUMNS} FROM web_logins WHERE login_hash = ?", (login_hash,)
    ).fetchone()
    return _web_login(row) if row else None


def approve_web_login(conn: sqlite3.Connection, login_hash: str, user: str) -> bool:
    cursor = conn.execute(
        "UPDATE web_logins SET user = ? WHERE login_hash = ? AND user IS NULL", (user, login_hash)
    )
    return cursor.rowcount == 1


def take_web_login(conn: sqlite3.Connection, done_hash: str) -> WebLoginRecord | None:
    row = conn.execute(
        f"SELECT {_WEB_LOGIN_COLUMNS} FROM web_logins WHERE done_hash = ?", (done_hash,)
    ).fetchone()
    if row is None:
        return None
    record = _web_login(row)
    if record.user is not None:
        conn.execute("DELETE FROM web_logins WHERE done_hash = ?", (done_hash,))
    return record


def purge_web_logins(conn: sqlite3.Connection, before: str) -> int:
    return conn.execute("DELETE FROM web_logins WHERE expires < ?", (before,)).rowcount
