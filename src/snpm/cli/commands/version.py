"""`snpm version` (alias `verison`): npm's lib/commands/version.js; the bump is
`snpm.ops.versioning.bump_version` (libnpmversion).

With no argument it prints npm's versions object (the package's version, npm's, node's
`process.versions`) with snpm's own version added under `snpm`.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import ClassVar

from snpm import NPM_VERSION, __version__
from snpm.cli.command import Command, CommandContext
from snpm.cli.commands.pack import script_runner, workspace_paths
from snpm.git import Git
from snpm.json_types import JsonValue
from snpm.ops.versioning import (
    VersionOptions,
    bump_version,
    inspect_object,
    node_process_versions,
    versions_report,
)
from snpm.ops.workspace_versions import format_ms, update_workspace_lock_versions


def _options(ctx: CommandContext) -> VersionOptions:
    get = ctx.config.get
    preid = get("preid")
    return VersionOptions(
        allow_same_version=bool(get("allow-same-version")),
        commit_hooks=bool(get("commit-hooks")),
        git_tag_version=bool(get("git-tag-version")),
        sign_git_commit=bool(get("sign-git-commit")),
        sign_git_tag=bool(get("sign-git-tag")),
        force=bool(get("force")),
        preid=preid if isinstance(preid, str) and preid else None,
        message=str(get("message")),
        tag_version_prefix=str(get("tag-version-prefix")),
    )


class Version(Command):
    name = "version"
    summary = "Bump a package version"
    usage: ClassVar[tuple[str, ...]] = (
        "[<newversion> | major | minor | patch | premajor | preminor | prepatch | prerelease | from-git]",
    )
    params: ClassVar[tuple[str, ...]] = (
        "allow-same-version",
        "commit-hooks",
        "git-tag-version",
        "json",
        "preid",
        "sign-git-tag",
        "save",
        "workspace",
        "workspaces",
        "workspaces-update",
        "include-workspace-root",
        "ignore-scripts",
    )
    workspaces = True
    ignore_implicit_workspace = False

    def __init__(self, ctx: CommandContext) -> None:
        super().__init__(ctx)
        self.started = time.monotonic()

    @property
    def prefix(self) -> Path:
        return Path(self.ctx.config.prefix)

    async def run(self, args: list[str]) -> None:
        if not args:
            self._list([self.prefix])
        elif len(args) == 1:
            version = await self._bump(args[0], self.prefix)
            self.ctx.out.standard(f"{self.ctx.config.get('tag-version-prefix')}{version}")
        else:
            raise self.usage_error()

    async def run_workspaces(self, args: list[str]) -> None:
        if len(args) > 1:
            raise self.usage_error()
        selected = workspace_paths(self.ctx)
        if not args:
            self._list([*(Path(p) for p in selected.values()), self.prefix])
            return
        out = self.ctx.out
        prefix = self.ctx.config.get("tag-version-prefix")
        updated: list[Path] = []
        for name, path in selected.items():
            out.standard(name)
            version = await self._bump(args[0], Path(path))
            updated.append(Path(path))
            out.standard(f"{prefix}{version}")
        self._update_workspaces(updated)

    async def _bump(self, newversion: str, path: Path) -> str:
        ctx = self.ctx
        git = Git(env=ctx.env)
        return await bump_version(
            newversion, path, options=_options(ctx), runner=script_runner(ctx), git=git, log=ctx.out.emit
        )

    def _update_workspaces(self, updated: list[Path]) -> None:
        """update-workspaces.js: the reify that brings the lockfiles up to the new versions."""
        config = self.ctx.config
        if not config.get("workspaces-update") or not updated:
            return
        update_workspace_lock_versions(Path(config.local_prefix), updated)
        out = self.ctx.out
        if out.settings.loglevel == "silent":
            return
        if out.settings.json:
            summary: dict[str, JsonValue] = {
                "add": [],
                "added": 0,
                "audited": 0,
                "change": [],
                "changed": 0,
                "funding": 0,
                "remove": [],
                "removed": 0,
            }
            out.json(summary)
        else:
            out.standard(f"\nup to date in {format_ms((time.monotonic() - self.started) * 1000)}")

    def _list(self, folders: list[Path]) -> None:
        report = versions_report(
            folders,
            npm_version=NPM_VERSION,
            process_versions=node_process_versions(str(self.ctx.config.exec_path)),
            snpm_version=__version__,
        )
        if self.ctx.out.settings.json:
            self.ctx.out.json(dict(report))
        else:
            self.ctx.out.standard(inspect_object(report))
