"""`snpm deprecate <package-spec> <message>`: npm's lib/commands/deprecate.js."""

from __future__ import annotations

from typing import ClassVar

from snpm.cli.command import Command
from snpm.cli.prompts import TerminalInteraction
from snpm.ops import package_admin


class Deprecate(Command):
    name = "deprecate"
    summary = "Deprecate a version of a package"
    usage: ClassVar[tuple[str, ...]] = ("<package-spec> <message>",)
    params: ClassVar[tuple[str, ...]] = ("registry", "otp", "dry-run")

    async def run(self, args: list[str]) -> None:
        # an empty message is allowed: it undeprecates
        if not args or not args[0] or len(args) < 2:
            raise self.usage_error()
        await self._deprecate(args[0], args[1])

    async def _deprecate(self, pkg: str, message: str) -> None:
        io = TerminalInteraction(self.ctx.out, self.ctx.config)
        await package_admin.deprecate(self.ctx.config, io, pkg, message)
