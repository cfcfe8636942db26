"""`snpm update` (aliases up, upgrade, udpate, u): npm's lib/commands/update.js."""

from __future__ import annotations

from typing import ClassVar

from snpm.cli.commands.install import ArboristCommand
from snpm.ops import install as install_ops

__all__ = ["Update"]


class Update(ArboristCommand):
    name = "update"
    summary = "Update packages"
    usage: ClassVar[tuple[str, ...]] = ("[<pkg>...]",)
    params: ClassVar[tuple[str, ...]] = (
        "save",
        "global",
        "install-strategy",
        "legacy-bundling",
        "global-style",
        "omit",
        "include",
        "strict-peer-deps",
        "package-lock",
        "foreground-scripts",
        "ignore-scripts",
        "allow-scripts",
        "strict-allow-scripts",
        "dangerously-allow-all-scripts",
        "audit",
        "before",
        "min-release-age",
        "min-release-age-exclude",
        "bin-links",
        "fund",
        "dry-run",
        *ArboristCommand.params,
    )

    async def run(self, args: list[str]) -> None:
        context = self.install_context()
        try:
            outcome = await install_ops.update(context, args)
        finally:
            self.stop_progress(context)
        self.finish(outcome)
