"""`snpm outdated`: npm's lib/commands/outdated.js (exit code 1 when anything is outdated)."""

from __future__ import annotations

import asyncio
from typing import ClassVar

from snpm.cli.commands.ls import InspectCommand, exit_with, flag
from snpm.json_types import JsonObject

__all__ = ["Outdated"]


class Outdated(InspectCommand):
    name = "outdated"
    summary = "Check for outdated packages"
    usage: ClassVar[tuple[str, ...]] = ("[<package-spec> ...]",)
    params: ClassVar[tuple[str, ...]] = (
        "all",
        "json",
        "long",
        "parseable",
        "global",
        "workspace",
        "before",
        "min-release-age",
        "min-release-age-exclude",
    )

    async def run(self, args: list[str]) -> None:
        from snpm.fetch.options import fetch_options
        from snpm.fetch.pick_manifest import PickOptions
        from snpm.ops.context import registry_client
        from snpm.ops.inspect.chalk import Chalk
        from snpm.ops.inspect.loading import (
            exclude_workspaces_dependency_set,
            global_tree_path,
            load_tree_for,
            workspace_dependency_set,
        )
        from snpm.ops.inspect.outdated import (
            OutdatedOptions,
            find_outdated,
            outdated_json,
            outdated_parseable,
            outdated_table,
        )
        from snpm.registry_client import fetch_packument

        config = self.ctx.config
        flat = config.flat
        global_ = config.is_global
        path = global_tree_path(config) if global_ else str(config.local_prefix)
        tree = await load_tree_for(
            path,
            global_=global_,
            flat=flat,
            log=self.ctx.out.emit,
        )
        filter_set = None
        if self.workspace_names:
            filter_set = workspace_dependency_set(
                tree, self.workspace_names, self.warn, bool(flat.get("includeWorkspaceRoot"))
            )
        elif flat.get("workspacesEnabled") is False:
            filter_set = exclude_workspaces_dependency_set(tree)
        fetch = fetch_options(config)
        omit = flat.get("omit")
        exclude = flat.get("minReleaseAgeExclude")
        long = flag(config, "long")
        options = OutdatedOptions(
            args=tuple(args),
            all=flag(config, "all"),
            long=long,
            global_=global_,
            omit=tuple(str(o) for o in omit) if isinstance(omit, list) else (),
            pick=PickOptions(
                default_tag=fetch.default_tag,
                before_ms=fetch.before_ms,
                node_version=fetch.node_version,
                npm_version=fetch.npm_version,
            ),
            min_release_age_exclude=tuple(str(p) for p in exclude) if isinstance(exclude, list) else (),
        )
        # pacote asks for the full document with --long, and always when `before` is set
        full = long or fetch.before_ms is not None
        async with registry_client(config, self.ctx.command or self.name, log=self.ctx.out.emit) as client:
            packuments: dict[str, asyncio.Task[JsonObject]] = {}

            async def packument(name: str, _long: bool) -> JsonObject:
                task = packuments.get(name)
                if task is None:
                    task = packuments[name] = asyncio.ensure_future(
                        fetch_packument(client, name, full=full, cache_mode="no-cache")
                    )
                return await asyncio.shield(task)

            rows = await find_outdated(tree, options, packument, filter_set=filter_set)
        out = self.ctx.out
        if config.get("json"):
            out.json(outdated_json(rows, long=long))
        elif flag(config, "parseable"):
            text = outdated_parseable(rows, long=long)
            if text:
                out.standard(text)
        else:
            table = outdated_table(rows, Chalk(self.color), long=long)
            if table:
                out.standard(table)
        exit_with(1 if rows else 0)
