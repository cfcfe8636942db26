"""`snpm get [<key> ...]`: npm's lib/commands/get.js, a short form of `config get`.

Unlike `config`, it validates the config first (npm's Get has no skipConfigValidation).
"""

from __future__ import annotations

from typing import ClassVar

from snpm.cli.command import Command
from snpm.ops import settings_ops


class Get(Command):
    name = "get"
    summary = "Get a value from the npm configuration"
    usage: ClassVar[tuple[str, ...]] = ("[<key> ...] (See `npm config`)",)
    params: ClassVar[tuple[str, ...]] = ("long",)
    ignore_implicit_workspace = False
    event_loop = False

    async def run(self, args: list[str]) -> None:
        config = self.ctx.config
        mark = config.log_mark()
        try:
            result = settings_ops.config_get(config, args, cwd=str(self.ctx.cwd))
            for text in result.output:
                self.ctx.out.standard(text)
        finally:
            for entry in config.take_since(mark):
                getattr(self.ctx.out.log, entry.level)(entry.title, entry.message)
