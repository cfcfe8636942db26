"""The page npm 11 opens for a web OTP (its `authUrl`; `services.web_otp` has the flow).

    GET  /-/v1/otp/<id>    for a signed-in person (else the sign-in page, then back here): a form
                           asking for a one-time password of their account
    POST /-/v1/otp/<id>    check it; then "Confirmed", and npm's poll gets the token it repeats
                           its command with

Unlike the login page, this one acts for the person signed in to the site (the session cookie and
the form token of every site form), and the code must belong to their account. The address is a
secret as well (192 random bits; masked in the access log, never sent as a referrer, `no-store`).
"""

from __future__ import annotations

from aiohttp import web

from snpm.registry_server.api.router import RequestContext, Router
from snpm.registry_server.services.errors import RegistryError, not_found
from snpm.registry_server.web.sessions import Visit
from snpm.registry_server.web.site import Form, Site, Who

__all__ = ["WebOtpPage"]

_TITLE = "Confirm with a one-time password"
_GONE = "Confirmation expired"


class WebOtpPage:
    def __init__(self, site: Site) -> None:
        self._site = site
        self._otp = site.registry.accounts.web_otp
        self._enabled = site.registry.settings.web_login

    def register(self, router: Router) -> None:
        self._site.page(router, "/-/v1/otp/{id}", self.page, who=Who.USER)
        self._site.form(router, "/-/v1/otp/{id}", self.confirm, who=Who.USER)

    def _render(self, visit: Visit, template: str, status: int = 200, **values: object) -> web.Response:
        return self._site.render_with(visit, template, values, status=status, referrer="no-referrer")

    def _form(self, visit: Visit, *, error: str | None = None, status: int = 200) -> web.Response:
        assert visit.user is not None
        can_confirm = visit.user.tfa_mode is not None
        if not can_confirm and error is None:
            error = "Two-factor authentication is not on for this account: there is nothing to confirm."
        return self._render(visit, "web_otp.html", status, title=_TITLE, can_confirm=can_confirm, error=error)

    def _gone(self, visit: Visit, err: RegistryError) -> web.Response:
        return self._render(visit, "web_login_done.html", err.status, title=_GONE, message=err.message)

    def _check_enabled(self) -> None:
        if not self._enabled:
            raise not_found("Web login is not enabled on this registry")

    async def page(self, request: web.Request, ctx: RequestContext, visit: Visit) -> web.StreamResponse:
        self._check_enabled()
        try:
            await self._otp.session(ctx.params["id"])
        except RegistryError as err:
            return self._gone(visit, err)
        return self._form(visit)

    async def confirm(
        self, request: web.Request, ctx: RequestContext, visit: Visit, form: Form
    ) -> web.StreamResponse:
        self._check_enabled()
        user = visit.user
        assert user is not None
        try:
            await self._otp.session(ctx.params["id"])
        except RegistryError as err:
            return self._gone(visit, err)
        try:
            await self._otp.approve(ctx.params["id"], user, form.text("otp") or None, visit.client_ip)
        except RegistryError as err:
            status = err.status if err.status >= 400 else 400
            return self._form(visit, error=self._site.message(err), status=status)
        return self._render(
            visit,
            "web_login_done.html",
            title="Confirmed",
            message="You can close this window and return to npm.",
        )
