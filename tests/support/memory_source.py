"""An in-memory ManifestSource for unit tests of the tree builder: packuments built from a dict,
versions picked with npm-pick-manifest's rules (`snpm.fetch.pick_manifest`), no network.

    source = MemorySource({
        "a": {"1.0.0": {"dependencies": {"b": "^1"}}},
        "b": {"1.0.0": {}, "1.1.0": {"peerDependencies": {"c": "1"}}},
    }, tags={"b": {"latest": "1.0.0"}})

Registry tarball URLs are `https://registry.test/<name>/-/<name>-<version>.tgz`; integrity is a
fixed fake SRI derived from the name and version. `requests` records every spec asked for.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from snpm.errors import HttpError, SnpmError
from snpm.fetch.base import ResolvedManifest
from snpm.fetch.pick_manifest import PickOptions, pick_manifest
from snpm.json_types import JsonObject
from snpm.spec import AliasSpec, DirectorySpec, PackageSpec, RegistrySpec

REGISTRY = "https://registry.test/"


def fake_integrity(name: str, version: str) -> str:
    digest = hashlib.sha512(f"{name}@{version}".encode()).digest()
    return "sha512-" + base64.b64encode(digest).decode()


def tarball_url(name: str, version: str) -> str:
    return f"{REGISTRY}{name}/-/{name.rsplit('/', 1)[-1]}-{version}.tgz"


class MemorySource:
    def __init__(
        self,
        packages: Mapping[str, Mapping[str, Mapping[str, Any]]],
        *,
        tags: Mapping[str, Mapping[str, str]] | None = None,
        options: PickOptions | None = None,
    ) -> None:
        self.packuments: dict[str, JsonObject] = {}
        self.requests: list[str] = []
        self.options = options or PickOptions()
        for name, versions in packages.items():
            doc: dict[str, Any] = {"name": name, "versions": {}, "dist-tags": {}, "time": {}}
            for version, fields in versions.items():
                deprecated = fields.get("deprecated")
                manifest = {
                    "name": name,
                    "version": version,
                    **{k: v for k, v in fields.items() if k != "deprecated"},
                }
                manifest["dist"] = {
                    "tarball": tarball_url(name, version),
                    "integrity": fake_integrity(name, version),
                }
                if deprecated:
                    manifest["deprecated"] = deprecated
                doc["versions"][version] = manifest
            if versions:
                doc["dist-tags"]["latest"] = list(versions)[-1]
            doc["dist-tags"].update((tags or {}).get(name, {}))
            self.packuments[name] = doc

    async def packument(self, name: str, *, full: bool = False) -> JsonObject:
        doc = self.packuments.get(name)
        if doc is None:
            raise HttpError(f"404 Not Found - GET {REGISTRY}{name} - Not found", status=404, pkgid=name)
        return doc

    async def manifest(self, spec: PackageSpec, *, where: Path) -> ResolvedManifest:
        self.requests.append(spec.raw)
        if isinstance(spec, AliasSpec | RegistrySpec):
            registry_spec = spec.sub_spec if isinstance(spec, AliasSpec) else spec
            doc = await self.packument(registry_spec.name or "")
            picked = dict(pick_manifest(doc, registry_spec.fetch_spec, self.options).manifest)
            dist = picked.get("dist")
            assert isinstance(dist, dict)
            tarball, integrity = dist.get("tarball"), dist.get("integrity")
            return ResolvedManifest(
                picked,
                tarball if isinstance(tarball, str) else None,
                integrity if isinstance(integrity, str) else None,
                f"{spec.name}@{spec.raw_spec}",
            )
        if isinstance(spec, DirectorySpec):
            content = json.loads((Path(spec.fetch_spec) / "package.json").read_text())
            return ResolvedManifest(content, f"file:{spec.fetch_spec}", None, spec.save_spec)
        raise SnpmError(f"unsupported spec in tests: {spec.raw}", code="EUNSUPPORTED")
