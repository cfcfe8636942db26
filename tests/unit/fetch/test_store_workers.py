"""snpm.fetch.store_workers: a tarball stored in a worker process is stored exactly as in-process;
errors come back with their code; a dead worker is reported (and FetchContext falls back)."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import cast

import pytest

from snpm.cache import store as cache_store
from snpm.errors import SnpmError
from snpm.fetch.context import FetchContext
from snpm.fetch.options import FetchOptions
from snpm.fetch.packuments import PackumentCache
from snpm.fetch.store import store_tarball
from snpm.fetch.store_workers import StoreWorkers, WorkerLostError
from snpm.integrity import compute
from snpm.registry_client import RegistryClient
from snpm.tarball import PackFile, pack


def _tarball(version: str = "1.0.0") -> bytes:
    manifest = {"name": "p", "version": version, "bin": "./cli.js"}
    return pack(
        [
            PackFile("package.json", json.dumps(manifest).encode()),
            PackFile("cli.js", b"#!/usr/bin/env node\n", 0o644),
            PackFile("lib/tool.sh", b"echo\n", 0o755),
            PackFile(f"lib/{version}.txt", version.encode(), 0o644),
        ]
    )


def test_worker_stores_as_in_process(tmp_path: Path) -> None:
    data = _tarball()
    integrity = str(compute(data))
    expected = store_tarball(tmp_path / "a", integrity, data, umask=0, process_umask=0o022)

    async def go() -> object:
        workers = StoreWorkers(2)
        try:
            return await workers.store(tmp_path / "b", integrity, data, umask=0, process_umask=0o022)
        finally:
            workers.close()

    got = asyncio.run(go())
    assert got == expected
    assert cache_store.read_package(tmp_path / "b", integrity) == expected
    files_a = sorted(
        p.relative_to(tmp_path / "a").as_posix() for p in (tmp_path / "a").rglob("*") if p.is_file()
    )
    files_b = sorted(
        p.relative_to(tmp_path / "b").as_posix() for p in (tmp_path / "b").rglob("*") if p.is_file()
    )
    assert files_a == files_b


def test_many_at_once_and_errors_come_back(tmp_path: Path) -> None:
    tarballs = [_tarball(f"1.0.{n}") for n in range(6)]

    async def go() -> tuple[list[object], BaseException | None]:
        workers = StoreWorkers(2)
        try:
            stored = await asyncio.gather(
                *(
                    workers.store(tmp_path, str(compute(data)), data, umask=0, process_umask=0o022)
                    for data in tarballs
                )
            )
            try:
                await workers.store(tmp_path, "sha512-AAAA", b"not a tarball", umask=0, process_umask=0o022)
            except SnpmError as err:
                return list(stored), err
            return list(stored), None
        finally:
            workers.close()

    stored, error = asyncio.run(go())
    assert len(stored) == 6
    for data in tarballs:
        assert cache_store.read_package(tmp_path, str(compute(data))) is not None
    # the same error (class and npm code) as storing in-process
    with pytest.raises(SnpmError) as local:
        store_tarball(tmp_path, "sha512-AAAA", b"not a tarball")
    assert type(error) is type(local.value) and getattr(error, "code", None) == local.value.code


def test_a_dead_worker_is_reported_then_the_context_stores_in_process(tmp_path: Path) -> None:
    data = _tarball()
    integrity = str(compute(data))

    async def go() -> None:
        workers = StoreWorkers(1)
        try:
            await workers.store(tmp_path / "w", integrity, data, umask=0, process_umask=0o022)
            (worker,) = workers._idle
            worker.process.kill()
            worker.process.wait()
            with pytest.raises(WorkerLostError):
                await workers.store(tmp_path / "w", integrity, data, umask=0, process_umask=0o022)
        finally:
            workers.close()

    asyncio.run(go())

    class _Dead(StoreWorkers):
        async def store(self, *args: object, **kwargs: object) -> cache_store.PackageFiles:
            raise WorkerLostError("gone")

    async def via_context() -> cache_store.PackageFiles:
        no_client = cast("RegistryClient", None)  # storing never asks the registry
        options = FetchOptions(registry="http://127.0.0.1:9/")
        ctx = FetchContext(no_client, tmp_path / "c", options, PackumentCache(no_client))
        ctx.store_workers = _Dead(1)
        try:
            return await ctx.store(tmp_path / "c", integrity, data, umask=0, process_umask=0o022)
        finally:
            ctx.close()

    assert asyncio.run(via_context()) == store_tarball(
        tmp_path / "d", integrity, data, umask=0, process_umask=0o022
    )


def test_close_ends_the_processes(tmp_path: Path) -> None:
    data = _tarball()

    async def go() -> list[int]:
        workers = StoreWorkers(2)
        await workers.store(tmp_path, str(compute(data)), data, umask=0, process_umask=0o022)
        pids = [worker.process.pid for worker in workers._every]
        workers.close()
        assert not workers.available
        return pids

    for pid in asyncio.run(go()):
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)


def test_a_big_tarball_starts_the_workers_by_itself(tmp_path: Path) -> None:
    from snpm.fetch.context import BIG_TARBALL

    no_client = cast("RegistryClient", None)
    options = FetchOptions(registry="http://127.0.0.1:9/")
    ctx = FetchContext(no_client, tmp_path, options, PackumentCache(no_client))
    try:
        # one small tarball is not worth an interpreter start; a big one is (unpacked here it would
        # hold several times its size in this process, and the GIL for seconds)
        assert not ctx.stores_out_of_process(1 << 10)
        assert ctx.store_workers is None
        assert ctx.stores_out_of_process(BIG_TARBALL)
        assert ctx.store_workers is not None and ctx.store_workers.available
    finally:
        ctx.close()
