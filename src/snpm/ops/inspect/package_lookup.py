"""Finding a package's manifest by spec: in the loaded tree first, then from the registry.

`npm fund <pkg>` looks for the package in the tree (fund.js retrievePackageMetadata: a folder path
among the nodes, or the highest valid version installed under that name), and only then asks
pacote for the manifest, treating any failure as an empty manifest.
"""

from __future__ import annotations

from pathlib import Path

from snpm import semver
from snpm.config import Config
from snpm.json_types import JsonObject
from snpm.ops.context import registry_client
from snpm.spec import DirectorySpec, parse_spec
from snpm.tree import Node

__all__ = ["installed_package", "registry_manifest"]


def installed_package(tree: Node, spec: str, where: str) -> JsonObject | None:
    arg = parse_spec(spec, where)
    if isinstance(arg, DirectorySpec):
        if tree.path == arg.fetch_spec:
            return tree.package
        for node in tree.inventory.values():
            if node.path == arg.fetch_spec:
                return node.package
        return None
    candidates = []
    for node in tree.inventory.query("name", arg.name):
        version = node.package.get("version")
        if isinstance(version, str) and semver.valid(version):
            candidates.append((node, version))
    if not candidates:
        return None
    best = candidates[0]
    for candidate in candidates[1:]:
        # Array#sort with rcompare keeps the first of equal versions (a stable sort)
        if semver.gt(candidate[1], best[1]):
            best = candidate
    return best[0].package


async def registry_manifest(config: Config, spec: str, where: str, *, command: str) -> JsonObject:
    """`pacote.manifest(spec).catch(() => ({}))`."""
    from snpm.fetch.options import fetch_options
    from snpm.fetch.source import FetchSource

    try:
        parsed = parse_spec(spec, where)
        cache = config.get("cache")
        async with (
            registry_client(config, command) as client,
            FetchSource(
                client,
                cache_dir=Path(str(cache)) if cache else None,
                options=fetch_options(config, full_metadata=False),
            ) as source,
        ):
            resolved = await source.manifest(parsed, where=Path(where))
    except Exception:  # noqa: BLE001 - pacote.manifest(...).catch(() => ({})) swallows everything
        return {}
    return dict(resolved.manifest)
