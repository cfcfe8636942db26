"""`snpm dist-tag add|rm|ls` (alias `dist-tags`): npm's lib/commands/dist-tag.js."""

from __future__ import annotations

from typing import ClassVar

from snpm.cli.chalk import js_text
from snpm.cli.command import Command
from snpm.cli.prompts import TerminalInteraction
from snpm.errors import SnpmError, UsageError
from snpm.ops import package_admin
from snpm.ops.local_package import local_package_name
from snpm.ops.scripts import scripts_settings, select_workspaces

_ADD = ("add", "a", "set", "s")
_RM = ("rm", "r", "del", "d", "remove")
_LS = ("ls", "l", "sl", "list")


class WorkspaceFailuresError(SnpmError):
    """Failures that were reported as they happened: only the exit status is left to set."""

    silent = True


class DistTag(Command):
    name = "dist-tag"
    summary = "Modify package distribution tags"
    usage: ClassVar[tuple[str, ...]] = (
        "add <package-spec (with version)> [<tag>]",
        "rm <package-spec> <tag>",
        "ls [<package-spec>]",
    )
    params: ClassVar[tuple[str, ...]] = ("workspace", "workspaces", "include-workspace-root")
    workspaces = True
    ignore_implicit_workspace = False

    async def run(self, args: list[str]) -> None:
        cmd = args[0] if args else None
        pkg = args[1] if len(args) > 1 else None
        tag = args[2] if len(args) > 2 else None
        io = TerminalInteraction(self.ctx.out, self.ctx.config)
        try:
            if cmd in _ADD:
                change = await package_admin.dist_tag_add(self.ctx.config, io, pkg or "", tag)
                if change.changed:
                    self.ctx.out.standard(f"+{change.tag}: {change.name}@{change.version}")
            elif cmd in _RM:
                change = await package_admin.dist_tag_rm(self.ctx.config, io, pkg or "", tag)
                self.ctx.out.standard(f"-{change.tag}: {change.name}@{change.version}")
            elif cmd in _LS:
                await self._list(io, pkg)
            elif not pkg:
                # only a package name: list its tags
                await self._list(io, cmd)
            else:
                raise self.usage_error()
        except UsageError as err:
            if err.usage:
                raise
            raise self.usage_error(err.message) from None

    async def run_workspaces(self, args: list[str]) -> None:
        """dist-tag.js execWorkspaces: listing the workspaces' tags, else the plain command."""
        cmd = args[0] if args else None
        pkg = args[1] if len(args) > 1 else None
        listing = cmd in _LS and (not pkg or pkg == "." or pkg.startswith(".@"))
        if listing or (not pkg and (not cmd or cmd == "." or cmd.startswith(".@"))):
            await self._list_workspaces()
            return
        self.ctx.out.log.warn("dist-tag", "Ignoring workspaces for specified package")
        await self.run(args)

    async def _list_workspaces(self) -> None:
        selected = select_workspaces(scripts_settings(self.ctx.config), str(self.ctx.cwd))
        io = TerminalInteraction(self.ctx.out, self.ctx.config)
        failed = False
        for name in selected:
            self.ctx.out.standard(f"{name}:")
            try:
                await self._list(io, name)
            except SnpmError:
                # already logged by the listing ("Couldn't get dist-tag data for …"): exit 1 quietly
                failed = True
        if failed:
            raise WorkspaceFailuresError("", exit_code=1)

    async def _list(self, io: TerminalInteraction, pkg: str | None) -> None:
        if not pkg:
            if self.ctx.config.is_global:
                raise self.usage_error()
            name = local_package_name(self.ctx.config.prefix)
            if not name:
                raise self.usage_error()
            pkg = name
        tags = await package_admin.dist_tag_ls(self.ctx.config, io, pkg)
        self.ctx.out.standard("\n".join(sorted(f"{k}: {js_text(v)}" for k, v in tags.items())))
