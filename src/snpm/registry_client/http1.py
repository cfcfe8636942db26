"""A small keep-alive HTTP/1.1 client for the registry's GETs, on asyncio's own streams.

Why not aiohttp for these: importing aiohttp costs ~0.15-0.2 s of CPU on every run that talks to a
registry (its import builds two TLS contexts, each loading the system CA bundle), several times
what the requests of an up-to-date install cost themselves; and its per-request overhead is a
multiple of this client's. aiohttp stays for everything else (other methods, proxies, an injected
session): see `Transport.uses_http1`.

What it does, as @npmcli/agent and minipass-fetch do for npm:
- keep-alive: at most `limit_per_host` connections per origin (scheme, host, port, TLS settings),
  idle ones reused, most recent first; a reused connection the server closed meanwhile is retried
  once on a fresh one (nothing was received, so nothing is lost);
- DNS: one lookup per host per process (cached 5 minutes, like node's), concurrent lookups of one
  host folded into one (this machine's resolver stalls on bursts); the addresses are tried in turn;
- bodies by Content-Length, chunked transfer coding, or up to the end of the connection; gzip and
  deflate content codings are decoded (we send `accept-encoding: gzip,deflate`);
- timeouts: the connect, and every read (an idle socket), get the same limit;
- late answers: a GET or HEAD whose server has sent nothing for several times the origin's usual
  time to answer is sent again on another connection, and the first answer wins (a "hedged"
  request). Why: registries answer most requests in a few ms and a few percent after tens or
  hundreds (here: 3-4% take ~70 ms instead of ~1.5 ms, at any concurrency), and a resolution waits
  for its packuments level by level, so each late one stalls the whole install. Only while at most
  a third of the connections' answers are awaited (otherwise one late answer holds little up), and
  at most one request in ten (plus two): a server slow for everyone gets little extra load. The
  late attempt's connection is closed (it cannot be reused before its answer).

Size: one client whose parts share the connection state: the pool and its limits, the exchange and
the body framings, and the hedging that watches an exchange and cuts it off.

Failures are raised as `ConnectError` (no connection could be made: its `os_error` is the cause),
`DisconnectedError` (the connection closed before a response), `PayloadError` (the body ended early or
is malformed) or TimeoutError; `snpm.registry_client.responses.network_error` turns them into
node's error codes.
"""

from __future__ import annotations

import asyncio
import functools
import select
import socket
import ssl
import time
import zlib
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Final
from urllib.parse import urlsplit

__all__ = ["ConnectError", "DisconnectedError", "Http1Pool", "Http1Response", "PayloadError"]

_CHUNK: Final = 1 << 16
_STREAM_LIMIT: Final = 1 << 20
_DNS_TTL: Final = 300.0
_NO_BODY_STATUSES: Final = frozenset({204, 304})
_CONNECTS_AT_ONCE: Final = 4
_IDEMPOTENT: Final = frozenset({"GET", "HEAD"})
# A request is late after _LATE_FACTOR times the origin's median time to answer (its recent
# response heads; its connects before the first), never sooner than _LATE_FLOOR nor later than
# _LATE_CEILING; nothing known yet: the ceiling.
_LATE_FACTOR: Final = 4.0
_LATE_FLOOR: Final = 0.015
_LATE_CEILING: Final = 2.0
_PACE_SAMPLES: Final = 32
_HEDGE_SHARE: Final = 0.1
_HEDGE_SPARE: Final = 2


class ConnectError(Exception):
    """No connection to `host`:`port` could be made (`os_error` says why)."""

    def __init__(self, os_error: OSError, host: str, port: int) -> None:
        super().__init__(str(os_error))
        self.os_error = os_error
        self.host = host
        self.port = port


class DisconnectedError(Exception):
    """The server closed the connection before its response began."""


class PayloadError(Exception):
    """The response body ended early or is malformed."""


class _Protocol(asyncio.StreamReaderProtocol):
    """asyncio's stream protocol, noting whether and when the server first sent something since
    `heard` was last cleared (a request that has heard nothing yet may be late; `heard_at` is
    nearer the server's own answer time than when the response is read, later, in a busy loop)."""

    heard = False
    heard_at = 0.0

    def data_received(self, data: bytes) -> None:
        if not self.heard:
            self.heard = True
            self.heard_at = time.monotonic()
        super().data_received(data)


class _Connection:
    __slots__ = ("protocol", "reader", "writer")

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, protocol: _Protocol
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.protocol = protocol

    def close(self) -> None:
        self.writer.close()

    def silent(self) -> bool:
        """Nothing has come back since the request went out, not even waiting in the socket."""
        if self.protocol.heard:
            return False
        sock = self.writer.get_extra_info("socket")
        if sock is None:
            return True
        try:
            readable, _, _ = select.select([sock.fileno()], [], [], 0)
        except (OSError, ValueError):  # e.g. a descriptor past select's limit: never hedged
            return False
        return not readable


class _Pace:
    """How soon one origin usually answers, and how many of its requests were sent twice."""

    __slots__ = ("_answers", "_connects", "hedged", "requests")

    def __init__(self) -> None:
        self._answers: deque[float] = deque(maxlen=_PACE_SAMPLES)
        self._connects: deque[float] = deque(maxlen=_PACE_SAMPLES)
        self.requests = 0
        self.hedged = 0

    def answered(self, seconds: float) -> None:
        self._answers.append(seconds)

    def connected(self, seconds: float) -> None:
        self._connects.append(seconds)

    def late_after(self) -> float:
        """Connects (a few round trips) stand for answers only until a first answer came."""
        times = self._answers or self._connects
        if not times:
            return _LATE_CEILING
        median = sorted(times)[len(times) // 2]
        return min(max(_LATE_FACTOR * median, _LATE_FLOOR), _LATE_CEILING)

    def may_hedge(self) -> bool:
        return self.hedged < _HEDGE_SPARE + _HEDGE_SHARE * self.requests


class _Attempt:
    """One attempt at a request: its connection, when the request went out, and for a first
    attempt that may be hedged, the callback for when it is late and the second attempt."""

    __slots__ = ("conn", "finished", "hedge", "on_late", "sent_at", "superseded")

    def __init__(self) -> None:
        self.conn: _Connection | None = None
        self.sent_at = 0.0
        self.on_late: Callable[[], None] | None = None
        self.hedge: asyncio.Task[Http1Response] | None = None
        self.finished = False  # the request has its answer (or error) from this attempt
        self.superseded = False  # the second attempt answered first: this one was cut off


class _Origin:
    """The connections of one origin: a limit on how many exist, the idle ones, and a limit on how
    many are being opened at once (a burst of requests then mostly waits for the first connections
    to come back rather than paying a TLS handshake each: the registry answers in milliseconds)."""

    __slots__ = ("awaited", "connecting", "idle", "limit", "pace", "slots")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.awaited = 0  # GETs and HEADs waiting for their response's head
        self.slots = asyncio.Semaphore(limit)
        self.connecting = asyncio.Semaphore(min(limit, _CONNECTS_AT_ONCE))
        self.idle: list[_Connection] = []
        self.pace = _Pace()


class Http1Response:
    """Status and headers at once; the body through `read()` or `iter_chunked()`, then `release()`."""

    __slots__ = (
        "_conn",
        "_decoder",
        "_done",
        "_raw_deflate_ok",
        "_idle",
        "_mode",
        "_origin",
        "_pool",
        "_remaining",
        "_reusable",
        "headers",
        "reason",
        "status",
    )

    def __init__(
        self,
        pool: Http1Pool,
        origin: _Origin,
        conn: _Connection,
        status: int,
        reason: str,
        headers: list[tuple[str, str]],
        *,
        head: bool,
        idle_timeout: float,
        keep_alive: bool,
    ) -> None:
        self._pool = pool
        self._origin = origin
        self._conn: _Connection | None = conn
        self._idle = idle_timeout
        self.status = status
        self.reason = reason
        self.headers = headers
        lowered = {name.lower(): value for name, value in headers}
        self._reusable = keep_alive
        self._remaining = 0
        if head or status in _NO_BODY_STATUSES or 100 <= status < 200:
            self._mode = "none"
        elif "chunked" in lowered.get("transfer-encoding", "").lower():
            self._mode = "chunked"
        elif "content-length" in lowered:
            try:
                self._remaining = int(lowered["content-length"])
            except ValueError:
                raise PayloadError(f"invalid content-length {lowered['content-length']!r}") from None
            self._mode = "length"
        else:
            self._mode = "close"
            self._reusable = False
        self._done = self._mode == "none" or (self._mode == "length" and self._remaining == 0)
        coding = lowered.get("content-encoding", "").strip().lower()
        self._decoder: zlib._Decompress | None = None
        self._raw_deflate_ok = False
        if coding in ("gzip", "x-gzip"):
            self._decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif coding == "deflate":
            self._decoder = zlib.decompressobj(zlib.MAX_WBITS)
            # `deflate` is sometimes sent raw, without the zlib wrapper (browsers accept both)
            self._raw_deflate_ok = True
        if self._done:
            self._finish()

    async def read(self) -> bytes:
        parts = [chunk async for chunk in self.iter_chunked(_CHUNK)]
        return parts[0] if len(parts) == 1 else b"".join(parts)

    async def iter_chunked(self, size: int) -> AsyncIterator[bytes]:
        """The decoded body in pieces of at most about `size` bytes, as they arrive."""
        while not self._done:
            raw = await self._next_raw(size)
            if raw:
                data = self._decode(raw)
                if data:
                    yield data
        if self._decoder is not None:
            tail = self._decoder.flush()
            self._decoder = None
            if tail:
                yield tail

    def release(self) -> None:
        """Give the connection back (or close it when the body was not read to its end)."""
        conn = self._conn
        if conn is None:
            return
        self._conn = None
        self._pool._give_back(self._origin, conn, reusable=self._done and self._reusable)

    # ── body framing ──

    async def _next_raw(self, size: int) -> bytes:
        conn = self._conn
        assert conn is not None
        reader = conn.reader
        try:
            async with asyncio.timeout(self._idle):
                if self._mode == "length":
                    data = await reader.read(min(size, self._remaining))
                    if not data:
                        raise PayloadError(
                            f"Response payload is not completed: {self._remaining} bytes missing"
                        )
                    self._remaining -= len(data)
                    if not self._remaining:
                        self._finish()
                    return data
                if self._mode == "chunked":
                    return await self._next_chunk(reader)
                data = await reader.read(size)
                if not data:
                    self._finish()
                return data
        except asyncio.IncompleteReadError as err:
            raise PayloadError(f"Response payload is not completed: {err}") from None

    async def _next_chunk(self, reader: asyncio.StreamReader) -> bytes:
        if self._remaining:
            data = await reader.read(self._remaining)
            if not data:
                raise PayloadError("Response payload is not completed: chunk cut short")
            self._remaining -= len(data)
            if not self._remaining:
                await reader.readexactly(2)  # the CRLF after the chunk
            return data
        line = await reader.readline()
        if not line.endswith(b"\n"):
            raise PayloadError("Response payload is not completed: chunk size missing")
        text = line.split(b";", 1)[0].strip()
        try:
            length = int(text, 16)
        except ValueError:
            raise PayloadError(f"Not a chunk size: {text!r}") from None
        if length == 0:
            while (await reader.readline()).strip():  # trailers, then the blank line
                pass
            self._finish()
            return b""
        self._remaining = length
        return await self._next_chunk(reader)

    def _decode(self, raw: bytes) -> bytes:
        decoder = self._decoder
        if decoder is None:
            return raw
        try:
            out = decoder.decompress(raw)
        except zlib.error as err:
            if not self._raw_deflate_ok:
                raise PayloadError(f"Can not decode content-encoding: {err}") from None
            raw_decoder = zlib.decompressobj(-zlib.MAX_WBITS)
            try:
                out = raw_decoder.decompress(raw)
            except zlib.error:
                raise PayloadError(f"Can not decode content-encoding: {err}") from None
            self._decoder = raw_decoder
        self._raw_deflate_ok = False
        return out

    def _finish(self) -> None:
        self._done = True


class Http1Pool:
    """Connections of one RegistryClient. `request()` in the event loop that made the pool."""

    def __init__(self, *, limit_per_host: int, local_address: str | None = None) -> None:
        self._limit = max(1, limit_per_host)
        self._local_address = local_address
        self._origins: dict[tuple[str, str, int, int], _Origin] = {}
        self._dns: dict[tuple[str, int], tuple[float, list[tuple[int, str]]]] = {}
        self._lookups: dict[tuple[str, int], asyncio.Future[list[tuple[int, str]]]] = {}
        self._all: set[_Connection] = set()
        # id(context) → the fallback that replaced it after it failed to verify a certificate
        self._replaced: dict[int, ssl.SSLContext] = {}

    async def close(self) -> None:
        for conn in self._all:
            conn.close()
        self._all.clear()
        self._origins.clear()

    async def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        *,
        ssl_context: ssl.SSLContext | None,
        timeout: float,
        ssl_fallback: Callable[[], ssl.SSLContext] | None = None,
    ) -> Http1Response:
        """`ssl_fallback` makes the context to use instead when `ssl_context` cannot verify the
        server's certificate (see Transport.ssl_context_for: a context that loads the system's
        CAs on demand, backed by one that loads them all). A late GET or HEAD is sent twice (see
        the module docstring)."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        host = parts.hostname or ""
        port = parts.port or (443 if scheme == "https" else 80)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        host_header = f"[{host}]" if ":" in host else host
        if parts.port is not None and parts.port != (443 if scheme == "https" else 80):
            host_header += f":{parts.port}"
        lines = [f"{method} {target} HTTP/1.1", f"Host: {host_header}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        payload = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")
        key = (scheme, host, port, id(ssl_context))
        origin = self._origins.get(key)
        if origin is None:
            origin = self._origins[key] = _Origin(self._limit)
        origin.pace.requests += 1
        attempt = functools.partial(
            self._attempt, origin, host, port, payload, method, timeout, ssl_context, ssl_fallback
        )
        if method not in _IDEMPOTENT:
            return await attempt(_Attempt())
        first = _Attempt()
        first.on_late = functools.partial(self._late, origin, first, attempt)
        origin.awaited += 1
        try:
            response = await attempt(first)
        except _SupersededError:
            first.finished = True
            assert first.hedge is not None
            return first.hedge.result()  # done: its answer is what cut this attempt off
        except BaseException as err:
            first.finished = True
            hedge = first.hedge
            if hedge is None or isinstance(err, asyncio.CancelledError):
                if hedge is not None:
                    _abandon(hedge)
                raise
            try:  # this attempt failed on its own: the second one's answer, or this error
                return await hedge
            except asyncio.CancelledError:
                _abandon(hedge)
                raise
            except Exception:
                raise err from None
        finally:
            origin.awaited -= 1
        first.finished = True
        hedge = first.hedge
        if hedge is not None:
            if first.superseded:  # cut off after its head was read, before this task ran
                response.release()
                return hedge.result()
            _abandon(hedge)
        return response

    def _late(
        self,
        origin: _Origin,
        first: _Attempt,
        attempt: Callable[[_Attempt], Awaitable[Http1Response]],
    ) -> None:
        """(a loop callback) `first` has waited longer than the origin's pace allows: unless its
        answer is on its way or the registry is merely busy, send the request once more, and let
        the second attempt cut the first off if it answers first."""
        pace = origin.pace
        if (
            first.finished
            or first.conn is None
            or not first.conn.silent()
            or not pace.may_hedge()
            # with more than a third of the connections' answers awaited, one late answer holds
            # little up (and the registry, or this process, is busy): a second copy only costs
            # (measured: it slowed the medium reference project's resolution by ~9% at half)
            or origin.awaited > origin.limit // 3
        ):
            return
        pace.hedged += 1
        first.hedge = hedge = asyncio.ensure_future(attempt(_Attempt()))

        def answered(done: asyncio.Task[Http1Response]) -> None:
            if done.cancelled() or done.exception() is not None:
                return  # the first attempt goes on alone
            conn = first.conn
            if first.finished or conn is None or conn.protocol.heard:
                return  # the first answer is here, or on its way: it wins after all
            first.superseded = True
            conn.writer.transport.abort()  # wakes the first attempt's read

        hedge.add_done_callback(answered)

    async def _attempt(
        self,
        origin: _Origin,
        host: str,
        port: int,
        payload: bytes,
        method: str,
        timeout: float,
        ssl_context: ssl.SSLContext | None,
        ssl_fallback: Callable[[], ssl.SSLContext] | None,
        state: _Attempt,
    ) -> Http1Response:
        await origin.slots.acquire()
        try:
            while True:
                while origin.idle:
                    conn = origin.idle.pop()
                    try:
                        return await self._exchange(origin, conn, payload, method, timeout, state)
                    except _StaleConnectionError:
                        continue
                async with origin.connecting:
                    if origin.idle:
                        continue  # one came back while we waited to connect
                    started = time.monotonic()
                    conn = await self._connect(host, port, ssl_context, timeout, ssl_fallback)
                    origin.pace.connected(time.monotonic() - started)
                try:
                    return await self._exchange(origin, conn, payload, method, timeout, state)
                except _StaleConnectionError:
                    raise DisconnectedError("Server disconnected") from None
        except BaseException:
            origin.slots.release()
            raise

    async def _exchange(
        self,
        origin: _Origin,
        conn: _Connection,
        payload: bytes,
        method: str,
        timeout: float,
        state: _Attempt,
    ) -> Http1Response:
        """Send the request and read the response head (the slot then belongs to the response)."""
        late: asyncio.TimerHandle | None = None
        try:
            conn.protocol.heard = False
            conn.writer.write(payload)
            state.conn = conn
            state.sent_at = time.monotonic()
            if state.on_late is not None:
                late = asyncio.get_running_loop().call_later(origin.pace.late_after(), state.on_late)
            async with asyncio.timeout(timeout):
                await conn.writer.drain()
                while True:
                    try:
                        head = await conn.reader.readuntil(b"\r\n\r\n")
                    except asyncio.IncompleteReadError as err:
                        if not err.partial:
                            raise _StaleConnectionError from None
                        raise DisconnectedError("Server disconnected") from None
                    status, reason, version, headers = _parse_head(head)
                    if 100 <= status < 200 and status != 101:
                        continue  # an interim answer (100 Continue): the real one follows
                    break
        except BaseException as err:
            self._drop(conn)
            if state.superseded and not isinstance(err, asyncio.CancelledError):
                raise _SupersededError from None
            if isinstance(err, (ConnectionResetError, BrokenPipeError)):
                raise _StaleConnectionError from None
            raise
        finally:
            if late is not None:
                late.cancel()
        origin.pace.answered(conn.protocol.heard_at - state.sent_at)
        connection = ", ".join(v for n, v in headers if n.lower() == "connection").lower()
        keep_alive = "close" not in connection and (version != "HTTP/1.0" or "keep-alive" in connection)
        try:
            return Http1Response(
                self,
                origin,
                conn,
                status,
                reason,
                headers,
                head=method == "HEAD",
                idle_timeout=timeout,
                keep_alive=keep_alive,
            )
        except BaseException:
            self._drop(conn)
            raise

    def _drop(self, conn: _Connection) -> None:
        conn.close()
        self._all.discard(conn)

    def _give_back(self, origin: _Origin, conn: _Connection, *, reusable: bool) -> None:
        if reusable and not conn.writer.is_closing():
            origin.idle.append(conn)
        else:
            self._drop(conn)
        origin.slots.release()

    async def _connect(
        self,
        host: str,
        port: int,
        ssl_context: ssl.SSLContext | None,
        timeout: float,
        ssl_fallback: Callable[[], ssl.SSLContext] | None = None,
    ) -> _Connection:
        if ssl_context is not None and ssl_fallback is not None:
            replaced = self._replaced.get(id(ssl_context))
            if replaced is not None:
                return await self._connect(host, port, replaced, timeout)
            try:
                return await self._connect(host, port, ssl_context, timeout)
            except ssl.SSLCertVerificationError:
                replaced = self._replaced[id(ssl_context)] = ssl_fallback()
                return await self._connect(host, port, replaced, timeout)
        loop = asyncio.get_running_loop()
        addresses = await self._resolve(host, port)
        local = (self._local_address, 0) if self._local_address else None
        last: OSError | None = None
        for family, address in addresses:
            reader = asyncio.StreamReader(limit=_STREAM_LIMIT, loop=loop)
            protocol = _Protocol(reader, loop=loop)
            try:
                async with asyncio.timeout(timeout):
                    transport, _ = await loop.create_connection(
                        lambda protocol=protocol: protocol,
                        address,
                        port,
                        family=family,
                        ssl=ssl_context,
                        server_hostname=host if ssl_context is not None else None,
                        local_addr=local,
                    )
            except ssl.SSLError:
                raise  # a certificate problem would be the same at every address
            except OSError as err:
                last = err
                continue
            writer = asyncio.StreamWriter(transport, protocol, reader, loop)
            conn = _Connection(reader, writer, protocol)
            self._all.add(conn)
            return conn
        assert last is not None
        raise ConnectError(last, host, port)

    async def _resolve(self, host: str, port: int) -> list[tuple[int, str]]:
        key = (host, port)
        cached = self._dns.get(key)
        now = time.monotonic()
        if cached is not None and cached[0] > now:
            return cached[1]
        pending = self._lookups.get(key)
        if pending is None:
            pending = asyncio.ensure_future(self._lookup(host, port))
            self._lookups[key] = pending

            def settle(done: asyncio.Future[list[tuple[int, str]]]) -> None:
                self._lookups.pop(key, None)
                if not done.cancelled() and done.exception() is None:
                    self._dns[key] = (time.monotonic() + _DNS_TTL, done.result())

            pending.add_done_callback(settle)
        return await asyncio.shield(pending)

    async def _lookup(self, host: str, port: int) -> list[tuple[int, str]]:
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as err:
            raise ConnectError(err, host, port) from None
        seen: dict[tuple[int, str], None] = {}
        for family, _type, _proto, _name, sockaddr in infos:
            seen[(int(family), str(sockaddr[0]))] = None
        return list(seen)


def _abandon(task: asyncio.Future[Http1Response]) -> None:
    """Cancel a second attempt nobody waits for any more; a response it already has is closed."""

    def close(done: asyncio.Future[Http1Response]) -> None:
        if not done.cancelled() and done.exception() is None:
            done.result().release()

    if task.done():
        close(task)
    else:
        task.cancel()
        task.add_done_callback(close)


class _SupersededError(Exception):
    """A first attempt cut off because the second one answered first."""


class _StaleConnectionError(Exception):
    """A reused connection was closed by the server before it answered: try another one."""


def _parse_head(head: bytes) -> tuple[int, str, str, list[tuple[str, str]]]:
    text = head.decode("latin-1")
    lines = text.split("\r\n")
    status_line = lines[0]
    version, _, rest = status_line.partition(" ")
    code, _, reason = rest.partition(" ")
    if not version.startswith("HTTP/") or not code.isdigit():
        raise DisconnectedError(f"Invalid HTTP status line: {status_line!r}")
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise DisconnectedError(f"Invalid HTTP header: {line!r}")
        headers.append((name.strip(), value.strip()))
    return int(code), reason.strip(), version, headers
