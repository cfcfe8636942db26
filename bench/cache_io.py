"""Benchmark: cache I/O on the event loop: HttpCache downloads, then the extracted-file store.

    .venv/bin/python bench/cache_io.py [--n 1000] [--size 20000] [--concurrency 16]
                                       [--packages 500] [--reps 3] [--workers N] [--tmp DIR]

Phases (each rep in a fresh temporary cache; the median of `--reps` runs and the best run, since a
busy machine only ever adds time; `--workers` sets HttpCache's thread count):
  http-cold    N synthetic ~20 KB tarballs GET through RegistryClient + HttpCache with their integrity
               (hashed while streaming), `--concurrency` at once: every one a miss written to cacache
  http-warm    the same N again with cache mode force-cache (prefer-offline): every one a hit, read
               and verified from cacache
  store-add    `store.add_tarball` of `--packages` small real .tgz packages (10 files each)
  store-link   `store.materialize` of those packages into a node_modules folder

The registry (tests/support/fake_registry.FakeRegistry) runs in a child process, so the CPU figure
(time.process_time: every thread of this process) is snpm's alone. For the HTTP phases `loop-max`
is the longest stretch the event loop could not run a 1 ms ticker (how long one callback blocked
it), `loop-busy` the total time that ticker was late (GIL waits included) and `loop-cpu` the CPU
time of the event loop's own thread (time.thread_time). `--tmp` picks where the temporary caches
go (e.g. /dev/shm to take the disk's latency out). Not a test: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import os
import random
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from snpm.cache import store  # noqa: E402
from snpm.cache.http_cache import HttpCache  # noqa: E402
from snpm.registry_client import RegistryClient  # noqa: E402
from support.fake_registry import FakeRegistry, settings_for, sri  # noqa: E402


@dataclass
class Sample:
    wall: float
    cpu: float
    loop_max: float = 0.0
    loop_busy: float = 0.0
    loop_cpu: float = 0.0


def synthetic_tarballs(n: int, size: int) -> dict[str, bytes]:
    """Deterministic incompressible bodies (the child process builds the same set)."""
    rng = random.Random(1234)
    return {f"/pkg{i}/-/pkg{i}-1.0.0.tgz": rng.randbytes(size) for i in range(n)}


def serve(n: int, size: int) -> None:
    """Child process: serve the tarballs, print the URL, stop when stdin closes."""

    async def main() -> None:
        registry = FakeRegistry()
        registry.tarballs.update(synthetic_tarballs(n, size))
        await registry.start()
        print(registry.url, flush=True)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.read)
        await registry.stop()

    asyncio.run(main())


class LoopTicker:
    """Measures how long the event loop is kept from running a 1 ms timer."""

    def __init__(self) -> None:
        self.max_late = 0.0
        self.total_late = 0.0
        self._last = 0.0
        self._task: asyncio.Task[None] | None = None

    def _record(self, now: float) -> None:
        late = max(0.0, now - self._last - 0.001)
        self.max_late = max(self.max_late, late)
        self.total_late += late
        self._last = now

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(0.001)
            self._record(time.perf_counter())

    def start(self) -> None:
        self._last = time.perf_counter()
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        # The stretch since the last tick counts too (a run that never yields is one long block).
        self._record(time.perf_counter())
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


async def fetch_all(
    registry_url: str,
    cache_dir: Path,
    paths: dict[str, str],
    concurrency: int,
    mode: str | None,
    workers: int | None = None,
) -> Sample:
    settings = settings_for(registry_url, maxsockets=concurrency, fetch_timeout=60_000)
    queue = list(paths.items())
    queue.reverse()
    ticker = LoopTicker()
    cache = HttpCache(cache_dir) if workers is None else HttpCache(cache_dir, workers=workers)
    async with RegistryClient(settings, cache=cache) as client:

        async def worker() -> None:
            while queue:
                path, integrity = queue.pop()
                if mode is None:
                    response = await client.get_bytes(registry_url.rstrip("/") + path, integrity=integrity)
                else:
                    response = await client.get_bytes(
                        registry_url.rstrip("/") + path, integrity=integrity, cache_mode=mode
                    )
                assert response.status == 200 and response.integrity

        ticker.start()
        wall0, cpu0, loop0 = time.perf_counter(), time.process_time(), time.thread_time()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        await ticker.stop()
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        loop_cpu = time.thread_time() - loop0
    return Sample(wall, cpu, ticker.max_late, ticker.total_late, loop_cpu)


def small_packages(count: int) -> list[tuple[str, bytes]]:
    """`count` real npm tarballs of 10 files (a few shared between packages, like LICENSE files)."""
    rng = random.Random(99)
    out: list[tuple[str, bytes]] = []
    for i in range(count):
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
            files = {
                "package/package.json": f'{{"name":"p{i}","version":"1.0.0"}}'.encode(),
                "package/LICENSE": b"MIT License\n" * 20,
                "package/README.md": f"# p{i}\n".encode() * 30,
            }
            for j in range(7):
                files[f"package/lib/sub{j % 3}/f{j}.js"] = rng.randbytes(rng.randint(200, 3000))
            for name, data in files.items():
                info = tarfile.TarInfo(name)
                info.size = len(data)
                info.mode = 0o644
                tar.addfile(info, io.BytesIO(data))
        data = buffer.getvalue()
        out.append((sri(data), data))
    return out


def timed(fn: Callable[[], None]) -> Sample:
    wall0, cpu0 = time.perf_counter(), time.process_time()
    fn()
    return Sample(time.perf_counter() - wall0, time.process_time() - cpu0)


def report(name: str, samples: list[Sample], count: int) -> None:
    """Median of the runs, and the best run (the machine's noise only ever adds time)."""
    wall = statistics.median(s.wall for s in samples)
    cpu = statistics.median(s.cpu for s in samples)
    best = min(samples, key=lambda s: s.wall)
    line = (
        f"{name:<11} wall {wall * 1000:8.1f} ms  cpu {cpu * 1000:8.1f} ms  "
        f"({wall / count * 1000:.3f} ms wall, {cpu / count * 1000:.3f} ms cpu per item; "
        f"best run {best.wall * 1000:.1f} ms wall, {best.cpu * 1000:.1f} ms cpu)"
    )
    if any(s.loop_busy for s in samples):
        loop_cpu = statistics.median(s.loop_cpu for s in samples)
        line += (
            f"\n{'':<11} loop-cpu {loop_cpu * 1000:7.1f} ms ({loop_cpu / count * 1000:.3f} ms per item)"
            f"  loop-max {statistics.median(s.loop_max for s in samples) * 1000:6.1f} ms"
            f"  loop-busy {statistics.median(s.loop_busy for s in samples) * 1000:7.1f} ms"
        )
    print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--size", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--packages", type=int, default=500)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--workers", type=int, default=None, help="HttpCache threads (default: its own)")
    parser.add_argument("--tmp", default=None, help="folder for the temporary caches (default: the system's)")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.n, args.size)
        return

    tarballs = synthetic_tarballs(args.n, args.size)
    integrities = {path: sri(data) for path, data in tarballs.items()}
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve", "--n", str(args.n), "--size", str(args.size)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stdin is not None
    registry_url = child.stdout.readline().strip()
    packages = small_packages(args.packages)
    print(
        f"cpus={os.cpu_count()} n={args.n} size={args.size} concurrency={args.concurrency} "
        f"packages={args.packages} reps={args.reps} tmp={args.tmp or tempfile.gettempdir()}",
        flush=True,
    )
    cold: list[Sample] = []
    warm: list[Sample] = []
    add: list[Sample] = []
    link: list[Sample] = []
    try:
        for _ in range(args.reps):
            with tempfile.TemporaryDirectory(prefix="snpm-bench-", dir=args.tmp) as tmp:
                cache_dir = Path(tmp) / "cache"
                cold.append(
                    asyncio.run(
                        fetch_all(registry_url, cache_dir, integrities, args.concurrency, None, args.workers)
                    )
                )
                warm.append(
                    asyncio.run(
                        fetch_all(
                            registry_url,
                            cache_dir,
                            integrities,
                            args.concurrency,
                            "force-cache",
                            args.workers,
                        )
                    )
                )

                def add_all(cache_dir: Path = cache_dir) -> None:
                    for integrity, data in packages:
                        store.add_tarball(cache_dir, integrity, data)

                add.append(timed(add_all))
                node_modules = Path(tmp) / "node_modules"

                def link_all(cache_dir: Path = cache_dir, node_modules: Path = node_modules) -> None:
                    for i, (integrity, _data) in enumerate(packages):
                        store.materialize(cache_dir, integrity, node_modules / f"p{i}")

                link.append(timed(link_all))
                # sanity: what was linked is what was packed
                assert (
                    node_modules / "p0" / "package.json"
                ).read_bytes() == b'{"name":"p0","version":"1.0.0"}'
                shutil.rmtree(node_modules)
    finally:
        child.stdin.close()
        child.wait(10)
    report("http-cold", cold, args.n)
    report("http-warm", warm, args.n)
    report("store-add", add, args.packages)
    report("store-link", link, args.packages)


if __name__ == "__main__":
    main()
