"""`snpm owner ls|add|rm` (alias `author`): npm's lib/commands/owner.js."""

from __future__ import annotations

from typing import ClassVar, Literal

from snpm.cli.chalk import js_text
from snpm.cli.command import Command
from snpm.cli.prompts import TerminalInteraction
from snpm.ops import package_access
from snpm.ops.local_package import local_package_name
from snpm.ops.scripts import scripts_settings, select_workspaces

_LIST = ("ls", "list")
_CHANGE = ("add", "rm", "remove")


class Owner(Command):
    name = "owner"
    summary = "Manage package owners"
    usage: ClassVar[tuple[str, ...]] = (
        "add <user> <package-spec>",
        "rm <user> <package-spec>",
        "ls <package-spec>",
    )
    params: ClassVar[tuple[str, ...]] = ("registry", "otp", "workspace", "workspaces")
    workspaces = True
    ignore_implicit_workspace = False

    def _package(self, pkg: str | None) -> str:
        """owner.js getPkg: the named package, else the project's (any read problem: usage)."""
        if pkg:
            return pkg
        if self.ctx.config.is_global:
            raise self.usage_error()
        name = local_package_name(self.ctx.config.prefix, lenient=True)
        if not name:
            raise self.usage_error()
        return name

    async def run(self, args: list[str]) -> None:
        action, rest = (args[0], args[1:]) if args else ("", [])
        io = TerminalInteraction(self.ctx.out, self.ctx.config)
        if action in _LIST:
            await self._list(io, self._package(rest[0] if rest else None))
        elif action in _CHANGE:
            if not rest or not rest[0]:
                raise self.usage_error()
            await self._change(io, action, rest[0], self._package(rest[1] if len(rest) > 1 else None))
        else:
            raise self.usage_error()

    async def run_workspaces(self, args: list[str]) -> None:
        """owner.js execWorkspaces: a package named on the command line wins over -w/-ws."""
        action, rest = (args[0], args[1:]) if args else ("", [])
        selected = select_workspaces(scripts_settings(self.ctx.config), str(self.ctx.cwd))
        if (action == "ls" and rest) or len(rest) > 1:
            if not self.ctx.config.get("workspace", "default"):
                self.ctx.out.log.warn("Ignoring specified workspace(s)")
            await self.run(args)
            return
        io = TerminalInteraction(self.ctx.out, self.ctx.config)
        for name in selected:
            if action in _LIST:
                await self._list(io, name)
            elif action in _CHANGE and rest and rest[0]:
                await self._change(io, action, rest[0], name)
            else:
                raise self.usage_error()

    async def _list(self, io: TerminalInteraction, pkg: str) -> None:
        owners = await package_access.list_owners(self.ctx.config, io, pkg)
        if not owners:
            self.ctx.out.standard("no admin found")
            return
        self.ctx.out.standard(
            "\n".join(
                f"{js_text(m.get('name'), missing='name' not in m)} <{js_text(m.get('email'), missing='email' not in m)}>"
                for m in owners
            )
        )

    async def _change(self, io: TerminalInteraction, action: str, user: str, pkg: str) -> None:
        kind: Literal["add", "rm"] = "add" if action == "add" else "rm"
        change = await package_access.change_owner(self.ctx.config, io, user, pkg, kind)
        if change.changed:
            self.ctx.out.standard(f"{'+' if kind == 'add' else '-'} {change.user} ({change.package})")
