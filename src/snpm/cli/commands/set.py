"""`snpm set <key>=<value> ...`: npm's lib/commands/set.js, a short form of `config set`.

Unlike `config`, it validates the config first (npm's Set has no skipConfigValidation).
"""

from __future__ import annotations

from typing import ClassVar

from snpm.cli.command import Command
from snpm.ops import settings_ops


class Set(Command):
    name = "set"
    summary = "Set a value in the npm configuration"
    usage: ClassVar[tuple[str, ...]] = ("<key>=<value> [<key>=<value> ...] (See `npm config`)",)
    params: ClassVar[tuple[str, ...]] = ("global", "location")
    ignore_implicit_workspace = False
    event_loop = False

    async def run(self, args: list[str]) -> None:
        if not args:
            raise self.usage_error()
        config = self.ctx.config
        mark = config.log_mark()
        try:
            settings_ops.config_set(config, args)
        finally:
            for entry in config.take_since(mark):
                getattr(self.ctx.out.log, entry.level)(entry.title, entry.message)
