"""`snpm prefix`: npm's lib/commands/prefix.js (the global prefix with -g, else the project)."""

from __future__ import annotations

from typing import ClassVar

from snpm.cli.command import Command
from snpm.ops.global_mode import npm_prefix

__all__ = ["Prefix"]


class Prefix(Command):
    name = "prefix"
    summary = "Display prefix"
    params: ClassVar[tuple[str, ...]] = ("global",)
    event_loop = False

    async def run(self, args: list[str]) -> None:
        self.ctx.out.standard(npm_prefix(self.ctx.config))
