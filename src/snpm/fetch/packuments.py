"""The in-run packument cache (pacote's `packumentCache`, which arborist shares across fetchers).

Keyed like pacote: `full:<url>` or `corgi:<url>` (the URL carries the scope's registry). The value is
the in-flight request itself, so any number of concurrent resolutions of one package name make ONE
HTTP request; a failed request is forgotten so that a later caller may try again (pacote deletes the
key on error). The HTTP cache below (make-fetch-happen's, on disk) still decides whether that one
request reaches the network.
"""

from __future__ import annotations

import asyncio

from snpm.json_types import JsonObject
from snpm.registry_client import RegistryClient, fetch_packument
from snpm.registry_client.packuments import packument_url

__all__ = ["PackumentCache"]


class PackumentCache:
    def __init__(self, client: RegistryClient) -> None:
        self._client = client
        self._entries: dict[str, asyncio.Future[JsonObject]] = {}

    def key(self, name: str, *, full: bool) -> str:
        url = packument_url(self._client.registry_for(name), name)
        return f"{'full' if full else 'corgi'}:{url}"

    async def get(self, name: str, *, full: bool, pkgid: str | None = None) -> JsonObject:
        """The packument of `name`; `pkgid` names the package in error messages (npa's toString)."""
        key = self.key(name, full=full)
        pending = self._entries.get(key)
        if pending is None:
            pending = asyncio.ensure_future(
                fetch_packument(self._client, name, full=full, pkgid=pkgid or name)
            )
            self._entries[key] = pending

            def forget_failure(done: asyncio.Future[JsonObject]) -> None:
                failed = done.cancelled() or done.exception() is not None
                if failed and self._entries.get(key) is done:
                    del self._entries[key]

            pending.add_done_callback(forget_failure)
        # shield: one caller being cancelled must not cancel the request the others wait for
        return await asyncio.shield(pending)

    def __len__(self) -> int:
        return len(self._entries)
