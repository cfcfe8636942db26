"""Local tarballs (`file:x.tgz`, `./x.tgz`): pacote's FileFetcher.

The file is read as is (in the thread pool); its sha512 becomes `_integrity`, and like every
caching fetcher the bytes are indexed as `pacote:tarball:<from>`, where `from` is the spec's
saveSpec (`file:../x.tgz`, relative to where the spec was written). `_resolved` is the absolute path.
"""

from __future__ import annotations

from pathlib import Path

from snpm.errors import from_os_error
from snpm.fetch.base import ResolvedManifest
from snpm.fetch.context import FetchContext
from snpm.fetch.remote import read_tarball_manifest
from snpm.fetch.tarballs import Tarball, tarball_stream
from snpm.fetch.unpack import UnpackedTarball, tarball_manifest
from snpm.spec import FileSpec

__all__ = ["FileFetcher"]


def _read(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as err:
        raise from_os_error(err, "open") from None


class FileFetcher:
    cache_fetches = True
    may_prepare = False

    def __init__(self, ctx: FetchContext, spec: FileSpec, *, integrity: str | None = None) -> None:
        self.ctx = ctx
        self.spec = spec
        self.resolved = spec.fetch_spec
        self.from_spec = spec.save_spec
        self.integrity = integrity or None
        self._tarball: Tarball | None = None
        self.unpacked: UnpackedTarball | None = None
        self._manifest: ResolvedManifest | None = None

    async def _read(self, expected: str | None) -> tuple[bytes, str | None]:
        return await self.ctx.cpu(_read, self.resolved), None

    async def tarball(self) -> Tarball:
        if self._tarball is None:
            self._tarball = await tarball_stream(
                self.ctx,
                label=str(self.spec),
                from_spec=self.from_spec,
                integrity=self.integrity,
                resolved=self.resolved,
                from_resolved=self._read,
                cache_fetches=self.cache_fetches,
            )
            self.integrity = self._tarball.integrity
        return self._tarball

    async def manifest(self) -> ResolvedManifest:
        if self._manifest is None:
            tarball = await self.tarball()
            self.unpacked = await self.ctx.cpu(read_tarball_manifest, self.ctx, tarball)
            mani = tarball_manifest(self.unpacked)
            mani.update(_integrity=tarball.integrity, _resolved=self.resolved, _from=self.from_spec)
            self._manifest = ResolvedManifest(mani, self.resolved, tarball.integrity, self.from_spec)
        return self._manifest
