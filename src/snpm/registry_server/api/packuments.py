"""`GET /{pkg}` (full or corgi by Accept, ETag/304) and `GET /{pkg}/{version|tag|range}`.

Packuments revalidate on every use (`Cache-Control: no-cache` plus an ETag): npm's HTTP cache would
otherwise install stale metadata right after a publish. `?write=true` is npm asking for the current
full document with `_rev` (unpublish, deprecate, star), whatever the Accept header says. A
restricted package is a 404 to whoever may not read it (also for conditional GETs).
"""

from __future__ import annotations

from aiohttp import web

from snpm import semver
from snpm.packument import dist_tags, object_field, wants_abbreviated
from snpm.registry_server.api.responses import json_response
from snpm.registry_server.api.router import Access, RequestContext, Router
from snpm.registry_server.services.errors import not_found
from snpm.registry_server.services.packages import PackageService
from snpm.registry_server.services.packuments import PackumentRenderer, absolute_version

__all__ = ["PackumentRoutes", "etag_matches"]

_NO_CACHE = "no-cache"


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == etag:
            return True
    return False


class PackumentRoutes:
    def __init__(self, packages: PackageService, renderer: PackumentRenderer) -> None:
        self._packages = packages
        self._renderer = renderer

    def register(self, router: Router) -> None:
        router.get("/{pkg}", self.packument, access=Access.READ)
        router.get("/{pkg}/{version}", self.version, access=Access.READ)

    async def packument(self, request: web.Request, ctx: RequestContext) -> web.StreamResponse:
        name = ctx.params["pkg"]
        for_write = request.query.get("write") == "true"
        abbreviated = not for_write and wants_abbreviated(request.headers.get("Accept"))
        headers = {"Cache-Control": _NO_CACHE, "Vary": "Accept, Authorization"}
        rev = await self._packages.visible_revision(ctx.actor, name)
        if rev is None:
            raise not_found()
        etag = self._renderer.etag(rev, ctx.base_url, abbreviated)
        if etag_matches(request.headers.get("If-None-Match"), etag):
            return web.Response(status=304, headers={**headers, "ETag": etag})
        package = await self._packages.readable(ctx.actor, name)
        rendered = self._renderer.render(package, ctx.base_url, abbreviated)
        headers["ETag"] = rendered.etag
        return web.Response(body=rendered.body, headers=headers, content_type=rendered.content_type)

    async def version(self, request: web.Request, ctx: RequestContext) -> web.StreamResponse:
        name, wanted = ctx.params["pkg"], ctx.params["version"]
        package = await self._packages.readable(ctx.actor, name)
        versions = object_field(package.document, "versions")
        version = dist_tags(package.document).get(wanted, wanted)
        if version not in versions:
            version = semver.max_satisfying(list(versions), wanted) or wanted
        document = versions.get(version)
        if not isinstance(document, dict):
            raise not_found(f"version not found: {wanted}")
        return json_response(absolute_version(document, ctx.base_url), headers={"Cache-Control": _NO_CACHE})
