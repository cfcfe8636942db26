"""One HTTP exchange on the wire, with make-fetch-happen's retry policy around it (remote.js).

`send_with_retries` is the `remote` of the HTTP cache: it sends the request, and for non-POST requests
retries network errors and 408/420/429/5xx answers after promise-retry's back-off
(`min(minTimeout * factor**attempt, maxTimeout)`, no randomisation), returning the last answer once the
retries are spent. npm's one exception is kept: a request timeout is retried, while an error whose
code is in RETRY_ERRORS *and* whose type is `request-timeout` is not (no error has both today).

Requests go out through the transport's own HTTP/1.1 client (`http1`) when they can (GETs and HEADs
without a proxy or an injected session), else through aiohttp. `WireResponse.read()` reads the body in chunks; when an integrity is expected it hashes each chunk as
it arrives (ssri's integrity stream) and raises EINTEGRITY after the last one.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Protocol
from urllib.parse import unquote, urlsplit, urlunsplit

from snpm.errors import NetworkError, SnpmError
from snpm.integrity import Hasher
from snpm.registry_client.auth import url_host
from snpm.registry_client.responses import idle_timeout_error, network_error, request_timeout_error

if TYPE_CHECKING:
    import aiohttp
    import yarl

    from snpm.registry_client.transport import Transport

__all__ = ["WireResponse", "retry_delays", "send_once", "send_with_retries"]

RETRY_STATUSES = frozenset({408, 420, 429})
# make-fetch-happen's RETRY_ERRORS: retried unless the error's type is also in RETRY_TYPES.
_RETRY_ERRORS = frozenset(
    {
        "ECONNRESET",
        "ECONNREFUSED",
        "EADDRINUSE",
        "ETIMEDOUT",
        "ECONNECTIONTIMEOUT",
        "EIDLETIMEOUT",
        "ERESPONSETIMEOUT",
        "ETRANSFERTIMEOUT",
    }
)
_CHUNK = 1 << 16

LogFn = Callable[[str, str, str], None]


def retry_delays(retries: int, factor: float, min_timeout_ms: int, max_timeout_ms: int) -> list[float]:
    """promise-retry's timeouts in seconds, one per retry, ascending."""
    delays = [
        min(round(max(min_timeout_ms, 1) * factor**attempt), max_timeout_ms) / 1000
        for attempt in range(retries)
    ]
    return sorted(delays)


def _joined_headers(raw: Mapping[str, list[str]]) -> dict[str, str]:
    # WHATWG Headers.get joins repeated headers with ", ".
    return {name: ", ".join(values) for name, values in raw.items()}


class RawResponse(Protocol):
    """What a WireResponse reads from: an http1 response, or aiohttp's through `_AiohttpResponse`."""

    @property
    def status(self) -> int: ...
    @property
    def reason(self) -> str: ...
    @property
    def headers(self) -> list[tuple[str, str]]: ...
    def iter_chunked(self, size: int) -> AsyncIterator[bytes]: ...
    async def read(self) -> bytes: ...
    def release(self) -> None: ...


class _AiohttpResponse:
    """aiohttp's ClientResponse as a RawResponse."""

    __slots__ = ("_response", "headers", "reason", "status")

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response
        self.status = response.status
        self.reason = response.reason or ""
        self.headers = list(response.headers.items())

    def iter_chunked(self, size: int) -> AsyncIterator[bytes]:
        return self._response.content.iter_chunked(size)

    async def read(self) -> bytes:
        return await self._response.read()

    def release(self) -> None:
        self._response.release()


class WireResponse:
    """A network answer: status and headers now, the body on `read()` (once)."""

    __slots__ = (
        "_body",
        "_expected",
        "_algorithms",
        "_response",
        "_timeout_host",
        "attempts",
        "computed_integrity",
        "headers",
        "raw_headers",
        "reason",
        "status",
        "url",
    )

    def __init__(
        self,
        response: RawResponse,
        url: str,
        attempts: int,
        *,
        integrity: str | None = None,
        algorithms: tuple[str, ...] = ("sha512",),
    ) -> None:
        self._response = response
        self.url = url
        self.status = response.status
        self.reason = response.reason or ""
        raw: dict[str, list[str]] = {}
        for name, value in response.headers:
            raw.setdefault(name.lower(), []).append(value)
        self.raw_headers = raw
        self.headers = _joined_headers(raw)
        self.attempts = attempts
        # make-fetch-happen only checks integrity on a 200.
        self._expected = integrity if response.status == 200 else None
        self._algorithms = algorithms
        self._timeout_host = url_host(url)
        self._body: bytes | None = None
        self.computed_integrity: str | None = None

    async def read(self) -> bytes:
        if self._body is not None:
            return self._body
        hasher = Hasher(self._algorithms, expected=self._expected) if self._expected else None
        chunks: list[bytes] = []
        try:
            if hasher is None:
                chunks.append(await self._response.read())
            else:
                # ssri's integrity stream: hash each chunk as it arrives
                async for chunk in self._response.iter_chunked(_CHUNK):
                    hasher.update(chunk)
                    chunks.append(chunk)
        except TimeoutError:
            raise idle_timeout_error(self.url, self._timeout_host) from None
        except SnpmError:
            raise
        except Exception as err:  # payload/connection errors
            raise network_error(self.url, err) from None
        finally:
            self._response.release()
        body = b"".join(chunks)
        if hasher is not None:
            hasher.verify()
            self.computed_integrity = str(hasher.digest())
        self._body = body
        return body

    def discard(self) -> None:
        """Give the connection back without reading (a retried answer)."""
        self._response.release()


async def send_once(
    transport: Transport,
    method: str,
    url: str,
    *,
    headers: Mapping[str, str],
    body: bytes | None,
    attempt: int,
    cert: str | None,
    key: str | None,
    timeout_ms: int | None,
    integrity: str | None,
    algorithms: tuple[str, ...],
) -> WireResponse:
    proxy, proxy_headers = transport.proxy_options(url)
    if proxy_headers and not url.startswith("https:"):
        # A plain-http request goes to the proxy as it is: its credentials ride on the request itself
        # (aiohttp sends `proxy_headers` only on a CONNECT).
        headers = {**headers, **{k.lower(): v for k, v in proxy_headers.items()}}
        proxy_headers = None
    parts = urlsplit(url)
    if parts.username is not None:
        # node sends a URL's userinfo as Basic auth unless an Authorization header is already set.
        netloc = parts.netloc.rpartition("@")[2]
        if "authorization" not in headers:
            userinfo = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
            headers = {
                **headers,
                "authorization": "Basic " + base64.b64encode(userinfo.encode()).decode("ascii"),
            }
        url_to_send = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    else:
        url_to_send = url
    try:
        raw: RawResponse
        if proxy is None and body is None and transport.uses_http1(method):
            raw = await transport.http1.request(
                method,
                url_to_send,
                headers,
                ssl_context=transport.ssl_context_for(url, cert, key),
                timeout=transport.timeout_seconds(timeout_ms),
                ssl_fallback=transport.ssl_fallback(url, cert, key),
            )
        else:
            import yarl

            target: yarl.URL = yarl.URL(url_to_send, encoded=True)
            response = await transport.session.request(
                method,
                target,
                headers=headers,
                data=body,
                allow_redirects=False,
                proxy=proxy,
                proxy_headers=proxy_headers,
                ssl=transport.ssl_for(url, cert, key),
                timeout=transport.timeout(timeout_ms),
            )
            raw = _AiohttpResponse(response)
    except TimeoutError:
        raise request_timeout_error(url) from None
    except SnpmError:
        raise
    except Exception as err:  # aiohttp/OS errors of any kind become node-style network errors
        raise network_error(url, err) from None
    return WireResponse(raw, url, attempt, integrity=integrity, algorithms=algorithms)


async def send_with_retries(
    send: Callable[[int], Awaitable[WireResponse]],
    *,
    method: str,
    delays: list[float],
    log: LogFn | None,
    shown_url: str,
) -> WireResponse:
    """Call `send(attempt)` until it succeeds or the retries are spent (make-fetch-happen remote.js)."""
    attempt = 1
    while True:
        can_retry = method != "POST" and attempt <= len(delays)
        try:
            response = await send(attempt)
        except NetworkError as err:
            retry_type = (err.extra or {}).get("type")
            unretriable = err.code == "EINVALIDPROXY"  # the agent throws it before any attempt
            if (
                not can_retry
                or unretriable
                or (err.code in _RETRY_ERRORS and retry_type == "request-timeout")
            ):
                raise
            if log is not None:
                log("http", "fetch", f"{method} {shown_url} attempt {attempt} failed with {err.code}")
        else:
            if not can_retry or not (response.status in RETRY_STATUSES or response.status >= 500):
                return response
            response.discard()
            if log is not None:
                log("http", "fetch", f"{method} {shown_url} attempt {attempt} failed with {response.status}")
        await asyncio.sleep(delays[attempt - 1])
        attempt += 1
