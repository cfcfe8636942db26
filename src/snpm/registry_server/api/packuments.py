"""`GET /{pkg}` (full or corgi by Accept, ETag/304) and `GET /{pkg}/{version|tag|range}`.

Packuments revalidate on every use (`Cache-Control: no-cache` plus an ETag): npm's HTTP cache would
otherwise install stale metadata right after a publish. `?write=true` is npm asking for the current
full document with `_rev` (unpublish, deprecate, star), whatever the Accept header says. A
restricted package is a 404 to whoever may not read it (also for conditional GETs).

A name the registry does not hold comes from the uplink cache when there is an uplink (local
packages shadow the uplink completely, restricted ones included); its tarball URLs point here.

Bodies go out gzipped when the client accepts it (npm does), with a weak ETag for that
representation (the validator compares weakly, so either form revalidates either).
"""

from __future__ import annotations

from aiohttp import web

from snpm import semver
from snpm.json_types import JsonObject
from snpm.packument import dist_tags, object_field, wants_abbreviated
from snpm.registry_server.api.responses import json_response
from snpm.registry_server.api.router import Access, RequestContext, Router
from snpm.registry_server.services.errors import not_found
from snpm.registry_server.services.packages import PackageService
from snpm.registry_server.services.packuments import (
    GZIP_MIN_BYTES,
    PackumentRenderer,
    RenderedPackument,
    absolute_version,
)
from snpm.registry_server.services.uplink_cache import UplinkCache

__all__ = ["PackumentRoutes", "etag_matches", "pick_version"]

_NO_CACHE = "no-cache"


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == etag:
            return True
    return False


def pick_version(document: JsonObject, wanted: str) -> JsonObject | None:
    """The version document `wanted` names: a dist-tag, a version, or the best match of a range."""
    versions = object_field(document, "versions")
    version = dist_tags(document).get(wanted, wanted)
    if version not in versions:
        version = semver.max_satisfying(list(versions), wanted) or wanted
    found = versions.get(version)
    return found if isinstance(found, dict) else None


class PackumentRoutes:
    def __init__(
        self, packages: PackageService, renderer: PackumentRenderer, uplink: UplinkCache | None = None
    ) -> None:
        self._packages = packages
        self._renderer = renderer
        self._uplink = uplink

    def register(self, router: Router) -> None:
        router.get("/{pkg}", self.packument, access=Access.READ)
        router.get("/{pkg}/{version}", self.version, access=Access.READ)

    async def packument(self, request: web.Request, ctx: RequestContext) -> web.StreamResponse:
        name = ctx.params["pkg"]
        for_write = request.query.get("write") == "true"
        abbreviated = not for_write and wants_abbreviated(request.headers.get("Accept"))
        head = await self._packages.head(name)
        if head is None:
            if self._uplink is None or for_write:
                raise not_found()
            return await self._proxied(request, ctx, name, abbreviated)
        rev = head.rev
        if head.access == "restricted" and await self._packages.visible_revision(ctx.actor, name) is None:
            raise not_found()
        rendered = self._renderer.cached(name, rev, ctx.base_url, abbreviated)
        if rendered is None:
            etag = self._renderer.etag(rev, ctx.base_url, abbreviated)
            if etag_matches(request.headers.get("If-None-Match"), etag):
                return _not_modified(etag, _gzip_accepted(request))
            package = await self._packages.readable(ctx.actor, name)
            rendered = self._renderer.render(package, ctx.base_url, abbreviated)
        return await self._answer(request, rendered)

    async def _proxied(
        self, request: web.Request, ctx: RequestContext, name: str, abbreviated: bool
    ) -> web.StreamResponse:
        assert self._uplink is not None
        proxied = await self._uplink.packument(name, corgi=abbreviated)
        rev = proxied.head.rev
        rendered = self._renderer.cached(name, rev, ctx.base_url, abbreviated)
        if rendered is None:
            etag = self._renderer.etag(rev, ctx.base_url, abbreviated)
            if etag_matches(request.headers.get("If-None-Match"), etag):
                return _not_modified(etag, _gzip_accepted(request))
            package = await self._uplink.package(proxied)
            rendered = self._renderer.render(package, ctx.base_url, abbreviated, corgi_source=proxied.corgi)
        return await self._answer(request, rendered)

    async def _answer(self, request: web.Request, rendered: RenderedPackument) -> web.Response:
        gzipped = _gzip_accepted(request) and len(rendered.body) >= GZIP_MIN_BYTES
        headers = _headers(rendered.etag, gzipped)
        if etag_matches(request.headers.get("If-None-Match"), rendered.etag):
            return web.Response(status=304, headers=headers)
        if gzipped:
            headers["Content-Encoding"] = "gzip"
            body = await self._renderer.gzipped(rendered)
            return web.Response(body=body, headers=headers, content_type=rendered.content_type)
        return web.Response(body=rendered.body, headers=headers, content_type=rendered.content_type)

    async def version(self, request: web.Request, ctx: RequestContext) -> web.StreamResponse:
        name, wanted = ctx.params["pkg"], ctx.params["version"]
        if self._uplink is not None and await self._packages.head(name) is None:
            document = (await self._uplink.package(await self._uplink.packument(name, corgi=False))).document
        else:
            document = (await self._packages.readable(ctx.actor, name)).document
        found = pick_version(document, wanted)
        if found is None:
            raise not_found(f"version not found: {wanted}")
        return json_response(absolute_version(found, ctx.base_url), headers={"Cache-Control": _NO_CACHE})


def _gzip_accepted(request: web.Request) -> bool:
    accepted = request.headers.get("Accept-Encoding", "")
    return "gzip" in accepted and "gzip;q=0," not in accepted.replace(" ", "") + ","


def _headers(etag: str, gzipped: bool) -> dict[str, str]:
    return {
        "Cache-Control": _NO_CACHE,
        "Vary": "Accept, Accept-Encoding, Authorization",
        "ETag": f"W/{etag}" if gzipped else etag,
    }


def _not_modified(etag: str, gzipped: bool) -> web.Response:
    return web.Response(status=304, headers=_headers(etag, gzipped))
