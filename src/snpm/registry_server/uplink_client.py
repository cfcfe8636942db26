"""The uplink over HTTP: one aiohttp session per process, with a DNS cache and pooled connections.

Implements `services.uplink_cache.Uplink`. Packuments are asked for as npm asks (`Accept` of the
full or the corgi form, `If-None-Match` with the cached ETag); tarballs are read whole, up to a size
limit, so they can be verified before anything is stored. Network failures (refused, reset, timed
out, unresolvable) become `UplinkUnreachableError`; a pooled connection the uplink closed meanwhile is
retried once. The session is made on first use (inside the running loop) and closed with the app.
"""

from __future__ import annotations

import aiohttp

from snpm import __version__
from snpm.packument import ABBREVIATED_ACCEPT, FULL_ACCEPT
from snpm.registry_server.services.uplink_cache import UplinkReply, UplinkUnreachableError
from snpm.spec import escape_name

__all__ = ["HttpUplink"]

# Resolve the uplink's host rarely: lookups are slow on some networks and a registry asks often.
_DNS_TTL = 600
_CONNECTIONS = 64


class HttpUplink:
    def __init__(self, url: str, *, timeout: float) -> None:
        self.url = url if url.endswith("/") else url + "/"
        self._timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=_CONNECTIONS, ttl_dns_cache=_DNS_TTL, use_dns_cache=True, keepalive_timeout=30
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(total=self._timeout, connect=min(self._timeout, 10.0)),
                headers={"User-Agent": f"snpm-registry/{__version__}"},
                trust_env=True,  # HTTP(S)_PROXY and NO_PROXY, as npm honours them
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()

    async def packument(self, name: str, *, corgi: bool, etag: str | None) -> UplinkReply:
        headers = {"Accept": ABBREVIATED_ACCEPT if corgi else FULL_ACCEPT}
        if etag:
            headers["If-None-Match"] = etag
        return await self._get(self.url + escape_name(name), headers, max_size=None)

    async def tarball(self, url: str, *, max_size: int) -> UplinkReply:
        return await self._get(url, {"Accept": "*/*"}, max_size=max_size)

    async def _get(self, url: str, headers: dict[str, str], *, max_size: int | None) -> UplinkReply:
        for attempt in (1, 2):
            try:
                async with self._client().get(url, headers=headers) as response:
                    etag = response.headers.get("ETag")
                    if response.status != 200:
                        await response.release()
                        return UplinkReply(response.status, b"", etag)
                    if max_size is not None and (response.content_length or 0) > max_size:
                        return UplinkReply(413)
                    body = await self._read(response, max_size)
                    if body is None:
                        return UplinkReply(413)
                    return UplinkReply(200, body, etag, response.headers.get("Content-Type"))
            except aiohttp.ServerDisconnectedError as err:
                if attempt == 2:
                    raise UplinkUnreachableError(f"{type(err).__name__}: {err}") from err
            except (TimeoutError, aiohttp.ClientError, OSError) as err:
                raise UplinkUnreachableError(str(err) or type(err).__name__) from err
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    async def _read(response: aiohttp.ClientResponse, max_size: int | None) -> bytes | None:
        if max_size is None:
            return await response.read()
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.content.iter_chunked(256 * 1024):
            size += len(chunk)
            if size > max_size:
                return None
            chunks.append(chunk)
        return b"".join(chunks)
