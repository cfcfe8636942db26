"""`/-/npm/v1/user`: `npm profile get|set|enable-2fa|disable-2fa` (see `services.profiles`).

The POST is a write whose one-time password depends on the body (password and 2FA changes ask in
both modes, other fields in auth-and-writes mode), so the service asks, not the dispatcher.
"""

from __future__ import annotations

from aiohttp import web

from snpm.registry_server.api.responses import json_response, read_json_object
from snpm.registry_server.api.router import Access, Otp, RequestContext, Router
from snpm.registry_server.services.permissions import require_user, require_writer
from snpm.registry_server.services.profiles import ProfileService

__all__ = ["ProfileRoutes"]


class ProfileRoutes:
    def __init__(self, profiles: ProfileService) -> None:
        self._profiles = profiles

    def register(self, router: Router) -> None:
        router.get("/-/npm/v1/user", self.get, access=Access.USER)
        router.post("/-/npm/v1/user", self.update, access=Access.WRITE, otp=Otp.HANDLER)

    async def get(self, request: web.Request, ctx: RequestContext) -> web.StreamResponse:
        profile = await self._profiles.get(require_user(ctx.actor))
        return json_response(profile, headers={"Cache-Control": "no-store"})

    async def update(self, request: web.Request, ctx: RequestContext) -> web.StreamResponse:
        actor = require_writer(ctx.actor)
        body = await read_json_object(request)
        profile = await self._profiles.update(
            actor, body, ctx.otp, ctx.client_ip, otp_verified=ctx.otp_verified
        )
        return json_response(profile, headers={"Cache-Control": "no-store"})
