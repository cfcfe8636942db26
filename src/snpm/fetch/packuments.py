"""The in-run packument cache (pacote's `packumentCache`, which arborist shares across fetchers).

Keyed like pacote: `full:<url>` or `corgi:<url>` (the URL carries the scope's registry). The value is
the in-flight request itself, so any number of concurrent resolutions of one package name make ONE
HTTP request; a failed request is forgotten so that a later caller may try again (pacote deletes the
key on error). The HTTP cache below (make-fetch-happen's, on disk) still decides whether that one
request reaches the network.

Documents are kept as `PackumentDoc`s (decoded lazily, see snpm.fetch.packument_doc): the body plus
its top-level fields. `clear()` lets them go once the tree that needed them is built.
"""

from __future__ import annotations

import asyncio

from snpm.fetch.packument_doc import PackumentDoc
from snpm.json_types import JsonObject
from snpm.registry_client import RegistryClient
from snpm.registry_client.packuments import fetch_packument_response, packument_url

__all__ = ["PackumentCache"]


async def _fetch(client: RegistryClient, name: str, full: bool, pkgid: str) -> PackumentDoc:
    return PackumentDoc(await fetch_packument_response(client, name, full=full, pkgid=pkgid))


class PackumentCache:
    def __init__(self, client: RegistryClient) -> None:
        self._client = client
        self._entries: dict[str, asyncio.Future[PackumentDoc]] = {}

    def key(self, name: str, *, full: bool) -> str:
        url = packument_url(self._client.registry_for(name), name)
        return f"{'full' if full else 'corgi'}:{url}"

    async def document(self, name: str, *, full: bool, pkgid: str | None = None) -> PackumentDoc:
        """The packument of `name`; `pkgid` names the package in error messages (npa's toString)."""
        key = self.key(name, full=full)
        pending = self._entries.get(key)
        if pending is None:
            pending = asyncio.ensure_future(_fetch(self._client, name, full, pkgid or name))
            self._entries[key] = pending

            def forget_failure(done: asyncio.Future[PackumentDoc]) -> None:
                failed = done.cancelled() or done.exception() is not None
                if failed and self._entries.get(key) is done:
                    del self._entries[key]

            pending.add_done_callback(forget_failure)
        # shield: one caller being cancelled must not cancel the request the others wait for
        return await asyncio.shield(pending)

    async def get(self, name: str, *, full: bool, pkgid: str | None = None) -> JsonObject:
        """The whole document as JSON (npm-registry-fetch's `res.json()` plus `_contentLength`)."""
        return (await self.document(name, full=full, pkgid=pkgid)).to_json()

    def settled(self, name: str) -> list[tuple[bool, PackumentDoc]]:
        """The documents of `name` this run has fetched, as (full, document), fetching nothing."""
        found: list[tuple[bool, PackumentDoc]] = []
        for full in (False, True):
            pending = self._entries.get(self.key(name, full=full))
            if (
                pending is not None
                and pending.done()
                and not pending.cancelled()
                and pending.exception() is None
            ):
                found.append((full, pending.result()))
        return found

    def held_bytes(self) -> int:
        """The size of the settled documents' bodies (what `clear()` lets go)."""
        total = 0
        for pending in self._entries.values():
            if pending.done() and not pending.cancelled() and pending.exception() is None:
                total += len(pending.result().body or b"")
        return total

    def clear(self) -> None:
        """Forget the settled documents (their bodies are the bulk of a resolution's memory)."""
        for key, pending in list(self._entries.items()):
            if pending.done():
                del self._entries[key]

    def __len__(self) -> int:
        return len(self._entries)
