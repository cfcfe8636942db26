"""`snpm deny-scripts`: npm's lib/commands/deny-scripts.js (`install-scripts deny`)."""

from __future__ import annotations

from typing import ClassVar

from snpm.cli.commands.install_scripts import AllowScriptsCommand
from snpm.ops.allow_scripts_cmd import Mode

__all__ = ["DenyScripts"]


class DenyScripts(AllowScriptsCommand):
    name = "deny-scripts"
    summary = "Deny install scripts for specific dependencies"
    usage: ClassVar[tuple[str, ...]] = ("<pkg> [<pkg> ...]", "--all")
    verb: ClassVar[Mode] = "deny"
