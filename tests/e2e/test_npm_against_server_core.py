"""The real npm 11 CLI against a real snpm-registry process on 127.0.0.1.

One server per module and storage backend (a subprocess on a free port, its own data folder; the
module runs once on SQLite and once on PostgreSQL). Each npm user gets an isolated HOME, userconfig,
globalconfig, cache and prefix; `npm adduser`/`npm login` run in a pseudo-terminal (npm only prompts
on a TTY) and the prompts are answered. Every step checks the registry's own state (its HTTP API or
its database), not only npm's exit code. The last test restarts the server on the same data folder
and checks nothing was lost.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from support.postgres import postgres_cluster  # noqa: F401  (a pytest fixture)
from support.registry import BACKENDS, RunningRegistry, backend_settings, registry_db, start_registry

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

NPM = shutil.which("npm")
if NPM is None or shutil.which("node") is None:
    pytest.skip("node and npm are needed", allow_module_level=True)

FIXTURES = Path(__file__).parent.parent / "fixtures" / "packages"
PASSWORD = "correct-horse-battery"
_TOKEN_LINE = re.compile(r"^//127\.0\.0\.1:\d+/:_authToken=(\S+)$", re.MULTILINE)


def _run_in_pty(
    argv: Sequence[str], env: dict[str, str], cwd: Path, answers: Sequence[tuple[str, str]]
) -> tuple[int, str]:
    """Run `argv` on a pseudo-terminal, typing each answer once its prompt has appeared."""
    import pty  # POSIX only, like npm's prompts

    master, slave = pty.openpty()
    process = subprocess.Popen(
        list(argv), stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd, start_new_session=True
    )
    os.close(slave)
    output = b""
    seen = 0
    pending = list(answers)
    deadline = time.monotonic() + 60
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
                    at = output.find(pending[0][0].encode(), seen)
                    if at < 0:
                        break
                    seen = at + len(pending[0][0])
                    os.write(master, pending.pop(0)[1].encode() + b"\r")
            elif process.poll() is not None:
                break
        process.wait(timeout=30)
    finally:
        os.close(master)
    assert not pending, f"npm never asked {pending[0][0]!r}:\n{output.decode(errors='replace')}"
    return process.returncode, output.decode(errors="replace")


@dataclass
class NpmUser:
    """One person's npm: isolated HOME, configs, cache and prefix, pointed at the test registry."""

    name: str
    root: Path
    server: RunningRegistry

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
            NO_COLOR="1",
        )
        return env

    def prepare(self) -> NpmUser:
        (self.root / "home").mkdir(parents=True, exist_ok=True)
        (self.root / "globalnpmrc").write_text("")
        self.userconfig.touch()
        return self

    def npm(
        self, *args: str, cwd: Path | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        assert NPM is not None
        done = subprocess.run(
            [NPM, *args, "--registry", self.server.url],
            cwd=cwd or self.root,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        if check and done.returncode != 0:
            raise AssertionError(
                f"npm {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
            )
        return done

    def login(self, command: str, email: str | None = None, *, legacy: bool = True) -> str:
        """`npm <command> [--auth-type=legacy]` on a terminal; returns the token npm saved.

        Without `--auth-type=legacy` npm first tries web login; the registry answers 404 to
        `POST /-/v1/login`, which makes npm fall back to the same prompts.
        """
        assert NPM is not None
        answers = [("Username:", self.name), ("Password:", PASSWORD)]
        if email is not None:
            answers.append(("Email", email))
        argv = [NPM, command, *(["--auth-type=legacy"] if legacy else []), "--registry", self.server.url]
        code, output = _run_in_pty(argv, self.env(), self.root, answers)
        assert code == 0, output
        assert f"Logged in on {self.server.url}" in output
        return self.token()

    def token(self) -> str:
        match = _TOKEN_LINE.search(self.userconfig.read_text())
        assert match, self.userconfig.read_text()
        return match.group(1)


def _db(server: RunningRegistry, sql: str, *args: object) -> list[tuple[Any, ...]]:
    return registry_db(server, sql, *args)


def _sha512(token: str) -> str:
    return hashlib.sha512(token.encode()).hexdigest()


def _package(server: RunningRegistry, name: str) -> dict[str, Any]:
    status, body = server.request("GET", "/" + name.replace("/", "%2f"))
    assert status == 200, body
    return dict(body)


def _copy_fixture(fixture: str, dest: Path, **changes: Any) -> Path:
    shutil.copytree(FIXTURES / fixture / "1.0.0", dest)
    manifest = json.loads((dest / "package.json").read_text())
    manifest.update(changes)
    (dest / "package.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return dest


def _set_version(folder: Path, version: str) -> None:
    manifest = json.loads((folder / "package.json").read_text())
    manifest["version"] = version
    (folder / "package.json").write_text(json.dumps(manifest, indent=2) + "\n")


def _admin(server: RunningRegistry, *args: str, stdin: str = "") -> None:
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


@pytest.fixture(scope="module", params=BACKENDS)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningRegistry]:
    running = start_registry(
        tmp_path_factory.mktemp("registry") / "data", settings=backend_settings(request, request.param)
    )
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def work(server: RunningRegistry, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("work")  # one per server (backend)


@pytest.fixture(scope="module")
def alice(server: RunningRegistry, work: Path) -> NpmUser:
    """Signs up with `npm adduser` (Username, Password, Email prompts)."""
    user = NpmUser("alice", work / "alice", server).prepare()
    user.login("adduser", email="alice@example.test")
    return user


@pytest.fixture(scope="module")
def bob(server: RunningRegistry, work: Path) -> NpmUser:
    """Created by the admin command, then logs in with `npm login`."""
    _admin(
        server, "user", "add", "bob", "--email", "bob@example.test", "--password-stdin", stdin=PASSWORD + "\n"
    )
    user = NpmUser("bob", work / "bob", server).prepare()
    user.login("login")
    return user


def test_adduser_login_and_whoami(server: RunningRegistry, alice: NpmUser, bob: NpmUser) -> None:
    users = dict(_db(server, "SELECT name, password_hash FROM users"))
    assert set(users) == {"alice", "bob"}
    assert all(h.startswith("$argon2id$") for h in users.values())
    for user in (alice, bob):
        token = user.token()
        assert token.startswith("npm_")
        # only the hash is stored, under the right user
        assert _db(server, 'SELECT "user" FROM tokens WHERE token_hash = ?', _sha512(token)) == [(user.name,)]
        assert user.npm("whoami").stdout.strip() == user.name
        assert server.request("GET", "/-/whoami", token=token) == (200, {"username": user.name})
    # a wrong password is refused by the server (401), and npm says so
    intruder = NpmUser("alice", alice.root.parent / "intruder", server).prepare()
    code, output = _run_in_pty(
        [str(NPM), "login", "--auth-type=legacy", "--registry", server.url],
        intruder.env(),
        intruder.root,
        [("Username:", "alice"), ("Password:", "not-the-password")],
    )
    assert code != 0 and "401" in output


def test_publish_view_install(server: RunningRegistry, alice: NpmUser, work: Path) -> None:
    folder = _copy_fixture("registry-basic", work / "basic")
    published = alice.npm("publish", cwd=folder)
    assert "+ registry-basic@1.0.0" in published.stdout
    document = _package(server, "registry-basic")
    assert document["dist-tags"] == {"latest": "1.0.0"}
    version = document["versions"]["1.0.0"]
    assert version["_npmUser"]["name"] == "alice"
    assert version["dist"]["tarball"] == f"{server.url}registry-basic/-/registry-basic-1.0.0.tgz"
    assert document["maintainers"] == [{"name": "alice", "email": "alice@example.test"}]
    assert _db(server, "SELECT version FROM tarballs WHERE name = 'registry-basic'") == [("1.0.0",)]
    assert (server.data / "tarballs" / "registry-basic" / "registry-basic-1.0.0.tgz").is_file()

    _set_version(folder, "1.1.0-beta.0")
    alice.npm("publish", "--tag", "beta", cwd=folder)
    assert _package(server, "registry-basic")["dist-tags"] == {"latest": "1.0.0", "beta": "1.1.0-beta.0"}

    scoped = _copy_fixture("registry-scoped", work / "scoped")
    alice.npm("publish", "--access", "public", cwd=scoped)
    assert _package(server, "@e2e-scope/registry-scoped")["versions"]["1.0.0"]["bin"] == {
        "registry-scoped": "bin/cli.js"
    }
    assert server.request("GET", "/@e2e-scope/registry-scoped")[0] == 200

    viewed = json.loads(alice.npm("view", "registry-basic", "--json").stdout)
    assert viewed["name"] == "registry-basic" and viewed["versions"] == ["1.0.0", "1.1.0-beta.0"]
    assert viewed["dist-tags"] == {"latest": "1.0.0", "beta": "1.1.0-beta.0"}
    assert alice.npm("view", "registry-basic", "dist-tags.beta").stdout.strip() == "1.1.0-beta.0"
    assert (
        alice.npm("view", "registry-basic@1.0.0", "dist.tarball").stdout.strip() == version["dist"]["tarball"]
    )

    project = work / "project"
    project.mkdir()
    (project / "package.json").write_text('{"name": "project", "version": "1.0.0"}\n')
    alice.npm("install", "registry-basic", "@e2e-scope/registry-scoped", cwd=project)
    assert (project / "node_modules" / "registry-basic" / "index.js").read_text().startswith("module.exports")
    assert (project / "node_modules" / "@e2e-scope" / "registry-scoped" / "bin" / "cli.js").is_file()
    assert (project / "node_modules" / ".bin" / "registry-scoped").exists()
    lock = json.loads((project / "package-lock.json").read_text())
    entry = lock["packages"]["node_modules/registry-basic"]
    assert entry["version"] == "1.0.0" and entry["resolved"] == version["dist"]["tarball"]
    assert entry["integrity"] == version["dist"]["integrity"]

    # versions are immutable: with --force npm skips its own check, and the server refuses
    _set_version(folder, "1.0.0")
    again = alice.npm("publish", "--force", cwd=folder, check=False)
    assert again.returncode != 0
    assert "403 Forbidden" in again.stderr and "previously published versions: 1.0.0" in again.stderr


def test_dist_tags(server: RunningRegistry, alice: NpmUser, work: Path) -> None:
    folder = _copy_fixture("registry-basic", work / "tags", name="registry-tags")
    alice.npm("publish", cwd=folder)
    alice.npm("dist-tag", "add", "registry-tags@1.0.0", "stable")
    assert server.request("GET", "/-/package/registry-tags/dist-tags") == (
        200,
        {"latest": "1.0.0", "stable": "1.0.0"},
    )
    listed = alice.npm("dist-tag", "ls", "registry-tags").stdout
    assert "stable: 1.0.0" in listed and "latest: 1.0.0" in listed
    alice.npm("dist-tag", "rm", "registry-tags", "stable")
    assert server.request("GET", "/-/package/registry-tags/dist-tags") == (200, {"latest": "1.0.0"})


def test_deprecate_and_undeprecate(server: RunningRegistry, alice: NpmUser, work: Path) -> None:
    folder = _copy_fixture("registry-basic", work / "deprecated", name="registry-deprecated")
    alice.npm("publish", cwd=folder)
    alice.npm("deprecate", "registry-deprecated@1.0.0", "use something else")
    assert _package(server, "registry-deprecated")["versions"]["1.0.0"]["deprecated"] == "use something else"
    assert alice.npm("view", "registry-deprecated", "deprecated").stdout.strip() == "use something else"
    alice.npm("undeprecate", "registry-deprecated@1.0.0")
    assert "deprecated" not in _package(server, "registry-deprecated")["versions"]["1.0.0"]


def test_owners_decide_who_publishes(
    server: RunningRegistry, alice: NpmUser, bob: NpmUser, work: Path
) -> None:
    folder = _copy_fixture("registry-basic", work / "owned", name="registry-owned")
    alice.npm("publish", cwd=folder)
    assert alice.npm("owner", "ls", "registry-owned").stdout.strip() == "alice <alice@example.test>"

    _set_version(folder, "1.1.0")
    refused = bob.npm("publish", cwd=folder, check=False)
    assert refused.returncode != 0 and "403 Forbidden" in refused.stderr
    assert 'You do not have permission to publish "registry-owned"' in refused.stderr
    assert "1.1.0" not in _package(server, "registry-owned")["versions"]

    alice.npm("owner", "add", "bob", "registry-owned")
    assert [m["name"] for m in _package(server, "registry-owned")["maintainers"]] == ["alice", "bob"]
    bob.npm("publish", cwd=folder)
    assert _package(server, "registry-owned")["versions"]["1.1.0"]["_npmUser"]["name"] == "bob"

    bob.npm("owner", "rm", "alice", "registry-owned")
    assert _package(server, "registry-owned")["maintainers"] == [{"name": "bob", "email": "bob@example.test"}]
    _set_version(folder, "1.2.0")
    assert alice.npm("publish", cwd=folder, check=False).returncode != 0
    assert "1.2.0" not in _package(server, "registry-owned")["versions"]
    assert bob.npm("owner", "ls", "registry-owned").stdout.strip() == "bob <bob@example.test>"


def test_tokens(server: RunningRegistry, alice: NpmUser) -> None:
    listed = alice.npm("token", "list").stdout
    assert f"Token {alice.token()[:8]}" in listed

    created = alice.npm("token", "create", "--password", PASSWORD, "--name", "ci").stdout
    token = re.search(r"Created token (npm_\S+)", created)
    assert token, created
    ci = token.group(1)
    assert server.request("GET", "/-/whoami", token=ci) == (200, {"username": "alice"})
    tokens = json.loads(alice.npm("token", "list", "--json").stdout)
    key = next(t["key"] for t in tokens if t["name"] == "ci")
    assert _db(server, "SELECT key FROM tokens WHERE token_hash = ?", _sha512(ci)) == [(key,)]

    assert "Removed 1 token" in alice.npm("token", "revoke", key[:8]).stdout
    assert server.request("GET", "/-/whoami", token=ci)[0] == 401
    assert _db(server, "SELECT key FROM tokens WHERE key = ?", key) == []

    limited = alice.npm("token", "create", "--password", PASSWORD, "--cidr", "10.0.0.0/8").stdout
    match = re.search(r"Created token (npm_\S+)", limited)
    assert match and "10.0.0.0/8" in limited
    assert server.request("GET", "/-/whoami", token=match.group(1))[0] == 401  # we are on 127.0.0.1


def test_unpublish(server: RunningRegistry, alice: NpmUser, work: Path) -> None:
    folder = _copy_fixture("registry-basic", work / "gone", name="registry-gone")
    alice.npm("publish", cwd=folder)
    _set_version(folder, "1.1.0")
    alice.npm("publish", cwd=folder)

    alice.npm("unpublish", "registry-gone@1.1.0")
    document = _package(server, "registry-gone")
    assert list(document["versions"]) == ["1.0.0"] and document["dist-tags"] == {"latest": "1.0.0"}
    assert server.request("GET", "/registry-gone/-/registry-gone-1.1.0.tgz")[0] == 404
    assert _db(server, "SELECT version FROM tarballs WHERE name = 'registry-gone'") == [("1.0.0",)]
    assert not (server.data / "tarballs" / "registry-gone" / "registry-gone-1.1.0.tgz").exists()

    alice.npm("unpublish", "registry-gone", "--force")
    assert server.request("GET", "/registry-gone")[0] == 404
    assert _db(server, "SELECT count(*) FROM tarballs WHERE name = 'registry-gone'") == [(0,)]
    # the name is free again, the version numbers are not
    again = alice.npm("publish", cwd=folder, check=False)
    assert again.returncode != 0 and "previously published versions: 1.1.0" in again.stderr
    assert _db(
        server, "SELECT version FROM published_versions WHERE name = 'registry-gone' ORDER BY version"
    ) == [
        ("1.0.0",),
        ("1.1.0",),
    ]


def test_ping(alice: NpmUser) -> None:
    done = alice.npm("ping")
    assert "PONG" in done.stderr + done.stdout


def test_logout_revokes_the_token_on_the_server(server: RunningRegistry, work: Path) -> None:
    _admin(
        server,
        "user",
        "add",
        "carol",
        "--email",
        "carol@example.test",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    carol = NpmUser("carol", work / "carol", server).prepare()
    token = carol.login("login", legacy=False)  # web login first, then the couch fallback
    assert server.request("GET", "/-/whoami", token=token)[0] == 200
    carol.npm("logout")
    assert "_authToken" not in carol.userconfig.read_text() if carol.userconfig.exists() else True
    assert server.request("GET", "/-/whoami", token=token)[0] == 401
    assert _db(server, "SELECT count(*) FROM tokens WHERE token_hash = ?", _sha512(token)) == [(0,)]
    log = server.log.read_text()
    assert token not in log and '"path":"/-/user/token/***"' in log  # the access log never shows a token
    assert not re.search(r"npm_[A-Za-z0-9]{36}", log)


def test_restart_keeps_everything(server: RunningRegistry, alice: NpmUser, bob: NpmUser, work: Path) -> None:
    folder = _copy_fixture("registry-basic", work / "restart", name="registry-restart")
    alice.npm("publish", cwd=folder)
    alice.npm("owner", "add", "bob", "registry-restart")
    names = [row[0] for row in _db(server, "SELECT name FROM packages ORDER BY name")]
    before = {name: _package(server, name) for name in names}
    accounts = _db(server, "SELECT name, email, password_hash FROM users ORDER BY name")
    tokens = _db(server, 'SELECT key, token_hash, "user" FROM tokens ORDER BY key')
    port = server.port

    server.restart()

    assert server.port == port
    assert {name: _package(server, name) for name in names} == before
    assert _db(server, "SELECT name, email, password_hash FROM users ORDER BY name") == accounts
    assert _db(server, 'SELECT key, token_hash, "user" FROM tokens ORDER BY key') == tokens
    assert alice.npm("whoami").stdout.strip() == "alice"
    owners = bob.npm("owner", "ls", "registry-restart").stdout.split("\n")
    assert owners == ["alice <alice@example.test>", "bob <bob@example.test>", ""]
    project = work / "after-restart"
    project.mkdir()
    (project / "package.json").write_text('{"name": "after-restart", "version": "1.0.0"}\n')
    alice.npm("install", "registry-restart@1.0.0", "--prefer-online", cwd=project)
    assert (project / "node_modules" / "registry-restart" / "package.json").is_file()
