"""`snpm-registry serve --workers 2` on SQLite and on PostgreSQL: two processes serve one registry.

Concurrent publishes of different versions of one package (each on its own connection, so both
workers take part) all land; the same version published several times at once is accepted exactly
once; a worker killed with SIGKILL is replaced; a restart loses nothing.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from support.postgres import postgres_cluster  # noqa: F401  (a pytest fixture)
from support.registry import (
    BACKENDS,
    RunningRegistry,
    backend_settings,
    publish_body,
    registry_db,
    start_registry,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture(params=BACKENDS)
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RunningRegistry]:
    running = start_registry(
        tmp_path / "data", settings=backend_settings(request, request.param), extra_args=("--workers", "2")
    )
    try:
        yield running
    finally:
        running.stop()


def _workers(server: RunningRegistry) -> list[int]:
    pid = server.process.pid
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in children.read_text().split()] if children.exists() else []


def _served_by(server: RunningRegistry) -> set[int]:
    return {json.loads(line)["pid"] for line in server.log.read_text().splitlines() if line.strip()}


def test_two_workers_share_one_registry(server: RunningRegistry) -> None:
    workers = _workers(server)
    assert len(workers) == 2 or not Path("/proc").exists()
    status, body = server.request(
        "PUT",
        "/-/user/org.couchdb.user:alice",
        body={"name": "alice", "password": "password-123", "email": "alice@example.test"},
    )
    assert status == 201, body
    token = body["token"]
    status, _ = server.request("PUT", "/shared", token=token, body=publish_body("shared", "0.0.1"))
    assert status == 201

    versions = [f"1.0.{i}" for i in range(10)]
    with ThreadPoolExecutor(10) as pool:
        results = list(
            pool.map(
                lambda v: server.request(
                    "PUT", "/shared", token=token, body=publish_body("shared", v, tag=f"t{v}")
                ),
                versions,
            )
        )
    assert [status for status, _ in results] == [201] * 10, results
    same = [publish_body("shared", "2.0.0", manifest={"description": f"copy {i}"}) for i in range(6)]
    with ThreadPoolExecutor(6) as pool:
        contested = list(pool.map(lambda b: server.request("PUT", "/shared", token=token, body=b), same))
    assert sorted(status for status, _ in contested) == [201] + [403] * 5, contested
    if Path("/proc").exists():
        assert _served_by(server) == set(workers)  # both workers answered

    status, document = server.request("GET", "/shared")
    assert status == 200
    assert sorted(document["versions"]) == ["0.0.1", *versions, "2.0.0"]
    winner = next(b for (s, _), b in zip(contested, same, strict=True) if s == 201)
    assert document["versions"]["2.0.0"]["description"] == winner["description"]
    assert sorted(r[0] for r in registry_db(server, "SELECT version FROM published_versions")) == sorted(
        ["0.0.1", *versions, "2.0.0"]
    )

    # a worker that dies is replaced, and the registry keeps answering meanwhile
    if workers:
        os.kill(workers[0], signal.SIGKILL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and (len(_workers(server)) < 2 or workers[0] in _workers(server)):
            time.sleep(0.1)
        assert len(_workers(server)) == 2 and workers[0] not in _workers(server)
    for _ in range(6):
        assert server.request("GET", "/-/ping")[0] == 200

    server.restart()
    status, document = server.request("GET", "/shared")
    assert status == 200 and sorted(document["versions"]) == ["0.0.1", *versions, "2.0.0"]
    tarball = server.url + "shared/-/shared-2.0.0.tgz"
    import urllib.request

    with urllib.request.urlopen(tarball, timeout=10) as response:
        data = response.read()
    attachment = winner["_attachments"]["shared-2.0.0.tgz"]["data"]
    assert data == base64.b64decode(attachment)
