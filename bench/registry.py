"""Registry benchmark: snpm-registry (1 worker, and N workers) against Verdaccio 5, same packages, same load.

    .venv/bin/python bench/registry.py [--packages 40] [--versions 6] [--duration 10] [--connections 64]
                                       [--workers 2] [--servers snpm,snpm-workers,verdaccio]
                                       [--loader auto|wrk|python]

Each server runs on 127.0.0.1 with its own data folder, no uplink and no per-request logging
(snpm: `--access-log off`; Verdaccio: log level `warn`). The same generated packages (`--packages`
names with `--versions` versions each, real gzipped tarballs) are published to every server over
HTTP, as npm publishes them. Then each server gets, one phase after another:

  packument   concurrent GETs of corgi packuments (npm install's Accept header), random packages
  tarball     concurrent GETs of tarballs, random versions
  publish     a bounded number of new versions, 4 at a time (at most --duration seconds)

The load comes from `wrk` when installed (one thread, `--connections` connections), else from an
aiohttp client in this process; a warm-up run precedes the first measured one. Each phase is
measured `--rounds` times, alternating between the servers (so a change in the machine's load hits
all of them alike), and the median round is shown. All servers run during the whole benchmark; an
idle one costs the others nothing. On a machine with few
cores the single-process servers and the load generator are pinned to different CPUs, so the load
generator does not steal the server's core; the multi-worker server gets every CPU but the
generator's. Printed per phase and server: requests/s, p50 and p99 latency, errors.

Verdaccio comes from `scripts/install_verdaccio.sh` (into .cache/verdaccio); without it, it is left
out with a note. `snpm-pg` and `snpm-pg-workers` in `--servers` are the same servers on PostgreSQL
(a throwaway cluster, started as the tests start it: needs initdb/pg_ctl and asyncpg).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import hashlib
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from snpm.tarball import PackFile, pack  # noqa: E402

VERDACCIO_BIN = ROOT / ".cache" / "verdaccio" / "node_modules" / "verdaccio" / "bin" / "verdaccio"
CORGI = "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*"
PASSWORD = "bench-password-123"
_VERDACCIO_CONFIG = """\
storage: {storage}
auth:
  htpasswd:
    file: {htpasswd}
    max_users: 1000
uplinks: {{}}
packages:
  '@*/*':
    access: $all
    publish: $authenticated
  '**':
    access: $all
    publish: $authenticated
server:
  keepAliveTimeout: 60
max_body_size: 100mb
log: {{ type: file, path: {log}, level: warn }}
"""


# ── servers ──


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _request(url: str, method: str = "GET", body: object = None, token: str | None = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=60) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode(errors="replace")
    except (urllib.error.URLError, ConnectionError):
        return 0, None


@dataclass
class Server:
    label: str
    url: str
    process: subprocess.Popen[bytes]
    single_process: bool

    def pids(self) -> list[int]:
        """The server's process and its children (workers)."""
        pids = [self.process.pid]
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        if children.exists():
            pids += [int(p) for p in children.read_text().split()]
        return pids

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _wait_ping(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited:\n{log.read_text(errors='replace')[-3000:]}")
        if _request(url + "-/ping")[0] == 200:
            return
        time.sleep(0.1)
    raise RuntimeError(f"server did not answer /-/ping:\n{log.read_text(errors='replace')[-3000:]}")


def start_snpm(root: Path, label: str, workers: int, database: str | None) -> Server:
    root.mkdir(parents=True)
    port = _free_port()
    config = root / "config.json"
    settings: dict[str, object] = {"uplink": None, "access-log": None}
    if database:
        settings["database"] = database
    config.write_text(json.dumps(settings))
    log = root / "server.log"
    command = [
        sys.executable,
        "-m",
        "snpm.registry_server",
        "serve",
        "--config",
        str(config),
        "--data",
        str(root / "data"),
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=root)
    url = f"http://127.0.0.1:{port}/"
    _wait_ping(url, process, log)
    return Server(label, url, process, workers == 1)


def start_verdaccio(root: Path) -> Server:
    node = shutil.which("node")
    assert node is not None
    root.mkdir(parents=True)
    config = root / "config.yaml"
    config.write_text(
        _VERDACCIO_CONFIG.format(
            storage=json.dumps(str(root / "storage")),
            htpasswd=json.dumps(str(root / "htpasswd")),
            log=json.dumps(str(root / "verdaccio.log")),
        )
    )
    port = _free_port()
    log = root / "stdout.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [node, str(VERDACCIO_BIN), "--config", str(config), "--listen", f"127.0.0.1:{port}"],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=root,
        )
    url = f"http://127.0.0.1:{port}/"
    _wait_ping(url, process, log)
    return Server("verdaccio 5", url, process, True)


# ── packages ──


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    tarball: bytes
    manifest: dict[str, Any]

    @property
    def filename(self) -> str:
        return f"{self.name.rsplit('/', 1)[-1]}-{self.version}.tgz"

    def publish_body(self, registry: str) -> dict[str, Any]:
        """The body npm 11 sends for `npm publish`."""
        integrity = "sha512-" + base64.b64encode(hashlib.sha512(self.tarball).digest()).decode()
        version_doc = {
            **self.manifest,
            "readme": f"# {self.name}\n",
            "_id": f"{self.name}@{self.version}",
            "_nodeVersion": "20.20.2",
            "_npmVersion": "11.19.1",
            "dist": {
                "integrity": integrity,
                "shasum": hashlib.sha1(self.tarball).hexdigest(),
                "tarball": f"{registry}{self.name}/-/{self.filename}",
            },
        }
        return {
            "_id": self.name,
            "name": self.name,
            "description": self.manifest["description"],
            "dist-tags": {"latest": self.version},
            "versions": {self.version: version_doc},
            "access": None,
            "_attachments": {
                self.filename: {
                    "content_type": "application/octet-stream",
                    "data": base64.b64encode(self.tarball).decode(),
                    "length": len(self.tarball),
                }
            },
        }


def make_package(name: str, version: str, seed: int) -> Package:
    rng = random.Random(seed)
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa"]
    manifest: dict[str, Any] = {
        "name": name,
        "version": version,
        "description": f"{name}: " + " ".join(rng.choice(words) for _ in range(8)),
        "main": "index.js",
        "license": "MIT",
        "keywords": rng.sample(words, 3),
        "dependencies": {f"bench-pkg-{rng.randrange(1000)}": f"^{rng.randrange(1, 5)}.0.0" for _ in range(4)},
    }
    files = [PackFile("package.json", json.dumps(manifest, indent=2).encode())]
    for index in range(6):  # source-like text: compresses roughly as real packages do
        lines = [
            f"function {rng.choice(words)}{i}(a, b) {{ return a + b * {rng.randrange(99)}; }}"
            for i in range(120)
        ]
        files.append(PackFile(f"lib/part{index}.js", "\n".join(lines).encode()))
    files.append(PackFile("README.md", f"# {name}\n\n{manifest['description']}\n".encode()))
    return Package(name, version, pack(files), manifest)


def make_packages(count: int, versions: int) -> list[Package]:
    out = []
    for i in range(count):
        name = f"bench-pkg-{i}" if i % 4 else f"@bench/pkg-{i}"
        out += [make_package(name, f"1.0.{v}", i * 1000 + v) for v in range(versions)]
    return out


def publish_all(server: Server, packages: list[Package]) -> str:
    status, body = _request(
        server.url + "-/user/org.couchdb.user:bench",
        "PUT",
        {"name": "bench", "password": PASSWORD, "email": "bench@example.test"},
    )
    if status != 201:
        raise RuntimeError(f"{server.label}: sign-up failed: {status} {body}")
    token = str(body["token"])
    for package in packages:
        path = package.name.replace("/", "%2f")
        status, body = _request(server.url + path, "PUT", package.publish_body(server.url), token)
        if status not in (200, 201):
            raise RuntimeError(
                f"{server.label}: publishing {package.name}@{package.version}: {status} {body}"
            )
    return token


# ── load ──


@dataclass
class Result:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


_WRK_SCRIPT = """
local paths = {%s}
local headers = {%s}
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1], headers)
end
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format("\\nRESULT %%d %%d %%d %%d %%d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), errors))
end
"""


def _lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def run_wrk(
    url: str,
    paths: list[str],
    headers: dict[str, str],
    seconds: float,
    connections: int,
    cpu: set[int] | None,
) -> Result:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(
            _WRK_SCRIPT
            % (
                ", ".join(_lua_string(p) for p in paths),
                ", ".join(f"[{_lua_string(k)}] = {_lua_string(v)}" for k, v in headers.items()),
            )
        )
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        script.name,
        url,
    ]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=seconds + 60, preexec_fn=_pin(cpu)
        )
    finally:
        os.unlink(script.name)
    line = next((text for text in done.stdout.splitlines() if text.startswith("RESULT ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed:\n{done.stdout}\n{done.stderr}")
    requests, duration_us, p50, p99, errors = (int(x) for x in line.split()[1:])
    return Result(requests, duration_us / 1e6, p50 / 1000, p99 / 1000, errors)


def run_python(
    url: str, paths: list[str], headers: dict[str, str], seconds: float, connections: int
) -> Result:
    import aiohttp

    async def main() -> Result:
        latencies: list[float] = []
        errors = 0
        deadline = time.perf_counter() + seconds
        connector = aiohttp.TCPConnector(limit=connections)
        async with aiohttp.ClientSession(connector=connector, headers=headers) as session:

            async def worker(offset: int) -> None:
                nonlocal errors
                i = offset
                while time.perf_counter() < deadline:
                    i += connections
                    start = time.perf_counter()
                    try:
                        async with session.get(url.rstrip("/") + paths[i % len(paths)]) as response:
                            await response.read()
                            if response.status >= 400:
                                errors += 1
                    except aiohttp.ClientError:
                        errors += 1
                    latencies.append(time.perf_counter() - start)

            began = time.perf_counter()
            await asyncio.gather(*(worker(n) for n in range(connections)))
            elapsed = time.perf_counter() - began
        latencies.sort()
        return Result(
            len(latencies),
            elapsed,
            statistics.median(latencies) * 1000 if latencies else 0.0,
            latencies[int(len(latencies) * 0.99)] * 1000 if latencies else 0.0,
            errors,
        )

    return asyncio.run(main())


def run_publishes(server: Server, token: str, packages: list[Package], seconds: float) -> Result:
    import aiohttp

    async def main() -> Result:
        latencies: list[float] = []
        errors = 0
        queue = list(packages)
        deadline = time.perf_counter() + seconds
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as session:

            async def worker() -> None:
                nonlocal errors
                while queue and time.perf_counter() < deadline:
                    package = queue.pop()
                    start = time.perf_counter()
                    path = package.name.replace("/", "%2f")
                    async with session.put(
                        server.url + path, json=package.publish_body(server.url)
                    ) as response:
                        await response.read()
                        if response.status >= 400:
                            errors += 1
                    latencies.append(time.perf_counter() - start)

            began = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(4)))
            elapsed = time.perf_counter() - began
        latencies.sort()
        return Result(
            len(latencies),
            elapsed,
            statistics.median(latencies) * 1000,
            latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
            errors,
        )

    return asyncio.run(main())


def _pin(cpus: set[int] | None) -> Callable[[], None] | None:
    if not cpus or not hasattr(os, "sched_setaffinity"):
        return None
    return lambda: os.sched_setaffinity(0, cpus)


def _cpu_plan(pin: bool) -> tuple[set[int] | None, set[int] | None, set[int] | None]:
    """(single-process server CPUs, multi-worker server CPUs, load generator CPUs)."""
    if not pin or not hasattr(os, "sched_getaffinity"):
        return None, None, None
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return None, None, None
    loader = {cpus[-1]}
    servers = set(cpus[:-1])
    return {cpus[0]}, servers, loader


def _apply_affinity(server: Server, cpus: set[int] | None) -> None:
    if cpus and hasattr(os, "sched_setaffinity"):
        for pid in server.pids():
            for task in Path(f"/proc/{pid}/task").iterdir():
                with contextlib.suppress(OSError):  # a thread that ended meanwhile
                    os.sched_setaffinity(int(task.name), cpus)


# ── main ──


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--packages", type=int, default=40)
    parser.add_argument("--versions", type=int, default=6)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measured GET phase")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2, help="workers of the multi-worker snpm server")
    parser.add_argument("--servers", default="snpm,snpm-workers,verdaccio")
    parser.add_argument("--loader", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--publishes", type=int, default=40, help="new versions published per server")
    parser.add_argument("--no-pin", action="store_true", help="do not pin servers and loader to CPUs")
    parser.add_argument(
        "--rounds", type=int, default=3, help="measurements per phase and server (median shown)"
    )
    args = parser.parse_args(argv)

    loader = args.loader
    if loader == "auto":
        loader = "wrk" if shutil.which("wrk") else "python"
    single_cpus, multi_cpus, loader_cpus = _cpu_plan(not args.no_pin)
    wanted = [s.strip() for s in args.servers.split(",") if s.strip()]
    packages = make_packages(args.packages, args.versions)
    extra = [make_package(f"bench-new-{i}", "1.0.0", 10**6 + i) for i in range(args.publishes)]
    rng = random.Random(7)
    packument_paths = ["/" + n.replace("/", "%2f") for n in sorted({p.name for p in packages})]
    tarball_paths = [f"/{p.name}/-/{p.filename}" for p in packages]
    rng.shuffle(packument_paths)
    rng.shuffle(tarball_paths)
    sizes = [len(p.tarball) for p in packages]
    print(
        f"{len({p.name for p in packages})} packages x {args.versions} versions "
        f"(tarballs ~{statistics.mean(sizes) / 1024:.1f} KiB); loader: {loader}, {args.connections} connections, "
        f"{args.duration:.0f} s per phase; CPUs {sorted(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else '?'}"
        + (
            f"; pinned: servers {sorted(single_cpus or [])}, loader {sorted(loader_cpus or [])}"
            if loader_cpus
            else ""
        )
    )

    servers: list[Server] = []
    tokens: dict[str, str] = {}
    runs: dict[tuple[str, str], list[Result]] = {}
    cluster: Any = None
    with tempfile.TemporaryDirectory(prefix="snpm-bench-") as tmp:
        root = Path(tmp)
        try:
            if any(name.startswith("snpm-pg") for name in wanted):
                sys.path.insert(0, str(ROOT / "tests"))
                from support.postgres import PostgresCluster

                cluster = PostgresCluster.start()
            for name in wanted:
                if name == "verdaccio" and not (VERDACCIO_BIN.is_file() and shutil.which("node")):
                    print("verdaccio: not installed; run scripts/install_verdaccio.sh (needs node and npm)")
                    continue
                if name in ("snpm", "snpm-pg"):
                    database = cluster.create_database(migrated=False) if name == "snpm-pg" else None
                    kind = "/pg" if database else ""
                    server = start_snpm(root / name, f"snpm{kind} (1 worker)", 1, database)
                elif name in ("snpm-workers", "snpm-pg-workers"):
                    database = cluster.create_database(migrated=False) if name == "snpm-pg-workers" else None
                    kind = "/pg" if database else ""
                    server = start_snpm(
                        root / name, f"snpm{kind} ({args.workers} workers)", args.workers, database
                    )
                elif name == "verdaccio":
                    server = start_verdaccio(root / name)
                else:
                    parser.error(f"unknown server {name!r}")
                servers.append(server)
                sys.stdout.write(f"{server.label}: publishing {len(packages)} versions ... ")
                sys.stdout.flush()
                began = time.perf_counter()
                tokens[server.label] = publish_all(server, packages)
                print(f"{time.perf_counter() - began:.1f} s")
                _apply_affinity(server, single_cpus if server.single_process else multi_cpus)
            # rounds alternate between the servers, so a change in the machine's load hits all alike
            for phase, paths, headers in (
                ("packument", packument_paths, {"Accept": CORGI, "Accept-Encoding": "gzip, deflate"}),
                ("tarball", tarball_paths, {"Accept": "*/*", "Accept-Encoding": "gzip, deflate"}),
            ):
                for round_number in range(args.rounds):
                    for server in servers:
                        if loader == "wrk":
                            if round_number == 0:
                                run_wrk(server.url, paths, headers, 2, args.connections, loader_cpus)
                            result = run_wrk(
                                server.url, paths, headers, args.duration, args.connections, loader_cpus
                            )
                        else:
                            if round_number == 0:
                                run_python(server.url, paths, headers, 2, args.connections)
                            result = run_python(server.url, paths, headers, args.duration, args.connections)
                        runs.setdefault((phase, server.label), []).append(result)
            for round_number in range(args.rounds):
                for server in servers:
                    batch = [p for i, p in enumerate(extra) if i % args.rounds == round_number]
                    result = run_publishes(server, tokens[server.label], batch, args.duration)
                    runs.setdefault(("publish", server.label), []).append(result)
        finally:
            for server in servers:
                server.stop()
            if cluster is not None:
                cluster.stop()

    print()
    print(f"median of {args.rounds} rounds (by requests/s)")
    print(f"{'phase':<10} {'server':<22} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for phase in ("packument", "tarball", "publish"):
        for server in servers:
            results = sorted(runs[(phase, server.label)], key=lambda r: r.rate)
            r = results[len(results) // 2]
            errors = sum(x.errors for x in results)
            print(
                f"{phase:<10} {server.label:<22} {r.rate:>9.0f} {r.p50_ms:>8.2f} {r.p99_ms:>8.2f} {errors:>7}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
