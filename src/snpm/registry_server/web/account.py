"""Signing in and out, signing up, and the profile page (profile fields and the password).

    GET|POST /-/web/login            sign in (user name, password, one-time password with 2FA)
    POST     /-/web/logout           sign out (a form with its token, so no page can sign you out)
    GET|POST /-/web/signup           create an account (only when the registry allows sign-up)
    GET      /-/web/account          profile and password forms, the person's orgs
    POST     /-/web/account/profile  e-mail, full name, homepage, …
    POST     /-/web/account/password the old password, the new one twice

The checks are the registry's own (`AccountService.authenticate`, `ProfileService.update`): the
same password rules, rate limits and one-time passwords as `npm login` and `npm profile`. Wrong
user names and wrong passwords get the same answer, so the form does not tell which names exist.
Password fields are never filled in again when a form comes back with an error.
"""

from __future__ import annotations

from aiohttp import web

from snpm.json_types import JsonObject, JsonValue
from snpm.registry_server.api.router import RequestContext, Router
from snpm.registry_server.services.accounts import MIN_PASSWORD_LENGTH
from snpm.registry_server.services.errors import RegistryError
from snpm.registry_server.storage.base import PROFILE_FIELDS, UserRecord
from snpm.registry_server.web.sessions import Visit
from snpm.registry_server.web.site import Form, Site, Who, safe_next

__all__ = ["AccountPages"]

_BAD_LOGIN = "Incorrect username or password."
_ASK_OTP = "This account uses two-factor authentication: enter the one-time password from your app."


class AccountPages:
    def __init__(self, site: Site) -> None:
        self._site = site
        self._registry = site.registry

    def register(self, router: Router) -> None:
        site = self._site
        site.page(router, "/-/web/login", self.sign_in_page, who=Who.PUBLIC)
        site.form(router, "/-/web/login", self.sign_in, who=Who.PUBLIC)
        site.form(router, "/-/web/logout", self.sign_out, who=Who.PUBLIC)
        site.page(router, "/-/web/signup", self.sign_up_page, who=Who.PUBLIC)
        site.form(router, "/-/web/signup", self.sign_up, who=Who.PUBLIC)
        site.page(router, "/-/web/account", self.profile_page, who=Who.USER)
        site.form(router, "/-/web/account/profile", self.update_profile)
        site.form(router, "/-/web/account/password", self.change_password)

    # ── signing in and out ──

    def _sign_in_form(
        self,
        visit: Visit,
        *,
        next_path: str,
        username: str = "",
        error: str | None = None,
        ask_otp: bool = False,
        status: int = 200,
    ) -> web.Response:
        return self._site.render(
            visit,
            "signin.html",
            status=status,
            title="Sign in",
            next_path=next_path,
            username=username,
            ask_otp=ask_otp,
            error=error,
        )

    async def sign_in_page(
        self, request: web.Request, ctx: RequestContext, visit: Visit
    ) -> web.StreamResponse:
        next_path = safe_next(request.query.get("next", ""), visit.links)
        if visit.user is not None:
            return self._site.redirect(next_path)
        return self._sign_in_form(visit, next_path=next_path, error=None)

    async def sign_in(
        self, request: web.Request, ctx: RequestContext, visit: Visit, form: Form
    ) -> web.StreamResponse:
        next_path = safe_next(form.text("next"), visit.links)
        username = form.text("username")
        otp = form.text("otp") or None
        try:
            user, _ = await self._registry.accounts.authenticate(
                username, form.secret("password"), None, visit.client_ip, otp
            )
        except RegistryError as err:
            ask_otp = err.challenge == "OTP"
            if ask_otp:
                message = (
                    _ASK_OTP if otp is None else "That one-time password is not valid. Try a current one."
                )
            elif err.status == 429:
                message = err.message
            else:
                message = _BAD_LOGIN  # unknown names and wrong passwords alike
            status = 429 if err.status == 429 else 401
            return self._sign_in_form(
                visit, next_path=next_path, username=username, error=message, ask_otp=ask_otp, status=status
            )
        response = self._site.redirect(next_path)
        await self._site.sessions.sign_in(response, visit, user)
        return response

    async def sign_out(
        self, request: web.Request, ctx: RequestContext, visit: Visit, form: Form
    ) -> web.StreamResponse:
        response = self._site.redirect(visit.links.root, "signed-out")
        await self._site.sessions.sign_out(response, visit)
        return response

    # ── signing up ──

    def _require_signup(self) -> None:
        if not self._registry.accounts.allow_signup:
            raise RegistryError(
                403, "Sign-up is closed on this registry. Ask an administrator for an account."
            )

    async def sign_up_page(
        self, request: web.Request, ctx: RequestContext, visit: Visit
    ) -> web.StreamResponse:
        self._require_signup()
        return self._site.render(
            visit, "signup.html", title="Sign up", username="", email="", min_password=MIN_PASSWORD_LENGTH
        )

    async def sign_up(
        self, request: web.Request, ctx: RequestContext, visit: Visit, form: Form
    ) -> web.StreamResponse:
        self._require_signup()
        username, email = form.text("username"), form.text("email")
        password = form.secret("password")
        try:
            if password != form.secret("confirm"):
                raise RegistryError(400, "The two passwords are not the same.")
            user = await self._registry.accounts.create_user(username, email, password)
        except RegistryError as err:
            return self._site.render(
                visit,
                "signup.html",
                status=err.status if err.status >= 400 else 400,
                title="Sign up",
                username=username,
                email=email,
                min_password=MIN_PASSWORD_LENGTH,
                error=err.message,
            )
        response = self._site.redirect(visit.links.account(), "welcome")
        await self._site.sessions.sign_in(response, visit, user)
        return response

    # ── profile and password ──

    async def _profile(
        self,
        visit: Visit,
        user: UserRecord,
        *,
        fields: dict[str, str] | None = None,
        error: str | None = None,
        notice: str | None = None,
        status: int = 200,
    ) -> web.Response:
        values = fields or {key: getattr(user, key) for key in ("email", *PROFILE_FIELDS)}
        orgs = sorted((await self._registry.storage.orgs_of(user.name)).items())
        return self._site.render(
            visit,
            "account_profile.html",
            status=status,
            title="Your account",
            fields=values,
            orgs=orgs,
            min_password=MIN_PASSWORD_LENGTH,
            error=error,
            notice=notice,
        )

    async def profile_page(
        self, request: web.Request, ctx: RequestContext, visit: Visit
    ) -> web.StreamResponse:
        assert visit.user is not None  # Who.USER
        return await self._profile(visit, visit.user, notice=self._site.notice(request))

    async def update_profile(
        self, request: web.Request, ctx: RequestContext, visit: Visit, form: Form
    ) -> web.StreamResponse:
        user, actor = visit.user, visit.actor
        assert user is not None and actor is not None  # Who.USER
        fields = {key: form.text(key) for key in ("email", *PROFILE_FIELDS)}
        body: JsonObject = {key: (value or None) for key, value in fields.items()}
        body["email"] = fields["email"]
        try:
            await self._registry.profiles.update(actor, body, form.text("otp") or None, visit.client_ip)
        except RegistryError as err:
            return await self._profile(
                visit, user, fields=fields, error=self._site.message(err), status=_form_status(err)
            )
        return self._site.redirect(visit.links.account(), "profile")

    async def change_password(
        self, request: web.Request, ctx: RequestContext, visit: Visit, form: Form
    ) -> web.StreamResponse:
        user, actor = visit.user, visit.actor
        assert user is not None and actor is not None  # Who.USER
        new = form.secret("new")
        password: JsonValue = {"old": form.secret("old"), "new": new}
        try:
            if new != form.secret("confirm"):
                raise RegistryError(400, "The two new passwords are not the same.")
            await self._registry.profiles.update(
                actor, {"password": password}, form.text("otp") or None, visit.client_ip
            )
        except RegistryError as err:
            message = (
                "Your current password is not right."
                if err.status == 401 and err.challenge != "OTP"
                else None
            )
            return await self._profile(
                visit, user, error=message or self._site.message(err), status=_form_status(err)
            )
        return self._site.redirect(visit.links.account(), "password")


def _form_status(err: RegistryError) -> int:
    """The status of a form page shown again with an error."""
    return err.status if err.status >= 400 else 400
