"""SQL for accounts (PostgreSQL backend), statement for statement what `sqlite_accounts` does: users and
their profile fields, tokens, two-factor state, recovery codes and web-login sessions. Writers run
under the global advisory lock (see `postgres_connection`), so the checks before an insert hold.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import msgspec

from snpm.registry_server.storage.base import PROFILE_FIELDS, TokenPage, TokenRecord, UserRecord
from snpm.registry_server.storage.postgres_connection import PgConnection, PgRecord, affected
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
    'key, token_hash, "user", prefix, name, description, readonly, cidr_whitelist, created, updated, '
    "expires, bypass_2fa"
)
_WEB_LOGIN_COLUMNS = 'login_hash, done_hash, create_account, created, expires, "user"'


def _user(row: PgRecord) -> UserRecord:
    mode, secret, pending, counter = row[10], row[11], row[12], row[13]
    two_factor = (
        TwoFactorState(str(mode), str(secret), bool(pending), int(counter or 0))
        if isinstance(mode, str) and mode and isinstance(secret, str)
        else None
    )
    return UserRecord(
        str(row[0]),
        str(row[1]),
        str(row[2]),
        str(row[3]),
        str(row[4]),
        fullname=str(row[5] or ""),
        homepage=str(row[6] or ""),
        freenode=str(row[7] or ""),
        twitter=str(row[8] or ""),
        github=str(row[9] or ""),
        two_factor=two_factor,
    )


def _token(row: PgRecord) -> TokenRecord:
    cidr = row[7]
    cidrs = _decoder.decode(cidr) if isinstance(cidr, str) and cidr else []
    return TokenRecord(
        key=str(row[0]),
        token_hash=str(row[1]),
        user=str(row[2]),
        prefix=str(row[3]),
        name=str(row[4] or ""),
        description=str(row[5] or ""),
        readonly=bool(row[6]),
        cidr_whitelist=tuple(str(c) for c in cidrs),
        created=str(row[8]),
        updated=str(row[9]),
        expires=str(row[10]) if row[10] else None,
        bypass_2fa=bool(row[11]),
    )


# ── users ──


async def get_user(conn: PgConnection, name: str) -> UserRecord | None:
    row = await conn.fetchrow(f"SELECT {_USER_COLUMNS} FROM users WHERE name = $1", name)
    return _user(row) if row else None


async def create_user(conn: PgConnection, record: UserRecord) -> bool:
    """Insert a user; False when the name is taken by a user or an org, or is the scope of existing
    packages (a new user `corp` would own `@corp/*` packages others published)."""
    if await conn.fetchrow("SELECT 1 FROM orgs WHERE name = $1", record.name):
        return False
    if await conn.fetchrow("SELECT 1 FROM packages WHERE starts_with(name, $1) LIMIT 1", f"@{record.name}/"):
        return False
    status = await conn.execute(
        "INSERT INTO users (name, email, password_hash, created, updated, fullname, homepage, freenode, "
        "twitter, github) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING",
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
    )
    return affected(status) == 1


async def set_password(conn: PgConnection, name: str, password_hash: str, updated: str) -> bool:
    status = await conn.execute(
        "UPDATE users SET password_hash = $1, updated = $2 WHERE name = $3", password_hash, updated, name
    )
    return affected(status) == 1


async def remove_user(conn: PgConnection, name: str) -> bool:
    # recovery codes and org/team memberships go with the user (their foreign keys cascade)
    await conn.execute('DELETE FROM tokens WHERE "user" = $1', name)
    return affected(await conn.execute("DELETE FROM users WHERE name = $1", name)) == 1


async def list_users(conn: PgConnection) -> list[UserRecord]:
    return [_user(r) for r in await conn.fetch(f"SELECT {_USER_COLUMNS} FROM users ORDER BY name")]


# ── tokens ──


async def add_token(conn: PgConnection, record: TokenRecord) -> None:
    await conn.execute(
        f"INSERT INTO tokens ({_TOKEN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        record.key,
        record.token_hash,
        record.user,
        record.prefix,
        record.name,
        record.description,
        record.readonly,
        _encoder.encode(list(record.cidr_whitelist)).decode() if record.cidr_whitelist else None,
        record.created,
        record.updated,
        record.expires,
        record.bypass_2fa,
    )


async def token_by_hash(conn: PgConnection, token_hash: str) -> TokenRecord | None:
    row = await conn.fetchrow(f"SELECT {_TOKEN_COLUMNS} FROM tokens WHERE token_hash = $1", token_hash)
    return _token(row) if row else None


async def list_tokens(conn: PgConnection, user: str | None, offset: int, limit: int | None) -> TokenPage:
    where, args = ('WHERE "user" = $1', (user,)) if user is not None else ("", ())
    total = await conn.fetchval(f"SELECT count(*) FROM tokens {where}", *args)
    at = len(args)
    rows = await conn.fetch(
        f"SELECT {_TOKEN_COLUMNS} FROM tokens {where} ORDER BY created, seq LIMIT ${at + 1} OFFSET ${at + 2}",
        *args,
        limit,
        offset,
    )
    return TokenPage(tuple(_token(r) for r in rows), int(total))


async def remove_token(conn: PgConnection, key: str) -> bool:
    return affected(await conn.execute("DELETE FROM tokens WHERE key = $1", key)) == 1


# ── profiles and two-factor authentication ──


async def update_profile(conn: PgConnection, name: str, changes: Mapping[str, str], updated: str) -> bool:
    allowed = ("email", *PROFILE_FIELDS)
    columns = [key for key in changes if key in allowed]
    if len(columns) != len(changes):
        raise ValueError(f"not profile fields: {sorted(set(changes) - set(allowed))}")
    assignments = ", ".join(f"{column} = ${i}" for i, column in enumerate((*columns, "updated"), start=1))
    values = [changes[c] for c in columns]
    status = await conn.execute(
        f"UPDATE users SET {assignments} WHERE name = ${len(columns) + 2}", *values, updated, name
    )
    return affected(status) == 1


async def set_two_factor(
    conn: PgConnection,
    name: str,
    state: TwoFactorState | None,
    recovery_hashes: Sequence[str] | None,
    updated: str,
) -> bool:
    if state is None:
        status = await conn.execute(
            "UPDATE users SET tfa_mode = NULL, tfa_secret = NULL, tfa_pending = FALSE, tfa_last_counter = 0, "
            "updated = $1 WHERE name = $2",
            updated,
            name,
        )
        await conn.execute('DELETE FROM recovery_codes WHERE "user" = $1', name)
        return affected(status) == 1
    status = await conn.execute(
        "UPDATE users SET tfa_mode = $1, tfa_secret = $2, tfa_pending = $3, tfa_last_counter = $4, "
        "updated = $5 WHERE name = $6",
        state.mode,
        state.secret,
        state.pending,
        state.last_counter,
        updated,
        name,
    )
    if recovery_hashes is not None:
        await conn.execute('DELETE FROM recovery_codes WHERE "user" = $1', name)
        if recovery_hashes:
            await conn.executemany(
                'INSERT INTO recovery_codes ("user", code_hash) VALUES ($1, $2) ON CONFLICT DO NOTHING',
                [(name, code) for code in recovery_hashes],
            )
    return affected(status) == 1


async def advance_otp_counter(conn: PgConnection, name: str, counter: int) -> bool:
    status = await conn.execute(
        "UPDATE users SET tfa_last_counter = $1 WHERE name = $2 AND tfa_last_counter <= $1", counter, name
    )
    return affected(status) == 1


async def use_recovery_code(conn: PgConnection, name: str, code_hash: str) -> bool:
    status = await conn.execute(
        'DELETE FROM recovery_codes WHERE "user" = $1 AND code_hash = $2', name, code_hash
    )
    return affected(status) == 1


# ── web login sessions ──


def _web_login(row: PgRecord) -> WebLoginRecord:
    return WebLoginRecord(
        str(row[0]), str(row[1]), bool(row[2]), str(row[3]), str(row[4]), str(row[5]) if row[5] else None
    )


async def add_web_login(conn: PgConnection, record: WebLoginRecord) -> None:
    await conn.execute(
        f"INSERT INTO web_logins ({_WEB_LOGIN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)",
        record.login_hash,
        record.done_hash,
        record.create,
        record.created,
        record.expires,
        record.user,
    )


async def web_login(conn: PgConnection, login_hash: str) -> WebLoginRecord | None:
    row = await conn.fetchrow(
        f"SELECT {_WEB_LOGIN_COLUMNS} FROM web_logins WHERE login_hash = $1", login_hash
    )
    return _web_login(row) if row else None


async def approve_web_login(conn: PgConnection, login_hash: str, user: str) -> bool:
    status = await conn.execute(
        'UPDATE web_logins SET "user" = $1 WHERE login_hash = $2 AND "user" IS NULL', user, login_hash
    )
    return affected(status) == 1


async def take_web_login(conn: PgConnection, done_hash: str) -> WebLoginRecord | None:
    row = await conn.fetchrow(f"SELECT {_WEB_LOGIN_COLUMNS} FROM web_logins WHERE done_hash = $1", done_hash)
    if row is None:
        return None
    record = _web_login(row)
    if record.user is not None:
        await conn.execute("DELETE FROM web_logins WHERE done_hash = $1", done_hash)
    return record


async def purge_web_logins(conn: PgConnection, before: str) -> int:
    return affected(await conn.execute("DELETE FROM web_logins WHERE expires < $1", before))
