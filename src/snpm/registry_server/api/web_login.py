"""Web login over HTTP (`npm login`/`npm adduser` with `--auth-type=web`, npm's default).

    POST /-/v1/login              → {loginUrl, doneUrl}   (404 when web login is switched off,
                                                            which makes npm ask in the terminal)
    GET|POST /-/v1/login/{id}     the browser page: a form, then "logged in"
    GET /-/v1/done/{id}           npm's poll: 202 + Retry-After until done, then 200 {token}

npm falls back to the terminal prompts on any 4xx from the POST or the poll, so an expired session
answers 404 (npm then asks for the password instead of failing). See `services.web_login`.
"""

from __future__ import annotations

from aiohttp import web

from snpm.registry_server.api.responses import json_response
from snpm.registry_server.api.router import Access, RequestContext, Router
from snpm.registry_server.services.errors import RegistryError, not_found
from snpm.registry_server.services.web_login import WebLoginService
from snpm.registry_server.web.login_page import PAGE_HEADERS, render_done, render_form, render_gone

__all__ = ["WebLoginRoutes"]

_MAX_FORM = 16 * 1024
RETRY_AFTER_SECONDS = 1


def _html(text: str, status: int = 200) -> web.Response:
    return web.Response(text=text, status=status, content_type="text/html", headers=PAGE_HEADERS)


class WebLoginRoutes:
    def __init__(self, logins: WebLoginService, *, enabled: bool) -> None:
        self._logins = logins
        self._enabled = enabled

    def register(self, router: Router) -> None:
        router.post("/-/v1/login", self.start, access=Access.NONE)
        router.get("/-/v1/login/{id}", self.page, access=Access.NONE)
        router.post("/-/v1/login/{id}", self.submit, access=Access.NONE)
        router.get("/-/v1/done/{id}", self.done, access=Access.NONE)

    def _check_enabled(self) -> None:
        if not self._enabled:
            raise not_found("Web login is not enabled on this registry")

    async def start(self, request: web.Request, ctx: RequestContext) -> web.StreamResponse:
        self._check_enabled()
        create = False
        if request.can_read_body:
            try:
                body = await request.json()
            except ValueError:
                body = {}
            create = isinstance(body, dict) and body.get("create") is True
        started = await self._logins.start(create)
        return json_response(
            {
                "loginUrl": f"{ctx.base_url}/-/v1/login/{started.login_id}",
                "doneUrl": f"{ctx.base_url}/-/v1/done/{started.done_id}",
            },
            headers={"Cache-Control": "no-store"},
        )

    async def page(self, request: web.Request, ctx: RequestContext) -> web.StreamResponse:
        self._check_enabled()
        try:
            session = await self._logins.session(ctx.params["id"])
        except RegistryError as err:
            return _html(render_gone(err.message), err.status)
        return _html(render_form(create=session.create))

    async def submit(self, request: web.Request, ctx: RequestContext) -> web.StreamResponse:
        self._check_enabled()
        if (request.content_length or 0) > _MAX_FORM:
            raise RegistryError(413, "The form is too large.")
        form = await request.post()
        username = str(form.get("username", "")).strip()
        password = str(form.get("password", ""))
        email = str(form.get("email", "")).strip() or None
        otp = str(form.get("otp", "")).strip() or None
        try:
            session = await self._logins.session(ctx.params["id"])
        except RegistryError as err:
            return _html(render_gone(err.message), err.status)
        try:
            user = await self._logins.complete(
                ctx.params["id"], username, password, email=email, otp=otp, client_ip=ctx.client_ip
            )
        except RegistryError as err:
            message = err.message
            if err.challenge == "OTP" and otp is None:
                message = "This account uses two-factor authentication: enter a one-time password too."
            status = 400 if err.status < 400 else err.status
            return _html(
                render_form(create=session.create, username=username, email=email or "", error=message),
                status,
            )
        return _html(render_done(user.name))

    async def done(self, request: web.Request, ctx: RequestContext) -> web.StreamResponse:
        self._check_enabled()
        issued = await self._logins.collect(ctx.params["id"])
        headers = {"Cache-Control": "no-store"}
        if issued is None:
            return json_response({}, 202, headers={**headers, "Retry-After": str(RETRY_AFTER_SECONDS)})
        return json_response({"token": issued.token}, headers=headers)
