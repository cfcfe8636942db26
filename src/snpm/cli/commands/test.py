"""`snpm test`: npm's lib/commands/test.js, a LifecycleCmd that runs `npm run test [-- <args>]`.

`npm_command` stays `test` in the script's environment, as in npm.
"""

from __future__ import annotations

from typing import ClassVar

from snpm.cli.commands.run import Run


class Test(Run):
    name = "test"
    summary = "Test a package"
    usage: ClassVar[tuple[str, ...]] = ("[-- <args>]",)
    params: ClassVar[tuple[str, ...]] = ("ignore-scripts", "script-shell")

    async def run(self, args: list[str]) -> None:
        await super().run([self.name, *args])

    async def run_workspaces(self, args: list[str]) -> None:
        await super().run_workspaces([self.name, *args])
