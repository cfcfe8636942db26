"""Orgs, teams, grants and restricted packages through the services (no HTTP)."""

from __future__ import annotations

from typing import Any

import pytest

from snpm.registry_server.app import Registry
from snpm.registry_server.services.errors import RegistryError
from snpm.registry_server.services.permissions import Actor
from support.registry import publish_body, run_with

ALICE = Actor("alice", "alice@example.test")
BOB = Actor("bob", "bob@example.test")
CAROL = Actor("carol", "carol@example.test")


async def _refused(coro: Any, status: int) -> RegistryError:
    with pytest.raises(RegistryError) as caught:
        await coro
    assert caught.value.status == status, caught.value.message
    return caught.value


async def _setup(registry: Registry) -> None:
    for actor in (ALICE, BOB, CAROL):
        await registry.accounts.create_user(actor.name, actor.email, "password-123")
    await registry.orgs.create("acme", "alice")


def _restricted(name: str, version: str = "1.0.0") -> dict[str, Any]:
    body = publish_body(name, version)
    body["access"] = "restricted"
    return body


def test_org_roles_and_the_developers_team(registry: Registry) -> None:
    async def scenario() -> None:
        await _setup(registry)
        orgs = registry.orgs
        assert await orgs.members(ALICE, "acme") == {"alice": "owner"}
        assert [t.name for t in await orgs.teams(ALICE, "acme")] == ["developers"]
        assert await orgs.team_members(ALICE, "acme", "developers") == ["alice"]
        # new members join the developers team
        assert await orgs.set_member(ALICE, "@acme", "@bob", None) == {"alice": "owner", "bob": "developer"}
        assert await orgs.team_members(ALICE, "acme", "developers") == ["alice", "bob"]
        # a developer manages nothing, and a non-member sees nothing
        await _refused(orgs.set_member(BOB, "acme", "carol", "developer"), 403)
        await _refused(orgs.members(CAROL, "acme"), 403)
        await _refused(orgs.members(ALICE, "nope"), 404)
        # archaic role names, invalid roles, unknown users
        assert (await orgs.set_member(ALICE, "acme", "carol", "team-admin"))["carol"] == "admin"
        await _refused(orgs.set_member(ALICE, "acme", "carol", "boss"), 400)
        await _refused(orgs.set_member(ALICE, "acme", "nobody", "developer"), 404)
        # admins manage developers and admins, not owners
        await _refused(orgs.set_member(CAROL, "acme", "bob", "owner"), 403)
        await _refused(orgs.set_member(CAROL, "acme", "alice", "developer"), 403)
        assert (await orgs.set_member(CAROL, "acme", "bob", "admin"))["bob"] == "admin"
        await _refused(orgs.remove_member(CAROL, "acme", "alice"), 403)
        # the last owner stays
        await _refused(orgs.set_member(ALICE, "acme", "alice", "admin"), 400)
        await _refused(orgs.remove_member(ALICE, "acme", "alice"), 400)
        await orgs.set_member(ALICE, "acme", "bob", "owner")
        assert (await orgs.remove_member(BOB, "acme", "alice")) == {"bob": "owner", "carol": "admin"}
        # anyone may leave; leaving drops team memberships
        await orgs.remove_member(CAROL, "acme", "carol")
        assert await orgs.team_members(BOB, "acme", "developers") == ["bob"]
        await _refused(orgs.remove_member(BOB, "acme", "carol"), 404)

    run_with(registry, scenario)


def test_teams_need_managers_and_members(registry: Registry) -> None:
    async def scenario() -> None:
        await _setup(registry)
        orgs = registry.orgs
        await orgs.set_member(ALICE, "acme", "bob", "developer")
        team = await orgs.create_team(ALICE, "acme", "core", "the core team")
        assert (team.org, team.name, team.description) == ("acme", "core", "the core team")
        await _refused(orgs.create_team(ALICE, "acme", "core", ""), 409)
        await _refused(orgs.create_team(ALICE, "acme", "Bad Name", ""), 400)
        await _refused(orgs.create_team(BOB, "acme", "mine", ""), 403)
        await orgs.add_team_member(ALICE, "acme", "core", "bob")
        await _refused(orgs.add_team_member(ALICE, "acme", "core", "carol"), 400)  # not an org member
        await _refused(orgs.add_team_member(ALICE, "acme", "core", "nobody"), 404)
        await _refused(orgs.add_team_member(BOB, "acme", "core", "alice"), 403)
        assert await orgs.team_members(BOB, "acme", "core") == ["bob"]
        await orgs.remove_team_member(ALICE, "acme", "core", "bob")
        await _refused(orgs.remove_team_member(ALICE, "acme", "core", "bob"), 404)
        await _refused(orgs.remove_team(ALICE, "acme", "developers"), 403)
        await orgs.remove_team(ALICE, "acme", "core")
        await _refused(orgs.remove_team(ALICE, "acme", "core"), 404)

    run_with(registry, scenario)


def test_users_and_orgs_share_one_namespace(registry: Registry) -> None:
    async def scenario() -> None:
        await _setup(registry)
        await _refused(registry.orgs.create("bob", "alice"), 409)  # a user's name
        await _refused(registry.orgs.create("acme", "alice"), 409)
        await _refused(registry.accounts.create_user("acme", "x@example.test", "password-123"), 409)
        await _refused(registry.orgs.create("x", "nobody"), 404)
        # a name that is the scope of existing packages cannot be signed up for: its owner would
        # own packages others published there
        await registry.packages.publish(BOB, "@corp/lib", publish_body("@corp/lib", "1.0.0"))
        await _refused(registry.accounts.create_user("corp", "c@example.test", "password-123"), 409)
        assert (
            await registry.accounts.create_user("corporate", "c@example.test", "password-123")
        ).name == "corporate"

    run_with(registry, scenario)


def test_scopes_decide_who_creates_packages(registry: Registry) -> None:
    async def scenario() -> None:
        await _setup(registry)
        packages = registry.packages
        await packages.publish(ALICE, "@alice/tool", publish_body("@alice/tool", "1.0.0"))
        await _refused(packages.publish(BOB, "@alice/other", publish_body("@alice/other", "1.0.0")), 403)
        await _refused(packages.publish(BOB, "@acme/x", publish_body("@acme/x", "1.0.0")), 403)
        # nobody owns @free: the first publisher's package, then its maintainers'
        await packages.publish(BOB, "@free/x", publish_body("@free/x", "1.0.0"))
        await _refused(packages.publish(CAROL, "@free/x", publish_body("@free/x", "1.1.0")), 403)
        # an org member creates; the developers team may then write it
        await registry.orgs.set_member(ALICE, "acme", "bob", "developer")
        await registry.orgs.set_member(ALICE, "acme", "carol", "developer")
        await packages.publish(BOB, "@acme/x", publish_body("@acme/x", "1.0.0"))
        assert [(g.team, g.permission) for g in await registry.storage.package_teams("@acme/x")] == [
            ("developers", "read-write")
        ]
        await packages.publish(CAROL, "@acme/x", publish_body("@acme/x", "1.1.0"))
        # the scope owner writes anything in the user scope (even when not a maintainer)
        await registry.packages.change(ALICE, "@alice/tool", {"maintainers": [{"name": "bob"}]}, None)
        await packages.publish(ALICE, "@alice/tool", publish_body("@alice/tool", "1.1.0"))
        # restricted needs a scope
        body = publish_body("plain", "1.0.0")
        body["access"] = "restricted"
        await _refused(packages.publish(ALICE, "plain", body), 400)

    run_with(registry, scenario)


def test_restricted_packages_are_invisible_without_access(registry: Registry) -> None:
    async def scenario() -> None:
        await _setup(registry)
        packages, access, orgs = registry.packages, registry.access, registry.orgs
        await packages.publish(ALICE, "@acme/secret", _restricted("@acme/secret"))
        stored = await packages.require("@acme/secret")
        assert stored.access == "restricted"
        for actor in (None, BOB):
            await _refused(packages.readable(actor, "@acme/secret"), 404)
            assert await packages.visible_revision(actor, "@acme/secret") is None
            assert await packages.visible_tarball(actor, "@acme/secret", "secret-1.0.0.tgz") is None
            await _refused(access.collaborators(actor, "@acme/secret"), 404)
        # writing is a 404 too: the package does not exist for bob
        await _refused(packages.publish(BOB, "@acme/secret", publish_body("@acme/secret", "1.1.0")), 404)
        # a team grant opens it, read-only first
        await orgs.set_member(ALICE, "acme", "bob", "developer")
        await orgs.create_team(ALICE, "acme", "readers", "")
        await orgs.add_team_member(ALICE, "acme", "readers", "bob")
        await orgs.remove_team_member(ALICE, "acme", "developers", "bob")
        await _refused(packages.readable(BOB, "@acme/secret"), 404)
        await access.grant(ALICE, "acme", "readers", "@acme/secret", "read-only")
        assert (await packages.readable(BOB, "@acme/secret")).name == "@acme/secret"
        record = await packages.visible_tarball(BOB, "@acme/secret", "secret-1.0.0.tgz")
        assert record is not None and record.restricted
        await _refused(packages.publish(BOB, "@acme/secret", publish_body("@acme/secret", "1.1.0")), 403)
        assert await access.collaborators(BOB, "@acme/secret") == {"alice": "write", "bob": "read"}
        assert await access.team_packages(BOB, "acme", "readers") == {"@acme/secret": "read"}
        await access.grant(ALICE, "acme", "readers", "@acme/secret", "read-write")
        await packages.publish(BOB, "@acme/secret", publish_body("@acme/secret", "1.1.0"))
        # only managers grant, only valid permissions, only existing teams
        await _refused(access.grant(BOB, "acme", "readers", "@acme/secret", "read-only"), 403)
        await _refused(access.grant(ALICE, "acme", "readers", "@acme/secret", "admin"), 400)
        await _refused(access.grant(ALICE, "acme", "nope", "@acme/secret", "read-only"), 404)
        await access.revoke(ALICE, "acme", "readers", "@acme/secret")
        await _refused(access.revoke(ALICE, "acme", "readers", "@acme/secret"), 404)
        await _refused(packages.readable(BOB, "@acme/secret"), 404)
        # visibility: admin only; restricted only for scoped names
        assert await access.visibility(ALICE, "@acme/secret") is False
        await _refused(access.set_status(BOB, "@acme/secret", "public"), 404)
        assert await access.set_status(ALICE, "@acme/secret", "public") is True
        assert (await packages.readable(None, "@acme/secret")).access == "public"
        assert await access.set_status(ALICE, "@acme/secret", "private") is False
        await packages.publish(ALICE, "plain", publish_body("plain", "1.0.0"))
        await _refused(access.set_status(ALICE, "plain", "restricted"), 400)

    run_with(registry, scenario)


def test_package_listings_hide_what_the_asker_may_not_read(registry: Registry) -> None:
    async def scenario() -> None:
        await _setup(registry)
        packages, access, orgs = registry.packages, registry.access, registry.orgs
        await orgs.set_member(ALICE, "acme", "bob", "developer")
        await packages.publish(ALICE, "@acme/open", publish_body("@acme/open", "1.0.0"))
        await packages.publish(ALICE, "@acme/secret", _restricted("@acme/secret"))
        await packages.publish(BOB, "bobs-tool", publish_body("bobs-tool", "1.0.0"))
        await _refused(access.org_packages(None, "bob"), 404)  # npm then asks for the user's packages
        assert await access.org_packages(None, "acme") == {"@acme/open": "write"}
        assert await access.org_packages(BOB, "acme") == {"@acme/open": "write", "@acme/secret": "write"}
        assert await access.user_packages(BOB, "bob") == {
            "@acme/open": "write",
            "@acme/secret": "write",
            "bobs-tool": "write",
        }
        assert await access.user_packages(CAROL, "bob") == {"@acme/open": "write", "bobs-tool": "write"}
        assert await access.user_packages(None, "alice") == {"@acme/open": "write"}
        await _refused(access.user_packages(None, "nobody"), 404)
        # stars of restricted packages are hidden too
        for name in ("@acme/secret", "bobs-tool"):
            package = await packages.readable(BOB, name)
            await packages.change(BOB, name, {"_id": name, "_rev": package.rev, "users": {"bob": True}}, None)
        assert await access.starred_by(BOB, "bob") == ["@acme/secret", "bobs-tool"]
        assert await access.starred_by(CAROL, "bob") == ["bobs-tool"]
        # a fully unpublished package takes its grants and index rows with it
        secret = await packages.require("@acme/secret")
        await packages.unpublish(ALICE, "@acme/secret", secret.rev)
        assert await registry.storage.package_teams("@acme/secret") == []
        assert await access.starred_by(BOB, "bob") == ["bobs-tool"]

    run_with(registry, scenario)
