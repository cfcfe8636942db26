"""Verdaccio 5.33.0, a real peer registry, on 127.0.0.1 for differential tests.

    with running_verdaccio(tmp_path / "verdaccio") as verdaccio:
        verdaccio.url                              # "http://127.0.0.1:<port>/"
        verdaccio.add_user("alice", "secret")      # the couch sign-up; returns the token

`scripts/install_verdaccio.sh` installs it into `.cache/verdaccio`; when that install (or node) is
missing, `running_verdaccio` skips the test. Each instance gets its own config in the test's tmp
folder: htpasswd auth with sign-up allowed, no uplinks (nothing leaves the machine), every package
readable by all and writable by any logged-in user.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
VERDACCIO_BIN = ROOT / ".cache" / "verdaccio" / "node_modules" / "verdaccio" / "bin" / "verdaccio"

_CONFIG = """\
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
    unpublish: $authenticated
  '**':
    access: $all
    publish: $authenticated
    unpublish: $authenticated
server:
  keepAliveTimeout: 5
log: {{ type: file, path: {log}, level: warn }}
"""


def verdaccio_available() -> bool:
    return VERDACCIO_BIN.is_file() and shutil.which("node") is not None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class RunningVerdaccio:
    root: Path
    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    def request(
        self, method: str, path: str, *, token: str | None = None, body: object = None
    ) -> tuple[int, Any]:
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
            try:
                return err.code, json.loads(raw) if raw else None
            except ValueError:
                return err.code, raw.decode("utf-8", "replace")

    def add_user(self, name: str, password: str, email: str | None = None) -> str:
        """Create an account through the couch endpoint; returns the token Verdaccio issued."""
        body = {"name": name, "password": password, "email": email or f"{name}@example.test"}
        status, answer = self.request("PUT", f"/-/user/org.couchdb.user:{name}", body=body)
        assert status == 201, (status, answer)
        token: str = answer["token"]
        return token


def start_verdaccio(root: Path) -> RunningVerdaccio:
    """Start Verdaccio on a free 127.0.0.1 port with its config, storage and log under `root`."""
    if not verdaccio_available():
        pytest.skip("Verdaccio is not installed (run scripts/install_verdaccio.sh)")
    node = shutil.which("node")
    assert node is not None
    root.mkdir(parents=True, exist_ok=True)
    config = root / "config.yaml"
    config.write_text(
        _CONFIG.format(
            storage=json.dumps(str(root / "storage")),
            htpasswd=json.dumps(str(root / "htpasswd")),
            log=json.dumps(str(root / "verdaccio.log")),
        )
    )
    deadline = time.monotonic() + 30
    while True:
        port = _free_port()
        with (root / "stdout.log").open("ab") as out:
            process = subprocess.Popen(
                [node, str(VERDACCIO_BIN), "--config", str(config), "--listen", f"127.0.0.1:{port}"],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=root,
            )
        running = RunningVerdaccio(root, port, process)
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if running.request("GET", "/-/ping")[0] == 200:
                    return running
            except OSError:
                pass
            time.sleep(0.1)
        running.stop()
        if time.monotonic() >= deadline:
            raise RuntimeError("Verdaccio did not start:\n" + (root / "stdout.log").read_text())
        # the port was taken between picking and listening: try another one


@contextmanager
def running_verdaccio(root: Path) -> Iterator[RunningVerdaccio]:
    verdaccio = start_verdaccio(root)
    try:
        yield verdaccio
    finally:
        verdaccio.stop()
