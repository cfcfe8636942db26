"""Registry specs (versions, ranges, dist-tags; aliases resolve through their sub-spec): pacote's
RegistryFetcher.

The manifest is picked from the packument (npm-pick-manifest with npm's default tag, `before`, the
node and npm versions for engines, and `avoid`), normalised like pacote (@npmcli/package-json's
steps without `_attributes`), and decorated as pacote decorates it:

- `_time`: the version's publish time, when the packument has one;
- `_resolved`: `dist.tarball` as published (replace-registry-host applies to the download only);
- `_from`: `<name>@<rawSpec>` of the spec that was fetched (for an alias, its sub-spec: `pb@1.2.0`);
- `_integrity`: `dist.integrity`, else `sha1-` from `dist.shasum`, merged into an integrity the
  caller already expected (a conflicting hash of a shared algorithm is EINTEGRITY);
- `_signatures` / `_attestations` copied from `dist` (verification is `npm audit signatures`'s job).

The tarball comes from the content cache by integrity when possible, else from the (possibly
host-replaced) `dist.tarball` through the registry client.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from snpm.errors import IntegrityError, SnpmError
from snpm.fetch.base import ResolvedManifest
from snpm.fetch.context import FetchContext
from snpm.fetch.pick_manifest import PickOptions, pick_manifest
from snpm.integrity import Integrity, from_hex
from snpm.json_types import JsonObject
from snpm.manifest import REGISTRY_STEPS, normalize
from snpm.spec import RegistrySpec

if TYPE_CHECKING:
    from snpm.fetch.tarballs import Tarball

__all__ = ["RegistryFetcher"]


class RegistryFetcher:
    """One registry spec. `integrity`/`resolved` are what the caller already knows (a lockfile)."""

    cache_fetches = True
    may_prepare = False

    def __init__(
        self,
        ctx: FetchContext,
        spec: RegistrySpec,
        *,
        integrity: str | None = None,
        resolved: str | None = None,
        avoid: str | None = None,
        before_ms: float | None = None,
        full_metadata: bool | None = None,
    ) -> None:
        self.ctx = ctx
        self.spec = spec
        self.name = spec.name or ""
        self.from_spec = f"{spec.name}@{spec.raw_spec}"
        self.integrity = integrity or None
        self.resolved = resolved or None
        self.avoid = avoid
        self.before_ms = before_ms
        options = ctx.options
        self.full_metadata = (
            options.wants_full_metadata if full_metadata is None else full_metadata or before_ms is not None
        )
        self._manifest: ResolvedManifest | None = None

    async def packument(self) -> JsonObject:
        return await self.ctx.packuments.get(self.name, full=self.full_metadata, pkgid=str(self.spec))

    async def manifest(self) -> ResolvedManifest:
        if self._manifest is not None:
            return self._manifest
        document = await self.ctx.packuments.document(
            self.name, full=self.full_metadata, pkgid=str(self.spec)
        )
        packument = document.view()
        options = self.ctx.options
        picked = pick_manifest(
            packument,
            self.spec.fetch_spec,
            PickOptions(
                default_tag=options.default_tag,
                before_ms=self.before_ms,
                node_version=options.node_version,
                npm_version=options.npm_version,
                avoid=self.avoid,
            ),
        )
        mani = normalize(picked.manifest, steps=REGISTRY_STEPS)
        if picked.should_avoid:
            mani["_shouldAvoid"] = True
        times = packument.time
        version = mani.get("version")
        published = times.get(version) if isinstance(times, dict) and isinstance(version, str) else None
        if published:
            mani["_time"] = published
        dist = mani.get("dist")
        if isinstance(dist, dict) and dist:
            tarball = dist.get("tarball")
            self.resolved = tarball if isinstance(tarball, str) else None
            mani["_resolved"] = tarball
            mani["_from"] = self.from_spec
            dist_integrity = self._dist_integrity(dist)
            if dist_integrity is not None:
                from snpm.fetch.tarballs import merge_integrity

                self._check_integrity(dist_integrity)
                self.integrity = merge_integrity(self.integrity, dist_integrity)
        if self.integrity:
            mani["_integrity"] = self.integrity
            if isinstance(dist, dict):
                for key in ("signatures", "attestations"):
                    if dist.get(key):
                        mani[f"_{key}"] = dist[key]
        self._manifest = ResolvedManifest(mani, self.resolved, self.integrity, self.from_spec)
        return self._manifest

    @staticmethod
    def _dist_integrity(dist: JsonObject) -> str | None:
        declared = dist.get("integrity")
        if isinstance(declared, str) and declared:
            return str(Integrity.parse(declared))
        shasum = dist.get("shasum")
        if isinstance(shasum, str) and shasum:
            return str(from_hex(shasum, "sha1"))
        return None

    def _check_integrity(self, dist_integrity: str) -> None:
        """Only a hash of an algorithm both sides have can conflict: an old sha1-only packument
        must not fail a lockfile's sha512."""
        if not self.integrity:
            return
        wanted = Integrity.parse(self.integrity)
        got = Integrity.parse(dist_integrity)
        if wanted.match(got) is not None:
            return
        for algorithm in wanted:
            if algorithm in got:
                raise IntegrityError(
                    f"Integrity checksum failed when using {algorithm}: "
                    f"wanted {self.integrity} but got {dist_integrity}.",
                    expected=self.integrity,
                    found=dist_integrity,
                )

    async def resolve(self) -> str:
        await self.manifest()
        if not self.resolved:
            raise SnpmError(
                "Invalid package manifest: no `dist.tarball` field", pkgid=str(self.spec), code="EBADTARBALL"
            )
        return self.resolved

    async def tarball(self) -> Tarball:
        """The tarball: from the content cache when the integrity is known (from the caller, else
        from the manifest), otherwise downloaded from `dist.tarball`."""
        from snpm.fetch.remote import RemoteFetcher
        from snpm.fetch.tarballs import tarball_stream

        if not (self.integrity and self.resolved):
            await self.manifest()

        async def from_resolved(expected: str | None) -> tuple[bytes, str | None]:
            # pacote's resolve() would fetch the packument even when the caller knew both values
            resolved = self.resolved if self.integrity and self.resolved else await self.resolve()
            remote = RemoteFetcher(
                self.ctx, resolved, integrity=expected, pkgid=f"registry:{self.name}@{resolved}"
            )
            return await remote.download(expected)

        return await tarball_stream(
            self.ctx,
            label=str(self.spec),
            from_spec=self.from_spec,
            integrity=self.integrity,
            resolved=self.resolved,
            from_resolved=from_resolved,
            cache_fetches=self.cache_fetches,
        )
