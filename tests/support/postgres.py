"""A throwaway PostgreSQL cluster for tests: `initdb` in a temporary folder, `pg_ctl` on 127.0.0.1 and a
free port (`-F`: no fsync, a test cluster need not survive a power cut), stopped and deleted at the end.

    cluster = PostgresCluster.start()          # or the session fixture `postgres_cluster`
    url = cluster.create_database()            # "postgresql://snpm@127.0.0.1:<port>/snpm_<random>"
    cluster.query(url, "SELECT 1")             # [(1,)]
    cluster.stop()

The binaries come from PATH or Debian's `/usr/lib/postgresql/<version>/bin` (`scripts/install_postgres.sh`
installs them); without them the fixtures skip with that reason. PostgreSQL refuses to run as root,
so as root the cluster belongs to the `postgres` user (else `nobody`) and the commands run through
`runuser`; the cluster's folder lives outside pytest's root-only tmp folder for the same reason.
"""

from __future__ import annotations

import asyncio
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

_SUPERUSER = "snpm"


def postgres_bin_dir() -> Path | None:
    """Where initdb and pg_ctl are (PATH first, then the newest Debian version), or None."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(found).resolve().parent
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    return versions[-1].parent if versions else None


def _run_as() -> str | None:
    """The unprivileged account to run PostgreSQL as when we are root (None: run as ourselves)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def query_sync(url: str, sql: str, *args: object) -> list[tuple[Any, ...]]:
    """Run one statement with asyncpg (in its own thread and loop, so callers may be sync or async);
    `?` placeholders are accepted and numbered as PostgreSQL wants (`$1`, `$2`, …)."""
    import asyncpg  # type: ignore[import-untyped]

    numbered = sql
    for index in range(1, sql.count("?") + 1):
        numbered = numbered.replace("?", f"${index}", 1)
    result: list[list[tuple[Any, ...]]] = []
    error: list[BaseException] = []

    async def main() -> None:
        conn = await asyncpg.connect(url)
        try:
            rows = await conn.fetch(numbered, *args)
            result.append([tuple(row) for row in rows])
        finally:
            await conn.close()

    def target() -> None:
        try:
            asyncio.run(main())
        except BaseException as err:  # re-raised in the caller's thread
            error.append(err)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(60)
    if error:
        raise error[0]
    return result[0]


@dataclass
class PostgresCluster:
    root: Path
    port: int
    bin_dir: Path
    user: str | None
    _template: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def data(self) -> Path:
        return self.root / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{_SUPERUSER}@127.0.0.1:{self.port}/{database}"

    @classmethod
    def start(cls) -> PostgresCluster:
        bin_dir = postgres_bin_dir()
        if bin_dir is None:
            raise FileNotFoundError("initdb/pg_ctl not found (run scripts/install_postgres.sh)")
        user = _run_as()
        if os.geteuid() == 0 and user is None:
            raise PermissionError("running as root without a postgres or nobody account to run PostgreSQL as")
        root = Path(tempfile.mkdtemp(prefix="snpm-pg-"))
        (root / "sock").mkdir()
        if user is not None:
            entry = pwd.getpwnam(user)
            for path in (root, root / "sock"):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        cluster = cls(root, 0, bin_dir, user)
        try:
            cluster._command(
                "initdb",
                "-D",
                str(cluster.data),
                "--username",
                _SUPERUSER,
                "--auth",
                "trust",
                "--encoding",
                "UTF8",
                "--no-locale",
                "--no-sync",
            )
            for _attempt in range(5):
                cluster.port = _free_port()
                options = (
                    f"-F -p {cluster.port} -c listen_addresses=127.0.0.1 -k {root / 'sock'} "
                    "-c max_connections=300 -c shared_buffers=32MB -c synchronous_commit=off"
                )
                done = cluster._command(
                    "pg_ctl",
                    "-D",
                    str(cluster.data),
                    "-o",
                    options,
                    "-l",
                    str(root / "log"),
                    "-w",
                    "start",
                    check=False,
                )
                if done.returncode == 0:
                    return cluster
            raise RuntimeError(f"PostgreSQL did not start:\n{cluster.log()}")
        except BaseException:
            shutil.rmtree(root, ignore_errors=True)
            raise

    def _command(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        argv: Sequence[str] = [str(self.bin_dir / tool), *args]
        if self.user is not None:
            argv = ["runuser", "-u", self.user, "--", *argv]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd=self.root)
        if check and done.returncode != 0:
            raise RuntimeError(f"{tool} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        return done

    def log(self) -> str:
        try:
            return (self.root / "log").read_text()
        except OSError:
            return ""

    def stop(self) -> None:
        self._command("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.root, ignore_errors=True)

    def create_database(self, name: str | None = None, *, migrated: bool = True) -> str:
        """A new database (copied from one snpm-registry has migrated already, unless `migrated` is
        False: then empty); returns its URL. FILE_COPY: with fsync off it is the fast strategy."""
        name = name or f"snpm_{secrets.token_hex(6)}"
        template = ""
        if migrated:
            with self._lock:
                if not self._template:
                    self._template = self._migrated_template()
            template = f' TEMPLATE "{self._template}"'
        query_sync(self.url(), f'CREATE DATABASE "{name}"{template} STRATEGY FILE_COPY')
        return self.url(name)

    def _migrated_template(self) -> str:
        from snpm.registry_server.storage.postgres import PostgresStorage

        name = "snpm_migrated_template"
        query_sync(self.url(), f'CREATE DATABASE "{name}" STRATEGY FILE_COPY')
        storage = PostgresStorage(self.url(name), self.root / "template-files" / "tarballs")

        async def migrate() -> None:
            await storage.open()
            await storage.close()

        thread = threading.Thread(target=lambda: asyncio.run(migrate()))
        thread.start()
        thread.join(120)
        return name

    def query(self, url: str, sql: str, *args: object) -> list[tuple[Any, ...]]:
        return query_sync(url, sql, *args)


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """One cluster per test session (per xdist worker); skipped when PostgreSQL is not installed."""
    try:
        import asyncpg  # type: ignore[import-untyped]  # noqa: F401
    except ImportError:
        pytest.skip("asyncpg is not installed (pip install -e '.[postgres]')")
    try:
        cluster = PostgresCluster.start()
    except (FileNotFoundError, PermissionError) as err:
        pytest.skip(f"no PostgreSQL for tests: {err}")
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def postgres_url(postgres_cluster: PostgresCluster) -> str:
    """A fresh database in the session's cluster."""
    return postgres_cluster.create_database()
