"""`snpm install-test` (alias it): npm's lib/commands/install-test.js: install, then `npm test`."""

from __future__ import annotations

from snpm.cli.commands.install import Install
from snpm.ops import install as install_ops

__all__ = ["InstallTest"]


class InstallTest(Install):
    name = "install-test"
    summary = "Install package(s) and run tests"

    async def run(self, args: list[str]) -> None:
        context = self.install_context()
        try:
            outcome = await install_ops.install(context, args)
        finally:
            self.stop_progress(context)
        self.finish(outcome)
        await install_ops.run_test(context, self.suggest)
