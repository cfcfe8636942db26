"""Accounts over npm's couch-era routes: login/sign-up, user lookup, whoami, logout.

- `PUT /-/user/org.couchdb.user:<name>` is both `npm login` and `npm adduser` (legacy auth type,
  or after `POST /-/v1/login` answers 404, which makes npm fall back to it). The answer carries a
  new token. A `/-rev/<rev>` suffix (the CouchDB update dance) is accepted as the same request.
  An account with 2FA also needs the `npm-otp` header (else 401 OTP: npm prompts and retries).
- `DELETE /-/user/token/<token>` is `npm logout`: the token is revoked on the server. Credentials
  are not checked first (the token in the path is the authority), so logging out with a token the
  server already forgot still succeeds and npm can clear its config.
"""

from __future__ import annotations

from aiohttp import web

from snpm.registry_server.api.access_log import ACTOR_KEY
from snpm.registry_server.api.responses import json_response, read_json_object
from snpm.registry_server.api.router import Access, RequestContext, Router
from snpm.registry_server.services.accounts import AccountService
from snpm.registry_server.services.errors import bad_request, not_found
from snpm.registry_server.services.permissions import require_user

__all__ = ["UserRoutes"]

_COUCH_PREFIX = "org.couchdb.user:"


class UserRoutes:
    def __init__(self, accounts: AccountService) -> None:
        self._accounts = accounts

    def register(self, router: Router) -> None:
        router.put(f"/-/user/{_COUCH_PREFIX}{{username}}", self.login, access=Access.NONE)
        router.put(f"/-/user/{_COUCH_PREFIX}{{username}}/-rev/{{rev}}", self.login, access=Access.NONE)
        router.get(f"/-/user/{_COUCH_PREFIX}{{username}}", self.user, access=Access.READ)
        router.get("/-/whoami", self.whoami, access=Access.USER)
        router.delete("/-/user/token/{token}", self.logout, access=Access.NONE)

    async def login(self, request: web.Request, ctx: RequestContext) -> web.StreamResponse:
        username = ctx.params["username"]
        body = await read_json_object(request)
        name = body.get("name", username)
        password = body.get("password")
        email = body.get("email")
        if name != username:
            raise bad_request("The user name in the body does not match the URL")
        if not isinstance(password, str) or not password:
            raise bad_request("A password is required")
        if email is not None and not isinstance(email, str):
            raise bad_request("email must be a string")
        otp = request.headers.get("npm-otp") or None
        result = await self._accounts.login(username, password, email or None, ctx.client_ip, otp)
        request[ACTOR_KEY] = result.user.name
        return json_response(
            {
                "ok": True,
                "id": f"{_COUCH_PREFIX}{result.user.name}",
                "rev": "_we_dont_use_revs_any_more",
                "token": result.token.token,
            },
            201,
        )

    async def user(self, request: web.Request, ctx: RequestContext) -> web.StreamResponse:
        user = await self._accounts.get_user(ctx.params["username"])
        if user is None:
            raise not_found(f"User not found: {ctx.params['username']}")
        return json_response({"_id": f"{_COUCH_PREFIX}{user.name}", "name": user.name, "email": user.email})

    async def whoami(self, request: web.Request, ctx: RequestContext) -> web.StreamResponse:
        actor = require_user(ctx.actor)
        return json_response({"username": actor.name})

    async def logout(self, request: web.Request, ctx: RequestContext) -> web.StreamResponse:
        await self._accounts.tokens.revoke_value(ctx.params["token"])
        return json_response({"ok": "Logged out"})
