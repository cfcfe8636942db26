"""The client with snpm.cache.http_cache against a fake registry: revalidation, cache modes,
invalidation, tarballs and packument fetching."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from aiohttp import web

from snpm.cache.http_cache import HttpCache
from snpm.errors import HttpError, SnpmError
from snpm.registry_client import ClientSettings, HttpCacheLike, RegistryClient, fetch_packument
from support.fake_registry import Canned, FakeRegistry, settings_for

T = TypeVar("T")


def with_cache(settings: ClientSettings, body: Callable[[RegistryClient], Awaitable[T]], **kw: Any) -> T:
    assert settings.cache is not None
    cache: HttpCacheLike = HttpCache(settings.cache)  # HttpCache satisfies the client's protocol

    async def main() -> T:
        async with RegistryClient(settings, cache=cache, **kw) as client:
            return await body(client)

    return asyncio.run(main())


def test_etag_revalidation_with_a_304(fake_registry: FakeRegistry, tmp_path: Path) -> None:
    fake_registry.add_packument("demo")  # ETag, no Cache-Control: stale at once
    settings = settings_for(fake_registry, cache=tmp_path)
    first = with_cache(settings, lambda c: c.request("GET", "demo"))
    second = with_cache(settings, lambda c: c.request("GET", "demo"))
    assert (first.cache_status, second.cache_status) == ("miss", "revalidated")
    assert second.body == first.body
    one, two = fake_registry.requests
    assert "if-none-match" not in one.headers
    assert two.headers["if-none-match"] == fake_registry.etags["demo"]


def test_fresh_entries_answer_without_a_request(fake_registry: FakeRegistry, tmp_path: Path) -> None:
    fake_registry.add_packument("demo", headers={"cache-control": "public, max-age=300"})
    settings = settings_for(fake_registry, cache=tmp_path)
    with_cache(settings, lambda c: fetch_packument(c, "demo", full=True))
    again = with_cache(settings, lambda c: c.request("GET", "demo", headers={"accept": "application/json"}))
    assert again.cache_status == "hit" and len(fake_registry.requests) == 1
    # --prefer-online revalidates even a fresh entry
    online = with_cache(
        settings_for(fake_registry, cache=tmp_path, prefer_online=True),
        lambda c: fetch_packument(c, "demo", full=True),
    )
    assert online["name"] == "demo" and len(fake_registry.requests) == 2
    assert fake_registry.requests[1].headers["if-none-match"] == fake_registry.etags["demo"]


def test_prefer_offline_hit_makes_no_request(fake_registry: FakeRegistry, tmp_path: Path) -> None:
    fake_registry.add_packument("demo")  # stale immediately, but prefer-offline does not care
    with_cache(settings_for(fake_registry, cache=tmp_path), lambda c: fetch_packument(c, "demo"))
    logs: list[tuple[str, str, str]] = []
    doc = with_cache(
        settings_for(fake_registry, cache=tmp_path, prefer_offline=True),
        lambda c: fetch_packument(c, "demo"),
        log=lambda *a: logs.append(a),
    )
    assert doc["name"] == "demo" and len(fake_registry.requests) == 1
    assert any(level == "http" and m.endswith("(cache stale)") for level, _, m in logs)


def test_offline(fake_registry: FakeRegistry, tmp_path: Path) -> None:
    fake_registry.add_packument("demo")
    offline = settings_for(fake_registry, cache=tmp_path, offline=True)
    with pytest.raises(SnpmError) as info:
        with_cache(offline, lambda c: fetch_packument(c, "demo"))
    assert info.value.code == "ENOTCACHED"
    assert info.value.message == (
        f"request to {fake_registry.url}demo failed: cache mode is 'only-if-cached' but no cached response is available."
    )
    assert fake_registry.requests == []
    with_cache(settings_for(fake_registry, cache=tmp_path), lambda c: fetch_packument(c, "demo"))
    assert with_cache(offline, lambda c: fetch_packument(c, "demo"))["name"] == "demo"
    assert len(fake_registry.requests) == 1


def test_write_query_always_revalidates(fake_registry: FakeRegistry, tmp_path: Path) -> None:
    fake_registry.add_packument("demo", headers={"cache-control": "max-age=300"})
    settings = settings_for(fake_registry, cache=tmp_path, prefer_offline=True)
    with_cache(settings, lambda c: c.get_json("demo", query={"write": "true"}))
    with_cache(settings, lambda c: c.get_json("demo", query={"write": "true"}))
    assert len(fake_registry.requests) == 2 and fake_registry.requests[1].query == "write=true"


def test_successful_writes_invalidate_the_url(fake_registry: FakeRegistry, tmp_path: Path) -> None:
    fake_registry.add_packument("demo", headers={"cache-control": "max-age=300"})
    fake_registry.script("PUT", "/demo", Canned(201, json={"ok": True}))
    settings = settings_for(fake_registry, cache=tmp_path)

    async def body(c: RegistryClient) -> list[str | None]:
        statuses = [(await c.request("GET", "demo")).cache_status]
        statuses.append((await c.request("GET", "demo")).cache_status)
        await c.put("demo", {"name": "demo"})
        statuses.append((await c.request("GET", "demo")).cache_status)
        return statuses

    assert with_cache(settings, body) == ["miss", "hit", "miss"]


def test_tarballs_are_cached_by_url_and_integrity(fake_registry: FakeRegistry, tmp_path: Path) -> None:
    doc = fake_registry.add_packument("demo", versions=["1.0.0"])
    dist = doc["versions"]["1.0.0"]["dist"]
    settings = settings_for(fake_registry, cache=tmp_path)
    first = with_cache(settings, lambda c: c.get_bytes(dist["tarball"], integrity=dist["integrity"]))
    second = with_cache(
        settings_for(fake_registry, cache=tmp_path, prefer_offline=True),
        lambda c: c.get_bytes(dist["tarball"], integrity=dist["integrity"]),
    )
    assert first.body == second.body and second.integrity == dist["integrity"]
    assert len(fake_registry.requests) == 1


def test_errors_are_not_cached(fake_registry: FakeRegistry, tmp_path: Path) -> None:
    settings = settings_for(fake_registry, cache=tmp_path, fetch_retries=0)
    for _ in range(2):
        with pytest.raises(HttpError):
            with_cache(settings, lambda c: c.get_json("missing"))
    assert len(fake_registry.requests) == 2


def test_scoped_packument_is_escaped(fake_registry: FakeRegistry, tmp_path: Path) -> None:
    fake_registry.add_packument("@acme/widget", versions=["2.0.0"])
    doc = with_cache(
        settings_for(fake_registry, cache=tmp_path), lambda c: fetch_packument(c, "@acme/widget")
    )
    assert doc["name"] == "@acme/widget" and isinstance(doc["_contentLength"], int)
    assert fake_registry.requests[0].raw_path == "/@acme%2fwidget"


def test_corgi_404_falls_back_to_the_full_document(fake_registry: FakeRegistry, tmp_path: Path) -> None:
    async def full_only(request: web.Request, body: bytes) -> web.StreamResponse:
        if "vnd.npm.install-v1" in request.headers.get("accept", ""):
            return web.json_response({"error": "Not found"}, status=404)
        return web.json_response({"name": "old", "versions": {}})

    fake_registry.on("GET", "/old", full_only)
    doc = with_cache(settings_for(fake_registry, cache=tmp_path), lambda c: fetch_packument(c, "old"))
    assert doc["name"] == "old"
    assert [r.headers["accept"] for r in fake_registry.requests] == [
        "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*",
        "application/json",
    ]
    with pytest.raises(HttpError):
        with_cache(settings_for(fake_registry, cache=tmp_path), lambda c: fetch_packument(c, "nothing"))
    assert len(fake_registry.requests_to("/nothing")) == 2
