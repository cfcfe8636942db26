"""The caching uplink over HTTP, in-process: a FakeRegistry on 127.0.0.1 is the uplink (it records every
request it gets), the registry under test proxies it. Stopping the fake proves what the cache keeps."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from snpm.packument import ABBREVIATED_ACCEPT
from support.fake_registry import Canned, FakeRegistry
from support.registry import InProcessRegistry, in_process_registry, publish_body

Scenario = Callable[[InProcessRegistry, FakeRegistry], Awaitable[None]]


def _run(tmp_path: Path, scenario: Scenario, **settings: Any) -> None:
    async def main() -> None:
        async with (
            FakeRegistry() as uplink,
            in_process_registry(tmp_path, uplink=uplink.url, **settings) as registry,
        ):
            await scenario(registry, uplink)

    asyncio.run(main())


async def _json(response: Any) -> Any:
    return json.loads(await response.read())


def test_packuments_and_tarballs_come_from_the_uplink_pointing_here(tmp_path: Path) -> None:
    async def scenario(r: InProcessRegistry, uplink: FakeRegistry) -> None:
        uplink.add_packument("demo", versions=["1.0.0", "1.1.0"])
        uplink.add_packument("@up/lib", versions=["2.0.0"])
        base = r.url.rstrip("/")
        full = await r.client.get("/demo")
        assert full.status == 200, await full.text()
        doc = await _json(full)
        assert doc["_id"] == "demo" and doc["_rev"].startswith("u-")
        assert doc["versions"]["1.1.0"]["dist"]["tarball"] == f"{base}/demo/-/demo-1.1.0.tgz"
        assert doc["dist-tags"] == {"latest": "1.1.0"}
        corgi = await r.client.get("/@up%2flib", headers={"Accept": ABBREVIATED_ACCEPT})
        corgi_doc = await _json(corgi)
        assert corgi_doc["versions"]["2.0.0"]["dist"]["tarball"] == f"{base}/@up/lib/-/lib-2.0.0.tgz"
        assert "_rev" not in corgi_doc
        # the uplink was asked for the corgi form, as npm would ask
        (asked,) = uplink.requests_to("/@up/lib")
        assert "application/vnd.npm.install-v1+json" in asked.headers["accept"]
        for _ in range(2):
            tarball = await r.client.get("/demo/-/demo-1.0.0.tgz")
            assert tarball.status == 200 and await tarball.read() == b"tarball of demo@1.0.0"
        assert len(uplink.requests_to("/demo/-/demo-1.0.0.tgz")) == 1  # kept after the first time
        scoped = await r.client.get("/@up/lib/-/lib-2.0.0.tgz")
        assert await scoped.read() == b"tarball of @up/lib@2.0.0"
        # versions, tags and ranges, and the dist-tags endpoint, work for proxied packages too
        version = await _json(await r.client.get("/demo/^1.0.0"))
        assert version["version"] == "1.1.0" and version["dist"]["tarball"].startswith(base)
        tags = await _json(await r.client.get("/-/package/demo/dist-tags"))
        assert tags == {"latest": "1.1.0"}
        # a conditional GET of the proxied packument is answered here
        again = await r.client.get("/demo", headers={"If-None-Match": full.headers["ETag"]})
        assert again.status == 304
        assert (await r.client.get("/demo/-/demo-9.9.9.tgz")).status == 404

    _run(tmp_path, scenario)


def test_packuments_are_reused_then_revalidated_with_the_etag(tmp_path: Path) -> None:
    async def scenario(r: InProcessRegistry, uplink: FakeRegistry) -> None:
        uplink.add_packument("demo", versions=["1.0.0"])
        assert (await r.client.get("/demo")).status == 200
        assert (await r.client.get("/demo")).status == 200
        assert len(uplink.requests_to("/demo")) == 1  # within max-age: not asked again

    _run(tmp_path / "fresh", scenario, uplink_max_age=300.0)

    async def revalidating(r: InProcessRegistry, uplink: FakeRegistry) -> None:
        uplink.add_packument("demo", versions=["1.0.0"])
        first = await _json(await r.client.get("/demo"))
        second = await _json(await r.client.get("/demo"))
        assert first == second
        asked = uplink.requests_to("/demo")
        assert len(asked) == 2 and asked[1].headers["if-none-match"] == uplink.etags["demo"]
        uplink.add_packument("demo", versions=["1.0.0", "2.0.0"])  # published upstream meanwhile
        third = await _json(await r.client.get("/demo"))
        assert sorted(third["versions"]) == ["1.0.0", "2.0.0"] and third["_rev"] != first["_rev"]

    _run(tmp_path / "stale", revalidating, uplink_max_age=0.0)


def test_with_the_uplink_down_the_cache_still_serves(tmp_path: Path) -> None:
    async def scenario(r: InProcessRegistry, uplink: FakeRegistry) -> None:
        uplink.add_packument("demo", versions=["1.0.0", "1.1.0"])
        full = await _json(await r.client.get("/demo"))
        assert (await r.client.get("/demo/-/demo-1.0.0.tgz")).status == 200
        await uplink.stop()
        # max-age 0: every GET would revalidate; the uplink is gone, the stale copy is served
        for _ in range(3):
            stale = await r.client.get("/demo")
            assert stale.status == 200 and await _json(stale) == full
        corgi = await r.client.get("/demo", headers={"Accept": ABBREVIATED_ACCEPT})
        assert corgi.status == 200 and "1.1.0" in (await _json(corgi))["versions"]
        tarball = await r.client.get("/demo/-/demo-1.0.0.tgz")
        assert tarball.status == 200 and await tarball.read() == b"tarball of demo@1.0.0"
        # what was never fetched cannot be served: 503 with an error npm prints
        missing = await r.client.get("/never-seen")
        assert missing.status == 503
        assert "cannot be reached" in (await _json(missing))["error"]
        uncached = await r.client.get("/demo/-/demo-1.1.0.tgz")
        assert uncached.status == 503

    _run(tmp_path, scenario, uplink_max_age=0.0)


def test_uplink_statuses_map_to_sensible_answers(tmp_path: Path) -> None:
    async def scenario(r: InProcessRegistry, uplink: FakeRegistry) -> None:
        missing = await r.client.get("/not-there")
        assert missing.status == 404
        uplink.script("GET", "/broken", Canned(500), Canned(500))
        broken = await r.client.get("/broken")
        assert broken.status == 502 and "failed" in (await _json(broken))["error"]
        uplink.script("GET", "/garbage", Canned(200, body=b"<html>not json</html>"))
        assert (await r.client.get("/garbage")).status == 502
        # an uplink 404 also forgets what was cached (the package was unpublished upstream)
        uplink.add_packument("gone", versions=["1.0.0"])
        assert (await r.client.get("/gone")).status == 200
        del uplink.packuments["gone"]
        assert (await r.client.get("/gone")).status == 404
        # not a package name: never sent upstream
        before = len(uplink.requests)
        assert (await r.client.get("/.hidden")).status == 404
        assert len(uplink.requests) == before

    _run(tmp_path, scenario, uplink_max_age=0.0)


def test_local_packages_and_local_scopes_never_come_from_the_uplink(tmp_path: Path) -> None:
    async def scenario(r: InProcessRegistry, uplink: FakeRegistry) -> None:
        uplink.add_packument("shared-name", versions=["5.0.0"])
        uplink.add_packument("@corp/secret", versions=["1.0.0"])
        await r.add_user("alice")
        assert (await r.publish("alice", publish_body("shared-name", "1.0.0"))).status == 201
        doc = await _json(await r.client.get("/shared-name"))
        assert list(doc["versions"]) == ["1.0.0"]
        assert (await r.client.get("/shared-name/-/shared-name-5.0.0.tgz")).status == 404
        assert (await r.client.get("/-/package/shared-name/dist-tags")).status == 200
        assert (await r.client.get("/@corp%2fsecret")).status == 404
        assert (await r.client.get("/@corp/secret/-/secret-1.0.0.tgz")).status == 404
        assert uplink.requests == []
        # a package first proxied, then published here: from then on the local one wins
        uplink.add_packument("adopted", versions=["3.0.0"])
        assert list((await _json(await r.client.get("/adopted")))["versions"]) == ["3.0.0"]
        assert (await r.publish("alice", publish_body("adopted", "1.0.0"))).status == 201
        assert list((await _json(await r.client.get("/adopted")))["versions"]) == ["1.0.0"]

    _run(tmp_path, scenario, local_scopes=("@corp",))


def test_a_tarball_that_does_not_match_its_integrity_is_refused(tmp_path: Path) -> None:
    async def scenario(r: InProcessRegistry, uplink: FakeRegistry) -> None:
        uplink.add_packument("demo", versions=["1.0.0"])
        uplink.tarballs["/demo/-/demo-1.0.0.tgz"] = b"tampered with"
        await r.client.get("/demo")
        for _ in range(2):
            refused = await r.client.get("/demo/-/demo-1.0.0.tgz")
            assert refused.status == 502 and "does not match" in (await _json(refused))["error"]
        assert len(uplink.requests_to("/demo/-/demo-1.0.0.tgz")) == 2  # nothing was kept
        assert not list((tmp_path / "data" / "uplink").rglob("*.tgz"))

    _run(tmp_path, scenario)


def test_a_new_upstream_version_is_found_for_its_tarball(tmp_path: Path) -> None:
    async def scenario(r: InProcessRegistry, uplink: FakeRegistry) -> None:
        uplink.add_packument("demo", versions=["1.0.0"])
        await r.client.get("/demo")
        uplink.add_packument("demo", versions=["1.0.0", "1.0.1"])
        # the cached packument is fresh but lacks 1.0.1: the uplink is asked again once
        tarball = await r.client.get("/demo/-/demo-1.0.1.tgz")
        assert tarball.status == 200 and await tarball.read() == b"tarball of demo@1.0.1"

    _run(tmp_path, scenario, uplink_max_age=300.0)


def test_concurrent_requests_share_one_uplink_request(tmp_path: Path) -> None:
    async def scenario(r: InProcessRegistry, uplink: FakeRegistry) -> None:
        uplink.add_packument("demo", versions=["1.0.0"])
        uplink.delay = 0.2
        answers = await asyncio.gather(*(r.client.get("/demo") for _ in range(10)))
        assert {a.status for a in answers} == {200}
        tarballs = await asyncio.gather(*(r.client.get("/demo/-/demo-1.0.0.tgz") for _ in range(10)))
        assert {t.status for t in tarballs} == {200}
        assert len(uplink.requests_to("/demo")) == 1
        assert len(uplink.requests_to("/demo/-/demo-1.0.0.tgz")) == 1

    _run(tmp_path, scenario, uplink_max_age=300.0)


def test_the_cache_survives_a_restart(tmp_path: Path) -> None:
    async def main() -> None:
        async with FakeRegistry() as uplink:
            uplink.add_packument("demo", versions=["1.0.0"])
            async with in_process_registry(tmp_path, uplink=uplink.url) as r:
                assert (await r.client.get("/demo/-/demo-1.0.0.tgz")).status == 200
            url = uplink.url
        # same data folder, the uplink gone for good
        async with in_process_registry(tmp_path, uplink=url, uplink_max_age=0.0) as again:
            assert (await again.client.get("/demo")).status == 200
            tarball = await again.client.get("/demo/-/demo-1.0.0.tgz")
            assert await tarball.read() == b"tarball of demo@1.0.0"

    asyncio.run(main())
