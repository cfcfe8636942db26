"""make-fetch-happen's HTTP cache, on npm's cacache, entry for entry.

Entries are shared with npm: the index key is `make-fetch-happen:request-cache:<url>` (no userinfo,
no fragment), the body is cacache content addressed by integrity, and the index metadata has
make-fetch-happen's shape

    {"time": <ms>, "url": <url>, "reqHeaders": {"accept": ...}, "resHeaders": {"etag": ..., ...},
     "options": {"compress": true}}            (+ "status" when it is not 200/304)

so a packument npm cached is a hit for snpm and the other way round. Freshness and revalidation
(http-cache-semantics as make-fetch-happen configures it) are `snpm.cache.http_policy`'s
`CachePolicy`, rebuilt from each entry's metadata; a 304 refreshes the stored metadata. An entry is
only reused for a request that negotiates the same way (same Accept media types, so abbreviated and
full packuments of one URL never answer for each other).

Cache modes (npm-registry-fetch maps npm's settings onto them):
- `default`: fresh entries answer directly, stale ones are revalidated;
- `no-cache` (--prefer-online, `?write=true`): always revalidate;
- `force-cache` (--prefer-offline): any matching entry answers, however old;
- `only-if-cached` (--offline): entries only; a miss is ENOTCACHED;
- `no-store`: bypass the cache (also chosen when the caller sends its own conditional headers);
- `reload`: ignore entries, fetch and store.
A revalidation that cannot reach the network answers with the stale entry unless it is
must-revalidate. Unlike make-fetch-happen, unreadable content (missing or corrupt) drops the entry and
goes to the network instead of failing the request.

The network is reached through a `remote` callback: this package and `snpm.registry_client` sit side
by side in layer 2 and may not import each other, so the client passes a callable that sends one
request with the given headers and returns a `RemoteResponse`. `CachePolicy` and `media_types` are
re-exported for callers that import them from here.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol
from urllib.parse import urlsplit, urlunsplit

from snpm.cache import content, index
from snpm.cache.http_policy import CachePolicy, media_types
from snpm.errors import NetworkError, SnpmError
from snpm.integrity import Integrity
from snpm.json_types import JsonObject, JsonValue

__all__ = [
    "CacheMode",
    "CachePolicy",
    "CacheResult",
    "HttpCache",
    "RemoteResponse",
    "cache_key",
    "media_types",
]

CacheMode = Literal["default", "no-store", "reload", "no-cache", "force-cache", "only-if-cached"]
CacheStatus = Literal["hit", "stale", "miss", "revalidated", "updated", "skip"]

KEY_PREFIX = "make-fetch-happen:request-cache:"
_CONDITIONAL_HEADERS = ("if-modified-since", "if-none-match", "if-unmodified-since", "if-match", "if-range")
# Request headers make-fetch-happen writes to the index (plus any the response's Vary names).
_KEEP_REQUEST_HEADERS = ("accept-charset", "accept-encoding", "accept-language", "accept", "cache-control")
# Response headers it keeps. Never `age`: a policy rebuilt from it would always look stale.
_KEEP_RESPONSE_HEADERS = (
    "cache-control",
    "content-encoding",
    "content-language",
    "content-type",
    "date",
    "etag",
    "expires",
    "last-modified",
    "link",
    "location",
    "pragma",
    "vary",
)

# Bucket lines beyond which a lookup compacts the bucket (see HttpCache._compact).
_COMPACT_THRESHOLD = 16


class RemoteResponse(Protocol):
    """One network answer, as the registry client hands it to the cache."""

    @property
    def status(self) -> int: ...

    @property
    def url(self) -> str: ...

    @property
    def headers(self) -> Mapping[str, str]:
        """Lower-case names; repeated headers joined with ", " (WHATWG Headers.get)."""
        ...

    async def read(self) -> bytes: ...


Remote = Callable[[Mapping[str, str]], Awaitable[RemoteResponse]]


@dataclass(frozen=True, slots=True)
class CacheResult:
    """The answer to one request, from the cache or the network.

    `cache_status` is make-fetch-happen's `x-local-cache-status` (None when the cache was bypassed);
    `from_network` tells whether this is the network's answer (its raw headers are the caller's).
    """

    status: int
    url: str
    headers: Mapping[str, str]
    body: bytes
    cache_status: CacheStatus | None
    integrity: str | None
    from_network: bool


def cache_key(url: str) -> str:
    """make-fetch-happen's cache key: the URL without credentials or fragment."""
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    return KEY_PREFIX + urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))


def _now_ms() -> int:
    return int(time.time() * 1000)


def _string_map(value: JsonValue) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(k).lower(): v for k, v in value.items() if isinstance(v, str)}


def _int_or(value: JsonValue, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _not_cached(url: str) -> SnpmError:
    return SnpmError(
        f"request to {url} failed: cache mode is 'only-if-cached' but no cached response is available.",
        code="ENOTCACHED",
    )


@dataclass(slots=True)
class _Entry:
    """A stored index entry with the policy rebuilt from its metadata."""

    key: str
    integrity: str | None
    size: int
    metadata: JsonObject
    req_headers: dict[str, str]
    compress: bool
    policy: CachePolicy

    @property
    def url(self) -> str:
        url = self.metadata.get("url")
        return url if isinstance(url, str) else ""

    def satisfies(self, req_headers: Mapping[str, str], integrity: str | None, compress: bool = True) -> bool:
        """CachePolicy.satisfies: same host, compression and content negotiation (and integrity)."""
        stored = self.req_headers
        if stored.get("host") != req_headers.get("host") or self.compress != compress:
            return False
        if media_types(stored.get("accept")) != media_types(req_headers.get("accept")):
            return False
        for name in ("accept-language", "accept-encoding"):
            if (stored.get(name) or None) != (req_headers.get(name) or None):
                return False
        if integrity:
            return bool(self.integrity) and Integrity.parse(integrity).match(self.integrity or "") is not None
        return True


def _entry_of(line: index.BucketEntry) -> _Entry | None:
    """A bucket line as a cache entry, or None when make-fetch-happen's validateEntry rejects it."""
    metadata = line.metadata
    if not isinstance(metadata, dict):
        return None
    raw_res = metadata.get("resHeaders")
    if isinstance(raw_res, dict) and "content-encoding" in raw_res and raw_res["content-encoding"] is None:
        return None  # a buggy old make-fetch-happen entry
    if not line.integrity and not metadata.get("status"):
        return None  # a deletion
    time_ms = metadata.get("time")
    response_time = (
        time_ms if isinstance(time_ms, int | float) and not isinstance(time_ms, bool) else line.time
    )
    req_headers = _string_map(metadata.get("reqHeaders"))
    options = metadata.get("options")
    compress = options.get("compress", True) if isinstance(options, dict) else True
    size = line.size or 0
    policy = CachePolicy(
        req_headers=req_headers,
        status=_int_or(metadata.get("status"), 200),
        res_headers={**_string_map(raw_res), "content-length": str(size)},
        response_time_ms=float(response_time),
    )
    return _Entry(
        line.key, line.integrity or None, size, metadata, req_headers, compress is not False, policy
    )


def _metadata(
    url: str, req_headers: Mapping[str, str], status: int, res_headers: Mapping[str, str]
) -> JsonObject:
    """getMetadata() of make-fetch-happen's entry.js."""
    req: JsonObject = {name: req_headers[name] for name in _KEEP_REQUEST_HEADERS if name in req_headers}
    host = req_headers.get("host")
    if host and urlsplit(url).netloc.rpartition("@")[2] != host:
        req["host"] = host
    vary = res_headers.get("vary")
    if vary is not None and vary != "*":
        for name in (v.strip() for v in vary.strip().lower().split(",")):
            if name in req_headers:
                req[name] = req_headers[name]
    res: JsonObject = {name: res_headers[name] for name in _KEEP_RESPONSE_HEADERS if name in res_headers}
    meta: JsonObject = {"time": _now_ms(), "url": url, "reqHeaders": req, "resHeaders": res}
    meta["options"] = {"compress": True}
    if status not in (200, 304):
        meta["status"] = status
    return meta


class HttpCache:
    """The HTTP cache in one npm cache folder (the `cache` setting; cacache is `<cache_dir>/_cacache`)."""

    def __init__(self, cache_dir: Path) -> None:
        self.cache_dir = cache_dir

    async def fetch(
        self,
        url: str,
        *,
        headers: Mapping[str, str],
        remote: Remote,
        method: str = "GET",
        mode: CacheMode = "default",
        integrity: str | None = None,
        algorithms: Sequence[str] = ("sha512",),
    ) -> CacheResult:
        """Answer a request through the cache (make-fetch-happen's cache/index.js).

        `headers` are the request's own, lower-case, without transport headers (host,
        accept-encoding, connection): they are what gets compared and stored. `integrity` (tarballs)
        must match a stored entry, and is checked again when new content is written.
        """
        if mode == "default" and any(name in headers for name in _CONDITIONAL_HEADERS):
            mode = "no-store"
        # Only GETs are cached (make-fetch-happen could answer a HEAD from a stored GET; snpm sends none).
        if mode == "no-store" or method != "GET" or not CachePolicy.request_storable(method, headers):
            response = await remote(headers)
            body = await response.read()
            return CacheResult(response.status, response.url, dict(response.headers), body, None, None, True)

        entry = None if mode == "reload" else self._find(url, headers, integrity)
        if entry is not None and mode != "no-cache":
            needs_revalidation = entry.policy.needs_revalidation(headers)
            if mode in ("force-cache", "only-if-cached") or not needs_revalidation:
                answer = self._respond(entry, "stale" if needs_revalidation else "hit")
                if answer is not None:
                    return answer
                entry = None
        if entry is None:
            if mode == "only-if-cached":
                raise _not_cached(url)
            response = await remote(headers)
            return await self._store(url, headers, response, "miss", integrity, algorithms)
        return await self._revalidate(entry, url, headers, remote, integrity, algorithms)

    def invalidate(self, url: str) -> None:
        """Drop every entry for a URL (after a successful PUT/POST/DELETE to it)."""
        with contextlib.suppress(OSError, SnpmError):
            index.delete(self.cache_dir, cache_key(url), remove_fully=True)

    def _find(self, url: str, req_headers: Mapping[str, str], integrity: str | None) -> _Entry | None:
        """CacheEntry.find: the newest valid entry of the URL's bucket that satisfies the request."""
        key = cache_key(url)
        try:
            lines = index.read_bucket(index.bucket_path(self.cache_dir, key))
        except (OSError, SnpmError):
            return None
        if len(lines) > _COMPACT_THRESHOLD:
            self._compact(key, integrity)
        for line in reversed(lines):
            entry = _entry_of(line) if line.key == key else None
            if entry is not None and entry.satisfies(req_headers, integrity):
                return entry
        return None

    def _compact(self, key: str, integrity: str | None) -> None:
        """Rewrite a long bucket keeping the newest entry per variant. make-fetch-happen compacts on
        every lookup; snpm waits until a bucket has grown, so that lookups stay read-only."""

        def same_variant(kept: index.BucketEntry, other: index.BucketEntry) -> bool:
            a, b = _entry_of(kept), _entry_of(other)
            return a is not None and b is not None and a.satisfies(b.req_headers, integrity, b.compress)

        with contextlib.suppress(OSError, SnpmError):
            index.compact(
                self.cache_dir, key, same_variant, validate=lambda line: _entry_of(line) is not None
            )

    def _respond(self, entry: _Entry, status: CacheStatus) -> CacheResult | None:
        """The cached answer, or None (and the entry dropped) when its content is unreadable."""
        headers = entry.policy.response_headers()
        headers.update(
            {
                "x-local-cache": str(self.cache_dir),
                "x-local-cache-key": entry.key,
                "x-local-cache-mode": "stream",
                "x-local-cache-status": status,
            }
        )
        entry_status = _int_or(entry.metadata.get("status"), 200)
        if entry.integrity is None:  # a stored redirect: metadata only
            return CacheResult(entry_status, entry.url, headers, b"", status, None, False)
        try:
            body = content.read(self.cache_dir, entry.integrity)
        except (OSError, SnpmError):
            self.invalidate(entry.url)
            return None
        headers["x-local-cache-hash"] = entry.integrity
        return CacheResult(entry_status, entry.url, headers, body, status, entry.integrity, False)

    async def _revalidate(
        self,
        entry: _Entry,
        url: str,
        headers: Mapping[str, str],
        remote: Remote,
        integrity: str | None,
        algorithms: Sequence[str],
    ) -> CacheResult:
        try:
            response = await remote(entry.policy.revalidation_headers(headers))
        except NetworkError:
            answer = None if entry.policy.must_revalidate else self._respond(entry, "stale")
            if answer is None:
                raise
            return answer
        if not entry.policy.revalidated(response.status):
            return await self._store(url, headers, response, "updated", integrity, algorithms)
        await response.read()  # drain (a 304 has no body) so the connection goes back to the pool
        metadata = _metadata(url, headers, response.status, response.headers)
        # A 304 omits headers about the body: keep the stored ones it did not send.
        res = metadata["resHeaders"]
        stored_res = _string_map(entry.metadata.get("resHeaders"))
        if isinstance(res, dict):
            for name in _KEEP_RESPONSE_HEADERS:
                if name not in res and name in stored_res:
                    res[name] = stored_res[name]
        if entry.integrity is not None:
            with contextlib.suppress(OSError, SnpmError):
                index.insert(self.cache_dir, entry.key, entry.integrity, size=entry.size, metadata=metadata)
        answer = self._respond(entry, "revalidated")
        if answer is not None:
            return answer
        response = await remote(headers)
        return await self._store(url, headers, response, "miss", integrity, algorithms)

    async def _store(
        self,
        url: str,
        req_headers: Mapping[str, str],
        response: RemoteResponse,
        status: CacheStatus,
        integrity: str | None,
        algorithms: Sequence[str],
    ) -> CacheResult:
        body = await response.read()
        res_headers = dict(response.headers)
        policy = CachePolicy(
            req_headers=req_headers,
            status=response.status,
            res_headers=res_headers,
            response_time_ms=_now_ms(),
        )
        # Redirects are followed, not stored, by the client; only 200s with a body are written.
        if response.status != 200 or not policy.storable():
            res_headers["x-local-cache-status"] = "skip"
            return CacheResult(response.status, response.url, res_headers, body, "skip", None, True)
        key = cache_key(url)
        stored: str | None = None
        try:
            stored = content.write(self.cache_dir, body, algorithms=tuple(algorithms), integrity=integrity)
            index.insert(
                self.cache_dir,
                key,
                stored,
                size=len(body),
                metadata=_metadata(url, req_headers, 200, res_headers),
            )
        except (OSError, SnpmError) as err:
            if getattr(err, "code", None) in ("EINTEGRITY", "EBADSIZE"):
                raise
            stored = None  # a cache that cannot be written must not fail the request
        res_headers.update(
            {
                "x-local-cache": str(self.cache_dir),
                "x-local-cache-key": key,
                "x-local-cache-mode": "stream",
                "x-local-cache-status": status,
            }
        )
        return CacheResult(response.status, response.url, res_headers, body, status, stored, True)
