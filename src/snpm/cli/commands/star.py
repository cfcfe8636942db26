"""`snpm star`: npm's lib/commands/star.js (`unstar` shares it)."""

from __future__ import annotations

from typing import ClassVar

from snpm.cli.command import Command
from snpm.cli.prompts import TerminalInteraction
from snpm.ops import package_admin


class Star(Command):
    name = "star"
    summary = "Mark your favorite packages"
    usage: ClassVar[tuple[str, ...]] = ("[<package-spec>...]",)
    params: ClassVar[tuple[str, ...]] = ("registry", "unicode", "otp")
    ignore_implicit_workspace = False

    async def run(self, args: list[str]) -> None:
        if not args:
            raise self.usage_error()
        starring = self.name == "star"
        unicode = bool(self.ctx.config.get("unicode"))
        full, empty = ("\u2605 ", "\u2606 ") if unicode else ("(*)", "( )")
        io = TerminalInteraction(self.ctx.out, self.ctx.config)
        name = await package_admin.star(self.ctx.config, io, args, starring=starring)
        if name is not None:
            self.ctx.out.standard(f"{full if starring else empty} {name}")
