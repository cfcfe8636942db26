"""What every fetcher of one run shares: the registry client, npm's cache folder, the options, the
packument cache, git, a small thread pool for CPU work, the log, and the `prepare` hook.

CPU work (gunzip, hashing, tar parsing, writing the store, packing) runs in a pool of a few threads
(`cpu_workers`, 2–4), so the event loop keeps many downloads in flight while tarballs are unpacked;
zlib and hashlib release the GIL, so the threads do run in parallel. Adding tarballs to the store
moves to worker processes once several wait at once, or for one big tarball (`store`, and
`snpm.fetch.store_workers` for why): a small install never starts one.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Literal, ParamSpec, Protocol, TypeVar

import msgspec

from snpm.fetch.options import FetchOptions, cpu_pool, default_cpu_workers
from snpm.fetch.packuments import PackumentCache
from snpm.json_types import JsonObject
from snpm.registry_client import RegistryClient

if TYPE_CHECKING:
    from snpm.cache.store import PackageFiles
    from snpm.fetch.store_workers import StoreWorkers
    from snpm.git import Git

__all__ = ["FetchContext", "LogFn", "PrepareHook", "PrepareKind", "default_cpu_workers"]

P = ParamSpec("P")
T = TypeVar("T")

# npm's log levels and titles: log(level, prefix, message)
LogFn = Callable[[str, str, str], None]
PrepareKind = Literal["directory", "git"]


class PrepareHook(Protocol):
    """Makes a folder ready to pack; the lifecycle engine provides it, fetchers never run scripts.

    `kind="directory"`: pacote's DirFetcher runs the `prepare` script (unless scripts are ignored).
    `kind="git"`: pacote's GitFetcher first installs the clone's dependencies (`npm install --force`)
    so that the prepare script can run, then packs like a directory. Called only when the manifest
    asks for it (see `needs_git_prepare` / the `prepare` script check).
    """

    def __call__(self, folder: Path, manifest: JsonObject, *, kind: PrepareKind) -> Awaitable[None]: ...


# Stores waiting at once before worker processes start (each costs an interpreter start, ~50 ms of
# CPU: worth it for a project's worth of tarballs, not for the one package of `install foo`).
_WORKERS_AFTER = 4
# A tarball at least this big starts the workers by itself: unpacked in this process it would hold
# ~3x its size here (and the GIL for seconds: next.js is 41 MB and 8,700 files).
BIG_TARBALL = 4 << 20


class FetchContext(msgspec.Struct):
    client: RegistryClient
    cache_dir: Path | None
    options: FetchOptions
    packuments: PackumentCache
    log: LogFn | None = None
    prepare: PrepareHook | None = None
    pool: ThreadPoolExecutor | None = None
    git_client: Git | None = None
    store_workers: StoreWorkers | None = None
    _stores_waiting: int = 0
    _temp_dirs: list[Path] | None = None

    async def cpu(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run `fn` in the thread pool."""
        if self.pool is None:
            self.pool = cpu_pool()
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.pool, lambda: fn(*args, **kwargs))

    async def store(
        self, cache_dir: Path, integrity: str, data: bytes, *, umask: int, process_umask: int
    ) -> PackageFiles:
        """`snpm.fetch.store.store_tarball` in a worker process when workers run (started here once
        enough stores wait at once), else in the thread pool; a lost worker falls back to the pool."""
        from snpm.fetch.store import store_tarball

        self._stores_waiting += 1
        try:
            workers = self._workers(len(data))
            if workers is not None and workers.available:
                from snpm.fetch.store_workers import WorkerLostError

                try:
                    return await workers.store(
                        cache_dir, integrity, data, umask=umask, process_umask=process_umask
                    )
                except WorkerLostError as err:
                    self.emit("verbose", "store", f"{err}; storing in-process")
            return await self.cpu(
                store_tarball, cache_dir, integrity, data, umask=umask, process_umask=process_umask
            )
        finally:
            self._stores_waiting -= 1

    def stores_out_of_process(self, size: int) -> bool:
        """Whether a store of a `size`-byte tarball would run in a worker process (starting the
        workers for a big one): its unpacking then costs this process only the tarball's bytes."""
        workers = self._workers(size)
        return workers is not None and workers.available

    def _workers(self, size: int) -> StoreWorkers | None:
        if self.store_workers is None and (self._stores_waiting >= _WORKERS_AFTER or size >= BIG_TARBALL):
            from snpm.fetch.store_workers import StoreWorkers

            self.store_workers = StoreWorkers(default_cpu_workers())
        return self.store_workers

    @property
    def git(self) -> Git:
        if self.git_client is None:
            from snpm.git import Git

            settings = self.client.settings
            self.git_client = Git(
                git=self.options.git,
                retries=settings.fetch_retries,
                retry_factor=settings.fetch_retry_factor,
                retry_min_ms=settings.fetch_retry_mintimeout,
                retry_max_ms=settings.fetch_retry_maxtimeout,
            )
        return self.git_client

    @property
    def prefer_online(self) -> bool:
        return self.client.settings.prefer_online

    def emit(self, level: str, prefix: str, message: str) -> None:
        if self.log is not None:
            self.log(level, prefix, message)

    def temp_dir(self, prefix: str) -> Path:
        """A fresh folder removed by `close()`; under `_cacache/tmp` like cacache.tmp.withTmp."""
        from snpm.cache import content

        parent = content.tmp_dir(self.cache_dir) if self.cache_dir is not None else None
        if parent is not None:
            parent.mkdir(parents=True, exist_ok=True)
        import tempfile  # here: ~2 ms of imports (random, bisect) an install that fetches seldom needs

        folder = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
        if self._temp_dirs is None:
            self._temp_dirs = []
        self._temp_dirs.append(folder)
        return folder

    def close(self) -> None:
        for folder in self._temp_dirs or ():
            shutil.rmtree(folder, ignore_errors=True)
        self._temp_dirs = None
        if self.store_workers is not None:
            self.store_workers.close()
            self.store_workers = None
        if self.pool is not None:
            self.pool.shutdown(wait=True)
            self.pool = None
