"""`snpm find-dupes`: npm's lib/commands/find-dupes.js — `dedupe` with `--dry-run` forced on.

npm sets `dry-run` in the config and runs the `dedupe` command, so the output (the changes a
dedupe would make, then the summary line) and every other behaviour are dedupe's.
"""

from __future__ import annotations

from typing import ClassVar

from snpm.cli.command import Command
from snpm.cli.commands.ls import InspectCommand

__all__ = ["FindDupes"]


class FindDupes(InspectCommand):
    name = "find-dupes"
    summary = "Find duplication in the package tree"
    usage: ClassVar[tuple[str, ...]] = ("",)
    params: ClassVar[tuple[str, ...]] = (
        "install-strategy",
        "legacy-bundling",
        "global-style",
        "strict-peer-deps",
        "package-lock",
        "omit",
        "include",
        "ignore-scripts",
        "audit",
        "bin-links",
        "fund",
        *InspectCommand.params,
    )

    async def run(self, args: list[str]) -> None:
        from snpm.cli.command_table import load_command

        self.ctx.config.set("dry-run", True)
        dedupe: Command = load_command("dedupe")(self.ctx)
        # npm.exec('dedupe', []): a fresh command, which picks its own workspaces again
        if self.workspace_names:
            await dedupe.run_workspaces([])
        else:
            await dedupe.run([])
