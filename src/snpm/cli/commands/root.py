"""`snpm root`: npm's lib/commands/root.js (the node_modules folder packages go into)."""

from __future__ import annotations

from typing import ClassVar

from snpm.cli.command import Command
from snpm.ops.global_mode import npm_dir

__all__ = ["Root"]


class Root(Command):
    name = "root"
    summary = "Display npm root"
    params: ClassVar[tuple[str, ...]] = ("global",)
    event_loop = False

    async def run(self, args: list[str]) -> None:
        self.ctx.out.standard(npm_dir(self.ctx.config))
