"""Manifests for the ideal-tree builder: arborist's `#fetchManifest` memo, made concurrent.

Every spec is asked of the ManifestSource once per build (memoised by npa's `raw`, as arborist
does) and turned into the package object nodes share: pacote's `_resolved`/`_integrity`/`_from`
added, normalised like `@npmcli/package-json` syncNormalize. `prefetch` starts one without waiting
(arborist prefetches the problem edges of every placed node), and `speculate` prefetches the
registry dependencies of a manifest just fetched, which will almost always be asked for next.
Results do not depend on timing: a spec always gives the same manifest, so only the order and the
number of requests in flight change, never the tree.

Requests pass a gate (`_Gate`) that serves first the ones the builder is waiting for (`fetch`),
and lets only a few prefetches run at once. Why: the prefetches crawl the whole dependency graph
from the first manifests on, hundreds of requests ahead of the builder; queued first-come
first-served behind them (here and for the registry's 15 connections), the manifests the builder
awaits came last. On the large reference project the root's first step, whose peer sets it awaits
one by one, took 3.6 s of a 6 s resolution, and nothing could be placed (and so no tarball fetched
and unpacked) before it ended.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import inspect
from pathlib import Path

from snpm.errors import SnpmError
from snpm.fetch.base import ManifestSource, ResolvedManifest
from snpm.json_types import JsonObject
from snpm.manifest import REGISTRY_STEPS, normalize
from snpm.spec import AliasSpec, PackageSpec, RegistrySpec, resolve

__all__ = ["ManifestFetcher", "package_from_manifest"]

_SPECULATED = ("dependencies", "optionalDependencies", "peerDependencies")


def package_from_manifest(found: ResolvedManifest) -> JsonObject:
    """The package object a Node gets from a pacote-style manifest."""
    pkg: JsonObject = dict(found.manifest)
    if found.resolved:
        pkg["_resolved"] = found.resolved
    if found.integrity:
        pkg["_integrity"] = found.integrity
    if found.from_spec:
        pkg["_from"] = found.from_spec
    return normalize(pkg, steps=REGISTRY_STEPS)


class _Ticket:
    """One request's place at the gate."""

    __slots__ = ("admitted", "background", "urgent", "waiter")

    def __init__(self, *, urgent: bool) -> None:
        self.urgent = urgent
        self.admitted = False
        self.background = False  # admitted as a prefetch (counts against the prefetch limit)
        self.waiter: asyncio.Future[None] | None = None


class _Gate:
    """At most `limit` requests at once, of which at most `background_limit` prefetches; urgent
    requests (someone awaits them) go first, and a waiting prefetch becomes urgent when awaited."""

    def __init__(self, limit: int, background_limit: int) -> None:
        self._limit = max(1, limit)
        self._background_limit = max(1, min(background_limit, self._limit))
        self._running = 0
        self._background = 0
        self._urgent: collections.deque[_Ticket] = collections.deque()
        self._waiting: collections.deque[_Ticket] = collections.deque()

    async def enter(self, ticket: _Ticket) -> None:
        if not self._urgent and (ticket.urgent or not self._waiting) and self._admissible(ticket):
            self._admit(ticket)
            return
        ticket.waiter = asyncio.get_running_loop().create_future()
        (self._urgent if ticket.urgent else self._waiting).append(ticket)
        try:
            await ticket.waiter
        except BaseException:
            if ticket.admitted:
                self.leave(ticket)
            else:
                self._remove(ticket)
            raise

    def leave(self, ticket: _Ticket) -> None:
        self._running -= 1
        if ticket.background:
            self._background -= 1
        self._wake()

    def promote(self, ticket: _Ticket) -> None:
        """`ticket` is awaited now: if it still waits as a prefetch, it goes before them all."""
        if ticket.urgent:
            return
        ticket.urgent = True
        if not ticket.admitted and ticket.waiter is not None:
            self._waiting.remove(ticket)
            self._urgent.append(ticket)
            self._wake()

    def _admissible(self, ticket: _Ticket) -> bool:
        if self._running >= self._limit:
            return False
        return ticket.urgent or self._background < self._background_limit

    def _admit(self, ticket: _Ticket) -> None:
        ticket.admitted = True
        ticket.background = not ticket.urgent
        self._running += 1
        if ticket.background:
            self._background += 1
        if ticket.waiter is not None and not ticket.waiter.done():
            ticket.waiter.set_result(None)

    def _wake(self) -> None:
        while self._urgent and self._admissible(self._urgent[0]):
            self._admit(self._urgent.popleft())
        while self._waiting and self._admissible(self._waiting[0]):
            self._admit(self._waiting.popleft())

    def _remove(self, ticket: _Ticket) -> None:
        for lane in (self._urgent, self._waiting):
            with contextlib.suppress(ValueError):
                lane.remove(ticket)


class ManifestFetcher:
    def __init__(
        self,
        source: ManifestSource,
        *,
        concurrency: int = 64,
        prefetch_concurrency: int = 16,
        speculate: bool = True,
        peers: bool = True,
    ) -> None:
        """`peers=False` (legacy-peer-deps, where the builder ignores peer dependencies): the crawl
        does not prefetch them either."""
        self.source = source
        # the builder applies the allow-* policies itself (arborist #checkAllow) before asking; a
        # source that would check them again (FetchSource's `is_root`) is told the request is allowed
        try:
            self._allowed_kwargs = (
                {"is_root": True} if "is_root" in inspect.signature(source.manifest).parameters else {}
            )
        except (TypeError, ValueError):
            self._allowed_kwargs = {}
        self.speculative = speculate
        self._speculated = _SPECULATED if peers else _SPECULATED[:2]
        self._gate = _Gate(concurrency, prefetch_concurrency)
        self._tasks: dict[str, asyncio.Task[JsonObject]] = {}
        self._tickets: dict[str, _Ticket] = {}
        self._shallow: set[str] = set()  # prefetched as optional peers: only their peers speculated
        self.requests = 0

    async def fetch(self, spec: PackageSpec, where: str) -> JsonObject:
        """The package for `spec` (raises the source's SnpmError, e.g. E404/ETARGET)."""
        task = self._task(spec, where, urgent=True)
        ticket = self._tickets.get(spec.raw)
        if ticket is not None:
            self._gate.promote(ticket)
        return await task

    def prefetch(self, spec: PackageSpec, where: str, *, peers_only: bool = False) -> None:
        """Start fetching `spec`; `peers_only`: speculate only on its peers when it arrives."""
        task = self._task(spec, where, urgent=False, peers_only=peers_only)
        # failures surface when the spec is really asked for (or never: an optional dep)
        task.add_done_callback(_consume)

    def _task(
        self, spec: PackageSpec, where: str, *, urgent: bool, peers_only: bool = False
    ) -> asyncio.Task[JsonObject]:
        key = spec.raw
        task = self._tasks.get(key)
        if task is None:
            ticket = self._tickets[key] = _Ticket(urgent=urgent)
            task = asyncio.ensure_future(self._load(spec, where, ticket))
            self._tasks[key] = task
            if peers_only:
                self._shallow.add(key)
        return task

    async def _load(self, spec: PackageSpec, where: str, ticket: _Ticket) -> JsonObject:
        await self._gate.enter(ticket)
        try:
            self.requests += 1
            found = await self.source.manifest(spec, where=Path(where), **self._allowed_kwargs)
        finally:
            self._gate.leave(ticket)
            self._tickets.pop(spec.raw, None)
        pkg = package_from_manifest(found)
        if self.speculative:
            self.speculate(pkg, where, peers_only=spec.raw in self._shallow)
        return pkg

    def speculate(self, pkg: JsonObject, where: str, *, peers_only: bool = False) -> None:
        """Prefetch the registry dependencies of `pkg`: prod, optional and peer ones.

        Optional peers too: arborist's #loadPeerSet makes a node of every peer edge that has none
        (optional or not), so their manifests are asked for whenever the package is placed. Of
        an optional peer itself only the peers are prefetched (the same recursion): the rest is
        needed only if something else makes it a real dependency."""
        meta = pkg.get("peerDependenciesMeta")
        optional_peers = {
            name
            for name, value in (meta.items() if isinstance(meta, dict) else ())
            if isinstance(value, dict) and value.get("optional")
        }
        groups = ("peerDependencies",) if peers_only else self._speculated
        for group in groups:
            deps = pkg.get(group)
            if not isinstance(deps, dict):
                continue
            for name, spec_text in deps.items():
                if not isinstance(spec_text, str):
                    continue
                try:
                    spec = resolve(name, spec_text, where)
                except SnpmError:
                    continue
                if not isinstance(spec, RegistrySpec | AliasSpec):
                    continue
                shallow = group == "peerDependencies" and (peers_only or name in optional_peers)
                if spec.raw not in self._tasks:
                    self.prefetch(spec, where, peers_only=shallow)
                elif not shallow and spec.raw in self._shallow:
                    self._deepen(spec.raw, where)

    def _deepen(self, key: str, where: str) -> None:
        """A spec prefetched for its peers only turned out to be a dependency: speculate on the rest
        (now, or when it arrives: `_load` reads `_shallow` then)."""
        self._shallow.discard(key)
        task = self._tasks[key]
        if task.done() and not task.cancelled() and task.exception() is None:
            self.speculate(task.result(), where)

    async def close(self) -> None:
        """Cancel prefetches nobody waited for."""
        pending = [task for task in self._tasks.values() if not task.done()]
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(BaseException):
                await task


def _consume(task: asyncio.Task[JsonObject]) -> None:
    if not task.cancelled():
        task.exception()
