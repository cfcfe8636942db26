"""`snpm pack`: npm's lib/commands/pack.js, and the output helpers publish/unpublish/version share.

The shared helpers render what npm's display does for these commands: run-script banners (stdout,
stderr under --json, nothing when silent), the `npm notice` block of lib/utils/tar.js with npm's
de-duplication, and the script environment of the running command.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from snpm.cli.command import Command, CommandContext
from snpm.ops.package_scripts import ScriptRunner
from snpm.ops.packaging import PackageSource, PackOptions, pack_specs
from snpm.ops.tarball_report import TarballContents, notice_calls

if TYPE_CHECKING:
    from snpm.registry_client import RegistryClient


def script_runner(ctx: CommandContext) -> ScriptRunner:
    """The ScriptRunner of this command: npm's environment, banners where npm's display puts them."""
    config = ctx.config
    out = ctx.out
    shell = config.get("script-shell")
    gyp = config.get("node-gyp")

    def banner(text: str) -> None:
        if out.settings.loglevel == "silent":
            return
        if out.settings.json:
            out.error(text)
        else:
            out.standard(text)

    def environment() -> Mapping[str, str]:
        from snpm.ops.scripts import script_process_env

        return script_process_env(config, ctx.env, command=ctx.command, color=out.settings.color_stdout)

    foreground = True if config.is_default("foreground-scripts") else bool(config.get("foreground-scripts"))
    return ScriptRunner(
        environment=environment,
        ignore_scripts=bool(config.get("ignore-scripts")),
        foreground_scripts=foreground,
        script_shell=shell if isinstance(shell, str) and shell else None,
        node_gyp=gyp if isinstance(gyp, str) and gyp else None,
        banner=banner,
        warn=lambda title, message: out.log.warn(title, message),
        after_foreground=lambda: out.flush() if out.settings.json else None,
    )


def package_source(ctx: CommandContext) -> PackageSource:
    config = ctx.config

    def make_client() -> RegistryClient:
        from snpm.ops.context import registry_client

        return registry_client(config, ctx.command, log=ctx.out.emit)

    return PackageSource(
        where=ctx.cwd,
        make_client=make_client,
        default_tag=str(config.get("tag") or "latest"),
        node=str(config.exec_path),
    )


class TarballLog:
    """logTar's notices; the Output de-duplicates them by their whole argument list, as npm does."""

    def __init__(self, ctx: CommandContext) -> None:
        self.ctx = ctx

    def notices(self, contents: TarballContents) -> None:
        unicode = bool(self.ctx.config.get("unicode"))
        for call in notice_calls(contents, unicode=unicode):
            self.ctx.out.log.notice(*call)


def workspace_paths(ctx: CommandContext) -> dict[str, str]:
    """The -w/-ws selection (name → folder), npm's setWorkspaces."""
    from snpm.ops.scripts import scripts_settings, select_workspaces

    return select_workspaces(scripts_settings(ctx.config), str(ctx.cwd))


class Pack(Command):
    name = "pack"
    summary = "Create a tarball from a package"
    usage: ClassVar[tuple[str, ...]] = ("<package-spec>",)
    params: ClassVar[tuple[str, ...]] = (
        "dry-run",
        "json",
        "pack-destination",
        "workspace",
        "workspaces",
        "include-workspace-root",
        "ignore-scripts",
    )
    workspaces = True
    ignore_implicit_workspace = False

    async def run(self, args: list[str], workspaces: tuple[Path, ...] = ()) -> None:
        config = self.ctx.config
        out = self.ctx.out
        options = PackOptions(
            dry_run=bool(config.get("dry-run")),
            # path.resolve(packDestination, filename): relative to the cwd, `..` resolved
            pack_destination=Path(
                os.path.normpath(self.ctx.cwd / str(config.get("pack-destination") or "."))
            ),
            prefix=config.local_prefix,
            workspaces=workspaces,
            log=out.emit,
        )
        source = package_source(self.ctx)
        try:
            packed = await pack_specs(source, args or ["."], options, script_runner(self.ctx))
        finally:
            await source.close()
        log = TarballLog(self.ctx)
        if out.settings.json:
            out.json([p.contents.to_json() for p in packed])
            return
        for item in packed:
            log.notices(item.contents)
            out.standard(item.contents.filename.removeprefix("@").replace("/", "-", 1))

    async def run_workspaces(self, args: list[str]) -> None:
        if args and "." not in args:
            self.ctx.out.log.warn("Ignoring workspaces for specified package(s)")
            await self.run(args)
            return
        paths = list(workspace_paths(self.ctx).values())
        await self.run([*paths, *(a for a in args if a != ".")], tuple(Path(p) for p in paths))
