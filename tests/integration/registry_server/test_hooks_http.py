"""Registry hooks over HTTP on both storage backends (see conftest): libnpmhook's endpoints, and every
package event delivered to a real aiohttp receiver on 127.0.0.1 — event names, `change` objects,
payloads, the `x-npm-signature` HMAC, retries, and the hook's record of its last delivery."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from snpm.registry_server.services.hook_delivery import DeliveryPolicy
from support.registry import InProcessRegistry, in_process_registry, publish_body

Scenario = Callable[[InProcessRegistry, "Receiver"], Awaitable[None]]


@dataclass
class Delivery:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    def signed_with(self, secret: str) -> bool:
        expected = "sha256=" + hmac.new(secret.encode(), self.body, hashlib.sha256).hexdigest()
        return self.headers.get("x-npm-signature") == expected


@dataclass
class Receiver:
    """A webhook endpoint: records every POST; `answers[path]` scripts the statuses (then 200)."""

    url: str = ""
    got: list[Delivery] = field(default_factory=list)
    answers: dict[str, list[int]] = field(default_factory=dict)

    async def handle(self, request: web.Request) -> web.Response:
        self.got.append(Delivery(request.path, dict(request.headers), await request.read()))
        script = self.answers.get(request.path)
        return web.Response(status=script.pop(0) if script else 200, text="ok")

    def at(self, path: str) -> list[Delivery]:
        return [d for d in self.got if d.path == path]

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[Delivery]:
        deadline = asyncio.get_running_loop().time() + timeout
        while len(self.got) < count:
            assert asyncio.get_running_loop().time() < deadline, [d.json["event"] for d in self.got]
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.1)  # nothing more should come
        return self.got


@asynccontextmanager
async def receiver() -> AsyncIterator[Receiver]:
    found = Receiver()
    app = web.Application()
    app.router.add_post("/{tail:.*}", found.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    found.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        yield found
    finally:
        await runner.cleanup()


def _run(tmp_path: Path, scenario: Scenario, **settings: Any) -> None:
    async def main() -> None:
        async with receiver() as hooks_in, in_process_registry(tmp_path, **settings) as registry:
            registry.registry.hook_delivery.policy = DeliveryPolicy(
                retry_delays=(0.05, 0.05), poll_interval=0.05
            )
            await scenario(registry, hooks_in)

    asyncio.run(main())


async def _json(response: Any) -> Any:
    return json.loads(await response.read())


async def _add(r: InProcessRegistry, user: str, name: str, endpoint: str, secret: str = "s3cret") -> Any:
    kind = "scope" if name.startswith("@") and "/" not in name else "owner" if name[0] == "~" else "package"
    body = {"type": kind, "name": name.lstrip("~"), "endpoint": endpoint, "secret": secret}
    response = await r.client.post("/-/npm/v1/hooks/hook", json=body, headers=r.auth(user))
    assert response.status == 201, await response.text()
    return await _json(response)


async def _doc(r: InProcessRegistry, name: str) -> Any:
    return await _json(await r.client.get(f"/{name.replace('/', '%2f')}?write=true"))


async def _put_doc(r: InProcessRegistry, user: str, doc: Any) -> None:
    name = doc["_id"].replace("/", "%2f")
    response = await r.client.put(f"/{name}/-rev/{doc['_rev']}", json=doc, headers=r.auth(user))
    assert response.status == 200, await response.text()


def test_the_hooks_api(tmp_path: Path) -> None:
    async def scenario(r: InProcessRegistry, hooks_in: Receiver) -> None:
        await r.add_user("alice")
        await r.add_user("bob")
        c = r.client
        assert (await c.get("/-/npm/v1/hooks")).status == 401
        empty = await c.get("/-/npm/v1/hooks", headers=r.auth("alice"))
        assert await _json(empty) == {"objects": [], "total": 0, "urls": {}}
        first = await _add(r, "alice", "demo", hooks_in.url + "/a")
        assert first["type"] == "package" and first["username"] == "alice" and first["deleted"] is False
        second = await _add(r, "alice", "@acme", hooks_in.url + "/b")
        third = await _add(r, "alice", "~bob", hooks_in.url + "/c")
        assert (second["type"], second["name"], third["type"], third["name"]) == (
            "scope",
            "@acme",
            "owner",
            "bob",
        )
        listed = await _json(await c.get("/-/npm/v1/hooks", headers=r.auth("alice")))
        assert [h["id"] for h in listed["objects"]] == [first["id"], second["id"], third["id"]]
        assert listed["objects"][0] == first
        only = await _json(await c.get("/-/npm/v1/hooks?package=%7Ebob", headers=r.auth("alice")))
        assert [h["id"] for h in only["objects"]] == [third["id"]]
        page = await _json(await c.get("/-/npm/v1/hooks?limit=1&offset=1", headers=r.auth("alice")))
        assert [h["id"] for h in page["objects"]] == [second["id"]] and page["total"] == 3
        assert page["urls"]["next"].endswith("/-/npm/v1/hooks?offset=2&limit=1")
        assert (await c.get("/-/npm/v1/hooks?limit=x", headers=r.auth("alice"))).status == 400
        # bob sees none of alice's hooks
        assert (await _json(await c.get("/-/npm/v1/hooks", headers=r.auth("bob"))))["total"] == 0
        path = f"/-/npm/v1/hooks/hook/{first['id']}"
        assert await _json(await c.get(path, headers=r.auth("alice"))) == first
        for method in ("GET", "PUT", "DELETE"):
            answer = await c.request(
                method, path, json={"endpoint": "http://x.test/", "secret": "s"}, headers=r.auth("bob")
            )
            assert answer.status == 404 and "error" in await _json(answer)
        updated = await c.put(
            path, json={"endpoint": "http://x.test/", "secret": "new"}, headers=r.auth("alice")
        )
        assert updated.status == 200
        assert (await _json(updated))["endpoint"] == "http://x.test/"
        bad = await c.post(
            "/-/npm/v1/hooks/hook",
            json={"type": "package", "name": "demo", "endpoint": "mailto:x", "secret": "s"},
            headers=r.auth("alice"),
        )
        assert bad.status == 400 and "endpoint" in (await _json(bad))["error"]
        removed = await c.delete(path, headers=r.auth("alice"))
        assert (await _json(removed))["deleted"] is True and (await _json(removed))["id"] == first["id"]
        assert (await c.delete(path, headers=r.auth("alice"))).status == 404
        # a read-only token may list but not change
        ro = await c.post(
            "/-/npm/v1/tokens", json={"password": "password-123", "readonly": True}, headers=r.auth("alice")
        )
        reader = {"Authorization": f"Bearer {(await _json(ro))['token']}"}
        assert (await c.get("/-/npm/v1/hooks", headers=reader)).status == 200
        assert (await c.delete(f"/-/npm/v1/hooks/hook/{second['id']}", headers=reader)).status == 403

    _run(tmp_path, scenario)


def test_every_package_event_is_delivered_signed(tmp_path: Path) -> None:
    async def scenario(r: InProcessRegistry, hooks_in: Receiver) -> None:
        for user in ("alice", "bob", "carol"):
            await r.add_user(user)
        await _add(r, "alice", "demo", hooks_in.url + "/package", "package-secret")
        await _add(r, "carol", "~alice", hooks_in.url + "/owner", "owner-secret")
        await _add(r, "carol", "@alice", hooks_in.url + "/scope", "scope-secret")
        await _add(r, "bob", "other", hooks_in.url + "/other")
        c = r.client
        await r.publish("alice", publish_body("demo", "1.0.0", registry=r.url))
        await r.publish("alice", publish_body("demo", "1.1.0", registry=r.url))
        assert (
            await c.put("/-/package/demo/dist-tags/beta", json="1.0.0", headers=r.auth("alice"))
        ).status == 201
        assert (await c.delete("/-/package/demo/dist-tags/beta", headers=r.auth("alice"))).status == 200
        doc = await _doc(r, "demo")
        doc["versions"]["1.0.0"]["deprecated"] = "use 1.1.0"
        await _put_doc(r, "alice", doc)
        doc = await _doc(r, "demo")
        doc["versions"]["1.0.0"]["deprecated"] = ""
        await _put_doc(r, "alice", doc)
        doc = await _doc(r, "demo")
        await _put_doc(r, "alice", {**doc, "maintainers": [*doc["maintainers"], {"name": "bob"}]})
        doc = await _doc(r, "demo")
        await _put_doc(r, "bob", {"_id": "demo", "_rev": doc["_rev"], "users": {"bob": True}})
        doc = await _doc(r, "demo")
        await _put_doc(r, "bob", {"_id": "demo", "_rev": doc["_rev"], "users": {}})
        doc = await _doc(r, "demo")
        await _put_doc(
            r, "alice", {**doc, "maintainers": [m for m in doc["maintainers"] if m["name"] != "bob"]}
        )
        doc = await _doc(r, "demo")
        del doc["versions"]["1.1.0"]
        doc["dist-tags"] = {"latest": "1.0.0"}
        await _put_doc(r, "alice", doc)
        before_delete = await _doc(r, "demo")
        assert (await c.delete(f"/demo/-rev/{before_delete['_rev']}", headers=r.auth("alice"))).status == 200
        expected = [
            ("package:publish", {"version": "1.0.0", "dist-tag": "latest"}),
            ("package:publish", {"version": "1.1.0", "dist-tag": "latest"}),
            ("package:dist-tag", {"dist-tag": "beta"}),
            ("package:dist-tag-rm", {"dist-tag": "beta"}),
            ("package:deprecated", {"deprecated": "1.0.0"}),
            ("package:undeprecated", {"deprecated": "1.0.0"}),
            ("package:owner", {"maintainer": "bob"}),
            ("package:star", {"user": "bob"}),
            ("package:unstar", {"user": "bob"}),
            ("package:owner-rm", {"maintainer": "bob"}),
            ("package:unpublish", {"version": "1.1.0"}),
            ("package:unpublish", {"version": "1.0.0"}),
        ]
        # the package hook and the owner hook (alice maintains demo) each get every event
        await hooks_in.wait_for(2 * len(expected))
        assert hooks_in.at("/scope") == [] and hooks_in.at("/other") == []
        for path, secret, owner in (
            ("/package", "package-secret", "alice"),
            ("/owner", "owner-secret", "carol"),
        ):
            got = hooks_in.at(path)
            assert [(d.json["event"], d.json["change"]) for d in got] == expected, path
            for delivery in got:
                assert delivery.signed_with(secret)
                assert not delivery.signed_with("wrong")
                assert delivery.headers["Content-Type"] == "application/json"
                sent = delivery.json
                assert (sent["name"], sent["type"], sent["version"]) == ("demo", "package", "1.0.0")
                assert sent["hookOwner"] == {"username": owner}
                assert isinstance(sent["time"], int) and sent["time"] > 1_600_000_000_000
        first = hooks_in.at("/package")[0].json["payload"]
        assert first["_id"] == "demo" and list(first["versions"]) == ["1.0.0"]
        assert first["versions"]["1.0.0"]["dist"]["tarball"] == f"{r.url}demo/-/demo-1.0.0.tgz"
        deprecated = hooks_in.at("/package")[4].json["payload"]
        assert deprecated["versions"]["1.0.0"]["deprecated"] == "use 1.1.0"
        # the whole-package unpublish sends npmjs's tombstone
        gone = hooks_in.at("/package")[-1].json["payload"]
        assert set(gone) == {"_id", "name", "time"} and gone["time"]["unpublished"]["versions"] == ["1.0.0"]
        # the hook remembers its last delivery
        listed = await _json(await c.get("/-/npm/v1/hooks", headers=r.auth("alice")))
        hook = listed["objects"][0]
        assert hook["delivered"] is True and hook["response_code"] == 200 and hook["last_delivery"]

    _run(tmp_path, scenario)


def test_scoped_packages_reach_scope_hooks(tmp_path: Path) -> None:
    async def scenario(r: InProcessRegistry, hooks_in: Receiver) -> None:
        await r.add_user("alice")
        await r.add_user("bob")
        await _add(r, "bob", "@alice", hooks_in.url + "/scope")
        await _add(r, "bob", "@alice/tool", hooks_in.url + "/tool")
        await r.publish("alice", publish_body("@alice/tool", "1.0.0", registry=r.url))
        await r.publish("alice", publish_body("@alice/other", "1.0.0", registry=r.url))
        await r.publish("alice", publish_body("alice-tool", "1.0.0", registry=r.url))
        await hooks_in.wait_for(3)
        assert [d.json["name"] for d in hooks_in.at("/scope")] == ["@alice/tool", "@alice/other"]
        assert [d.json["name"] for d in hooks_in.at("/tool")] == ["@alice/tool"]
        tarball = hooks_in.at("/tool")[0].json["payload"]["versions"]["1.0.0"]["dist"]["tarball"]
        assert tarball == f"{r.url}@alice/tool/-/tool-1.0.0.tgz"

    _run(tmp_path, scenario)


def test_failing_endpoints_are_retried_and_recorded(tmp_path: Path) -> None:
    async def scenario(r: InProcessRegistry, hooks_in: Receiver) -> None:
        await r.add_user("alice")
        hooks_in.answers = {"/flaky": [500, 502], "/broken": [500, 500, 500, 500], "/gone": [410]}
        flaky = await _add(r, "alice", "demo", hooks_in.url + "/flaky")
        broken = await _add(r, "alice", "demo", hooks_in.url + "/broken")
        gone = await _add(r, "alice", "demo", hooks_in.url + "/gone")
        await r.publish("alice", publish_body("demo", "1.0.0", registry=r.url))
        # flaky: 500, 502, then 200; broken: three attempts (two retries), all 500; gone: 410, not retried
        await hooks_in.wait_for(7)
        assert [len(hooks_in.at(p)) for p in ("/flaky", "/broken", "/gone")] == [3, 3, 1]
        bodies = {d.body for d in hooks_in.at("/flaky")}
        assert len(bodies) == 1  # every attempt sends the same signed body
        codes = {}
        for hook in (flaky, broken, gone):
            found = await _json(
                await r.client.get(f"/-/npm/v1/hooks/hook/{hook['id']}", headers=r.auth("alice"))
            )
            codes[hook["endpoint"].rsplit("/", 1)[1]] = found["response_code"]
        assert codes == {"flaky": 200, "broken": 500, "gone": 410}
        # an endpoint nobody listens on: recorded as response code 0
        closed = await _add(r, "alice", "other", "http://127.0.0.1:9/nothing-here")
        await r.publish("alice", publish_body("other", "1.0.0", registry=r.url))
        path = f"/-/npm/v1/hooks/hook/{closed['id']}"
        for _ in range(200):
            found = await _json(await r.client.get(path, headers=r.auth("alice")))
            if found["delivered"]:
                break
            await asyncio.sleep(0.02)
        assert found["delivered"] is True and found["response_code"] == 0

    _run(tmp_path, scenario)


def test_a_removed_hook_gets_nothing_more(tmp_path: Path) -> None:
    async def scenario(r: InProcessRegistry, hooks_in: Receiver) -> None:
        await r.add_user("alice")
        # deliveries queued while no worker runs (the deliverer stopped) go with their hook
        await r.registry.hook_delivery.stop()
        kept = await _add(r, "alice", "demo", hooks_in.url + "/kept")
        dropped = await _add(r, "alice", "demo", hooks_in.url + "/dropped")
        await r.publish("alice", publish_body("demo", "1.0.0", registry=r.url))
        assert (
            await r.client.delete(f"/-/npm/v1/hooks/hook/{dropped['id']}", headers=r.auth("alice"))
        ).status == 200
        r.registry.hook_delivery.start()
        r.registry.hook_delivery.nudge()
        await hooks_in.wait_for(1)
        assert [d.path for d in hooks_in.got] == ["/kept"]
        assert kept["id"]

    _run(tmp_path, scenario, public_url="https://registry.example.test")


def test_claims_are_exclusive_across_workers(tmp_path: Path) -> None:
    """Two storage objects on one data set stand for two workers: a due delivery goes to one of
    them, comes back only when its lease runs out, and goes for good once finished."""
    from snpm.registry_server.app import build_registry
    from snpm.registry_server.services.permissions import Actor
    from support.registry import Clock, registry_settings

    alice = Actor("alice", "alice@example.test")
    first = build_registry(registry_settings(tmp_path / "data"), now=Clock())
    second = build_registry(registry_settings(tmp_path / "data"), now=Clock())

    async def main() -> None:
        await first.storage.open()
        await second.storage.open()
        try:
            await first.accounts.create_user("alice", alice.email, "password-123")
            body = {"type": "package", "name": "demo", "endpoint": "http://127.0.0.1:9/", "secret": "s"}
            await first.hooks.add(alice, body)
            await first.hooks.add(alice, body)
            await first.packages.publish(alice, "demo", publish_body("demo", "1.0.0"))
            now = 2_000_000_000.0
            one = await first.storage.claim_hook_deliveries(now, 60, 1)
            other = await second.storage.claim_hook_deliveries(now, 60, 10)
            assert len(one) == len(other) == 1 and one[0].id != other[0].id
            assert one[0].attempt == other[0].attempt == 1
            assert await first.storage.claim_hook_deliveries(now + 59, 60, 10) == []
            await first.storage.finish_hook_delivery(one[0].id, one[0].hook.id, "t", 200, None)
            # the other worker "died": its lease runs out and the delivery is claimed again
            again = await first.storage.claim_hook_deliveries(now + 61, 60, 10)
            assert [(d.id, d.attempt) for d in again] == [(other[0].id, 2)]
            await second.storage.finish_hook_delivery(again[0].id, again[0].hook.id, "t", 503, now + 100)
            assert await second.storage.claim_hook_deliveries(now + 99, 60, 10) == []
            last = await second.storage.claim_hook_deliveries(now + 100, 60, 10)
            assert [(d.id, d.attempt) for d in last] == [(other[0].id, 3)]
            await second.storage.finish_hook_delivery(last[0].id, last[0].hook.id, "t", 200, None)
            assert await first.storage.claim_hook_deliveries(now + 10_000, 60, 10) == []
            page = await first.hooks.page(alice, None)
            assert {(h.last_delivery, h.response_code) for h in page.hooks} == {("t", 200)}
        finally:
            await first.storage.close()
            await second.storage.close()

    asyncio.run(main())
