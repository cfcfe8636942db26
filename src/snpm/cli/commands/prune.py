"""`snpm prune`: npm's lib/commands/prune.js."""

from __future__ import annotations

from typing import ClassVar

from snpm.cli.commands.install import ArboristCommand
from snpm.ops import install as install_ops

__all__ = ["Prune"]


class Prune(ArboristCommand):
    name = "prune"
    summary = "Remove extraneous packages"
    usage: ClassVar[tuple[str, ...]] = ("[[<@scope>/]<pkg>...]",)
    params: ClassVar[tuple[str, ...]] = (
        "omit",
        "include",
        "dry-run",
        "json",
        "foreground-scripts",
        "ignore-scripts",
        *ArboristCommand.params,
    )

    async def run(self, args: list[str]) -> None:
        context = self.install_context()
        try:
            outcome = await install_ops.prune(context)
        finally:
            self.stop_progress(context)
        self.finish(outcome)
