"""What the website knows about all packages at once: recent packages, summaries, and dependents.

The storage has no reverse-dependency index, so the catalog keeps one: it reads the search
entries (one query; each is a summary of the package's `latest` version) at most every `max_age`
seconds, re-reads the documents of packages whose latest version or modification time changed,
and maps each package to those whose latest version depends on it (`dependencies`,
`optionalDependencies`, `peerDependencies`, aliases by their real name). The first page view after
start-up reads every document once; later refreshes read only what changed.

Visibility is applied on every answer, never cached: restricted packages appear only to visitors
who may read them (`PackageAccessService.readable_names`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Mapping, Sequence

import msgspec

from snpm.json_types import JsonValue
from snpm.packument import latest_version, object_field
from snpm.registry_server.services.package_access import PackageAccessService
from snpm.registry_server.services.permissions import Actor
from snpm.registry_server.storage.base import Storage
from snpm.registry_server.storage.records import SearchEntry

__all__ = ["DEPENDENCY_FIELDS", "Catalog", "dependency_names"]

# the dependency kinds that make a package a dependent (devDependencies are not installed by users)
DEPENDENCY_FIELDS: tuple[str, ...] = ("dependencies", "optionalDependencies", "peerDependencies")


def _alias_target(spec: JsonValue) -> str | None:
    """The real package behind an `npm:<name>@<range>` alias, else None."""
    if not isinstance(spec, str) or not spec.startswith("npm:"):
        return None
    rest = spec[4:]
    at = rest.find("@", 1)  # a scope's own `@` is at 0
    return (rest[:at] if at > 0 else rest) or None


def dependency_names(version_doc: Mapping[str, JsonValue]) -> frozenset[str]:
    """The packages a version depends on (by real name) in any of DEPENDENCY_FIELDS."""
    names: set[str] = set()
    for kind in DEPENDENCY_FIELDS:
        for name, spec in object_field(version_doc, kind).items():
            names.add(_alias_target(spec) or name)
    return frozenset(names)


def _stamp(entry: SearchEntry) -> tuple[str, str]:
    version = entry.summary.get("version")
    modified = entry.summary.get("modified")
    return (version if isinstance(version, str) else "", modified if isinstance(modified, str) else "")


def _modified(entry: SearchEntry) -> str:
    return _stamp(entry)[1]


class _Snapshot(msgspec.Struct):
    entries: dict[str, SearchEntry] = msgspec.field(default_factory=dict)
    stamps: dict[str, tuple[str, str]] = msgspec.field(default_factory=dict)
    depends_on: dict[str, frozenset[str]] = msgspec.field(default_factory=dict)
    dependents: dict[str, set[str]] = msgspec.field(default_factory=dict)
    checked: float | None = None


class Catalog:
    def __init__(
        self,
        storage: Storage,
        access: PackageAccessService,
        *,
        max_age: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._storage = storage
        self._access = access
        self._max_age = max_age
        self._clock = clock
        self._lock = asyncio.Lock()
        self._snapshot = _Snapshot()

    async def _fresh(self) -> _Snapshot:
        async with self._lock:
            snap = self._snapshot
            now = self._clock()
            if snap.checked is not None and now - snap.checked < self._max_age:
                return snap
            entries = {e.name: e for e in await self._storage.search((), None)}
            changed = False
            for name in [n for n in snap.stamps if n not in entries]:
                del snap.stamps[name]
                snap.depends_on.pop(name, None)
                changed = True
            for name, entry in entries.items():
                stamp = _stamp(entry)
                if snap.stamps.get(name) == stamp:
                    continue
                snap.depends_on[name] = await self._dependencies(name)
                snap.stamps[name] = stamp
                changed = True
            if changed:
                reverse: dict[str, set[str]] = {}
                for name, targets in snap.depends_on.items():
                    for target in targets:
                        reverse.setdefault(target, set()).add(name)
                snap.dependents = reverse
            snap.entries = entries
            snap.checked = now
            return snap

    async def _dependencies(self, name: str) -> frozenset[str]:
        package = await self._storage.read_package(name)
        if package is None:
            return frozenset()
        latest = latest_version(package.document)
        version_doc = object_field(object_field(package.document, "versions"), latest or "")
        return dependency_names(version_doc)

    async def _visible(self, actor: Actor | None, entries: Iterable[SearchEntry]) -> list[SearchEntry]:
        listed = list(entries)
        restricted = {e.name: True for e in listed if e.restricted}
        if not restricted:
            return listed
        readable = await self._access.readable_names(actor, restricted)
        return [e for e in listed if not e.restricted or e.name in readable]

    # ── answers ──

    async def recent(self, actor: Actor | None, limit: int = 12) -> list[SearchEntry]:
        """The most recently changed packages the actor may see, newest first."""
        snap = await self._fresh()
        ordered = sorted(snap.entries.values(), key=lambda e: (_modified(e), e.name), reverse=True)
        out: list[SearchEntry] = []
        for start in range(0, len(ordered), limit * 2):
            out += await self._visible(actor, ordered[start : start + limit * 2])
            if len(out) >= limit:
                break
        return out[:limit]

    async def count(self, actor: Actor | None) -> int:
        snap = await self._fresh()
        return len(await self._visible(actor, snap.entries.values()))

    async def entries(self, actor: Actor | None, names: Sequence[str]) -> dict[str, SearchEntry]:
        """The search entries (summary: description, version, …) of the named packages the actor
        may see."""
        snap = await self._fresh()
        found = [snap.entries[n] for n in names if n in snap.entries]
        return {e.name: e for e in await self._visible(actor, found)}

    async def dependents(self, actor: Actor | None, name: str) -> list[str]:
        """Packages whose latest version depends on `name`, as far as the actor may see them."""
        snap = await self._fresh()
        names = sorted(snap.dependents.get(name, ()))
        entries = [snap.entries[n] for n in names if n in snap.entries]
        return [e.name for e in await self._visible(actor, entries)]
