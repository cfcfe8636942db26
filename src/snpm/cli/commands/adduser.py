"""`snpm adduser` (alias `add-user`): npm's lib/commands/adduser.js."""

from __future__ import annotations

from typing import ClassVar

from snpm.cli.command import Command
from snpm.cli.prompts import TerminalInteraction
from snpm.ops import account


class AddUser(Command):
    name = "adduser"
    summary = "Add a registry user account"
    params: ClassVar[tuple[str, ...]] = ("registry", "scope", "auth-type")

    async def run(self, args: list[str]) -> None:
        io = TerminalInteraction(self.ctx.out, self.ctx.config)
        outcome = await account.login(self.ctx.config, io, create=True)
        self.ctx.out.standard(outcome.message)
