"""SQL for search, stars, advisories and the uplink cache (PostgreSQL backend).

Search finds candidates only (ranking is the search service's): every term must occur in the
entry's lowercase text, as SQLite's fallback without FTS5 does, so both backends find at least what
FTS5's prefix matching finds. Advisory ids are chosen as SQLite's `INTEGER PRIMARY KEY` chooses them
(one more than the largest), under the global write lock.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from snpm.json_types import JsonObject
from snpm.registry_server.storage.postgres_connection import PgConnection, PgRecord, affected
from snpm.registry_server.storage.records import AdvisoryRecord, CachedHead, CachedPackument, SearchEntry

__all__ = [
    "add_advisory",
    "advisories_for",
    "cached_heads",
    "cached_tarball",
    "forget_cached",
    "list_advisories",
    "read_cached",
    "record_tarball",
    "remove_advisory",
    "search",
    "starred_by",
    "store_cached",
    "touch_cached",
]

_decoder = msgspec.json.Decoder()
_encoder = msgspec.json.Encoder()
_ADVISORY_COLUMNS = (
    "id, name, vulnerable_versions, severity, title, url, cwe, cvss_score, cvss_vector, created, updated"
)


def _like(term: str) -> str:
    return "%" + term.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _object(blob: bytes) -> JsonObject:
    value = _decoder.decode(blob)
    if not isinstance(value, dict):
        raise ValueError("a stored document is not a JSON object")
    return value


async def search(conn: PgConnection, terms: Sequence[str], scope: str | None) -> list[SearchEntry]:
    where: list[str] = []
    args: list[object] = []
    for term in terms:
        args.append(_like(term))
        where.append(f"text LIKE ${len(args)}")
    if scope is not None:
        args.append(scope)
        where.append(f"scope = ${len(args)}")
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    rows = await conn.fetch(f"SELECT name, restricted, summary FROM search_entries{clause}", *args)
    return [SearchEntry(str(r[0]), bool(r[1]), _object(r[2])) for r in rows]


async def starred_by(conn: PgConnection, user: str) -> list[tuple[str, str]]:
    rows = await conn.fetch(
        "SELECT p.name, p.access FROM package_stars s JOIN packages p ON p.name = s.name "
        'WHERE s."user" = $1 ORDER BY p.name',
        user,
    )
    return [(str(r[0]), str(r[1])) for r in rows]


# ── advisories ──


def _advisory(row: PgRecord) -> AdvisoryRecord:
    cwe = row[6]
    cwe_list = _decoder.decode(cwe) if isinstance(cwe, str) and cwe else []
    score = row[7]
    return AdvisoryRecord(
        id=int(row[0]),
        name=str(row[1]),
        vulnerable_versions=str(row[2]),
        severity=str(row[3]),
        title=str(row[4]),
        url=str(row[5] or ""),
        cwe=tuple(str(c) for c in cwe_list) if isinstance(cwe_list, list) else (),
        cvss_score=float(score) if isinstance(score, int | float) else None,
        cvss_vector=str(row[8]) if row[8] else None,
        created=str(row[9]),
        updated=str(row[10]),
    )


async def add_advisory(conn: PgConnection, record: AdvisoryRecord) -> AdvisoryRecord:
    advisory_id = record.id
    if advisory_id is None:
        advisory_id = int(await conn.fetchval("SELECT coalesce(max(id), 0) + 1 FROM advisories"))
    row = await conn.fetchrow(
        f"INSERT INTO advisories ({_ADVISORY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) "
        "ON CONFLICT (id) DO UPDATE SET name = excluded.name, vulnerable_versions = excluded.vulnerable_versions, "
        "severity = excluded.severity, title = excluded.title, url = excluded.url, cwe = excluded.cwe, "
        "cvss_score = excluded.cvss_score, cvss_vector = excluded.cvss_vector, created = excluded.created, "
        f"updated = excluded.updated RETURNING {_ADVISORY_COLUMNS}",
        advisory_id,
        record.name,
        record.vulnerable_versions,
        record.severity,
        record.title,
        record.url,
        _encoder.encode(list(record.cwe)).decode(),
        record.cvss_score,
        record.cvss_vector,
        record.created,
        record.updated,
    )
    assert row is not None
    return _advisory(row)


async def advisories_for(conn: PgConnection, names: Sequence[str]) -> list[AdvisoryRecord]:
    rows = await conn.fetch(
        f"SELECT {_ADVISORY_COLUMNS} FROM advisories WHERE name = ANY($1::text[]) ORDER BY id",
        sorted(set(names)),
    )
    return [_advisory(r) for r in rows]


async def list_advisories(conn: PgConnection) -> list[AdvisoryRecord]:
    return [_advisory(r) for r in await conn.fetch(f"SELECT {_ADVISORY_COLUMNS} FROM advisories ORDER BY id")]


async def remove_advisory(conn: PgConnection, advisory_id: int) -> bool:
    return affected(await conn.execute("DELETE FROM advisories WHERE id = $1", advisory_id)) == 1


# ── the uplink cache ──


async def cached_heads(conn: PgConnection, name: str) -> list[CachedHead]:
    rows = await conn.fetch("SELECT form, rev, etag, fetched FROM uplink_packuments WHERE name = $1", name)
    return [CachedHead(name, str(r[0]), str(r[1]), r[2], float(r[3])) for r in rows]


async def read_cached(conn: PgConnection, name: str, form: str) -> CachedPackument | None:
    row = await conn.fetchrow(
        "SELECT rev, etag, fetched, document, origins FROM uplink_packuments WHERE name = $1 AND form = $2",
        name,
        form,
    )
    if row is None:
        return None
    origins = _object(row[4])
    return CachedPackument(
        CachedHead(name, form, str(row[0]), row[1], float(row[2])),
        _object(row[3]),
        {k: v for k, v in origins.items() if isinstance(v, str)},
    )


async def store_cached(conn: PgConnection, entry: CachedPackument) -> None:
    head = entry.head
    await conn.execute(
        "INSERT INTO uplink_packuments (name, form, rev, etag, fetched, document, origins) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (name, form) DO UPDATE SET rev = excluded.rev, "
        "etag = excluded.etag, fetched = excluded.fetched, document = excluded.document, "
        "origins = excluded.origins",
        head.name,
        head.form,
        head.rev,
        head.etag,
        float(head.fetched),
        _encoder.encode(entry.document),
        _encoder.encode(dict(entry.origins)),
    )


async def touch_cached(conn: PgConnection, name: str, form: str, fetched: float, etag: str | None) -> None:
    await conn.execute(
        "UPDATE uplink_packuments SET fetched = $1, etag = coalesce($2, etag) WHERE name = $3 AND form = $4",
        float(fetched),
        etag,
        name,
        form,
    )


async def forget_cached(conn: PgConnection, name: str) -> None:
    await conn.execute("DELETE FROM uplink_packuments WHERE name = $1", name)


async def cached_tarball(conn: PgConnection, name: str, filename: str) -> tuple[str, int, str, str] | None:
    row = await conn.fetchrow(
        "SELECT version, size, integrity, shasum FROM uplink_tarballs WHERE name = $1 AND filename = $2",
        name,
        filename,
    )
    return (str(row[0]), int(row[1]), str(row[2]), str(row[3])) if row else None


async def record_tarball(
    conn: PgConnection, name: str, filename: str, version: str, size: int, integrity: str, shasum: str
) -> None:
    await conn.execute(
        "INSERT INTO uplink_tarballs (name, filename, version, size, integrity, shasum) "
        "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
        name,
        filename,
        version,
        size,
        integrity,
        shasum,
    )
