"""Security advisories and the bulk audit endpoint (`npm audit`, and the audit after `npm install`).

npm 11 POSTs `{name: [versions]}` (gzipped) to `/-/npm/v1/security/advisories/bulk` and wants back,
for the names with a vulnerable version among those sent, `{name: [{id, url, title, severity,
vulnerable_versions, cwe, cvss}]}` (registry-api.md §4.2). npm then tests every installed version
against `vulnerable_versions` itself, with node-semver's `includePrerelease` and `loose` options,
which is also how an advisory is matched here. npm 11 has no quick-audit fallback any more, so the
legacy `/-/npm/v1/security/audits/quick` is not served.

Advisories live in the registry's storage (`snpm-registry advisory add|list|remove|import`), and may
also come from a JSON file named in the settings (`advisories-file`), re-read when it changes. The
file holds a list of advisories (`name` or `module_name` per entry), or the bulk answer's shape
`{name: [advisory]}`; entries without an `id` get a stable one derived from their content.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path

import msgspec

from snpm import semver
from snpm.json_types import JsonObject, JsonValue
from snpm.packument import format_time
from snpm.registry_server.services.errors import bad_request
from snpm.registry_server.storage.base import Storage
from snpm.registry_server.storage.records import AdvisoryRecord
from snpm.spec import validate_package_name

__all__ = ["SEVERITIES", "AdvisoryService", "advisories_from_json", "advisory_from_json"]

SEVERITIES = ("info", "low", "moderate", "high", "critical")
_MAX_NAMES = 50_000


def _check(name: str, vulnerable_versions: str, severity: str) -> None:
    if not validate_package_name(name).valid_for_old_packages:
        raise bad_request(f"Invalid package name: {name!r}")
    if severity not in SEVERITIES:
        raise bad_request(f"severity must be one of {', '.join(SEVERITIES)}, not {severity!r}")
    if semver.valid_range(vulnerable_versions, loose=True, include_prerelease=True) is None:
        raise bad_request(f"vulnerable_versions is not a valid semver range: {vulnerable_versions!r}")


def _stable_id(name: str, vulnerable: str, title: str) -> int:
    digest = hashlib.sha256(f"{name}\0{vulnerable}\0{title}".encode()).digest()
    return 1_000_000_000 + int.from_bytes(digest[:4], "big")


def advisory_from_json(value: JsonValue, name: str | None, stamp: str) -> AdvisoryRecord:
    """An advisory from its JSON form (the bulk answer's, plus `name`/`module_name`)."""
    if not isinstance(value, dict):
        raise bad_request("an advisory must be a JSON object")
    raw_name = value.get("name", value.get("module_name", name))
    vulnerable = value.get("vulnerable_versions", "*")
    severity = value.get("severity", "high")
    title = value.get("title", "")
    if not isinstance(raw_name, str) or not isinstance(vulnerable, str) or not isinstance(severity, str):
        raise bad_request("an advisory needs a package name, vulnerable_versions and severity as strings")
    _check(raw_name, vulnerable, severity)
    cwe = value.get("cwe", [])
    cvss = value.get("cvss")
    cvss = cvss if isinstance(cvss, dict) else {}
    score = cvss.get("score")
    vector = cvss.get("vectorString")
    raw_id = value.get("id")
    title_text = title if isinstance(title, str) else ""
    return AdvisoryRecord(
        id=raw_id
        if isinstance(raw_id, int) and not isinstance(raw_id, bool)
        else _stable_id(raw_name, vulnerable, title_text),
        name=raw_name,
        vulnerable_versions=vulnerable,
        severity=severity,
        title=title_text,
        url=str(value.get("url") or ""),
        cwe=tuple(c for c in cwe if isinstance(c, str)) if isinstance(cwe, list) else (),
        cvss_score=float(score) if isinstance(score, int | float) and not isinstance(score, bool) else None,
        cvss_vector=vector if isinstance(vector, str) else None,
        created=stamp,
        updated=stamp,
    )


def advisories_from_json(data: JsonValue, stamp: str) -> list[AdvisoryRecord]:
    """A list of advisories, or the bulk answer's `{name: [advisory]}`."""
    if isinstance(data, list):
        return [advisory_from_json(item, None, stamp) for item in data]
    if isinstance(data, dict):
        out: list[AdvisoryRecord] = []
        for name, items in data.items():
            for item in items if isinstance(items, list) else [items]:
                out.append(advisory_from_json(item, name, stamp))
        return out
    raise bad_request("advisories must be a list or {name: [advisory]}")


def _read_file(path: Path, stamp: str) -> list[AdvisoryRecord]:
    try:
        data: JsonValue = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise bad_request(f"cannot read the advisories file {path}: {err}") from err
    return advisories_from_json(data, stamp)


class _FileSnapshot(msgspec.Struct, frozen=True):
    mtime_ns: int
    by_name: Mapping[str, tuple[AdvisoryRecord, ...]]


class AdvisoryService:
    def __init__(self, storage: Storage, now: Callable[[], datetime], file: Path | None = None) -> None:
        self._storage = storage
        self._now = now
        self.file = file
        self._snapshot: _FileSnapshot | None = None

    def _stamp(self) -> str:
        return format_time(self._now())

    # ── administration ──

    async def add(
        self,
        name: str,
        vulnerable_versions: str,
        *,
        severity: str = "high",
        title: str = "",
        url: str = "",
        cwe: Sequence[str] = (),
        cvss_score: float | None = None,
        cvss_vector: str | None = None,
        advisory_id: int | None = None,
    ) -> AdvisoryRecord:
        _check(name, vulnerable_versions, severity)
        stamp = self._stamp()
        record = AdvisoryRecord(
            advisory_id,
            name,
            vulnerable_versions,
            severity,
            title or f"Vulnerability in {name} {vulnerable_versions}",
            url,
            tuple(cwe),
            cvss_score,
            cvss_vector,
            stamp,
            stamp,
        )
        return await self._storage.add_advisory(record)

    async def import_json(self, data: JsonValue) -> list[AdvisoryRecord]:
        items = advisories_from_json(data, self._stamp())
        return [await self._storage.add_advisory(item) for item in items]

    async def remove(self, advisory_id: int) -> bool:
        return await self._storage.remove_advisory(advisory_id)

    async def all(self) -> list[AdvisoryRecord]:
        stored = list(await self._storage.list_advisories())
        from_file = [a for group in (await self._file_advisories()).values() for a in group]
        return sorted([*stored, *from_file], key=lambda a: (a.name, a.id or 0))

    # ── matching ──

    async def _file_advisories(self) -> Mapping[str, tuple[AdvisoryRecord, ...]]:
        if self.file is None:
            return {}
        try:
            mtime = self.file.stat().st_mtime_ns
        except OSError:
            return {}
        snapshot = self._snapshot
        if snapshot is None or snapshot.mtime_ns != mtime:
            records = await asyncio.to_thread(_read_file, self.file, self._stamp())
            grouped: dict[str, list[AdvisoryRecord]] = {}
            for record in records:
                grouped.setdefault(record.name, []).append(record)
            snapshot = _FileSnapshot(mtime, {k: tuple(v) for k, v in grouped.items()})
            self._snapshot = snapshot
        return snapshot.by_name

    async def for_names(self, names: Sequence[str]) -> dict[str, list[AdvisoryRecord]]:
        grouped: dict[str, list[AdvisoryRecord]] = {}
        for record in await self._storage.advisories_for(names):
            grouped.setdefault(record.name, []).append(record)
        from_file = await self._file_advisories()
        for name in names:
            grouped.setdefault(name, []).extend(from_file.get(name, ()))
        return {k: v for k, v in grouped.items() if v}

    async def bulk(self, request: Mapping[str, JsonValue]) -> JsonObject:
        """The bulk endpoint's answer for `{name: [versions]}`."""
        if len(request) > _MAX_NAMES:
            raise bad_request(f"at most {_MAX_NAMES} packages per audit request")
        wanted: dict[str, list[str]] = {}
        for name, versions in request.items():
            if not isinstance(versions, list):
                raise bad_request("the body must be {name: [versions]}")
            wanted[name] = [v for v in versions if isinstance(v, str)]
        out: JsonObject = {}
        for name, advisories in (await self.for_names(list(wanted))).items():
            hits: list[JsonValue] = [
                advisory.to_json()
                for advisory in advisories
                if any(
                    semver.satisfies(v, advisory.vulnerable_versions, loose=True, include_prerelease=True)
                    for v in wanted[name]
                )
            ]
            if hits:
                out[name] = hits
        return out

    async def affecting(self, name: str, version: str) -> int:
        """How many advisories affect `name@version` (search's `insecure` flag)."""
        advisories = (await self.for_names([name])).get(name, [])
        return sum(
            semver.satisfies(version, a.vulnerable_versions, loose=True, include_prerelease=True)
            for a in advisories
        )
