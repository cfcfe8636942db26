"""`snpm undeprecate <package-spec>`: npm's lib/commands/undeprecate.js (deprecate with "")."""

from __future__ import annotations

from typing import ClassVar

from snpm.cli.commands.deprecate import Deprecate


class Undeprecate(Deprecate):
    name = "undeprecate"
    summary = "Undeprecate a version of a package"
    usage: ClassVar[tuple[str, ...]] = ("<package-spec>",)

    async def run(self, args: list[str]) -> None:
        if not args or not args[0]:
            raise self.usage_error()
        await self._deprecate(args[0], "")
