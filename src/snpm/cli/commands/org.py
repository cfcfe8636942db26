"""`snpm org set|rm|ls`: npm's lib/commands/org.js over libnpmorg."""

from __future__ import annotations

import json
from typing import ClassVar

from snpm.cli.chalk import Chalk, js_text
from snpm.cli.command import Command
from snpm.cli.prompts import TerminalInteraction
from snpm.errors import SnpmError
from snpm.ops import orgs


class Org(Command):
    name = "org"
    summary = "Manage orgs"
    usage: ClassVar[tuple[str, ...]] = (
        "set orgname username [developer | admin | owner]",
        "rm orgname username",
        "ls orgname [<username>]",
    )
    params: ClassVar[tuple[str, ...]] = ("registry", "otp", "json", "parseable")

    @property
    def _quiet(self) -> bool:
        return self.ctx.out.settings.loglevel == "silent"

    async def run(self, args: list[str]) -> None:
        cmd = args[0] if args else ""
        org = args[1] if len(args) > 1 else ""
        user = args[2] if len(args) > 2 else ""
        role = args[3] if len(args) > 3 else ""
        if cmd in ("add", "set"):
            await self._set(org, user, role or "developer")
        elif cmd == "rm":
            await self._rm(org, user)
        elif cmd == "ls":
            await self._ls(org, user)
        else:
            raise self.usage_error()

    async def _set(self, org: str, user: str, role: str) -> None:
        if not org:
            raise SnpmError("First argument `orgname` is required.")
        if not user:
            raise SnpmError("Second argument `username` is required.")
        if role not in ("owner", "admin", "developer"):
            raise SnpmError(
                "Third argument `role` must be one of `owner`, `admin`, or `developer`, with `developer` "
                "being the default value if omitted."
            )
        config, out = self.ctx.config, self.ctx.out
        details = await orgs.org_set(config, TerminalInteraction(out, config), org, user, role)
        if config.get("json"):
            out.standard(json.dumps(details, indent=2, ensure_ascii=False))
            return
        org_info = details.get("org")
        if not isinstance(org_info, dict):
            raise SnpmError("Cannot read properties of undefined (reading 'name')")
        name, size = org_info.get("name"), org_info.get("size")
        member, member_role = details.get("user"), details.get("role")
        if config.get("parseable"):
            out.standard("org\torgsize\tuser\trole")
            out.standard("\t".join(js_text(v) for v in (name, size, member, member_role)))
        elif not self._quiet:
            out.standard(
                f"Added {js_text(member)} as {js_text(member_role)} to {js_text(name)}. You now have "
                f"{js_text(size)} member{'' if size == 1 else 's'} in this org."
            )

    async def _rm(self, org: str, user: str) -> None:
        if not org:
            raise SnpmError("First argument `orgname` is required.")
        if not user:
            raise SnpmError("Second argument `username` is required.")
        config, out = self.ctx.config, self.ctx.out
        user, org, count = await orgs.org_rm(config, TerminalInteraction(out, config), org, user)
        if config.get("json"):
            out.json({"user": user, "org": org, "userCount": count, "deleted": True})
        elif config.get("parseable"):
            out.standard("user\torg\tuserCount\tdeleted")
            out.standard(f"{user}\t{org}\t{count}\ttrue")
        elif not self._quiet:
            out.standard(
                f"Successfully removed {user} from {org}. You now have {count} member"
                f"{'' if count == 1 else 's'} in this org."
            )

    async def _ls(self, org: str, user: str) -> None:
        if not org:
            raise SnpmError("First argument `orgname` is required.")
        config, out = self.ctx.config, self.ctx.out
        roster = await orgs.org_ls(config, TerminalInteraction(out, config), org, user or None)
        if config.get("json"):
            out.json(roster)
        elif config.get("parseable"):
            out.standard("user\trole")
            for member, role in roster.items():
                out.standard(f"{member}\t{js_text(role)}")
        elif not self._quiet:
            chalk = Chalk(out.settings.color_stdout)
            for member in sorted(roster):
                out.standard(f"{member} - {chalk.cyan(js_text(roster[member]))}")
