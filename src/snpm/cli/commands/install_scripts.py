"""`snpm install-scripts approve|deny|ls|prune`: npm's lib/commands/install-scripts.js, and
`AllowScriptsCommand`, the base it shares with approve-scripts and deny-scripts
(lib/utils/allow-scripts-cmd.js). The work is `snpm.ops.allow_scripts_cmd.run_allow_scripts`.

Not workspace-aware on purpose: the policy lives in the root package.json, so there is nothing to
target per workspace; like npm, -w/-ws (or running inside a workspace folder) is ENOWORKSPACES.
"""

from __future__ import annotations

from typing import ClassVar

from snpm.cli.command import Command
from snpm.errors import UsageError
from snpm.ops.allow_scripts_cmd import AllowScriptsRequest, Mode, run_allow_scripts

__all__ = ["AllowScriptsCommand", "InstallScripts"]

_SUBCOMMANDS: dict[str, Mode] = {
    "approve": "approve",
    "deny": "deny",
    "ls": "list",
    "list": "list",
    "prune": "prune",
}


class AllowScriptsCommand(Command):
    """approve-scripts and deny-scripts run their `verb`; install-scripts picks a subcommand."""

    params: ClassVar[tuple[str, ...]] = ("all", "allow-scripts-pending", "allow-scripts-pin", "json")
    ignore_implicit_workspace = False
    verb: ClassVar[Mode] = "approve"

    async def run(self, args: list[str]) -> None:
        await self.run_mode(self.verb, args)

    async def run_mode(self, mode: Mode, args: list[str]) -> None:
        request = AllowScriptsRequest(
            command=self.name,
            mode=mode,
            args=tuple(args),
            honours_pending="allow-scripts-pending" in self.params,
        )
        out = self.ctx.out
        try:
            report = await run_allow_scripts(self.ctx.config, request, out.emit)
        except UsageError as err:
            raise (err if err.usage else self.usage_error(err.message)) from None
        if report.json is not None:
            out.json(report.json)
        for line in report.lines:
            out.standard(line)


class InstallScripts(AllowScriptsCommand):
    name = "install-scripts"
    summary = "Manage install-script approvals for dependencies"
    usage: ClassVar[tuple[str, ...]] = (
        "approve <pkg> [<pkg> ...]",
        "approve --all",
        "deny <pkg> [<pkg> ...]",
        "deny --all",
        "ls",
        "prune",
    )
    params: ClassVar[tuple[str, ...]] = ("all", "allow-scripts-pin", "dry-run", "json")

    async def run(self, args: list[str]) -> None:
        sub, rest = (args[0], args[1:]) if args else ("", [])
        mode = _SUBCOMMANDS.get(sub)
        if mode is None:
            raise self.usage_error(f"`{sub}` is not a recognized subcommand." if sub else "")
        await self.run_mode(mode, rest)
