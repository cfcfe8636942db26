"""`snpm token list|create|revoke`: npm's lib/commands/token.js (npm 11: no table, one block per token)."""

from __future__ import annotations

from typing import ClassVar

from snpm.cli.chalk import Chalk, js_text
from snpm.cli.command import Command
from snpm.cli.prompts import TerminalInteraction, show_unredacted
from snpm.ecmascript.values import truthy
from snpm.json_types import JsonObject
from snpm.ops import tokens


def _field(token: JsonObject, key: str) -> str:
    return js_text(token.get(key), missing=key not in token)


class Token(Command):
    name = "token"
    summary = "Manage your authentication tokens"
    usage: ClassVar[tuple[str, ...]] = ("list", "revoke <id|token>", "create")
    params: ClassVar[tuple[str, ...]] = (
        "name",
        "token-description",
        "expires",
        "packages",
        "packages-all",
        "scopes",
        "orgs",
        "packages-and-scopes-permission",
        "orgs-permission",
        "cidr",
        "bypass-2fa",
        "password",
        "registry",
        "otp",
        "read-only",
    )

    async def run(self, args: list[str]) -> None:
        io = TerminalInteraction(self.ctx.out, self.ctx.config)
        sub = args[0] if args else "list"
        if sub in ("list", "ls"):
            self._show_list(await tokens.list_tokens(self.ctx.config, io))
        elif sub in ("rm", "delete", "revoke", "remove"):
            if len(args) < 2:
                raise self.usage_error("`<tokenKey>` argument is required.")
            removed = await tokens.revoke_tokens(self.ctx.config, io, args[1:])
            self._show_removed(removed)
        elif sub == "create":
            self._show_created(await tokens.create_token(self.ctx.config, io))
        else:
            raise self.usage_error(f"{sub} is not a recognized subcommand.")

    def _show_list(self, found: list[JsonObject]) -> None:
        out, config = self.ctx.out, self.ctx.config
        if config.get("json"):
            out.json(list(found))
            return
        if config.get("parseable"):
            out.standard("\t".join(["key", "token", "id", "name", "created", "readonly", "CIDR whitelist"]))
            for token in found:
                cidrs = token.get("cidr_whitelist")
                out.standard(
                    "\t".join(
                        [
                            *(_field(token, k) for k in ("key", "token", "id", "name", "created")),
                            "true" if token.get("readonly") else "false",
                            js_text(cidrs) if truthy(cidrs) else "",
                        ]
                    )
                )
            return
        chalk = Chalk(out.settings.color_stdout)
        for token in found:
            created = _field(token, "created")[:10]
            out.standard(
                f"{chalk.blue('Token')} {_field(token, 'token')}… with id {chalk.cyan(_field(token, 'id'))} "
                f"name {chalk.magenta(_field(token, 'name'))} created {created}"
            )
            cidrs = token.get("cidr_whitelist")
            if truthy(cidrs):
                out.standard(f"with IP whitelist: {chalk.green(js_text(cidrs))}")
            out.standard()

    def _show_removed(self, removed: list[str]) -> None:
        out, config = self.ctx.out, self.ctx.config
        if config.get("json"):
            out.json(list(removed))
        elif config.get("parseable"):
            out.standard("\t".join(removed))
        else:
            out.standard(f"Removed {len(removed)} token{'' if len(removed) == 1 else 's'}")

    def _show_created(self, result: JsonObject) -> None:
        out, config = self.ctx.out, self.ctx.config
        if config.get("json"):
            # the Output redacts buffered JSON as npm's display does: the new token shows as `npm_***`
            out.json(result)
        elif config.get("parseable"):
            for key, value in result.items():
                out.standard(f"{key}\t{js_text(value)}")
        else:
            chalk = Chalk(out.settings.color_stdout)
            show_unredacted(out, f"Created token {_field(result, 'token')}")
            cidrs = result.get("cidr_whitelist")
            if isinstance(cidrs, list) and cidrs:
                out.standard(f"with IP whitelist: {chalk.green(js_text(cidrs))}")
            if result.get("expires"):
                out.standard(f"expires: {js_text(result.get('expires'))}")
