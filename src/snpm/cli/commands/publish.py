"""`snpm publish`: npm's lib/commands/publish.js (the use case is `snpm.ops.publishing.publish`).

An OTP challenge is answered through the terminal (`snpm.cli.prompts.TerminalInteraction`): npm's
prompt, or the browser for a web OTP. `make_client` is shared with unpublish.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from snpm import NPM_VERSION
from snpm.cli.command import Command, CommandContext
from snpm.cli.commands.pack import TarballLog, package_source, script_runner, workspace_paths
from snpm.cli.prompts import TerminalInteraction
from snpm.config.definitions import node_version
from snpm.errors import SnpmError
from snpm.ops.publishing import PublishHooks, PublishOptions, publish
from snpm.ops.tarball_report import TarballContents
from snpm.registry_client import ClientSettings, RegistryClient


def make_client(ctx: CommandContext, settings: ClientSettings) -> RegistryClient:
    """A registry client for settings changed by publishConfig (ops.context builds the default one)."""
    from snpm.cache.http_cache import HttpCache

    cache = HttpCache(settings.cache) if settings.cache is not None else None
    return RegistryClient(settings, cache=cache, log=ctx.out.emit)


class Publish(Command):
    name = "publish"
    summary = "Publish a package"
    usage: ClassVar[tuple[str, ...]] = ("<package-spec>",)
    params: ClassVar[tuple[str, ...]] = (
        "tag",
        "access",
        "dry-run",
        "otp",
        "workspace",
        "workspaces",
        "include-workspace-root",
        "provenance",
    )
    workspaces = True
    ignore_implicit_workspace = False

    async def run(self, args: list[str]) -> None:
        args = args or ["."]
        if len(args) != 1:
            raise self.usage_error()
        await self._publish(args[0], TarballLog(self.ctx))

    async def run_workspaces(self, args: list[str]) -> None:
        if args and "." not in args:
            self.ctx.out.log.warn("Ignoring workspaces for specified package(s)")
            await self.run(args)
            return
        selected = workspace_paths(self.ctx)
        paths = tuple(Path(p) for p in selected.values())
        log = TarballLog(self.ctx)
        for name, path in selected.items():
            try:
                await self._publish(path, log, workspace=name, workspaces=paths)
            except SnpmError as err:
                if err.code != "EPRIVATE":
                    raise
                self.ctx.out.log.warn("publish", f"Skipping workspace {name}, marked as private")

    async def _publish(
        self, arg: str, log: TarballLog, *, workspace: str | None = None, workspaces: tuple[Path, ...] = ()
    ) -> None:
        ctx = self.ctx
        config = ctx.config
        out = ctx.out
        json_mode = out.settings.json

        def published(contents: TarballContents) -> None:
            if json_mode:
                out.json({contents.name: contents.to_json()})

        options = PublishOptions(
            dry_run=bool(config.get("dry-run")),
            force=bool(config.get("force")),
            json=json_mode,
            node_version=node_version(str(config.exec_path)).removeprefix("v"),
            npm_version=NPM_VERSION,
            prefix=config.local_prefix,
            workspaces=workspaces,
        )
        hooks = PublishHooks(
            log=out.emit,
            show_contents=log.notices,
            published=published,
            make_client=lambda settings: make_client(ctx, settings),
            io=TerminalInteraction(out, config),
            environ=ctx.env,
        )
        source = package_source(ctx)
        try:
            contents = await publish(
                arg,
                config=config,
                source=source,
                runner=script_runner(ctx),
                options=options,
                hooks=hooks,
                workspace=workspace,
            )
        finally:
            await source.close()
        if not json_mode and out.settings.loglevel != "silent":
            out.standard(f"+ {contents.id}")
