"""Access tokens and two-factor authentication pages of a signed-in person.

    GET  /-/web/account/tokens          the person's tokens (prefix, type, dates, CIDR ranges)
    POST /-/web/account/tokens          create one: read-only / publish / automation, CIDR, expiry
    POST /-/web/account/tokens/revoke   revoke one by its key
    GET  /-/web/account/2fa             off: set up · pending: QR code and confirm · on: mode, turn off
    POST /-/web/account/2fa/enable      start (or restart) enrolment, or change the mode
    POST /-/web/account/2fa/confirm     the first code turns it on; recovery codes are shown once
    POST /-/web/account/2fa/disable     turn it off

A new token is shown once, in the answer to the POST that made it (`no-store`): the registry keeps
only its hash, so no later page can show it again, and it is never in a URL (nor the access log).
Creating a token needs the password again and, with 2FA on, a one-time password, as
`npm token create` does. Two-factor changes go through `ProfileService`, the same code `npm profile
enable-2fa` reaches. The QR code is drawn here, as inline SVG, from the `otpauth://` URL (nothing
is fetched from elsewhere; the key is also shown as text).
"""

from __future__ import annotations

import re

import pyotp
from aiohttp import web
from markupsafe import Markup

from snpm.json_types import JsonObject
from snpm.registry_server.api.router import RequestContext, Router
from snpm.registry_server.services.errors import RegistryError, bad_request, not_found
from snpm.registry_server.services.tokens import parse_cidrs
from snpm.registry_server.services.two_factor import Need
from snpm.registry_server.storage.base import UserRecord
from snpm.registry_server.web.sessions import SESSION_TOKEN_NAME, Visit
from snpm.registry_server.web.site import Form, Site, Who

__all__ = ["SecurityPages", "qr_svg"]

TOKEN_KINDS = ("read-only", "publish", "automation")
MAX_EXPIRY_DAYS = 3650
_TOKENS_SHOWN = 200
_WRONG_PASSWORD = "Your password is not right."
_LIST_SPLIT = re.compile(r"[\s,]+")


def qr_svg(data: str) -> Markup:
    """`data` as a QR code in inline SVG (drawn by the `qrcode` package; no script, no links)."""
    import qrcode  # type: ignore[import-untyped]  # (no stubs) only when someone sets up 2FA
    import qrcode.image.svg  # type: ignore[import-untyped]

    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    svg = image.to_string(encoding="unicode")
    return Markup(svg)  # our own drawing of a URL this server made


def _status(err: RegistryError) -> int:
    return err.status if err.status >= 400 else 400


def _message(site: Site, err: RegistryError) -> str:
    if err.status == 401 and err.challenge and err.challenge.startswith("Basic"):
        return _WRONG_PASSWORD
    return site.message(err)


class SecurityPages:
    def __init__(self, site: Site) -> None:
        self._site = site
        self._registry = site.registry

    def register(self, router: Router) -> None:
        site = self._site
        site.page(router, "/-/web/account/tokens", self.tokens_page, who=Who.USER)
        site.form(router, "/-/web/account/tokens", self.create_token)
        site.form(router, "/-/web/account/tokens/revoke", self.revoke_token)
        site.page(router, "/-/web/account/2fa", self.two_factor_page, who=Who.USER)
        site.form(router, "/-/web/account/2fa/enable", self.enable)
        site.form(router, "/-/web/account/2fa/confirm", self.confirm)
        site.form(router, "/-/web/account/2fa/disable", self.disable)

    # ── tokens ──

    async def _tokens(
        self,
        visit: Visit,
        *,
        new_token: str | None = None,
        values: dict[str, str] | None = None,
        error: str | None = None,
        notice: str | None = None,
        status: int = 200,
    ) -> web.Response:
        assert visit.user is not None
        page = await self._registry.storage.list_tokens(visit.user.name, 0, _TOKENS_SHOWN)
        host = visit.registry_url.split(":", 1)[1]  # npm's "nerf dart": //host/path/
        return self._site.render(
            visit,
            "account_tokens.html",
            status=status,
            title="Access tokens",
            tokens=page.tokens,
            total=page.total,
            new_token=new_token,
            npmrc_key=f"{host}:_authToken",
            session_token_name=SESSION_TOKEN_NAME,
            form_values=values or {"name": "", "kind": "read-only", "cidr": "", "expires": ""},
            error=error,
            notice=notice,
        )

    async def tokens_page(
        self, request: web.Request, ctx: RequestContext, visit: Visit
    ) -> web.StreamResponse:
        return await self._tokens(visit, notice=self._site.notice(request))

    async def create_token(
        self, request: web.Request, ctx: RequestContext, visit: Visit, form: Form
    ) -> web.StreamResponse:
        user = visit.user
        assert user is not None
        values = {key: form.text(key) for key in ("name", "kind", "cidr", "expires")}
        accounts = self._registry.accounts
        try:
            kind = values["kind"] or "publish"
            if kind not in TOKEN_KINDS:
                raise bad_request("Choose read-only, publish or automation.")
            cidrs = parse_cidrs([c for c in _LIST_SPLIT.split(values["cidr"]) if c] or None)
            expires = _expiry_days(values["expires"])
            await accounts.check_credentials(user.name, form.secret("password"), visit.client_ip)
            await self._site.require_otp(visit, form, Need.LOGIN)
            issued = await accounts.tokens.issue(
                user.name,
                name=values["name"][:128],
                readonly=kind == "read-only",
                cidr_whitelist=cidrs,
                expires_days=expires,
                bypass_2fa=kind == "automation",
            )
        except RegistryError as err:
            return await self._tokens(
                visit, values=values, error=_message(self._site, err), status=_status(err)
            )
        return await self._tokens(visit, new_token=issued.token)

    async def revoke_token(
        self, request: web.Request, ctx: RequestContext, visit: Visit, form: Form
    ) -> web.StreamResponse:
        user = visit.user
        assert user is not None
        key = form.text("key")
        if not key or not await self._registry.accounts.tokens.revoke_for(user.name, key):
            raise not_found("No such token.")
        if key == visit.session_key:  # this browser's own session: it is signed out now
            response = self._site.redirect(visit.links.root, "signed-out")
            await self._site.sessions.sign_out(response, visit)
            return response
        return self._site.redirect(visit.links.account("tokens"), "token-revoked")

    # ── two-factor authentication ──

    def _two_factor(
        self,
        visit: Visit,
        user: UserRecord,
        *,
        recovery_codes: list[str] | None = None,
        error: str | None = None,
        notice: str | None = None,
        status: int = 200,
    ) -> web.Response:
        state = user.two_factor
        values: dict[str, object] = {"state": "off", "mode": "", "qr_svg": None, "secret": ""}
        if state is not None and state.pending:
            uri = pyotp.TOTP(state.secret).provisioning_uri(
                name=user.name, issuer_name=self._registry.accounts.two_factor.issuer
            )
            values = {"state": "pending", "mode": state.mode, "qr_svg": qr_svg(uri), "secret": state.secret}
        elif state is not None:
            values = {"state": "on", "mode": state.mode, "qr_svg": None, "secret": ""}
        values.update(
            title="Two-factor authentication", recovery_codes=recovery_codes, error=error, notice=notice
        )
        return self._site.render_with(visit, "account_2fa.html", values, status=status)

    async def two_factor_page(
        self, request: web.Request, ctx: RequestContext, visit: Visit
    ) -> web.StreamResponse:
        assert visit.user is not None
        return self._two_factor(visit, visit.user, notice=self._site.notice(request))

    async def _fresh_user(self, visit: Visit) -> UserRecord:
        assert visit.user is not None
        return await self._registry.accounts.get_user(visit.user.name) or visit.user

    async def enable(
        self, request: web.Request, ctx: RequestContext, visit: Visit, form: Form
    ) -> web.StreamResponse:
        user, actor = visit.user, visit.actor
        assert user is not None and actor is not None
        body: JsonObject = {"tfa": {"mode": form.text("mode"), "password": form.secret("password")}}
        was_on = user.tfa_mode is not None
        try:
            await self._registry.profiles.update(actor, body, form.text("otp") or None, visit.client_ip)
        except RegistryError as err:
            return self._two_factor(visit, user, error=_message(self._site, err), status=_status(err))
        return self._site.redirect(visit.links.account("2fa"), "2fa-mode" if was_on else None)

    async def confirm(
        self, request: web.Request, ctx: RequestContext, visit: Visit, form: Form
    ) -> web.StreamResponse:
        user, actor = visit.user, visit.actor
        assert user is not None and actor is not None
        try:
            profile = await self._registry.profiles.update(
                actor, {"tfa": [form.text("code").replace(" ", "")]}, None, visit.client_ip
            )
        except RegistryError as err:
            return self._two_factor(visit, user, error=_message(self._site, err), status=_status(err))
        raw = profile.get("tfa")
        codes = [c for c in raw if isinstance(c, str)] if isinstance(raw, list) else []
        return self._two_factor(visit, await self._fresh_user(visit), recovery_codes=codes)

    async def disable(
        self, request: web.Request, ctx: RequestContext, visit: Visit, form: Form
    ) -> web.StreamResponse:
        user, actor = visit.user, visit.actor
        assert user is not None and actor is not None
        body: JsonObject = {"tfa": {"mode": "disable", "password": form.secret("password")}}
        try:
            await self._registry.profiles.update(actor, body, form.text("otp") or None, visit.client_ip)
        except RegistryError as err:
            return self._two_factor(visit, user, error=_message(self._site, err), status=_status(err))
        return self._site.redirect(visit.links.account("2fa"), "2fa-off")


def _expiry_days(raw: str) -> int | None:
    if not raw:
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_EXPIRY_DAYS:
        raise bad_request(f"Expiry must be a whole number of days from 1 to {MAX_EXPIRY_DAYS}.")
    return int(raw)
