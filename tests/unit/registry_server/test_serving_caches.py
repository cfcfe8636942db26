"""The per-process serving caches: small tarball bytes and rendered (and gzipped) packuments."""

from __future__ import annotations

import asyncio
import gzip
from pathlib import Path

from aiohttp import web

from snpm.registry_server.api.router import Access, Handler, RequestContext, Router
from snpm.registry_server.api.tarballs import SmallTarballs
from snpm.registry_server.services.packuments import PackumentRenderer
from snpm.registry_server.storage.base import StoredPackage, TarballRecord


def _record(name: str, size: int, integrity: str = "sha512-a") -> TarballRecord:
    return TarballRecord(name, f"{name}-1.0.0.tgz", "1.0.0", size, integrity, "00", Path("/nowhere"))


def test_small_tarballs_stay_within_their_budget() -> None:
    cache = SmallTarballs(max_bytes=100, max_item=60)
    first, second, third = _record("a", 40), _record("b", 40), _record("c", 40)
    cache.put(first, b"x" * 40)
    cache.put(second, b"y" * 40)
    assert cache.get(first) == b"x" * 40  # now the most recently used
    cache.put(third, b"z" * 40)  # over budget: the least recently used (b) goes
    assert cache.get(second) is None and cache.get(first) and cache.get(third)
    cache.put(_record("big", 61), b"q" * 61)
    assert cache.get(_record("big", 61)) is None  # too large to keep
    cache.put(_record("short", 50), b"s" * 10)
    assert cache.get(_record("short", 50)) is None  # not the size the database records
    # another integrity is another tarball (a name reused after an unpublish of everything)
    assert cache.get(_record("a", 40, "sha512-other")) is None


def test_renderings_and_their_gzip_are_made_once_per_revision() -> None:
    renderer = PackumentRenderer()
    package = StoredPackage("demo", "1-a", {"name": "demo", "description": "x" * 4000, "versions": {}})
    rendered = renderer.render(package, "http://r.test", False)
    assert renderer.cached("demo", "1-a", "http://r.test", False) is rendered
    assert renderer.cached("demo", "2-b", "http://r.test", False) is None

    async def zipped() -> tuple[bytes, bytes]:
        return await renderer.gzipped(rendered), await renderer.gzipped(rendered)

    once, again = asyncio.run(zipped())
    assert once is again and gzip.decompress(once) == rendered.body


def test_routes_are_tried_by_their_first_segment() -> None:
    seen: list[str] = []

    def handler(label: str) -> Handler:
        async def handle(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
            seen.append(label)
            return web.Response()

        return handle

    router = Router()
    router.get("/-/ping", handler("ping"), access=Access.NONE)
    router.get("/-/package/{pkg}/dist-tags", handler("tags"), access=Access.READ)
    router.get("/{pkg}", handler("packument"), access=Access.READ)
    router.put("/{pkg}", handler("publish"), access=Access.WRITE)
    found = router.match("GET", "/@scope%2Fname")
    assert not isinstance(found, set) and found is not None and found.params == {"pkg": "@scope/name"}
    tags = router.match("GET", "/-/package/@s%2fn/dist-tags")
    assert not isinstance(tags, set) and tags is not None and tags.params == {"pkg": "@s/n"}
    assert router.match("DELETE", "/left-pad") == {"GET", "PUT"}
    assert router.match("GET", "/-/nothing") is None
    router.get("/-/later", handler("later"), access=Access.NONE)  # adding a route re-indexes
    assert router.match("GET", "/-/later") is not None
