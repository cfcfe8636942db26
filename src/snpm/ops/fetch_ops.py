"""Fetching packages into the cache without installing them (`snpm cache add`).

What npm does for `npm cache add <spec>`: `pacote.tarball.stream(spec)` (the tarball goes through the
HTTP cache, keyed by its URL as npm keys it, and registry, file, folder and git tarballs are also
indexed as `pacote:tarball:<from>`), then `pacote.manifest(spec, {fullMetadata: true})`, so the full
packument is cached too. Both are later cache hits for npm and for snpm. The fetching itself is
`snpm.fetch.source.FetchSource`'s.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from pathlib import Path

from snpm.config import Config
from snpm.errors import SnpmError
from snpm.fetch.context import PrepareKind
from snpm.fetch.options import fetch_options
from snpm.fetch.source import FetchSource
from snpm.json_types import JsonObject
from snpm.ops.context import registry_client
from snpm.spec import AliasSpec, PackageSpec, RegistrySpec, parse_spec


async def _no_scripts(folder: Path, manifest: JsonObject, *, kind: PrepareKind) -> None:
    """`cache add` of a folder or repository that must be prepared needs the lifecycle engine."""
    raise SnpmError(
        f"`snpm cache add` of a {'git repository' if kind == 'git' else 'folder'} "
        f"that needs preparing is not supported yet: {folder}",
        code="ENOTSUP",
    )


async def add_to_cache(config: Config, specs: Sequence[str], log: Callable[[str, str, str], None]) -> None:
    """Put each spec's tarball (and packument) into the cache, concurrently, as npm does.

    `log(level, title, message)` receives npm's log lines (http fetches, silly traces)."""
    for spec in specs:
        log("silly", "cache add", f"spec {spec}")
    client = registry_client(config, "cache", log=log)
    where = Path(str(config.local_prefix))
    options = fetch_options(config, full_metadata=False)
    async with (
        client,
        FetchSource(
            client, cache_dir=Path(str(config.get("cache"))), options=options, log=log, prepare=_no_scripts
        ) as source,
    ):
        await asyncio.gather(*(_add_one(source, parse_spec(s, str(where)), where) for s in specs))


async def _add_one(source: FetchSource, spec: PackageSpec, where: Path) -> None:
    await source.tarball(spec, where=where, is_root=True)
    if isinstance(spec, AliasSpec | RegistrySpec):
        # pacote.manifest(spec, {fullMetadata: true}): the full packument is cached too
        await source.manifest(spec, where=where, full_metadata=True, is_root=True)
