"""`/-/npm/v1/user`: the profile `npm profile get|set|enable-2fa|disable-2fa` reads and changes.

npm's `profile set <key> <value>` GETs the profile and POSTs every writable key back with one
changed (`''` sent as null); `profile set password` POSTs `{password: {old, new}}`; the 2FA
commands POST `{tfa: {mode, password}}` (start enrolment or change mode), `{tfa: [code]}` (confirm)
and `{tfa: {mode: "disable", password}}` — see `two_factor` for the flow and `profile_json` for the
shape npm prints. What needs a one-time password (when 2FA is on): password and 2FA changes always
(`Need.LOGIN`), other changes in `auth-and-writes` mode (`Need.WRITE`). Fields are checked before
anything is written, so a refused request changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from snpm.json_types import JsonObject, JsonValue
from snpm.packument import format_time
from snpm.registry_server.services.accounts import AccountService, validate_email, validate_password
from snpm.registry_server.services.errors import bad_request, not_found
from snpm.registry_server.services.permissions import Actor
from snpm.registry_server.services.two_factor import MODES, Need
from snpm.registry_server.storage.base import PROFILE_FIELDS, Storage, UserRecord

__all__ = ["ProfileService", "profile_json"]

_MAX_FIELD = 256
_MAX_URL = 1024


def _tfa_json(user: UserRecord) -> JsonValue:
    state = user.two_factor
    if state is None:
        return None
    return {"mode": state.mode, "pending": state.pending}


def profile_json(user: UserRecord) -> JsonObject:
    """The profile as npm's registry answers it (npm prints these keys in its own order)."""
    return {
        "name": user.name,
        "email": user.email,
        # no e-mail verification here: npm prints "(unverified)"
        "email_verified": False,
        "tfa": _tfa_json(user),
        "created": user.created,
        "updated": user.updated,
        "cidr_whitelist": None,
        "fullname": user.fullname,
        "homepage": user.homepage,
        "freenode": user.freenode,
        "twitter": user.twitter,
        "github": user.github,
    }


def _field_value(key: str, value: JsonValue) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise bad_request(f"{key} must be a string")
    text = value.strip()
    if any(ord(c) < 32 for c in text):
        raise bad_request(f"{key} may not contain control characters")
    if key == "email":
        validate_email(text)
    elif key == "homepage":
        if len(text) > _MAX_URL:
            raise bad_request(f"homepage must be at most {_MAX_URL} characters")
        if text and not text.startswith(("http://", "https://")):
            raise bad_request("homepage must be an http(s) URL")
    elif len(text) > _MAX_FIELD:
        raise bad_request(f"{key} must be at most {_MAX_FIELD} characters")
    return text


class ProfileService:
    def __init__(self, storage: Storage, accounts: AccountService, now: Callable[[], datetime]) -> None:
        self._storage = storage
        self._accounts = accounts
        self._now = now

    async def _user(self, actor: Actor) -> UserRecord:
        user = await self._storage.get_user(actor.name)
        if user is None:
            raise not_found(f"User not found: {actor.name}")
        return user

    async def get(self, actor: Actor) -> JsonObject:
        return profile_json(await self._user(actor))

    async def update(
        self,
        actor: Actor,
        body: Mapping[str, JsonValue],
        otp: str | None,
        client_ip: str | None,
        *,
        otp_verified: bool = False,
    ) -> JsonObject:
        """Apply a profile POST; `otp_verified`: the request's one-time password was accepted
        already (Basic credentials of a 2FA account), so it is not checked (or spent) again."""
        user = await self._user(actor)
        tfa = body.get("tfa")
        if tfa is not None:
            return await self._two_factor(user, tfa, None if otp_verified else otp, client_ip, otp_verified)
        changes: dict[str, str] = {}
        for key in ("email", *PROFILE_FIELDS):
            if key in body:
                value = _field_value(key, body[key])
                if key == "email" and not value:
                    raise bad_request("email cannot be empty")
                if value != getattr(user, key):
                    changes[key] = value
        password = body.get("password")
        new_password: str | None = None
        if isinstance(password, dict):
            old, new = password.get("old"), password.get("new")
            if not isinstance(old, str) or not isinstance(new, str) or not new:
                raise bad_request("password must be {old, new}")
            validate_password(new)
            await self._accounts.check_credentials(user.name, old, client_ip)
            new_password = new
        elif password is not None:
            raise bad_request("password must be {old, new}")
        if not changes and new_password is None:
            return profile_json(user)
        need = Need.LOGIN if new_password is not None else Need.WRITE
        if not otp_verified:
            await self._accounts.two_factor.require(self._actor(user, actor), otp, need, client_ip)
        stamp = format_time(self._now())
        if changes:
            await self._storage.update_profile(user.name, changes, stamp)
        if new_password is not None:
            await self._storage.set_password(
                user.name, await self._accounts.hash_password(new_password), stamp
            )
        return profile_json(await self._user(actor))

    @staticmethod
    def _actor(user: UserRecord, actor: Actor) -> Actor:
        # the stored mode, not the one the credential was checked with a moment ago
        return Actor(user.name, user.email, actor.token_key, actor.read_only, user.tfa_mode, actor.bypass_2fa)

    async def _two_factor(
        self, user: UserRecord, tfa: JsonValue, otp: str | None, client_ip: str | None, otp_verified: bool
    ) -> JsonObject:
        two_factor = self._accounts.two_factor
        if isinstance(tfa, list):
            # `[code]`: confirm a pending enrolment; the answer carries the recovery codes
            if len(tfa) != 1 or not isinstance(tfa[0], str):
                raise bad_request("tfa must be [<one-time password>]")
            codes = await two_factor.confirm(user, tfa[0], client_ip)
            out = profile_json(await self._user(Actor(user.name, user.email)))
            out["tfa"] = list[JsonValue](codes)
            return out
        if not isinstance(tfa, dict):
            raise bad_request("tfa must be {mode, password} or [<one-time password>]")
        mode, password = tfa.get("mode"), tfa.get("password")
        if not isinstance(password, str) or not password:
            raise bad_request("Your password is required to change two-factor authentication")
        if mode != "disable" and mode not in MODES:
            raise bad_request(f"Invalid two-factor mode {mode!r}: use auth-only, auth-and-writes or disable")
        await self._accounts.check_credentials(user.name, password, client_ip)
        enabled = user.tfa_mode is not None
        if enabled and not otp_verified:
            await two_factor.require_user(user, otp, client_ip)
        if mode == "disable":
            await two_factor.disable(user)
            return profile_json(await self._user(Actor(user.name, user.email)))
        if enabled:
            await two_factor.change_mode(user, str(mode))
            return profile_json(await self._user(Actor(user.name, user.email)))
        url = await two_factor.begin(user, str(mode))
        out = profile_json(await self._user(Actor(user.name, user.email)))
        out["tfa"] = url
        return out
