"""`/-/npm/v1/tokens`: `npm token list|create|revoke`.

- list: `{objects, total, urls}` a page at a time (`page` from 0, `perPage` 1–9999, default 10);
  npm follows `urls.next` until it is absent, and reads `urls` unguarded, so it is always present.
- create: the password is checked again (and counts toward the login rate limit), and with 2FA on
  (either mode) a one-time password too; npm 10 sends
  `readonly`/`cidr_whitelist`, npm 11 `name`, `description` (--token-description), `expires` (days),
  `cidr_whitelist` and `packages_and_scopes_permission` (`read-only` makes a read-only token).
  A read-only token cannot create tokens. `bypass_2fa` (npm 11's `--bypass-2fa`) makes a token
  whose writes skip the auth-and-writes one-time password.
- revoke: the path names the token by its key or by its value, as npm allows both.
"""

from __future__ import annotations

from urllib.parse import urlencode

from aiohttp import web

from snpm.json_types import JsonObject
from snpm.registry_server.api.responses import json_response, read_json_object
from snpm.registry_server.api.router import Access, Otp, RequestContext, Router
from snpm.registry_server.services.accounts import AccountService
from snpm.registry_server.services.errors import bad_request, not_found
from snpm.registry_server.services.permissions import require_user, require_writer
from snpm.registry_server.services.tokens import parse_cidrs

__all__ = ["TokenRoutes"]

_DEFAULT_PER_PAGE = 10
_MAX_PER_PAGE = 9999
_MAX_EXPIRY_DAYS = 3650


def _int_param(raw: str | None, default: int, low: int, high: int, what: str) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as err:
        raise bad_request(f"{what} must be a number") from err
    if not low <= value <= high:
        raise bad_request(f"{what} must be between {low} and {high}")
    return value


class TokenRoutes:
    def __init__(self, accounts: AccountService) -> None:
        self._accounts = accounts

    def register(self, router: Router) -> None:
        router.get("/-/npm/v1/tokens", self.list_tokens, access=Access.USER)
        router.post("/-/npm/v1/tokens", self.create, access=Access.WRITE, otp=Otp.LOGIN)
        router.delete("/-/npm/v1/tokens/token/{key}", self.revoke, access=Access.USER)

    async def list_tokens(self, request: web.Request, ctx: RequestContext) -> web.StreamResponse:
        actor = require_user(ctx.actor)
        page = _int_param(request.query.get("page"), 0, 0, 10**9, "page")
        per_page = _int_param(request.query.get("perPage"), _DEFAULT_PER_PAGE, 1, _MAX_PER_PAGE, "perPage")
        objects, total = await self._accounts.tokens.page(actor.name, page, per_page)
        urls: JsonObject = {}
        if (page + 1) * per_page < total:
            query = urlencode({"page": page + 1, "perPage": per_page})
            urls["next"] = f"{ctx.base_url}/-/npm/v1/tokens?{query}"
        return json_response(
            {"objects": list(objects), "total": total, "urls": urls}, headers={"Cache-Control": "no-cache"}
        )

    async def create(self, request: web.Request, ctx: RequestContext) -> web.StreamResponse:
        actor = require_writer(ctx.actor)
        body = await read_json_object(request)
        password = body.get("password")
        if not isinstance(password, str) or not password:
            raise bad_request("A password is required to create a token")
        await self._accounts.check_credentials(actor.name, password, ctx.client_ip)
        readonly = body.get("readonly") is True or body.get("packages_and_scopes_permission") == "read-only"
        name = body.get("name")
        description = body.get("description")
        expires = body.get("expires")
        if expires is not None and (not isinstance(expires, int) or isinstance(expires, bool)):
            raise bad_request("expires must be a whole number of days")
        if isinstance(expires, int) and not 1 <= expires <= _MAX_EXPIRY_DAYS:
            raise bad_request(f"expires must be between 1 and {_MAX_EXPIRY_DAYS} days")
        issued = await self._accounts.tokens.issue(
            actor.name,
            name=name if isinstance(name, str) else "",
            description=description if isinstance(description, str) else "",
            readonly=readonly,
            cidr_whitelist=parse_cidrs(body.get("cidr_whitelist")),
            expires_days=expires,
            bypass_2fa=body.get("bypass_2fa") is True,
        )
        return json_response(issued.to_json(), 201)

    async def revoke(self, request: web.Request, ctx: RequestContext) -> web.StreamResponse:
        actor = require_user(ctx.actor)
        if not await self._accounts.tokens.revoke_for(actor.name, ctx.params["key"]):
            raise not_found("Token not found")
        return web.Response(status=204)
