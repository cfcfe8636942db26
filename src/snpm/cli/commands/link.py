"""`snpm link` (alias ln): npm's lib/commands/link.js; the work is `snpm.ops.link`."""

from __future__ import annotations

from typing import ClassVar

from snpm.cli.commands.install import ArboristCommand
from snpm.ops import link as link_ops
from snpm.ops import scripts as scripts_ops

__all__ = ["Link"]


class Link(ArboristCommand):
    name = "link"
    summary = "Symlink a package folder"
    usage: ClassVar[tuple[str, ...]] = ("[<package-spec>]",)
    params: ClassVar[tuple[str, ...]] = (
        "save",
        "save-exact",
        "global",
        "install-strategy",
        "legacy-bundling",
        "global-style",
        "strict-peer-deps",
        "package-lock",
        "omit",
        "include",
        "ignore-scripts",
        "allow-directory",
        "allow-file",
        "allow-git",
        "allow-remote",
        "audit",
        "bin-links",
        "fund",
        "dry-run",
        *ArboristCommand.params,
    )

    _workspace_paths: tuple[str, ...] = ()

    async def run_workspaces(self, args: list[str]) -> None:
        # `npm link -w a` links each chosen workspace's folder (npm's this.workspacePaths)
        settings = scripts_ops.scripts_settings(self.ctx.config)
        selected = scripts_ops.select_workspaces(
            scripts_ops.ScriptsSettings(
                local_prefix=settings.local_prefix,
                include_workspace_root=False,
                workspace_filters=settings.workspace_filters,
            ),
            str(self.ctx.cwd),
        )
        self._workspace_names = tuple(selected)
        self._workspace_paths = tuple(selected.values())
        await self.run(args)

    async def run(self, args: list[str]) -> None:
        context = self.install_context()
        try:
            outcome = await link_ops.link(context, args, workspace_paths=self._workspace_paths)
        finally:
            self.stop_progress(context)
        self.finish(outcome)
