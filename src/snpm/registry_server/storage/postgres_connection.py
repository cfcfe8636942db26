"""What the PostgreSQL backend uses of asyncpg, typed (asyncpg ships no type information), and the
advisory-lock keys that serialise writers across processes and hosts.

asyncpg, not psycopg 3: the registry is asyncio end to end, and asyncpg is an asyncio-native driver
(PostgreSQL's binary protocol, statements prepared and cached per connection, its own pool), so a
query costs no thread hop and no SQL-string formatting; psycopg 3's advantages (sync and async
twins, DB-API shape) buy nothing in a server that has no sync code path.

Locks (transaction-scoped, so a crash releases them): every package update holds its package's
lock, so two updates of one package never interleave while different packages are written at once;
it also holds the global lock in shared mode, and the rarer account/org/team writes hold the global
lock exclusively, which keeps their check-then-insert steps (a user name an org may not have, a
scope with packages) as serial as SQLite's single writer makes them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

__all__ = [
    "GLOBAL_LOCK",
    "MIGRATION_LOCK",
    "PgConnection",
    "PgPool",
    "PgRecord",
    "PgTransaction",
    "affected",
    "lock_key",
    "package_lock",
]


class PgRecord(Protocol):
    def __getitem__(self, key: int | str, /) -> Any: ...

    def __len__(self) -> int: ...


class PgTransaction(Protocol):
    async def __aenter__(self) -> object: ...

    async def __aexit__(self, *exc: object) -> bool | None: ...


class PgConnection(Protocol):
    async def execute(self, query: str, *args: object) -> str: ...

    async def executemany(self, query: str, args: Iterable[Sequence[object]]) -> None: ...

    async def fetch(self, query: str, *args: object) -> list[PgRecord]: ...

    async def fetchrow(self, query: str, *args: object) -> PgRecord | None: ...

    async def fetchval(self, query: str, *args: object) -> Any: ...

    def transaction(self) -> PgTransaction: ...


class PgPool(Protocol):
    def acquire(self) -> AbstractAsyncContextManager[PgConnection]: ...

    async def close(self) -> None: ...


def lock_key(text: str) -> int:
    """A stable signed 64-bit advisory-lock key for `text`."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big", signed=True)


GLOBAL_LOCK = lock_key("snpm-registry:global")
MIGRATION_LOCK = lock_key("snpm-registry:migrate")


def package_lock(name: str) -> int:
    return lock_key(f"snpm-registry:package:{name}")


def affected(status: str) -> int:
    """The row count of a command status (`DELETE 1`, `UPDATE 0`, `INSERT 0 1`)."""
    tail = status.rsplit(" ", 1)[-1]
    return int(tail) if tail.isdigit() else 0
