"""The registry client's own HTTP/1.1 client against scripted servers on 127.0.0.1: body framings,
content codings, keep-alive and its failures, and the node-style errors they become."""

from __future__ import annotations

import asyncio
import gzip
import socket
import zlib
from collections.abc import Awaitable, Callable

import pytest

from snpm.errors import NetworkError
from snpm.registry_client.http1 import ConnectError, DisconnectedError, Http1Pool, PayloadError
from snpm.registry_client.responses import network_error

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _read_request(reader: asyncio.StreamReader) -> bytes:
    return await reader.readuntil(b"\r\n\r\n")


class Server:
    """Answers each request with the next scripted raw response; counts connections."""

    def __init__(self, responses: list[bytes], *, close_after: bool = False) -> None:
        self.responses = list(responses)
        self.close_after = close_after
        self.connections = 0
        self.requests: list[bytes] = []
        self.port = 0
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> Server:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while self.responses:
                self.requests.append(await _read_request(reader))
                writer.write(self.responses.pop(0))
                await writer.drain()
                if self.close_after:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def run(coro: Awaitable[object]) -> object:
    async def main() -> object:
        return await coro

    return asyncio.run(main())


async def _get(pool: Http1Pool, url: str, method: str = "GET") -> tuple[int, list[tuple[str, str]], bytes]:
    response = await pool.request(method, url, {"accept": "*/*"}, ssl_context=None, timeout=5)
    try:
        return response.status, response.headers, await response.read()
    finally:
        response.release()


def _ok(body: bytes, *extra: str) -> bytes:
    head = ["HTTP/1.1 200 OK", f"Content-Length: {len(body)}", *extra]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def test_content_length_bodies_reuse_one_connection() -> None:
    async def main() -> None:
        async with Server([_ok(b"one"), _ok(b"two"), _ok(b"")]) as server:
            pool = Http1Pool(limit_per_host=4)
            assert (await _get(pool, server.url + "a"))[2] == b"one"
            assert (await _get(pool, server.url + "b?x=1"))[2] == b"two"
            assert (await _get(pool, server.url + "c"))[2] == b""
            await pool.close()
            assert server.connections == 1
            first = server.requests[1].decode()
            assert first.startswith("GET /b?x=1 HTTP/1.1\r\n") and f"Host: 127.0.0.1:{server.port}" in first

    run(main())


def test_chunked_body_with_extensions_and_trailers() -> None:
    raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\nwiki\r\n6\r\npedia \r\n0\r\nX-Trailer: y\r\n\r\n"

    async def main() -> None:
        async with Server([raw, _ok(b"next")]) as server:
            pool = Http1Pool(limit_per_host=1)
            assert (await _get(pool, server.url))[2] == b"wikipedia "
            assert (await _get(pool, server.url))[2] == b"next"  # the connection stayed usable
            assert server.connections == 1
            await pool.close()

    run(main())


@pytest.mark.parametrize(
    ("coding", "encode"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data)[2:-4]),  # raw deflate, without the zlib wrapper
    ],
)
def test_content_codings_are_decoded(coding: str, encode: Callable[[bytes], bytes]) -> None:
    body = b"packument " * 1000

    async def main() -> None:
        async with Server([_ok(encode(body), f"Content-Encoding: {coding}")]) as server:
            pool = Http1Pool(limit_per_host=1)
            assert (await _get(pool, server.url))[2] == body
            await pool.close()

    run(main())


def test_a_body_up_to_the_end_of_the_connection() -> None:
    raw = b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it"

    async def main() -> None:
        async with Server([raw], close_after=True) as server:
            pool = Http1Pool(limit_per_host=1)
            assert (await _get(pool, server.url))[2] == b"all of it"
            await pool.close()

    run(main())


def test_no_body_for_head_204_304_and_interim_answers_are_skipped() -> None:
    responses = [
        b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n",  # HEAD: the length is the GET's
        b"HTTP/1.1 204 No Content\r\n\r\n",
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 304 Not Modified\r\nETag: x\r\n\r\n",
        _ok(b"after"),
    ]

    async def main() -> None:
        async with Server(responses) as server:
            pool = Http1Pool(limit_per_host=1)
            assert await _get(pool, server.url, "HEAD") == (200, [("Content-Length", "99")], b"")
            assert (await _get(pool, server.url))[:1] == (204,)
            status, headers, body = await _get(pool, server.url)
            assert (status, headers, body) == (304, [("ETag", "x")], b"")
            assert (await _get(pool, server.url))[2] == b"after"
            assert server.connections == 1
            await pool.close()

    run(main())


def test_a_connection_the_server_closed_is_replaced_transparently() -> None:
    async def main() -> None:
        async with Server([_ok(b"first"), _ok(b"second")], close_after=True) as server:
            pool = Http1Pool(limit_per_host=1)
            assert (await _get(pool, server.url))[2] == b"first"
            await asyncio.sleep(0.05)  # the server has closed the idle connection by now
            assert (await _get(pool, server.url))[2] == b"second"
            assert server.connections == 2
            await pool.close()

    run(main())


def test_failures_become_node_errors() -> None:
    url_of: dict[str, str] = {}

    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.close()

    async def short(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf")
        await writer.drain()
        writer.close()

    async def main() -> None:
        pool = Http1Pool(limit_per_host=2)
        for name, handler in (("hang", hang_up), ("short", short)):
            server = await asyncio.start_server(handler, "127.0.0.1", 0)
            url_of[name] = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/x"
        with pytest.raises(DisconnectedError) as hung:
            await _get(pool, url_of["hang"])
        hang = network_error(url_of["hang"], hung.value)
        assert (hang.code, hang.message) == (
            "ECONNRESET",
            f"request to {url_of['hang']} failed, reason: socket hang up",
        )
        with pytest.raises(PayloadError) as cut:
            await _get(pool, url_of["short"])
        payload = network_error(url_of["short"], cut.value)
        assert payload.code == "ECONNRESET"
        assert payload.message.startswith(f"Invalid response body while trying to fetch {url_of['short']}: ")
        # a port nobody listens on
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
        refused_url = f"http://127.0.0.1:{port}/x"
        with pytest.raises(ConnectError) as refused:
            await _get(pool, refused_url)
        error = network_error(refused_url, refused.value)
        assert isinstance(error, NetworkError)
        assert (error.code, error.message) == (
            "ECONNREFUSED",
            f"request to {refused_url} failed, reason: connect ECONNREFUSED 127.0.0.1:{port}",
        )
        await pool.close()

    run(main())


def test_a_failed_lookup_is_enotfound(monkeypatch: pytest.MonkeyPatch) -> None:
    async def no_such_host(*args: object, **kwargs: object) -> object:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    async def main() -> None:
        loop = asyncio.get_running_loop()
        monkeypatch.setattr(loop, "getaddrinfo", no_such_host)
        pool = Http1Pool(limit_per_host=1)
        with pytest.raises(ConnectError) as info:
            await _get(pool, "http://nowhere.test/x")
        error = network_error("http://nowhere.test/x", info.value)
        assert (error.code, error.message) == (
            "ENOTFOUND",
            "request to http://nowhere.test/x failed, reason: getaddrinfo ENOTFOUND nowhere.test",
        )

    run(main())
