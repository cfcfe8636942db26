"""`serve --workers N`: N worker processes serving one registry on one port, and the parent that keeps
them running.

The storage is opened once first (`check_storage`: migrations run, errors show once), then the
parent forks the workers before any thread or event loop exists. On Linux every worker listens on its own socket bound with
`SO_REUSEPORT`, so the kernel spreads connections across them evenly (the parent keeps a bound,
non-listening socket of the group to hold the port, which also resolves port 0); elsewhere the
workers share one listening socket the parent made. Each worker is the ordinary single-process
server (`app.serve`) with its own storage connections: SQLite in WAL mode and PostgreSQL both take
several processes, and package writes are serialised across them (SQLite's `BEGIN IMMEDIATE`,
PostgreSQL's advisory locks). In-memory state is per worker: rendered-packument caches (keyed by
revision, so never stale), the uplink's single-flight requests, and login rate limits (each worker
counts its own failures).

The parent prints the URL once every worker is listening, restarts a worker that dies (unless they
keep dying), and on SIGTERM/SIGINT stops them all and waits for them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import select
import signal
import socket
import sys
import time
from collections.abc import Callable
from types import FrameType

import msgspec

from snpm.registry_server.settings import ServerSettings

__all__ = ["WorkerError", "check_storage", "serve_workers"]

_BACKLOG = 1024
_START_TIMEOUT = 60.0
_STOP_TIMEOUT = 15.0
# a worker that dies this often within the window makes the parent give up
_MAX_RESTARTS = 5
_RESTART_WINDOW = 60.0
_log = logging.getLogger("snpm.registry_server")


class WorkerError(Exception):
    """The workers could not be started (or kept running)."""


class _StopRequestedError(Exception):
    pass


class _Pool(msgspec.Struct):
    settings: ServerSettings
    address: tuple[int, tuple[str, int] | tuple[str, int, int, int]]
    holder: socket.socket  # the listening socket (shared) or the port-holding one (SO_REUSEPORT)
    reuse_port: bool
    access_logger: logging.Logger | None
    children: dict[int, int] = msgspec.field(default_factory=dict)  # pid → worker number
    restarts: list[float] = msgspec.field(default_factory=list)


def _reuse_port_available() -> bool:
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def _socket(family: int, reuse_port: bool) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    if family == socket.AF_INET6:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    return sock


def _bind(
    settings: ServerSettings, reuse_port: bool
) -> tuple[socket.socket, int, tuple[str, int] | tuple[str, int, int, int]]:
    infos = socket.getaddrinfo(settings.host, settings.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    if not infos:
        raise OSError(f"cannot resolve {settings.host}")
    family, _, _, _, address = infos[0]
    sock = _socket(family, reuse_port)
    sock.bind(address)
    if not reuse_port:
        sock.listen(_BACKLOG)
    bound = sock.getsockname()
    return sock, family, bound


def check_storage(settings: ServerSettings) -> None:
    """Open (and so migrate) the storage once and close it again: before any worker starts, so a
    database that cannot be reached is reported once, and no thread or loop is left to fork."""
    from snpm.registry_server.app import open_storage

    async def check() -> None:
        storage = open_storage(settings)
        await storage.open()
        await storage.close()

    asyncio.run(check())


def _worker(pool: _Pool, number: int, ready_fd: int) -> int:
    """A worker process's life (after the fork)."""
    from snpm.registry_server.app import serve

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD):
        signal.signal(sig, signal.SIG_DFL)
    family, address = pool.address
    if pool.reuse_port:
        sock = _socket(family, reuse_port=True)
        sock.bind(address)
        sock.listen(_BACKLOG)
        pool.holder.close()
    else:
        sock = pool.holder
    sock.setblocking(False)

    def ready(_: str) -> None:
        os.write(ready_fd, number.to_bytes(1, "big"))
        os.close(ready_fd)

    asyncio.run(serve(pool.settings, access_logger=pool.access_logger, ready=ready, sock=sock))
    return 0


def _spawn(pool: _Pool, number: int, ready_fd: int, read_fd: int | None) -> int:
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the worker
        code = 1
        try:
            if read_fd is not None:
                os.close(read_fd)
            code = _worker(pool, number, ready_fd)
        except BaseException:
            _log.exception("snpm-registry worker %d failed", number)
        finally:
            os._exit(code)  # never return into the parent's code (or its atexit handlers)
    pool.children[pid] = number
    return pid


def _wait_ready(read_fd: int, count: int, pool: _Pool) -> None:
    deadline = time.monotonic() + _START_TIMEOUT
    seen = 0
    while seen < count:
        left = deadline - time.monotonic()
        if left <= 0:
            raise WorkerError(f"the workers did not start within {_START_TIMEOUT:.0f} s")
        readable, _, _ = select.select([read_fd], [], [], min(left, 0.2))
        if readable:
            data = os.read(read_fd, 64)
            if not data and seen < count:
                raise WorkerError("a worker exited before it was listening")
            seen += len(data)
        for pid in list(pool.children):
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                pool.children.pop(pid)
                raise WorkerError(f"a worker exited while starting (status {status})")


def _stop_children(pool: _Pool) -> None:
    for pid in pool.children:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + _STOP_TIMEOUT
    while pool.children and time.monotonic() < deadline:
        for pid in list(pool.children):
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                pool.children.pop(pid)
        time.sleep(0.05)
    for pid in pool.children:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
    pool.children.clear()


def _supervise(pool: _Pool) -> int:
    """Wait for a signal; restart workers that die meanwhile."""
    while True:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            return 1
        number = pool.children.pop(pid, None)
        if number is None:
            continue
        now = time.monotonic()
        pool.restarts = [t for t in pool.restarts if now - t < _RESTART_WINDOW] + [now]
        if len(pool.restarts) > _MAX_RESTARTS:
            _log.error("snpm-registry: workers keep dying; stopping")
            return 1
        _log.warning("snpm-registry worker %d exited (status %d); starting it again", number, status)
        read_fd, ready_fd = os.pipe()
        _spawn(pool, number, ready_fd, read_fd)
        os.close(ready_fd)
        with contextlib.suppress(WorkerError):
            _wait_ready(read_fd, 1, pool)
        os.close(read_fd)


def serve_workers(
    settings: ServerSettings,
    *,
    access_logger: logging.Logger | None,
    ready: Callable[[str], None],
) -> int:
    """Run `settings.workers` worker processes until SIGTERM/SIGINT; returns the exit code."""
    if not hasattr(os, "fork"):
        raise WorkerError("--workers needs a system with fork(); run one process instead")
    reuse_port = _reuse_port_available()
    holder, family, bound = _bind(settings, reuse_port)
    pool = _Pool(settings, (family, bound), holder, reuse_port, access_logger)

    def stop(signum: int, frame: FrameType | None) -> None:
        raise _StopRequestedError

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        read_fd, ready_fd = os.pipe()
        for number in range(settings.workers):
            _spawn(pool, number, ready_fd, read_fd)
        os.close(ready_fd)
        try:
            _wait_ready(read_fd, settings.workers, pool)
        finally:
            os.close(read_fd)
        host, port = bound[0], bound[1]
        shown = f"[{host}]" if ":" in host else host
        ready(f"http://{shown}:{port}/")
        return _supervise(pool)
    except _StopRequestedError:
        return 0
    finally:
        for sig in previous:  # a second Ctrl-C must not orphan the workers
            signal.signal(sig, signal.SIG_IGN)
        _stop_children(pool)
        holder.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
