"""`snpm approve-scripts`: npm's lib/commands/approve-scripts.js (`install-scripts approve`)."""

from __future__ import annotations

from typing import ClassVar

from snpm.cli.commands.install_scripts import AllowScriptsCommand
from snpm.ops.allow_scripts_cmd import Mode

__all__ = ["ApproveScripts"]


class ApproveScripts(AllowScriptsCommand):
    name = "approve-scripts"
    summary = "Approve install scripts for specific dependencies"
    usage: ClassVar[tuple[str, ...]] = ("<pkg> [<pkg> ...]", "--all", "--allow-scripts-pending")
    verb: ClassVar[Mode] = "approve"
