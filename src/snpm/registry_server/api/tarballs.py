"""`GET /{pkg}/-/{file}.tgz`: a published tarball, sent with sendfile and cached for a year.

A tarball is served only while the database records it (so an unpublished version's file, or an
orphan a crashed publish left, is never visible), and a restricted package's only to its readers.
Tarballs are immutable — versions can never be
republished — so `immutable` and a long max-age are safe. The Content-Type is set explicitly so
aiohttp never labels the `.tgz` with `Content-Encoding: gzip` (npm would inflate it twice).
"""

from __future__ import annotations

from aiohttp import web

from snpm.registry_server.api.router import Access, RequestContext, Router
from snpm.registry_server.services.errors import not_found
from snpm.registry_server.services.packages import PackageService

__all__ = ["TarballRoutes"]

_IMMUTABLE = "public, max-age=31536000, immutable"
# a restricted package's tarball must not sit in a shared cache
_IMMUTABLE_PRIVATE = "private, max-age=31536000, immutable"


class TarballRoutes:
    def __init__(self, packages: PackageService) -> None:
        self._packages = packages

    def register(self, router: Router) -> None:
        router.get("/{pkg}/-/{file}", self.tarball, access=Access.READ)

    async def tarball(self, request: web.Request, ctx: RequestContext) -> web.StreamResponse:
        name, filename = ctx.params["pkg"], ctx.params["file"]
        record = await self._packages.visible_tarball(ctx.actor, name, filename)
        if record is None:
            raise not_found()
        headers = {
            "Cache-Control": _IMMUTABLE_PRIVATE if record.restricted else _IMMUTABLE,
            "Content-Type": "application/octet-stream",
        }
        if record.path is not None:
            return web.FileResponse(record.path, headers=headers)
        data = await self._packages.tarball_bytes(record)
        return web.Response(body=data, headers=headers)
