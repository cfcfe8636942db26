"""Manifests for the ideal-tree builder: arborist's `#fetchManifest` memo, made concurrent.

Every spec is asked of the ManifestSource once per build (memoised by npa's `raw`, as arborist
does) and turned into the package object nodes share: pacote's `_resolved`/`_integrity`/`_from`
added, normalised like `@npmcli/package-json` syncNormalize. Requests run behind a semaphore;
`prefetch` starts one without waiting (arborist prefetches the problem edges of every placed node),
and `speculate` prefetches the registry dependencies of a manifest just fetched, which will almost
always be asked for next. Results do not depend on timing: a spec always gives the same manifest,
so only the number of requests in flight changes, never the tree.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
from pathlib import Path

from snpm.errors import SnpmError
from snpm.fetch.base import ManifestSource, ResolvedManifest
from snpm.json_types import JsonObject
from snpm.manifest import REGISTRY_STEPS, normalize
from snpm.spec import AliasSpec, PackageSpec, RegistrySpec, resolve

__all__ = ["ManifestFetcher", "package_from_manifest"]


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


class ManifestFetcher:
    def __init__(self, source: ManifestSource, *, concurrency: int = 64, speculate: bool = True) -> None:
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
        self._semaphore = asyncio.Semaphore(concurrency)
        self._tasks: dict[str, asyncio.Task[JsonObject]] = {}
        self.requests = 0

    async def fetch(self, spec: PackageSpec, where: str) -> JsonObject:
        """The package for `spec` (raises the source's SnpmError, e.g. E404/ETARGET)."""
        return await self._task(spec, where)

    def prefetch(self, spec: PackageSpec, where: str) -> None:
        task = self._task(spec, where)
        # failures surface when the spec is really asked for (or never: an optional dep)
        task.add_done_callback(_consume)

    def _task(self, spec: PackageSpec, where: str) -> asyncio.Task[JsonObject]:
        key = spec.raw
        task = self._tasks.get(key)
        if task is None:
            task = asyncio.ensure_future(self._load(spec, where))
            self._tasks[key] = task
        return task

    async def _load(self, spec: PackageSpec, where: str) -> JsonObject:
        async with self._semaphore:
            self.requests += 1
            found = await self.source.manifest(spec, where=Path(where), **self._allowed_kwargs)
        pkg = package_from_manifest(found)
        if self.speculative:
            self.speculate(pkg, where)
        return pkg

    def speculate(self, pkg: JsonObject, where: str) -> None:
        """Prefetch the registry dependencies (prod, optional, required peers) of `pkg`."""
        meta = pkg.get("peerDependenciesMeta")
        optional_peers = {
            name
            for name, value in (meta.items() if isinstance(meta, dict) else ())
            if isinstance(value, dict) and value.get("optional")
        }
        for group in ("dependencies", "optionalDependencies", "peerDependencies"):
            deps = pkg.get(group)
            if not isinstance(deps, dict):
                continue
            for name, spec_text in deps.items():
                if not isinstance(spec_text, str) or (group == "peerDependencies" and name in optional_peers):
                    continue
                try:
                    spec = resolve(name, spec_text, where)
                except SnpmError:
                    continue
                if isinstance(spec, RegistrySpec | AliasSpec) and spec.raw not in self._tasks:
                    self.prefetch(spec, where)

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
