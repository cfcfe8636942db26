"""Local folders (`file:../pkg`, `./pkg`): pacote's DirFetcher.

The manifest is the folder's package.json, normalised as npm reads any package folder, decorated
`_integrity` (null unless the caller knew one), `_resolved` (the absolute path) and `_from` (the
saveSpec). The tarball is the folder packed like `npm pack` (`snpm.tarball.pack_directory`), after
its `prepare` script ran, which is the lifecycle engine's job: the fetcher calls the context's
prepare hook when the manifest has a `prepare` script, and packs the folder as it is when there is
no hook (as with --ignore-scripts).
"""

from __future__ import annotations

from pathlib import Path

from snpm.fetch.base import ResolvedManifest
from snpm.fetch.context import FetchContext
from snpm.fetch.tarballs import Tarball, tarball_stream
from snpm.json_types import JsonObject
from snpm.manifest import NORMALIZE_STEPS, normalize, read_package_json
from snpm.spec import DirectorySpec
from snpm.tarball import pack_directory

__all__ = ["DirectoryFetcher", "read_folder_manifest"]


def read_folder_manifest(folder: Path) -> JsonObject:
    """`PackageJson.normalize(folder)`: package.json with npm's read-time normalisation."""
    content = read_package_json(folder).content
    return normalize(content, steps=NORMALIZE_STEPS, path=folder)


def _pack(folder: Path) -> tuple[bytes, str]:
    packed = pack_directory(folder)
    return packed.tarball, str(packed.integrity)


class DirectoryFetcher:
    cache_fetches = True
    may_prepare = True  # runs the prepare hook, which may fetch (and need a slot) itself

    def __init__(self, ctx: FetchContext, spec: DirectorySpec, *, integrity: str | None = None) -> None:
        self.ctx = ctx
        self.spec = spec
        self.resolved = spec.fetch_spec
        self.from_spec = spec.save_spec
        self.integrity = integrity or None
        self._manifest: ResolvedManifest | None = None
        self._tarball: Tarball | None = None

    async def manifest(self) -> ResolvedManifest:
        if self._manifest is None:
            mani = await self.ctx.cpu(read_folder_manifest, Path(self.resolved))
            mani.update(_integrity=self.integrity, _resolved=self.resolved, _from=self.from_spec)
            self._manifest = ResolvedManifest(mani, self.resolved, self.integrity, self.from_spec)
        return self._manifest

    async def _prepare_and_pack(self, expected: str | None) -> tuple[bytes, str | None]:
        manifest = (await self.manifest()).manifest
        scripts = manifest.get("scripts")
        if self.ctx.prepare is not None and isinstance(scripts, dict) and scripts.get("prepare"):
            await self.ctx.prepare(Path(self.resolved), manifest, kind="directory")
        return await self.ctx.cpu(_pack, Path(self.resolved))

    async def tarball(self) -> Tarball:
        if self._tarball is None:
            self._tarball = await tarball_stream(
                self.ctx,
                label=str(self.spec),
                from_spec=self.from_spec,
                integrity=self.integrity,
                resolved=self.resolved,
                from_resolved=self._prepare_and_pack,
                cache_fetches=self.cache_fetches,
            )
        return self._tarball
