"""From an aiohttp request to a route call: matching, who is asking, and the request's base URL.

Credentials are read on every request npm makes (it sends them on reads too): `Bearer <token>` is
checked against the token store (revoked, expired or address-limited tokens are a 401 at once) and
`Basic <user:password>` against the user store. A route's `Access` then decides: `NONE` ignores
credentials, `READ` lets anonymous callers in (unless reads require login), `USER` needs a user,
`WRITE` a user whose token is not read-only.

Two-factor authentication: an account with 2FA that authenticates with Basic credentials must send
a one-time password (`npm-otp`) with every request (each is a login); otherwise a route's `Otp` rule
decides (`WRITE` routes ask in auth-and-writes mode, `LOGIN` routes in both modes, `HANDLER` routes
ask themselves). Wherever the challenge comes from, it becomes npm 11's web OTP (`authUrl`/`doneUrl`,
`services.web_otp`) when web login is on, npm says `npm-auth-type: web`, and its token came from a
web login.

The base URL (for tarball URLs) is the configured public URL, else the request's own scheme and
Host, else — only when `trust_proxy` is set — `X-Forwarded-Proto/Host/Prefix`.
"""

from __future__ import annotations

import base64
import binascii

from aiohttp import web

from snpm.registry_server.api.access_log import ACTOR_KEY, CLIENT_IP_KEY
from snpm.registry_server.api.responses import json_response
from snpm.registry_server.api.router import Access, Otp, RequestContext, Router
from snpm.registry_server.services.accounts import AccountService
from snpm.registry_server.services.errors import RegistryError, forbidden, unauthorized
from snpm.registry_server.services.permissions import Actor
from snpm.registry_server.services.two_factor import Need
from snpm.registry_server.settings import ServerSettings

__all__ = ["Dispatcher", "base_url", "client_ip"]

_LOGIN_NEEDED = "You must be logged in to do that. Run `npm login`."


def client_ip(request: web.Request, settings: ServerSettings) -> str | None:
    if settings.trust_proxy:
        forwarded = request.headers.get("X-Forwarded-For")
        if forwarded:
            return forwarded.split(",", 1)[0].strip() or request.remote
    return request.remote


def base_url(request: web.Request, settings: ServerSettings) -> str:
    if settings.public_url:
        return settings.public_url.rstrip("/")
    scheme = request.scheme
    host = request.host
    prefix = ""
    if settings.trust_proxy:
        scheme = request.headers.get("X-Forwarded-Proto", scheme).split(",", 1)[0].strip() or scheme
        host = request.headers.get("X-Forwarded-Host", host).split(",", 1)[0].strip() or host
        prefix = request.headers.get("X-Forwarded-Prefix", "").strip().rstrip("/")
        if prefix and not prefix.startswith("/"):
            prefix = "/" + prefix
    return f"{scheme}://{host}{prefix}"


class Dispatcher:
    def __init__(self, router: Router, accounts: AccountService, settings: ServerSettings) -> None:
        self._router = router
        self._accounts = accounts
        self._settings = settings

    async def _actor(self, request: web.Request, ip: str | None) -> Actor | None:
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.strip().partition(" ")
        value = value.strip()
        if not scheme:
            return None
        if scheme.lower() == "bearer" and value:
            return await self._accounts.actor_for_token(value, ip)
        if scheme.lower() == "basic" and value:
            try:
                decoded = base64.b64decode(value, validate=True).decode("utf-8")
            except (binascii.Error, ValueError) as err:
                raise unauthorized("Malformed Basic credentials.", 'Basic realm="snpm-registry"') from err
            name, sep, password = decoded.partition(":")
            if not sep:
                raise unauthorized("Malformed Basic credentials.", 'Basic realm="snpm-registry"')
            return await self._accounts.actor_for_basic(name, password, ip)
        raise unauthorized(f"Unsupported authorization scheme: {scheme}")

    async def handle(self, request: web.Request) -> web.StreamResponse:
        found = self._router.match(request.method, request.rel_url.raw_path)
        if found is None:
            return json_response({"error": "Not found"}, 404)
        if isinstance(found, set):
            return json_response(
                {"error": "Method not allowed"}, 405, headers={"Allow": ", ".join(sorted(found))}
            )
        ip = client_ip(request, self._settings)
        if ip is not None:
            request[CLIENT_IP_KEY] = ip
        access = found.route.access
        actor: Actor | None = None
        if access is not Access.NONE:
            actor = await self._actor(request, ip)
            if actor is not None:
                request[ACTOR_KEY] = actor.name
            if actor is None and (access is not Access.READ or self._settings.read_requires_login):
                raise unauthorized(_LOGIN_NEEDED)
            if access is Access.WRITE and actor is not None and actor.read_only:
                raise forbidden("This token is read-only and cannot be used to change the registry.")
        otp = request.headers.get("npm-otp") or None
        verified = False
        try:
            if actor is not None and actor.tfa_mode is not None:
                two_factor = self._accounts.two_factor
                rule = found.route.otp
                if actor.token_key is None or rule is Otp.LOGIN:
                    await two_factor.require(actor, otp, Need.LOGIN, ip)
                    verified = True
                elif rule is Otp.DEFAULT and access is Access.WRITE:
                    await two_factor.require(actor, otp, Need.WRITE, ip)
            context = RequestContext(
                actor, found.params, base_url(request, self._settings), ip, otp, verified
            )
            return await found.route.handler(request, context)
        except RegistryError as err:
            if self._confirms_in_browser(err, actor, request):
                raise await self._accounts.web_otp.challenge(err, base_url(request, self._settings)) from None
            raise

    def _confirms_in_browser(self, err: RegistryError, actor: Actor | None, request: web.Request) -> bool:
        """Whether an OTP challenge goes to npm as a web OTP (see the module docstring)."""
        return (
            err.status == 401
            and err.challenge == "OTP"
            and self._settings.web_login
            and actor is not None
            and actor.web_login
            and request.headers.get("npm-auth-type", "").strip().lower() == "web"
        )
