"""`snpm rebuild` (alias rb): npm's lib/commands/rebuild.js."""

from __future__ import annotations

from typing import ClassVar

from snpm.cli.commands.install import ArboristCommand
from snpm.lifecycle import collect_unreviewed_scripts, read_installed_package
from snpm.lifecycle.allow_scripts import allow_scripts_remediation, trusted_display
from snpm.ops import install as install_ops
from snpm.ops.reify_bridge import build_node

__all__ = ["Rebuild"]


class Rebuild(ArboristCommand):
    name = "rebuild"
    summary = "Rebuild a package"
    usage: ClassVar[tuple[str, ...]] = ("[<package-spec>] ...]",)
    params: ClassVar[tuple[str, ...]] = (
        "global",
        "bin-links",
        "foreground-scripts",
        "ignore-scripts",
        "allow-scripts",
        "strict-allow-scripts",
        "dangerously-allow-all-scripts",
        *ArboristCommand.params,
    )

    async def run(self, args: list[str]) -> None:
        context = self.install_context()
        try:
            outcome = await install_ops.rebuild(context, args)
        finally:
            self.stop_progress(context)
        config = self.ctx.config
        unreviewed = collect_unreviewed_scripts(
            [build_node(n) for n in outcome.tree.inventory.values()],
            outcome.allow_scripts,
            read_installed_package,
            ignore_scripts=bool(config.get("ignore-scripts")),
            dangerously_allow_all_scripts=bool(config.flat.get("dangerouslyAllowAllScripts")),
            where=str(config.local_prefix),
        )
        if unreviewed:
            count = len(unreviewed)
            noun = "package has" if count == 1 else "packages have"
            # `npm install-scripts` needs a project: global rebuilds point at `npm config set`
            if config.is_global:
                names = [trusted_display(entry.node)[0] or "" for entry in unreviewed]
                remediation = f"Run `{allow_scripts_remediation(names)}` to allow their scripts."
            else:
                remediation = "Run `npm install-scripts ls` to review."
            self.ctx.out.log.warn(
                "rebuild",
                f"{count} {noun} install scripts not yet covered by allowScripts. {remediation}",
            )
        self.ctx.out.standard("rebuilt dependencies successfully")
