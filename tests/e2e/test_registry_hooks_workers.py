"""Hook deliveries from `snpm-registry serve --workers 2`, on SQLite and on PostgreSQL: publishes served
by both workers at once each reach every watching hook exactly once, signed, and the outbox is empty
afterwards; hooks outlive a restart."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

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

SECRET = "worker-secret"


class Receiver:
    def __init__(self) -> None:
        self.got: list[tuple[str, dict[str, str], bytes]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    receiver.got.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.http.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}"

    def wait_for(self, count: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while len(self.got) < count:
            assert time.monotonic() < deadline, f"{len(self.got)} of {count} deliveries arrived"
            time.sleep(0.05)
        time.sleep(3)  # longer than a worker's poll: a second delivery would show up by now


@pytest.fixture(params=BACKENDS)
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RunningRegistry]:
    running = start_registry(
        tmp_path / "data", settings=backend_settings(request, request.param), extra_args=("--workers", "2")
    )
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    try:
        yield found
    finally:
        found.http.shutdown()


def _sign_up(server: RunningRegistry, name: str) -> str:
    body = {"name": name, "password": "password-123", "email": f"{name}@example.test"}
    status, answer = server.request("PUT", f"/-/user/org.couchdb.user:{name}", body=body)
    assert status == 201, answer
    return str(answer["token"])


def _hook(server: RunningRegistry, token: str, kind: str, name: str, endpoint: str) -> None:
    body = {"type": kind, "name": name, "endpoint": endpoint, "secret": SECRET}
    status, answer = server.request("POST", "/-/npm/v1/hooks/hook", token=token, body=body)
    assert status == 201, answer


def test_each_event_is_delivered_once_by_two_workers(server: RunningRegistry, receiver: Receiver) -> None:
    alice = _sign_up(server, "alice")
    bob = _sign_up(server, "bob")
    _hook(server, bob, "package", "demo", receiver.url + "/package")
    _hook(server, bob, "owner", "alice", receiver.url + "/owner")
    first = publish_body("demo", "0.0.1", registry=server.url)
    assert server.request("PUT", "/demo", token=alice, body=first)[0] == 201
    versions = [f"1.0.{n}" for n in range(12)]

    def publish(version: str) -> int:
        body = publish_body("demo", version, registry=server.url)
        return server.request("PUT", "/demo", token=alice, body=body)[0]

    with ThreadPoolExecutor(6) as pool:
        assert set(pool.map(publish, versions)) == {201}
    receiver.wait_for(2 * (len(versions) + 1))
    seen = Counter((path, json.loads(body)["change"]["version"]) for path, _, body in receiver.got)
    assert seen == Counter({(p, v): 1 for p in ("/package", "/owner") for v in ["0.0.1", *versions]})
    for _, headers, body in receiver.got:
        assert (
            headers["x-npm-signature"]
            == "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        )
        assert json.loads(body)["event"] == "package:publish"
    # both workers answered publishes, and the outbox is empty once everything is sent
    assert len({json.loads(line)["pid"] for line in server.log.read_text().splitlines() if line.strip()}) == 2
    assert registry_db(server, "SELECT count(*) FROM hook_deliveries") == [(0,)]
    assert registry_db(server, "SELECT count(*) FROM hook_events") == [(0,)]
    status, listed = server.request("GET", "/-/npm/v1/hooks", token=bob)
    assert status == 200 and {(h["delivered"], h["response_code"]) for h in listed["objects"]} == {
        (True, 204)
    }


def test_hooks_survive_a_restart(server: RunningRegistry, receiver: Receiver) -> None:
    alice = _sign_up(server, "alice")
    _hook(server, alice, "package", "demo", "http://127.0.0.1:9/nobody-listens")
    _hook(server, alice, "scope", "@alice", receiver.url + "/scope")
    server.restart()
    body = publish_body("@alice/tool", "1.0.0", registry=server.url)
    assert server.request("PUT", "/@alice%2ftool", token=alice, body=body)[0] == 201
    receiver.wait_for(1)
    assert [path for path, _, _ in receiver.got] == ["/scope"]
    sent = json.loads(receiver.got[0][2])
    assert sent["name"] == "@alice/tool" and sent["hookOwner"] == {"username": "alice"}
    tarball = sent["payload"]["versions"]["1.0.0"]["dist"]["tarball"]
    assert tarball == f"{server.url}@alice/tool/-/tool-1.0.0.tgz"
