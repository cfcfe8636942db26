"""Writing packages: publish, document PUTs (deprecate, unpublish a version, owners, stars), unpublish.

`PUT /{pkg}` with a non-empty `_attachments` is a publish; without, it is a document change, as is
`PUT /{pkg}/-rev/{rev}` (registry-api.md §3.3). npm ignores the bodies of these answers except for
`npm owner`, which parses them as JSON, so every answer is a small JSON object.
"""

from __future__ import annotations

from aiohttp import web

from snpm.registry_server.api.responses import json_response, read_json_object
from snpm.registry_server.api.router import Access, RequestContext, Router
from snpm.registry_server.services.packages import PackageService

__all__ = ["PublishingRoutes"]


class PublishingRoutes:
    def __init__(self, packages: PackageService) -> None:
        self._packages = packages

    def register(self, router: Router) -> None:
        router.put("/{pkg}", self.put_package, access=Access.WRITE)
        router.put("/{pkg}/-rev/{rev}", self.put_revision, access=Access.WRITE)
        router.delete("/{pkg}/-rev/{rev}", self.unpublish, access=Access.WRITE)
        router.delete("/{pkg}/-/{file}/-rev/{rev}", self.delete_tarball, access=Access.WRITE)

    async def put_package(self, request: web.Request, ctx: RequestContext) -> web.StreamResponse:
        name = ctx.params["pkg"]
        body = await read_json_object(request)
        attachments = body.get("_attachments")
        if isinstance(attachments, dict) and attachments:
            package = await self._packages.publish(ctx.actor, name, body)
            return json_response({"ok": True, "success": True, "id": name, "rev": package.rev}, 201)
        changed = await self._packages.change(ctx.actor, name, body, None)
        return json_response({"ok": True, "id": name, "rev": changed.rev if changed else None})

    async def put_revision(self, request: web.Request, ctx: RequestContext) -> web.StreamResponse:
        name = ctx.params["pkg"]
        body = await read_json_object(request)
        changed = await self._packages.change(ctx.actor, name, body, ctx.params["rev"])
        return json_response({"ok": True, "id": name, "rev": changed.rev if changed else None})

    async def unpublish(self, request: web.Request, ctx: RequestContext) -> web.StreamResponse:
        name = ctx.params["pkg"]
        await self._packages.unpublish(ctx.actor, name, ctx.params["rev"])
        return json_response({"ok": True, "id": name})

    async def delete_tarball(self, request: web.Request, ctx: RequestContext) -> web.StreamResponse:
        await self._packages.remove_tarball(
            ctx.actor, ctx.params["pkg"], ctx.params["file"], ctx.params["rev"]
        )
        return json_response({"ok": True})
