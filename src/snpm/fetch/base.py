"""The seam between the tree builder and the fetchers (pacote's `manifest()`/`packument()` shape).

The ideal-tree builder asks a `ManifestSource` for what a spec resolves to; `snpm.fetch.source` is the
real one (registry, tarball URLs, files, folders, git), tests use in-memory doubles.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import msgspec

from snpm.json_types import JsonObject
from snpm.spec import PackageSpec


class ResolvedManifest(msgspec.Struct, frozen=True):
    """A manifest with pacote's resolution metadata.

    `resolved` is what npm records as `resolved` (tarball URL, `file:` path, git URL with commit);
    `integrity` the SRI string when known; `from_spec` pacote's `_from` (`name@rawSpec` for
    registry specs, the save spec otherwise).
    """

    manifest: JsonObject
    resolved: str | None
    integrity: str | None
    from_spec: str


class ManifestSource(Protocol):
    async def packument(self, name: str, *, full: bool = False) -> JsonObject:
        """The packument of a registry package (abbreviated unless `full`), cached for the run."""
        ...

    async def manifest(self, spec: PackageSpec, *, where: Path) -> ResolvedManifest:
        """What `spec` resolves to. `where` is the folder relative paths in `spec` start from.

        Raises SnpmError with npm's codes: E404 (no such package), ETARGET (no matching version),
        EINTEGRITY, ENOTFOUND/ECONNREFUSED (network), ENOENT (missing file or folder).
        """
        ...
