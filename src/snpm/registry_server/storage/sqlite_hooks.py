"""SQL for registry hooks (SQLite backend): the hooks, and the outbox their deliveries wait in.

Plain functions over a connection, like `sqlite_orgs`. A package change that some hook watches
adds, in the package's own transaction, one `hook_events` row (the events, the document after the
change) and one `hook_deliveries` row per (hook, event): nothing is lost when the process stops,
and nothing is sent for a change that rolled back. Workers claim due deliveries inside a write
transaction (SQLite's single writer makes a claim exclusive) by pushing `due` one lease ahead, so
a claimed delivery is sent once; if its worker dies, the lease runs out and another worker sends it.
An event row goes when its last delivery does.
"""

from __future__ import annotations

import sqlite3
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

__all__ = [
    "MIGRATION",
    "add_hook",
    "claim_deliveries",
    "finish_delivery",
    "get_hook",
    "has_due",
    "list_hooks",
    "record_events",
    "remove_hook",
    "update_hook",
]

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder()

# migration 4
MIGRATION = """
    CREATE TABLE hooks (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        owner TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
        type TEXT NOT NULL,
        name TEXT NOT NULL,
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
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        access TEXT NOT NULL,
        happened_ms INTEGER NOT NULL,
        events BLOB NOT NULL,
        payload BLOB NOT NULL
    );
    CREATE TABLE hook_deliveries (
        id INTEGER PRIMARY KEY,
        event_id INTEGER NOT NULL REFERENCES hook_events (id) ON DELETE CASCADE,
        item INTEGER NOT NULL,
        hook_id TEXT NOT NULL REFERENCES hooks (id) ON DELETE CASCADE,
        attempts INTEGER NOT NULL DEFAULT 0,
        due REAL NOT NULL
    );
    CREATE INDEX hook_deliveries_by_due ON hook_deliveries (due);
    CREATE INDEX hook_deliveries_by_event ON hook_deliveries (event_id);
    CREATE INDEX hook_deliveries_by_hook ON hook_deliveries (hook_id)
"""

_COLUMNS = "id, owner, type, name, endpoint, secret, created, updated, last_delivery, response_code"
_HOOK_COLUMNS = ", ".join(f"h.{column.strip()}" for column in _COLUMNS.split(","))


def _hook(row: Sequence[object]) -> HookRecord:
    hook_id, owner, kind, name, endpoint, secret, created, updated, last, code = row
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


def add_hook(conn: sqlite3.Connection, record: HookRecord, limit: int) -> str:
    """ "added"; "limit" when the owner has `limit` hooks already; "taken" when the id is in use."""
    (count,) = conn.execute("SELECT count(*) FROM hooks WHERE owner = ?", (record.owner,)).fetchone()
    if count >= limit:
        return "limit"
    if conn.execute("SELECT 1 FROM hooks WHERE id = ?", (record.id,)).fetchone():
        return "taken"
    conn.execute(
        f"INSERT INTO hooks ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
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
        ),
    )
    return "added"


def get_hook(conn: sqlite3.Connection, hook_id: str) -> HookRecord | None:
    row = conn.execute(f"SELECT {_COLUMNS} FROM hooks WHERE id = ?", (hook_id,)).fetchone()
    return _hook(row) if row else None


def list_hooks(
    conn: sqlite3.Connection, owner: str, package: str | None, offset: int, limit: int | None
) -> HookPage:
    where = "owner = ?"
    args: list[object] = [owner]
    if package is not None:
        # the watched name as written: `pkg`, `@scope`, and `~user` for an owner hook
        where += " AND (name = ? OR (type = 'owner' AND ? = '~' || name))"
        args += [package, package]
    (total,) = conn.execute(f"SELECT count(*) FROM hooks WHERE {where}", args).fetchone()
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM hooks WHERE {where} ORDER BY seq LIMIT ? OFFSET ?",
        [*args, -1 if limit is None else limit, offset],
    ).fetchall()
    return HookPage(tuple(_hook(row) for row in rows), int(total))


def update_hook(
    conn: sqlite3.Connection, hook_id: str, owner: str, endpoint: str, secret: str, updated: str
) -> HookRecord | None:
    conn.execute(
        "UPDATE hooks SET endpoint = ?, secret = ?, updated = ? WHERE id = ? AND owner = ?",
        (endpoint, secret, updated, hook_id, owner),
    )
    found = get_hook(conn, hook_id)
    return found if found is not None and found.owner == owner else None


def remove_hook(conn: sqlite3.Connection, hook_id: str, owner: str) -> HookRecord | None:
    found = get_hook(conn, hook_id)
    if found is None or found.owner != owner:
        return None
    conn.execute("DELETE FROM hooks WHERE id = ?", (hook_id,))  # its deliveries go with it
    conn.execute(
        "DELETE FROM hook_events WHERE NOT EXISTS "
        "(SELECT 1 FROM hook_deliveries d WHERE d.event_id = hook_events.id)"
    )
    return found


def _iso(now: float) -> str:
    return format_time(datetime.fromtimestamp(now, UTC))


def record_events(
    conn: sqlite3.Connection, name: str, before: StoredPackage | None, after: StoredPackage | None, now: float
) -> int:
    """Queue the events of a package change for every hook watching it (inside the package's
    transaction); returns how many deliveries were queued."""
    if before is None and after is None:
        return 0
    if before is not None and after is not None and after.document is before.document:
        return 0  # only policies or tarball rows changed
    old = before.document if before is not None else None
    new = after.document if after is not None else None
    targets = hook_targets(name, old, new)
    marks = ", ".join("?" for _ in targets.owners) or "NULL"
    hooks = [
        str(row[0])
        for row in conn.execute(
            "SELECT id FROM hooks WHERE (type = 'package' AND name = ?) OR (type = 'scope' AND name = ?) "
            f"OR (type = 'owner' AND name IN ({marks})) ORDER BY seq",
            (targets.package, targets.scope, *targets.owners),
        )
    ]
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
        payload = tombstone(name, old, _iso(now))
    package = after if after is not None else before
    assert package is not None
    cursor = conn.execute(
        "INSERT INTO hook_events (name, access, happened_ms, events, payload) VALUES (?, ?, ?, ?, ?)",
        (
            name,
            package.access,
            int(now * 1000),
            _encoder.encode([event.to_json() for event in events]),
            _encoder.encode(payload),
        ),
    )
    event_id = cursor.lastrowid
    conn.executemany(
        "INSERT INTO hook_deliveries (event_id, item, hook_id, due) VALUES (?, ?, ?, ?)",
        [(event_id, item, hook_id, now) for hook_id in hooks for item in range(len(events))],
    )
    return len(hooks) * len(events)


def has_due(conn: sqlite3.Connection, now: float) -> bool:
    return conn.execute("SELECT 1 FROM hook_deliveries WHERE due <= ? LIMIT 1", (now,)).fetchone() is not None


def claim_deliveries(conn: sqlite3.Connection, now: float, lease: float, limit: int) -> list[HookDelivery]:
    """Take up to `limit` due deliveries (oldest first) for one attempt each: they are due again
    only when the lease runs out (their worker died) or `finish_delivery` says when."""
    rows = conn.execute(
        f"SELECT d.id, d.attempts, d.item, e.id, e.name, e.access, e.happened_ms, e.events, e.payload, "
        f"{_HOOK_COLUMNS} FROM hook_deliveries d JOIN hook_events e ON e.id = d.event_id "
        "JOIN hooks h ON h.id = d.hook_id WHERE d.due <= ? ORDER BY d.id LIMIT ?",
        (now, limit),
    ).fetchall()
    conn.executemany(
        "UPDATE hook_deliveries SET attempts = attempts + 1, due = ? WHERE id = ?",
        [(now + lease, row[0]) for row in rows],
    )
    decoded: dict[int, list[object]] = {}
    claimed: list[HookDelivery] = []
    for row in rows:
        delivery_id, attempts, item, event_id, name, access, happened, events, payload = row[:9]
        if event_id not in decoded:
            value = _decoder.decode(events)
            decoded[event_id] = value if isinstance(value, list) else []
        entries = decoded[event_id]
        entry = entries[item] if 0 <= item < len(entries) else {}
        event = entry.get("event") if isinstance(entry, dict) else None
        change = entry.get("change") if isinstance(entry, dict) else None
        claimed.append(
            HookDelivery(
                int(delivery_id),
                int(attempts) + 1,
                _hook(row[9:]),
                str(name),
                str(access),
                str(event or "package:change"),
                change if isinstance(change, dict) else {},
                int(happened),
                bytes(payload),
            )
        )
    return claimed


def finish_delivery(
    conn: sqlite3.Connection,
    delivery_id: int,
    hook_id: str,
    attempted: str | None,
    status: int,
    retry_at: float | None,
) -> None:
    """After an attempt: note it on the hook (unless `attempted` is None: nothing was sent), then
    either schedule the next attempt or drop the delivery (and its event, once unused)."""
    if attempted is not None:
        conn.execute(
            "UPDATE hooks SET last_delivery = ?, response_code = ? WHERE id = ?", (attempted, status, hook_id)
        )
    if retry_at is not None:
        conn.execute("UPDATE hook_deliveries SET due = ? WHERE id = ?", (retry_at, delivery_id))
        return
    row = conn.execute("SELECT event_id FROM hook_deliveries WHERE id = ?", (delivery_id,)).fetchone()
    if row is None:
        return
    conn.execute("DELETE FROM hook_deliveries WHERE id = ?", (delivery_id,))
    conn.execute(
        "DELETE FROM hook_events WHERE id = ? AND NOT EXISTS "
        "(SELECT 1 FROM hook_deliveries WHERE event_id = ?)",
        (row[0], row[0]),
    )
