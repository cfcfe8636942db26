"""`/-/package/{pkg}/access|visibility|collaborators` and `/-/user/{user}/package`: `npm access`.

- `get status` reads `visibility` (`{"public": bool}`); `set status=public|private` POSTs
  `{"access": "public"|"restricted"}` to `access` and reads `visibility` again;
- `set mfa=none|publish|automation` POSTs `{"publish_requires_tfa", "automation_token_overrides_tfa"}`:
  the package's 2FA policy for changes (`publish`: a one-time password from a user with 2FA;
  `automation`: that, or a `--bypass-2fa` token); `GET access` shows both;
- `list collaborators` reads `collaborators`; `list packages <user>` reads `/-/user/{user}/package`
  (after the org listing of that name was a 404).
All of it is a 404 for a restricted package the caller may not read.
"""

from __future__ import annotations

from aiohttp import web

from snpm.registry_server.api.responses import json_response, read_json_object
from snpm.registry_server.api.router import Access, RequestContext, Router
from snpm.registry_server.services.errors import bad_request
from snpm.registry_server.services.package_access import PackageAccessService

__all__ = ["AccessRoutes"]

_NO_CACHE = {"Cache-Control": "no-cache"}


class AccessRoutes:
    def __init__(self, access: PackageAccessService) -> None:
        self._access = access

    def register(self, router: Router) -> None:
        router.get("/-/package/{pkg}/visibility", self.visibility, access=Access.READ)
        router.get("/-/package/{pkg}/access", self.get_access, access=Access.READ)
        router.post("/-/package/{pkg}/access", self.set_access, access=Access.WRITE)
        router.get("/-/package/{pkg}/collaborators", self.collaborators, access=Access.READ)
        router.get("/-/user/{user}/package", self.user_packages, access=Access.READ)

    async def visibility(self, request: web.Request, ctx: RequestContext) -> web.StreamResponse:
        public = await self._access.visibility(ctx.actor, ctx.params["pkg"])
        return json_response({"public": public}, headers=_NO_CACHE)

    async def get_access(self, request: web.Request, ctx: RequestContext) -> web.StreamResponse:
        policy = await self._access.policy(ctx.actor, ctx.params["pkg"])
        return json_response(policy, headers=_NO_CACHE)

    async def set_access(self, request: web.Request, ctx: RequestContext) -> web.StreamResponse:
        body = await read_json_object(request)
        name = ctx.params["pkg"]
        if "publish_requires_tfa" in body:
            required = body.get("publish_requires_tfa")
            override = body.get("automation_token_overrides_tfa")
            if not isinstance(required, bool) or not isinstance(override, bool | None):
                raise bad_request("publish_requires_tfa and automation_token_overrides_tfa must be booleans")
            mfa = "none" if not required else ("automation" if override else "publish")
            return json_response(await self._access.set_mfa(ctx.actor, name, mfa))
        access = body.get("access")
        if access not in ("public", "restricted", "private"):
            raise bad_request('The body must be {"access": "public"} or {"access": "restricted"}')
        public = await self._access.set_status(ctx.actor, name, str(access))
        return json_response({"access": "public" if public else "restricted"})

    async def collaborators(self, request: web.Request, ctx: RequestContext) -> web.StreamResponse:
        listing = await self._access.collaborators(ctx.actor, ctx.params["pkg"])
        return json_response(dict(listing), headers=_NO_CACHE)

    async def user_packages(self, request: web.Request, ctx: RequestContext) -> web.StreamResponse:
        listing = await self._access.user_packages(ctx.actor, ctx.params["user"])
        return json_response(dict(listing), headers=_NO_CACHE)
