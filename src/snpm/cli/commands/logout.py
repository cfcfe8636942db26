"""`snpm logout`: npm's lib/commands/logout.js.

Revokes the token on the registry, then removes the credentials (and, with --scope, the scope's
registry) from the config file they came from; nothing is written when the registry refuses.
"""

from __future__ import annotations

from typing import ClassVar

from snpm.cli.command import Command
from snpm.cli.prompts import TerminalInteraction
from snpm.ops import account


class Logout(Command):
    name = "logout"
    summary = "Log out of the registry"
    params: ClassVar[tuple[str, ...]] = ("registry", "scope")

    async def run(self, args: list[str]) -> None:
        await account.logout(self.ctx.config, TerminalInteraction(self.ctx.out, self.ctx.config))
