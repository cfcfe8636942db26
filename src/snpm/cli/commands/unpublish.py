"""`snpm unpublish`: npm's lib/commands/unpublish.js (the use case is `snpm.ops.unpublishing`)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from snpm.cli.command import Command
from snpm.cli.commands.pack import workspace_paths
from snpm.cli.commands.publish import make_client
from snpm.cli.prompts import TerminalInteraction
from snpm.ops.unpublishing import UnpublishHooks, UnpublishOptions, unpublish


class Unpublish(Command):
    name = "unpublish"
    summary = "Remove a package from the registry"
    usage: ClassVar[tuple[str, ...]] = ("[<package-spec>]",)
    params: ClassVar[tuple[str, ...]] = ("dry-run", "force", "workspace", "workspaces")
    workspaces = True
    ignore_implicit_workspace = False

    async def run(self, args: list[str]) -> None:
        await self._unpublish(args, Path(self.ctx.config.local_prefix))

    async def run_workspaces(self, args: list[str]) -> None:
        for path in workspace_paths(self.ctx).values():
            await self._unpublish(args, Path(path))

    async def _unpublish(self, args: list[str], local_prefix: Path) -> None:
        if len(args) > 1:
            raise self.usage_error()
        ctx = self.ctx
        config = ctx.config
        hooks = UnpublishHooks(
            log=ctx.out.emit,
            make_client=lambda settings: make_client(ctx, settings),
            usage_error=self.usage_error,
            io=TerminalInteraction(ctx.out, config),
        )
        options = UnpublishOptions(force=bool(config.get("force")), dry_run=bool(config.get("dry-run")))
        line = await unpublish(
            args[0] if args else None, config=config, local_prefix=local_prefix, options=options, hooks=hooks
        )
        if ctx.out.settings.loglevel != "silent":
            ctx.out.standard(line)
