"""Hook deliveries over HTTP: `services.hook_delivery.WebhookSender` on one aiohttp session per worker.

Redirects are not followed (the status is recorded as the endpoint's answer), at most 64 KiB of an
answer is read, and every failure to get an answer (refused, reset, timed out, unresolvable, a bad
URL) is status 0, which the deliverer retries. Proxies come from HTTP(S)_PROXY/NO_PROXY, as for
the uplink. The session is made on first use, inside the running loop.
"""

from __future__ import annotations

from collections.abc import Mapping

import aiohttp

__all__ = ["HttpWebhookSender"]

_DNS_TTL = 300
_CONNECTIONS = 32
_READ_AT_MOST = 64 * 1024


class HttpWebhookSender:
    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=_CONNECTIONS, ttl_dns_cache=_DNS_TTL, keepalive_timeout=30)
            self._session = aiohttp.ClientSession(connector=connector, trust_env=True)
        return self._session

    async def post(self, url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> int:
        try:
            async with self._client().post(
                url,
                data=body,
                headers=dict(headers),
                timeout=aiohttp.ClientTimeout(total=timeout),
                allow_redirects=False,
            ) as response:
                await response.content.read(_READ_AT_MOST)
                return response.status
        except (TimeoutError, aiohttp.ClientError, OSError, ValueError):
            return 0

    async def close(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()
