"""`snpm explain` (alias why): npm's lib/commands/explain.js."""

from __future__ import annotations

from typing import ClassVar

from snpm.cli.commands.ls import InspectCommand

__all__ = ["Explain"]


class Explain(InspectCommand):
    name = "explain"
    summary = "Explain installed packages"
    usage: ClassVar[tuple[str, ...]] = ("<package-spec>",)
    params: ClassVar[tuple[str, ...]] = ("json", "workspace")

    async def run(self, args: list[str]) -> None:
        if not args:
            raise self.usage_error()
        from snpm.ops.inspect.chalk import Chalk
        from snpm.ops.inspect.explain import explain_nodes
        from snpm.ops.inspect.loading import (
            exclude_workspaces_dependency_set,
            load_tree_for,
            workspace_dependency_set,
        )

        config = self.ctx.config
        flat = config.flat
        prefix = str(config.prefix)
        tree = await load_tree_for(
            prefix,
            global_=config.is_global,
            flat=flat,
            log=self.ctx.out.emit,
        )
        workspaces_enabled = flat.get("workspacesEnabled") is not False
        filter_set = None
        if workspaces_enabled and self.workspace_names:
            filter_set = workspace_dependency_set(tree, self.workspace_names, self.warn)
        elif not workspaces_enabled:
            filter_set = exclude_workspaces_dependency_set(tree)
        result = explain_nodes(tree, args, prefix=prefix, cwd=str(self.ctx.cwd), filter_set=filter_set)
        if config.get("json"):
            self.ctx.out.json(result.json())
        else:
            self.ctx.out.standard(result.text(Chalk(self.color)))
