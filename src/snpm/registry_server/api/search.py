"""`GET /-/v1/search`: `npm search` (see `services.search_index` for qualifiers and scoring).

npm streams `objects.*` and keeps each `package`; its formatter needs `package.maintainers` to be
an array. Results depend on who asks (restricted packages), hence `Vary: Authorization`.
"""

from __future__ import annotations

from aiohttp import web

from snpm.registry_server.api.responses import json_response
from snpm.registry_server.api.router import Access, RequestContext, Router
from snpm.registry_server.services.search_index import SearchService

__all__ = ["SearchRoutes"]


class SearchRoutes:
    def __init__(self, search: SearchService) -> None:
        self._search = search

    def register(self, router: Router) -> None:
        router.get("/-/v1/search", self.search, access=Access.READ)

    async def search(self, request: web.Request, ctx: RequestContext) -> web.StreamResponse:
        result = await self._search.search(ctx.actor, dict(request.query))
        return json_response(result, headers={"Cache-Control": "no-cache", "Vary": "Authorization"})
