"""How reads are served fast without serving anything stale: gzipped packuments made once per
revision, small tarballs from memory (never after an unpublish), large ones with sendfile."""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from snpm.packument import ABBREVIATED_ACCEPT
from support.registry import InProcessRegistry, in_process_registry, publish_body

Scenario = Callable[[InProcessRegistry], Awaitable[None]]


def _run(tmp_path: Path, scenario: Scenario, **settings: Any) -> None:
    async def main() -> None:
        async with in_process_registry(tmp_path, **settings) as registry:
            await scenario(registry)

    asyncio.run(main())


def test_packuments_are_gzipped_for_clients_that_accept_it(tmp_path: Path) -> None:
    async def scenario(r: InProcessRegistry) -> None:
        await r.add_user("alice")
        described = {"description": "words " * 400}  # a packument well over the gzip threshold
        await r.publish("alice", publish_body("demo", "1.0.0", manifest=described))
        plain = await r.client.get("/demo", headers={"Accept-Encoding": "identity"}, auto_decompress=False)
        assert "Content-Encoding" not in plain.headers and not plain.headers["ETag"].startswith("W/")
        body = await plain.read()
        for _ in range(2):  # the second answer comes from the kept gzip
            zipped = await r.client.get(
                "/demo", headers={"Accept-Encoding": "gzip, deflate"}, auto_decompress=False
            )
            assert zipped.headers["Content-Encoding"] == "gzip"
            assert "Accept-Encoding" in zipped.headers["Vary"]
            raw = await zipped.read()
            assert len(raw) < len(body) and gzip.decompress(raw) == body
            assert zipped.headers["ETag"] == "W/" + plain.headers["ETag"]
        # either validator revalidates either representation
        for etag in (plain.headers["ETag"], zipped.headers["ETag"]):
            again = await r.client.get("/demo", headers={"If-None-Match": etag, "Accept-Encoding": "gzip"})
            assert again.status == 304
        corgi = await r.client.get("/demo", headers={"Accept": ABBREVIATED_ACCEPT, "Accept-Encoding": "gzip"})
        assert json.loads(await corgi.read())["name"] == "demo"  # (the client inflates it)

    _run(tmp_path, scenario)


def test_tarballs_from_memory_are_never_served_after_an_unpublish(tmp_path: Path) -> None:
    async def scenario(r: InProcessRegistry) -> None:
        await r.add_user("alice")
        body = publish_body("demo", "1.0.0")
        data = base64.b64decode(body["_attachments"]["demo-1.0.0.tgz"]["data"])
        await r.publish("alice", body)
        await r.publish("alice", publish_body("demo", "1.1.0"))
        for _ in range(3):
            got = await r.client.get("/demo/-/demo-1.0.0.tgz")
            assert got.status == 200 and await got.read() == data
        # unpublish 1.0.0 the npm way: PUT the document without it, then DELETE its tarball
        doc = json.loads(await (await r.client.get("/demo?write=true")).read())
        del doc["versions"]["1.0.0"]
        put = await r.client.put(f"/demo/-rev/{doc['_rev']}", json=doc, headers=r.auth("alice"))
        assert put.status == 200, await put.text()
        rev = json.loads(await (await r.client.get("/demo?write=true")).read())["_rev"]
        removed = await r.client.delete(f"/demo/-/demo-1.0.0.tgz/-rev/{rev}", headers=r.auth("alice"))
        assert removed.status == 200, await removed.text()
        assert (await r.client.get("/demo/-/demo-1.0.0.tgz")).status == 404

    _run(tmp_path, scenario)


def test_large_tarballs_are_sent_from_the_file(tmp_path: Path) -> None:
    async def scenario(r: InProcessRegistry) -> None:
        await r.add_user("alice")
        blob = {"blob.bin": os.urandom(700 * 1024)}  # incompressible: the tarball stays large
        body = publish_body("big", "1.0.0", files=blob)
        data = base64.b64decode(body["_attachments"]["big-1.0.0.tgz"]["data"])
        assert len(data) > 512 * 1024
        await r.publish("alice", body)
        got = await r.client.get("/big/-/big-1.0.0.tgz")
        assert got.status == 200 and await got.read() == data
        assert got.headers["Content-Type"] == "application/octet-stream"

    _run(tmp_path, scenario)
