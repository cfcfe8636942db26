"""`POST /-/npm/v1/security/advisories/bulk` (`npm audit`, the audit after installs) and
`GET /-/npm/v1/keys` (`npm audit signatures`).

npm gzips the audit body (`Content-Encoding: gzip`); aiohttp inflates such bodies itself, and a
body that still starts with the gzip magic (a proxy that dropped the header) is inflated here,
within the app's body limit. The registry signs nothing, so `keys` is an empty list: npm then
reports that the registry provides no signing keys. npm 11 no longer falls back to the quick audit
endpoint, so it is not served (see `services.advisories`).
"""

from __future__ import annotations

import zlib

import msgspec
from aiohttp import web

from snpm.json_types import JsonValue
from snpm.registry_server.api.responses import json_response
from snpm.registry_server.api.router import Access, RequestContext, Router
from snpm.registry_server.services.advisories import AdvisoryService
from snpm.registry_server.services.errors import RegistryError, bad_request

__all__ = ["AuditRoutes"]

_GZIP_MAGIC = b"\x1f\x8b"


def _inflate(data: bytes, limit: int) -> bytes:
    if not data.startswith(_GZIP_MAGIC):
        return data
    inflater = zlib.decompressobj(wbits=31)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as err:
        raise bad_request(f"The request body is not valid gzip: {err}") from err
    if len(out) > limit or inflater.unconsumed_tail:
        raise RegistryError(413, "The request body is larger than this registry accepts.")
    return out


class AuditRoutes:
    def __init__(self, advisories: AdvisoryService, max_body_size: int) -> None:
        self._advisories = advisories
        self._limit = max_body_size

    def register(self, router: Router) -> None:
        router.post("/-/npm/v1/security/advisories/bulk", self.bulk, access=Access.READ)
        router.get("/-/npm/v1/keys", self.keys, access=Access.READ)

    async def bulk(self, request: web.Request, ctx: RequestContext) -> web.StreamResponse:
        data = _inflate(await request.read(), self._limit)
        try:
            body: JsonValue = msgspec.json.decode(data) if data else {}
        except msgspec.DecodeError as err:
            raise bad_request(f"The request body is not valid JSON: {err}") from err
        if not isinstance(body, dict):
            raise bad_request("The body must be {name: [versions]}")
        return json_response(await self._advisories.bulk(body), headers={"Cache-Control": "no-store"})

    async def keys(self, request: web.Request, ctx: RequestContext) -> web.StreamResponse:
        return json_response({"keys": []}, headers={"Cache-Control": "no-cache"})
