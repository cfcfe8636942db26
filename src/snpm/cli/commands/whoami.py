"""`snpm whoami`: npm's lib/commands/whoami.js."""

from __future__ import annotations

from typing import ClassVar

from snpm.cli.command import Command
from snpm.cli.prompts import TerminalInteraction
from snpm.ops import account


class Whoami(Command):
    name = "whoami"
    summary = "Display npm username"
    params: ClassVar[tuple[str, ...]] = ("registry",)

    async def run(self, args: list[str]) -> None:
        username = await account.whoami(self.ctx.config, TerminalInteraction(self.ctx.out, self.ctx.config))
        if self.ctx.config.get("json"):
            self.ctx.out.json(username)
        else:
            self.ctx.out.standard(username)
