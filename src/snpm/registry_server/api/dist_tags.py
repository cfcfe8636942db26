"""`/-/package/{pkg}/dist-tags[/{tag}]`: list, set and remove dist-tags (`npm dist-tag ls|add|rm`).

npm sends the version to tag as a bare JSON string. Only maintainers change tags; the version must
exist; `latest` can be moved but not removed. In auth-and-writes 2FA mode only changes of `latest`
ask for a one-time password (npmjs exempts the other tags); a package whose own policy requires 2FA
asks for every tag.
"""

from __future__ import annotations

from aiohttp import web

from snpm.packument import dist_tags
from snpm.registry_server.api.responses import json_response, read_json
from snpm.registry_server.api.router import Access, Otp, RequestContext, Router
from snpm.registry_server.services.errors import bad_request
from snpm.registry_server.services.packages import PackageService
from snpm.registry_server.services.two_factor import TwoFactorService
from snpm.registry_server.services.uplink_cache import UplinkCache

__all__ = ["DistTagRoutes"]


class DistTagRoutes:
    def __init__(
        self, packages: PackageService, two_factor: TwoFactorService, uplink: UplinkCache | None = None
    ) -> None:
        self._packages = packages
        self._two_factor = two_factor
        self._uplink = uplink

    def register(self, router: Router) -> None:
        router.get("/-/package/{pkg}/dist-tags", self.list_tags, access=Access.READ)
        router.put("/-/package/{pkg}/dist-tags/{tag}", self.set_tag, access=Access.WRITE, otp=Otp.HANDLER)
        router.post("/-/package/{pkg}/dist-tags/{tag}", self.set_tag, access=Access.WRITE, otp=Otp.HANDLER)
        router.delete(
            "/-/package/{pkg}/dist-tags/{tag}", self.remove_tag, access=Access.WRITE, otp=Otp.HANDLER
        )

    async def _otp(self, ctx: RequestContext) -> None:
        if ctx.otp_verified:
            return
        name = ctx.params["pkg"]
        await self._two_factor.require_write(
            ctx.actor,
            ctx.otp,
            ctx.client_ip,
            package=name,
            package_mfa=await self._packages.mfa_policy(name),
            user_mode=ctx.params["tag"] == "latest",
        )

    async def list_tags(self, request: web.Request, ctx: RequestContext) -> web.StreamResponse:
        name = ctx.params["pkg"]
        if self._uplink is not None and await self._packages.head(name) is None:
            proxied = await self._uplink.packument(name, corgi=True)
            tags = dist_tags((await self._uplink.load(proxied)).document)
        else:
            tags = await self._packages.visible_tags(ctx.actor, name)
        return json_response(dict(tags), headers={"Cache-Control": "no-cache"})

    async def set_tag(self, request: web.Request, ctx: RequestContext) -> web.StreamResponse:
        await self._otp(ctx)
        version = await read_json(request)
        if not isinstance(version, str):
            raise bad_request("The body must be the version to tag, as a JSON string")
        tags = await self._packages.set_tag(ctx.actor, ctx.params["pkg"], ctx.params["tag"], version)
        return json_response({"ok": True, "dist-tags": dict(tags)}, 201)

    async def remove_tag(self, request: web.Request, ctx: RequestContext) -> web.StreamResponse:
        await self._otp(ctx)
        tags = await self._packages.remove_tag(ctx.actor, ctx.params["pkg"], ctx.params["tag"])
        return json_response({"ok": True, "dist-tags": dict(tags)})
