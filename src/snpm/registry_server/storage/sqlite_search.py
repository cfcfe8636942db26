"""SQL for search, stars and advisories (SQLite backend).

Search finds candidates only; ranking is the search service's. With FTS5 each term becomes a
prefix phrase (`"regis"*`, `"registry basic"*` for `registry-basic`, since the tokenizer splits on
punctuation as it did when indexing) and all terms must match; without FTS5 each term must occur
as a substring of the entry's lowercase text (LIKE).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence

import msgspec

from snpm.registry_server.storage.records import AdvisoryRecord, SearchEntry

__all__ = [
    "add_advisory",
    "advisories_for",
    "list_advisories",
    "remove_advisory",
    "search",
    "starred_by",
]

_decoder = msgspec.json.Decoder()
_encoder = msgspec.json.Encoder()
_WORD = re.compile(r"\w", re.UNICODE)
_ADVISORY_COLUMNS = (
    "id, name, vulnerable_versions, severity, title, url, cwe, cvss_score, cvss_vector, created, updated"
)


def _entry(row: tuple[object, ...]) -> SearchEntry:
    name, restricted, summary = row
    value = _decoder.decode(summary) if isinstance(summary, bytes | str) else {}
    return SearchEntry(str(name), bool(restricted), value if isinstance(value, dict) else {})


def _match_expression(terms: Sequence[str]) -> str:
    phrases = ['"' + term.replace('"', '""') + '"*' for term in terms if _WORD.search(term)]
    return " AND ".join(phrases)


def _like(term: str) -> str:
    return "%" + term.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search(
    conn: sqlite3.Connection, terms: Sequence[str], scope: str | None, *, fulltext: bool
) -> list[SearchEntry]:
    where: list[str] = []
    args: list[object] = []
    source = "search_entries e"
    expression = _match_expression(terms) if fulltext else ""
    if expression:
        source = "search_fulltext f JOIN search_entries e ON e.id = f.rowid"
        where.append("search_fulltext MATCH ?")
        args.append(expression)
    elif terms:
        for term in terms:
            where.append("e.text LIKE ? ESCAPE '\\'")
            args.append(_like(term))
    if scope is not None:
        where.append("e.scope = ?")
        args.append(scope)
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    rows = conn.execute(f"SELECT e.name, e.restricted, e.summary FROM {source}{clause}", args)
    return [_entry(row) for row in rows]


def starred_by(conn: sqlite3.Connection, user: str) -> list[tuple[str, str]]:
    rows = conn.execute(
        "SELECT p.name, p.access FROM package_stars s JOIN packages p ON p.name = s.name "
        "WHERE s.user = ? ORDER BY p.name",
        (user,),
    )
    return [(str(n), str(a)) for n, a in rows]


# ── advisories ──


def _advisory(row: tuple[object, ...]) -> AdvisoryRecord:
    (advisory_id, name, vulnerable, severity, title, url, cwe, score, vector, created, updated) = row
    cwe_list = _decoder.decode(cwe) if isinstance(cwe, str) and cwe else []
    return AdvisoryRecord(
        id=int(advisory_id) if isinstance(advisory_id, int) else None,
        name=str(name),
        vulnerable_versions=str(vulnerable),
        severity=str(severity),
        title=str(title),
        url=str(url or ""),
        cwe=tuple(str(c) for c in cwe_list) if isinstance(cwe_list, list) else (),
        cvss_score=float(score) if isinstance(score, int | float) else None,
        cvss_vector=str(vector) if vector else None,
        created=str(created),
        updated=str(updated),
    )


def add_advisory(conn: sqlite3.Connection, record: AdvisoryRecord) -> AdvisoryRecord:
    cursor = conn.execute(
        f"INSERT OR REPLACE INTO advisories ({_ADVISORY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            record.id,
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
        ),
    )
    row = conn.execute(
        f"SELECT {_ADVISORY_COLUMNS} FROM advisories WHERE id = ?", (cursor.lastrowid,)
    ).fetchone()
    return _advisory(row)


def advisories_for(conn: sqlite3.Connection, names: Sequence[str]) -> list[AdvisoryRecord]:
    out: list[AdvisoryRecord] = []
    unique = sorted(set(names))
    for start in range(0, len(unique), 500):  # stay under SQLite's bound-parameter limit
        chunk = unique[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        rows = conn.execute(
            f"SELECT {_ADVISORY_COLUMNS} FROM advisories WHERE name IN ({marks}) ORDER BY id", chunk
        )
        out.extend(_advisory(row) for row in rows)
    return out


def list_advisories(conn: sqlite3.Connection) -> list[AdvisoryRecord]:
    return [_advisory(row) for row in conn.execute(f"SELECT {_ADVISORY_COLUMNS} FROM advisories ORDER BY id")]


def remove_advisory(conn: sqlite3.Connection, advisory_id: int) -> bool:
    return conn.execute("DELETE FROM advisories WHERE id = ?", (advisory_id,)).rowcount == 1
