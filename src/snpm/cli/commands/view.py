"""`snpm view` (aliases info, show, v): npm's lib/commands/view.js; rendering in snpm.cli.view_render."""

from __future__ import annotations

import re
from typing import ClassVar

from snpm.cli.chalk import Chalk
from snpm.cli.command import Command
from snpm.cli.error_render import render
from snpm.cli.view_render import json_value, pretty_view, text_output, to_json
from snpm.errors import SnpmError
from snpm.json_types import JsonValue
from snpm.ops import registry_view
from snpm.ops.queryable import Undefined
from snpm.ops.scripts import scripts_settings, select_workspaces


class WorkspaceFailuresError(SnpmError):
    """Workspaces whose package was not found were reported already: only the exit status is left."""

    silent = True


def _is_local(pkg: str) -> bool:
    return pkg == "." or re.match(r"^\.@", pkg) is not None


class View(Command):
    name = "view"
    summary = "View registry info"
    usage: ClassVar[tuple[str, ...]] = ("[<package-spec>] [<field>[.subfield]...]",)
    params: ClassVar[tuple[str, ...]] = ("json", "workspace", "workspaces", "include-workspace-root")
    workspaces = True
    ignore_implicit_workspace = False

    async def run(self, args: list[str]) -> None:
        args = args or ["."]
        pkg, fields = args[0], args[1:]
        if _is_local(pkg):
            pkg = registry_view.local_package_name(self.ctx.config) + pkg[1:]
        await self._view(pkg, fields)

    async def run_workspaces(self, args: list[str]) -> None:
        """view.js execWorkspaces: each workspace's package; a 404 is reported and the rest go on."""
        args = args or ["."]
        pkg, fields = args[0], args[1:]
        out = self.ctx.out
        if not _is_local(pkg):
            out.log.warn("Ignoring workspaces for specified package(s)")
            await self.run(args)
            return
        selected = select_workspaces(scripts_settings(self.ctx.config), str(self.ctx.cwd))
        errors: dict[str, JsonValue] = {}
        exit_code = 0
        for name in selected:
            try:
                await self._view(f"{name}{pkg[1:]}", fields, workspace=name)
            except SnpmError as err:
                rendered = render(err, command="view")
                if err.code != "E404":
                    raise
                if self.ctx.config.get("json"):
                    errors[name] = rendered.json_error()
                else:
                    for line in rendered.standard:
                        out.standard(line)
                    for title, *parts in rendered.verbose:
                        out.log.verbose(title, *parts)
                    for title, *parts in [*rendered.error, *rendered.summary, *rendered.detail]:
                        out.log.error(title, *parts)
                exit_code = rendered.exit_code
        if errors:
            # npm merges the per-workspace errors into the JSON output under `error`, last
            out.json({"error": errors})
        if exit_code:
            raise WorkspaceFailuresError("", exit_code=exit_code)

    async def _view(self, pkg: str, fields: list[str], *, workspace: str | None = None) -> None:
        config, out = self.ctx.config, self.ctx.out
        as_json = bool(config.get("json"))
        if not as_json and fields and workspace:
            out.standard(f"{pkg}:")
        data = await registry_view.view_data(config, out.emit, pkg, fields, json=as_json)
        if not as_json and data.whole:
            chalk = Chalk(out.settings.color_stdout)
            unicode = bool(config.get("unicode"))
            for selected in data.selected.values():
                merged = selected.get("")
                if isinstance(merged, dict):
                    out.standard(pretty_view(data.packument, merged, chalk=chalk, unicode=unicode))
            return
        if as_json:
            value = json_value(data)
            if not isinstance(value, Undefined) and value not in ("", 0, False, None):
                out.json({pkg: to_json(value)} if workspace else to_json(value))
            return
        text = text_output(data, out.settings.color_stdout)
        if text:
            out.standard(text)
