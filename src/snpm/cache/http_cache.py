"""make-fetch-happen's HTTP cache, on npm's cacache, entry for entry.

Entries are shared with npm: the index key is `make-fetch-happen:request-cache:<url>` (no userinfo,
no fragment), the body is cacache content addressed by integrity, and the index metadata has
make-fetch-happen's shape

    {"time": <ms>, "url": <url>, "reqHeaders": {"accept": ...}, "resHeaders": {"etag": ..., ...},
     "options": {"compress": true}}            (+ "status" when it is not 200/304)

so a packument npm cached is a hit for snpm and the other way round. Freshness follows
http-cache-semantics 4.2 as make-fetch-happen configures it (a private cache, `ignoreCargoCult`):
max-age / Expires / the 10%-of-Last-Modified heuristic, must-revalidate, Vary, and revalidation with
If-None-Match / If-Modified-Since, where a 304 refreshes the stored metadata. An entry is only reused
for a request that negotiates the same way (same Accept media types, so abbreviated and full
packuments of one URL never answer for each other).

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
request with the given headers and returns a `RemoteResponse`.

(The RFC 7234 policy could live in its own module; the module boundary of this work kept it here.)
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Literal, Protocol
from urllib.parse import urlsplit, urlunsplit

from snpm.cache import content, index
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

# ── http-cache-semantics 4.2, the parts make-fetch-happen uses ──

_UNDERSTOOD_STATUSES = frozenset({200, 203, 204, 300, 301, 302, 303, 307, 308, 404, 405, 410, 414, 501})
_CACHEABLE_BY_DEFAULT = frozenset({200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501})
_ERROR_STATUSES = frozenset({500, 502, 503, 504})
_HOP_BY_HOP = frozenset(
    {"date", "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer"}
    | {"transfer-encoding", "upgrade"}
)
_WEAK_ETAG_RE = re.compile(r"^\s*W/")
_INT_PREFIX_RE = re.compile(r"^\s*([+-]?\d+)")
_FLOAT_PREFIX_RE = re.compile(r"^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_MEDIA_TYPE_RE = re.compile(r"^\s*([^\s/;]+)/([^;\s]+)\s*(?:;(.*))?$")
_HEURISTIC_FRACTION = 0.1
# Bucket lines beyond which a lookup compacts the bucket (see HttpCache._compact).
_COMPACT_THRESHOLD = 16
_IMMUTABLE_MIN_TTL = 24 * 3600.0


def _parse_int(value: object) -> int:
    """JS toNumberOrZero(parseInt(s, 10))."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    found = _INT_PREFIX_RE.match(value) if isinstance(value, str) else None
    return int(found.group(1)) if found else 0


def _parse_date_ms(value: str | None) -> float | None:
    """JS Date.parse of an HTTP date; None where JS gives NaN."""
    if not value:
        return None
    try:
        return parsedate_to_datetime(value).timestamp() * 1000
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _parse_cache_control(header: str | None) -> dict[str, str | bool]:
    directives: dict[str, str | bool] = {}
    for part in header.strip().split(",") if header else ():
        name, sep, value = part.partition("=")
        directives[name.strip()] = value.strip().strip('"') if sep else True
    return directives


def _split_quoted(text: str, sep: str) -> list[str]:
    """negotiator's split, which keeps separators that sit inside double quotes."""
    pieces = text.split(sep)
    out = [pieces[0]]
    for piece in pieces[1:]:
        if out[-1].count('"') % 2 == 0:
            out.append(piece)
        else:
            out[-1] += sep + piece
    return out


def media_types(accept: str | None) -> list[str]:
    """negotiator's mediaTypes() without offers: the accepted types, best first (q, then order)."""
    specs: list[tuple[float, int, str]] = []
    for position, raw in enumerate(_split_quoted("*/*" if accept is None else accept, ",")):
        found = _MEDIA_TYPE_RE.match(raw.strip())
        if not found:
            continue
        quality = 1.0
        for param in _split_quoted(found.group(3), ";") if found.group(3) else ():
            key, _, value = param.strip().partition("=")
            if key.lower() == "q":
                value = value[1:-1] if len(value) > 1 and value[0] == value[-1] == '"' else value
                number = _FLOAT_PREFIX_RE.match(value)
                quality = float(number.group(0)) if number else float("nan")
                break
        if quality > 0:
            specs.append((quality, position, f"{found.group(1)}/{found.group(2)}"))
    specs.sort(key=lambda spec: (-spec[0], spec[1]))
    return [spec[2] for spec in specs]


class CachePolicy:
    """One stored (or storable) GET response and the request headers that produced it."""

    __slots__ = ("_host", "_req_headers", "_rescc", "_res_headers", "_response_time", "_status")

    def __init__(
        self,
        *,
        req_headers: Mapping[str, str],
        status: int,
        res_headers: Mapping[str, str],
        response_time_ms: float,
    ) -> None:
        self._host = req_headers.get("host")
        self._status = status
        self._response_time = response_time_ms
        res = dict(res_headers)
        self._rescc = _parse_cache_control(res.get("cache-control"))
        # Only the headers Vary names are ever compared.
        self._req_headers = dict(req_headers) if res.get("vary") else {}
        if "pre-check" in self._rescc and "post-check" in self._rescc:  # ignoreCargoCult
            for name in ("pre-check", "post-check", "no-cache", "no-store", "must-revalidate"):
                self._rescc.pop(name, None)
            parts = [k if v is True else f"{k}={v}" for k, v in self._rescc.items()]
            res.pop("cache-control", None)
            if parts:
                res["cache-control"] = ", ".join(parts)
            res.pop("expires", None)
            res.pop("pragma", None)
        if res.get("cache-control") is None and "no-cache" in res.get("pragma", ""):
            self._rescc["no-cache"] = True
        self._res_headers = res

    @staticmethod
    def request_storable(method: str, req_headers: Mapping[str, str]) -> bool:
        """storable() of the request against an empty 200: only the request can refuse."""
        return method in ("GET", "HEAD") and not _parse_cache_control(req_headers.get("cache-control")).get(
            "no-store"
        )

    @property
    def must_revalidate(self) -> bool:
        return bool(self._rescc.get("must-revalidate"))

    def storable(self) -> bool:
        return bool(
            self._status in _UNDERSTOOD_STATUSES
            and not self._rescc.get("no-store")
            and (
                self._res_headers.get("expires")
                or self._rescc.get("max-age")
                or self._rescc.get("public")
                or self._status in _CACHEABLE_BY_DEFAULT
            )
        )

    def age(self) -> float:
        return _parse_int(self._res_headers.get("age")) + (time.time() * 1000 - self._response_time) / 1000

    def max_age(self) -> float:
        if not self.storable() or self._rescc.get("no-cache") or self._res_headers.get("vary") == "*":
            return 0
        if self._rescc.get("max-age"):
            return _parse_int(self._rescc["max-age"])
        min_ttl = _IMMUTABLE_MIN_TTL if self._rescc.get("immutable") else 0.0
        server_date = _parse_date_ms(self._res_headers.get("date")) or self._response_time
        if self._res_headers.get("expires"):
            expires = _parse_date_ms(self._res_headers["expires"])
            if expires is None or expires < server_date:
                return 0
            return max(min_ttl, (expires - server_date) / 1000)
        last_modified = _parse_date_ms(self._res_headers.get("last-modified"))
        if last_modified is not None and server_date > last_modified:
            return max(min_ttl, (server_date - last_modified) / 1000 * _HEURISTIC_FRACTION)
        return min_ttl

    def _request_matches(self, req_headers: Mapping[str, str]) -> bool:
        # The URL always matches (entries are looked up by it) and the method is always GET.
        if self._host != req_headers.get("host"):
            return False
        vary = self._res_headers.get("vary")
        if not vary:
            return True
        if vary == "*":
            return False
        names = [name.strip() for name in vary.strip().lower().split(",")]
        return all(req_headers.get(name) == self._req_headers.get(name) for name in names)

    def needs_revalidation(self, req_headers: Mapping[str, str]) -> bool:
        """not satisfiesWithoutRevalidation(request)."""
        if self._rescc.get("must-revalidate") or not self._request_matches(req_headers):
            return True
        request_cc = _parse_cache_control(req_headers.get("cache-control"))
        if request_cc.get("no-cache") or "no-cache" in req_headers.get("pragma", ""):
            return True
        age, max_age = self.age(), self.max_age()
        if request_cc.get("max-age") and age > _parse_int(request_cc["max-age"]):
            return True
        if request_cc.get("min-fresh") and max_age - age < _parse_int(request_cc["min-fresh"]):
            return True
        if max_age > age:
            return False
        max_stale = request_cc.get("max-stale")
        # stale-while-revalidate still asks for a revalidation, so only max-stale saves a stale entry.
        return not (max_stale is True or (max_stale is not None and _parse_int(max_stale) > age - max_age))

    def response_headers(self) -> dict[str, str]:
        headers = {k: v for k, v in self._res_headers.items() if k not in _HOP_BY_HOP}
        for name in (self._res_headers.get("connection") or "").split(","):
            headers.pop(name.strip(), None)
        age = self.age()
        explicit = self._rescc.get("max-age") or self._res_headers.get("expires")
        if age > 86400 and not explicit and self.max_age() > 86400:
            warning = headers.get("warning")
            headers["warning"] = (f"{warning}, " if warning else "") + '113 - "rfc7234 5.5.4"'
        headers["age"] = str(round(age))
        headers["date"] = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime())
        return headers

    def revalidation_headers(self, req_headers: Mapping[str, str]) -> dict[str, str]:
        headers = {k: v for k, v in req_headers.items() if k not in _HOP_BY_HOP and k != "if-range"}
        if not self._request_matches(req_headers) or not self.storable():
            headers.pop("if-none-match", None)
            headers.pop("if-modified-since", None)
            return headers
        etag = self._res_headers.get("etag")
        if etag:
            previous = headers.get("if-none-match")
            headers["if-none-match"] = f"{previous}, {etag}" if previous else etag
        if headers.get("accept-ranges") or headers.get("if-match") or headers.get("if-unmodified-since"):
            # Weak validators are only for simple GETs.
            headers.pop("if-modified-since", None)
            strong = [
                e for e in headers.get("if-none-match", "").split(",") if e and not _WEAK_ETAG_RE.match(e)
            ]
            headers.pop("if-none-match", None)
            if strong:
                headers["if-none-match"] = ",".join(strong).strip()
        elif self._res_headers.get("last-modified") and not headers.get("if-modified-since"):
            headers["if-modified-since"] = self._res_headers["last-modified"]
        return headers

    def revalidated(self, status: int) -> bool:
        """Does the answer to a revalidation mean "use the stored body"? (`!policy.modified`)

        A 304 always does, even one whose validators match nothing: it has no body to offer. A 5xx
        does while `stale-if-error` still covers the entry.
        """
        if status in _ERROR_STATUSES:
            return self.max_age() + _parse_int(self._rescc.get("stale-if-error")) > self.age()
        return status == 304


# ── the cache ──


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
