"""`snpm ci` (aliases clean-install, ic, install-clean, isntall-clean): npm's lib/commands/ci.js."""

from __future__ import annotations

from typing import ClassVar

from snpm.cli.commands.install import ArboristCommand
from snpm.errors import UsageError
from snpm.ops import install as install_ops

__all__ = ["CI"]

CI_PARAMS: tuple[str, ...] = (
    "install-strategy",
    "legacy-bundling",
    "global-style",
    "omit",
    "include",
    "strict-peer-deps",
    "foreground-scripts",
    "ignore-scripts",
    "allow-directory",
    "allow-file",
    "allow-git",
    "allow-remote",
    "allow-scripts",
    "strict-allow-scripts",
    "dangerously-allow-all-scripts",
    "audit",
    "bin-links",
    "fund",
    "dry-run",
    *ArboristCommand.params,
)


class CI(ArboristCommand):
    name = "ci"
    summary = "Clean install a project"
    usage: ClassVar[tuple[str, ...]] = ("",)
    params: ClassVar[tuple[str, ...]] = CI_PARAMS

    async def run(self, args: list[str]) -> None:
        context = self.install_context()
        try:
            outcome = await install_ops.ci(context)
        except UsageError as err:
            raise self.usage_from(err) from None
        finally:
            self.stop_progress(context)
        self.finish(outcome)
