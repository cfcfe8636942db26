"""`snpm stars [<user>]`: npm's lib/commands/stars.js."""

from __future__ import annotations

from typing import ClassVar

from snpm.cli.command import Command
from snpm.cli.prompts import TerminalInteraction
from snpm.ops import package_admin


class Stars(Command):
    name = "stars"
    summary = "View packages marked as favorites"
    usage: ClassVar[tuple[str, ...]] = ("[<user>]",)
    params: ClassVar[tuple[str, ...]] = ("registry",)
    ignore_implicit_workspace = False

    async def run(self, args: list[str]) -> None:
        io = TerminalInteraction(self.ctx.out, self.ctx.config)
        for name in await package_admin.stars(self.ctx.config, io, args[0] if args else None):
            self.ctx.out.standard(name)
