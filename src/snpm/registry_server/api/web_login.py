"""Web login over HTTP (`npm login`/`npm adduser` with `--auth-type=web`, npm's default).

    POST /-/v1/login              → {loginUrl, doneUrl}   (404 when web login is switched off,
                                                            which makes npm ask in the terminal)
    GET|POST /-/v1/login/{id}     the browser page: a form, then "logged in" — a page of the
                                  website (`web.web_login_page`)
    GET /-/v1/done/{id}           npm's poll: 202 + Retry-After until done, then 200 {token}

npm falls back to the terminal prompts on any 4xx from the POST or the poll, so an expired session
answers 404 (npm then asks for the password instead of failing). See `services.web_login`.

The poll also serves npm 11's web OTP (`services.web_otp`, ids starting `otp.`): its token is the
one-time password npm repeats its command with.
"""

from __future__ import annotations

from aiohttp import web

from snpm.registry_server.api.responses import json_response
from snpm.registry_server.api.router import Access, RequestContext, Router
from snpm.registry_server.services.errors import not_found
from snpm.registry_server.services.web_login import WebLoginService
from snpm.registry_server.services.web_otp import is_web_otp_id

__all__ = ["WebLoginRoutes"]

RETRY_AFTER_SECONDS = 1


class WebLoginRoutes:
    def __init__(self, logins: WebLoginService, *, enabled: bool) -> None:
        self._logins = logins
        self._enabled = enabled

    def register(self, router: Router) -> None:
        router.post("/-/v1/login", self.start, access=Access.NONE)
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

    async def done(self, request: web.Request, ctx: RequestContext) -> web.StreamResponse:
        self._check_enabled()
        done_id = ctx.params["id"]
        if is_web_otp_id(done_id):
            token = await self._logins.web_otp.collect(done_id)
        else:
            issued = await self._logins.collect(done_id)
            token = issued.token if issued is not None else None
        headers = {"Cache-Control": "no-store"}
        if token is None:
            return json_response({}, 202, headers={**headers, "Retry-After": str(RETRY_AFTER_SECONDS)})
        return json_response({"token": token}, headers=headers)
