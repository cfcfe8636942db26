"""A small fake npm registry on 127.0.0.1 for client tests: canned packuments and tarballs, scripted
answers, and a record of every request and connection.

    async with FakeRegistry() as registry:
        registry.add_packument("demo", versions=["1.0.0"])
        registry.script("GET", "/demo", Canned(500), Canned(500))   # then the packument
        ...
        assert registry.requests[0].headers["npm-command"] == "view"

Packuments answer with an ETag and honour If-None-Match (304); scoped names are served for both
`/@scope%2fname` and `/@scope/name`. Scripted answers for a (method, path) are used first, in order;
a custom handler (`on`) replaces the default for its route. `connections` counts distinct TCP
connections seen, and `max_in_flight` the most requests handled at once.

`fake_registry` is a pytest fixture yielding a registry that serves from a background thread (so
sync tests, `asyncio.run` and subprocesses such as the real npm can all talk to it); inside a running
event loop `async with FakeRegistry()` serves from that loop instead.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import socket
import ssl
import threading
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from snpm.registry_client.settings import ClientSettings

Handler = Callable[[web.Request, bytes], Awaitable[web.StreamResponse]]


def free_port() -> int:
    """A TCP port nothing listens on right now (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def sri(data: bytes, algorithm: str = "sha512") -> str:
    return f"{algorithm}-" + base64.b64encode(hashlib.new(algorithm, data).digest()).decode()


@dataclass
class RecordedRequest:
    method: str
    path: str  # decoded path ("/@scope/name")
    raw_path: str  # as sent ("/@scope%2fname")
    query: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    connection: int  # index of the TCP connection it arrived on


@dataclass
class Canned:
    """A scripted answer. `close=True` drops the connection without answering."""

    status: int = 200
    json: Any = None
    body: bytes | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0
    close: bool = False


class FakeRegistry:
    def __init__(self, *, ssl_context: ssl.SSLContext | None = None, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = 0
        self._ssl = ssl_context
        self.requests: list[RecordedRequest] = []
        self.packuments: dict[str, dict[str, Any]] = {}
        self.etags: dict[str, str] = {}
        self.packument_headers: dict[str, dict[str, str]] = {}
        self.tarballs: dict[str, bytes] = {}
        self._scripts: dict[tuple[str, str], list[Canned]] = {}
        self._handlers: dict[tuple[str, str], Handler] = {}
        self._transports: list[object] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.delay = 0.0  # seconds every request waits before answering
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # ── lifecycle ──

    @property
    def url(self) -> str:
        scheme = "https" if self._ssl else "http"
        return f"{scheme}://{self.host}:{self.port}/"

    async def start(self) -> FakeRegistry:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.2)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0, ssl_context=self._ssl)
        await site.start()
        # the port the OS picked: aiohttp exposes the listening sockets on the runner's addresses
        self.port = int(self._runner.addresses[0][1])
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def start_in_thread(self) -> FakeRegistry:
        """Serve from a background thread with its own event loop (for sync tests and subprocesses)."""
        loop = asyncio.new_event_loop()
        ready = threading.Event()

        def serve() -> None:
            asyncio.set_event_loop(loop)
            loop.run_until_complete(self.start())
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self.stop())
            # handlers still sleeping (stalled answers) are cancelled, not left pending
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.close()

        self._thread = threading.Thread(target=serve, name="fake-registry", daemon=True)
        self._loop = loop
        self._thread.start()
        ready.wait(10)
        return self

    def stop_thread(self) -> None:
        if self._thread is None or self._loop is None:
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._thread = None
        self._loop = None

    async def __aenter__(self) -> FakeRegistry:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ── content ──

    def add_packument(
        self,
        name: str,
        doc: dict[str, Any] | None = None,
        *,
        versions: list[str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """Serve a packument (built from `versions` when `doc` is None; tarballs are added too)."""
        if doc is None:
            doc = self.make_packument(name, versions or ["1.0.0"])
        self.packuments[name] = doc
        self.etags[name] = '"' + hashlib.sha1(json.dumps(doc, sort_keys=True).encode()).hexdigest() + '"'
        self.packument_headers[name] = dict(headers or {})
        return doc

    def make_packument(self, name: str, versions: list[str]) -> dict[str, Any]:
        basename = name.rsplit("/", 1)[-1]
        out: dict[str, Any] = {
            "_id": name,
            "name": name,
            "dist-tags": {"latest": versions[-1]},
            "versions": {},
            "time": {"created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z"},
            "maintainers": [{"name": "alice", "email": "alice@example.test"}],
        }
        for version in versions:
            data = f"tarball of {name}@{version}".encode()
            path = f"/{name}/-/{basename}-{version}.tgz"
            self.tarballs[path] = data
            out["versions"][version] = {
                "name": name,
                "version": version,
                "dist": {
                    "tarball": f"{self.url.rstrip('/')}{path}",
                    "shasum": hashlib.sha1(data).hexdigest(),
                    "integrity": sri(data),
                },
            }
            out["time"][version] = "2020-01-01T00:00:00.000Z"
        return out

    def add_tarball(self, path: str, data: bytes) -> str:
        self.tarballs[path] = data
        return f"{self.url.rstrip('/')}{path}"

    def script(self, method: str, path: str, *answers: Canned) -> None:
        """Answer the next requests to (method, path) with `answers`, in order."""
        self._scripts.setdefault((method.upper(), path), []).extend(answers)

    def on(self, method: str, path: str, handler: Handler) -> None:
        self._handlers[(method.upper(), path)] = handler

    # ── inspection ──

    @property
    def connections(self) -> int:
        return len(self._transports)

    def requests_to(self, path: str, method: str | None = None) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == path and (method is None or r.method == method)]

    # ── serving ──

    def _connection_index(self, request: web.Request) -> int:
        transport = request.transport
        for number, seen in enumerate(self._transports):
            if seen is transport:
                return number
        self._transports.append(transport)
        return len(self._transports) - 1

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.requests.append(
            RecordedRequest(
                method=request.method,
                path=request.path,
                raw_path=request.raw_path.split("?", 1)[0],
                query=request.raw_path.partition("?")[2],
                headers={k.lower(): v for k, v in request.headers.items()},
                body=body,
                connection=self._connection_index(request),
            )
        )
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            return await self._answer(request, body)
        finally:
            self.in_flight -= 1

    async def _answer(self, request: web.Request, body: bytes) -> web.StreamResponse:
        key = (request.method, request.path)
        queue = self._scripts.get(key)
        if queue:
            canned = queue.pop(0)
            if canned.delay:
                await asyncio.sleep(canned.delay)
            if canned.close:
                assert request.transport is not None
                request.transport.abort()
                return web.Response(status=500)
            if canned.json is not None:
                return web.json_response(canned.json, status=canned.status, headers=canned.headers)
            return web.Response(status=canned.status, body=canned.body or b"", headers=canned.headers)
        handler = self._handlers.get(key)
        if handler is not None:
            return await handler(request, body)
        name = request.path[1:]
        if request.method == "GET" and name in self.packuments:
            etag = self.etags[name]
            headers = {"etag": etag, **self.packument_headers[name]}
            if request.headers.get("if-none-match") == etag:
                return web.Response(status=304, headers=headers)
            return web.json_response(self.packuments[name], headers=headers)
        if request.method == "GET" and request.path in self.tarballs:
            return web.Response(body=self.tarballs[request.path], content_type="application/octet-stream")
        return web.json_response({"error": "Not found"}, status=404)


@pytest.fixture
def fake_registry() -> Iterator[FakeRegistry]:
    """A started FakeRegistry serving from its own thread, usable from `asyncio.run` and subprocesses."""
    registry = FakeRegistry()
    registry.start_in_thread()
    try:
        yield registry
    finally:
        registry.stop_thread()


def settings_for(registry: FakeRegistry | str, **overrides: Any) -> ClientSettings:
    """ClientSettings for talking to a fake registry: fast retries (10 ms), a 5 s timeout."""
    url = registry.url if isinstance(registry, FakeRegistry) else registry
    values: dict[str, Any] = {
        "registry": url,
        "user_agent": "snpm/0.0.0 test",
        "fetch_retry_mintimeout": 10,
        "fetch_retry_maxtimeout": 20,
        "fetch_timeout": 5_000,
    }
    values.update(overrides)
    return ClientSettings(**values)
