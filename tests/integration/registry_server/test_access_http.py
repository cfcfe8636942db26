"""Orgs, teams, package access and restricted packages over HTTP, in the shapes npm 11 sends and reads
(libnpmorg, libnpmteam, libnpmaccess)."""

from __future__ import annotations

import asyncio
import json
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


async def _json(response: Any) -> Any:
    return json.loads(await response.read())


async def _org(r: InProcessRegistry) -> None:
    for name in ("alice", "bob", "carol"):
        await r.add_user(name)
    await r.registry.orgs.create("acme", "alice")


def test_org_and_team_routes(tmp_path: Path) -> None:
    async def scenario(r: InProcessRegistry) -> None:
        await _org(r)
        c = r.client
        # npm org set: the answer carries org.name and org.size (npm prints them)
        added = await c.put(
            "/-/org/acme/user", json={"user": "bob", "role": "admin"}, headers=r.auth("alice")
        )
        assert added.status == 201
        assert await _json(added) == {"org": {"name": "acme", "size": 2}, "user": "bob", "role": "admin"}
        # the default role is developer; a leading @ is accepted on both names
        default = await c.put("/-/org/%40acme/user", json={"user": "@carol"}, headers=r.auth("bob"))
        assert (await _json(default))["role"] == "developer"
        roster = await c.get("/-/org/acme/user", headers=r.auth("carol"))
        assert await _json(roster) == {"alice": "owner", "bob": "admin", "carol": "developer"}
        assert (await c.get("/-/org/acme/user")).status == 401
        assert (await c.get("/-/org/nope/user", headers=r.auth("bob"))).status == 404
        refused = await c.put(
            "/-/org/acme/user", json={"user": "alice", "role": "developer"}, headers=r.auth("carol")
        )
        assert refused.status == 403 and "error" in await _json(refused)
        assert (
            await c.put("/-/org/acme/user", json={"role": "owner"}, headers=r.auth("alice"))
        ).status == 400

        # teams (libnpmteam sends npm-scope and format=cli)
        created = await c.put(
            "/-/org/acme/team",
            json={"name": "core", "description": "d"},
            headers={**r.auth("bob"), "npm-scope": "acme"},
        )
        assert created.status == 201 and (await _json(created))["name"] == "core"
        listed = await c.get("/-/org/acme/team?format=cli", headers=r.auth("carol"))
        assert await _json(listed) == ["acme:core", "acme:developers"]
        detailed = await _json(await c.get("/-/org/acme/team", headers=r.auth("carol")))
        assert [t["name"] for t in detailed] == ["acme:core", "acme:developers"]
        assert (
            await c.put("/-/team/acme/core/user", json={"user": "carol"}, headers=r.auth("bob"))
        ).status == 201
        members = await c.get("/-/team/acme/core/user?format=cli", headers=r.auth("alice"))
        assert await _json(members) == ["carol"]
        removed = await c.delete("/-/team/acme/core/user", json={"user": "carol"}, headers=r.auth("bob"))
        assert removed.status == 204
        assert await _json(await c.get("/-/team/acme/core/user", headers=r.auth("alice"))) == []
        assert (await c.delete("/-/team/acme/developers", headers=r.auth("alice"))).status == 403
        assert (await c.delete("/-/team/acme/core", headers=r.auth("carol"))).status == 403
        assert (await c.delete("/-/team/acme/core", headers=r.auth("alice"))).status == 204
        assert (await c.get("/-/team/acme/core/user", headers=r.auth("alice"))).status == 404

        # npm org rm: 2xx, then the roster again
        gone = await c.delete("/-/org/acme/user", json={"user": "carol"}, headers=r.auth("alice"))
        assert gone.status == 204
        assert set(await _json(await c.get("/-/org/acme/user", headers=r.auth("alice")))) == {"alice", "bob"}

    _run(tmp_path, scenario)


def test_restricted_packages_over_http(tmp_path: Path) -> None:
    async def scenario(r: InProcessRegistry) -> None:
        await _org(r)
        c = r.client
        body = publish_body("@acme/secret", "1.0.0")
        body["access"] = "restricted"
        assert (await r.publish("alice", body)).status == 201
        paths = [
            "/@acme%2fsecret",
            "/@acme/secret",
            "/@acme%2fsecret/1.0.0",
            "/@acme/secret/-/secret-1.0.0.tgz",
            "/-/package/@acme%2fsecret/dist-tags",
            "/-/package/@acme%2fsecret/visibility",
            "/-/package/@acme%2fsecret/collaborators",
        ]
        for path in paths:
            assert (await c.get(path)).status == 404, path
            assert (await c.get(path, headers=r.auth("bob"))).status == 404, path
            assert (await c.get(path, headers=r.auth("alice"))).status == 200, path
        tarball = await c.get("/@acme/secret/-/secret-1.0.0.tgz", headers=r.auth("alice"))
        assert tarball.headers["Cache-Control"].startswith("private")
        # a cached ETag does not turn into a 304 for someone who may not read
        owner = await c.get("/@acme%2fsecret", headers={**r.auth("alice"), "Accept": ABBREVIATED_ACCEPT})
        etag = owner.headers["ETag"]
        again = await c.get(
            "/@acme%2fsecret",
            headers={**r.auth("alice"), "Accept": ABBREVIATED_ACCEPT, "If-None-Match": etag},
        )
        assert again.status == 304
        stranger = await c.get(
            "/@acme%2fsecret", headers={"Accept": ABBREVIATED_ACCEPT, "If-None-Match": etag}
        )
        assert stranger.status == 404
        assert await _json(await c.get("/-/package/@acme%2fsecret/visibility", headers=r.auth("alice"))) == {
            "public": False
        }

        # npm access grant: PUT with npm-scope; revoke: DELETE with a JSON body
        await c.put("/-/org/acme/user", json={"user": "bob"}, headers=r.auth("alice"))
        await c.delete("/-/team/acme/developers/user", json={"user": "bob"}, headers=r.auth("alice"))
        await c.put("/-/org/acme/team", json={"name": "readers"}, headers=r.auth("alice"))
        await c.put("/-/team/acme/readers/user", json={"user": "bob"}, headers=r.auth("alice"))
        grant = await c.put(
            "/-/team/acme/readers/package",
            json={"package": "@acme/secret", "permissions": "read-only"},
            headers={**r.auth("alice"), "npm-scope": "acme"},
        )
        assert grant.status == 201
        assert (await c.get("/@acme/secret/-/secret-1.0.0.tgz", headers=r.auth("bob"))).status == 200
        assert await _json(await c.get("/-/team/acme/readers/package", headers=r.auth("bob"))) == {
            "@acme/secret": "read"
        }
        assert await _json(await c.get("/-/package/@acme%2fsecret/collaborators", headers=r.auth("bob"))) == {
            "alice": "write",
            "bob": "read",
        }
        bad = await c.put(
            "/-/team/acme/readers/package",
            json={"package": "@acme/secret", "permissions": "all"},
            headers=r.auth("alice"),
        )
        assert bad.status == 400
        revoke = await c.delete(
            "/-/team/acme/readers/package", json={"package": "@acme/secret"}, headers=r.auth("alice")
        )
        assert revoke.status == 204
        assert (await c.get("/@acme%2fsecret", headers=r.auth("bob"))).status == 404

        # npm access set status=public|private: POST {access}, then visibility
        made_public = await c.post(
            "/-/package/@acme%2fsecret/access", json={"access": "public"}, headers=r.auth("alice")
        )
        assert made_public.status == 200
        assert await _json(await c.get("/-/package/@acme%2fsecret/visibility")) == {"public": True}
        assert (await _json(await c.get("/-/package/@acme%2fsecret/access")))["access"] == "public"
        assert (
            await c.post(
                "/-/package/@acme%2fsecret/access", json={"access": "private"}, headers=r.auth("bob")
            )
        ).status == 403
        # npm access set mfa=publish: changes then need a 2FA user's one-time password
        mfa = await c.post(
            "/-/package/@acme%2fsecret/access",
            json={"publish_requires_tfa": True, "automation_token_overrides_tfa": False},
            headers=r.auth("alice"),
        )
        assert mfa.status == 200
        assert await _json(await c.get("/-/package/@acme%2fsecret/access")) == {
            "access": "public",
            "publish_requires_tfa": True,
            "automation_token_overrides_tfa": False,
        }
        refused = await r.publish("alice", publish_body("@acme/secret", "1.2.0"))
        assert refused.status == 403 and "two-factor" in (await _json(refused))["error"]
        none = await c.post(
            "/-/package/@acme%2fsecret/access", json={"publish_requires_tfa": False}, headers=r.auth("alice")
        )
        assert (await _json(none))["publish_requires_tfa"] is False
        assert (await r.publish("alice", publish_body("@acme/secret", "1.2.0"))).status == 201
        bad = await c.post(
            "/-/package/@acme%2fsecret/access", json={"publish_requires_tfa": "yes"}, headers=r.auth("alice")
        )
        assert bad.status == 400
        assert (
            await c.post("/-/package/@acme%2fsecret/access", json={"access": "x"}, headers=r.auth("alice"))
        ).status == 400

        # npm access list packages: the org listing 404s for a user name, then the user listing
        assert (await c.get("/-/org/bob/package")).status == 404
        assert await _json(await c.get("/-/org/acme/package")) == {"@acme/secret": "write"}
        assert await _json(await c.get("/-/user/alice/package")) == {"@acme/secret": "write"}
        assert (await c.get("/-/user/nobody/package")).status == 404

    _run(tmp_path, scenario)


def test_scope_ownership_over_http(tmp_path: Path) -> None:
    async def scenario(r: InProcessRegistry) -> None:
        await _org(r)
        assert (await r.publish("alice", publish_body("@alice/tool", "1.0.0"))).status == 201
        taken = await r.publish("bob", publish_body("@alice/other", "1.0.0"))
        assert taken.status == 403 and "permission to publish" in (await _json(taken))["error"]
        assert (await r.publish("bob", publish_body("@acme/x", "1.0.0"))).status == 403
        await r.client.put("/-/org/acme/user", json={"user": "bob"}, headers=r.auth("alice"))
        assert (await r.publish("bob", publish_body("@acme/x", "1.0.0"))).status == 201
        # the developers team may write it; collaborators show the team's members
        collaborators = await _json(await r.client.get("/-/package/@acme%2fx/collaborators"))
        assert collaborators == {"alice": "write", "bob": "write"}

    _run(tmp_path, scenario)
