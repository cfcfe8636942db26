"""`snpm login`: npm's lib/commands/login.js (the flow lives in snpm.ops.account)."""

from __future__ import annotations

from typing import ClassVar

from snpm.cli.command import Command
from snpm.cli.prompts import TerminalInteraction
from snpm.ops import account


class Login(Command):
    name = "login"
    summary = "Login to a registry user account"
    params: ClassVar[tuple[str, ...]] = ("registry", "scope", "auth-type")

    async def run(self, args: list[str]) -> None:
        io = TerminalInteraction(self.ctx.out, self.ctx.config)
        outcome = await account.login(self.ctx.config, io)
        self.ctx.out.standard(outcome.message)
