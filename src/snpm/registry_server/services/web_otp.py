"""npm 11's web OTP: a one-time password confirmed in the browser instead of typed in the terminal.

When a request needs a one-time password (`services.two_factor`) and it comes from npm's default
`npm-auth-type: web` with a token from a web login (`npm login` in the browser, `Actor.web_login`),
the registry's 401 `WWW-Authenticate: OTP` carries `{authUrl, doneUrl}` in its body (the dispatcher
asks `challenge` for it). npm's otplease (lib/utils/auth.js) then shows `authUrl`, polls `doneUrl`
(202 + Retry-After until confirmed, then `200 {"token"}`) and sends the command again with that
token as its `npm-otp` (`TwoFactorService.issue_web_otp`). Without a terminal npm prints both URLs.
`npm ... --otp=<code>` sends `npm-auth-type: legacy` and keeps the classic challenge.

A session is a web-login session (`WebLoginRecord`, the same storage and lifetime). Its two ids
start with `otp.` (a "." never occurs in the random part), so the login page never completes one
and a web-OTP poll never hands out a login token. The browser step (`web.web_otp_page`) needs the
person signed in to the website and a current one-time password (or a recovery code) of their
account; the session then belongs to them, and the token npm collects is good for their account
only.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

import msgspec

from snpm.packument import format_time
from snpm.registry_server.services.errors import RegistryError, bad_request, not_found
from snpm.registry_server.services.two_factor import TwoFactorService
from snpm.registry_server.storage.base import Storage, UserRecord
from snpm.registry_server.storage.records import WebLoginRecord

__all__ = ["OTP_ID_PREFIX", "WebOtpService", "WebOtpStart", "is_web_otp_id"]

OTP_ID_PREFIX = "otp."
DEFAULT_TTL = 600.0
_EXPIRED = "This confirmation link has expired or was already used. Run the npm command again."
_NO_2FA = (
    "Two-factor authentication is not on for this account, so there is no one-time password to "
    "confirm. Sign in as the account npm is using."
)


def is_web_otp_id(value: str) -> bool:
    return value.startswith(OTP_ID_PREFIX)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class WebOtpStart(msgspec.Struct, frozen=True):
    """The two secrets of a new session: the browser page's id and npm's poll id."""

    auth_id: str
    done_id: str

    def urls(self, base_url: str) -> dict[str, str]:
        """The `authUrl`/`doneUrl` members of the challenge."""
        base = base_url.rstrip("/")
        return {"authUrl": f"{base}/-/v1/otp/{self.auth_id}", "doneUrl": f"{base}/-/v1/done/{self.done_id}"}


class WebOtpService:
    def __init__(
        self,
        storage: Storage,
        two_factor: TwoFactorService,
        now: Callable[[], datetime],
        *,
        ttl: float = DEFAULT_TTL,
    ) -> None:
        self._storage = storage
        self._two_factor = two_factor
        self._now = now
        self.ttl = ttl

    def _stamp(self, delta: float = 0.0) -> str:
        return format_time(self._now() + timedelta(seconds=delta))

    async def start(self) -> WebOtpStart:
        await self._storage.purge_web_logins(self._stamp())
        started = WebOtpStart(
            OTP_ID_PREFIX + secrets.token_urlsafe(24), OTP_ID_PREFIX + secrets.token_urlsafe(24)
        )
        await self._storage.add_web_login(
            WebLoginRecord(
                _hash(started.auth_id), _hash(started.done_id), False, self._stamp(), self._stamp(self.ttl)
            )
        )
        return started

    async def challenge(self, refused: RegistryError, base_url: str) -> RegistryError:
        """The web form of an OTP challenge (`refused` is the classic 401 OTP): a new session whose
        URLs go into the answer's body, beside the same message and `WWW-Authenticate: OTP`."""
        started = await self.start()
        return RegistryError(
            401, refused.message, challenge=refused.challenge or "OTP", details=started.urls(base_url)
        )

    async def session(self, auth_id: str) -> WebLoginRecord:
        """The open session behind a confirmation page (404 when unknown, expired or done)."""
        if not is_web_otp_id(auth_id):
            raise not_found(_EXPIRED)
        record = await self._storage.web_login(_hash(auth_id))
        if record is None or record.expires < self._stamp() or record.user is not None:
            raise not_found(_EXPIRED)
        return record

    async def approve(self, auth_id: str, user: UserRecord, otp: str | None, client_ip: str | None) -> None:
        """The browser step: `user` (signed in to the website) confirms with a one-time password.
        Raises RegistryError (401 OTP when the code is missing or wrong)."""
        record = await self.session(auth_id)
        if user.tfa_mode is None:
            raise bad_request(_NO_2FA)
        if not otp:
            raise RegistryError(401, "Enter a one-time password to confirm.", challenge="OTP")
        await self._two_factor.require_user(user, otp, client_ip)
        if not await self._storage.approve_web_login(record.login_hash, user.name):
            raise not_found(_EXPIRED)

    async def collect(self, done_id: str) -> str | None:
        """npm's poll: None while the browser step is pending, then the web OTP token (once)."""
        if not is_web_otp_id(done_id):
            raise not_found(_EXPIRED)
        record = await self._storage.take_web_login(_hash(done_id))
        if record is None or record.expires < self._stamp():
            raise not_found(_EXPIRED)
        if record.user is None:
            return None
        user = await self._storage.get_user(record.user)
        if user is None or user.tfa_mode is None:
            raise not_found(_EXPIRED)
        return self._two_factor.issue_web_otp(user)
