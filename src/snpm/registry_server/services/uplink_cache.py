"""The caching uplink: packages this registry does not hold, fetched from another registry and kept.

Packuments are cached per form (`full`, or `corgi` when npm asked for the abbreviated one and the
uplink sent it: some mirrors answer every Accept with the full document, kept as `full`) and used
for `max_age` seconds; after that the uplink is asked again with the cached ETag (a 304 only moves
the fetch time). Tarballs are fetched once, checked against the integrity (or shasum) the cached
packument gives for them, and kept for good. What is served always points at THIS registry: each
`dist.tarball` is rewritten to a path below it, and the uplink URL is kept beside the document.

When the uplink cannot be reached (or fails with a 5xx) whatever is cached is served, however old
(the "stale" answer); only a package never seen is an error (503 when the uplink is unreachable,
502 when it answered nonsense). A 404 from the uplink stays a 404 and drops the cached packument.
After repeated connection failures the uplink is left alone for a short while, so an outage does
not make every request wait for a timeout. Concurrent requests for one packument or tarball share a single
uplink request.

Local packages always win: routes ask here only for names the registry does not hold, and never
for the scopes configured as local. No aiohttp here: the HTTP client is behind the `Uplink`
protocol (`registry_server.uplink_client`), so this logic is tested without sockets.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Protocol, TypeVar, cast
from urllib.parse import unquote, urlsplit

import msgspec

from snpm import integrity
from snpm.errors import IntegrityError
from snpm.json_types import JsonObject
from snpm.packument import ABBREVIATED_MEDIA_TYPE, object_field
from snpm.registry_server.services.errors import RegistryError, not_found
from snpm.registry_server.storage.base import Storage, StoredPackage, TarballRecord
from snpm.registry_server.storage.records import CachedHead, CachedPackument
from snpm.spec import scope_of, validate_package_name

__all__ = [
    "CORGI",
    "FULL",
    "ProxiedPackument",
    "Uplink",
    "UplinkCache",
    "UplinkReply",
    "UplinkUnreachableError",
    "rewrite_packument",
]

FULL = "full"
CORGI = "corgi"
# consecutive failures after which the uplink is considered down, and for how long
MAX_FAILS = 2
FAIL_TIMEOUT = 10.0
_DECODE_IN_THREAD = 1024 * 1024
_UPLINK_FIELDS = ("_id", "_rev", "_attachments")
_log = logging.getLogger("snpm.registry_server.uplink")
_decoder = msgspec.json.Decoder()
T = TypeVar("T")


class UplinkUnreachableError(Exception):
    """The uplink could not be reached (refused, reset, timed out, name not resolved)."""


class UplinkReply(msgspec.Struct, frozen=True):
    status: int
    body: bytes = b""
    etag: str | None = None
    content_type: str | None = None


class Uplink(Protocol):
    """An upstream registry (implemented with aiohttp in `registry_server.uplink_client`)."""

    @property
    def url(self) -> str: ...

    async def packument(self, name: str, *, corgi: bool, etag: str | None) -> UplinkReply: ...

    async def tarball(self, url: str, *, max_size: int) -> UplinkReply: ...

    async def close(self) -> None: ...


class ProxiedPackument(msgspec.Struct, frozen=True):
    """A cached packument to serve; `entry` is set when it was just fetched (already decoded)."""

    head: CachedHead
    entry: CachedPackument | None = None
    stale: bool = False

    @property
    def corgi(self) -> bool:
        return self.head.form == CORGI


def rewrite_packument(name: str, document: JsonObject) -> tuple[JsonObject, dict[str, str]]:
    """The uplink's document with each `dist.tarball` made relative to this registry
    (`name/-/file.tgz`), and the uplink URL of each tarball file. CouchDB's `_id`, `_rev` and
    `_attachments` are dropped (this registry sets its own)."""
    out = {key: value for key, value in document.items() if key not in _UPLINK_FIELDS}
    origins: dict[str, str] = {}
    versions: JsonObject = {}
    for version, doc in object_field(document, "versions").items():
        if not isinstance(doc, dict):
            continue
        dist = object_field(doc, "dist")
        url = dist.get("tarball")
        if isinstance(url, str) and urlsplit(url).scheme in ("http", "https"):
            filename = unquote(url.rsplit("/", 1)[-1])
            if _is_file_name(filename):
                origins.setdefault(filename, url)
                doc = {**doc, "dist": {**dist, "tarball": f"{name}/-/{filename}"}}
        versions[version] = doc
    out["versions"] = versions
    return out, origins


def _is_file_name(filename: str) -> bool:
    return bool(filename) and not filename.startswith(".") and not any(c in filename for c in "/\\\0")


def _revision(body: bytes) -> str:
    return "u-" + hashlib.blake2b(body, digest_size=16).hexdigest()


def _decode(body: bytes) -> JsonObject:
    value = _decoder.decode(body)
    if not isinstance(value, dict) or not isinstance(value.get("versions", {}), dict):
        raise ValueError("not a packument")
    return value


class UplinkCache:
    def __init__(
        self,
        storage: Storage,
        uplink: Uplink,
        *,
        max_age: float,
        local_scopes: Iterable[str] = (),
        max_tarball_size: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._storage = storage
        self.uplink = uplink
        self._max_age = max_age
        self._local_scopes = frozenset(local_scopes)
        self._max_tarball_size = max_tarball_size
        self._clock = clock
        self._inflight: dict[tuple[str, str, str], asyncio.Future[object]] = {}
        self._failures = 0
        self._down_until = 0.0

    def serves(self, name: str) -> bool:
        """May `name` come from the uplink (a valid name outside the local scopes)?"""
        scope = scope_of(name)
        if scope is not None and scope in self._local_scopes:
            return False
        return validate_package_name(name).valid_for_old_packages

    async def close(self) -> None:
        await self.uplink.close()

    # ── packuments ──

    async def packument(self, name: str, *, corgi: bool) -> ProxiedPackument:
        """A fresh (or, with the uplink down, stale) cached packument; 404 when the uplink has none."""
        if not self.serves(name):
            raise not_found()
        heads = {h.form: h for h in await self._storage.cached_heads(name)}
        now = self._clock()
        for form in (CORGI, FULL) if corgi else (FULL,):
            head = heads.get(form)
            if head is not None and now - head.fetched < self._max_age:
                return ProxiedPackument(head)
        wanted = CORGI if corgi else FULL
        try:
            return await self._shared(
                ("packument", name, wanted), lambda: self._fetch(name, wanted, heads.get(wanted))
            )
        except (UplinkUnreachableError, _UplinkAnswerError) as err:
            # serve what we have, however old: the wanted form, else the other one
            stale = heads.get(wanted) or next(iter(heads.values()), None)
            if stale is not None:
                _log.warning("uplink %s: %s; serving %s from the cache", self.uplink.url, err, name)
                return ProxiedPackument(stale, stale=True)
            raise self._error(name, err) from err

    async def load(self, proxied: ProxiedPackument) -> CachedPackument:
        """The cached document itself (decoded)."""
        if proxied.entry is not None:
            return proxied.entry
        entry = await self._storage.read_cached(proxied.head.name, proxied.head.form)
        if entry is None:  # dropped by another worker a moment ago
            raise not_found()
        return entry

    async def package(self, proxied: ProxiedPackument) -> StoredPackage:
        """The cached packument as the renderer takes it."""
        entry = await self.load(proxied)
        return StoredPackage(entry.head.name, entry.head.rev, entry.document)

    async def _fetch(self, name: str, form: str, current: CachedHead | None) -> ProxiedPackument:
        reply = await self._call(
            lambda: self.uplink.packument(name, corgi=form == CORGI, etag=current.etag if current else None)
        )
        now = self._clock()
        if reply.status == 304 and current is not None:
            await self._storage.touch_cached(name, form, now, reply.etag)
            return ProxiedPackument(CachedHead(name, form, current.rev, reply.etag or current.etag, now))
        if reply.status in (404, 410):
            await self._storage.forget_cached(name)
            raise not_found()
        if reply.status != 200:
            raise _UplinkAnswerError(f"the uplink answered {reply.status} for {name}")
        rev = _revision(reply.body)
        if current is not None and current.rev == rev:
            await self._storage.touch_cached(name, form, now, reply.etag)
            return ProxiedPackument(CachedHead(name, form, rev, reply.etag or current.etag, now))
        try:
            if len(reply.body) > _DECODE_IN_THREAD:
                document = await asyncio.to_thread(_decode, reply.body)
            else:
                document = _decode(reply.body)
        except (msgspec.DecodeError, ValueError) as err:
            raise _UplinkAnswerError(f"the uplink sent an invalid packument for {name}") from err
        rewritten, origins = rewrite_packument(name, document)
        if form == CORGI and ABBREVIATED_MEDIA_TYPE not in (reply.content_type or ABBREVIATED_MEDIA_TYPE):
            form = FULL  # asked for the corgi form, sent the full one (some mirrors do): keep it as such
        entry = CachedPackument(CachedHead(name, form, rev, reply.etag, now), rewritten, origins)
        await self._storage.store_cached(entry)
        return ProxiedPackument(entry.head, entry)

    # ── tarballs ──

    async def tarball(self, name: str, filename: str) -> TarballRecord:
        """The cached tarball, fetched (and verified) on first use; 404 when no version has it."""
        if not self.serves(name):
            raise not_found()
        record = await self._storage.cached_tarball(name, filename)
        if record is not None:
            return record
        return await self._shared(("tarball", name, filename), lambda: self._fetch_tarball(name, filename))

    async def _fetch_tarball(self, name: str, filename: str) -> TarballRecord:
        proxied = await self.packument(name, corgi=True)
        entry = await self.load(proxied)
        if filename not in entry.origins and proxied.entry is None and not proxied.stale:
            # published on the uplink after the cached packument was fetched: ask again once (for
            # the same form, so the cached ETag is that form's)
            head = proxied.head
            try:
                again = await self._shared(
                    ("packument", name, head.form), lambda: self._fetch(name, head.form, head)
                )
            except (UplinkUnreachableError, _UplinkAnswerError) as err:
                raise self._error(f"{name}/-/{filename}", err) from err
            entry = await self.load(again)
        origin = entry.origins.get(filename)
        version, dist = _dist_of(entry.document, f"{name}/-/{filename}")
        if origin is None or version is None:
            raise not_found()
        try:
            reply = await self._call(lambda: self.uplink.tarball(origin, max_size=self._max_tarball_size))
        except (UplinkUnreachableError, _UplinkAnswerError) as err:
            raise self._error(f"{name}/-/{filename}", err) from err
        if reply.status in (404, 410):
            raise not_found()
        if reply.status != 200:
            raise RegistryError(502, f"The uplink answered {reply.status} for {name}/-/{filename}.")
        try:
            sri, shasum = await asyncio.to_thread(_verify, reply.body, dist)
        except IntegrityError as err:
            raise RegistryError(
                502, f"The uplink's tarball {filename} of {name} does not match its packument: {err.message}"
            ) from err
        return await self._storage.store_cached_tarball(name, filename, version, reply.body, sri, shasum)

    # ── plumbing ──

    async def _call(self, request: Callable[[], Awaitable[UplinkReply]]) -> UplinkReply:
        """One uplink request, with the failure bookkeeping (only an unreachable uplink counts: a 5xx
        for one package says nothing about the others)."""
        if self._clock() < self._down_until:
            raise UplinkUnreachableError(f"{self.uplink.url} failed {MAX_FAILS} times; retrying it shortly")
        try:
            reply = await request()
        except UplinkUnreachableError:
            self._failed()
            raise
        self._failures = 0
        if reply.status >= 500:
            raise _UplinkAnswerError(f"the uplink answered {reply.status}")
        return reply

    def _failed(self) -> None:
        self._failures += 1
        if self._failures >= MAX_FAILS:
            self._down_until = self._clock() + FAIL_TIMEOUT
            self._failures = 0

    def _error(self, what: str, err: Exception) -> RegistryError:
        if isinstance(err, UplinkUnreachableError):
            return RegistryError(
                503,
                f"The uplink registry {self.uplink.url} cannot be reached ({err}) and {what} is not cached here.",
            )
        return RegistryError(
            502, f"The uplink registry {self.uplink.url} failed ({err}) and {what} is not cached here."
        )

    async def _shared(self, key: tuple[str, str, str], start: Callable[[], Awaitable[T]]) -> T:
        """Run `start()` once for all concurrent callers with the same key; a caller that goes
        away (a closed connection) does not cancel it for the others."""
        existing = self._inflight.get(key)
        if existing is None:
            future: asyncio.Future[T] = asyncio.ensure_future(start())
            self._inflight[key] = cast("asyncio.Future[object]", future)
            future.add_done_callback(lambda done: self._settled(key, done))
        else:
            future = cast("asyncio.Future[T]", existing)
        return await asyncio.shield(future)

    def _settled(self, key: tuple[str, str, str], done: asyncio.Future[Any]) -> None:
        self._inflight.pop(key, None)
        if not done.cancelled():
            done.exception()  # retrieved, so nobody logs "exception was never retrieved"


class _UplinkAnswerError(Exception):
    """The uplink answered, but not usefully (a 5xx, an unexpected status, not a packument)."""


def _dist_of(document: JsonObject, path: str) -> tuple[str | None, JsonObject]:
    for version, doc in object_field(document, "versions").items():
        if isinstance(doc, dict):
            dist = object_field(doc, "dist")
            if dist.get("tarball") == path:
                return version, dist
    return None, {}


def _verify(data: bytes, dist: JsonObject) -> tuple[str, str]:
    """Check the bytes against the packument's integrity (else its shasum); return the sha512
    integrity and sha1 shasum to record."""
    expected = dist.get("integrity")
    shasum = dist.get("shasum")
    if isinstance(expected, str) and integrity.Integrity.parse(expected):
        integrity.verify(data, expected)
    elif isinstance(shasum, str) and shasum:
        integrity.verify(data, integrity.from_hex(shasum, "sha1"))
    else:
        raise IntegrityError("the packument gives neither an integrity nor a shasum", code="EINTEGRITY")
    sri = str(integrity.compute(data, ("sha512",)))
    return sri, hashlib.sha1(data).hexdigest()
