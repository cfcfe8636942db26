"""`npm profile get|set|enable-2fa|disable-2fa`: npm's lib/commands/profile.js over
`/-/npm/v1/user` (npm-profile's get/set/createToken).

The operations return data; the CLI prints it. Two-factor enrolment is a conversation: the
registry answers the first POST with an `otpauth://` URL, the user scans it (the CLI draws the
QR code through `show_secret`), and a second POST with the first OTP returns the recovery codes.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Awaitable, Callable, Sequence
from urllib.parse import parse_qs, urlsplit

import msgspec

from snpm.config import Config, get_credentials_by_uri, set_credentials_by_uri
from snpm.errors import SnpmError
from snpm.json_types import JsonObject, JsonValue
from snpm.ops.auth_flow import otplease, with_otp
from snpm.ops.context import registry_client
from snpm.ops.interaction import Interaction
from snpm.registry_client import RegistryClient

__all__ = [
    "KNOWN_PROFILE_KEYS",
    "WRITABLE_PROFILE_KEYS",
    "TwoFactorOutcome",
    "disable_2fa",
    "enable_2fa",
    "get_profile",
    "set_profile",
]

KNOWN_PROFILE_KEYS = (
    "name",
    "email",
    "two-factor auth",
    "fullname",
    "homepage",
    "freenode",
    "twitter",
    "github",
    "created",
    "updated",
)
WRITABLE_PROFILE_KEYS = ("email", "password", "fullname", "homepage", "freenode", "twitter", "github")
_MODES = ("auth-only", "auth-and-writes")
_MISSING = object()


async def _get(client: RegistryClient) -> JsonObject:
    info = await client.get_json("/-/npm/v1/user")
    return info if isinstance(info, dict) else {}


async def _set(client: RegistryClient, profile: JsonObject, otp: str | None = None) -> JsonObject:
    # profile keys can't be empty strings, but they can be null
    body: JsonObject = {k: (None if v == "" else v) for k, v in profile.items()}
    options = with_otp(otp)
    result = (await client.post("/-/npm/v1/user", json=body, **options)).json()
    return result if isinstance(result, dict) else {}


async def get_profile(config: Config, io: Interaction) -> JsonObject:
    async with registry_client(config, "profile", log=io.log) as client:
        info = await _get(client)
    if not info.get("cidr_whitelist"):
        info.pop("cidr_whitelist", None)
    return info


async def set_profile(config: Config, io: Interaction, args: Sequence[str]) -> tuple[str, JsonValue]:
    """`profile set <prop> <value…>`: returns (prop, the value the registry now has)."""
    prop = (args[0] if args else "").lower().strip()
    value: JsonValue = " ".join(args[1:]) if len(args) > 1 else None
    if prop != "password" and value is None:
        raise SnpmError("npm profile set <prop> <value>")
    if prop == "password" and value is not None:
        raise SnpmError(
            "npm profile set password\nDo not include your current or new passwords on the command line."
        )
    if prop not in WRITABLE_PROFILE_KEYS:
        raise SnpmError(
            f'"{prop}" is not a property we can set. Valid properties are: '
            + ", ".join(WRITABLE_PROFILE_KEYS)
        )
    if prop == "password":
        current = await io.read_password("Current password: ")
        while True:
            new = await io.read_password("New password: ")
            again = await io.read_password("       Again:     ")
            if new == again:
                break
            io.log("warn", "profile", "Passwords do not match, please try again.")
        value = {"old": current, "new": new}
    async with registry_client(config, "profile", log=io.log) as client:
        # npm posts every writable key so the others are not cleared
        user = await _get(client)
        new_user: JsonObject = {key: user.get(key) for key in WRITABLE_PROFILE_KEYS if key in user}
        new_user[prop] = value
        result = await otplease(io, client, lambda otp: _set(client, new_user, otp))
    return prop, result.get(prop)


class TwoFactorOutcome(msgspec.Struct, frozen=True):
    """What enable-2fa ended with: a message, or the recovery codes after a new enrolment."""

    message: str = ""
    recovery_codes: tuple[str, ...] = ()


ShowSecret = Callable[[str, str], Awaitable[None]]


async def enable_2fa(
    config: Config, io: Interaction, mode_args: Sequence[str], show_secret: ShowSecret
) -> TwoFactorOutcome:
    """`profile enable-2fa [auth-only|auth-and-writes]`. `show_secret(otpauth_url, secret)` shows
    the QR code and the secret before the OTP is asked for."""
    if len(mode_args) > 1:
        raise SnpmError("npm profile enable-2fa [auth-and-writes|auth-only]")
    mode = mode_args[0] if mode_args else "auth-and-writes"
    if mode not in _MODES:
        raise SnpmError(
            f'Invalid two-factor authentication mode "{mode}".\n'
            "Valid modes are:\n"
            "  auth-only - Require two-factor authentication only when logging in\n"
            "  auth-and-writes - Require two-factor authentication when logging in AND when publishing"
        )
    if config.get("json") or config.get("parseable"):
        shown = "JSON" if config.get("json") else "parseable"
        raise SnpmError(
            f"Enabling two-factor authentication is an interactive operation and {shown} output mode is not available"
        )
    registry = str(config.get("registry"))
    async with registry_client(config, "profile", log=io.log) as client:
        user = await _get(client)
        tfa = user.get("tfa")
        if isinstance(tfa, dict) and not tfa.get("pending") and tfa.get("mode") == mode:
            return TwoFactorOutcome(f"Two factor authentication is already enabled and set to {mode}")
        creds = get_credentials_by_uri(config, registry)
        basic_password: str | None = None
        if not creds.token:
            if creds.username:
                basic_password = creds.password or ""
            elif creds.auth:
                decoded = base64.b64decode(creds.auth + "=" * (-len(creds.auth) % 4)).decode(
                    "utf-8", "replace"
                )
                basic_password = (decoded.split(":", 2) + [""])[1]
            else:
                raise SnpmError(f"You need to be logged in to registry {registry} in order to enable 2fa")
        if basic_password is not None:
            # 2FA needs a bearer token: trade the basic credentials for one first
            io.log("info", "profile", "Updating authentication to bearer token")
            created = (
                await client.post(
                    "/-/npm/v1/tokens",
                    json={"password": basic_password, "readonly": False, "cidr_whitelist": []},
                )
            ).json()
            token = created.get("token") if isinstance(created, dict) else None
            if not isinstance(token, str) or not token:
                raise SnpmError(
                    f"Your registry {registry} does not seem to support bearer tokens. "
                    "Bearer tokens are required for two-factor authentication."
                )
            set_credentials_by_uri(config, registry, token=token)
            config.save("user")
        io.log("notice", "profile", f"Enabling two factor authentication for {mode}")
        password = await io.read_password()
        # like npm, the rest of the conversation keeps the credentials the command started with
        if isinstance(tfa, dict) and tfa.get("pending"):
            io.log("info", "profile", "Resetting two-factor authentication")
            await _set(client, {"tfa": {"password": password, "mode": "disable"}})
        io.log("info", "profile", f"Setting two-factor authentication to {mode}")
        info: JsonObject = {"tfa": {"mode": mode, "password": password}}
        challenge = await otplease(io, client, lambda otp: _set(client, info, otp))
        answer = challenge.get("tfa", _MISSING)
        if isinstance(answer, dict) and answer.get("mode"):
            return TwoFactorOutcome(f"Two factor authentication mode changed to: {mode}")
        if not isinstance(answer, str) or not answer.startswith("otpauth://"):
            raise SnpmError(
                "Unknown error enabling two-factor authentication. Expected otpauth URL, got: "
                + _inspect_short(answer)
            )
        secret = (parse_qs(urlsplit(answer).query).get("secret") or [""])[0]
        await show_secret(answer, secret)
        otp = await io.read_otp("And an OTP code from your authenticator: ")
        io.log("info", "profile", "Finalizing two-factor authentication")
        result = await _set(client, {"tfa": [otp]})
    codes = result.get("tfa")
    return TwoFactorOutcome(
        "2FA successfully enabled. Below are your recovery codes, please print these out.",
        tuple(str(c) for c in codes) if isinstance(codes, list) else (),
    )


def _inspect_short(value: object) -> str:
    """util.inspect of what the registry sent instead of an otpauth URL (enough for a message)."""
    if value is _MISSING:
        return "undefined"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return json.dumps(value)


async def disable_2fa(config: Config, io: Interaction) -> bool:
    """`profile disable-2fa`: False when 2FA was not on (nothing asked, nothing sent)."""
    async with registry_client(config, "profile", log=io.log) as client:
        info = await _get(client)
        tfa = info.get("tfa")
        if not tfa or (isinstance(tfa, dict) and tfa.get("pending")):
            return False
        password = await io.read_password()
        io.log("info", "profile", "disabling tfa")
        await otplease(
            io, client, lambda otp: _set(client, {"tfa": {"password": password, "mode": "disable"}}, otp)
        )
    return True
