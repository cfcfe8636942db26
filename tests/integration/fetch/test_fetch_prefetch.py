"""FetchSource.prefetch: background fetches into the store; a big one that would be unpacked in this
process is held back while the run's packuments are in memory (its unpacking waits for
`forget_packuments`), one a worker process unpacks is not."""

from __future__ import annotations

import asyncio
import os

import pytest

from snpm.cache import store
from snpm.fetch import store_workers
from snpm.fetch.source import FetchSource
from support.fetch_harness import Harness
from support.packages import publish


def _publish(harness: Harness, name: str, size: int) -> dict[str, str]:
    # random bytes do not compress: the tarball is about `size` bytes
    doc = publish(harness.registry, name, ["1.0.0"], files={"blob.bin": os.urandom(size)})
    dist: dict[str, str] = doc["versions"]["1.0.0"]["dist"]
    return dist


def test_small_prefetch_is_stored_at_once_and_a_big_one_after_the_packuments_go(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without worker processes a big tarball would be unpacked in this process, on top of the
    packuments: it waits for them to go."""
    monkeypatch.setattr(store_workers, "_boot_command", lambda: None)
    small = _publish(harness, "small", 64 << 10)
    big = _publish(harness, "big", 5 << 20)
    cache = harness.cache

    async def body(source: FetchSource) -> tuple[bool, bool, bool]:
        source.prefetch(small["tarball"], name="small", integrity=small["integrity"])
        source.prefetch(big["tarball"], name="big", integrity=big["integrity"])
        for _ in range(200):  # the small one lands; the big one is downloaded but waits
            await asyncio.sleep(0.02)
            if store.has_package(cache, small["integrity"]):
                break
        await asyncio.sleep(0.2)
        small_stored = store.has_package(cache, small["integrity"])
        big_early = store.has_package(cache, big["integrity"])
        source.forget_packuments()
        for _ in range(250):
            await asyncio.sleep(0.02)
            if store.has_package(cache, big["integrity"]):
                break
        return small_stored, big_early, store.has_package(cache, big["integrity"])

    small_stored, big_early, big_late = harness.run(body)
    assert small_stored and not big_early and big_late


def test_a_big_prefetch_a_worker_process_unpacks_does_not_wait(harness: Harness) -> None:
    """Unpacked by a worker process (which the big tarball starts), it costs this process only its
    bytes: it is stored while the packuments are still held (the longest unpacking starts first)."""
    big = _publish(harness, "big", 5 << 20)
    cache = harness.cache

    async def body(source: FetchSource) -> bool:
        source.prefetch(big["tarball"], name="big", integrity=big["integrity"])
        for _ in range(500):
            await asyncio.sleep(0.02)
            if store.has_package(cache, big["integrity"]):
                break
        stored = store.has_package(cache, big["integrity"])
        source.forget_packuments()
        return stored

    assert harness.run(body)


def test_extract_joins_a_held_back_prefetch_once_the_packuments_go(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_workers, "_boot_command", lambda: None)  # held back: see above
    big = _publish(harness, "big", 5 << 20)
    dest = harness.root / "nm" / "big"

    async def body(source: FetchSource) -> None:
        source.prefetch(big["tarball"], name="big", integrity=big["integrity"])
        await asyncio.sleep(0.2)
        source.forget_packuments()
        # joins the prefetch under way, or links what it stored: either way no second download
        await source.extract(f"big@{big['tarball']}", dest, integrity=big["integrity"])

    harness.run(body)
    assert (dest / "blob.bin").stat().st_size == 5 << 20
    assert len(harness.registry.requests_to("/big/-/big-1.0.0.tgz")) == 1
