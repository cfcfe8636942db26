"""`snpm cache add|clean|ls|verify|npx`: npm's lib/commands/cache.js."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import ClassVar

from snpm.cli.command import Command
from snpm.errors import UsageError
from snpm.ops import cache_ops


class Cache(Command):
    name = "cache"
    summary = "Manipulates packages and npx cache"
    usage: ClassVar[tuple[str, ...]] = (
        "add <package-spec>",
        "clean [<key>]",
        "ls [<name>@<version>]",
        "verify",
        "npx ls",
        "npx rm [<key>...]",
        "npx info <key>...",
    )
    params: ClassVar[tuple[str, ...]] = ("cache",)

    @property
    def cache_dir(self) -> Path:
        return Path(str(self.ctx.config.get("cache")))

    async def run(self, args: list[str]) -> None:
        sub, rest = (args[0], args[1:]) if args else ("", [])
        if sub in ("rm", "clear", "clean"):
            self._clean(rest)
        elif sub == "add":
            await self._add(rest)
        elif sub in ("verify", "check"):
            for line in cache_ops.verify(self.cache_dir, self.ctx.env.get("HOME")):
                self.ctx.out.standard(line)
        elif sub == "ls":
            try:
                keys = cache_ops.ls(self.cache_dir, rest)
            except UsageError as err:
                raise self.usage_error(err.message) from None
            for key in keys:
                self.ctx.out.standard(key)
        elif sub == "npx":
            self._npx(rest)
        else:
            raise self.usage_error()

    def _clean(self, keys: list[str]) -> None:
        outcome = cache_ops.clean(self.cache_dir, keys, force=bool(self.ctx.config.get("force")))
        for key in outcome.deleted:
            self.ctx.out.standard(f"Deleted: {key}")
        if outcome.not_found is not None:
            self.ctx.out.log.warn("cache", f"Not Found: {outcome.not_found}")

    async def _add(self, specs: list[str]) -> None:
        if not specs:
            raise self.usage_error("First argument to `add` is required")
        from snpm.ops.fetch_ops import add_to_cache

        await add_to_cache(self.ctx.config, specs, self.ctx.out.emit)

    def _npx(self, args: list[str]) -> None:
        sub, keys = (args[0], args[1:]) if args else ("", [])
        if sub == "ls":
            entries = cache_ops.npx_entries(self.cache_dir)
            if entries is None:
                self.ctx.out.standard("npx cache does not exist")
                return
            for name, (valid, packages) in entries.items():
                if not valid:
                    self.ctx.out.standard(f"{name}: (empty/invalid)")
                elif packages is not None:
                    self.ctx.out.standard(f"{name}: {', '.join(packages)}")
                else:
                    self.ctx.out.standard(f"{name}: (unknown)")
        elif sub == "rm":
            self._npx_rm(keys)
        else:
            raise self.usage_error()

    def _npx_rm(self, keys: list[str]) -> None:
        folder = cache_ops.npx_cache_dir(self.cache_dir)
        dry_run = bool(self.ctx.config.get("dry-run"))
        if not keys:
            if not self.ctx.config.get("force"):
                raise self.usage_error("Please use --force to remove entire npx cache")
            if not dry_run:
                shutil.rmtree(folder, ignore_errors=True)
            return
        entries = cache_ops.npx_entries(self.cache_dir) or {}
        for key in keys:
            matches = [name for name in entries if name.startswith(key)]
            if key not in entries and len(matches) != 1:
                raise self.usage_error(f"Invalid npx key {key}")
            name = key if key in entries else matches[0]
            self.ctx.out.standard(f"Removing npx key at {folder / name}")
            if not dry_run:
                shutil.rmtree(folder / name)
