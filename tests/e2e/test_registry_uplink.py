"""The real npm 11 installing through snpm-registry's caching uplink, on SQLite and PostgreSQL.

Two registries on 127.0.0.1: an "upstream" snpm-registry holding the packages, and the registry
under test with `--uplink <upstream>`. npm installs from the proxy (every tarball URL it sees points
at the proxy); then the upstream is stopped and a fresh npm (empty cache) installs the same packages
again, from what the proxy cached. A package the proxy never fetched fails with the proxy's 503, a
package published to the proxy is served alongside, and the local scope never reaches the upstream.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.postgres import postgres_cluster  # noqa: F401  (a pytest fixture)
from support.registry import (
    BACKENDS,
    NpmAccount,
    RunningRegistry,
    backend_settings,
    publish_body,
    start_registry,
    write_package,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

NPM = shutil.which("npm")
if NPM is None or shutil.which("node") is None:
    pytest.skip("node and npm are needed", allow_module_level=True)

PASSWORD = "correct-horse-battery"


def _sign_up(server: RunningRegistry, name: str) -> str:
    status, body = server.request(
        "PUT",
        f"/-/user/org.couchdb.user:{name}",
        body={"name": name, "password": PASSWORD, "email": f"{name}@example.test"},
    )
    assert status == 201, body
    return str(body["token"])


@pytest.fixture(params=BACKENDS)
def registries(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[RunningRegistry, RunningRegistry]]:
    upstream = start_registry(tmp_path / "upstream")
    try:
        token = _sign_up(upstream, "publisher")
        bodies = [
            publish_body("up-dep", "1.0.0"),
            publish_body("up-dep", "1.1.0"),
            publish_body("up-app", "1.0.0", manifest={"dependencies": {"up-dep": "^1.0.0"}}),
            publish_body("@up/scoped", "2.0.0"),
            publish_body("@corp/secret", "1.0.0"),
            publish_body("not-fetched", "1.0.0"),
        ]
        for body in bodies:
            status, answer = upstream.request(
                "PUT", "/" + body["name"].replace("/", "%2f"), token=token, body=body
            )
            assert status == 201, answer
        proxy = start_registry(
            tmp_path / "proxy",
            settings={
                "uplink": upstream.url,
                "uplink-max-age": 0,
                "local-scopes": ["@corp"],
                **backend_settings(request, request.param),
            },
        )
        try:
            yield upstream, proxy
        finally:
            proxy.stop()
    finally:
        upstream.stop()


def _project(root: Path) -> Path:
    root.mkdir(parents=True)
    (root / "package.json").write_text('{"name": "consumer", "version": "1.0.0"}\n')
    return root


def _installed(project: Path, name: str) -> str:
    return str(json.loads((project / "node_modules" / name / "package.json").read_text())["version"])


def test_npm_installs_through_the_cache_and_keeps_working_without_the_uplink(
    registries: tuple[RunningRegistry, RunningRegistry], tmp_path: Path
) -> None:
    upstream, proxy = registries
    npm = NpmAccount("carol", tmp_path / "first", proxy, str(NPM)).prepare()
    project = _project(tmp_path / "project")
    npm.npm("install", "up-app", "@up/scoped", cwd=project)
    assert (_installed(project, "up-app"), _installed(project, "up-dep")) == ("1.0.0", "1.1.0")
    assert _installed(project, "@up/scoped") == "2.0.0"
    lock = json.loads((project / "package-lock.json").read_text())
    resolved = {path: entry["resolved"] for path, entry in lock["packages"].items() if path}
    assert all(url.startswith(proxy.url) for url in resolved.values()), resolved
    view = npm.npm("view", "up-dep", "dist.tarball").stdout.strip()
    assert view == f"{proxy.url}up-dep/-/up-dep-1.1.0.tgz"
    # the local scope never comes from the uplink, even though the upstream has the package
    hidden = npm.npm("view", "@corp/secret", check=False)
    assert hidden.returncode != 0 and "E404" in hidden.stderr

    upstream.stop()
    fresh = NpmAccount("dave", tmp_path / "second", proxy, str(NPM)).prepare()  # an empty npm cache
    again = _project(tmp_path / "again")
    fresh.npm("install", "up-app", "@up/scoped", "--prefer-online", cwd=again)
    assert (_installed(again, "up-app"), _installed(again, "up-dep"), _installed(again, "@up/scoped")) == (
        "1.0.0",
        "1.1.0",
        "2.0.0",
    )
    failed = fresh.npm("install", "not-fetched", "--fetch-retries=0", cwd=again, check=False)
    assert failed.returncode != 0
    assert "503" in failed.stderr and "cannot be reached" in failed.stderr, failed.stderr

    # publishing to the proxy works beside the cache, in the local scope too
    fresh.use_token(_sign_up(proxy, "dave"))
    package = write_package(tmp_path / "internal", {"name": "@corp/internal", "version": "1.0.0"})
    fresh.npm("publish", "--access", "public", cwd=package)
    fresh.npm("install", "@corp/internal", cwd=again)
    assert _installed(again, "@corp/internal") == "1.0.0"
