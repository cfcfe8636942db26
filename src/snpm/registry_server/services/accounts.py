"""User accounts: sign-up and login (npm's legacy couch flow), passwords, and who a request is from.

Passwords are argon2id hashes (argon2-cffi's defaults, rehashed when those change); verifying one
costs tens of milliseconds, so it runs in a worker thread, and successful Basic credentials are
remembered briefly (keyed by a hash of the header, checked against the stored password hash so a
password change ends them). Failed logins are rate limited per user name and per address.
Usernames and e-mail addresses follow npm-user-validate, whose messages npm users know. A user with
two-factor authentication must add a one-time password to log in (`two_factor`), or confirm it in
the browser (`web_otp`).
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime

import msgspec
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from snpm.packument import format_time
from snpm.registry_server.services.errors import RegistryError, bad_request, forbidden, unauthorized
from snpm.registry_server.services.login_limits import LoginRateLimiter
from snpm.registry_server.services.permissions import Actor
from snpm.registry_server.services.tokens import WEB_LOGIN_TOKEN_NAME, IssuedToken, TokenService
from snpm.registry_server.services.two_factor import TwoFactorService
from snpm.registry_server.services.web_otp import WebOtpService
from snpm.registry_server.storage.base import Storage, UserRecord
from snpm.spec.ecmascript import is_uri_component_safe

__all__ = ["AccountService", "LoginResult", "validate_email", "validate_password", "validate_username"]

MIN_PASSWORD_LENGTH = 8
_EMAIL = re.compile(r"^[^@]+@.+\..+$", re.DOTALL)
_BASIC_CACHE_SIZE = 1024
_BASIC_CACHE_SECONDS = 300.0
_BAD_PASSWORD = "Incorrect username or password."


def validate_username(name: str) -> None:
    """npm-user-validate's username rules, with its messages."""
    if not name:
        raise bad_request("Name is required")
    if name != name.lower():
        raise bad_request("Name must be lowercase")
    if not is_uri_component_safe(name):
        raise bad_request("Name may not contain non-url-safe chars")
    if name.startswith("."):
        raise bad_request('Name may not start with "."')
    if len(name) > 214:
        raise bad_request("Name length must be less than or equal to 214 characters long")
    if "'" in name:
        raise bad_request('Name may not contain illegal character "\'"')


def validate_email(email: str) -> None:
    if len(email) > 254:
        raise bad_request("Email length must be less then or equal to 254 characters long")
    if not _EMAIL.match(email):
        raise bad_request("Email must be an email address")


def validate_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise bad_request(f"Password must be at least {MIN_PASSWORD_LENGTH} characters long")


class LoginResult(msgspec.Struct, frozen=True):
    user: UserRecord
    token: IssuedToken
    created: bool


class AccountService:
    def __init__(
        self,
        storage: Storage,
        tokens: TokenService,
        limiter: LoginRateLimiter,
        now: Callable[[], datetime],
        *,
        allow_signup: bool = True,
        hasher: PasswordHasher | None = None,
    ) -> None:
        self._storage = storage
        self.tokens = tokens
        self.limiter = limiter
        self._now = now
        self.allow_signup = allow_signup
        self._hasher = hasher or PasswordHasher()
        self._basic_cache: OrderedDict[str, tuple[str, str, float]] = OrderedDict()
        self.two_factor = TwoFactorService(storage, limiter, now)
        self.web_otp = WebOtpService(storage, self.two_factor, now)

    # ── passwords ──

    async def hash_password(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    def _verify_sync(self, stored_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    async def verify_password(self, user: UserRecord, password: str) -> bool:
        ok = await asyncio.to_thread(self._verify_sync, user.password_hash, password)
        if ok and self._hasher.check_needs_rehash(user.password_hash):
            await self._storage.set_password(
                user.name, await self.hash_password(password), format_time(self._now())
            )
        return ok

    # ── users ──

    async def get_user(self, name: str) -> UserRecord | None:
        return await self._storage.get_user(name)

    async def create_user(self, name: str, email: str, password: str) -> UserRecord:
        validate_username(name)
        validate_email(email)
        validate_password(password)
        stamp = format_time(self._now())
        record = UserRecord(name, email, await self.hash_password(password), stamp, stamp)
        if not await self._storage.create_user(record):
            raise RegistryError(409, f"The name {name} is taken (by a user, an org or a package scope)")
        return record

    async def reset_password(self, name: str, password: str) -> None:
        validate_password(password)
        if not await self._storage.set_password(
            name, await self.hash_password(password), format_time(self._now())
        ):
            raise RegistryError(404, f"No such user: {name}")

    async def remove_user(self, name: str) -> bool:
        return await self._storage.remove_user(name)

    async def check_credentials(self, name: str, password: str, client_ip: str | None) -> UserRecord:
        """The user whose password this is, or 401 (429 when the failure budget is spent)."""
        self.limiter.check(name, client_ip)
        user = await self._storage.get_user(name)
        if user is None or not await self.verify_password(user, password):
            self.limiter.record_failure(name, client_ip)
            raise unauthorized(_BAD_PASSWORD, challenge='Basic realm="snpm-registry"')
        self.limiter.record_success(name)
        return user

    async def login(
        self,
        name: str,
        password: str,
        email: str | None,
        client_ip: str | None,
        otp: str | None = None,
        *,
        token_name: str = "login",
    ) -> LoginResult:
        """`PUT /-/user/org.couchdb.user:<name>`: log in an existing user, or sign up a new one.

        npm's registry quirk, kept: "adding" an existing user with the right password is a login.
        """
        user, created = await self.authenticate(name, password, email, client_ip, otp)
        token = await self.tokens.issue(user.name, name=token_name)
        return LoginResult(user, token, created)

    async def authenticate(
        self, name: str, password: str, email: str | None, client_ip: str | None, otp: str | None = None
    ) -> tuple[UserRecord, bool]:
        """The user these credentials log in (signing up a new name when `email` is given), and
        whether it was created; 401 OTP when the account has 2FA and `otp` is missing or wrong."""
        self.limiter.check(name, client_ip)
        existing = await self._storage.get_user(name)
        created = False
        if existing is None:
            if not email:
                self.limiter.record_failure(name, client_ip)
                # npm prints its own "There is no user with the username" for a 400 here
                raise bad_request(f'There is no user with the username "{name}".')
            if not self.allow_signup:
                raise forbidden("Sign-up is disabled on this registry. Ask an administrator for an account.")
            user = await self.create_user(name, email, password)
            created = True
        else:
            user = await self.check_credentials(name, password, client_ip)
            await self.two_factor.require_user(user, otp, client_ip)
        return user, created

    # ── who is asking ──

    async def actor_for_token(self, token: str, client_ip: str | None) -> Actor:
        record = await self.tokens.check(token, client_ip)
        user = await self._storage.get_user(record.user)
        if user is None:
            raise unauthorized("Your authentication token belongs to a user that no longer exists.")
        return Actor(
            user.name,
            user.email,
            token_key=record.key,
            read_only=record.readonly,
            tfa_mode=user.tfa_mode,
            bypass_2fa=record.bypass_2fa,
            web_login=record.name == WEB_LOGIN_TOKEN_NAME,
        )

    async def actor_for_basic(self, name: str, password: str, client_ip: str | None) -> Actor:
        cache_key = hashlib.sha256(f"{name}\0{password}".encode()).hexdigest()
        user = await self._storage.get_user(name)
        cached = self._basic_cache.get(cache_key)
        now = time.monotonic()
        if (
            cached is not None
            and user is not None
            and cached[0] == name
            and cached[1] == user.password_hash
            and cached[2] > now
        ):
            self._basic_cache.move_to_end(cache_key)
            return Actor(user.name, user.email, tfa_mode=user.tfa_mode)
        user = await self.check_credentials(name, password, client_ip)
        self._basic_cache[cache_key] = (user.name, user.password_hash, now + _BASIC_CACHE_SECONDS)
        while len(self._basic_cache) > _BASIC_CACHE_SIZE:
            self._basic_cache.popitem(last=False)
        return Actor(user.name, user.email, tfa_mode=user.tfa_mode)
