"""Registry hooks without HTTP: the events a package change raises, the hook service's rules, and the
deliverer (signing, payload, retries, restricted packages) with a recording sender."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from snpm.json_types import JsonObject
from snpm.registry_server.app import Registry
from snpm.registry_server.services.errors import RegistryError
from snpm.registry_server.services.hook_delivery import (
    DeliveryPolicy,
    HookDeliverer,
    WebhookSender,
    delivery_body,
    signature,
)
from snpm.registry_server.services.hooks import hook_json
from snpm.registry_server.services.permissions import Actor
from snpm.registry_server.storage.hooks import HookDelivery, HookRecord, package_events, tombstone
from support.registry import Clock, publish_body, run_with

ALICE = Actor("alice", "alice@example.test")
BOB = Actor("bob", "bob@example.test")
READ_ONLY = Actor("alice", "alice@example.test", token_key="k", read_only=True)


def _doc(
    versions: Mapping[str, JsonObject] | None = None,
    tags: Mapping[str, str] | None = None,
    people: tuple[str, ...] = ("alice",),
    stars: tuple[str, ...] = (),
    **extra: Any,
) -> JsonObject:
    return {
        "name": "demo",
        "dist-tags": dict(tags or {}),
        "versions": {v: dict(d) for v, d in (versions or {}).items()},
        "maintainers": [{"name": p, "email": f"{p}@example.test"} for p in people],
        "users": dict.fromkeys(stars, True),
        **extra,
    }


V1: JsonObject = {"version": "1.0.0"}
V2: JsonObject = {"version": "2.0.0"}
ONE = _doc({"1.0.0": V1}, {"latest": "1.0.0"})
TWO = _doc({"1.0.0": V1, "2.0.0": V2}, {"latest": "2.0.0"})


def _events(before: JsonObject | None, after: JsonObject | None) -> list[tuple[str, JsonObject]]:
    return [(e.event, e.change) for e in package_events(before, after)]


# ── the events of a change ──

EVENT_CASES: list[tuple[str, JsonObject | None, JsonObject | None, list[tuple[str, JsonObject]]]] = [
    ("first publish", None, ONE, [("package:publish", {"version": "1.0.0", "dist-tag": "latest"})]),
    ("publish to latest", ONE, TWO, [("package:publish", {"version": "2.0.0", "dist-tag": "latest"})]),
    (
        "publish under another tag",
        ONE,
        _doc({"1.0.0": V1, "2.0.0": V2}, {"latest": "1.0.0", "next": "2.0.0"}),
        [("package:publish", {"version": "2.0.0", "dist-tag": "next"})],
    ),
    (
        "unpublish a version (latest falls back: part of the unpublish)",
        TWO,
        ONE,
        [("package:unpublish", {"version": "2.0.0"})],
    ),
    (
        "unpublish the whole package",
        TWO,
        None,
        [("package:unpublish", {"version": "1.0.0"}), ("package:unpublish", {"version": "2.0.0"})],
    ),
    (
        "dist-tag add and move",
        TWO,
        _doc({"1.0.0": V1, "2.0.0": V2}, {"latest": "1.0.0", "beta": "2.0.0"}),
        [("package:dist-tag", {"dist-tag": "latest"}), ("package:dist-tag", {"dist-tag": "beta"})],
    ),
    (
        "dist-tag rm",
        _doc({"1.0.0": V1}, {"latest": "1.0.0", "beta": "1.0.0"}),
        ONE,
        [("package:dist-tag-rm", {"dist-tag": "beta"})],
    ),
    (
        "deprecate two versions",
        TWO,
        _doc(
            {"1.0.0": {**V1, "deprecated": "old"}, "2.0.0": {**V2, "deprecated": "old"}}, {"latest": "2.0.0"}
        ),
        [("package:deprecated", {"deprecated": "1.0.0"}), ("package:deprecated", {"deprecated": "2.0.0"})],
    ),
    (
        "undeprecate",
        _doc({"1.0.0": {**V1, "deprecated": "old"}}, {"latest": "1.0.0"}),
        ONE,
        [("package:undeprecated", {"deprecated": "1.0.0"})],
    ),
    (
        "owner add and rm",
        ONE,
        _doc({"1.0.0": V1}, {"latest": "1.0.0"}, people=("bob",)),
        [("package:owner", {"maintainer": "bob"}), ("package:owner-rm", {"maintainer": "alice"})],
    ),
    (
        "star, unstar",
        _doc({"1.0.0": V1}, {"latest": "1.0.0"}, stars=("carol",)),
        _doc({"1.0.0": V1}, {"latest": "1.0.0"}, stars=("dave",)),
        [("package:star", {"user": "dave"}), ("package:unstar", {"user": "carol"})],
    ),
    ("anything else", ONE, _doc({"1.0.0": V1}, {"latest": "1.0.0"}, readme="new"), [("package:change", {})]),
]


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [case[1:] for case in EVENT_CASES],
    ids=[case[0] for case in EVENT_CASES],
)
def test_the_events_of_a_change(
    before: JsonObject | None, after: JsonObject | None, expected: list[tuple[str, JsonObject]]
) -> None:
    assert _events(before, after) == expected


def test_a_deleted_package_leaves_a_tombstone() -> None:
    doc = _doc({"1.0.0": V1}, {"latest": "1.0.0"}, time={"created": "c", "1.0.0": "t"})
    assert tombstone("demo", doc, "now") == {
        "_id": "demo",
        "name": "demo",
        "time": {"created": "c", "1.0.0": "t", "unpublished": {"time": "now", "versions": ["1.0.0"]}},
    }


# ── the hook service ──


async def _users(registry: Registry) -> None:
    for actor in (ALICE, BOB):
        await registry.accounts.create_user(actor.name, actor.email, "password-123")


async def _status(coro: Any) -> int:
    with pytest.raises(RegistryError) as caught:
        await coro
    return caught.value.status


def _body(name: str, kind: str = "package", endpoint: str = "https://hooks.example.test/in") -> JsonObject:
    return {"type": kind, "name": name, "endpoint": endpoint, "secret": "sekrit"}


def test_adding_hooks_validates_the_request(registry: Registry, clock: Clock) -> None:
    async def scenario() -> None:
        await _users(registry)
        hooks = registry.hooks
        added = await hooks.add(ALICE, _body("demo"))
        assert len(added.id) == 8 and added.id.isalnum()
        assert hook_json(added) == {
            "id": added.id,
            "username": "alice",
            "name": "demo",
            "endpoint": "https://hooks.example.test/in",
            "secret": "sekrit",
            "type": "package",
            "created": "2024-05-01T12:00:00.000Z",
            "updated": "2024-05-01T12:00:00.000Z",
            "deleted": False,
            "delivered": False,
            "last_delivery": None,
            "response_code": 0,
            "status": "active",
        }
        # scopes are kept with their @, owners without their ~ (as libnpmhook sends them)
        assert (await hooks.add(ALICE, _body("@acme", "scope"))).name == "@acme"
        assert (await hooks.add(ALICE, _body("acme", "scope"))).name == "@acme"
        assert (await hooks.add(ALICE, _body("~bob", "owner"))).name == "bob"
        assert (await hooks.add(ALICE, _body("@acme/tool"))).name == "@acme/tool"
        # refused
        assert await _status(hooks.add(ALICE, _body("demo", "user"))) == 400
        assert await _status(hooks.add(ALICE, {**_body("demo"), "name": ""})) == 400
        assert await _status(hooks.add(ALICE, _body("Bad Name!"))) == 400
        assert await _status(hooks.add(ALICE, _body("@acme"))) == 400  # not a package name
        assert await _status(hooks.add(ALICE, _body("@a/b", "scope"))) == 400
        assert await _status(hooks.add(ALICE, _body("nobody", "owner"))) == 404
        for endpoint in ("ftp://x.test/", "not a url", "http://", "/relative"):
            assert await _status(hooks.add(ALICE, _body("demo", endpoint=endpoint))) == 400
        assert await _status(hooks.add(ALICE, {**_body("demo"), "secret": ""})) == 400
        assert await _status(hooks.add(ALICE, {**_body("demo"), "secret": 7})) == 400
        assert await _status(hooks.add(None, _body("demo"))) == 401
        assert await _status(hooks.add(READ_ONLY, _body("demo"))) == 403

    run_with(registry, scenario)


def test_each_user_has_at_most_the_limit_of_hooks(registry: Registry) -> None:
    async def scenario() -> None:
        await _users(registry)
        registry.hooks.limit = 2
        await registry.hooks.add(ALICE, _body("a"))
        await registry.hooks.add(ALICE, _body("b"))
        assert await _status(registry.hooks.add(ALICE, _body("c"))) == 403
        await registry.hooks.add(BOB, _body("c"))  # the limit is per user

    run_with(registry, scenario)


def test_users_see_and_change_only_their_own_hooks(registry: Registry, clock: Clock) -> None:
    async def scenario() -> None:
        await _users(registry)
        hooks = registry.hooks
        first = await hooks.add(ALICE, _body("demo"))
        second = await hooks.add(ALICE, _body("@acme", "scope"))
        third = await hooks.add(ALICE, _body("~bob", "owner"))
        theirs = await hooks.add(BOB, _body("demo"))
        page = await hooks.page(ALICE, None)
        assert [h.id for h in page.hooks] == [first.id, second.id, third.id] and page.total == 3
        assert [h.id for h in (await hooks.page(ALICE, "demo")).hooks] == [first.id]
        assert [h.id for h in (await hooks.page(ALICE, "@acme")).hooks] == [second.id]
        assert [h.id for h in (await hooks.page(ALICE, "~bob")).hooks] == [third.id]
        sliced = await hooks.page(ALICE, None, offset=1, limit=1)
        assert [h.id for h in sliced.hooks] == [second.id] and sliced.total == 3
        assert (await hooks.get(ALICE, first.id)) == first
        # another user's hook is a 404, like a missing one
        assert await _status(hooks.get(BOB, first.id)) == 404
        assert await _status(hooks.update(BOB, first.id, _body("x"))) == 404
        assert await _status(hooks.remove(BOB, first.id)) == 404
        assert await _status(hooks.get(ALICE, "nope1234")) == 404
        clock.advance(minutes=5)
        changed = await hooks.update(ALICE, first.id, {"endpoint": "http://127.0.0.1:9/x", "secret": "new"})
        assert (changed.endpoint, changed.secret, changed.created, changed.updated) == (
            "http://127.0.0.1:9/x",
            "new",
            "2024-05-01T12:00:00.000Z",
            "2024-05-01T12:05:00.000Z",
        )
        assert await _status(hooks.update(ALICE, first.id, {"endpoint": "http://x.test/"})) == 400
        removed = await hooks.remove(ALICE, first.id)
        assert hook_json(removed, deleted=True)["deleted"] is True
        assert await _status(hooks.remove(ALICE, first.id)) == 404
        assert [h.id for h in (await hooks.page(BOB, None)).hooks] == [theirs.id]

    run_with(registry, scenario)


# ── the deliverer ──


@dataclass
class Recorder:
    """A WebhookSender answering from a script of statuses (then 200)."""

    statuses: list[int] = field(default_factory=list)
    sent: list[tuple[str, bytes, dict[str, str]]] = field(default_factory=list)
    closed: bool = False

    async def post(self, url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> int:
        self.sent.append((url, body, dict(headers)))
        return self.statuses.pop(0) if self.statuses else 200

    async def close(self) -> None:
        self.closed = True


def _deliverer(registry: Registry, recorder: Recorder, **policy: Any) -> HookDeliverer:
    def make() -> WebhookSender:
        return recorder

    return HookDeliverer(
        registry.storage,
        make,
        Clock(),
        public_url="https://registry.example.test/",
        policy=DeliveryPolicy(retry_delays=(0.0, 0.0), **policy),
    )


def test_a_publish_is_delivered_signed(registry: Registry) -> None:
    recorder = Recorder()

    async def scenario() -> None:
        await _users(registry)
        hook = await registry.hooks.add(BOB, _body("demo", endpoint="http://127.0.0.1:9/in"))
        await registry.packages.publish(ALICE, "demo", publish_body("demo", "1.0.0"))
        deliverer = _deliverer(registry, recorder)
        assert await deliverer.run_once() == 1
        assert await deliverer.run_once() == 0  # sent once
        url, body, headers = recorder.sent[0]
        assert url == "http://127.0.0.1:9/in"
        assert headers["x-npm-signature"] == "sha256=" + hmac.new(b"sekrit", body, hashlib.sha256).hexdigest()
        assert headers["content-type"] == "application/json"
        sent = json.loads(body)
        assert list(sent) == ["event", "name", "type", "version", "hookOwner", "payload", "change", "time"]
        assert sent["event"] == "package:publish" and sent["name"] == "demo" and sent["type"] == "package"
        assert sent["version"] == "1.0.0" and sent["hookOwner"] == {"username": "bob"}
        assert sent["change"] == {"version": "1.0.0", "dist-tag": "latest"}
        assert isinstance(sent["time"], int)
        payload = sent["payload"]
        assert payload["_id"] == "demo" and payload["_rev"].startswith("1-")
        assert payload["versions"]["1.0.0"]["dist"]["tarball"] == (
            "https://registry.example.test/demo/-/demo-1.0.0.tgz"
        )
        found = await registry.hooks.get(BOB, hook.id)
        assert (found.last_delivery, found.response_code) == ("2024-05-01T12:00:00.000Z", 200)
        assert hook_json(found)["delivered"] is True
        await deliverer.stop()
        assert recorder.closed

    run_with(registry, scenario)


def test_failed_deliveries_are_retried_then_dropped(registry: Registry) -> None:
    # a 500 and a refused connection are retried; a 404 ends the delivery at once
    recorder = Recorder([500, 0, 503, 404])

    async def scenario() -> None:
        await _users(registry)
        hook = await registry.hooks.add(ALICE, _body("demo"))
        await registry.packages.publish(ALICE, "demo", publish_body("demo", "1.0.0"))
        deliverer = _deliverer(registry, recorder)
        for _ in range(3):  # three attempts, the policy's two retries
            assert await deliverer.run_once() == 1
        assert await deliverer.run_once() == 0  # dropped after the last retry
        assert (await registry.hooks.get(ALICE, hook.id)).response_code == 503
        await registry.packages.set_tag(ALICE, "demo", "next", "1.0.0")
        assert await deliverer.run_once() == 1
        assert await deliverer.run_once() == 0  # a 404 is not retried
        assert (await registry.hooks.get(ALICE, hook.id)).response_code == 404
        assert len(recorder.sent) == 4
        # every attempt carried the same body, signed the same way
        assert recorder.sent[0][1] == recorder.sent[2][1]

    run_with(registry, scenario)


def test_a_restricted_package_reaches_only_hooks_whose_owner_may_read_it(registry: Registry) -> None:
    recorder = Recorder()

    async def scenario() -> None:
        await _users(registry)
        await registry.hooks.add(ALICE, _body("@alice", "scope", "http://127.0.0.1:9/alice"))
        await registry.hooks.add(BOB, _body("@alice", "scope", "http://127.0.0.1:9/bob"))
        body = publish_body("@alice/secret", "1.0.0")
        body["access"] = "restricted"
        await registry.packages.publish(ALICE, "@alice/secret", body)
        await registry.packages.publish(ALICE, "@alice/open", publish_body("@alice/open", "1.0.0"))
        deliverer = _deliverer(registry, recorder)
        assert await deliverer.run_once() == 4
        got = sorted((url, json.loads(body)["name"]) for url, body, _ in recorder.sent)
        assert got == [
            ("http://127.0.0.1:9/alice", "@alice/open"),
            ("http://127.0.0.1:9/alice", "@alice/secret"),
            ("http://127.0.0.1:9/bob", "@alice/open"),
        ]
        assert await deliverer.run_once() == 0

    run_with(registry, scenario)


def test_changes_nobody_watches_queue_nothing(registry: Registry) -> None:
    async def scenario() -> None:
        await _users(registry)
        await registry.hooks.add(ALICE, _body("other"))
        await registry.hooks.add(ALICE, _body("@acme", "scope"))
        await registry.hooks.add(ALICE, _body("~bob", "owner"))
        await registry.packages.publish(ALICE, "demo", publish_body("demo", "1.0.0"))
        await registry.packages.publish(ALICE, "@other/demo", publish_body("@other/demo", "1.0.0"))
        assert await registry.storage.claim_hook_deliveries(2e9, 60, 10) == []

    run_with(registry, scenario)


def test_the_body_without_a_public_url_keeps_relative_tarballs() -> None:
    hook = HookRecord("abcd1234", "alice", "package", "demo", "http://x.test/", "s", "c", "u")
    payload = {"_id": "demo", "versions": {"1.0.0": {"dist": {"tarball": "demo/-/demo-1.0.0.tgz"}}}}
    delivery = HookDelivery(
        1,
        1,
        hook,
        "demo",
        "public",
        "package:dist-tag",
        {"dist-tag": "next"},
        5,
        json.dumps(payload).encode(),
    )
    body = json.loads(delivery_body(delivery, None))
    assert body["payload"] == payload and body["change"] == {"dist-tag": "next"} and body["time"] == 5
    absolute = json.loads(delivery_body(delivery, "http://r.test"))
    assert (
        absolute["payload"]["versions"]["1.0.0"]["dist"]["tarball"] == "http://r.test/demo/-/demo-1.0.0.tgz"
    )
    assert signature("s", b"{}") == "sha256=" + hmac.new(b"s", b"{}", hashlib.sha256).hexdigest()
