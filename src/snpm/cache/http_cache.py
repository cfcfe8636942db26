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

Disk work (reading an entry and checking its hash, writing content and index lines, compaction)
runs in a small thread pool the instance owns, never on the event loop, so downloads stay in flight
while earlier ones are stored. A lock striped over the keys serialises index writes and compaction
of a bucket, so a compaction never drops a line another thread appends. A body the client hashed
as it streamed in (`computed_integrity` on the response) is not hashed again for the write.

A write that cannot fail the request (no integrity to enforce, or one the client already checked
while the body streamed in) is not waited for: the answer goes back at once and the content and
index line are written behind it by a pool of their own (lookups never queue behind writes).
make-fetch-happen ends the body only once its cache write is done; what ends up on disk is the
same, but an install's resolution, a chain of dependent requests, no longer waits on the file
system at every step. `flush()` (and `close()`) wait for the writes still under way.

Size: one cache protocol (lookup, revalidation, storing, write-behind) over one on-disk format;
the freshness policy (http_policy) and cacache's content and index are already apart.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import threading
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Literal, ParamSpec, Protocol, TypeVar
from urllib.parse import urlsplit, urlunsplit

import msgspec

from snpm.cache import content, index
from snpm.cache.http_policy import CachePolicy, media_types
from snpm.errors import NetworkError, SnpmError
from snpm.integrity import Integrity
from snpm.json_types import JsonObject, JsonValue
from snpm.redact import redact

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
# Locks the index writes of one process are striped over (by key).
_BUCKET_LOCKS = 64

P = ParamSpec("P")
T = TypeVar("T")

# Threads for the disk work. Creating files and folders is mostly waiting on the file system, not
# CPU, so even a 2-CPU machine gains from 4 (measured with bench/cache_io.py).
DEFAULT_IO_WORKERS = 4
# Threads for the writes nobody waits for (see the module docstring).
_WRITE_WORKERS = 2


class RemoteResponse(Protocol):
    """One network answer, as the registry client hands it to the cache.

    After `read()`, a response may also carry `computed_integrity`: the SRI of the body it hashed
    while streaming (snpm.registry_client's WireResponse does when an integrity was expected). It
    is optional, so it is read with getattr rather than declared here.
    """

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


class CacheResult(msgspec.Struct, frozen=True):
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


class _Entry(msgspec.Struct):
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
    """The HTTP cache in one npm cache folder (the `cache` setting; cacache is `<cache_dir>/_cacache`).

    Its disk work runs in a thread pool made on first use (`workers` threads); `close()` ends it
    (idle threads are also ended at interpreter exit). One instance may serve several event loops
    in turn (each `asyncio.run`).
    """

    def __init__(self, cache_dir: Path, *, workers: int | None = None) -> None:
        self.cache_dir = cache_dir
        self._workers = workers or DEFAULT_IO_WORKERS
        self._pool: ThreadPoolExecutor | None = None
        self._writer: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        self._bucket_locks = tuple(threading.Lock() for _ in range(_BUCKET_LOCKS))
        # writes under way, by cache key: a lookup of that key waits for its write
        self._pending: dict[str, Future[str | None]] = {}
        self._pending_lock = threading.Lock()

    def close(self) -> None:
        """Finish pending disk work and stop the threads (a later fetch starts new ones)."""
        with self._pool_lock:
            pool, self._pool = self._pool, None
            writer, self._writer = self._writer, None
        for executor in (writer, pool):
            if executor is not None:
                executor.shutdown(wait=True)

    async def flush(self) -> None:
        """Wait until every write started so far is on disk."""
        with self._pending_lock:
            pending = list(self._pending.values())
        if pending:
            await asyncio.wait([asyncio.wrap_future(f) for f in pending])

    async def _written(self, key: str) -> None:
        """Wait for the write under way for `key`, if any (a process reads what it wrote)."""
        with self._pending_lock:
            pending = self._pending.get(key)
        if pending is not None:
            await asyncio.wait([asyncio.wrap_future(pending)])

    def _write_behind(
        self,
        key: str,
        body: bytes,
        algorithms: tuple[str, ...],
        integrity: str | None,
        verified: str | None,
        metadata: JsonObject,
    ) -> None:
        """Start `_write` without waiting for it (its failures are dropped, as `_write` drops them)."""
        with self._pool_lock:
            if self._writer is None:
                self._writer = ThreadPoolExecutor(_WRITE_WORKERS, thread_name_prefix="snpm-cache-write")
            writer = self._writer
        with self._pending_lock:
            earlier = self._pending.get(key)
            # one key's writes keep their order (the newest index line wins a lookup)
            future = writer.submit(
                self._write_after, earlier, key, body, algorithms, integrity, verified, metadata
            )
            self._pending[key] = future
        future.add_done_callback(functools.partial(self._settled, key))

    def _write_after(
        self,
        earlier: Future[str | None] | None,
        key: str,
        body: bytes,
        algorithms: tuple[str, ...],
        integrity: str | None,
        verified: str | None,
        metadata: JsonObject,
    ) -> str | None:
        if earlier is not None:
            with contextlib.suppress(BaseException):
                earlier.result()
        return self._write(key, body, algorithms, integrity, verified, metadata)

    def _settled(self, key: str, future: Future[str | None]) -> None:
        with self._pending_lock:
            if self._pending.get(key) is future:
                del self._pending[key]
        if not future.cancelled():
            future.exception()  # retrieved: a failed write is not the request's failure

    async def _run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run blocking disk work in the pool."""
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="snpm-http-cache")
            pool = self._pool
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(pool, functools.partial(fn, *args, **kwargs))

    def _bucket_lock(self, key: str) -> threading.Lock:
        return self._bucket_locks[hash(key) % _BUCKET_LOCKS]

    def _local_headers(self, key: str, status: CacheStatus) -> dict[str, str]:
        """make-fetch-happen's x-local-cache-* headers of an answer that went through the cache."""
        return {
            "x-local-cache": str(self.cache_dir),
            "x-local-cache-key": key,
            "x-local-cache-mode": "stream",
            "x-local-cache-status": status,
        }

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

        entry: _Entry | None = None
        if self._pending:
            await self._written(cache_key(url))
        if mode != "reload":
            entry, answer = await self._run(self._lookup, url, headers, integrity, mode)
            if answer is not None:
                return answer
        if entry is None:
            if mode == "only-if-cached":
                raise _not_cached(url)
            response = await remote(headers)
            return await self._store(url, headers, response, "miss", integrity, algorithms)
        return await self._revalidate(entry, url, headers, remote, integrity, algorithms)

    def invalidate(self, url: str) -> None:
        """Drop every entry for a URL (after a successful PUT/POST/DELETE to it)."""
        key = cache_key(url)
        with self._pending_lock:
            pending = self._pending.get(key)
        if pending is not None:
            # a write landing after the delete would bring the entry back
            with contextlib.suppress(BaseException):
                pending.result()
        with self._bucket_lock(key), contextlib.suppress(OSError, SnpmError):
            index.delete(self.cache_dir, key, remove_fully=True)

    def _lookup(
        self, url: str, req_headers: Mapping[str, str], integrity: str | None, mode: CacheMode
    ) -> tuple[_Entry | None, CacheResult | None]:
        """(in the pool) The stored entry, with the answer when no revalidation is needed; neither
        when there is none (or its content turned out unreadable, which dropped it)."""
        entry = self._find(url, req_headers, integrity)
        if entry is None or mode == "no-cache":
            return entry, None
        needs_revalidation = entry.policy.needs_revalidation(req_headers)
        if mode in ("force-cache", "only-if-cached") or not needs_revalidation:
            answer = self._respond(entry, "stale" if needs_revalidation else "hit")
            return (entry, answer) if answer is not None else (None, None)
        return entry, None

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

        with self._bucket_lock(key), contextlib.suppress(OSError, SnpmError):
            index.compact(
                self.cache_dir, key, same_variant, validate=lambda line: _entry_of(line) is not None
            )

    def _respond(self, entry: _Entry, status: CacheStatus) -> CacheResult | None:
        """(in the pool) The cached answer; None (the entry dropped) when its content is unreadable."""
        headers = entry.policy.response_headers()
        headers.update(self._local_headers(entry.key, status))
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

    def _refresh(self, entry: _Entry, metadata: JsonObject) -> CacheResult | None:
        """(in the pool) After a 304: store the new metadata, answer with the stored body."""
        if entry.integrity is not None:
            with self._bucket_lock(entry.key), contextlib.suppress(OSError, SnpmError):
                index.insert(self.cache_dir, entry.key, entry.integrity, size=entry.size, metadata=metadata)
        return self._respond(entry, "revalidated")

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
            answer = None if entry.policy.must_revalidate else await self._run(self._respond, entry, "stale")
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
        answer = await self._run(self._refresh, entry, metadata)
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
        if not body:
            # cacache refuses to store nothing, and minipass-fetch reports it for the response
            raise SnpmError(
                f"Invalid response body while trying to fetch {redact(url)}: Cache input stream was empty",
                code="ENODATA",
                errno="ENODATA",
            )
        key = cache_key(url)
        # What the client hashed while the body streamed in: the write need not hash it again.
        raw_verified = getattr(response, "computed_integrity", None)
        verified = raw_verified if isinstance(raw_verified, str) else None
        algos = tuple(algorithms)
        metadata = _metadata(url, req_headers, 200, res_headers)
        known = content.known_sri(verified, algos) if verified else None
        if integrity is None or (known is not None and verified and content.confirms(integrity, verified)):
            # nothing the write checks can fail this request: write behind the answer
            self._write_behind(key, body, algos, integrity, verified, metadata)
            stored = known
        else:
            stored = await self._run(self._write, key, body, algos, integrity, verified, metadata)
        res_headers.update(self._local_headers(key, status))
        return CacheResult(response.status, response.url, res_headers, body, status, stored, True)

    def _write(
        self,
        key: str,
        body: bytes,
        algorithms: tuple[str, ...],
        integrity: str | None,
        verified: str | None,
        metadata: JsonObject,
    ) -> str | None:
        """(in the pool) Content, then the index line; the stored SRI, or None when the cache cannot
        be written (which must not fail the request; a body that fails its integrity does)."""
        try:
            stored = content.write(
                self.cache_dir, body, algorithms=algorithms, integrity=integrity, verified=verified
            )
            with self._bucket_lock(key):
                index.insert(self.cache_dir, key, stored, size=len(body), metadata=metadata)
        except (OSError, SnpmError) as err:
            if getattr(err, "code", None) in ("EINTEGRITY", "EBADSIZE"):
                raise
            return None
        return stored
