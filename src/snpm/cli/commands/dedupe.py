"""`snpm dedupe` (alias ddp): npm's lib/commands/dedupe.js."""

from __future__ import annotations

from typing import ClassVar

from snpm.cli.commands.install import ArboristCommand
from snpm.ops import install as install_ops

__all__ = ["Dedupe"]


class Dedupe(ArboristCommand):
    name = "dedupe"
    summary = "Reduce duplication in the package tree"
    usage: ClassVar[tuple[str, ...]] = ("",)
    params: ClassVar[tuple[str, ...]] = (
        "install-strategy",
        "legacy-bundling",
        "global-style",
        "strict-peer-deps",
        "package-lock",
        "omit",
        "include",
        "ignore-scripts",
        "allow-directory",
        "allow-file",
        "allow-git",
        "allow-remote",
        "audit",
        "bin-links",
        "fund",
        "dry-run",
        *ArboristCommand.params,
    )

    async def run(self, args: list[str]) -> None:
        context = self.install_context()
        try:
            outcome = await install_ops.dedupe(context)
        finally:
            self.stop_progress(context)
        self.finish(outcome)
