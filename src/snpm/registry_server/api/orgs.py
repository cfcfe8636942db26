"""`/-/org/{org}/…`: `npm org set|rm|ls` (members and roles), `npm team create|ls <org>` (teams),
and `npm access list packages <org>` (the org's packages).

npm's `org set` prints `org.name` and `org.size` from the answer (a missing `org` crashes it);
`org rm` ignores the answer and lists the roster again. `team ls` asks `?format=cli` and wants
`["org:team", …]`. `access list packages` falls back to `/-/user/{name}/package` when the org
listing is a 404, so a name that is no org answers 404.
"""

from __future__ import annotations

from aiohttp import web

from snpm.json_types import JsonValue
from snpm.registry_server.api.responses import json_response, read_json_object
from snpm.registry_server.api.router import Access, RequestContext, Router
from snpm.registry_server.services.errors import bad_request
from snpm.registry_server.services.orgs import OrgService
from snpm.registry_server.services.package_access import PackageAccessService
from snpm.registry_server.services.permissions import require_user, require_writer

__all__ = ["OrgRoutes", "body_string"]

_NO_CACHE = {"Cache-Control": "no-cache"}


def body_string(body: dict[str, JsonValue], key: str, *, required: bool = True) -> str:
    value = body.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value):
        raise bad_request(f"{key} must be a non-empty string")
    return value


class OrgRoutes:
    def __init__(self, orgs: OrgService, access: PackageAccessService) -> None:
        self._orgs = orgs
        self._access = access

    def register(self, router: Router) -> None:
        router.get("/-/org/{org}/user", self.members, access=Access.USER)
        router.put("/-/org/{org}/user", self.set_member, access=Access.WRITE)
        router.delete("/-/org/{org}/user", self.remove_member, access=Access.WRITE)
        router.get("/-/org/{org}/package", self.packages, access=Access.READ)
        router.get("/-/org/{org}/team", self.teams, access=Access.USER)
        router.put("/-/org/{org}/team", self.create_team, access=Access.WRITE)

    async def members(self, request: web.Request, ctx: RequestContext) -> web.StreamResponse:
        roster = await self._orgs.members(require_user(ctx.actor), ctx.params["org"])
        return json_response(dict(roster), headers=_NO_CACHE)

    async def set_member(self, request: web.Request, ctx: RequestContext) -> web.StreamResponse:
        actor = require_writer(ctx.actor)
        body = await read_json_object(request)
        user = body_string(body, "user")
        role = body.get("role")
        if role is not None and not isinstance(role, str):
            raise bad_request("role must be a string")
        org = ctx.params["org"].removeprefix("@")
        roster = await self._orgs.set_member(actor, org, user, role)
        user = user.removeprefix("@")
        return json_response(
            {"org": {"name": org, "size": len(roster)}, "user": user, "role": roster[user]}, 201
        )

    async def remove_member(self, request: web.Request, ctx: RequestContext) -> web.StreamResponse:
        actor = require_writer(ctx.actor)
        body = await read_json_object(request)
        await self._orgs.remove_member(actor, ctx.params["org"], body_string(body, "user"))
        return web.Response(status=204)

    async def packages(self, request: web.Request, ctx: RequestContext) -> web.StreamResponse:
        listing = await self._access.org_packages(ctx.actor, ctx.params["org"])
        return json_response(dict(listing), headers=_NO_CACHE)

    async def teams(self, request: web.Request, ctx: RequestContext) -> web.StreamResponse:
        teams = await self._orgs.teams(require_user(ctx.actor), ctx.params["org"])
        if request.query.get("format") == "cli":
            names: list[JsonValue] = [f"{t.org}:{t.name}" for t in teams]
            return json_response(names, headers=_NO_CACHE)
        listing: list[JsonValue] = [
            {"name": f"{t.org}:{t.name}", "description": t.description, "created": t.created} for t in teams
        ]
        return json_response(listing, headers=_NO_CACHE)

    async def create_team(self, request: web.Request, ctx: RequestContext) -> web.StreamResponse:
        actor = require_writer(ctx.actor)
        body = await read_json_object(request)
        description = body.get("description")
        team = await self._orgs.create_team(
            actor,
            ctx.params["org"],
            body_string(body, "name"),
            description if isinstance(description, str) else "",
        )
        return json_response(
            {"name": team.name, "org": team.org, "description": team.description, "created": team.created},
            201,
        )
