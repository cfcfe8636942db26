"""SQL for registry hooks (PostgreSQL backend): the same tables and rules as `sqlite_hooks`, for asyncpg.

A package change queues its hook deliveries in the package's transaction (under its advisory lock).
Workers, on this host or others, claim due deliveries with `FOR UPDATE SKIP LOCKED`: two claims
never take the same row, and a claim pushes `due` one lease ahead, so a delivery is sent once
unless its worker dies (then the lease runs out and another worker sends it).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import msgspec

from snpm.json_types import JsonObject
from snpm.packument import format_time
from snpm.registry_server.storage.base import StoredPackage
from snpm.registry_server.storage.hooks import (
    HookDelivery,
    HookPage,
    HookRecord,
    hook_targets,
    package_events,
    tombstone,
)
from snpm.registry_server.storage.postgres_connection import PgConnection, PgRecord

__all__ = [
    "MIGRATION",
    "add_hook",
    "claim_deliveries",
    "finish_delivery",
    "get_hook",
    "list_hooks",
    "record_events",
    "remove_hook",
    "update_hook",
]

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder()
_KEY = 'TEXT COLLATE "C" NOT NULL'

# migration 4
MIGRATION = f"""
    CREATE TABLE hooks (
        seq BIGINT GENERATED ALWAYS AS IDENTITY,
        id {_KEY} PRIMARY KEY,
        owner {_KEY} REFERENCES users (name) ON DELETE CASCADE,
        type {_KEY},
        name {_KEY},
        endpoint TEXT NOT NULL,
        secret TEXT NOT NULL,
        created TEXT NOT NULL,
        updated TEXT NOT NULL,
        last_delivery TEXT,
        response_code INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX hooks_by_owner ON hooks (owner, seq);
    CREATE INDEX hooks_by_target ON hooks (type, name);
    CREATE TABLE hook_events (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        name {_KEY},
        access TEXT NOT NULL,
        happened_ms BIGINT NOT NULL,
        events BYTEA NOT NULL,
        payload BYTEA NOT NULL
    );
    CREATE TABLE hook_deliveries (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        event_id BIGINT NOT NULL REFERENCES hook_events (id) ON DELETE CASCADE,
        item INTEGER NOT NULL,
        hook_id {_KEY} REFERENCES hooks (id) ON DELETE CASCADE,
        attempts INTEGER NOT NULL DEFAULT 0,
        due DOUBLE PRECISION NOT NULL
    );
    CREATE INDEX hook_deliveries_by_due ON hook_deliveries (due);
    CREATE INDEX hook_deliveries_by_event ON hook_deliveries (event_id);
    CREATE INDEX hook_deliveries_by_hook ON hook_deliveries (hook_id)
"""

_COLUMNS = (
    "id",
    "owner",
    "type",
    "name",
    "endpoint",
    "secret",
    "created",
    "updated",
    "last_delivery",
    "response_code",
)
_SELECT = ", ".join(_COLUMNS)


def _hook(row: Sequence[object] | PgRecord, at: int = 0) -> HookRecord:
    values = [row[at + i] for i in range(len(_COLUMNS))]
    hook_id, owner, kind, name, endpoint, secret, created, updated, last, code = values
    return HookRecord(
        str(hook_id),
        str(owner),
        str(kind),
        str(name),
        str(endpoint),
        str(secret),
        str(created),
        str(updated),
        str(last) if last is not None else None,
        int(code) if isinstance(code, int) else 0,
    )


async def add_hook(conn: PgConnection, record: HookRecord, limit: int) -> str:
    """Run under the global write lock (the count and the insert must not interleave)."""
    count = await conn.fetchval("SELECT count(*) FROM hooks WHERE owner = $1", record.owner)
    if int(count) >= limit:
        return "limit"
    if await conn.fetchval("SELECT 1 FROM hooks WHERE id = $1", record.id):
        return "taken"
    await conn.execute(
        f"INSERT INTO hooks ({_SELECT}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        record.id,
        record.owner,
        record.type,
        record.name,
        record.endpoint,
        record.secret,
        record.created,
        record.updated,
        record.last_delivery,
        record.response_code,
    )
    return "added"


async def get_hook(conn: PgConnection, hook_id: str) -> HookRecord | None:
    row = await conn.fetchrow(f"SELECT {_SELECT} FROM hooks WHERE id = $1", hook_id)
    return _hook(row) if row is not None else None


async def list_hooks(
    conn: PgConnection, owner: str, package: str | None, offset: int, limit: int | None
) -> HookPage:
    where = "owner = $1"
    args: list[object] = [owner]
    if package is not None:
        where += " AND (name = $2 OR (type = 'owner' AND $2 = '~' || name))"
        args.append(package)
    total = await conn.fetchval(f"SELECT count(*) FROM hooks WHERE {where}", *args)
    at = len(args)
    rows = await conn.fetch(
        f"SELECT {_SELECT} FROM hooks WHERE {where} ORDER BY seq LIMIT ${at + 1} OFFSET ${at + 2}",
        *args,
        limit,
        offset,
    )
    return HookPage(tuple(_hook(row) for row in rows), int(total))


async def update_hook(
    conn: PgConnection, hook_id: str, owner: str, endpoint: str, secret: str, updated: str
) -> HookRecord | None:
    row = await conn.fetchrow(
        f"UPDATE hooks SET endpoint = $1, secret = $2, updated = $3 WHERE id = $4 AND owner = $5 RETURNING {_SELECT}",
        endpoint,
        secret,
        updated,
        hook_id,
        owner,
    )
    return _hook(row) if row is not None else None


async def remove_hook(conn: PgConnection, hook_id: str, owner: str) -> HookRecord | None:
    row = await conn.fetchrow(
        f"DELETE FROM hooks WHERE id = $1 AND owner = $2 RETURNING {_SELECT}", hook_id, owner
    )
    if row is None:
        return None
    await conn.execute(
        "DELETE FROM hook_events e WHERE NOT EXISTS (SELECT 1 FROM hook_deliveries d WHERE d.event_id = e.id)"
    )
    return _hook(row)


async def record_events(
    conn: PgConnection, name: str, before: StoredPackage | None, after: StoredPackage | None, now: float
) -> int:
    """Queue the events of a package change for every hook watching it (inside the package's
    transaction); returns how many deliveries were queued."""
    if before is None and after is None:
        return 0
    if before is not None and after is not None and after.document is before.document:
        return 0
    old = before.document if before is not None else None
    new = after.document if after is not None else None
    targets = hook_targets(name, old, new)
    rows = await conn.fetch(
        "SELECT id FROM hooks WHERE (type = 'package' AND name = $1) OR (type = 'scope' AND name = $2) "
        "OR (type = 'owner' AND name = ANY($3::text[])) ORDER BY seq",
        targets.package,
        targets.scope,
        list(targets.owners),
    )
    hooks = [str(row[0]) for row in rows]
    if not hooks:
        return 0
    events = package_events(old, new)
    if not events:
        return 0
    if after is not None:
        payload: JsonObject = {"_id": name, "_rev": after.rev}
        payload.update(after.document)
    else:
        assert old is not None
        payload = tombstone(name, old, format_time(datetime.fromtimestamp(now, UTC)))
    package = after if after is not None else before
    assert package is not None
    event_id = await conn.fetchval(
        "INSERT INTO hook_events (name, access, happened_ms, events, payload) VALUES ($1, $2, $3, $4, $5) "
        "RETURNING id",
        name,
        package.access,
        int(now * 1000),
        _encoder.encode([event.to_json() for event in events]),
        _encoder.encode(payload),
    )
    await conn.executemany(
        "INSERT INTO hook_deliveries (event_id, item, hook_id, due) VALUES ($1, $2, $3, $4)",
        [(event_id, item, hook_id, now) for hook_id in hooks for item in range(len(events))],
    )
    return len(hooks) * len(events)


async def claim_deliveries(conn: PgConnection, now: float, lease: float, limit: int) -> list[HookDelivery]:
    """Take up to `limit` due deliveries for one attempt each (run in a transaction)."""
    claimed_rows = await conn.fetch(
        "UPDATE hook_deliveries SET attempts = attempts + 1, due = $1 WHERE id IN ("
        "SELECT id FROM hook_deliveries WHERE due <= $2 ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED"
        ") RETURNING id, attempts, item, event_id, hook_id",
        now + lease,
        now,
        limit,
    )
    if not claimed_rows:
        return []
    event_ids = sorted({int(row[3]) for row in claimed_rows})
    hook_ids = sorted({str(row[4]) for row in claimed_rows})
    events = {
        int(row[0]): row
        for row in await conn.fetch(
            "SELECT id, name, access, happened_ms, events, payload FROM hook_events WHERE id = ANY($1::bigint[])",
            event_ids,
        )
    }
    hooks = {
        str(row[0]): _hook(row)
        for row in await conn.fetch(f"SELECT {_SELECT} FROM hooks WHERE id = ANY($1::text[])", hook_ids)
    }
    decoded: dict[int, list[object]] = {}
    claimed: list[HookDelivery] = []
    for delivery_id, attempts, item, event_id, hook_id in sorted(
        (tuple(row[i] for i in range(5)) for row in claimed_rows), key=lambda r: int(r[0])
    ):
        event_row = events.get(int(event_id))
        hook = hooks.get(str(hook_id))
        if event_row is None or hook is None:
            continue
        if int(event_id) not in decoded:
            value = _decoder.decode(event_row[4])
            decoded[int(event_id)] = value if isinstance(value, list) else []
        entries = decoded[int(event_id)]
        entry = entries[int(item)] if 0 <= int(item) < len(entries) else {}
        event = entry.get("event") if isinstance(entry, dict) else None
        change = entry.get("change") if isinstance(entry, dict) else None
        claimed.append(
            HookDelivery(
                int(delivery_id),
                int(attempts),
                hook,
                str(event_row[1]),
                str(event_row[2]),
                str(event or "package:change"),
                change if isinstance(change, dict) else {},
                int(event_row[3]),
                bytes(event_row[5]),
            )
        )
    return claimed


async def finish_delivery(
    conn: PgConnection,
    delivery_id: int,
    hook_id: str,
    attempted: str | None,
    status: int,
    retry_at: float | None,
) -> None:
    if attempted is not None:
        await conn.execute(
            "UPDATE hooks SET last_delivery = $1, response_code = $2 WHERE id = $3",
            attempted,
            status,
            hook_id,
        )
    if retry_at is not None:
        await conn.execute("UPDATE hook_deliveries SET due = $1 WHERE id = $2", retry_at, delivery_id)
        return
    event_id = await conn.fetchval("SELECT event_id FROM hook_deliveries WHERE id = $1", delivery_id)
    if event_id is None:
        return
    # the event's row lock makes the workers finishing its last deliveries take turns, so the one
    # finishing last sees the others' deletes and removes the event
    await conn.execute("SELECT 1 FROM hook_events WHERE id = $1 FOR UPDATE", event_id)
    await conn.execute("DELETE FROM hook_deliveries WHERE id = $1", delivery_id)
    await conn.execute(
        "DELETE FROM hook_events WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM hook_deliveries WHERE event_id = $1)",
        event_id,
    )
