"""`snpm install-ci-test` (aliases cit, clean-install-test, sit): npm's
lib/commands/install-ci-test.js: ci, then `npm test`."""

from __future__ import annotations

from snpm.cli.commands.ci import CI
from snpm.errors import UsageError
from snpm.ops import install as install_ops

__all__ = ["InstallCITest"]


class InstallCITest(CI):
    name = "install-ci-test"
    summary = "Install a project with a clean slate and run tests"

    async def run(self, args: list[str]) -> None:
        context = self.install_context()
        try:
            outcome = await install_ops.ci(context)
        except UsageError as err:
            raise self.usage_from(err) from None
        finally:
            self.stop_progress(context)
        self.finish(outcome)
        await install_ops.run_test(context, self.suggest)
