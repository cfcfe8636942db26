"""Rendering stored packuments for a client: absolute tarball URLs, full or corgi form, and an ETag.

Documents are stored with `dist.tarball` relative to the registry, because the URL a client must
use depends on how it reached the server (Host, X-Forwarded-*, or the configured public URL). The
rendered bytes are cached per (name, revision, base URL, form) within a byte budget, so a busy
package is encoded once per change, and the ETag is derived from the same key, so a conditional GET
— or any GET of a package rendered before — is answered from the revision alone, without reading
the document. A packument cached from the uplink in corgi form (`corgi_source`) is served as the
uplink sent it, only with this registry's tarball URLs.

npm asks with `Accept-Encoding: gzip` (as npmjs answers): the gzipped body is made once per
rendering, when first asked for (in a thread when it is large), and kept beside it.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
from collections import OrderedDict

import msgspec

from snpm.json_types import JsonObject
from snpm.packument import ABBREVIATED_MEDIA_TYPE, abbreviate, object_field
from snpm.registry_server.storage.base import StoredPackage

__all__ = ["GZIP_MIN_BYTES", "PackumentRenderer", "RenderedPackument", "absolute_tarballs"]

_encoder = msgspec.json.Encoder()


class RenderedPackument(msgspec.Struct, frozen=True):
    body: bytes
    etag: str
    content_type: str
    key: tuple[str, str, str, bool] = ("", "", "", False)


def _absolute(base_url: str, tarball: str) -> str:
    if tarball.startswith(("http://", "https://")):
        return tarball
    return f"{base_url.rstrip('/')}/{tarball.lstrip('/')}"


def absolute_version(document: JsonObject, base_url: str) -> JsonObject:
    out = dict(document)
    dist = object_field(document, "dist")
    if dist:
        tarball = dist.get("tarball")
        out["dist"] = {**dist, "tarball": _absolute(base_url, tarball if isinstance(tarball, str) else "")}
    return out


def absolute_tarballs(package: StoredPackage, base_url: str) -> JsonObject:
    """The full packument as served: `_id`, `_rev`, then the document with absolute tarball URLs."""
    document = package.document
    out: JsonObject = {"_id": package.name, "_rev": package.rev}
    out.update(document)
    out["versions"] = {
        version: absolute_version(doc, base_url) if isinstance(doc, dict) else doc
        for version, doc in object_field(document, "versions").items()
    }
    return out


# below this, gzip saves too little to be worth a header; above the second, compress off the loop
GZIP_MIN_BYTES = 1024
_GZIP_IN_THREAD = 256 * 1024


class PackumentRenderer:
    def __init__(self, max_bytes: int = 64 * 1024 * 1024) -> None:
        self._max_bytes = max_bytes
        self._used = 0
        self._cache: OrderedDict[tuple[str, str, str, bool], RenderedPackument] = OrderedDict()
        # etag → gzipped body of a cached rendering
        self._gzipped: dict[str, bytes] = {}

    async def gzipped(self, rendered: RenderedPackument) -> bytes:
        """The rendering's body, gzipped (made once per rendering while it stays cached)."""
        found = self._gzipped.get(rendered.etag)
        if found is not None:
            return found
        if len(rendered.body) > _GZIP_IN_THREAD:
            data = await asyncio.to_thread(gzip.compress, rendered.body, 6, mtime=0)
        else:
            data = gzip.compress(rendered.body, 6, mtime=0)
        if self._cache.get(rendered.key) is rendered:
            self._gzipped[rendered.etag] = data
            self._used += len(data)
        return data

    @staticmethod
    def etag(rev: str, base_url: str, abbreviated: bool) -> str:
        digest = hashlib.blake2b(
            f"{rev}\0{base_url}\0{int(abbreviated)}".encode(), digest_size=16
        ).hexdigest()
        return f'"{digest}"'

    def cached(self, name: str, rev: str, base_url: str, abbreviated: bool) -> RenderedPackument | None:
        """The rendering of this revision, if it is still in the cache."""
        key = (name, rev, base_url, abbreviated)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
        return cached

    def render(
        self, package: StoredPackage, base_url: str, abbreviated: bool, *, corgi_source: bool = False
    ) -> RenderedPackument:
        cached = self.cached(package.name, package.rev, base_url, abbreviated)
        if cached is not None:
            return cached
        full = absolute_tarballs(package, base_url)
        if corgi_source and abbreviated:
            document = {k: v for k, v in full.items() if k not in ("_id", "_rev")}
        else:
            document = abbreviate(full) if abbreviated else full
        rendered = RenderedPackument(
            body=_encoder.encode(document),
            etag=self.etag(package.rev, base_url, abbreviated),
            content_type=ABBREVIATED_MEDIA_TYPE if abbreviated or corgi_source else "application/json",
            key=(package.name, package.rev, base_url, abbreviated),
        )
        self._store((package.name, package.rev, base_url, abbreviated), rendered)
        return rendered

    def _store(self, key: tuple[str, str, str, bool], rendered: RenderedPackument) -> None:
        size = len(rendered.body)
        if size > self._max_bytes // 8:
            return  # one huge document must not flush everything else
        self._cache[key] = rendered
        self._used += size
        while self._used > self._max_bytes and self._cache:
            _, dropped = self._cache.popitem(last=False)
            self._used -= len(dropped.body) + len(self._gzipped.pop(dropped.etag, b""))
