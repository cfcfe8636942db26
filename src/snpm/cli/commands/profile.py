"""`snpm profile get|set|enable-2fa|disable-2fa`: npm's lib/commands/profile.js."""

from __future__ import annotations

from typing import ClassVar

from snpm.cli.chalk import js_text
from snpm.cli.command import Command
from snpm.cli.prompts import TerminalInteraction
from snpm.cli.qrcode_terminal import render_qr
from snpm.ecmascript.values import truthy
from snpm.errors import SnpmError
from snpm.json_types import JsonObject, JsonValue
from snpm.ops import profile

_TFA = "two-factor auth"


def cleaned_profile(info: JsonObject) -> dict[str, str]:
    """profile.js's `cleaned`: known keys first, falsy values as "", e-mail and 2FA spelled out."""
    raw: dict[str, JsonValue] = {key: info.get(key) for key in profile.KNOWN_PROFILE_KEYS}
    for key, value in info.items():
        if key not in raw:
            raw[key] = value
    raw.pop("tfa", None)
    raw.pop("email_verified", None)
    cleaned = {key: js_text(value) if truthy(value) else "" for key, value in raw.items()}
    cleaned["email"] += " (verified)" if info.get("email_verified") else "(unverified)"
    tfa = info.get("tfa")
    if truthy(tfa) and not (isinstance(tfa, dict) and tfa.get("pending")):
        mode = tfa.get("mode") if isinstance(tfa, dict) else None
        cleaned[_TFA] = js_text(mode, missing=not isinstance(tfa, dict) or "mode" not in tfa)
    else:
        cleaned[_TFA] = "disabled"
    return cleaned


class Profile(Command):
    name = "profile"
    summary = "Change settings on your registry profile"
    usage: ClassVar[tuple[str, ...]] = (
        "enable-2fa [auth-only|auth-and-writes]",
        "disable-2fa",
        "get [<key>]",
        "set <key> <value>",
    )
    params: ClassVar[tuple[str, ...]] = ("registry", "json", "parseable", "otp")

    async def run(self, args: list[str]) -> None:
        if not args:
            raise self.usage_error()
        sub, rest = args[0], args[1:]
        io = TerminalInteraction(self.ctx.out, self.ctx.config)
        if sub in ("enable-2fa", "enable-tfa", "enable2fa", "enabletfa"):
            await self._enable_2fa(io, rest)
        elif sub in ("disable-2fa", "disable-tfa", "disable2fa", "disabletfa"):
            await self._disable_2fa(io)
        elif sub == "get":
            self._show(await profile.get_profile(self.ctx.config, io), rest)
        elif sub == "set":
            await self._set(io, rest)
        else:
            raise SnpmError(f"Unknown profile command: {sub}")

    def _show(self, info: JsonObject, keys: list[str]) -> None:
        out, config = self.ctx.out, self.ctx.config
        if config.get("json"):
            out.json(info)
            return
        cleaned = cleaned_profile(info)
        if keys:
            wanted = [k for k in ",".join(keys).split(",") if k.strip() != ""]
            out.standard("\t".join(cleaned.get(k, "") for k in wanted))
        elif config.get("parseable"):
            for key, value in info.items():
                out.standard(f"{key}\t{cleaned[_TFA] if key == 'tfa' else js_text(value)}")
        else:
            for key, value in cleaned.items():
                out.standard(f"{key}: {value}")

    async def _set(self, io: TerminalInteraction, args: list[str]) -> None:
        prop, value = await profile.set_profile(self.ctx.config, io, args)
        out, config = self.ctx.out, self.ctx.config
        if config.get("json"):
            out.json({prop: value})
        elif config.get("parseable"):
            out.standard(f"{prop}\t{js_text(value)}")
        elif value is not None:
            out.standard(f"Set {prop} to {js_text(value)}")
        else:
            out.standard(f"Set {prop}")

    async def _enable_2fa(self, io: TerminalInteraction, args: list[str]) -> None:
        out = self.ctx.out

        async def show_secret(otpauth: str, secret: str) -> None:
            try:
                code = render_qr(otpauth)
            except ImportError:
                # the `qrcode` package is missing: the otpauth URL serves authenticators that take links
                code = otpauth
            out.standard(f"Scan into your authenticator app:\n{code}\n Or enter code: {secret}")

        outcome = await profile.enable_2fa(self.ctx.config, io, args, show_secret)
        out.standard(outcome.message)
        if outcome.recovery_codes:
            out.standard(
                "You will need these to recover access to your account if you lose your authentication device."
            )
            for code in outcome.recovery_codes:
                out.standard(f"\t{code}")

    async def _disable_2fa(self, io: TerminalInteraction) -> None:
        out, config = self.ctx.out, self.ctx.config
        if not await profile.disable_2fa(config, io):
            out.standard("Two factor authentication not enabled.")
        elif config.get("json"):
            out.json({"tfa": False})
        elif config.get("parseable"):
            out.standard("tfa\tfalse")
        else:
            out.standard("Two factor authentication disabled.")
