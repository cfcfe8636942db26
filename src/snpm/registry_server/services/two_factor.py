"""Two-factor authentication with TOTP (RFC 6238, pyotp): enrolment, verification, and when an OTP
is required.

Enrolment follows npm's `profile enable-2fa`: the password starts it and the registry answers an
`otpauth://` URL (npm draws it as a QR code and prints the secret); the state stays `pending` until
the first code from the authenticator confirms it; then the registry hands out recovery codes
(64 hex characters, the only non-digit form npm's OTP prompt accepts), each usable once instead of
a code. Only hashes of recovery codes are stored.

When an OTP is required (npm's `npm-otp` header; registry-api.md §5.4):
- `Need.LOGIN`: logging in (couch or web), creating a token, changing the password or the 2FA
  settings, and every Basic-auth request — in both modes;
- `Need.WRITE`: any other change — only in `auth-and-writes` mode, and not for tokens created with
  `--bypass-2fa` (npm 11's automation tokens). Star/unstar and non-`latest` dist-tags are exempt.
- a package's own policy (`npm access set mfa=publish|automation`): every change of that package
  needs a code from a user with 2FA (`automation`: or a `--bypass-2fa` token) — `require_write`.
A missing or wrong code is `401` with `WWW-Authenticate: OTP`, which npm turns into EOTP (a prompt
on a terminal, else "pass --otp"). A code is accepted within one 30 s step either side; once a step
was used, older steps are refused (the same code may be reused while current: npm sends it with
every request of one command). Wrong codes count as failed logins (rate limited).

A web OTP token (`webotp.<expiry>.<nonce>.<mac>`, from `services.web_otp` once the person confirmed
in the browser) stands for a code: npm sends it as its `npm-otp`. It is an HMAC keyed by the
account's TOTP secret, so it is good for that account only, for `WEB_OTP_SECONDS` (every request of
the command npm repeats), and no longer once 2FA is turned off or set up again.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from datetime import datetime

import pyotp

from snpm.packument import format_time
from snpm.registry_server.services.errors import RegistryError, bad_request, forbidden
from snpm.registry_server.services.login_limits import LoginRateLimiter
from snpm.registry_server.services.permissions import Actor
from snpm.registry_server.storage.base import Storage, UserRecord
from snpm.registry_server.storage.records import TwoFactorState

__all__ = [
    "MODES",
    "WEB_OTP_PREFIX",
    "WEB_OTP_SECONDS",
    "Need",
    "TwoFactorService",
    "hash_recovery_code",
    "otp_required",
]

MODES = ("auth-only", "auth-and-writes")
RECOVERY_CODES = 5
WEB_OTP_PREFIX = "webotp."
WEB_OTP_SECONDS = 300
_DIGITS = re.compile(r"^\d{6}$")
_OTP_NEEDED = "You must provide a one-time pass. Upgrade your client to npm@latest in order to use 2FA."
_OTP_INVALID = (
    "The one-time pass you provided is invalid or has expired. Provide a current one-time pass from "
    "your authenticator app (or an unused recovery code)."
)


class Need(enum.Enum):
    LOGIN = "login"
    WRITE = "write"


def otp_required(message: str = _OTP_NEEDED) -> RegistryError:
    # only `OTP` in the challenge: `Bearer`/`Basic` would make npm treat it as a plain auth failure
    return RegistryError(401, message, challenge="OTP")


def hash_recovery_code(code: str) -> str:
    return hashlib.sha256(code.strip().lower().encode()).hexdigest()


def _clean(otp: str | None) -> str:
    return re.sub(r"\s+", "", otp or "")


def _web_otp_mac(secret: str, user: str, expires: str, nonce: str) -> str:
    key = hashlib.sha256(f"snpm-web-otp\0{secret}".encode()).digest()
    return hmac.new(key, f"{user}\0{expires}\0{nonce}".encode(), hashlib.sha256).hexdigest()


class TwoFactorService:
    def __init__(
        self,
        storage: Storage,
        limiter: LoginRateLimiter,
        now: Callable[[], datetime],
        *,
        issuer: str = "snpm-registry",
    ) -> None:
        self._storage = storage
        self._limiter = limiter
        self._now = now
        self.issuer = issuer

    def _stamp(self) -> str:
        return format_time(self._now())

    # ── verification ──

    def _totp_step(self, secret: str, code: str) -> int | None:
        """The TOTP time step `code` belongs to (now, or one step either side), else None."""
        totp = pyotp.TOTP(secret)
        current = totp.timecode(self._now())
        for step in (current, current - 1, current + 1):
            if hmac.compare_digest(totp.generate_otp(step), code):
                return step
        return None

    async def _check(self, user: UserRecord, state: TwoFactorState, otp: str, client_ip: str | None) -> bool:
        code = _clean(otp)
        if not code:
            return False
        self._limiter.check(user.name, client_ip)
        if _DIGITS.match(code):
            step = self._totp_step(state.secret, code)
            ok = step is not None and await self._storage.advance_otp_counter(user.name, step)
        elif code.startswith(WEB_OTP_PREFIX):
            ok = not state.pending and self._is_web_otp(user.name, state, code)
        else:
            ok = not state.pending and await self._storage.use_recovery_code(
                user.name, hash_recovery_code(code)
            )
        if ok:
            return True
        self._limiter.record_failure(user.name, client_ip)
        return False

    # ── web OTP tokens ──

    def issue_web_otp(self, user: UserRecord) -> str:
        """A token npm sends as its `npm-otp` after the person confirmed in the browser."""
        state = user.two_factor
        if state is None or state.pending:
            raise bad_request("Two-factor authentication is not on for this account.")
        expires = str(int(self._now().timestamp()) + WEB_OTP_SECONDS)
        nonce = secrets.token_urlsafe(12)  # never holds a "."
        return f"{WEB_OTP_PREFIX}{expires}.{nonce}.{_web_otp_mac(state.secret, user.name, expires, nonce)}"

    def _is_web_otp(self, name: str, state: TwoFactorState, code: str) -> bool:
        parts = code[len(WEB_OTP_PREFIX) :].split(".")
        if len(parts) != 3 or not parts[0].isdigit():
            return False
        expires, nonce, mac = parts
        if int(expires) < self._now().timestamp():
            return False
        return hmac.compare_digest(mac, _web_otp_mac(state.secret, name, expires, nonce))

    async def require_user(self, user: UserRecord, otp: str | None, client_ip: str | None) -> None:
        """401 OTP unless `otp` is a valid code (or recovery code) of `user`'s enabled 2FA."""
        state = user.two_factor
        if state is None or state.pending:
            return
        if not otp:
            raise otp_required()
        if not await self._check(user, state, otp, client_ip):
            raise otp_required(_OTP_INVALID)

    async def require(self, actor: Actor | None, otp: str | None, need: Need, client_ip: str | None) -> None:
        """The OTP check for a request by `actor` that needs `need`."""
        if actor is None or actor.tfa_mode is None:
            return
        if need is Need.WRITE and (actor.tfa_mode != "auth-and-writes" or actor.bypass_2fa):
            return
        user = await self._storage.get_user(actor.name)
        if user is not None:
            await self.require_user(user, otp, client_ip)

    async def require_write(
        self,
        actor: Actor | None,
        otp: str | None,
        client_ip: str | None,
        *,
        package: str,
        package_mfa: str = "none",
        user_mode: bool = True,
    ) -> None:
        """The OTP check for a change of `package`: the account's auth-and-writes mode (unless
        `user_mode` is False: stars, non-latest dist-tags) and the package's 2FA policy, checked
        once together (a recovery code must not be spent twice)."""
        if actor is None:
            return
        asks_user = user_mode and actor.tfa_mode == "auth-and-writes" and not actor.bypass_2fa
        asks_package = package_mfa in ("publish", "automation") and not (
            package_mfa == "automation" and actor.bypass_2fa
        )
        if not (asks_user or asks_package):
            return
        user = await self._storage.get_user(actor.name)
        if user is None:
            return
        if asks_package and user.tfa_mode is None:
            raise forbidden(
                f"{package} requires two-factor authentication for changes: enable it with "
                "`npm profile enable-2fa auth-and-writes`, then pass --otp."
            )
        await self.require_user(user, otp, client_ip)

    # ── enrolment ──

    async def begin(self, user: UserRecord, mode: str) -> str:
        """Start (or restart) enrolment in `mode`: a new secret, pending; the otpauth URL for npm."""
        if mode not in MODES:
            raise bad_request(f"Invalid two-factor mode {mode!r}: use auth-only or auth-and-writes")
        secret = pyotp.random_base32()
        await self._storage.set_two_factor(
            user.name, TwoFactorState(mode, secret, pending=True), None, self._stamp()
        )
        return pyotp.TOTP(secret).provisioning_uri(name=user.name, issuer_name=self.issuer)

    async def confirm(self, user: UserRecord, otp: str, client_ip: str | None) -> list[str]:
        """The first code confirms a pending enrolment; returns the recovery codes (shown once)."""
        state = user.two_factor
        if state is None or not state.pending:
            raise bad_request("Two-factor authentication is not being set up: run `npm profile enable-2fa`.")
        self._limiter.check(user.name, client_ip)
        step = self._totp_step(state.secret, _clean(otp))
        if step is None:
            self._limiter.record_failure(user.name, client_ip)
            raise bad_request(
                "That one-time password is not valid for the new secret. Run `npm profile enable-2fa` again "
                "and enter a current code from your authenticator app."
            )
        codes = [secrets.token_hex(32) for _ in range(RECOVERY_CODES)]
        enabled = TwoFactorState(state.mode, state.secret, pending=False, last_counter=step)
        await self._storage.set_two_factor(
            user.name, enabled, [hash_recovery_code(c) for c in codes], self._stamp()
        )
        return codes

    async def change_mode(self, user: UserRecord, mode: str) -> None:
        state = user.two_factor
        if mode not in MODES:
            raise bad_request(f"Invalid two-factor mode {mode!r}: use auth-only or auth-and-writes")
        if state is None or state.pending:
            raise bad_request("Two-factor authentication is not enabled.")
        await self._storage.set_two_factor(
            user.name,
            TwoFactorState(mode, state.secret, pending=False, last_counter=state.last_counter),
            None,
            self._stamp(),
        )

    async def disable(self, user: UserRecord) -> None:
        await self._storage.set_two_factor(user.name, None, None, self._stamp())
