"""`snpm ls` (alias list): npm's lib/commands/ls.js; also the base of the inspection commands.

`InspectCommand` is npm's ArboristWorkspaceCmd as these commands use it: -w/-ws (or a workspace
folder as cwd) select workspace names that the command then filters on. `exit_with` stands for
npm's `process.exitCode = 1` (ls with args that match nothing, outdated with rows): the command's
output is complete, nothing is printed as an error, and the process ends with that code.
"""

from __future__ import annotations

from typing import ClassVar

from snpm.cli.command import Command
from snpm.config import Config
from snpm.errors import SnpmError

__all__ = ["InspectCommand", "Ls", "exit_with", "flag"]


def flag(config: Config, key: str) -> bool:
    return bool(config.get(key))


def exit_with(code: int) -> None:
    """npm's `process.exitCode = code` after the output is written: exits with `code`, printing
    nothing more (the CLI's finally block still flushes buffered --json output)."""
    if code:
        raise SystemExit(code)


class InspectCommand(Command):
    """npm's ArboristWorkspaceCmd (workspace-aware, implicit workspace honoured)."""

    params: ClassVar[tuple[str, ...]] = ("workspace", "workspaces", "include-workspace-root", "install-links")
    workspaces = True
    ignore_implicit_workspace = False
    # arborist commands never include the workspace root in the selection (isArboristCmd)
    include_root_in_selection: ClassVar[bool] = False

    workspace_names: tuple[str, ...] = ()
    workspace_paths: tuple[str, ...] = ()

    async def run_workspaces(self, args: list[str]) -> None:
        self.select_workspaces()
        await self.run(args)

    def select_workspaces(self) -> None:
        """base-cmd.js setWorkspaces: the names and folders -w/-ws select."""
        from snpm.ops import scripts as scripts_ops

        config = self.ctx.config
        settings = scripts_ops.scripts_settings(config)
        selected = scripts_ops.select_workspaces(
            scripts_ops.ScriptsSettings(
                local_prefix=settings.local_prefix,
                include_workspace_root=self.include_root_in_selection and settings.include_workspace_root,
                workspace_filters=settings.workspace_filters,
            ),
            str(self.ctx.cwd),
        )
        self.workspace_names = tuple(selected)
        self.workspace_paths = tuple(selected.values())

    def warn(self, title: str, message: str) -> None:
        self.ctx.out.log.warn(title, message)

    @property
    def color(self) -> bool:
        return self.ctx.out.settings.color_stdout


class Ls(InspectCommand):
    name = "ls"
    summary = "List installed packages"
    usage: ClassVar[tuple[str, ...]] = ("<package-spec>",)
    params: ClassVar[tuple[str, ...]] = (
        "all",
        "json",
        "long",
        "parseable",
        "global",
        "depth",
        "omit",
        "include",
        "link",
        "package-lock-only",
        "unicode",
        *InspectCommand.params,
    )

    long_listing: ClassVar[bool] = False

    async def run(self, args: list[str]) -> None:
        from snpm.ops.inspect.chalk import Chalk
        from snpm.ops.inspect.loading import global_tree_path, load_tree_for
        from snpm.ops.inspect.ls import LsOptions, list_tree

        config = self.ctx.config
        flat = config.flat
        global_ = config.is_global
        path = global_tree_path(config) if global_ else str(config.local_prefix)
        depth = config.get("depth")
        omit = flat.get("omit")
        options = LsOptions(
            args=tuple(args),
            all=flag(config, "all"),
            depth=float(depth) if isinstance(depth, int | float) and not isinstance(depth, bool) else None,
            json=flag(config, "json"),
            long=self.long_listing or flag(config, "long"),
            parseable=flag(config, "parseable"),
            global_=global_,
            link=flag(config, "link"),
            omit=tuple(str(o) for o in omit) if isinstance(omit, list) else (),
            unicode=flag(config, "unicode"),
            workspaces_enabled=flat.get("workspacesEnabled") is not False,
            include_workspace_root=bool(flat.get("includeWorkspaceRoot")),
            install_strategy=str(flat.get("installStrategy") or "hoisted"),
            workspace_names=self.workspace_names,
        )
        tree = await load_tree_for(
            path,
            global_=global_,
            package_lock_only=flag(config, "package-lock-only"),
            flat=flat,
            log=self.ctx.out.emit,
        )
        result = list_tree(tree, options, path=path, chalk=Chalk(self.color), warn=self.warn)
        if result.json is not None:
            self.ctx.out.json(result.json)
        elif result.text is not None:
            self.ctx.out.standard(result.text)
        if result.root_error:
            raise SnpmError("Failed to parse root package.json", code="EJSONPARSE")
        problems = result.problems_error()
        if problems is not None:
            raise problems
        exit_with(1 if result.no_match else 0)
