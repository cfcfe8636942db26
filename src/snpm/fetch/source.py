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
- `prefetch(url, name=..., integrity=...)`: the fetch-into-the-store half of `extract`, started in the
  background (the reify starts it for each node the ideal tree places, so downloads overlap the
  resolution, as pnpm does); `extract` later links the result or joins the download.

The allow-git / allow-remote / allow-file / allow-directory / allow-registry policies are checked
here, like pacote's FetcherBase.get: `none` refuses the kind, `root` allows it only for the root
project's (and workspaces') own dependencies (`is_root`).

Size: one facade over every fetcher kind and the store (manifest, tarball, extract, link, prefetch),
each entry point short; split by entry point, the shared state (memoised manifests, the in-flight
stores, the byte budget) would have to travel between modules.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, Self

import msgspec

from snpm.errors import SnpmError
from snpm.fetch.base import ManifestSource, ResolvedManifest
from snpm.fetch.budget import ByteBudget
from snpm.fetch.context import BIG_TARBALL, FetchContext, LogFn, PrepareHook
from snpm.fetch.options import FetchOptions
from snpm.fetch.packuments import PackumentCache
from snpm.fetch.registry import RegistryFetcher
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

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

    from snpm.cache.store import PackageFiles
    from snpm.fetch.tarballs import Tarball
    from snpm.fetch.unpack import UnpackedTarball

__all__ = ["ExtractResult", "FetchSource", "Fetcher"]

_PREFETCH_IN_FLIGHT = 16
# Compressed bytes being unpacked at once. Unpacked in this process, a tarball is held whole while
# it is parsed (gzip, tar, each file's bytes: about twice its unpacked size), so two big ones
# together (next.js, native binaries of 40 MB) would double the peak memory of an install; small
# ones still go side by side. A tarball a worker process unpacks costs this process only its bytes
# (and their copy on the way to the worker), so it counts for at most half the budget: a big one
# (the one that takes longest, so the one to start first) leaves room for the small ones beside it.
_UNPACK_BUDGET = 24 << 20


# Packument bodies held below which their memory is not handed back to the system after the tree
# is built: loading ctypes and finding libc to call malloc_trim cost ~4.5 ms, on the way from the
# resolution to the first linked package, for the few MB of a small project nobody would miss.
_TRIM_HEAP_AT = 64 << 20


def _trim_heap() -> None:
    """glibc's malloc_trim(0): return the free pages of the C heap to the system (elsewhere, or
    without glibc, nothing)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        ctypes.CDLL(None).malloc_trim(0)  # the process's own symbols: libc's, without a search
    except (OSError, AttributeError):
        return


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


class ExtractResult(msgspec.Struct, frozen=True):
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
        pool: ThreadPoolExecutor | None = None,
    ) -> None:
        """`pool`: the thread pool for CPU and file-system work, when the caller already has one
        (closing this source shuts it down)."""
        self.client = client
        self.options = options
        self.ctx = FetchContext(
            client, cache_dir, options, PackumentCache(client), log=log, prepare=prepare, pool=pool
        )
        self._manifests: dict[tuple[object, ...], asyncio.Future[ResolvedManifest]] = {}
        self._storing: dict[str, asyncio.Future[tuple[Tarball, PackageFiles | None]]] = {}
        self._slots = asyncio.Semaphore(max_in_flight or max(4, client.settings.maxsockets))
        # background fetches into the store (see `prefetch`): few at once, so that the requests
        # the tree is waiting for keep most of the connections
        self._prefetch_slots = asyncio.Semaphore(
            max(2, min(_PREFETCH_IN_FLIGHT, client.settings.maxsockets // 2))
        )
        self._prefetches: set[asyncio.Task[None]] = set()
        self._unpacking = ByteBudget(_UNPACK_BUDGET)
        # set once the packuments are let go (see `forget_packuments`)
        self._packuments_released = asyncio.Event()

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
        self._packuments_released.set()
        for task in self._prefetches:
            task.cancel()
        self.ctx.close()

    def forget_packuments(self) -> None:
        """Let the run's packuments go (once the ideal tree is built, nothing needs them: every
        node it placed carries its resolved URL and integrity), and give their memory back to the
        system: freed, it would mostly stay in the C heap, under the tarballs unpacked next."""
        packuments = self.ctx.packuments
        if len(packuments):
            held = packuments.held_bytes()
            packuments.clear()
            if held >= _TRIM_HEAP_AT:
                _trim_heap()
        self._packuments_released.set()

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
        # the other kinds are rare in a tree: their fetchers (tar packing, git) load when needed
        if isinstance(parsed, RemoteSpec):
            from snpm.fetch.remote import RemoteFetcher

            return RemoteFetcher(
                ctx, parsed.fetch_spec, name=parsed.name, from_spec=parsed.save_spec, integrity=integrity
            )
        if isinstance(parsed, FileSpec):
            from snpm.fetch.file import FileFetcher

            return FileFetcher(ctx, parsed, integrity=integrity)
        if isinstance(parsed, DirectorySpec):
            from snpm.fetch.directory import DirectoryFetcher

            return DirectoryFetcher(ctx, parsed, integrity=integrity)
        from snpm.fetch.git import GitFetcher

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
        from snpm.fetch.store import materialize

        fetcher = self.fetcher(spec, where=where, integrity=integrity, resolved=resolved, is_root=is_root)
        known = fetcher.integrity
        cache_dir = self.ctx.cache_dir
        if cache_dir is None:
            from snpm.fetch.store import write_files

            async with self._slot(fetcher):
                tarball = await fetcher.tarball()
                async with self._unpacking.hold(len(tarball.data)):
                    unpacked = await self.ctx.cpu(self._unpack, tarball, None)
                    await self.ctx.cpu(write_files, unpacked.files, dest)
                    await self._exe_bins(fetcher, dest)
            return ExtractResult(tarball.integrity, tarball.resolved, tarball.from_spec, False)
        if known:
            linked: bool = await self.ctx.cpu(materialize, cache_dir, known, dest)
            if linked:
                await self._exe_bins(fetcher, dest)
                return ExtractResult(known, fetcher.resolved, fetcher.from_spec, True)
        tarball, files = await self._store(fetcher, known)
        linked = await self.ctx.cpu(materialize, cache_dir, known or tarball.integrity, dest, files)
        if not linked:
            raise SnpmError(f"could not link {fetcher.from_spec} from the store", code="ENOENT")
        await self._exe_bins(fetcher, dest)
        return ExtractResult(
            tarball.integrity, fetcher.resolved or tarball.resolved, fetcher.from_spec, False
        )

    async def _exe_bins(self, fetcher: Fetcher, dest: Path) -> None:
        from snpm.fetch.remote import RemoteFetcher

        # a tarball URL is extracted without its manifest: bins keep the tarball's mode
        if not isinstance(fetcher, RemoteFetcher):
            from snpm.fetch.unpack import make_bins_executable

            await self.ctx.cpu(make_bins_executable, dest)

    async def link_stored(self, integrity: str, dest: Path) -> bool:
        """`extract` for a package the store already holds, without resolving its spec: link it into
        `dest` and return True; False when the store lacks it (then `extract` as usual).

        Only when no allow-* policy could refuse a kind of spec (all are `all`, the default), since
        this never looks at what kind of spec the package came from."""
        cache_dir = self.ctx.cache_dir
        if cache_dir is None or not self.options.allows_every_kind:
            return False
        from snpm.fetch.store import materialize

        linked: bool = await self.ctx.cpu(materialize, cache_dir, integrity, dest)
        return linked

    async def link_stored_many(
        self, packages: Sequence[tuple[str, str] | None], enclosing: Sequence[int], stop: Callable[[], bool]
    ) -> list[bool]:
        """`link_stored` for many `(integrity, dest)` at once, in one thread (see
        `snpm.fetch.store.materialize_many`); which ones were linked."""
        cache_dir = self.ctx.cache_dir
        if cache_dir is None or not self.options.allows_every_kind:
            return [False] * len(packages)
        from snpm.fetch.store import materialize_many

        return await self.ctx.cpu(materialize_many, cache_dir, packages, enclosing, stop)

    def prefetch(self, url: str, *, name: str, integrity: str) -> None:
        """Start fetching a registry tarball into the store, without waiting: a later `extract` of
        that integrity links it from there, or joins the download still under way. A failure is
        dropped here; that `extract` meets it again and reports it. Only while no allow-* policy
        could refuse it. The store is addressed by integrity, so what is stored is always right."""
        cache_dir = self.ctx.cache_dir
        if cache_dir is None or integrity in self._storing or not self.options.allows_every_kind:
            return
        from snpm.cache.store import has_package
        from snpm.fetch.remote import RemoteFetcher

        if has_package(cache_dir, integrity):  # one stat(): not worth a thread
            return
        fetcher = RemoteFetcher(self.ctx, url, name=name, from_spec=url, integrity=integrity)
        task = asyncio.ensure_future(self._prefetch(fetcher, integrity))
        self._prefetches.add(task)

        def settle(done: asyncio.Task[None]) -> None:
            self._prefetches.discard(done)
            if not done.cancelled():
                done.exception()

        task.add_done_callback(settle)

    async def _prefetch(self, fetcher: Fetcher, integrity: str) -> None:
        await self._store(fetcher, integrity, background=True)

    def _slot(self, fetcher: Fetcher) -> contextlib.AbstractAsyncContextManager[object]:
        """A download slot (unpacking is bounded by the byte budget and the pool instead). Not for
        fetchers that run the prepare hook: preparing installs dependencies through this same
        source, and holding slots while waiting for them deadlocks."""
        return contextlib.nullcontext() if fetcher.may_prepare else self._slots

    def _unpack(self, tarball: Tarball, key: str | None) -> UnpackedTarball:
        from snpm.fetch.unpack import unpack

        return unpack(
            tarball.data,
            umask=self.options.umask,
            process_umask=self.options.process_umask,
            cache_dir=self.ctx.cache_dir if key else None,
            integrity=key,
        )

    async def _store(
        self, fetcher: Fetcher, known: str | None, *, background: bool = False
    ) -> tuple[Tarball, PackageFiles | None]:
        """Fetch and store one package; concurrent calls for one known integrity share the work."""
        if known is None:
            return await self._fetch_and_store(fetcher, None)
        pending = self._storing.get(known)
        if pending is None:
            pending = asyncio.ensure_future(self._fetch_and_store(fetcher, known, background=background))
            self._storing[known] = pending

            def forget(done: asyncio.Future[tuple[Tarball, PackageFiles | None]]) -> None:
                # done either way: the store now answers, and the bytes must not stay in memory
                if self._storing.get(known) is done:
                    del self._storing[known]

            pending.add_done_callback(forget)
        return await asyncio.shield(pending)

    async def _fetch_and_store(
        self, fetcher: Fetcher, known: str | None, *, background: bool = False
    ) -> tuple[Tarball, PackageFiles | None]:
        # A background fetch holds one of a few prefetch slots from its download until its unpack
        # may begin, not while it unpacks: the unpacking is bounded by the byte budget and the
        # thread pool, and a slot held through it (a big package takes a second) kept the small
        # downloads behind it waiting while the tree was being built.
        gated = background
        if background:
            await self._prefetch_slots.acquire()
        try:
            async with self._slot(fetcher):
                tarball = await fetcher.tarball()
            size = len(tarball.data)
            out_of_process = self.ctx.stores_out_of_process(size)
            if background and size >= BIG_TARBALL and not out_of_process:
                # Unpacked in this process while the tree is being built, a big tarball (next.js'
                # native binaries: 40 MB gzipped, 130 MB of file bytes) would stack its peak on the
                # run's packuments (hundreds of MB on a large project): it waits for their end,
                # outside every slot (the resolution may itself need one to finish).
                self._prefetch_slots.release()
                gated = False
                await self._packuments_released.wait()
            key = known or tarball.integrity
            from snpm.fetch.unpack import UnpackedTarball

            already = getattr(fetcher, "unpacked", None)
            stored = already.stored if isinstance(already, UnpackedTarball) else None
            if stored is not None and stored.integrity == key:
                return tarball, stored
            cache_dir = self.ctx.cache_dir
            assert cache_dir is not None  # `extract` stores nothing without a cache folder
            options = self.options
            async with self._unpacking.hold(min(size, _UNPACK_BUDGET // 2) if out_of_process else size):
                if gated:
                    self._prefetch_slots.release()
                    gated = False
                stored = await self.ctx.store(
                    cache_dir, key, tarball.data, umask=options.umask, process_umask=options.process_umask
                )
            return tarball, stored
        finally:
            if gated:
                self._prefetch_slots.release()


def _is_a_manifest_source(source: FetchSource) -> ManifestSource:
    """Never called: makes mypy check that FetchSource satisfies the tree builder's protocol."""
    return source
