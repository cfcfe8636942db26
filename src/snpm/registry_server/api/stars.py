"""`GET /-/_view/starredByUser?key="<name>"`: `npm stars [user]` (the key is the JSON-quoted name).

Starring itself is a document PUT (`users`), handled with the other document changes. The answer
is CouchDB's view shape, `{"rows": [{"key", "value": <package>}]}`; npm prints each `value`.
Restricted packages the caller may not read are left out.
"""

from __future__ import annotations

import json

from aiohttp import web

from snpm.json_types import JsonValue
from snpm.registry_server.api.responses import json_response
from snpm.registry_server.api.router import Access, RequestContext, Router
from snpm.registry_server.services.errors import bad_request
from snpm.registry_server.services.package_access import PackageAccessService

__all__ = ["StarRoutes"]


def _user_key(raw: str | None) -> str:
    if not raw:
        raise bad_request('key must be the JSON-quoted user name, as in key="alice"')
    try:
        value = json.loads(raw)
    except ValueError:
        value = raw  # an unquoted name: be lenient
    if not isinstance(value, str) or not value:
        raise bad_request('key must be the JSON-quoted user name, as in key="alice"')
    return value


class StarRoutes:
    def __init__(self, access: PackageAccessService) -> None:
        self._access = access

    def register(self, router: Router) -> None:
        router.get("/-/_view/starredByUser", self.starred_by_user, access=Access.READ)

    async def starred_by_user(self, request: web.Request, ctx: RequestContext) -> web.StreamResponse:
        user = _user_key(request.query.get("key"))
        names = await self._access.starred_by(ctx.actor, user)
        rows: list[JsonValue] = [{"key": user, "value": name} for name in names]
        return json_response({"rows": rows}, headers={"Cache-Control": "no-cache"})
