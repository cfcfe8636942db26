"""The caching uplink's rules without HTTP: a scripted uplink, a settable clock, SQLite storage in tmp_path."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from snpm.registry_server.services.errors import RegistryError
from snpm.registry_server.services.uplink_cache import (
    FAIL_TIMEOUT,
    UplinkCache,
    UplinkReply,
    UplinkUnreachableError,
    rewrite_packument,
)
from snpm.registry_server.storage.sqlite import SqliteStorage
from support.registry import sri

UPLINK = "http://uplink.test/"


class ScriptedUplink:
    """Answers from `packuments`/`tarballs`; `down` makes every request fail as unreachable."""

    url = UPLINK

    def __init__(self) -> None:
        self.packuments: dict[str, dict[str, Any]] = {}
        self.tarballs: dict[str, bytes] = {}
        self.status: dict[str, int] = {}
        self.down = False
        self.sends_corgi = True  # False: a mirror that answers every Accept with the full document
        self.calls: list[tuple[str, str | None]] = []

    def publish(self, name: str, *versions: str, integrity: bool = True) -> None:
        doc: dict[str, Any] = {"_id": name, "_rev": "9-x", "name": name, "dist-tags": {}, "versions": {}}
        for version in versions:
            data = f"{name}@{version}".encode()
            url = f"{UPLINK}{name}/-/{name.rsplit('/', 1)[-1]}-{version}.tgz"
            self.tarballs[url] = data
            dist: dict[str, Any] = {"tarball": url, "shasum": hashlib.sha1(data).hexdigest()}
            if integrity:
                dist["integrity"] = sri(data)
            doc["versions"][version] = {"name": name, "version": version, "dist": dist}
            doc["dist-tags"]["latest"] = version
        self.packuments[name] = doc

    def _etag(self, name: str) -> str:
        return '"' + hashlib.sha1(json.dumps(self.packuments[name]).encode()).hexdigest() + '"'

    async def packument(self, name: str, *, corgi: bool, etag: str | None) -> UplinkReply:
        self.calls.append((name, etag))
        if self.down:
            raise UplinkUnreachableError("connection refused")
        if name in self.status:
            return UplinkReply(self.status[name])
        if name not in self.packuments:
            return UplinkReply(404)
        if etag == self._etag(name):
            return UplinkReply(304, etag=etag)
        media = "application/vnd.npm.install-v1+json" if corgi and self.sends_corgi else "application/json"
        return UplinkReply(200, json.dumps(self.packuments[name]).encode(), self._etag(name), media)

    async def tarball(self, url: str, *, max_size: int) -> UplinkReply:
        self.calls.append((url, None))
        if self.down:
            raise UplinkUnreachableError("connection refused")
        data = self.tarballs.get(url)
        return UplinkReply(200, data) if data is not None else UplinkReply(404)

    async def close(self) -> None:
        pass


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _run(
    tmp_path: Path, scenario: Callable[[UplinkCache, ScriptedUplink, Clock], Any], **options: Any
) -> None:
    import asyncio

    async def main() -> None:
        storage = SqliteStorage(tmp_path / "registry.db", tmp_path / "tarballs")
        await storage.open()
        uplink, clock = ScriptedUplink(), Clock()
        cache = UplinkCache(
            storage,
            uplink,
            max_age=options.pop("max_age", 60.0),
            max_tarball_size=1024 * 1024,
            clock=clock,
            **options,
        )
        try:
            await scenario(cache, uplink, clock)
        finally:
            await storage.close()

    asyncio.run(main())


def test_rewriting_points_tarballs_here_and_remembers_where_they_came_from() -> None:
    document = {
        "_id": "demo",
        "_rev": "3-abc",
        "_attachments": {},
        "name": "demo",
        "versions": {
            "1.0.0": {"dist": {"tarball": "https://up.test/demo/-/demo-1.0.0.tgz", "integrity": "x"}},
            "2.0.0": {"dist": {"tarball": "git://odd.test/demo.tgz"}},
            "3.0.0": {"dist": {"tarball": "https://up.test/demo/-/..%2f..%2fetc"}},
        },
    }
    rewritten, origins = rewrite_packument("demo", document)
    assert "_id" not in rewritten and "_rev" not in rewritten and "_attachments" not in rewritten
    versions = rewritten["versions"]
    assert versions["1.0.0"] == {"dist": {"tarball": "demo/-/demo-1.0.0.tgz", "integrity": "x"}}
    assert versions["2.0.0"] == document["versions"]["2.0.0"]  # not http(s): left alone
    assert versions["3.0.0"] == document["versions"]["3.0.0"]  # not a file name: left alone
    assert origins == {"demo-1.0.0.tgz": "https://up.test/demo/-/demo-1.0.0.tgz"}
    assert document["versions"]["1.0.0"]["dist"]["tarball"].startswith("https://")  # input untouched


def test_which_names_go_to_the_uplink(tmp_path: Path) -> None:
    async def scenario(cache: UplinkCache, uplink: ScriptedUplink, clock: Clock) -> None:
        assert cache.serves("left-pad") and cache.serves("@types/node")
        assert not cache.serves("@corp/secret") and not cache.serves(".hidden") and not cache.serves("a b")
        with pytest.raises(RegistryError) as caught:
            await cache.packument("@corp/secret", corgi=True)
        assert caught.value.status == 404 and uplink.calls == []

    _run(tmp_path, scenario, local_scopes=("@corp",))


def test_freshness_revalidation_and_stale_answers(tmp_path: Path) -> None:
    async def scenario(cache: UplinkCache, uplink: ScriptedUplink, clock: Clock) -> None:
        uplink.publish("demo", "1.0.0")
        first = await cache.packument("demo", corgi=False)
        assert first.entry is not None and not first.stale
        assert (await cache.packument("demo", corgi=False)).head.rev == first.head.rev
        assert (
            await cache.packument("demo", corgi=True)
        ).head.form == "full"  # a fresh full serves corgi too
        assert len(uplink.calls) == 1
        clock.now += 61
        revalidated = await cache.packument("demo", corgi=False)
        assert uplink.calls[-1] == ("demo", first.head.etag)  # asked with the ETag: 304
        assert revalidated.head.rev == first.head.rev and revalidated.head.fetched == clock.now
        uplink.publish("demo", "1.0.0", "1.1.0")
        clock.now += 61
        changed = await cache.packument("demo", corgi=False)
        assert changed.head.rev != first.head.rev
        assert sorted((await cache.load(changed)).document["versions"]) == ["1.0.0", "1.1.0"]
        clock.now += 61
        uplink.down = True
        stale = await cache.packument("demo", corgi=False)
        assert stale.stale and stale.head.rev == changed.head.rev
        with pytest.raises(RegistryError) as caught:
            await cache.packument("never-seen", corgi=True)
        assert caught.value.status == 503 and "cannot be reached" in caught.value.message

    _run(tmp_path, scenario)


def test_an_unreachable_uplink_is_left_alone_for_a_while(tmp_path: Path) -> None:
    async def scenario(cache: UplinkCache, uplink: ScriptedUplink, clock: Clock) -> None:
        uplink.down = True
        for _ in range(2):
            with pytest.raises(RegistryError):
                await cache.packument("a", corgi=True)
        asked = len(uplink.calls)
        with pytest.raises(RegistryError):
            await cache.packument("b", corgi=True)
        assert len(uplink.calls) == asked  # not even tried
        clock.now += FAIL_TIMEOUT + 1
        uplink.down = False
        uplink.publish("b", "1.0.0")
        assert (await cache.packument("b", corgi=True)).entry is not None

    _run(tmp_path, scenario, max_age=0.0)


def test_uplink_failures_and_gone_packages(tmp_path: Path) -> None:
    async def scenario(cache: UplinkCache, uplink: ScriptedUplink, clock: Clock) -> None:
        uplink.status["broken"] = 500
        with pytest.raises(RegistryError) as caught:
            await cache.packument("broken", corgi=True)
        assert caught.value.status == 502
        uplink.publish("gone", "1.0.0")
        await cache.packument("gone", corgi=True)
        del uplink.packuments["gone"]
        with pytest.raises(RegistryError) as missing:
            await cache.packument("gone", corgi=True)
        assert missing.value.status == 404

    _run(tmp_path, scenario, max_age=0.0)


def test_tarballs_are_verified_then_kept(tmp_path: Path) -> None:
    async def scenario(cache: UplinkCache, uplink: ScriptedUplink, clock: Clock) -> None:
        uplink.publish("old", "1.0.0", integrity=False)  # only a shasum, as very old packages have
        record = await cache.tarball("old", "old-1.0.0.tgz")
        assert record.path is not None and record.path.read_bytes() == b"old@1.0.0"
        assert record.integrity.startswith("sha512-")
        uplink.down = True
        assert await cache.tarball("old", "old-1.0.0.tgz") == record  # from the cache, uplink or not
        uplink.down = False
        uplink.publish("bad", "1.0.0")
        url = f"{UPLINK}bad/-/bad-1.0.0.tgz"
        uplink.tarballs[url] = b"something else"
        with pytest.raises(RegistryError) as caught:
            await cache.tarball("bad", "bad-1.0.0.tgz")
        assert caught.value.status == 502 and "does not match" in caught.value.message
        with pytest.raises(RegistryError) as unknown:
            await cache.tarball("bad", "bad-9.9.9.tgz")
        assert unknown.value.status == 404

    _run(tmp_path, scenario)


def test_a_tarball_newer_than_the_cached_packument_with_the_uplink_gone(tmp_path: Path) -> None:
    async def scenario(cache: UplinkCache, uplink: ScriptedUplink, clock: Clock) -> None:
        uplink.publish("demo", "1.0.0")
        await cache.packument("demo", corgi=True)
        uplink.down = True
        with pytest.raises(RegistryError) as caught:  # asking again for 1.0.1 fails: 503, not a crash
            await cache.tarball("demo", "demo-1.0.1.tgz")
        assert caught.value.status == 503

    _run(tmp_path, scenario, max_age=300.0)


def test_a_full_answer_to_a_corgi_request_is_kept_as_the_full_form(tmp_path: Path) -> None:
    async def scenario(cache: UplinkCache, uplink: ScriptedUplink, clock: Clock) -> None:
        uplink.publish("demo", "1.0.0")
        assert (await cache.packument("demo", corgi=True)).head.form == "corgi"
        uplink.publish("mirrored", "1.0.0")
        uplink.sends_corgi = False
        proxied = await cache.packument("mirrored", corgi=True)
        assert proxied.head.form == "full" and not proxied.corgi  # so the renderer abbreviates it
        calls = len(uplink.calls)
        assert (await cache.packument("mirrored", corgi=False)).head.form == "full"
        assert len(uplink.calls) == calls  # and it serves full requests too

    _run(tmp_path, scenario)
