"""`/-/package/{pkg}/dist-tags[/{tag}]`: list, set and remove dist-tags (`npm dist-tag ls|add|rm`).

npm sends the version to tag as a bare JSON string. Only maintainers change tags; the version must
exist; `latest` can be moved but not removed.
"""

from __future__ import annotations

from aiohttp import web

from snpm.registry_server.api.responses import json_response, read_json
from snpm.registry_server.api.router import Access, RequestContext, Router
from snpm.registry_server.services.errors import bad_request
from snpm.registry_server.services.packages import PackageService

__all__ = ["DistTagRoutes"]


class DistTagRoutes:
    def __init__(self, packages: PackageService) -> None:
        self._packages = packages

    def register(self, router: Router) -> None:
        router.get("/-/package/{pkg}/dist-tags", self.list_tags, access=Access.READ)
        router.put("/-/package/{pkg}/dist-tags/{tag}", self.set_tag, access=Access.WRITE)
        router.post("/-/package/{pkg}/dist-tags/{tag}", self.set_tag, access=Access.WRITE)
        router.delete("/-/package/{pkg}/dist-tags/{tag}", self.remove_tag, access=Access.WRITE)

    async def list_tags(self, request: web.Request, ctx: RequestContext) -> web.StreamResponse:
        tags = await self._packages.tags(ctx.params["pkg"])
        return json_response(dict(tags), headers={"Cache-Control": "no-cache"})

    async def set_tag(self, request: web.Request, ctx: RequestContext) -> web.StreamResponse:
        version = await read_json(request)
        if not isinstance(version, str):
            raise bad_request("The body must be the version to tag, as a JSON string")
        tags = await self._packages.set_tag(ctx.actor, ctx.params["pkg"], ctx.params["tag"], version)
        return json_response({"ok": True, "dist-tags": dict(tags)}, 201)

    async def remove_tag(self, request: web.Request, ctx: RequestContext) -> web.StreamResponse:
        tags = await self._packages.remove_tag(ctx.actor, ctx.params["pkg"], ctx.params["tag"])
        return json_response({"ok": True, "dist-tags": dict(tags)})
