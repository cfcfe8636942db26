"""Org and team pages: who sees what (packages for everyone as far as they may read them, the roster
and teams for members only), and the management forms for owners and admins."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pyotp

from registry_server.web.browser import website


def test_org_pages_and_management(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with website(tmp_path) as site:
            registry = site.registry.registry
            alice = await site.person("alice")
            bob = await site.person("bob")
            carol = await site.person("carol")
            await registry.orgs.create("acme", "alice")  # `snpm-registry org create acme --owner alice`
            await site.publish("alice", "@acme/public-lib", "1.0.0", description="for everyone")
            await site.publish(
                "alice", "@acme/internal", "1.0.0", description="members only", access="restricted"
            )
            anonymous = site.browser()

            # everyone: the org's public packages only, no roster
            for browser in (anonymous, carol):
                page = await browser.get("/-/web/org/acme")
                assert page.status == 200 and "@acme/public-lib" in page.text
                assert "@acme/internal" not in page.text and "members only" not in page.text
                assert "Members and teams are visible to members" in page.text
                assert "<h2>Members" not in page.text and "<h2>Teams" not in page.text
            assert (await anonymous.get("/-/web/org/acme/team/developers")).status == 403
            assert (await carol.get("/-/web/org/acme/team/developers")).status == 403
            assert (await anonymous.get("/-/web/org/nope")).status == 404
            # a user page of an org's name leads to the org
            to_org = await anonymous.get("/-/web/user/acme")
            assert to_org.status == 303 and to_org.location == "/-/web/org/acme"
            # a scoped package links to its org
            assert 'href="/-/web/org/acme"' in (await anonymous.get("/-/web/package/@acme/public-lib")).text

            # the owner: everything, and the forms
            own = await alice.get("/-/web/org/acme")
            assert "@acme/internal" in own.text and "you are an <strong>owner</strong>" in own.text
            assert "Add a member or change a role" in own.text and "Create a team" in own.text
            added = await alice.submit(
                "/-/web/org/acme", "/-/web/org/acme/members", {"user": "bob", "role": "developer"}
            )
            assert added.status == 303 and added.location == "/-/web/org/acme?done=member"
            assert "The member was saved." in (await alice.get(added.location)).text
            missing = await alice.submit(
                "/-/web/org/acme", "/-/web/org/acme/members", {"user": "ghost", "role": "developer"}
            )
            assert missing.status == 404 and "User not found: ghost" in missing.text
            team = await alice.submit(
                "/-/web/org/acme", "/-/web/org/acme/teams", {"name": "core", "description": "the <core> team"}
            )
            assert team.status == 303 and team.location == "/-/web/org/acme/team/core?done=team-created"
            bad_team = await alice.submit("/-/web/org/acme", "/-/web/org/acme/teams", {"name": "Bad Name!"})
            assert bad_team.status == 400 and "Invalid team name" in bad_team.text
            assert (
                await alice.submit(
                    "/-/web/org/acme/team/core", "/-/web/org/acme/team/core/members", {"user": "bob"}
                )
            ).status == 303
            assert (
                await alice.submit(
                    "/-/web/org/acme/team/core", "/-/web/org/acme/team/core/members", {"user": "carol"}
                )
            ).status == 400  # not a member of the org
            granted = await alice.submit(
                "/-/web/org/acme/team/core",
                "/-/web/org/acme/team/core/packages",
                {"package": "@acme/internal", "permission": "read-only"},
            )
            assert granted.status == 303
            team_page = await alice.get("/-/web/org/acme/team/core")
            assert "the &lt;core&gt; team" in team_page.text and "@acme/internal" in team_page.text
            assert "read-only" in team_page.text and 'href="/-/web/user/bob"' in team_page.text

            # a developer: sees the roster, teams and the restricted package, but no forms, and
            # a forged management form is refused by the service
            member_view = await bob.get("/-/web/org/acme")
            assert "@acme/internal" in member_view.text and "<h2>Members" in member_view.text
            assert (
                "Add a member" not in member_view.text
                and "you are a <strong>developer</strong>" in member_view.text
            )
            assert (await bob.get("/-/web/package/@acme/internal")).status == 200
            forged = await bob.submit(
                "/-/web/org/acme", "/-/web/org/acme/members", {"user": "carol", "role": "owner"}
            )
            assert forged.status == 403 and "Only owners and admins" in forged.text
            assert await registry.orgs.role_of("acme", "carol") is None
            # the last owner cannot leave; a developer can
            last = await alice.submit("/-/web/org/acme", "/-/web/org/acme/members/remove", {"user": "alice"})
            assert last.status == 400 and "last owner" in last.text
            left = await bob.submit("/-/web/org/acme", "/-/web/org/acme/members/remove", {"user": "bob"})
            assert left.status == 303 and left.location == "/-/web/account?done=left"
            assert (await bob.get("/-/web/package/@acme/internal")).status == 404
            # team removal; the developers team stays
            assert (
                await alice.submit("/-/web/org/acme/team/core", "/-/web/org/acme/team/core/delete", {})
            ).status == 303
            kept = await alice.submit(
                "/-/web/org/acme/team/developers", "/-/web/org/acme/team/developers/delete", {}
            )
            assert kept.status == 403 and "cannot be removed" in kept.text
            # the owner's own user page lists their orgs
            assert 'href="/-/web/org/acme"' in (await alice.get("/-/web/user/alice")).text

    asyncio.run(scenario())


def test_org_changes_ask_auth_and_writes_accounts_for_a_code(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with website(tmp_path) as site:
            registry = site.registry.registry
            alice = await site.person("alice")
            await site.registry.add_user("bob")
            await registry.orgs.create("acme", "alice")
            user = await registry.accounts.get_user("alice")
            assert user is not None
            url = await registry.accounts.two_factor.begin(user, "auth-and-writes")
            totp = pyotp.TOTP(parse_qs(urlsplit(url).query)["secret"][0])
            user = await registry.accounts.get_user("alice")
            assert user is not None
            codes = await registry.accounts.two_factor.confirm(user, totp.now(), None)
            page = await alice.get("/-/web/org/acme")
            assert 'id="member-otp" name=otp' in page.text
            refused = await alice.submit("/-/web/org/acme", "/-/web/org/acme/members", {"user": "bob"})
            assert refused.status == 401 and "one-time password" in refused.text
            assert await registry.orgs.role_of("acme", "bob") is None
            done = await alice.submit(
                "/-/web/org/acme", "/-/web/org/acme/members", {"user": "bob", "otp": codes[0]}
            )
            assert done.status == 303 and await registry.orgs.role_of("acme", "bob") == "developer"

    asyncio.run(scenario())
