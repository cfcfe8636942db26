"""The website's frame: how a page route is declared, and what happens around every page handler.

A page is registered with `Who` may see it (`ANYONE`: everyone unless the registry requires login
for reads; `PUBLIC`: always, as the sign-in page; `USER`: a signed-in person, else a redirect to the
sign-in page). Around each handler the frame works out the `Visit` (session, form token), and for a
form POST reads the (small, url-encoded) body and refuses it with 403 unless it carries this
browser's form token. A `RegistryError` from a service becomes an HTML error page with its status;
a restricted package the visitor may not read is the same 404 page as a missing one.

Routes use `Access.NONE` on the registry's router: the site never reads an `Authorization` header,
only its own session cookie.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlsplit

import msgspec
from aiohttp import web

from snpm.registry_server.api.access_log import redacted_path
from snpm.registry_server.api.router import Access, RequestContext, Router
from snpm.registry_server.services.errors import RegistryError
from snpm.registry_server.services.two_factor import Need
from snpm.registry_server.web.catalog import Catalog
from snpm.registry_server.web.readme import ReadmeRenderer
from snpm.registry_server.web.rendering import Links, StaticFiles, Templates, html_response
from snpm.registry_server.web.sessions import Sessions, Visit

if TYPE_CHECKING:  # app.py imports this package to mount it
    from snpm.registry_server.app import Registry

__all__ = ["Form", "FormHandler", "PageHandler", "Site", "Who", "safe_next"]

MAX_FORM_BYTES = 64 * 1024
_MAX_FIELDS = 64
SITE_NAME = "snpm registry"
_log = logging.getLogger("snpm.registry_server")
_FORGED = "This form has expired or did not come from this site. Go back, reload the page and try again."
# What a page says after a form redirected to it (`?done=<key>`): fixed texts, so a link cannot
# make the site display words of someone else's choosing.
NOTICES: Mapping[str, str] = {
    "signed-out": "You are signed out.",
    "welcome": "Welcome! Your account is ready.",
    "profile": "Your profile was saved.",
    "password": "Your password was changed.",
    "token-revoked": "The token was revoked.",
    "2fa-mode": "The two-factor authentication mode was changed.",
    "2fa-off": "Two-factor authentication is off.",
    "member": "The member was saved.",
    "member-removed": "The member was removed.",
    "left": "You left the organization.",
    "team-created": "The team was created.",
    "team-removed": "The team was deleted.",
    "team-member": "The team member was added.",
    "team-member-removed": "The team member was removed.",
    "granted": "The team was given access.",
    "revoked": "The team's access was revoked.",
}


class Who(enum.Enum):
    ANYONE = "anyone"
    PUBLIC = "public"
    USER = "user"


class Form(msgspec.Struct, frozen=True):
    """A submitted form's fields (the first value of each)."""

    fields: Mapping[str, str]

    def text(self, key: str) -> str:
        """A field with surrounding white space removed."""
        return self.fields.get(key, "").strip()

    def secret(self, key: str) -> str:
        """A password field exactly as typed."""
        return self.fields.get(key, "")


PageHandler = Callable[[web.Request, RequestContext, Visit], Awaitable[web.StreamResponse]]
FormHandler = Callable[[web.Request, RequestContext, Visit, Form], Awaitable[web.StreamResponse]]


async def read_form(request: web.Request) -> Form:
    """An url-encoded form body of at most MAX_FORM_BYTES (413 beyond, 415 for other types)."""
    if (request.content_length or 0) > MAX_FORM_BYTES:
        raise RegistryError(413, "The form is too large.")
    if request.content_type not in ("application/x-www-form-urlencoded", "application/octet-stream", ""):
        raise RegistryError(415, "Forms must be sent url-encoded.")
    body = await request.content.read(MAX_FORM_BYTES + 1)
    if len(body) > MAX_FORM_BYTES:
        raise RegistryError(413, "The form is too large.")
    try:
        pairs = parse_qsl(
            body.decode("utf-8"), keep_blank_values=True, strict_parsing=False, max_num_fields=_MAX_FIELDS
        )
    except (UnicodeDecodeError, ValueError) as err:
        raise RegistryError(400, "The form could not be read.") from err
    fields: dict[str, str] = {}
    for key, value in pairs:
        fields.setdefault(key, value)
    return Form(fields)


def safe_next(value: str, links: Links) -> str:
    """Where to go after signing in: a path on this site only (never another host: no open redirect)."""
    home = links.root
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return home
    if any(ord(c) < 32 or c == "\x7f" for c in value):
        return home
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return home
    if links.prefix and not (value == links.prefix or value.startswith(links.prefix + "/")):
        return home
    return value


def _internal_error(request: web.Request) -> web.Response:
    """A plain 500 page (no template: the templates may be what failed); the traceback is logged."""
    _log.exception("internal error on page %s %s", request.method, redacted_path(request.rel_url.raw_path))
    return html_response(
        "<!doctype html><title>Server error</title><h1>Something went wrong</h1>"
        "<p>The error was logged. Try again later.</p>",
        500,
    )


def _prefix(base_url: str) -> str:
    return urlsplit(base_url).path.rstrip("/")


class Site:
    """The website's shared parts: templates, static files, sessions, the catalog, README rendering."""

    def __init__(self, registry: Registry, *, catalog_max_age: float = 2.0) -> None:
        self.registry = registry
        self.templates = Templates()
        self.static = StaticFiles()
        self._static_versions = self.static.versions
        self.sessions = Sessions(registry.accounts)
        self.catalog = Catalog(registry.storage, registry.access, max_age=catalog_max_age)
        self.readme = ReadmeRenderer()

    # ── responses ──

    def links(self, ctx: RequestContext) -> Links:
        return Links(_prefix(ctx.base_url), self._static_versions)

    def render(
        self,
        visit: Visit,
        template: str,
        *,
        status: int = 200,
        private: bool = True,
        referrer: str = "same-origin",
        **values: object,
    ) -> web.Response:
        return self.render_with(visit, template, values, status=status, private=private, referrer=referrer)

    def render_with(
        self,
        visit: Visit,
        template: str,
        values: Mapping[str, object],
        *,
        status: int = 200,
        private: bool = True,
        referrer: str = "same-origin",
    ) -> web.Response:
        """A page from `template` with `values` (plus the visit, links and site-wide values)."""
        context: dict[str, object] = {
            "visit": visit,
            "links": visit.links,
            "site_name": SITE_NAME,
            "signup_open": self.registry.accounts.allow_signup,
            "error": None,
            "notice": None,
            "referrer_policy": referrer,
        }
        context.update(values)
        text = self.templates.render(template, context)
        return html_response(text, status, private=private or visit.user is not None, referrer=referrer)

    @staticmethod
    def notice(request: web.Request) -> str | None:
        return NOTICES.get(request.query.get("done", ""))

    @staticmethod
    def redirect(location: str, done: str | None = None) -> web.Response:
        if done is not None:
            location += ("&" if "?" in location else "?") + f"done={done}"
        response = web.Response(status=303, headers={"Location": location, "Cache-Control": "no-store"})
        return response

    @staticmethod
    def message(err: RegistryError) -> str:
        """A service's message as the site words it (the OTP challenge speaks to npm users)."""
        if err.challenge == "OTP":
            return (
                "This needs a current one-time password from your authenticator app "
                "(or an unused recovery code)."
            )
        return err.message

    def error_page(self, visit: Visit, err: RegistryError) -> web.Response:
        status = err.status if err.status >= 400 else 400
        titles = {403: "Not allowed", 404: "Not found", 413: "Too large", 429: "Too many attempts"}
        return self.render(
            visit,
            "error.html",
            status=status,
            title=titles.get(status, "Something went wrong"),
            message=self.message(err) if status != 404 else "There is nothing here, or you may not see it.",
        )

    async def require_otp(self, visit: Visit, form: Form, need: Need) -> None:
        """The one-time password a change made here needs, as the registry's API would ask for it
        (`Need.LOGIN`: always with 2FA on; `Need.WRITE`: in auth-and-writes mode); 401 otherwise."""
        otp = form.text("otp") or None
        await self.registry.accounts.two_factor.require(visit.actor, otp, need, visit.client_ip)

    # ── routes ──

    def register_static(self, router: Router) -> None:
        """`GET /-/web/static/<file>`: the stylesheet and icon (cached for a year at `?v=<hash>`)."""

        async def serve(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
            response = self.static.response(ctx.params["file"], request.query.get("v"))
            if response is None:
                return html_response("Not found", 404)
            return response

        router.get("/-/web/static/{file}", serve, access=Access.NONE)

    def _gate(self, who: Who, visit: Visit, *, come_back: bool) -> web.Response | None:
        """The redirect to the sign-in page when this visitor may not see the page yet (`come_back`:
        return here afterwards; a form's address has no page to return to)."""
        needs_user = who is Who.USER or (who is Who.ANYONE and self.registry.settings.read_requires_login)
        if needs_user and visit.user is None:
            return self.redirect(visit.links.sign_in(visit.path if come_back else None))
        return None

    async def _serve(
        self,
        request: web.Request,
        ctx: RequestContext,
        who: Who,
        answer: Callable[[Visit], Awaitable[web.StreamResponse]],
        *,
        come_back: bool,
    ) -> web.StreamResponse:
        visit = await self.sessions.visit(request, ctx, self.links(ctx))
        response: web.StreamResponse | None = self._gate(who, visit, come_back=come_back)
        if response is None:
            try:
                response = await answer(visit)
            except RegistryError as err:
                response = self.error_page(visit, err)
            except Exception:
                response = _internal_error(request)
        self.sessions.finish(response, visit)
        return response

    def page(
        self,
        router: Router,
        pattern: str,
        handler: PageHandler,
        *,
        who: Who = Who.ANYONE,
        method: str = "GET",
    ) -> None:
        """A page (`method` POST only for a handler that checks its own form, as npm's login page)."""

        async def run(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
            async def answer(visit: Visit) -> web.StreamResponse:
                return await handler(request, ctx, visit)

            return await self._serve(request, ctx, who, answer, come_back=method == "GET")

        router.add(method, pattern, run, access=Access.NONE)

    def form(self, router: Router, pattern: str, handler: FormHandler, *, who: Who = Who.USER) -> None:
        """A form's POST: refused (403) unless it carries this browser's form token."""

        async def run(request: web.Request, ctx: RequestContext) -> web.StreamResponse:
            async def answer(visit: Visit) -> web.StreamResponse:
                form = await read_form(request)
                if not self.sessions.is_own_request(request, visit, form.text("csrf")):
                    raise RegistryError(403, _FORGED)
                return await handler(request, ctx, visit, form)

            return await self._serve(request, ctx, who, answer, come_back=False)

        router.post(pattern, run, access=Access.NONE)
