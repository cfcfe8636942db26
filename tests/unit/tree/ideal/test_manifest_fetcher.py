"""The manifest fetcher: its gate (what the builder awaits goes before the crawl of prefetches) and
what the crawl prefetches."""

from __future__ import annotations

import asyncio
from pathlib import Path

from snpm.fetch.base import ResolvedManifest
from snpm.json_types import JsonObject
from snpm.spec import PackageSpec, resolve
from snpm.tree.ideal.manifests import ManifestFetcher


class GatedSource:
    """Answers `name@1.0.0` once its name is released; records the order requests reached it."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.running = 0
        self.most = 0
        self._release: dict[str, asyncio.Event] = {}

    def release(self, *names: str) -> None:
        for name in names:
            self._event(name).set()

    def _event(self, name: str) -> asyncio.Event:
        return self._release.setdefault(name, asyncio.Event())

    async def packument(self, name: str, *, full: bool = False) -> JsonObject:
        raise AssertionError("the manifest fetcher asks for manifests only")

    async def manifest(self, spec: PackageSpec, *, where: Path) -> ResolvedManifest:
        name = spec.name or ""
        self.started.append(name)
        self.running += 1
        self.most = max(self.most, self.running)
        try:
            await self._event(name).wait()
        finally:
            self.running -= 1
        return ResolvedManifest({"name": name, "version": "1.0.0"}, None, None, f"{name}@1")


def _spec(name: str) -> PackageSpec:
    return resolve(name, "^1")


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def _four_prefetches(prefetch_concurrency: int) -> tuple[GatedSource, ManifestFetcher]:
    """A fetcher with prefetches of a, b, c and d under way (as many running as allowed)."""
    source = GatedSource()
    fetcher = ManifestFetcher(
        source, concurrency=8, prefetch_concurrency=prefetch_concurrency, speculate=False
    )
    for name in ("a", "b", "c", "d"):
        fetcher.prefetch(_spec(name), "/")
    await _settle()
    return source, fetcher


def test_an_awaited_manifest_goes_before_queued_prefetches() -> None:
    async def scenario() -> list[str]:
        source, fetcher = await _four_prefetches(2)
        assert source.started == ["a", "b"]  # two prefetches at once; c and d wait
        wanted = asyncio.ensure_future(fetcher.fetch(_spec("z"), "/"))
        await _settle()
        assert source.started == ["a", "b", "z"]  # awaited: not behind c and d
        source.release("z")
        assert (await wanted)["name"] == "z"
        source.release("a", "b", "c", "d")
        await _settle()
        await fetcher.close()
        return source.started

    assert asyncio.run(scenario()) == ["a", "b", "z", "c", "d"]


def test_a_queued_prefetch_that_is_awaited_goes_first() -> None:
    async def scenario() -> list[str]:
        source, fetcher = await _four_prefetches(1)
        wanted = asyncio.ensure_future(fetcher.fetch(_spec("d"), "/"))
        await _settle()
        source.release("a", "b", "c", "d")
        await wanted
        await _settle()
        await fetcher.close()
        return source.started

    # d was last in line; awaited, it runs at once, beside the prefetch already running
    assert asyncio.run(scenario()) == ["a", "d", "b", "c"]


def test_the_limits_hold_and_cancelled_waiters_leave_the_gate_free() -> None:
    async def scenario() -> None:
        source = GatedSource()
        fetcher = ManifestFetcher(source, concurrency=3, prefetch_concurrency=2, speculate=False)
        for index in range(6):
            fetcher.prefetch(_spec(f"p{index}"), "/")
        urgent = [asyncio.ensure_future(fetcher.fetch(_spec(f"u{index}"), "/")) for index in range(3)]
        await _settle()
        assert source.most <= 3
        await fetcher.close()  # cancels every waiting and running request
        outcomes = await asyncio.gather(*urgent, return_exceptions=True)
        assert all(isinstance(outcome, asyncio.CancelledError) for outcome in outcomes)
        # the gate has no running request left: a new one starts at once
        later = asyncio.ensure_future(fetcher.fetch(_spec("later"), "/"))
        await _settle()
        assert source.started[-1] == "later"
        source.release("later")
        assert (await later)["name"] == "later"

    asyncio.run(scenario())


class CatalogSource:
    """Answers from a catalog of manifests by name; records which names were asked for."""

    def __init__(self, catalog: dict[str, JsonObject]) -> None:
        self.catalog = catalog
        self.asked: list[str] = []

    async def packument(self, name: str, *, full: bool = False) -> JsonObject:
        raise AssertionError("the manifest fetcher asks for manifests only")

    async def manifest(self, spec: PackageSpec, *, where: Path) -> ResolvedManifest:
        name = spec.name or ""
        self.asked.append(name)
        await asyncio.sleep(0)
        return ResolvedManifest(
            {"name": name, "version": "1.0.0", **self.catalog.get(name, {})}, None, None, name
        )


def _crawled(catalog: dict[str, JsonObject], *names: str, peers: bool = True) -> list[str]:
    """What the fetcher asks its source for after fetching `names` in turn, letting the crawl run
    to its end after each."""

    async def scenario() -> list[str]:
        source = CatalogSource(catalog)
        fetcher = ManifestFetcher(source, peers=peers)
        for name in names:
            await fetcher.fetch(_spec(name), "/")
            for _ in range(30):
                await asyncio.sleep(0)
        await fetcher.close()
        return source.asked

    return asyncio.run(scenario())


def test_optional_peers_are_prefetched_for_their_peers_only() -> None:
    # arborist's #loadPeerSet asks for every peer edge without a node, optional or not; of an optional
    # peer it follows only the peers (its dependencies matter only if it gets installed)
    catalog: dict[str, JsonObject] = {
        "app": {
            "dependencies": {"dep": "^1"},
            "peerDependencies": {"needed": "^1", "maybe": "^1"},
            "peerDependenciesMeta": {"maybe": {"optional": True}},
        },
        "maybe": {"dependencies": {"maybe-dep": "^1"}, "peerDependencies": {"maybe-peer": "^1"}},
        "maybe-peer": {"dependencies": {"maybe-peer-dep": "^1"}},
        "needed": {"dependencies": {"needed-dep": "^1"}},
    }
    asked = _crawled(catalog, "app")
    assert set(asked) == {"app", "dep", "needed", "needed-dep", "maybe", "maybe-peer"}


def test_an_optional_peer_that_is_also_a_dependency_is_crawled_in_full() -> None:
    catalog: dict[str, JsonObject] = {
        "app": {"peerDependencies": {"maybe": "^1"}, "peerDependenciesMeta": {"maybe": {"optional": True}}},
        "other": {"dependencies": {"maybe": "^1"}},
        "maybe": {"dependencies": {"maybe-dep": "^1"}},
    }
    assert sorted(_crawled(catalog, "app")) == ["app", "maybe"]  # only an optional peer so far
    assert sorted(_crawled(catalog, "app", "other")) == ["app", "maybe", "maybe-dep", "other"]


def test_with_legacy_peer_deps_no_peer_is_prefetched() -> None:
    catalog: dict[str, JsonObject] = {
        "app": {"dependencies": {"dep": "^1"}, "peerDependencies": {"needed": "^1"}},
    }
    assert sorted(_crawled(catalog, "app", peers=False)) == ["app", "dep"]
