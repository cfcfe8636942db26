"""FetchSource: the real ManifestSource, and the one place that maps a spec kind to its fetcher.

    async with FetchSource(client, cache_dir=cache, options=fetch_options(config)) as source:
        resolved = await source.manifest(parse_spec("pb@^1", where), where=project)
        await source.extract(f"pb@{resolved.resolved}", dest, integrity=resolved.integrity)

- `manifest(spec)`: pacote.manifest. Results are memoised for the run (arborist's #manifests), and
  concurrent requests for one spec share one resolution; packuments are shared through the in-run
  packument cache, so N specs of one package name make one packument request.
- `tarball(spec)`: pacote.tarball (bytes + integrity/resolved/from), used by `cache add`.
- `extract(spec, dest)`: pacote.extract through snpm's store: a package whose integrity is known and
  stored is linked into `dest` without any download; otherwise its tarball is fetched (from the
  content cache by integrity when possible), parsed once into the store, then linked. Concurrent
  extractions of one integrity share that work. At most `max_in_flight` tarballs are being fetched
  and unpacked at once, which bounds memory on large installs.

The allow-git / allow-remote / allow-file / allow-directory / allow-registry policies are checked
here, like pacote's FetcherBase.get: `none` refuses the kind, `root` allows it only for the root
project's (and workspaces') own dependencies (`is_root`).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Protocol, Self

from snpm.cache.store import PackageFiles
from snpm.errors import SnpmError
from snpm.fetch.base import ManifestSource, ResolvedManifest
from snpm.fetch.context import FetchContext, LogFn, PrepareHook
from snpm.fetch.directory import DirectoryFetcher
from snpm.fetch.file import FileFetcher
from snpm.fetch.git import GitFetcher
from snpm.fetch.options import FetchOptions
from snpm.fetch.packuments import PackumentCache
from snpm.fetch.registry import RegistryFetcher
from snpm.fetch.remote import RemoteFetcher
from snpm.fetch.store import materialize, write_files
from snpm.fetch.tarballs import Tarball
from snpm.fetch.unpack import UnpackedTarball, unpack
from snpm.json_types import JsonObject
from snpm.registry_client import RegistryClient
from snpm.spec import (
    AliasSpec,
    DirectorySpec,
    FileSpec,
    GitSpec,
    PackageSpec,
    RegistrySpec,
    RemoteSpec,
    parse_spec,
)

__all__ = ["ExtractResult", "FetchSource", "Fetcher"]


class Fetcher(Protocol):
    """What every fetcher offers (pacote's Fetcher): the manifest and the tarball of one spec."""

    @property
    def from_spec(self) -> str: ...
    @property
    def resolved(self) -> str | None: ...
    @property
    def integrity(self) -> str | None: ...
    @property
    def may_prepare(self) -> bool: ...
    async def manifest(self) -> ResolvedManifest: ...
    async def tarball(self) -> Tarball: ...


@dataclass(frozen=True, slots=True)
class ExtractResult:
    """What pacote.extract resolves to, plus whether the store already had the package."""

    integrity: str | None
    resolved: str | None
    from_spec: str
    from_store: bool


def _allow_kind(spec: PackageSpec) -> str:
    if isinstance(spec, GitSpec):
        return "git"
    if isinstance(spec, RemoteSpec):
        return "remote"
    if isinstance(spec, FileSpec):
        return "file"
    if isinstance(spec, DirectorySpec):
        return "directory"
    return "registry"


class FetchSource:
    """Fetches for one run. Use as an async context manager (closes the thread pool and temp dirs)."""

    def __init__(
        self,
        client: RegistryClient,
        *,
        cache_dir: Path | None,
        options: FetchOptions,
        log: LogFn | None = None,
        prepare: PrepareHook | None = None,
        max_in_flight: int | None = None,
    ) -> None:
        self.client = client
        self.options = options
        self.ctx = FetchContext(client, cache_dir, options, PackumentCache(client), log=log, prepare=prepare)
        self._manifests: dict[tuple[object, ...], asyncio.Future[ResolvedManifest]] = {}
        self._storing: dict[str, asyncio.Future[tuple[Tarball, PackageFiles | None]]] = {}
        self._slots = asyncio.Semaphore(max_in_flight or max(4, client.settings.maxsockets))

    @property
    def cache_dir(self) -> Path | None:
        return self.ctx.cache_dir

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self.ctx.close()

    # ── the switch ──

    def fetcher(
        self,
        spec: PackageSpec | str,
        *,
        where: Path | None = None,
        integrity: str | None = None,
        resolved: str | None = None,
        avoid: str | None = None,
        apply_before: bool = True,
        full_metadata: bool | None = None,
        is_root: bool = False,
    ) -> Fetcher:
        """The fetcher for a spec (pacote's Fetcher.get): the only switch on spec kinds."""
        parsed = (
            parse_spec(spec, str(where) if where is not None else None) if isinstance(spec, str) else spec
        )
        self._check_allowed(parsed, is_root)
        ctx = self.ctx
        if isinstance(parsed, AliasSpec | RegistrySpec):
            registry_spec = parsed.sub_spec if isinstance(parsed, AliasSpec) else parsed
            return RegistryFetcher(
                ctx,
                registry_spec,
                integrity=integrity,
                resolved=resolved,
                avoid=avoid,
                before_ms=self.options.before_ms if apply_before else None,
                full_metadata=full_metadata,
            )
        if isinstance(parsed, RemoteSpec):
            return RemoteFetcher(
                ctx, parsed.fetch_spec, name=parsed.name, from_spec=parsed.save_spec, integrity=integrity
            )
        if isinstance(parsed, FileSpec):
            return FileFetcher(ctx, parsed, integrity=integrity)
        if isinstance(parsed, DirectorySpec):
            return DirectoryFetcher(ctx, parsed, integrity=integrity)
        return GitFetcher(ctx, parsed, resolved=resolved, integrity=integrity)

    def _check_allowed(self, spec: PackageSpec, is_root: bool) -> None:
        kind = _allow_kind(spec)
        policy = self.options.allow.get(kind, "all")
        if policy == "all" or (policy == "root" and is_root):
            return
        scope = " non-root" if policy == "root" else ""
        raise SnpmError(
            f'Fetching{scope} packages of type "{kind}" have been disabled',
            code=f"EALLOW{kind.upper()}",
            pkgid=str(spec),
            extra={"package": str(spec)},
        )

    # ── ManifestSource ──

    async def packument(self, name: str, *, full: bool = False) -> JsonObject:
        return await self.ctx.packuments.get(name, full=full or self.options.before_ms is not None)

    async def manifest(
        self,
        spec: PackageSpec | str,
        *,
        where: Path | None = None,
        integrity: str | None = None,
        resolved: str | None = None,
        avoid: str | None = None,
        apply_before: bool = True,
        full_metadata: bool | None = None,
        is_root: bool = False,
    ) -> ResolvedManifest:
        """What `spec` resolves to (pacote.manifest), memoised for the run.

        `avoid` is a range to steer away from (audit fix); `apply_before=False` exempts this spec from
        `before` (min-release-age-exclude); `is_root` marks the root project's own dependencies for
        the allow-* policies."""
        parsed = (
            parse_spec(spec, str(where) if where is not None else None) if isinstance(spec, str) else spec
        )
        key = (
            parsed.raw,
            getattr(parsed, "where", None),
            integrity,
            resolved,
            avoid,
            apply_before,
            full_metadata,
        )
        pending = self._manifests.get(key)
        if pending is None:
            fetcher = self.fetcher(
                parsed,
                integrity=integrity,
                resolved=resolved,
                avoid=avoid,
                apply_before=apply_before,
                full_metadata=full_metadata,
                is_root=is_root,
            )
            pending = asyncio.ensure_future(fetcher.manifest())
            self._manifests[key] = pending

            def forget_failure(done: asyncio.Future[ResolvedManifest]) -> None:
                if (done.cancelled() or done.exception() is not None) and self._manifests.get(key) is done:
                    del self._manifests[key]

            pending.add_done_callback(forget_failure)
        return await asyncio.shield(pending)

    # ── tarballs and folders ──

    async def tarball(
        self,
        spec: PackageSpec | str,
        *,
        where: Path | None = None,
        integrity: str | None = None,
        resolved: str | None = None,
        is_root: bool = False,
    ) -> Tarball:
        """pacote.tarball: the package's tarball bytes with its integrity, resolved and from."""
        fetcher = self.fetcher(spec, where=where, integrity=integrity, resolved=resolved, is_root=is_root)
        async with self._slot(fetcher):
            return await fetcher.tarball()

    async def extract(
        self,
        spec: PackageSpec | str,
        dest: Path,
        *,
        where: Path | None = None,
        integrity: str | None = None,
        resolved: str | None = None,
        is_root: bool = False,
    ) -> ExtractResult:
        """pacote.extract: make the package appear at `dest` (emptied first), from the store when
        its integrity is known and stored, else by fetching it once into the store."""
        fetcher = self.fetcher(spec, where=where, integrity=integrity, resolved=resolved, is_root=is_root)
        known = fetcher.integrity
        cache_dir = self.ctx.cache_dir
        if cache_dir is None:
            async with self._slot(fetcher):
                tarball = await fetcher.tarball()
                unpacked = await self.ctx.cpu(self._unpack, tarball, None)
                await self.ctx.cpu(write_files, unpacked.files, dest)
            return ExtractResult(tarball.integrity, tarball.resolved, tarball.from_spec, False)
        if known:
            linked: bool = await self.ctx.cpu(materialize, cache_dir, known, dest)
            if linked:
                return ExtractResult(known, fetcher.resolved, fetcher.from_spec, True)
        tarball, files = await self._store(fetcher, known)
        linked = await self.ctx.cpu(materialize, cache_dir, known or tarball.integrity, dest, files)
        if not linked:
            raise SnpmError(f"could not link {fetcher.from_spec} from the store", code="ENOENT")
        return ExtractResult(
            tarball.integrity, fetcher.resolved or tarball.resolved, fetcher.from_spec, False
        )

    def _slot(self, fetcher: Fetcher) -> contextlib.AbstractAsyncContextManager[object]:
        """A download-and-unpack slot. Not for fetchers that run the prepare hook: preparing installs
        dependencies through this same source, and holding slots while waiting for them deadlocks."""
        return contextlib.nullcontext() if fetcher.may_prepare else self._slots

    def _unpack(self, tarball: Tarball, key: str | None) -> UnpackedTarball:
        return unpack(
            tarball.data,
            umask=self.options.umask,
            process_umask=self.options.process_umask,
            cache_dir=self.ctx.cache_dir if key else None,
            integrity=key,
        )

    async def _store(self, fetcher: Fetcher, known: str | None) -> tuple[Tarball, PackageFiles | None]:
        """Fetch and store one package; concurrent calls for one known integrity share the work."""
        if known is None:
            return await self._fetch_and_store(fetcher, None)
        pending = self._storing.get(known)
        if pending is None:
            pending = asyncio.ensure_future(self._fetch_and_store(fetcher, known))
            self._storing[known] = pending

            def forget(done: asyncio.Future[tuple[Tarball, PackageFiles | None]]) -> None:
                # done either way: the store now answers, and the bytes must not stay in memory
                if self._storing.get(known) is done:
                    del self._storing[known]

            pending.add_done_callback(forget)
        return await asyncio.shield(pending)

    async def _fetch_and_store(
        self, fetcher: Fetcher, known: str | None
    ) -> tuple[Tarball, PackageFiles | None]:
        async with self._slot(fetcher):
            tarball = await fetcher.tarball()
            key = known or tarball.integrity
            already = getattr(fetcher, "unpacked", None)
            stored = already.stored if isinstance(already, UnpackedTarball) else None
            if stored is not None and stored.integrity == key:
                return tarball, stored
            unpacked = await self.ctx.cpu(self._unpack, tarball, key)
            return tarball, unpacked.stored


def _is_a_manifest_source(source: FetchSource) -> ManifestSource:
    """Never called: makes mypy check that FetchSource satisfies the tree builder's protocol."""
    return source
