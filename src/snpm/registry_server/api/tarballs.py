"""`GET /{pkg}/-/{file}.tgz`: a published tarball, cached by clients for a year.

A tarball is served only while the database records it (so an unpublished version's file, or an
orphan a crashed publish left, is never visible), and a restricted package's only to its readers.
Tarballs are immutable — versions can never be republished — so `immutable` and a long max-age are
safe. The Content-Type is set explicitly so aiohttp never labels the `.tgz` with
`Content-Encoding: gzip` (npm would inflate it twice).

Small tarballs (most of npm's) are answered from memory: their bytes are kept per process, keyed by
name, file and integrity, within a byte budget. That skips the thread hops a file response costs
(stat and open in the executor, then sendfile), which dominated a tarball GET as measured; large
ones are sent with sendfile. The database row is still read on every request, so an unpublished
tarball is never served from memory.

A package the registry does not hold is served from the uplink cache (fetched and verified on first
use); a local package never falls through to the uplink, not even for a file it lacks.
"""

from __future__ import annotations

from collections import OrderedDict

from aiohttp import web

from snpm.registry_server.api.router import Access, RequestContext, Router
from snpm.registry_server.services.errors import not_found
from snpm.registry_server.services.packages import PackageService
from snpm.registry_server.services.uplink_cache import UplinkCache
from snpm.registry_server.storage.base import TarballRecord

__all__ = ["SmallTarballs", "TarballRoutes"]

_IMMUTABLE = "public, max-age=31536000, immutable"
# a restricted package's tarball must not sit in a shared cache
_IMMUTABLE_PRIVATE = "private, max-age=31536000, immutable"


class SmallTarballs:
    """Bytes of tarballs up to `max_item` bytes, least recently used first out past `max_bytes`."""

    def __init__(self, max_bytes: int = 64 * 1024 * 1024, max_item: int = 512 * 1024) -> None:
        self.max_bytes = max_bytes
        self.max_item = max_item
        self._used = 0
        self._items: OrderedDict[tuple[str, str, str], bytes] = OrderedDict()

    def get(self, record: TarballRecord) -> bytes | None:
        key = (record.name, record.filename, record.integrity)
        data = self._items.get(key)
        if data is not None:
            self._items.move_to_end(key)
        return data

    def put(self, record: TarballRecord, data: bytes) -> None:
        if len(data) > self.max_item or len(data) != record.size:
            return
        key = (record.name, record.filename, record.integrity)
        if key in self._items:
            return
        self._items[key] = data
        self._used += len(data)
        while self._used > self.max_bytes:
            _, dropped = self._items.popitem(last=False)
            self._used -= len(dropped)


class TarballRoutes:
    def __init__(self, packages: PackageService, uplink: UplinkCache | None = None) -> None:
        self._packages = packages
        self._uplink = uplink
        self._small = SmallTarballs()

    def register(self, router: Router) -> None:
        router.get("/{pkg}/-/{file}", self.tarball, access=Access.READ)

    async def tarball(self, request: web.Request, ctx: RequestContext) -> web.StreamResponse:
        name, filename = ctx.params["pkg"], ctx.params["file"]
        record = await self._packages.visible_tarball(ctx.actor, name, filename)
        if record is None:
            if self._uplink is None or await self._packages.head(name) is not None:
                raise not_found()
            record = await self._uplink.tarball(name, filename)
        headers = {
            "Cache-Control": _IMMUTABLE_PRIVATE if record.restricted else _IMMUTABLE,
            "Content-Type": "application/octet-stream",
        }
        if record.path is not None and record.size > self._small.max_item:
            return web.FileResponse(record.path, headers=headers)
        data = self._small.get(record)
        if data is None:
            data = await self._packages.tarball_bytes(record)
            self._small.put(record, data)
        return web.Response(body=data, headers=headers)
