"""The real npm 11 against snpm-registry: `npm org`, `npm team`, `npm access`, and restricted packages.

One registry subprocess for the module and storage backend (SQLite, then PostgreSQL); alice, bob and carol are its users, and each test makes its
own org with the admin command (npm has no command that creates one), so the tests stay independent
(also under pytest-xdist). Every step checks the registry's own state (its database or its
HTTP API), not only npm's output.
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
    registry_admin,
    registry_db,
    start_registry,
    write_package,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

NPM = shutil.which("npm")
if NPM is None or shutil.which("node") is None:
    pytest.skip("node and npm are needed", allow_module_level=True)

PASSWORD = "correct-horse-battery"


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
def people(server: RunningRegistry, tmp_path_factory: pytest.TempPathFactory) -> dict[str, NpmAccount]:
    root = tmp_path_factory.mktemp("people")
    out: dict[str, NpmAccount] = {}
    for name in ("alice", "bob", "carol"):
        registry_admin(
            server,
            "user",
            "add",
            name,
            "--email",
            f"{name}@example.test",
            "--password-stdin",
            stdin=PASSWORD + "\n",
        )
        account = NpmAccount(name, root / name, server, str(NPM)).prepare()
        account.login_over_http(PASSWORD)
        out[name] = account
    return out


def _org(server: RunningRegistry, org: str, *members: str) -> None:
    """An org owned by alice (the admin command), with `members` as developers."""
    registry_admin(server, "org", "create", org, "--owner", "alice")
    for member in members:
        registry_admin(server, "org", "set", org, member, "developer")


def _members(server: RunningRegistry, org: str = "acme") -> dict[str, str]:
    return dict(registry_db(server, 'SELECT "user", role FROM org_members WHERE org = ?', org))


def _team(server: RunningRegistry, team: str, org: str = "acme") -> list[str]:
    rows = registry_db(
        server, 'SELECT "user" FROM team_members WHERE org = ? AND team = ? ORDER BY "user"', org, team
    )
    return [r[0] for r in rows]


def test_org_membership(server: RunningRegistry, people: dict[str, NpmAccount]) -> None:
    _org(server, "acme")
    alice = people["alice"]
    out = alice.npm("org", "set", "acme", "bob").stdout
    assert "Added bob as developer to acme. You now have 2 members in this org." in out
    out = alice.npm("org", "set", "acme", "carol", "admin").stdout
    assert "Added carol as admin to acme. You now have 3 members in this org." in out
    assert _members(server) == {"alice": "owner", "bob": "developer", "carol": "admin"}
    assert _team(server, "developers") == ["alice", "bob", "carol"]  # new members join developers

    assert alice.npm("org", "ls", "acme").stdout.split("\n")[:3] == [
        "alice - owner",
        "bob - developer",
        "carol - admin",
    ]
    assert json.loads(alice.npm("org", "ls", "acme", "--json").stdout) == _members(server)
    parseable = alice.npm("org", "ls", "acme", "--parseable").stdout.split("\n")
    assert parseable[:4] == ["user\trole", "alice\towner", "bob\tdeveloper", "carol\tadmin"]

    # a developer manages nobody: the registry refuses
    refused = people["bob"].npm("org", "set", "acme", "carol", "developer", check=False)
    assert refused.returncode != 0 and "403" in refused.stderr
    assert _members(server)["carol"] == "admin"

    out = alice.npm("org", "rm", "acme", "carol").stdout
    assert "Successfully removed carol from acme. You now have 2 members in this org." in out
    assert _members(server) == {"alice": "owner", "bob": "developer"}
    assert _team(server, "developers") == ["alice", "bob"]


def test_teams(server: RunningRegistry, people: dict[str, NpmAccount]) -> None:
    _org(server, "teamco", "bob")
    alice = people["alice"]
    assert alice.npm("team", "create", "@teamco:core").stdout.strip() == "+@teamco:core"
    assert registry_db(server, "SELECT name FROM teams WHERE org = 'teamco' ORDER BY name") == [
        ("core",),
        ("developers",),
    ]
    assert alice.npm("team", "add", "@teamco:core", "bob").stdout.strip() == "bob added to @teamco:core"
    assert _team(server, "core", "teamco") == ["bob"]
    assert alice.npm("team", "ls", "@teamco").stdout.split("\n")[:3] == [
        "@teamco has 2 teams:",
        "@teamco:core",
        "@teamco:developers",
    ]
    assert alice.npm("team", "ls", "@teamco:core").stdout.split("\n")[:2] == [
        "@teamco:core has 1 user:",
        "bob",
    ]
    assert alice.npm("team", "rm", "@teamco:core", "bob").stdout.strip() == "bob removed from @teamco:core"
    assert _team(server, "core", "teamco") == []
    assert alice.npm("team", "destroy", "@teamco:core").stdout.strip() == "-@teamco:core"
    assert registry_db(server, "SELECT count(*) FROM teams WHERE org = 'teamco' AND name = 'core'") == [(0,)]
    kept = alice.npm("team", "destroy", "@teamco:developers", check=False)
    assert kept.returncode != 0 and "403" in kept.stderr


def test_restricted_package_and_access(
    server: RunningRegistry, people: dict[str, NpmAccount], tmp_path: Path
) -> None:
    _org(server, "secretco", "bob")
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    folder = write_package(tmp_path / "secret", {"name": "@secretco/secret", "version": "1.0.0"})
    assert "+ @secretco/secret@1.0.0" in alice.npm("publish", "--access", "restricted", cwd=folder).stdout
    assert registry_db(server, "SELECT access FROM packages WHERE name = '@secretco/secret'") == [
        ("restricted",)
    ]
    assert registry_db(
        server, "SELECT team, permission FROM team_packages WHERE package = '@secretco/secret'"
    ) == [("developers", "read-write")]

    # invisible to an outsider: 404 on the packument, the version and the tarball
    hidden = carol.npm("view", "@secretco/secret", check=False)
    assert hidden.returncode != 0 and "E404" in hidden.stderr
    assert server.request("GET", "/@secretco%2fsecret", token=carol.token())[0] == 404
    assert server.request("GET", "/@secretco/secret/1.0.0", token=carol.token())[0] == 404
    assert server.request("GET", "/@secretco/secret/-/secret-1.0.0.tgz", token=carol.token())[0] == 404
    assert bob.npm("view", "@secretco/secret", "version").stdout.strip() == "1.0.0"  # developers may

    assert (
        alice.npm("access", "get", "status", "@secretco/secret").stdout.strip() == "@secretco/secret: private"
    )
    assert (
        alice.npm("access", "set", "status=public", "@secretco/secret").stdout.strip()
        == "@secretco/secret: public"
    )
    assert server.request("GET", "/-/package/@secretco%2fsecret/visibility") == (200, {"public": True})
    assert carol.npm("view", "@secretco/secret", "version").stdout.strip() == "1.0.0"
    assert (
        alice.npm("access", "set", "status=private", "@secretco/secret").stdout.strip()
        == "@secretco/secret: private"
    )
    assert registry_db(server, "SELECT access FROM packages WHERE name = '@secretco/secret'") == [
        ("restricted",)
    ]

    # a read-only team grant lets carol install it, and only read it
    alice.npm("org", "set", "secretco", "carol")
    alice.npm("team", "rm", "@secretco:developers", "carol")
    alice.npm("team", "create", "@secretco:readers")
    alice.npm("team", "add", "@secretco:readers", "carol")
    assert server.request("GET", "/@secretco%2fsecret", token=carol.token())[0] == 404
    alice.npm("access", "grant", "read-only", "secretco:readers", "@secretco/secret")
    assert registry_db(server, "SELECT permission FROM team_packages WHERE team = 'readers'") == [
        ("read-only",)
    ]
    project = tmp_path / "project"
    project.mkdir()
    (project / "package.json").write_text('{"name": "project", "version": "1.0.0"}\n')
    carol.npm("install", "@secretco/secret", cwd=project)
    assert (project / "node_modules" / "@secretco" / "secret" / "index.js").is_file()
    folder_v2 = write_package(tmp_path / "secret2", {"name": "@secretco/secret", "version": "1.1.0"})
    refused = carol.npm("publish", cwd=folder_v2, check=False)
    assert refused.returncode != 0 and "403" in refused.stderr

    assert (
        alice.npm("access", "list", "packages", "secretco:readers").stdout.strip()
        == "@secretco/secret: read-only"
    )
    assert (
        alice.npm("access", "list", "packages", "secretco").stdout.strip() == "@secretco/secret: read-write"
    )
    # no argument: whoami, the org listing of "alice" is a 404, then the user listing
    assert "@secretco/secret: read-write" in alice.npm("access", "list", "packages").stdout.split("\n")
    collaborators = json.loads(
        alice.npm("access", "list", "collaborators", "@secretco/secret", "--json").stdout
    )
    assert collaborators == {"alice": "read-write", "bob": "read-write", "carol": "read-only"}

    # bob publishes through the developers team; revoking the grant shuts carol out again
    assert "+ @secretco/secret@1.1.0" in bob.npm("publish", cwd=folder_v2).stdout
    alice.npm("access", "revoke", "secretco:readers", "@secretco/secret")
    assert registry_db(server, "SELECT count(*) FROM team_packages WHERE team = 'readers'") == [(0,)]
    assert carol.npm("view", "@secretco/secret", check=False).returncode != 0


def test_scopes_belong_to_their_user(people: dict[str, NpmAccount], tmp_path: Path) -> None:
    alice, bob = people["alice"], people["bob"]
    folder = write_package(tmp_path / "own", {"name": "@bob/tool", "version": "1.0.0"})
    assert "+ @bob/tool@1.0.0" in bob.npm("publish", cwd=folder).stdout
    other = write_package(tmp_path / "other", {"name": "@bob/not-alices", "version": "1.0.0"})
    refused = alice.npm("publish", cwd=other, check=False)
    assert refused.returncode != 0 and "403" in refused.stderr
    assert alice.server.request("GET", "/@bob%2fnot-alices")[0] == 404
