"""`GET /-/ping` (`npm ping`, `npm doctor`): 200 `{}` — npm prints the body as "details"."""

from __future__ import annotations

from aiohttp import web

from snpm.registry_server.api.responses import json_response
from snpm.registry_server.api.router import Access, RequestContext, Router

__all__ = ["PingRoutes"]


class PingRoutes:
    def register(self, router: Router) -> None:
        router.get("/-/ping", self.ping, access=Access.NONE)

    async def ping(self, request: web.Request, ctx: RequestContext) -> web.StreamResponse:
        return json_response({}, headers={"Cache-Control": "no-cache"})
