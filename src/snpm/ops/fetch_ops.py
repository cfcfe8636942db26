"""Fetching packages into the cache without installing them (`snpm cache add`).

What pacote does for `npm cache add <spec>`: the tarball goes through the HTTP cache (keyed by its URL,
exactly as npm keys it), and the full packument is fetched too (`fullMetadata`), so both are later
cache hits for npm and for snpm. Like pacote's Fetcher#istream, a tarball that was not in the cache yet
is also indexed under `pacote:tarball:<from>` (registry and file specs; remote URLs are not).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from pathlib import Path

from snpm import NPM_VERSION
from snpm.cache import content, index
from snpm.config import Config
from snpm.config.definitions import node_version
from snpm.errors import SnpmError, from_os_error
from snpm.fetch.pick_manifest import PickOptions, pick_manifest
from snpm.manifest.pack_manifest import read_manifest
from snpm.ops.context import registry_client
from snpm.registry_client import RegistryClient, fetch_packument
from snpm.spec import AliasSpec, DirectorySpec, FileSpec, PackageSpec, RegistrySpec, RemoteSpec, parse_spec
from snpm.tarball import pack_directory


async def add_to_cache(config: Config, specs: Sequence[str], log: Callable[[str, str, str], None]) -> None:
    """Put each spec's tarball (and packument) into the cache, concurrently, as npm does.

    `log(level, title, message)` receives npm's log lines (http fetches, silly traces)."""
    for spec in specs:
        log("silly", "cache add", f"spec {spec}")
    client = registry_client(config, "cache", log=log)
    options = PickOptions(
        default_tag=str(config.get("tag") or "latest"),
        node_version=node_version(str(config.exec_path)),
        npm_version=NPM_VERSION,
    )
    cache_dir = Path(str(config.get("cache")))
    async with client:
        await asyncio.gather(
            *(_add_one(client, cache_dir, parse_spec(s, str(config.local_prefix)), options) for s in specs)
        )


def _index_tarball(cache_dir: Path, source: str, data: bytes) -> None:
    """pacote's `pacote:tarball:<from>` entry (cacache.put: sha512 of the bytes, no metadata)."""
    integrity = content.write(cache_dir, data)
    index.insert(cache_dir, f"pacote:tarball:{source}", integrity, size=len(data))


async def _add_one(
    client: RegistryClient, cache_dir: Path, original: PackageSpec, options: PickOptions
) -> None:
    spec = original.sub_spec if isinstance(original, AliasSpec) else original
    if isinstance(spec, RegistrySpec):
        name = spec.name or ""
        packument = await fetch_packument(client, name, pkgid=str(spec))
        picked = pick_manifest(packument, spec.fetch_spec, options).manifest
        dist = picked.get("dist")
        tarball = dist.get("tarball") if isinstance(dist, dict) else None
        integrity = dist.get("integrity") if isinstance(dist, dict) else None
        if not isinstance(tarball, str):
            raise SnpmError(f"Invalid tarball URL for {name}@{picked.get('version')}", code="EBADTARBALL")
        # pacote streams a tarball whose integrity is already cached straight from the content store
        cached = isinstance(integrity, str) and content.has(cache_dir, integrity)
        if isinstance(integrity, str):
            response = await client.get_bytes(tarball, integrity=integrity, pkgid=str(spec))
        else:
            response = await client.get_bytes(tarball, pkgid=str(spec))
        if not cached:
            _index_tarball(cache_dir, f"{original.name}@{original.raw_spec}", response.body)
        await fetch_packument(client, name, full=True, pkgid=str(spec))
    elif isinstance(spec, RemoteSpec):
        await client.get_bytes(spec.fetch_spec or "", pkgid=str(spec))
    elif isinstance(spec, FileSpec):
        target = Path(spec.fetch_spec or "")
        try:
            data = await asyncio.to_thread(target.read_bytes)
        except OSError as err:
            raise from_os_error(err) from None
        _index_tarball(cache_dir, spec.save_spec or str(target), data)
    elif isinstance(spec, DirectorySpec):
        target = Path(spec.fetch_spec or "")
        manifest = read_manifest(target)
        scripts = manifest.get("scripts")
        if isinstance(scripts, dict) and "prepare" in scripts:
            raise SnpmError(
                f"`snpm cache add` of a folder with a prepare script is not supported yet: {target}",
                code="ENOTSUP",
            )
        packed = await asyncio.to_thread(pack_directory, target, manifest)
        _index_tarball(cache_dir, spec.save_spec or str(target), packed.tarball)
    else:
        raise SnpmError(f"`snpm cache add` of git specs is not supported yet: {spec}", code="ENOTSUP")
