"""The page npm opens in the browser for `npm login` / `npm adduser` (its `loginUrl`).

    GET  /-/v1/login/<id>    the form: user name, password, one-time password (for adduser
                             sessions an e-mail too, which signs up a new name)
    POST /-/v1/login/<id>    check them; then "Logged in as <name>", and npm's poll gets its token

The JSON half of the flow (`POST /-/v1/login`, npm's poll on `/-/v1/done/<id>`) is
`api.web_login`'s. The page's address is itself the secret that protects the form: 192 random bits
known only to the npm that asked and the browser it opened (the access log masks it, and the page
is `no-store` with `Referrer-Policy: no-referrer`), so a page elsewhere cannot aim a form at it; a
browser that marks the POST as cross-site is refused besides. No site session is needed or made:
this form logs the terminal in, not the browser.
"""

from __future__ import annotations

from aiohttp import web

from snpm.registry_server.api.router import RequestContext, Router
from snpm.registry_server.services.errors import RegistryError, not_found
from snpm.registry_server.web.sessions import Visit
from snpm.registry_server.web.site import Site, Who, read_form

__all__ = ["WebLoginPage"]

_GONE = "Login expired"


class WebLoginPage:
    def __init__(self, site: Site) -> None:
        self._site = site
        self._logins = site.registry.web_logins
        self._enabled = site.registry.settings.web_login

    def register(self, router: Router) -> None:
        self._site.page(router, "/-/v1/login/{id}", self.page, who=Who.PUBLIC)
        self._site.page(router, "/-/v1/login/{id}", self.submit, who=Who.PUBLIC, method="POST")

    def _render(self, visit: Visit, template: str, status: int = 200, **values: object) -> web.Response:
        return self._site.render_with(visit, template, values, status=status, referrer="no-referrer")

    def _form(
        self,
        visit: Visit,
        *,
        create: bool,
        username: str = "",
        email: str = "",
        error: str | None = None,
        status: int = 200,
    ) -> web.Response:
        title = "Create an account" if create else "Log in"
        return self._render(
            visit,
            "web_login.html",
            status,
            title=title,
            create=create,
            username=username,
            email=email,
            error=error,
        )

    def _gone(self, visit: Visit, err: RegistryError) -> web.Response:
        return self._render(visit, "web_login_done.html", err.status, title=_GONE, message=err.message)

    async def page(self, request: web.Request, ctx: RequestContext, visit: Visit) -> web.StreamResponse:
        if not self._enabled:
            raise not_found("Web login is not enabled on this registry")
        try:
            session = await self._logins.session(ctx.params["id"])
        except RegistryError as err:
            return self._gone(visit, err)
        username = visit.user.name if visit.user is not None and not session.create else ""
        return self._form(visit, create=session.create, username=username)

    async def submit(self, request: web.Request, ctx: RequestContext, visit: Visit) -> web.StreamResponse:
        if not self._enabled:
            raise not_found("Web login is not enabled on this registry")
        if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
            raise RegistryError(403, "This form must be sent from its own page.")
        form = await read_form(request)
        username, email = form.text("username"), form.text("email")
        otp = form.text("otp") or None
        try:
            session = await self._logins.session(ctx.params["id"])
        except RegistryError as err:
            return self._gone(visit, err)
        try:
            user = await self._logins.complete(
                ctx.params["id"],
                username,
                form.secret("password"),
                email=email or None,
                otp=otp,
                client_ip=ctx.client_ip,
            )
        except RegistryError as err:
            message = err.message
            if err.challenge == "OTP" and otp is None:
                message = "This account uses two-factor authentication: enter a one-time password too."
            status = 400 if err.status < 400 else err.status
            return self._form(
                visit, create=session.create, username=username, email=email, error=message, status=status
            )
        return self._render(
            visit,
            "web_login_done.html",
            title=f"Logged in as {user.name}",
            message="You can close this window and return to npm.",
        )
