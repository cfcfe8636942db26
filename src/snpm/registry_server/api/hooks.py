"""`/-/npm/v1/hooks`: npm 10's `npm hook add|ls|update|rm` (libnpmhook) and the registry's hooks API.

- `GET /-/npm/v1/hooks[?package=&limit=&offset=]`: `{objects, total, urls}`, the caller's hooks in
  creation order (libnpmhook streams `objects.*`); `package` keeps the hooks watching that name.
- `POST /-/npm/v1/hooks/hook` `{type, name, endpoint, secret}`: 201 and the new hook.
- `GET|PUT|DELETE /-/npm/v1/hooks/hook/{id}`: the hook; PUT takes `{endpoint, secret}`; DELETE
  answers the removed hook with `deleted: true` (libnpmhook turns a 404 into null).

Reading needs a logged-in user, changing a credential that may write (in auth-and-writes mode, a
one-time password too); rules and validation live in `services.hooks`.
"""

from __future__ import annotations

from urllib.parse import urlencode

from aiohttp import web

from snpm.json_types import JsonObject, JsonValue
from snpm.registry_server.api.responses import json_response, read_json_object
from snpm.registry_server.api.router import Access, RequestContext, Router
from snpm.registry_server.services.errors import bad_request
from snpm.registry_server.services.hooks import HookService, hook_json

__all__ = ["HookRoutes"]

_NO_CACHE = {"Cache-Control": "no-cache"}


def _count(raw: str | None, what: str) -> int | None:
    if raw is None or raw == "":
        return None
    if not raw.isdigit():
        raise bad_request(f"{what} must be a whole number")
    return int(raw)


class HookRoutes:
    def __init__(self, hooks: HookService) -> None:
        self._hooks = hooks

    def register(self, router: Router) -> None:
        router.get("/-/npm/v1/hooks", self.list_hooks, access=Access.USER)
        router.post("/-/npm/v1/hooks/hook", self.add, access=Access.WRITE)
        router.get("/-/npm/v1/hooks/hook/{id}", self.get, access=Access.USER)
        router.put("/-/npm/v1/hooks/hook/{id}", self.update, access=Access.WRITE)
        router.delete("/-/npm/v1/hooks/hook/{id}", self.remove, access=Access.WRITE)

    async def list_hooks(self, request: web.Request, ctx: RequestContext) -> web.StreamResponse:
        package = request.query.get("package") or None
        limit = _count(request.query.get("limit"), "limit")
        offset = _count(request.query.get("offset"), "offset") or 0
        page = await self._hooks.page(ctx.actor, package, offset, limit)
        urls: JsonObject = {}
        if limit is not None and offset + len(page.hooks) < page.total:
            query: dict[str, str | int] = {"package": package} if package else {}
            query.update(offset=offset + len(page.hooks), limit=limit)
            urls["next"] = f"{ctx.base_url}/-/npm/v1/hooks?{urlencode(query)}"
        objects: list[JsonValue] = [hook_json(hook) for hook in page.hooks]
        return json_response({"objects": objects, "total": page.total, "urls": urls}, headers=_NO_CACHE)

    async def add(self, request: web.Request, ctx: RequestContext) -> web.StreamResponse:
        hook = await self._hooks.add(ctx.actor, await read_json_object(request))
        return json_response(hook_json(hook), 201)

    async def get(self, request: web.Request, ctx: RequestContext) -> web.StreamResponse:
        return json_response(hook_json(await self._hooks.get(ctx.actor, ctx.params["id"])), headers=_NO_CACHE)

    async def update(self, request: web.Request, ctx: RequestContext) -> web.StreamResponse:
        hook = await self._hooks.update(ctx.actor, ctx.params["id"], await read_json_object(request))
        return json_response(hook_json(hook))

    async def remove(self, request: web.Request, ctx: RequestContext) -> web.StreamResponse:
        hook = await self._hooks.remove(ctx.actor, ctx.params["id"])
        return json_response(hook_json(hook, deleted=True))
