"""One request through the HTTP cache or straight to the wire, then redirects (make-fetch-happen's
fetch.js): the layer between RegistryClient's request building and wire.py's retries.

Each redirect hop goes through the cache again (its own cache key); `authorization` and `cookie` are
dropped when the host *name* changes (another port or scheme keeps them, as in make-fetch-happen);
a 303, or a 301/302 answering a POST, continues as a GET without a body. Non-GET answers of 2xx/3xx
invalidate the URL's cache entries. The cache is reached through the `HttpCacheLike` protocol
(implemented by snpm.cache.http_cache.HttpCache, which this package may not import).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Protocol
from urllib.parse import urljoin, urlsplit

import msgspec

from snpm.errors import SnpmError
from snpm.integrity import compute
from snpm.redact import redact
from snpm.registry_client.auth import Auth
from snpm.registry_client.settings import CacheMode
from snpm.registry_client.transport import Transport
from snpm.registry_client.wire import LogFn, WireResponse, send_once, send_with_retries

__all__ = ["Answer", "CachedAnswer", "Exchange", "HttpCacheLike"]

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_MAX_REDIRECTS = 20  # minipass-fetch's `follow`


class CachedAnswer(Protocol):
    """What the HTTP cache answers (snpm.cache.http_cache.CacheResult)."""

    @property
    def status(self) -> int: ...
    @property
    def url(self) -> str: ...
    @property
    def headers(self) -> Mapping[str, str]: ...
    @property
    def body(self) -> bytes: ...
    @property
    def cache_status(self) -> str | None: ...
    @property
    def integrity(self) -> str | None: ...
    @property
    def from_network(self) -> bool: ...


class HttpCacheLike(Protocol):
    """The HTTP cache as the client uses it (implemented by snpm.cache.http_cache.HttpCache)."""

    async def fetch(
        self,
        url: str,
        *,
        headers: Mapping[str, str],
        remote: Callable[[Mapping[str, str]], Awaitable[WireResponse]],
        method: str = ...,
        mode: CacheMode = ...,
        integrity: str | None = ...,
        algorithms: Sequence[str] = ...,
    ) -> CachedAnswer: ...

    def invalidate(self, url: str) -> None: ...


class Answer(msgspec.Struct, frozen=True):
    """One final answer (after redirects), any status, body read; `raw_headers` as node's raw()."""

    status: int
    url: str
    headers: Mapping[str, str]
    raw_headers: Mapping[str, list[str]]
    reason: str
    body: bytes
    cache_status: str | None
    integrity: str | None
    attempts: int


class Exchange:
    """Sends requests for one client: its transport, optional cache, retry delays and log."""

    def __init__(
        self, transport: Transport, cache: HttpCacheLike | None, delays: list[float], log: LogFn | None
    ) -> None:
        self._transport = transport
        self.cache = cache
        self._delays = delays
        self._log = log

    async def run(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str],
        body: bytes | None,
        mode: CacheMode,
        auth: Auth,
        integrity: str | None,
        algorithms: tuple[str, ...],
        compute_integrity: bool,
        timeout_ms: int | None,
    ) -> Answer:
        """make-fetch-happen fetch.js: one hop through the cache or the wire, then redirects."""
        for _ in range(_MAX_REDIRECTS + 1):
            answer = await self._one_hop(
                method,
                url,
                headers=headers,
                body=body,
                mode=mode,
                auth=auth,
                integrity=integrity,
                algorithms=algorithms,
                compute_integrity=compute_integrity,
                timeout_ms=timeout_ms,
            )
            if method not in ("GET", "HEAD") and 200 <= answer.status <= 399 and self.cache is not None:
                self.cache.invalidate(url)
            if answer.status not in _REDIRECT_STATUSES:
                return answer
            location = answer.headers.get("location")
            if not location:
                raise SnpmError(
                    f"redirect location header missing for: {redact(url)}", code="EINVALIDREDIRECT"
                )
            target = urljoin(url, location)
            if urlsplit(target).hostname != urlsplit(url).hostname:
                headers = {k: v for k, v in headers.items() if k not in ("authorization", "cookie")}
            if answer.status == 303 or (method == "POST" and answer.status in (301, 302)):
                method, body = "GET", None
                headers = {k: v for k, v in headers.items() if k != "content-length"}
            url = target
        raise SnpmError(f"maximum redirect reached at: {redact(url)}", code="EMAXREDIRECT")

    async def _one_hop(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        body: bytes | None,
        mode: CacheMode,
        auth: Auth,
        integrity: str | None,
        algorithms: tuple[str, ...],
        compute_integrity: bool,
        timeout_ms: int | None,
    ) -> Answer:
        wires: list[WireResponse] = []
        shown_url = redact(url)
        hash_body = integrity if integrity else None

        async def remote(request_headers: Mapping[str, str]) -> WireResponse:
            # Transport headers are added here, not stored in the cache (make-fetch-happen's Request
            # does not carry them either).
            send_headers = {"accept": "*/*", **request_headers, "accept-encoding": "gzip,deflate"}

            async def attempt(number: int) -> WireResponse:
                return await send_once(
                    self._transport,
                    method,
                    url,
                    headers=send_headers,
                    body=body,
                    attempt=number,
                    cert=auth.cert,
                    key=auth.key,
                    timeout_ms=timeout_ms,
                    integrity=hash_body,
                    algorithms=algorithms,
                )

            wire = await send_with_retries(
                attempt,
                method=method,
                delays=self._delays,
                log=self._log,
                shown_url=shown_url,
            )
            wires.append(wire)
            return wire

        if self.cache is not None and method in ("GET", "HEAD"):
            cached = await self.cache.fetch(
                url,
                headers=headers,
                remote=remote,
                method=method,
                mode=mode,
                integrity=integrity,
                algorithms=algorithms,
            )
            wire = wires[-1] if cached.from_network and wires else None
            status, answer_body, cache_status = cached.status, cached.body, cached.cache_status
            answer_headers = dict(cached.headers)
            known_integrity = cached.integrity or (wire.computed_integrity if wire else None)
        else:
            wire = await remote(headers)
            answer_body = await wire.read()
            status, cache_status = wire.status, None
            answer_headers = dict(wire.headers)
            known_integrity = wire.computed_integrity
        if compute_integrity and status == 200 and not known_integrity:
            known_integrity = str(compute(answer_body, algorithms))
        raw = wire.raw_headers if wire is not None else {k: [v] for k, v in answer_headers.items()}
        return Answer(
            status=status,
            url=url,
            headers=answer_headers,
            raw_headers=raw,
            reason=wire.reason if wire is not None else "",
            body=answer_body,
            cache_status=cache_status,
            integrity=known_integrity,
            attempts=wire.attempts if wire is not None else 1,
        )
