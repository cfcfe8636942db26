"""The registry client's own HTTP/1.1 client against scripted servers on 127.0.0.1: body framings,
content codings, keep-alive and its failures, and the node-style errors they become."""

from __future__ import annotations

import asyncio
import gzip
import random
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


class SlowServer:
    """Answers GET /<path> with the number of the request (1, 2, …); the requests `late` names are
    answered only after `delay` seconds, or after the head's first line when `trickle` (the server
    has then begun its answer, so it is not late)."""

    def __init__(self, late: set[int], *, delay: float = 5.0, trickle: bool = False) -> None:
        self.late = late
        self.delay = delay
        self.trickle = trickle
        self.count = 0
        self.closed_early = 0
        self.port = 0

    async def __aenter__(self) -> SlowServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._server.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                await _read_request(reader)
                self.count += 1
                number = self.count
                answer = _ok(str(number).encode())
                if number in self.late:
                    if self.trickle:
                        writer.write(answer[:10])
                        await writer.drain()
                    await asyncio.sleep(self.delay)
                    if reader.at_eof():
                        self.closed_early += 1
                        return
                    if self.trickle:
                        answer = answer[10:]
                writer.write(answer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def test_a_late_get_is_sent_again_and_the_first_answer_wins() -> None:
    """The 3rd request gets no answer for 5 s: after several times the usual answer time (the
    floor, 15 ms, here), the same request goes out on another connection and its answer is used;
    the late one's connection is closed, and the pool goes on with the rest."""

    async def main() -> None:
        async with SlowServer({3}) as server:
            pool = Http1Pool(limit_per_host=4)
            assert (await _get(pool, server.url + "a"))[2] == b"1"
            assert (await _get(pool, server.url + "b"))[2] == b"2"
            loop = asyncio.get_running_loop()
            started = loop.time()
            assert (await _get(pool, server.url + "c"))[2] == b"4"
            assert loop.time() - started < 2
            assert (await _get(pool, server.url + "d"))[2] == b"5"
            await pool.close()
            assert server.count == 5

    run(main())


def test_an_answer_under_way_is_not_late_and_a_post_is_never_sent_twice() -> None:
    async def main() -> None:
        async with SlowServer({2}, delay=0.3, trickle=True) as server:
            pool = Http1Pool(limit_per_host=4)
            assert (await _get(pool, server.url + "a"))[2] == b"1"
            assert (await _get(pool, server.url + "b"))[2] == b"2"
            assert server.count == 2
            await pool.close()
        async with SlowServer({2}, delay=0.3) as server:
            pool = Http1Pool(limit_per_host=4)
            assert (await _get(pool, server.url + "a"))[2] == b"1"
            status, _, body = await _get(pool, server.url + "b", method="DELETE")
            assert (status, body, server.count) == (200, b"2", 2)
            await pool.close()

    run(main())


def test_a_server_slow_for_everyone_gets_few_requests_twice() -> None:
    """Every answer late by 150 ms after a first one in ~1 ms: at most two requests, and then one
    in ten, are sent twice; a wholly slow origin soon counts as its usual pace."""

    async def main() -> None:
        async with SlowServer(set(range(2, 200)), delay=0.15) as server:
            pool = Http1Pool(limit_per_host=4)
            bodies = [await _get(pool, server.url + f"p{i}") for i in range(10)]
            await pool.close()
            assert all(status == 200 for status, _, _ in bodies)
            assert 10 < server.count <= 10 + 2 + 1

    run(main())


def test_few_connections_are_not_hedged_and_cancelling_abandons_both_attempts() -> None:
    async def main() -> None:
        async with SlowServer({2, 4, 5}, delay=1.0) as server:
            # one connection at most (so more than a third of them busy): no second attempt
            pool = Http1Pool(limit_per_host=1)
            assert (await _get(pool, server.url + "a"))[2] == b"1"
            assert (await _get(pool, server.url + "b"))[2] == b"2"
            assert server.count == 2
            # cancelled while both attempts wait: neither answer is kept, the pool still works
            pool2 = Http1Pool(limit_per_host=6)
            assert (await _get(pool2, server.url + "c"))[2] == b"3"
            task = asyncio.ensure_future(_get(pool2, server.url + "d"))
            await asyncio.sleep(0.3)
            assert server.count == 5  # d went out twice
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert (await _get(pool2, server.url + "e"))[2] == b"6"
            await pool.close()
            await pool2.close()
            await asyncio.sleep(1.0)
            assert server.closed_early == 2  # both connections of d were closed

    run(main())


def test_many_requests_with_late_answers_all_get_their_own_whole_body() -> None:
    """Answers late at random (one in five, by 20-60 ms), bodies of several reads, many requests
    at once: whichever attempt wins, every request gets its own complete body and nothing fails."""
    rng = random.Random(7)

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await _read_request(reader)
                path = head.split(b" ")[1].decode()
                if rng.random() < 0.2:
                    await asyncio.sleep(rng.uniform(0.02, 0.06))
                body = path.encode() * 20000
                writer.write(_ok(body[: len(body) // 2]))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/"
        pool = Http1Pool(limit_per_host=15)
        paths = [f"p{i:03d}" for i in range(300)]
        gate = asyncio.Semaphore(6)

        async def one(path: str) -> bytes:
            async with gate:
                return (await _get(pool, url + path))[2]

        bodies = await asyncio.gather(*(one(path) for path in paths))
        await pool.close()
        server.close()
        for path, body in zip(paths, bodies, strict=True):
            assert body == ((f"/{path}".encode() * 20000)[: len(f"/{path}") * 10000])

    run(main())
