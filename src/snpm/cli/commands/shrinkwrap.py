"""`snpm shrinkwrap`: npm's lib/commands/shrinkwrap.js."""

from __future__ import annotations

from typing import ClassVar

from snpm.cli.commands.install import ArboristCommand
from snpm.ops import install as install_ops

__all__ = ["Shrinkwrap"]


class Shrinkwrap(ArboristCommand):
    name = "shrinkwrap"
    summary = "Lock down dependency versions for publication"
    usage: ClassVar[tuple[str, ...]] = ("",)
    params: ClassVar[tuple[str, ...]] = ()
    workspaces = False

    async def run(self, args: list[str]) -> None:
        await install_ops.shrinkwrap(self.install_context(), lambda text: self.ctx.out.log.notice("", text))
