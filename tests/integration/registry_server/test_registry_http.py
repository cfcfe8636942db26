"""The registry over HTTP, in-process (aiohttp's TestServer): the wire behaviour npm depends on."""

from __future__ import annotations

import asyncio
import base64
import json
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from snpm.integrity import verify
from snpm.packument import ABBREVIATED_ACCEPT, ABBREVIATED_MEDIA_TYPE
from snpm.registry_server.settings import LoginLimits
from support.registry import InProcessRegistry, in_process_registry, publish_body

Scenario = Callable[[InProcessRegistry], Awaitable[None]]


def _run(tmp_path: Path, scenario: Scenario, **settings: Any) -> None:
    async def main() -> None:
        async with in_process_registry(tmp_path, **settings) as registry:
            await scenario(registry)

    asyncio.run(main())


async def _json(response: Any) -> Any:
    return json.loads(await response.read())


def test_packuments_full_corgi_etag_and_scoped_spellings(tmp_path: Path) -> None:
    async def scenario(r: InProcessRegistry) -> None:
        await r.add_user("alice")
        published = await r.publish(
            "alice", publish_body("@demo/foo", "1.0.0", manifest={"dependencies": {"a": "1"}})
        )
        assert published.status == 201
        base = r.url.rstrip("/")
        for path in ("/@demo%2ffoo", "/@demo%2Ffoo", "/@demo/foo"):
            full = await r.client.get(path, headers={"Accept": "application/json"})
            assert full.status == 200 and full.headers["Content-Type"].startswith("application/json")
            doc = await _json(full)
            assert doc["_id"] == "@demo/foo" and doc["_rev"].startswith("1-")
            assert doc["versions"]["1.0.0"]["dist"]["tarball"] == f"{base}/@demo/foo/-/foo-1.0.0.tgz"
            assert doc["readme"] == "# @demo/foo\n"
        corgi = await r.client.get("/@demo%2ffoo", headers={"Accept": ABBREVIATED_ACCEPT})
        assert corgi.headers["Content-Type"].startswith(ABBREVIATED_MEDIA_TYPE)
        corgi_doc = await _json(corgi)
        assert set(corgi_doc) == {"name", "modified", "dist-tags", "versions"}
        assert "readme" not in corgi_doc["versions"]["1.0.0"]
        assert corgi_doc["versions"]["1.0.0"]["dependencies"] == {"a": "1"}
        # ?write=true is always the full document with _rev
        written = await _json(
            await r.client.get("/@demo%2ffoo?write=true", headers={"Accept": ABBREVIATED_ACCEPT})
        )
        assert "_rev" in written
        # conditional GETs, per representation
        etag = corgi.headers["ETag"]
        again = await r.client.get(
            "/@demo%2ffoo", headers={"Accept": ABBREVIATED_ACCEPT, "If-None-Match": etag}
        )
        assert again.status == 304 and again.headers["ETag"] == etag
        full_again = await r.client.get("/@demo%2ffoo", headers={"If-None-Match": etag})
        assert full_again.status == 200
        await r.publish("alice", publish_body("@demo/foo", "1.1.0"))
        changed = await r.client.get(
            "/@demo%2ffoo", headers={"Accept": ABBREVIATED_ACCEPT, "If-None-Match": etag}
        )
        assert changed.status == 200 and changed.headers["ETag"] != etag
        assert (await r.client.get("/nothing-here")).status == 404

    _run(tmp_path, scenario)


def test_tarball_urls_follow_host_forwarded_headers_and_public_url(tmp_path: Path) -> None:
    async def scenario(r: InProcessRegistry) -> None:
        await r.add_user("alice")
        await r.publish("alice", publish_body("demo", "1.0.0"))
        headers = {
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "npm.example.test",
            "X-Forwarded-Prefix": "/reg",
        }
        doc = await _json(await r.client.get("/demo", headers=headers))
        assert (
            doc["versions"]["1.0.0"]["dist"]["tarball"]
            == "https://npm.example.test/reg/demo/-/demo-1.0.0.tgz"
        )
        plain = await _json(await r.client.get("/demo", headers={"Host": "other.test:8080"}))
        assert plain["versions"]["1.0.0"]["dist"]["tarball"] == "http://other.test:8080/demo/-/demo-1.0.0.tgz"

    _run(tmp_path, scenario, trust_proxy=True)

    async def untrusted(r: InProcessRegistry) -> None:
        await r.add_user("alice")
        await r.publish("alice", publish_body("demo", "1.0.0"))
        doc = await _json(await r.client.get("/demo", headers={"X-Forwarded-Host": "evil.test"}))
        assert (
            doc["versions"]["1.0.0"]["dist"]["tarball"]
            == "https://registry.example.test/demo/-/demo-1.0.0.tgz"
        )

    _run(tmp_path / "second", untrusted, public_url="https://registry.example.test/")


def test_tarballs_and_version_documents(tmp_path: Path) -> None:
    async def scenario(r: InProcessRegistry) -> None:
        await r.add_user("alice")
        body = publish_body("@demo/foo", "1.0.0")
        tarball = base64.b64decode(body["_attachments"]["@demo/foo-1.0.0.tgz"]["data"])
        await r.publish("alice", body)
        await r.publish("alice", publish_body("@demo/foo", "1.1.0-beta.1", tag="beta"))
        for path in ("/@demo/foo/-/foo-1.0.0.tgz", "/@demo%2ffoo/-/foo-1.0.0.tgz"):
            response = await r.client.get(path, headers={"Accept-Encoding": "gzip"})
            assert response.status == 200
            assert response.headers["Content-Type"] == "application/octet-stream"
            assert "Content-Encoding" not in response.headers
            assert "immutable" in response.headers["Cache-Control"]
            assert await response.read() == tarball
        assert (await r.client.get("/@demo/foo/-/foo-9.9.9.tgz")).status == 404
        assert (await r.client.head("/@demo/foo/-/foo-1.0.0.tgz")).status == 200
        for wanted, expected in (
            ("1.0.0", "1.0.0"),
            ("latest", "1.0.0"),
            ("beta", "1.1.0-beta.1"),
            ("^1.0.0", "1.0.0"),
        ):
            document = await _json(await r.client.get(f"/@demo%2ffoo/{wanted.replace('^', '%5E')}"))
            assert document["version"] == expected
        assert (await r.client.get("/@demo%2ffoo/7.0.0")).status == 404

    _run(tmp_path, scenario)


def test_publish_errors_as_npm_prints_them(tmp_path: Path) -> None:
    async def scenario(r: InProcessRegistry) -> None:
        await r.add_user("alice")
        await r.add_user("bob")
        anonymous = await r.client.put("/demo", json=publish_body("demo", "1.0.0"))
        assert anonymous.status == 401 and "WWW-Authenticate" in anonymous.headers
        assert (await r.publish("alice", publish_body("demo", "1.0.0"))).status == 201
        again = await r.publish("alice", publish_body("demo", "1.0.0"))
        assert again.status == 403
        assert await _json(again) == {
            "error": "You cannot publish over the previously published versions: 1.0.0."
        }
        outsider = await r.publish("bob", publish_body("demo", "2.0.0"))
        assert outsider.status == 403 and "do not have permission" in (await _json(outsider))["error"]
        tampered = publish_body("demo", "3.0.0")
        tampered["versions"]["3.0.0"]["dist"]["shasum"] = "0" * 40
        assert (await r.publish("alice", tampered)).status == 400
        broken = await r.client.put("/demo", data=b"{not json", headers=r.auth("alice"))
        assert broken.status == 400 and "error" in await _json(broken)
        assert (await r.client.delete("/-/ping")).status == 405

    _run(tmp_path, scenario)


def test_oversized_bodies_get_413_json(tmp_path: Path) -> None:
    async def scenario(r: InProcessRegistry) -> None:
        await r.add_user("alice")
        body = publish_body("demo", "1.0.0", files={"big.bin": os.urandom(40_000)})
        response = await r.publish("alice", body)
        assert response.status == 413 and "larger" in (await _json(response))["error"]

    _run(tmp_path, scenario, max_body_size=20_000)


def test_document_changes_over_http(tmp_path: Path) -> None:
    async def scenario(r: InProcessRegistry) -> None:
        await r.add_user("alice")
        await r.add_user("bob")
        await r.publish("alice", publish_body("demo", "1.0.0"))
        await r.publish("alice", publish_body("demo", "1.1.0"))
        doc = await _json(await r.client.get("/demo?write=true"))
        # owner add answers JSON (npm parses it)
        owners = {"_id": "demo", "_rev": doc["_rev"], "maintainers": doc["maintainers"] + [{"name": "bob"}]}
        added = await r.client.put(f"/demo/-rev/{doc['_rev']}", json=owners, headers=r.auth("alice"))
        assert added.status == 200 and (await _json(added))["ok"] is True
        stale = await r.client.put(f"/demo/-rev/{doc['_rev']}", json=owners, headers=r.auth("alice"))
        assert stale.status == 409
        # unpublish 1.1.0 the npm way: PUT without it, then DELETE the tarball at the new rev
        doc = await _json(await r.client.get("/demo?write=true"))
        dist = doc["versions"]["1.1.0"]["dist"]["tarball"]
        del doc["versions"]["1.1.0"]
        doc["dist-tags"] = {"latest": "1.0.0"}
        put = await r.client.put(f"/demo/-rev/{doc['_rev']}", json=doc, headers=r.auth("bob"))
        assert put.status == 200
        rev = (await _json(await r.client.get("/demo?write=true")))["_rev"]
        path = dist.split(r.url.rstrip("/"), 1)[1]
        deleted = await r.client.delete(f"{path}/-rev/{rev}", headers=r.auth("bob"))
        assert deleted.status == 200
        assert (await r.client.get(path)).status == 404
        # dist-tags
        tags = await r.client.put("/-/package/demo/dist-tags/stable", json="1.0.0", headers=r.auth("alice"))
        assert tags.status == 201
        assert await _json(await r.client.get("/-/package/demo/dist-tags")) == {
            "latest": "1.0.0",
            "stable": "1.0.0",
        }
        assert (
            await r.client.delete("/-/package/demo/dist-tags/stable", headers=r.auth("alice"))
        ).status == 200
        # whole package
        rev = (await _json(await r.client.get("/demo?write=true")))["_rev"]
        assert (await r.client.delete(f"/demo/-rev/{rev}", headers=r.auth("alice"))).status == 200
        assert (await r.client.get("/demo")).status == 404
        assert (await r.client.get("/-/package/demo/dist-tags")).status == 404

    _run(tmp_path, scenario)


def test_login_whoami_logout_and_tokens(tmp_path: Path) -> None:
    async def scenario(r: InProcessRegistry) -> None:
        token = await r.add_user("alice", password="password-123")
        whoami = await r.client.get("/-/whoami", headers=r.auth("alice"))
        assert await _json(whoami) == {"username": "alice"}
        assert (await r.client.get("/-/whoami")).status == 401
        login = {"name": "alice", "password": "password-123"}
        logged_in = await r.client.put("/-/user/org.couchdb.user:alice", json=login)
        assert logged_in.status == 201
        second = (await _json(logged_in))["token"]
        wrong = await r.client.put("/-/user/org.couchdb.user:alice", json={**login, "password": "nope-nope"})
        assert wrong.status == 401 and "error" in await _json(wrong)
        user = await _json(await r.client.get("/-/user/org.couchdb.user:alice"))
        assert user == {"_id": "org.couchdb.user:alice", "name": "alice", "email": "alice@example.test"}
        basic = base64.b64encode(b"alice:password-123").decode()
        assert (await r.client.get("/-/whoami", headers={"Authorization": f"Basic {basic}"})).status == 200
        # tokens: create (password checked), list with pagination, revoke by key
        created = await r.client.post(
            "/-/npm/v1/tokens",
            json={"password": "password-123", "name": "ci", "cidr_whitelist": ["127.0.0.0/8"], "expires": 30},
            headers=r.auth("alice"),
        )
        assert created.status == 201
        ci = await _json(created)
        assert ci["token"].startswith("npm_") and ci["cidr_whitelist"] == ["127.0.0.0/8"] and ci["expires"]
        refused = await r.client.post(
            "/-/npm/v1/tokens", json={"password": "bad-password"}, headers=r.auth("alice")
        )
        assert refused.status == 401
        listed: list[dict[str, Any]] = []
        url: str | None = "/-/npm/v1/tokens?perPage=2"
        while url:
            page = await _json(await r.client.get(url, headers=r.auth("alice")))
            listed += page["objects"]
            assert page["total"] == 3 and "urls" in page
            url = page["urls"].get("next")
            url = url.split(r.url.rstrip("/"), 1)[1] if url else None
        assert len(listed) == 3 and all(len(t["token"]) == 8 for t in listed)
        assert {t["name"] for t in listed} == {"login", "ci"}
        key = next(t["key"] for t in listed if t["name"] == "ci")
        assert (await r.client.delete(f"/-/npm/v1/tokens/token/{key}", headers=r.auth("alice"))).status == 204
        assert (
            await r.client.get("/-/whoami", headers={"Authorization": f"Bearer {ci['token']}"})
        ).status == 401
        # logout revokes the token itself; it is refused right away, on reads too
        out = await r.client.delete(f"/-/user/token/{token}", headers=r.auth("alice"))
        assert out.status == 200
        after = await r.client.get("/-/whoami", headers=r.auth("alice"))
        assert after.status == 401 and after.headers["WWW-Authenticate"].startswith("Bearer")
        assert (await r.client.get("/-/ping", headers=r.auth("alice"))).status == 200
        assert (await r.client.get("/nothing", headers=r.auth("alice"))).status == 401
        # logging out again with the dead token still succeeds, so npm can clear its config
        assert (await r.client.delete(f"/-/user/token/{token}", headers=r.auth("alice"))).status == 200
        assert (await r.client.get("/-/whoami", headers={"Authorization": f"Bearer {second}"})).status == 200

    _run(tmp_path, scenario)


def test_read_only_and_address_limited_tokens_over_http(tmp_path: Path) -> None:
    async def scenario(r: InProcessRegistry) -> None:
        await r.add_user("alice", password="password-123")
        await r.publish("alice", publish_body("demo", "1.0.0"))

        async def token(**extra: Any) -> str:
            body = {"password": "password-123", **extra}
            response = await r.client.post("/-/npm/v1/tokens", json=body, headers=r.auth("alice"))
            assert response.status == 201
            value: str = (await _json(response))["token"]
            return value

        read_only = {"Authorization": f"Bearer {await token(readonly=True)}"}
        assert (await r.client.get("/demo", headers=read_only)).status == 200
        assert (
            await r.client.put("/demo", json=publish_body("demo", "2.0.0"), headers=read_only)
        ).status == 403
        granular = {"Authorization": f"Bearer {await token(packages_and_scopes_permission='read-only')}"}
        assert (
            await r.client.post("/-/npm/v1/tokens", json={"password": "password-123"}, headers=granular)
        ).status == 403
        elsewhere = {"Authorization": f"Bearer {await token(cidr_whitelist=['10.0.0.0/8'])}"}
        refused = await r.client.get("/demo", headers=elsewhere)
        assert refused.status == 401 and refused.headers["WWW-Authenticate"] == "ipaddress"
        here = {"Authorization": f"Bearer {await token(cidr_whitelist=['127.0.0.1/32'])}"}
        assert (await r.client.get("/-/whoami", headers=here)).status == 200
        bad = await r.client.post(
            "/-/npm/v1/tokens",
            json={"password": "password-123", "cidr_whitelist": ["x"]},
            headers=r.auth("alice"),
        )
        assert bad.status == 400

    _run(tmp_path, scenario)


def test_login_rate_limit_answers_429(tmp_path: Path) -> None:
    async def scenario(r: InProcessRegistry) -> None:
        await r.add_user("alice", password="password-123")
        for _ in range(2):
            bad = await r.client.put(
                "/-/user/org.couchdb.user:alice", json={"name": "alice", "password": "wrong-one"}
            )
            assert bad.status == 401
        limited = await r.client.put(
            "/-/user/org.couchdb.user:alice", json={"name": "alice", "password": "password-123"}
        )
        assert limited.status == 429 and int(limited.headers["Retry-After"]) > 0

    _run(tmp_path, scenario, login_limits=LoginLimits(max_failures_per_user=2))


def test_signup_closed_and_reads_requiring_login(tmp_path: Path) -> None:
    async def scenario(r: InProcessRegistry) -> None:
        body = {"name": "alice", "password": "password-123", "email": "a@example.test"}
        closed = await r.client.put("/-/user/org.couchdb.user:alice", json=body)
        assert closed.status == 403
        assert (await r.client.get("/anything")).status == 401
        assert (await r.client.get("/-/ping")).status == 200

    _run(tmp_path, scenario, allow_signup=False, read_requires_login=True)


def test_published_bytes_round_trip(tmp_path: Path) -> None:
    async def scenario(r: InProcessRegistry) -> None:
        await r.add_user("alice")
        body = publish_body("demo", "1.0.0", files={"data.bin": bytes(range(256)) * 50})
        await r.publish("alice", body)
        doc = await _json(await r.client.get("/demo"))
        dist = doc["versions"]["1.0.0"]["dist"]
        data = await (await r.client.get(dist["tarball"].split(r.url.rstrip("/"), 1)[1])).read()
        verify(data, dist["integrity"])
        assert dist["unpackedSize"] > 12_800 and dist["fileCount"] == 3

    _run(tmp_path, scenario)
