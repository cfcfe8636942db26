"""Who is browsing: cookie sessions, and the anti-forgery token every form carries.

A session is a registry token (`TokenService`), named `web session`, read-only for the API and
expiring after `SESSION_DAYS`: signing in issues a fresh one (so a session id planted before the
login is never the one used after it), signing out revokes it, and it shows in the person's token
list, where revoking it signs that browser out. The token travels only in the `snpm_session`
cookie: HttpOnly (no script can read it), SameSite=Lax (not sent with cross-site POSTs), Secure
when the site is reached over https, scoped to the site's path prefix. The website itself acts for
the person with their full rights, after its own checks (a form token, and the one-time password
where the account's two-factor mode asks for one).

Forms: a second cookie, `snpm_csrf` (random, HttpOnly), is set on the first visit and renewed at
every sign-in and sign-out; each form carries `csrf` = SHA-256 over that cookie and the session
token. A cross-site page can read neither cookie, so it cannot produce the field; a POST whose field
does not match, or that a browser marks `Sec-Fetch-Site: cross-site`, is refused before its handler
runs.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

import msgspec
from aiohttp import web

from snpm.registry_server.api.router import RequestContext
from snpm.registry_server.services.accounts import AccountService
from snpm.registry_server.services.errors import RegistryError
from snpm.registry_server.services.permissions import Actor
from snpm.registry_server.storage.base import UserRecord
from snpm.registry_server.web.rendering import Links

__all__ = [
    "CSRF_COOKIE",
    "SESSION_COOKIE",
    "SESSION_DAYS",
    "SESSION_TOKEN_NAME",
    "Sessions",
    "Visit",
    "form_token",
]

SESSION_COOKIE = "snpm_session"
CSRF_COOKIE = "snpm_csrf"
SESSION_TOKEN_NAME = "web session"
SESSION_DAYS = 14
_SESSION_SECONDS = SESSION_DAYS * 86400
# Sec-Fetch-Site values of a request the site itself (or the person, typing an address) started
_OWN_FETCH_SITES = ("same-origin", "none")


def form_token(csrf_cookie: str, session_token: str | None) -> str:
    """The `csrf` field of every form: bound to this browser's cookie and to its session."""
    return hashlib.sha256(f"snpm-form\0{csrf_cookie}\0{session_token or ''}".encode()).hexdigest()


class Visit(msgspec.Struct, frozen=True):
    """One request's view of the browser: the signed-in person (if any) and the form token."""

    links: Links
    user: UserRecord | None
    session_key: str | None
    csrf: str
    csrf_cookie: str
    set_csrf_cookie: bool
    clear_session: bool
    secure: bool
    client_ip: str | None
    path: str
    # what `npm config set registry` takes for this registry (ends with "/")
    registry_url: str

    @property
    def actor(self) -> Actor | None:
        """The person as the services know them; the site makes its own OTP checks."""
        user = self.user
        if user is None:
            return None
        return Actor(user.name, user.email, token_key=self.session_key, tfa_mode=user.tfa_mode)

    @property
    def cookie_path(self) -> str:
        return self.links.prefix or "/"


class Sessions:
    def __init__(self, accounts: AccountService) -> None:
        self._accounts = accounts

    async def _session(self, token: str, client_ip: str | None) -> tuple[UserRecord, str] | None:
        try:
            record = await self._accounts.tokens.check(token, client_ip)
        except RegistryError:
            return None
        if record.name != SESSION_TOKEN_NAME:
            return None  # an npm token pasted into the cookie is not a browser session
        user = await self._accounts.get_user(record.user)
        return (user, record.key) if user is not None else None

    async def visit(self, request: web.Request, ctx: RequestContext, links: Links) -> Visit:
        token = request.cookies.get(SESSION_COOKIE) or None
        found = await self._session(token, ctx.client_ip) if token else None
        csrf_cookie = request.cookies.get(CSRF_COOKIE) or ""
        fresh = len(csrf_cookie) < 32
        if fresh:
            csrf_cookie = secrets.token_urlsafe(32)
        live_token = token if found is not None else None
        return Visit(
            links=links,
            user=found[0] if found else None,
            session_key=found[1] if found else None,
            csrf=form_token(csrf_cookie, live_token),
            csrf_cookie=csrf_cookie,
            set_csrf_cookie=fresh,
            clear_session=token is not None and found is None,
            secure=urlsplit(ctx.base_url).scheme == "https",
            client_ip=ctx.client_ip,
            path=request.rel_url.raw_path_qs,
            registry_url=ctx.base_url.rstrip("/") + "/",
        )

    @staticmethod
    def is_own_request(request: web.Request, visit: Visit, submitted: str) -> bool:
        """Whether a POST came from one of this site's own forms in this browser."""
        fetch_site = request.headers.get("Sec-Fetch-Site")
        if fetch_site is not None and fetch_site not in _OWN_FETCH_SITES:
            return False
        if visit.set_csrf_cookie or not submitted:
            return False  # the browser had no form cookie: it never loaded one of our forms
        return hmac.compare_digest(submitted, visit.csrf)

    def _set(
        self, response: web.StreamResponse, visit: Visit, name: str, value: str, max_age: int | None
    ) -> None:
        response.set_cookie(
            name,
            value,
            path=visit.cookie_path,
            max_age=max_age,
            secure=visit.secure,
            httponly=True,
            samesite="Lax",
        )

    @staticmethod
    def _forget(response: web.StreamResponse, visit: Visit) -> None:
        response.del_cookie(
            SESSION_COOKIE, path=visit.cookie_path, secure=visit.secure, httponly=True, samesite="Lax"
        )

    async def sign_in(self, response: web.StreamResponse, visit: Visit, user: UserRecord) -> None:
        """A new session for `user` (any session this browser had is revoked first)."""
        await self.sign_out(response, visit)
        issued = await self._accounts.tokens.issue(
            user.name, name=SESSION_TOKEN_NAME, readonly=True, expires_days=SESSION_DAYS
        )
        self._set(response, visit, SESSION_COOKIE, issued.token, _SESSION_SECONDS)

    async def sign_out(self, response: web.StreamResponse, visit: Visit) -> None:
        """End this browser's session: its token is revoked, its cookies replaced."""
        if visit.user is not None and visit.session_key is not None:
            await self._accounts.tokens.revoke_for(visit.user.name, visit.session_key)
        self._forget(response, visit)
        # a new form cookie with every change of who is signed in
        self._set(response, visit, CSRF_COOKIE, secrets.token_urlsafe(32), None)

    def finish(self, response: web.StreamResponse, visit: Visit) -> None:
        """The cookies a response owes the browser: a first form cookie, or the end of a dead session."""
        if visit.set_csrf_cookie and CSRF_COOKIE not in response.cookies:
            self._set(response, visit, CSRF_COOKIE, visit.csrf_cookie, None)
        if visit.clear_session and SESSION_COOKIE not in response.cookies:
            self._forget(response, visit)
