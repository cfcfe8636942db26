"""Package rules without HTTP: owners, immutable versions, document edits, dist-tags."""

from __future__ import annotations

from typing import Any

import pytest

from snpm.registry_server.app import Registry
from snpm.registry_server.services.errors import RegistryError
from snpm.registry_server.services.permissions import Actor
from support.registry import Clock, publish_body, run_with

ALICE = Actor("alice", "alice@example.test")
BOB = Actor("bob", "bob@example.test")
CAROL = Actor("carol", "carol@example.test")


async def _users(registry: Registry) -> None:
    for actor in (ALICE, BOB, CAROL):
        await registry.accounts.create_user(actor.name, actor.email, "password-123")


async def _refused(coro: Any, status: int) -> RegistryError:
    with pytest.raises(RegistryError) as caught:
        await coro
    assert caught.value.status == status, caught.value.message
    return caught.value


def test_first_publish_sets_what_the_server_owns(registry: Registry, clock: Clock) -> None:
    async def scenario() -> dict[str, Any]:
        package = await registry.packages.publish(ALICE, "demo", publish_body("demo", "1.0.0", tag="beta"))
        return package.document

    document = run_with(registry, scenario)
    stamp = "2024-05-01T12:00:00.000Z"
    assert document["maintainers"] == [{"name": "alice", "email": "alice@example.test"}]
    assert document["time"] == {"created": stamp, "1.0.0": stamp, "modified": stamp}
    # a first publish under another tag still gets `latest`
    assert document["dist-tags"] == {"beta": "1.0.0", "latest": "1.0.0"}
    version = document["versions"]["1.0.0"]
    assert version["_npmUser"] == {"name": "alice", "email": "alice@example.test"}
    assert version["dist"]["tarball"] == "demo/-/demo-1.0.0.tgz"
    assert version["dist"]["fileCount"] == 2
    assert document["readme"] == "# demo\n" and document["description"] == "demo for tests"


def test_only_owners_publish_and_owners_are_managed_by_owners(registry: Registry) -> None:
    async def scenario() -> None:
        await _users(registry)
        first = await registry.packages.publish(ALICE, "demo", publish_body("demo", "1.0.0"))
        error = await _refused(registry.packages.publish(BOB, "demo", publish_body("demo", "1.1.0")), 403)
        assert (
            error.message
            == 'You do not have permission to publish "demo". Are you logged in as the correct user?'
        )
        # bob may not make himself an owner
        owners = {"_id": "demo", "_rev": first.rev, "maintainers": [{"name": "alice"}, {"name": "bob"}]}
        await _refused(registry.packages.change(BOB, "demo", owners, first.rev), 403)
        # alice adds bob (his e-mail comes from the user store, not from the body)
        added = await registry.packages.change(ALICE, "demo", owners, first.rev)
        assert added is not None
        assert added.document["maintainers"][1] == {"name": "bob", "email": "bob@example.test"}
        await registry.packages.publish(BOB, "demo", publish_body("demo", "1.1.0"))
        # bob removes alice; now alice is the outsider
        latest = await registry.packages.require("demo")
        await registry.packages.change(
            BOB, "demo", {"_rev": latest.rev, "maintainers": [{"name": "bob"}]}, None
        )
        await _refused(registry.packages.publish(ALICE, "demo", publish_body("demo", "1.2.0")), 403)
        # unknown users and empty owner lists are refused
        latest = await registry.packages.require("demo")
        await _refused(
            registry.packages.change(BOB, "demo", {"maintainers": [{"name": "nobody"}]}, latest.rev), 400
        )
        await _refused(registry.packages.change(BOB, "demo", {"maintainers": []}, latest.rev), 400)

    run_with(registry, scenario)


def test_versions_are_immutable_even_after_unpublish(registry: Registry) -> None:
    async def scenario() -> None:
        await registry.packages.publish(ALICE, "demo", publish_body("demo", "1.0.0"))
        package = await registry.packages.publish(ALICE, "demo", publish_body("demo", "1.1.0"))
        error = await _refused(registry.packages.publish(ALICE, "demo", publish_body("demo", "1.0.0")), 403)
        assert error.message == "You cannot publish over the previously published versions: 1.0.0."
        # unpublish 1.1.0 (npm sends the document without it), then try to reuse the number
        body = {**package.document, "_rev": package.rev}
        body["versions"] = {"1.0.0": package.document["versions"]["1.0.0"]}
        await registry.packages.change(ALICE, "demo", body, package.rev)
        assert await registry.packages.tarball("demo", "demo-1.1.0.tgz") is None
        error = await _refused(registry.packages.publish(ALICE, "demo", publish_body("demo", "1.1.0")), 403)
        assert "1.1.0" in error.message
        # a whole-package unpublish frees the name but not the version numbers
        current = await registry.packages.require("demo")
        await registry.packages.unpublish(ALICE, "demo", current.rev)
        assert await registry.packages.get("demo") is None
        await _refused(registry.packages.publish(BOB, "demo", publish_body("demo", "1.0.0")), 403)
        await registry.packages.publish(BOB, "demo", publish_body("demo", "2.0.0"))

    run_with(registry, scenario)


def test_unpublishing_a_version_moves_its_tags(registry: Registry) -> None:
    async def scenario() -> dict[str, Any]:
        await registry.packages.publish(ALICE, "demo", publish_body("demo", "1.0.0"))
        await registry.packages.publish(ALICE, "demo", publish_body("demo", "1.1.0"))
        package = await registry.packages.publish(
            ALICE, "demo", publish_body("demo", "2.0.0-rc.1", tag="next")
        )
        body = {**package.document, "versions": {"1.0.0": {}, "2.0.0-rc.1": {}}}
        body["dist-tags"] = {"latest": "2.0.0-rc.1"}  # what npm computes (compareLoose over what is left)
        changed = await registry.packages.change(ALICE, "demo", body, package.rev)
        assert changed is not None
        return changed.document

    document = run_with(registry, scenario)
    assert sorted(document["versions"]) == ["1.0.0", "2.0.0-rc.1"]
    assert document["dist-tags"] == {"latest": "2.0.0-rc.1", "next": "2.0.0-rc.1"}


def test_removing_every_version_removes_the_package(registry: Registry) -> None:
    async def scenario() -> None:
        package = await registry.packages.publish(ALICE, "demo", publish_body("demo", "1.0.0"))
        await registry.packages.change(ALICE, "demo", {**package.document, "versions": {}}, package.rev)
        assert await registry.packages.get("demo") is None

    run_with(registry, scenario)


def test_deprecate_and_undeprecate(registry: Registry, clock: Clock) -> None:
    async def scenario() -> None:
        await _users(registry)
        await registry.packages.publish(ALICE, "demo", publish_body("demo", "1.0.0"))
        package = await registry.packages.publish(ALICE, "demo", publish_body("demo", "1.1.0"))
        body = {**package.document, "_rev": package.rev}
        body["versions"] = {v: dict(doc) for v, doc in package.document["versions"].items()}
        body["versions"]["1.0.0"]["deprecated"] = "use 1.1"
        body["versions"]["1.1.0"]["dist"] = {"tarball": "http://evil.example/x.tgz"}  # ignored
        await _refused(registry.packages.change(BOB, "demo", body, None), 403)
        clock.advance(minutes=1)
        changed = await registry.packages.change(ALICE, "demo", body, None)
        assert changed is not None
        assert changed.document["versions"]["1.0.0"]["deprecated"] == "use 1.1"
        assert changed.document["versions"]["1.1.0"]["dist"]["tarball"] == "demo/-/demo-1.1.0.tgz"
        assert changed.document["time"]["modified"] == "2024-05-01T12:01:00.000Z"
        body = {**changed.document, "_rev": changed.rev}
        body["versions"] = {v: dict(doc) for v, doc in changed.document["versions"].items()}
        body["versions"]["1.0.0"]["deprecated"] = ""
        undone = await registry.packages.change(ALICE, "demo", body, None)
        assert undone is not None and "deprecated" not in undone.document["versions"]["1.0.0"]

    run_with(registry, scenario)


def test_a_stale_revision_is_a_conflict(registry: Registry) -> None:
    async def scenario() -> None:
        first = await registry.packages.publish(ALICE, "demo", publish_body("demo", "1.0.0"))
        await registry.packages.publish(ALICE, "demo", publish_body("demo", "1.1.0"))
        await _refused(
            registry.packages.change(ALICE, "demo", {"maintainers": [{"name": "alice"}]}, first.rev), 409
        )
        await _refused(registry.packages.unpublish(ALICE, "demo", first.rev), 409)

    run_with(registry, scenario)


def test_a_put_never_adds_versions(registry: Registry) -> None:
    async def scenario() -> None:
        package = await registry.packages.publish(ALICE, "demo", publish_body("demo", "1.0.0"))
        body = {**package.document, "versions": {**package.document["versions"], "9.9.9": {"name": "demo"}}}
        result = await registry.packages.change(ALICE, "demo", body, package.rev)
        assert result is not None and result.rev == package.rev and "9.9.9" not in result.document["versions"]

    run_with(registry, scenario)


def test_stars_change_only_the_callers_own_entry(registry: Registry) -> None:
    async def scenario() -> None:
        package = await registry.packages.publish(ALICE, "demo", publish_body("demo", "1.0.0"))
        starred = await registry.packages.change(
            BOB, "demo", {"_rev": package.rev, "users": {"bob": True, "x": True}}, None
        )
        assert starred is not None and starred.document["users"] == {"bob": True}
        unstarred = await registry.packages.change(BOB, "demo", {"users": {}}, None)
        assert unstarred is not None and unstarred.document["users"] == {}

    run_with(registry, scenario)


def test_dist_tags(registry: Registry) -> None:
    async def scenario() -> None:
        await registry.packages.publish(ALICE, "demo", publish_body("demo", "1.0.0"))
        await registry.packages.publish(ALICE, "demo", publish_body("demo", "1.1.0"))
        assert await registry.packages.set_tag(ALICE, "demo", "stable", "1.0.0") == {
            "latest": "1.1.0",
            "stable": "1.0.0",
        }
        await _refused(registry.packages.set_tag(BOB, "demo", "stable", "1.1.0"), 403)
        await _refused(registry.packages.set_tag(ALICE, "demo", "stable", "7.0.0"), 404)
        await _refused(registry.packages.set_tag(ALICE, "demo", "1.x", "1.0.0"), 400)
        await _refused(registry.packages.remove_tag(ALICE, "demo", "latest"), 400)
        await _refused(registry.packages.remove_tag(ALICE, "demo", "nope"), 404)
        assert await registry.packages.remove_tag(ALICE, "demo", "stable") == {"latest": "1.1.0"}
        # moving latest refreshes the top-level fields from the new latest version
        package = await registry.packages.publish(
            ALICE, "demo", publish_body("demo", "2.0.0", tag="next", manifest={"description": "two"})
        )
        assert package.document["description"] == "demo for tests"
        await registry.packages.set_tag(ALICE, "demo", "latest", "2.0.0")
        assert (await registry.packages.require("demo")).document["description"] == "two"

    run_with(registry, scenario)


def test_anonymous_and_read_only_callers_cannot_write(registry: Registry) -> None:
    reader = Actor("alice", "alice@example.test", token_key="k", read_only=True)

    async def scenario() -> None:
        await _refused(registry.packages.publish(None, "demo", publish_body("demo", "1.0.0")), 401)
        await _refused(registry.packages.publish(reader, "demo", publish_body("demo", "1.0.0")), 403)
        await registry.packages.publish(ALICE, "demo", publish_body("demo", "1.0.0"))
        await _refused(registry.packages.set_tag(reader, "demo", "x", "1.0.0"), 403)

    run_with(registry, scenario)


def test_names_valid_only_for_old_packages_cannot_create_packages(registry: Registry) -> None:
    async def scenario() -> None:
        error = await _refused(registry.packages.publish(ALICE, "Demo", publish_body("Demo", "1.0.0")), 400)
        assert "Invalid package name" in error.message

    run_with(registry, scenario)


def test_tarball_delete_is_refused_for_live_versions(registry: Registry) -> None:
    async def scenario() -> None:
        package = await registry.packages.publish(ALICE, "demo", publish_body("demo", "1.0.0"))
        await _refused(registry.packages.remove_tarball(ALICE, "demo", "demo-1.0.0.tgz", package.rev), 403)
        await registry.packages.remove_tarball(
            ALICE, "demo", "demo-0.0.1.tgz", package.rev
        )  # nothing there: ok
        assert (await registry.packages.require("demo")).rev == package.rev

    run_with(registry, scenario)
