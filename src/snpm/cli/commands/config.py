"""`snpm config set|get|delete|list|edit|fix` (alias `c`): npm's lib/commands/config.js.

Runs without config validation (npm's skipConfigValidation), so that `config fix` and `config
edit` still work when the files hold auth settings npm 11 refuses. Stays import-light.
"""

from __future__ import annotations

from typing import ClassVar

from snpm.cli.command import Command
from snpm.ops import settings_ops


class Config(Command):
    name = "config"
    summary = "Manage the npm configuration files"
    usage: ClassVar[tuple[str, ...]] = (
        "set <key>=<value> [<key>=<value> ...]",
        "get [<key> [<key> ...]]",
        "delete <key> [<key> ...]",
        "list [--json]",
        "edit",
        "fix",
    )
    params: ClassVar[tuple[str, ...]] = ("json", "global", "editor", "location", "long")
    skip_config_validation = True
    event_loop = False
    ignore_implicit_workspace = False

    async def run(self, args: list[str]) -> None:
        config = self.ctx.config
        mark = config.log_mark()
        try:
            self._dispatch(args)
        finally:
            # what npm logs while the command runs (info lines, invalid-value warnings)
            for entry in config.take_since(mark):
                getattr(self.ctx.out.log, entry.level)(entry.title, entry.message)

    def _dispatch(self, args: list[str]) -> None:
        config = self.ctx.config
        action, rest = (args[0], args[1:]) if args else ("", [])
        cwd = str(self.ctx.cwd)
        if action == "set":
            if not rest:
                raise self.usage_error()
            settings_ops.config_set(config, rest)
        elif action == "get":
            self._print(settings_ops.config_get(config, rest, cwd=cwd))
        elif action in ("delete", "rm", "del"):
            if not rest:
                raise self.usage_error()
            settings_ops.config_delete(config, rest)
        elif action in ("list", "ls"):
            if config.flat.get("json"):
                self.ctx.out.json(settings_ops.config_list_json(config))
            else:
                self._print(settings_ops.config_list(config, cwd=cwd))
        elif action == "edit":
            settings_ops.config_edit(config)
        elif action == "fix":
            self._print(settings_ops.config_fix(config))
        else:
            raise self.usage_error()

    def _print(self, result: settings_ops.OpResult) -> None:
        for text in result.output:
            self.ctx.out.standard(text)
