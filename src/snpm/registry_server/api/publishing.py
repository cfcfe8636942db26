"""Writing packages: publish, document PUTs (deprecate, unpublish a version, owners, stars), unpublish.

`PUT /{pkg}` with a non-empty `_attachments` is a publish; without, it is a document change, as is
`PUT /{pkg}/-rev/{rev}` (registry-api.md §3.3). npm ignores the bodies of these answers except for
`npm owner`, which parses them as JSON, so every answer is a small JSON object. In auth-and-writes
2FA mode every change asks for a one-time password except star/unstar (as on npmjs), and so does
every change of a package whose own policy requires 2FA (`npm access set mfa=…`).
"""

from __future__ import annotations

from aiohttp import web

from snpm.registry_server.api.responses import json_response, read_json_object
from snpm.registry_server.api.router import Access, Otp, RequestContext, Router
from snpm.registry_server.services.document_edits import is_star_change
from snpm.registry_server.services.packages import PackageService
from snpm.registry_server.services.two_factor import TwoFactorService

__all__ = ["PublishingRoutes"]


class PublishingRoutes:
    def __init__(self, packages: PackageService, two_factor: TwoFactorService) -> None:
        self._packages = packages
        self._two_factor = two_factor

    def register(self, router: Router) -> None:
        router.put("/{pkg}", self.put_package, access=Access.WRITE, otp=Otp.HANDLER)
        router.put("/{pkg}/-rev/{rev}", self.put_revision, access=Access.WRITE, otp=Otp.HANDLER)
        router.delete("/{pkg}/-rev/{rev}", self.unpublish, access=Access.WRITE, otp=Otp.HANDLER)
        router.delete("/{pkg}/-/{file}/-rev/{rev}", self.delete_tarball, access=Access.WRITE, otp=Otp.HANDLER)

    async def _otp(self, ctx: RequestContext) -> None:
        if ctx.otp_verified:
            return
        name = ctx.params["pkg"]
        await self._two_factor.require_write(
            ctx.actor, ctx.otp, ctx.client_ip, package=name, package_mfa=await self._packages.mfa_policy(name)
        )

    async def put_package(self, request: web.Request, ctx: RequestContext) -> web.StreamResponse:
        name = ctx.params["pkg"]
        body = await read_json_object(request)
        attachments = body.get("_attachments")
        publishing = isinstance(attachments, dict) and bool(attachments)
        if publishing or not is_star_change(body):
            await self._otp(ctx)
        if publishing:
            package = await self._packages.publish(ctx.actor, name, body)
            return json_response({"ok": True, "success": True, "id": name, "rev": package.rev}, 201)
        changed = await self._packages.change(ctx.actor, name, body, None)
        return json_response({"ok": True, "id": name, "rev": changed.rev if changed else None})

    async def put_revision(self, request: web.Request, ctx: RequestContext) -> web.StreamResponse:
        name = ctx.params["pkg"]
        body = await read_json_object(request)
        await self._otp(ctx)
        changed = await self._packages.change(ctx.actor, name, body, ctx.params["rev"])
        return json_response({"ok": True, "id": name, "rev": changed.rev if changed else None})

    async def unpublish(self, request: web.Request, ctx: RequestContext) -> web.StreamResponse:
        name = ctx.params["pkg"]
        await self._otp(ctx)
        await self._packages.unpublish(ctx.actor, name, ctx.params["rev"])
        return json_response({"ok": True, "id": name})

    async def delete_tarball(self, request: web.Request, ctx: RequestContext) -> web.StreamResponse:
        await self._otp(ctx)
        await self._packages.remove_tarball(
            ctx.actor, ctx.params["pkg"], ctx.params["file"], ctx.params["rev"]
        )
        return json_response({"ok": True})
