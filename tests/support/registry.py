"""A real snpm-registry for tests: as a subprocess on 127.0.0.1, or in-process on aiohttp's test server.

    with running_registry(tmp_path / "data") as registry:        # `python -m snpm.registry_server serve`
        registry.url                                             # "http://127.0.0.1:<port>/"
        registry.restart()                                       # same data folder, same port

    async with in_process_registry(tmp_path) as registry:        # aiohttp TestServer + TestClient
        response = await registry.client.get("/-/ping")

Both use cheap argon2 parameters (a test-only setting: the default costs ~0.4 s per hash here) and
write the access log to a file you can read. `publish_body` builds the JSON body `npm publish`
sends, with a tarball packed in the test (no binary fixtures).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from msgspec.structs import replace

from snpm.registry_server.app import Registry, build_app, build_registry
from snpm.registry_server.settings import LoginLimits, PasswordHashing, ServerSettings
from snpm.tarball import PackFile, pack

FAST_HASHING = {"time-cost": 1, "memory-cost-kib": 8192, "parallelism": 1}
_LISTENING = "listening on "


@dataclass
class RunningRegistry:
    """A registry subprocess. `url` ends with `/` (npm's registry form); `log` is its access log."""

    data: Path
    config: Path
    port: int
    process: subprocess.Popen[bytes]
    stdout: Path
    log: Path
    extra_args: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def database(self) -> Path:
        return self.data / "registry.db"

    @property
    def database_url(self) -> str | None:
        """The PostgreSQL URL the registry keeps its records in (None: SQLite in `data`)."""
        value = json.loads(self.config.read_text()).get("database")
        return str(value) if isinstance(value, str) and value.startswith("postgres") else None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    def restart(self) -> None:
        """Stop, then start again on the same data folder and port."""
        self.stop()
        started = _spawn(self.data, self.config, self.port, self.stdout, self.log, self.extra_args)
        self.process, self.port = started.process, started.port

    def request(
        self, method: str, path: str, *, token: str | None = None, body: object = None
    ) -> tuple[int, Any]:
        """A direct HTTP request (for checking the registry's state beside npm)."""
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path.lstrip("/"), data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(req, timeout=10) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as err:
            raw = err.read()
            return err.code, json.loads(raw) if raw else None


def write_config(path: Path, settings: Mapping[str, object]) -> Path:
    path.write_text(json.dumps(settings, indent=2))
    return path


def _spawn(
    data: Path, config: Path, port: int, stdout: Path, log: Path, extra_args: tuple[str, ...]
) -> RunningRegistry:
    command = [
        sys.executable,
        "-m",
        "snpm.registry_server",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--data",
        str(data),
        "--config",
        str(config),
        "--access-log",
        str(log),
        *extra_args,
    ]
    stdout.write_text("")
    with stdout.open("ab") as out, (stdout.parent / (stdout.name + ".err")).open("ab") as err:
        process = subprocess.Popen(
            command, stdout=out, stderr=err, env={**os.environ, "PYTHONUNBUFFERED": "1"}
        )
    deadline = time.monotonic() + 30
    actual = 0
    while time.monotonic() < deadline:
        if process.poll() is not None:
            errors = (stdout.parent / (stdout.name + ".err")).read_text()
            raise RuntimeError(f"snpm-registry exited with {process.returncode}:\n{errors}")
        text = stdout.read_text()
        if _LISTENING in text:
            url = text.split(_LISTENING, 1)[1].split()[0]
            actual = int(url.rstrip("/").rsplit(":", 1)[1])
            break
        time.sleep(0.05)
    else:
        process.kill()
        raise RuntimeError("snpm-registry did not start within 30 s")
    running = RunningRegistry(data, config, actual, process, stdout, log, extra_args)
    while time.monotonic() < deadline:
        if running.request("GET", "/-/ping")[0] == 200:
            return running
        time.sleep(0.05)
    running.stop()
    raise RuntimeError("snpm-registry does not answer /-/ping")


def start_registry(
    data: Path,
    *,
    port: int = 0,
    settings: Mapping[str, object] | None = None,
    extra_args: tuple[str, ...] = (),
) -> RunningRegistry:
    """Start `python -m snpm.registry_server serve` on 127.0.0.1 (a free port unless given)."""
    data.mkdir(parents=True, exist_ok=True)
    base = data.parent
    # Web login is off unless a test asks for it (`settings={"web-login": True}`): npm's default
    # `npm login` then falls back to the terminal prompts the tests answer in a pty.
    # No uplink unless a test names one (a local registry): tests never reach the public registry.
    config = write_config(
        base / f"{data.name}.config.json",
        {"password-hashing": FAST_HASHING, "web-login": False, "uplink": None, **(settings or {})},
    )
    return _spawn(
        data, config, port, base / f"{data.name}.stdout", base / f"{data.name}.access.log", extra_args
    )


@contextmanager
def running_registry(data: Path, **kwargs: Any) -> Iterator[RunningRegistry]:
    registry = start_registry(data, **kwargs)
    try:
        yield registry
    finally:
        registry.stop()


# ── services without HTTP ──


class Clock:
    """A settable clock for services (`now()`), starting at a fixed moment."""

    def __init__(self) -> None:
        self.moment = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)


def run_with(registry: Registry, body: Any) -> Any:
    """Open the registry's storage, await `body()`, close it again (one event loop per call)."""

    async def main() -> Any:
        await registry.storage.open()
        try:
            return await body()
        finally:
            await registry.storage.close()

    return asyncio.run(main())


# ── in-process ──


class PostgresDatabases:
    """One PostgreSQL database per data folder (a registry reopened on the same folder finds its
    database again). Installed as `POSTGRES_DATABASES` to run the in-process registries on PostgreSQL."""

    def __init__(self, create: Callable[[], str]) -> None:
        self._create = create
        self._by_folder: dict[Path, str] = {}

    def for_data(self, data: Path) -> str:
        if data not in self._by_folder:
            self._by_folder[data] = self._create()
        return self._by_folder[data]


# None: SQLite; set (with monkeypatch) by the backend-parametrized fixtures of the registry tests
POSTGRES_DATABASES: PostgresDatabases | None = None


def registry_settings(data: Path, **overrides: Any) -> ServerSettings:
    """ServerSettings for a test registry: cheap password hashing, no access log, generous limits;
    on PostgreSQL when `POSTGRES_DATABASES` is set (and no `database` is given)."""
    if POSTGRES_DATABASES is not None and "database" not in overrides:
        overrides = {**overrides, "database": POSTGRES_DATABASES.for_data(data)}
    base = ServerSettings(
        data=data,
        password_hashing=PasswordHashing(time_cost=1, memory_cost_kib=8192, parallelism=1),
        access_log=None,
        login_limits=LoginLimits(),
        uplink=None,  # tests never reach the public registry; uplink tests name a local one
    )
    return replace(base, **overrides).validate()


@dataclass
class InProcessRegistry:
    client: TestClient[Any, Any]
    registry: Registry
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return str(self.client.make_url("/"))

    def auth(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    async def add_user(self, name: str, password: str = "password-123", email: str | None = None) -> str:
        """Sign up through the API; remember and return the new token."""
        body = {"name": name, "password": password, "email": email or f"{name}@example.test"}
        response = await self.client.put(f"/-/user/org.couchdb.user:{name}", json=body)
        assert response.status == 201, await response.text()
        token: str = (await response.json())["token"]
        self.tokens[name] = token
        return token

    async def publish(self, user: str, body: dict[str, Any], path: str | None = None) -> Any:
        name = body["name"]
        return await self.client.put(
            path or "/" + name.replace("/", "%2f"), json=body, headers=self.auth(user)
        )


@asynccontextmanager
async def in_process_registry(tmp_path: Path, **overrides: Any) -> AsyncIterator[InProcessRegistry]:
    """A registry on aiohttp's TestServer (127.0.0.1, a free port) with a TestClient."""
    settings = registry_settings(tmp_path / "data", **overrides)
    registry = build_registry(settings)
    client: TestClient[Any, Any] = TestClient(TestServer(build_app(registry), host="127.0.0.1"))
    await client.start_server()
    try:
        yield InProcessRegistry(client, registry)
    finally:
        await client.close()


# ── publish bodies ──


def pack_package(manifest: Mapping[str, Any], files: Mapping[str, bytes] | None = None) -> bytes:
    """A gzipped tarball with `package/package.json` (from `manifest`) and `files`."""
    entries = [PackFile("package.json", json.dumps(manifest, indent=2).encode())]
    entries += [PackFile(path, data) for path, data in (files or {}).items()]
    return pack(entries)


def sri(data: bytes, algorithm: str = "sha512") -> str:
    return f"{algorithm}-" + base64.b64encode(hashlib.new(algorithm, data).digest()).decode()


def publish_body(
    name: str,
    version: str,
    *,
    tag: str = "latest",
    manifest: Mapping[str, Any] | None = None,
    tarball: bytes | None = None,
    files: Mapping[str, bytes] | None = None,
    registry: str = "http://127.0.0.1:9/",
) -> dict[str, Any]:
    """The body npm 11 sends for `npm publish` (libnpmpublish's buildMetadata)."""
    doc: dict[str, Any] = {"name": name, "version": version, "description": f"{name} for tests"}
    doc.update(manifest or {})
    data = (
        tarball
        if tarball is not None
        else pack_package(doc, {"index.js": b"module.exports = 1\n", **(files or {})})
    )
    attachment = f"{name}-{version}.tgz"
    version_doc = {
        **doc,
        "readme": f"# {name}\n",
        "readmeFilename": "README.md",
        "_id": f"{name}@{version}",
        "_nodeVersion": "20.20.2",
        "_npmVersion": "11.19.1",
        "dist": {
            "integrity": sri(data),
            "shasum": hashlib.sha1(data).hexdigest(),
            "tarball": f"{registry}{name}/-/{attachment}",
        },
    }
    return {
        "_id": name,
        "name": name,
        "description": doc.get("description"),
        "dist-tags": {tag: version},
        "versions": {version: version_doc},
        "access": None,
        "_attachments": {
            attachment: {
                "content_type": "application/octet-stream",
                "data": base64.b64encode(data).decode(),
                "length": len(data),
            }
        },
    }


# ── driving the real npm against a registry subprocess ──

Answer = str | Callable[[str], str]


def run_in_pty(
    argv: Sequence[str],
    env: Mapping[str, str],
    cwd: Path,
    answers: Sequence[tuple[str, Answer]],
    *,
    timeout: float = 60.0,
) -> tuple[int, str]:
    """Run `argv` on a pseudo-terminal (npm only prompts on a TTY), typing each answer once its
    prompt has appeared; an answer may be a function of the output so far (a TOTP code, say)."""
    import pty  # POSIX only, like npm's prompts
    import select
    import signal

    master, slave = pty.openpty()
    process = subprocess.Popen(
        list(argv), stdin=slave, stdout=slave, stderr=slave, env=dict(env), cwd=cwd, start_new_session=True
    )
    os.close(slave)
    output = b""
    seen = 0
    pending = list(answers)
    deadline = time.monotonic() + timeout
    try:
        while True:
            if time.monotonic() > deadline:
                os.killpg(process.pid, signal.SIGKILL)
                raise AssertionError(f"{argv} timed out; output so far:\n{output.decode(errors='replace')}")
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # EIO: the child closed the terminal
                    chunk = b""
                if not chunk:
                    break
                output += chunk
                while pending:
                    prompt, answer = pending[0]
                    at = output.find(prompt.encode(), seen)
                    if at < 0:
                        break
                    seen = at + len(prompt)
                    pending.pop(0)
                    text = answer(output.decode(errors="replace")) if callable(answer) else answer
                    os.write(master, text.encode() + b"\r")
            elif process.poll() is not None:
                break
        process.wait(timeout=30)
    finally:
        os.close(master)
    assert not pending, f"npm never asked {pending[0][0]!r}:\n{output.decode(errors='replace')}"
    return process.returncode, output.decode(errors="replace")


@dataclass
class NpmAccount:
    """One person's real npm: isolated HOME, user/global config, cache and prefix, pointed at a
    registry subprocess (never the machine's ~/.npmrc or ~/.npm)."""

    name: str
    root: Path
    server: RunningRegistry
    npm_path: str = "npm"

    @property
    def userconfig(self) -> Path:
        return self.root / "home" / ".npmrc"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.lower().startswith("npm_")}
        env.update(
            HOME=str(self.root / "home"),
            npm_config_userconfig=str(self.userconfig),
            npm_config_globalconfig=str(self.root / "globalnpmrc"),
            npm_config_cache=str(self.root / "cache"),
            npm_config_prefix=str(self.root / "prefix"),
            npm_config_update_notifier="false",
            npm_config_audit="false",
            npm_config_fund="false",
            npm_config_color="false",
            npm_config_browser="false",
            NO_COLOR="1",
        )
        return env

    def prepare(self) -> NpmAccount:
        (self.root / "home").mkdir(parents=True, exist_ok=True)
        (self.root / "globalnpmrc").write_text("")
        self.userconfig.touch()
        return self

    def argv(self, *args: str) -> list[str]:
        return [self.npm_path, *args, "--registry", self.server.url]

    def npm(
        self, *args: str, cwd: Path | None = None, check: bool = True, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            self.argv(*args),
            cwd=cwd or self.root,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and done.returncode != 0:
            raise AssertionError(
                f"npm {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
            )
        return done

    def pty(
        self, *args: str, answers: Sequence[tuple[str, Answer]] = (), cwd: Path | None = None
    ) -> tuple[int, str]:
        return run_in_pty(self.argv(*args), self.env(), cwd or self.root, answers)

    def token(self) -> str:
        match = re.search(
            r"^//127\.0\.0\.1:\d+/:_authToken=(\S+)$", self.userconfig.read_text(), re.MULTILINE
        )
        assert match, self.userconfig.read_text()
        return match.group(1)

    def use_token(self, token: str) -> None:
        """Write a token as `npm login` would (for tests whose subject is not the login)."""
        host = self.server.url.removeprefix("http:")
        self.userconfig.write_text(f"{host}:_authToken={token}\n")

    def login_over_http(self, password: str) -> str:
        """Log in with the registry's couch endpoint and keep the token in this npm's config."""
        status, body = self.server.request(
            "PUT", f"/-/user/org.couchdb.user:{self.name}", body={"name": self.name, "password": password}
        )
        assert status == 201, body
        self.use_token(body["token"])
        return str(body["token"])


def registry_admin(server: RunningRegistry, *args: str, stdin: str = "") -> str:
    """`python -m snpm.registry_server <args>` on the server's data folder; returns stdout."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "snpm.registry_server",
            *args,
            "--config",
            str(server.config),
            "--data",
            str(server.data),
        ],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def registry_db(server: RunningRegistry, sql: str, *args: object) -> list[tuple[Any, ...]]:
    """A read-only query on the server's database, SQLite or PostgreSQL (checking its state beside
    npm). Write SQL both understand: `?` placeholders, `"user"` quoted (a reserved word in PostgreSQL)."""
    url = server.database_url
    if url is not None:
        from support.postgres import query_sync

        return query_sync(url, sql, *args)
    import sqlite3

    with sqlite3.connect(f"file:{server.database}?mode=ro", uri=True) as conn:
        return conn.execute(sql, args).fetchall()


# ── storage backends for the registry's end-to-end tests ──

BACKENDS = ("sqlite", "postgres")


def backend_settings(request: Any, backend: str) -> dict[str, object]:
    """Settings that put a registry on `backend`: nothing for SQLite, a fresh database of the
    session's PostgreSQL cluster for PostgreSQL (the `postgres_cluster` fixture, which skips when
    PostgreSQL is missing; the requesting module must import it)."""
    if backend == "postgres":
        cluster = request.getfixturevalue("postgres_cluster")
        return {"database": cluster.create_database()}
    return {}


def write_package(folder: Path, manifest: Mapping[str, Any], files: Mapping[str, str] | None = None) -> Path:
    """A package folder to `npm publish` from (package.json, README.md, index.js, `files`)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "package.json").write_text(json.dumps(manifest, indent=2) + "\n")
    (folder / "README.md").write_text(f"# {manifest['name']}\n")
    (folder / "index.js").write_text("module.exports = 1\n")
    for path, text in (files or {}).items():
        (folder / path).write_text(text)
    return folder
