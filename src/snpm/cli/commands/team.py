"""`snpm team create|destroy|add|rm|ls`: npm's lib/commands/team.js over libnpmteam."""

from __future__ import annotations

import re
from typing import ClassVar

from snpm.cli.command import Command
from snpm.cli.prompts import TerminalInteraction
from snpm.json_types import JsonValue
from snpm.ops import orgs


class Team(Command):
    name = "team"
    summary = "Manage organization teams and team memberships"
    usage: ClassVar[tuple[str, ...]] = (
        "create <scope:team> [--otp <otpcode>]",
        "destroy <scope:team> [--otp <otpcode>]",
        "add <scope:team> <user> [--otp <otpcode>]",
        "rm <scope:team> <user> [--otp <otpcode>]",
        "ls <scope>|<scope:team>",
    )
    params: ClassVar[tuple[str, ...]] = ("registry", "otp", "parseable", "json")
    ignore_implicit_workspace = False

    def _emit(self, json_value: JsonValue, parseable: str, human: list[str]) -> None:
        out, config = self.ctx.out, self.ctx.config
        if config.get("json"):
            out.json(json_value)
        elif config.get("parseable"):
            out.standard(parseable)
        elif out.settings.loglevel != "silent":
            for line in human:
                out.standard(line)

    async def run(self, args: list[str]) -> None:
        cmd = args[0] if args else ""
        entity = re.sub(r"^@", "", args[1] if len(args) > 1 else "", count=1)
        user = args[2] if len(args) > 2 else ""
        config = self.ctx.config
        io = TerminalInteraction(self.ctx.out, config)
        if cmd == "create":
            await orgs.team_create(config, io, entity)
            self._emit({"created": True, "team": entity}, f"{entity}\tcreated", [f"+@{entity}"])
        elif cmd == "destroy":
            await orgs.team_destroy(config, io, entity)
            self._emit({"deleted": True, "team": entity}, f"{entity}\tdeleted", [f"-@{entity}"])
        elif cmd == "add":
            await orgs.team_add(config, io, entity, user)
            self._emit(
                {"added": True, "team": entity, "user": user},
                f"{user}\t{entity}\tadded",
                [f"{user} added to @{entity}"],
            )
        elif cmd == "rm":
            await orgs.team_rm(config, io, entity, user)
            self._emit(
                {"removed": True, "team": entity, "user": user},
                f"{user}\t{entity}\tremoved",
                [f"{user} removed from @{entity}"],
            )
        elif cmd == "ls":
            if re.search(r"[^:]+:.+", entity):
                users = await orgs.team_ls_users(config, io, entity)
                self._emit(
                    list[JsonValue](users), "\n".join(users), [_count_line(entity, users, "user"), *users]
                )
            else:
                teams = await orgs.team_ls_teams(config, io, entity)
                self._emit(
                    list[JsonValue](teams),
                    "\n".join(teams),
                    [_count_line(entity, teams, "team"), *(f"@{t}" for t in teams)],
                )
        else:
            raise self.usage_error()


def _count_line(entity: str, items: list[str], noun: str) -> str:
    plural = "" if len(items) == 1 else "s"
    more = "" if not items else ":"
    return f"@{entity} has {len(items)} {noun}{plural}{more}"
