"""`/-/team/{scope}/{team}[/user|/package]`: `npm team destroy|add|rm|ls <org:team>` and
`npm access grant|revoke|list packages <org:team>`.

npm sends the user (`{"user"}`) and the package (`{"package", "permissions"}`) in JSON bodies, also
on DELETE, and ignores the answers of the DELETEs; `team ls` wants a JSON array of user names.
"""

from __future__ import annotations

from aiohttp import web

from snpm.json_types import JsonValue
from snpm.registry_server.api.orgs import body_string
from snpm.registry_server.api.responses import json_response, read_json_object
from snpm.registry_server.api.router import Access, RequestContext, Router
from snpm.registry_server.services.orgs import OrgService
from snpm.registry_server.services.package_access import PackageAccessService
from snpm.registry_server.services.permissions import require_user, require_writer

__all__ = ["TeamRoutes"]

_NO_CACHE = {"Cache-Control": "no-cache"}


class TeamRoutes:
    def __init__(self, orgs: OrgService, access: PackageAccessService) -> None:
        self._orgs = orgs
        self._access = access

    def register(self, router: Router) -> None:
        router.delete("/-/team/{scope}/{team}", self.destroy, access=Access.WRITE)
        router.get("/-/team/{scope}/{team}/user", self.members, access=Access.USER)
        router.put("/-/team/{scope}/{team}/user", self.add_member, access=Access.WRITE)
        router.delete("/-/team/{scope}/{team}/user", self.remove_member, access=Access.WRITE)
        router.get("/-/team/{scope}/{team}/package", self.packages, access=Access.READ)
        router.put("/-/team/{scope}/{team}/package", self.grant, access=Access.WRITE)
        router.delete("/-/team/{scope}/{team}/package", self.revoke, access=Access.WRITE)

    async def destroy(self, request: web.Request, ctx: RequestContext) -> web.StreamResponse:
        await self._orgs.remove_team(require_writer(ctx.actor), ctx.params["scope"], ctx.params["team"])
        return web.Response(status=204)

    async def members(self, request: web.Request, ctx: RequestContext) -> web.StreamResponse:
        users = await self._orgs.team_members(
            require_user(ctx.actor), ctx.params["scope"], ctx.params["team"]
        )
        names: list[JsonValue] = list(users)
        return json_response(names, headers=_NO_CACHE)

    async def add_member(self, request: web.Request, ctx: RequestContext) -> web.StreamResponse:
        actor = require_writer(ctx.actor)
        user = body_string(await read_json_object(request), "user")
        await self._orgs.add_team_member(actor, ctx.params["scope"], ctx.params["team"], user)
        return json_response({"ok": True, "user": user.removeprefix("@")}, 201)

    async def remove_member(self, request: web.Request, ctx: RequestContext) -> web.StreamResponse:
        actor = require_writer(ctx.actor)
        user = body_string(await read_json_object(request), "user")
        await self._orgs.remove_team_member(actor, ctx.params["scope"], ctx.params["team"], user)
        return web.Response(status=204)

    async def packages(self, request: web.Request, ctx: RequestContext) -> web.StreamResponse:
        listing = await self._access.team_packages(ctx.actor, ctx.params["scope"], ctx.params["team"])
        return json_response(dict(listing), headers=_NO_CACHE)

    async def grant(self, request: web.Request, ctx: RequestContext) -> web.StreamResponse:
        actor = require_writer(ctx.actor)
        body = await read_json_object(request)
        package = body_string(body, "package")
        permission = body_string(body, "permissions")
        await self._access.grant(actor, ctx.params["scope"], ctx.params["team"], package, permission)
        return json_response({"ok": True}, 201)

    async def revoke(self, request: web.Request, ctx: RequestContext) -> web.StreamResponse:
        actor = require_writer(ctx.actor)
        package = body_string(await read_json_object(request), "package")
        await self._access.revoke(actor, ctx.params["scope"], ctx.params["team"], package)
        return web.Response(status=204)
