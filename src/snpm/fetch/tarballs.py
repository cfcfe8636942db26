"""A package's tarball bytes, the way pacote's Fetcher#tarballStream gets them.

1. From npm's content cache by integrity (`#tarballFromCache`), when the integrity and the resolved
   location are known and `prefer-online` is off: no request at all. Corrupt cached data is removed
   (`cached data for … seems to be corrupted. Refreshing cache.`) and the tarball fetched instead.
2. Otherwise from where the spec points (the fetcher's `from_resolved`: a registry or remote URL
   through the registry client, whose HTTP cache writes make-fetch-happen's entries; a file; a packed
   folder or git checkout). An integrity or data error is retried once (`tarball data for … seems to
   be corrupted. Trying again.`).
3. For the fetchers that cache their fetches (registry, file, directory, git: pacote's
   `cacheFetches`), the bytes are also indexed as `pacote:tarball:<from>` (pacote's #istream), which
   is the key `npm cache ls` shows. Remote URLs are only in the HTTP cache.

Integrity is never computed twice: a download was hashed as it arrived, and content already in the
cache is only indexed, not rewritten.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path

import msgspec

from snpm.cache import content, index
from snpm.errors import SnpmError
from snpm.fetch.context import FetchContext
from snpm.integrity import Hasher, Integrity, compute
from snpm.registry_client import RegistryClient, RequestOptions

__all__ = [
    "FromResolved",
    "Tarball",
    "fetch_url",
    "index_tarball",
    "merge_integrity",
    "read_from_cache",
    "tarball_cache_key",
    "tarball_stream",
]

# Errors pacote retries once (isRetriableError): data corruption, or cache content gone missing.
_RETRIABLE = frozenset({"EINTEGRITY", "Z_DATA_ERROR", "ENOENT", "EISDIR"})
_CORRUPTION = frozenset({"EINTEGRITY", "Z_DATA_ERROR"})


class Tarball(msgspec.Struct, frozen=True):
    """Tarball bytes with pacote's metadata: `integrity` as pacote reports it (the expected value
    merged with what was computed), `resolved` and `from_spec` (`_resolved`, `_from`)."""

    data: bytes
    integrity: str
    resolved: str | None
    from_spec: str
    from_cache: bool = False


# Gets the bytes from where the spec points: called with the expected integrity (or None); returns
# the bytes and their SRI when the fetch already computed (and checked) it, else None.
FromResolved = Callable[[str | None], Awaitable[tuple[bytes, str | None]]]


def tarball_cache_key(from_spec: str) -> str:
    return f"pacote:tarball:{from_spec}"


def merge_integrity(expected: str | None, computed: str | None) -> str | None:
    """pacote's integrity setter: keep the expected hashes, add algorithms it lacked."""
    if not expected:
        return computed
    if not computed:
        return expected
    return str(Integrity.parse(expected).merge(computed))


def index_tarball(cache_dir: Path, from_spec: str, data: bytes, integrity: str | None = None) -> str:
    """cacache.put(`pacote:tarball:<from>`, data): sha512 content plus an index line; the sha512 SRI.

    When `integrity` (already verified) has a sha512 whose content is stored, only the index line is
    written; otherwise the content is written, and checked against `integrity` on the way."""
    sha512 = Integrity.parse(integrity).get("sha512") if integrity else None
    if sha512 and content.has(cache_dir, str(sha512[0])):
        stored = str(sha512[0])
    else:
        stored = content.write(cache_dir, data, integrity=integrity)
    index.insert(cache_dir, tarball_cache_key(from_spec), stored, size=len(data))
    return stored


def _read_verified(cache_dir: Path, integrity: str) -> bytes:
    return content.read(cache_dir, integrity)


async def read_from_cache(ctx: FetchContext, integrity: str, label: str) -> bytes | None:
    """pacote's #tarballFromCache: the content for `integrity`, or None to fetch it instead."""
    if ctx.cache_dir is None:
        return None
    if Integrity.parse(integrity).pick_algorithm() is not None and not content.has(ctx.cache_dir, integrity):
        # a stat or two here, not a thread round trip: on a cold install every tarball misses
        ctx.emit("silly", "tarball", f"no local data for {label}. Extracting by manifest.")
        return None
    started = time.monotonic()
    try:
        data = await ctx.cpu(_read_verified, ctx.cache_dir, integrity)
    except SnpmError as err:
        if err.code in _CORRUPTION:
            ctx.emit(
                "warn",
                "tarball",
                f"cached data for {label} ({integrity}) seems to be corrupted. Refreshing cache.",
            )
            content.remove(ctx.cache_dir, integrity)
        elif err.code not in _RETRIABLE:
            raise
        ctx.emit("silly", "tarball", f"no local data for {label}. Extracting by manifest.")
        return None
    ctx.emit("http", "cache", f"{label} {round((time.monotonic() - started) * 1000)}ms (cache hit)")
    return data


async def fetch_url(
    client: RegistryClient,
    url: str,
    *,
    integrity: str | None,
    pkgid: str,
    label: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> tuple[bytes, str | None]:
    """GET a tarball through the registry client (and so through the HTTP cache), checking
    `integrity` while it downloads (ssri's EINTEGRITY on a mismatch).

    `pkgid` is pacote's id (sent as `pacote-pkg-id`); `label` is what errors name the package by:
    npm-registry-fetch uses the fetched spec's `toString()` there, not pacote's id."""
    request_headers = {
        "pacote-req-type": "tarball",
        "pacote-pkg-id": pkgid,
        **({"pacote-integrity": integrity} if integrity else {}),
        **(headers or {}),
    }
    options: RequestOptions = {"headers": request_headers, "pkgid": label or pkgid}
    if integrity:
        options["integrity"] = integrity
    response = await client.get_bytes(url, **options)
    return response.body, response.integrity


def _verify(data: bytes, expected: str | None) -> str:
    """The sha512 SRI of `data` (plus the expected algorithm), checked against `expected`."""
    if not expected:
        return str(compute(data))
    hasher = Hasher(expected=expected).update(data)
    hasher.verify()
    return str(hasher.digest())


async def tarball_stream(
    ctx: FetchContext,
    *,
    label: str,
    from_spec: str,
    integrity: str | None,
    resolved: str | None,
    from_resolved: FromResolved,
    cache_fetches: bool,
) -> Tarball:
    """The tarball of one package (pacote's tarballStream + #istream). `label` is the spec as pacote
    prints it in log lines."""
    if not ctx.prefer_online and integrity and resolved:
        cached = await read_from_cache(ctx, integrity, label)
        if cached is not None:
            return Tarball(cached, integrity, resolved, from_spec, from_cache=True)
    attempt = 0
    while True:
        attempt += 1
        try:
            data, computed = await from_resolved(integrity)
            if computed is None or (integrity and Integrity.parse(integrity).match(computed) is None):
                if cache_fetches and ctx.cache_dir is not None:
                    # cacache's put checks the expected integrity while it hashes for the write
                    computed = await ctx.cpu(index_tarball, ctx.cache_dir, from_spec, data, integrity)
                    cache_fetches = False
                else:
                    computed = await ctx.cpu(_verify, data, integrity)
            break
        except SnpmError as err:
            if attempt > 1 or err.code not in _RETRIABLE:
                raise
            ctx.emit(
                "warn",
                "tarball",
                f"tarball data for {label} ({integrity or 'null'}) seems to be corrupted. Trying again.",
            )
            if integrity and ctx.cache_dir is not None:
                content.remove(ctx.cache_dir, integrity)
    if cache_fetches and ctx.cache_dir is not None:
        await ctx.cpu(index_tarball, ctx.cache_dir, from_spec, data, computed)
    final = merge_integrity(integrity, computed) or computed
    return Tarball(data, final, resolved, from_spec)
