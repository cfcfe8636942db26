"""Web login (`npm login` / `npm adduser` with npm's default `--auth-type=web`).

npm POSTs `/-/v1/login` (`{}`, or `{"create": true}` for adduser) and gets two URLs: `loginUrl`, a
page for the browser, and `doneUrl`, which it polls: `202` with `Retry-After` until the browser
step is done, then `200 {"token"}` once (registry-api.md §5.2). The two URLs carry two different
random secrets, so seeing the page's address is not enough to collect the token; only their hashes
are stored. The browser step checks the password (and the one-time password of an account with
2FA; for `create`, an unknown name with an e-mail signs up, as the couch flow does). A session lives
`ttl` seconds (10 minutes); the token is issued when npm collects it, and the session is gone then.
Sessions of npm's web OTP share the storage, with ids of their own (`services.web_otp`): this service
refuses them.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

import msgspec

from snpm.packument import format_time
from snpm.registry_server.services.accounts import AccountService
from snpm.registry_server.services.errors import RegistryError, not_found
from snpm.registry_server.services.tokens import WEB_LOGIN_TOKEN_NAME, IssuedToken
from snpm.registry_server.services.web_otp import WebOtpService, is_web_otp_id
from snpm.registry_server.storage.base import Storage, UserRecord
from snpm.registry_server.storage.records import WebLoginRecord

__all__ = ["WebLoginService", "WebLoginStart"]

DEFAULT_TTL = 600.0
_EXPIRED = "This login link has expired or was already used. Run `npm login` again."


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class WebLoginStart(msgspec.Struct, frozen=True):
    login_id: str
    done_id: str


class WebLoginService:
    def __init__(
        self,
        storage: Storage,
        accounts: AccountService,
        now: Callable[[], datetime],
        *,
        ttl: float = DEFAULT_TTL,
    ) -> None:
        self._storage = storage
        self._accounts = accounts
        self._now = now
        self.ttl = ttl

    def _stamp(self, delta: float = 0.0) -> str:
        return format_time(self._now() + timedelta(seconds=delta))

    @property
    def web_otp(self) -> WebOtpService:
        """The web-OTP sessions, whose poll shares `/-/v1/done/<id>` with this flow's."""
        return self._accounts.web_otp

    async def start(self, create: bool) -> WebLoginStart:
        await self._storage.purge_web_logins(self._stamp())
        login_id, done_id = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        await self._storage.add_web_login(
            WebLoginRecord(_hash(login_id), _hash(done_id), create, self._stamp(), self._stamp(self.ttl))
        )
        return WebLoginStart(login_id, done_id)

    async def session(self, login_id: str) -> WebLoginRecord:
        """The open session behind a login page (404 when unknown, expired or already done)."""
        if is_web_otp_id(login_id):
            raise not_found(_EXPIRED)
        record = await self._storage.web_login(_hash(login_id))
        if record is None or record.expires < self._stamp() or record.user is not None:
            raise not_found(_EXPIRED)
        return record

    async def complete(
        self,
        login_id: str,
        username: str,
        password: str,
        *,
        email: str | None,
        otp: str | None,
        client_ip: str | None,
    ) -> UserRecord:
        """The browser step: check the credentials (sign up for `create` sessions) and mark the
        session done. Raises RegistryError (401 OTP when a one-time password is needed)."""
        record = await self.session(login_id)
        user, _ = await self._accounts.authenticate(
            username, password, email if record.create else None, client_ip, otp
        )
        if not await self._storage.approve_web_login(record.login_hash, user.name):
            raise not_found(_EXPIRED)
        return user

    async def collect(self, done_id: str) -> IssuedToken | None:
        """npm's poll: None while the browser step is pending, the new token once it is done."""
        if is_web_otp_id(done_id):
            raise RegistryError(404, _EXPIRED)
        record = await self._storage.take_web_login(_hash(done_id))
        if record is None or record.expires < self._stamp():
            raise RegistryError(404, _EXPIRED)
        if record.user is None:
            return None
        return await self._accounts.tokens.issue(record.user, name=WEB_LOGIN_TOKEN_NAME)
