"""`snpm stop`: npm's lib/commands/stop.js, a LifecycleCmd that runs `npm run stop [-- <args>]`.

`npm_command` stays `stop` in the script's environment, as in npm.
"""

from __future__ import annotations

from typing import ClassVar

from snpm.cli.commands.run import Run


class Stop(Run):
    name = "stop"
    summary = "Stop a package"
    usage: ClassVar[tuple[str, ...]] = ("[-- <args>]",)
    params: ClassVar[tuple[str, ...]] = ("ignore-scripts", "script-shell")

    async def run(self, args: list[str]) -> None:
        await super().run([self.name, *args])

    async def run_workspaces(self, args: list[str]) -> None:
        await super().run_workspaces([self.name, *args])
