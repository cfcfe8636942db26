"""`snpm uninstall` (aliases unlink, remove, rm, r, un): npm's lib/commands/uninstall.js."""

from __future__ import annotations

from typing import ClassVar

from snpm.cli.commands.install import ArboristCommand
from snpm.errors import UsageError
from snpm.ops import install as install_ops

__all__ = ["Uninstall"]


class Uninstall(ArboristCommand):
    name = "uninstall"
    summary = "Remove a package"
    usage: ClassVar[tuple[str, ...]] = ("[<@scope>/]<pkg>...",)
    params: ClassVar[tuple[str, ...]] = ("save", "global", *ArboristCommand.params)

    async def run(self, args: list[str]) -> None:
        context = self.install_context()
        try:
            outcome = await install_ops.uninstall(context, args)
        except UsageError as err:
            raise self.usage_from(err) from None
        finally:
            self.stop_progress(context)
        self.finish(outcome)
