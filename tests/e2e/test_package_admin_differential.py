"""Package administration against snpm-registry: the real npm 11 and snpm run the same commands.

- Reading commands (`view`, `dist-tag ls`, `owner ls`, `token list`, `search --json`, `whoami`,
  `access`, `org ls`, `team ls`, `stars`, `profile get`) run against the same registry state, and
  their stdout, stderr problems and exit codes must be identical.
- Changing commands run once per program on that program's own package, org and team (`kiwi-pkg`
  for npm, `plum-pkg` for snpm), so the registry ends in two comparable states: the
  outputs must be the same once the names are aligned, and the registry's state is checked
  explicitly after each step through its HTTP API.
- Two-factor: `profile enable-2fa` on a terminal (QR code, OTP), a write that asks for an OTP
  (otplease), `--otp`, and `profile disable-2fa`.
"""

from __future__ import annotations

import re
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from support.npm_world import World, make_world
from support.registry import RunningRegistry, publish_body, start_registry
from support.terminal import run_in_pty

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

NPM = shutil.which("npm")
if NPM is None or shutil.which("node") is None:
    pytest.skip("node and npm are needed", allow_module_level=True)

PASSWORD = "correct-horse-battery"
PROGRAMS = ("npm", "snpm")
# what `{p}` stands for in each program's own package, org and team names
OWN = {"npm": "kiwi", "snpm": "plum"}
_RELATIVE_TIME = re.compile(r"published .*? by")
_TOKEN = re.compile(r"npm_[A-Za-z0-9]{20,}")
# a stack frame of a `typeerror` block: node's frames are npm's files, snpm's are its own
_STACK_FRAME = re.compile(r"^npm error typeerror {5}at \S")


@dataclass
class Registry:
    server: RunningRegistry
    tokens: dict[str, str]

    @property
    def url(self) -> str:
        return self.server.url

    def get(self, path: str, user: str = "alice") -> Any:
        status, body = self.server.request("GET", path, token=self.tokens[user])
        assert status == 200, (path, status, body)
        return body

    def status(self, path: str, token: str) -> int:
        return self.server.request("GET", path, token=token)[0]


def _admin(server: RunningRegistry, *args: str) -> None:
    import subprocess

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
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


def _sign_up(server: RunningRegistry, name: str) -> str:
    body = {"name": name, "password": PASSWORD, "email": f"{name}@example.test"}
    status, answer = server.request("PUT", f"/-/user/org.couchdb.user:{name}", body=body)
    assert status == 201, answer
    return str(answer["token"])


def _publish(registry: Registry, name: str, version: str, tag: str = "latest", **manifest: Any) -> None:
    body = publish_body(name, version, tag=tag, manifest=manifest, registry=registry.url)
    status, answer = registry.server.request(
        "PUT", "/" + name.replace("/", "%2f"), token=registry.tokens["alice"], body=body
    )
    assert status in (200, 201), answer


MANIFEST: dict[str, Any] = {
    "description": "A package for the admin tests",
    "license": "MIT",
    "keywords": ["admin", "differential"],
    "dependencies": {"left-pad": "^1.3.0", "right-pad": "~2.0.0"},
    "bin": {"admin": "cli.js"},
    "homepage": "https://example.test/admin",
    "author": {"name": "Alice", "email": "alice@example.test"},
    "contributors": [
        {"name": "Bob", "email": "bob@example.test"},
        {"name": "Carol", "url": "https://carol.test"},
    ],
}


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    server = start_registry(tmp_path_factory.mktemp("registry") / "data")
    try:
        tokens = {name: _sign_up(server, name) for name in ("alice", "bob")}
        found = Registry(server, tokens)
        for name in ("view-pkg", *(f"{own}-pkg" for own in OWN.values())):
            _publish(found, name, "1.0.0", **MANIFEST)
            _publish(found, name, "1.1.0", **MANIFEST)
            _publish(found, name, "2.0.0-beta.0", tag="beta", **MANIFEST)
        for own in OWN.values():
            _admin(server, "org", "create", f"acme-{own}", "--owner", "alice")
            _publish(found, f"@acme-{own}/tool", "1.0.0", description="a scoped tool")
        yield found
    finally:
        server.stop()


@dataclass
class Result:
    code: int
    stdout: str
    problems: list[str]


def _problems(stderr: str) -> list[str]:
    lines = []
    for raw in stderr.splitlines():
        line = re.sub(r"^snpm ", "npm ", raw)
        if line.startswith(("npm error", "npm warn", "npm notice")) and "A complete log" not in line:
            if _STACK_FRAME.match(line):
                # the frames (how many, and where) are each program's own: one marker for them all
                line = "npm error typeerror     at <frames>"
                if lines and lines[-1] == line:
                    continue
            lines.append(line)
    return lines


@pytest.fixture
def worlds(tmp_path: Path, registry: Registry) -> dict[str, World]:
    """One world per program, both logged in as alice on the registry."""
    found = {}
    for program in PROGRAMS:
        world = make_world(tmp_path / program)
        world.userconfig.write_text(
            f"registry={registry.url}\n{registry.url.removeprefix('http:')}:_authToken={registry.tokens['alice']}\n"
        )
        found[program] = world
    return found


def run(world: World, program: str, *args: str) -> Result:
    done = world.run_npm(list(args)) if program == "npm" else world.run_snpm(list(args))
    stdout = _RELATIVE_TIME.sub("published <when> by", done.stdout)
    return Result(done.code, stdout, _problems(done.stderr))


def same(worlds: dict[str, World], *args: str) -> Result:
    """Run one reading command with both programs; they must agree exactly."""
    npm = run(worlds["npm"], "npm", *args)
    snpm = run(worlds["snpm"], "snpm", *args)
    assert snpm == npm, (args, npm, snpm)
    return npm


def each(worlds: dict[str, World], *args: str) -> Result:
    """Run a changing command once per program, `{p}` standing for its own name (OWN); the outputs
    must agree once the names are aligned."""
    results = {}
    for program, own in OWN.items():
        argv = [a.replace("{p}", own) for a in args]
        found = run(worlds[program], program, *argv)
        # each package's tarball holds its own name, so its digests differ
        stdout = re.sub(r"^(\.shasum|\.integrity): .*$", r"\1: <digest>", found.stdout, flags=re.MULTILINE)
        results[program] = Result(
            found.code,
            stdout.replace(own, "{p}"),
            [line.replace(own, "{p}") for line in found.problems],
        )
    assert results["snpm"] == results["npm"], (args, results["npm"], results["snpm"])
    return results["npm"]


# ── reading ──


VIEW_ARGS = [
    ["view", "view-pkg"],
    ["view", "view-pkg@beta"],
    ["view", "view-pkg", "version"],
    ["view", "view-pkg", "versions"],
    ["view", "view-pkg", "dist-tags"],
    ["view", "view-pkg", "dependencies", "name"],
    ["view", "view-pkg", "contributors.email"],
    ["view", "view-pkg", "contributors[0]"],
    ["view", "view-pkg", "maintainers"],
    ["view", "view-pkg", "author"],
    ["view", "view-pkg@*", "version"],
    ["view", "view-pkg@1", "version", "description"],
    ["view", "view-pkg", "keywords", "--json"],
    ["view", "view-pkg", "--json"],
    ["view", "view-pkg@*", "version", "--json"],
    ["view", "view-pkg", "dist.tarball", "dist.shasum"],
    ["view", "view-pkg", "nothing.here"],
    ["view", "view-pkg@9"],
    ["view", "view-pkg@nope"],
    ["view", "no-such-package"],
    ["info", "view-pkg", "bin"],
    ["v", "view-pkg", "name", "--json"],
]


@pytest.mark.parametrize("args", VIEW_ARGS, ids=[" ".join(a) for a in VIEW_ARGS])
def test_view_matches_npm(worlds: dict[str, World], args: list[str]) -> None:
    same(worlds, *args)


def test_view_of_the_local_package(worlds: dict[str, World]) -> None:
    for world in worlds.values():
        (world.project / "package.json").write_text('{"name": "view-pkg", "version": "1.0.0"}\n')
    assert same(worlds, "view", ".", "version").stdout == "1.1.0\n"
    same(worlds, "view", ".@1.0.0", "version")
    same(worlds, "view")


WORKSPACE_ARGS = [
    ["view", "-ws", "version"],
    ["view", "-ws", "version", "--json"],
    ["view", "-ws", "--json", "name", "description"],
    ["view", "--workspace=packages/a", "version"],
    ["view", "view-pkg", "-ws", "version"],
    ["dist-tag", "ls", "-ws"],
    ["dist-tag", "-ws"],
    ["dist-tag", "ls", "view-pkg", "-ws"],
    ["owner", "ls", "-ws"],
    ["owner", "ls", "view-pkg", "--workspace=packages/a"],
]


@pytest.mark.parametrize("args", WORKSPACE_ARGS, ids=[" ".join(a) for a in WORKSPACE_ARGS])
def test_workspaces_match_npm(worlds: dict[str, World], args: list[str]) -> None:
    """-w/-ws: one published workspace (view-pkg) and one the registry does not know (a 404)."""
    for world in worlds.values():
        root = world.project
        (root / "package.json").write_text('{"name": "root", "workspaces": ["packages/*"]}\n')
        for folder, name in (("a", "view-pkg"), ("b", "unpublished-ws")):
            (root / "packages" / folder).mkdir(parents=True, exist_ok=True)
            (root / "packages" / folder / "package.json").write_text(
                f'{{"name": "{name}", "version": "1.0.0"}}\n'
            )
    same(worlds, *args)


READ_ARGS = [
    ["whoami"],
    ["whoami", "--json"],
    ["dist-tag", "ls", "view-pkg"],
    ["dist-tags", "view-pkg"],
    ["dist-tag", "ls", "no-such-package"],
    ["owner", "ls", "view-pkg"],
    ["author", "ls", "view-pkg"],
    ["owner", "ls", "no-such-package"],
    ["search", "view-pkg", "--json"],
    ["search", "view-pkg"],
    ["search", "view-pkg", "--parseable"],
    ["search", "admin", "--searchexclude=plum-pkg"],
    ["search", "no-such-thing-at-all"],
    ["search", "no-such-thing-at-all", "--json"],
    ["find", "differential", "--searchlimit=1", "--json"],
    ["access", "list", "packages"],
    ["access", "list", "packages", "--json"],
    ["access", "list", "collaborators", "view-pkg"],
    ["access", "get", "status", "view-pkg"],
    ["access", "ls", "packages"],
    ["org", "ls", "acme-npm"],
    ["org", "ls", "acme-npm", "--parseable"],
    ["org", "ls", "acme-npm", "alice", "--json"],
    ["team", "ls", "@acme-npm"],
    ["team", "ls", "acme-npm:developers", "--json"],
    ["profile", "get"],
    ["profile", "get", "--json"],
    ["profile", "get", "--parseable"],
    ["profile", "get", "name,email"],
    ["stars", "alice"],
    ["token", "list"],
    ["token", "list", "--json"],
    ["token", "list", "--parseable"],
]


@pytest.mark.parametrize("args", READ_ARGS, ids=[" ".join(a) for a in READ_ARGS])
def test_reading_commands_match_npm(worlds: dict[str, World], args: list[str]) -> None:
    same(worlds, *args)


LOCAL_ERROR_ARGS: list[Any] = [
    ["owner"],
    ["owner", "frobnicate"],
    ["owner", "ls"],
    ["access"],
    ["access", "frobnicate"],
    ["access", "get"],
    ["access", "get", "visibility"],
    ["access", "grant", "everything", "s:t"],
    ["access", "grant", "read-only"],
    ["access", "list", "everything"],
    ["access", "set", "status=secret"],
    ["access", "set", "status=private", "unscoped"],
    ["star"],
    ["deprecate"],
    ["deprecate", "view-pkg"],
    ["undeprecate"],
    ["team"],
    # npm's `typeerror` block: the TypeError's stack (its frames name each program's own files)
    ["team", "create", "no-colon"],
    ["org"],
    ["org", "set"],
    ["org", "set", "acme"],
    ["org", "rm", "acme"],
    ["org", "ls"],
    ["search"],
    ["token", "frobnicate"],
    ["profile"],
    ["profile", "enable-2fa", "sometimes"],
    ["profile", "enable-2fa", "auth-only", "--json"],
    ["profile", "enable-2fa", "a", "b"],
    ["dist-tag", "add", "view-pkg@1.0.0", "1.0"],
    ["dist-tag", "add", "view-pkg@1.0.0", "bad tag"],
    ["view", "--global"],
]


@pytest.mark.parametrize(
    "args",
    LOCAL_ERROR_ARGS,
    ids=[" ".join(a if isinstance(a, list) else a.values[0]) for a in LOCAL_ERROR_ARGS],
)
def test_usage_and_local_errors_match_npm(worlds: dict[str, World], args: list[str]) -> None:
    same(worlds, *args)


def test_ping(worlds: dict[str, World], registry: Registry) -> None:
    for program, world in worlds.items():
        found = run(world, program, "ping")
        assert found.code == 0 and found.stdout == ""
        assert found.problems[0] == f"npm notice PING {registry.url}"
        assert re.fullmatch(r"npm notice PONG \d+ms", found.problems[1]), found.problems
        as_json = run(world, program, "ping", "--json")
        assert re.fullmatch(
            r'\{\n  "registry": "[^"]+",\n  "time": \d+,\n  "details": \{\}\n\}\n', as_json.stdout
        ), as_json.stdout


# ── changing ──


def test_dist_tags(worlds: dict[str, World], registry: Registry) -> None:
    assert each(worlds, "dist-tag", "add", "{p}-pkg@1.0.0", "stable").stdout == "+stable: {p}-pkg@1.0.0\n"
    for own in OWN.values():
        tags = registry.get(f"/-/package/{own}-pkg/dist-tags")
        assert tags == {"latest": "1.1.0", "beta": "2.0.0-beta.0", "stable": "1.0.0"}
    assert each(worlds, "dist-tag", "add", "{p}-pkg@1.0.0", "stable").problems == [
        "npm warn dist-tag add stable is already set to version 1.0.0"
    ]
    each(worlds, "dist-tag", "ls", "{p}-pkg")
    each(worlds, "dist-tag", "add", "{p}-pkg@1.1.0", "1.x")
    each(worlds, "dist-tag", "add", "{p}-pkg@1.1.0", "bad tag")
    each(worlds, "dist-tag", "add", "{p}-pkg")
    assert each(worlds, "dist-tag", "rm", "{p}-pkg", "stable").stdout == "-stable: {p}-pkg@1.0.0\n"
    each(worlds, "dist-tag", "rm", "{p}-pkg", "stable")
    each(worlds, "dist-tag", "rm")
    each(worlds, "dist-tag", "frobnicate", "{p}-pkg")
    for own in OWN.values():
        assert registry.get(f"/-/package/{own}-pkg/dist-tags") == {
            "latest": "1.1.0",
            "beta": "2.0.0-beta.0",
        }


def test_deprecate_and_undeprecate(worlds: dict[str, World], registry: Registry) -> None:
    each(worlds, "deprecate", "{p}-pkg@<1.1.0", "use 1.1 or later")
    for own in OWN.values():
        versions = registry.get(f"/{own}-pkg")["versions"]
        assert versions["1.0.0"]["deprecated"] == "use 1.1 or later"
        assert "deprecated" not in versions["1.1.0"]
    each(worlds, "view", "{p}-pkg@1.0.0", "deprecated")
    assert "DEPRECATED ⚠️  - use 1.1 or later" in each(worlds, "view", "{p}-pkg@1.0.0").stdout
    each(worlds, "view", "{p}-pkg@1.0.0", "--no-unicode")
    each(worlds, "deprecate", "{p}-pkg@1.1.0", "dry run only", "--dry-run")
    each(worlds, "deprecate", "{p}-pkg@9", "nothing")
    each(worlds, "deprecate", "{p}-pkg@latest", "a tag is not a range")
    each(worlds, "deprecate", "{p}-pkg")
    each(worlds, "undeprecate", "{p}-pkg@1.0.0")
    each(worlds, "undeprecate")
    for own in OWN.values():
        versions = registry.get(f"/{own}-pkg")["versions"]
        assert all("deprecated" not in v for v in versions.values())


def test_owners(worlds: dict[str, World], registry: Registry) -> None:
    assert each(worlds, "owner", "add", "bob", "{p}-pkg").stdout == "+ bob ({p}-pkg)\n"
    for own in OWN.values():
        names = [m["name"] for m in registry.get(f"/{own}-pkg")["maintainers"]]
        assert names == ["alice", "bob"]
    each(worlds, "owner", "add", "bob", "{p}-pkg")
    each(worlds, "owner", "ls", "{p}-pkg")
    each(worlds, "owner", "add", "nobody-at-all", "{p}-pkg")
    each(worlds, "owner", "add")
    assert each(worlds, "owner", "rm", "bob", "{p}-pkg").stdout == "- bob ({p}-pkg)\n"
    each(worlds, "owner", "rm", "bob", "{p}-pkg")
    each(worlds, "owner", "rm", "alice", "{p}-pkg")
    for own in OWN.values():
        names = [m["name"] for m in registry.get(f"/{own}-pkg")["maintainers"]]
        assert names == ["alice"]


def test_stars(worlds: dict[str, World], registry: Registry) -> None:
    assert each(worlds, "star", "{p}-pkg").stdout == "\u2605  {p}-pkg\n"
    for own in OWN.values():
        assert registry.get(f"/{own}-pkg")["users"] == {"alice": True}
    stars = same(worlds, "stars")
    assert stars.stdout == "kiwi-pkg\nplum-pkg\n"
    assert each(worlds, "unstar", "{p}-pkg", "--no-unicode").stdout == "( ) {p}-pkg\n"
    each(worlds, "star", "--no-unicode", "{p}-pkg")
    each(worlds, "unstar", "{p}-pkg")
    each(worlds, "star")
    same(worlds, "stars")
    for own in OWN.values():
        assert registry.get(f"/{own}-pkg").get("users", {}) == {}


def test_orgs_and_teams(worlds: dict[str, World], registry: Registry) -> None:
    each(worlds, "org", "set", "acme-{p}", "bob")
    for own in OWN.values():
        assert registry.get(f"/-/org/acme-{own}/user") == {"alice": "owner", "bob": "developer"}
    each(worlds, "org", "set", "acme-{p}", "bob", "admin", "--json")
    each(worlds, "org", "set", "acme-{p}", "bob", "boss")
    each(worlds, "org", "set", "acme-{p}")
    each(worlds, "org", "ls", "acme-{p}")
    each(worlds, "team", "create", "@acme-{p}:devs")
    each(worlds, "team", "add", "acme-{p}:devs", "bob")
    each(worlds, "team", "ls", "@acme-{p}:devs")
    for own in OWN.values():
        assert registry.get(f"/-/team/acme-{own}/devs/user") == ["bob"]
    each(worlds, "team", "ls", "acme-{p}", "--parseable")
    each(worlds, "team", "rm", "acme-{p}:devs", "bob", "--json")
    each(worlds, "team", "destroy", "acme-{p}:devs")
    each(worlds, "team", "frobnicate")
    each(worlds, "org", "rm", "acme-{p}", "bob")
    each(worlds, "org", "rm", "acme-{p}", "bob", "--json")
    for own in OWN.values():
        assert registry.get(f"/-/org/acme-{own}/user") == {"alice": "owner"}
        assert f"acme-{own}:devs" not in registry.get(f"/-/org/acme-{own}/team")


def test_package_access(worlds: dict[str, World], registry: Registry) -> None:
    each(worlds, "access", "get", "status", "@acme-{p}/tool")
    each(worlds, "access", "set", "status=private", "@acme-{p}/tool")
    for own in OWN.values():
        assert registry.get(f"/-/package/@acme-{own}%2ftool/visibility") == {"public": False}
    each(worlds, "access", "set", "status=public", "@acme-{p}/tool", "--json")
    each(worlds, "access", "set", "status=private", "{p}-pkg")
    each(worlds, "access", "set", "mfa=publish", "@acme-{p}/tool")
    each(worlds, "access", "grant", "read-only", "acme-{p}:developers", "@acme-{p}/tool")
    for own in OWN.values():
        granted = registry.get(f"/-/team/acme-{own}/developers/package")
        assert granted == {f"@acme-{own}/tool": "read"}
    each(worlds, "access", "list", "packages", "acme-{p}:developers")
    each(worlds, "access", "list", "collaborators", "@acme-{p}/tool")
    each(worlds, "access", "revoke", "acme-{p}:developers", "@acme-{p}/tool")
    each(worlds, "access", "grant", "write-only", "acme-{p}:developers", "@acme-{p}/tool")
    each(worlds, "access", "set", "mfa=sometimes", "@acme-{p}/tool")
    each(worlds, "access", "frobnicate")
    for own in OWN.values():
        assert registry.get(f"/-/team/acme-{own}/developers/package") == {}


def test_tokens(worlds: dict[str, World], registry: Registry) -> None:
    created = {}
    for program, own in OWN.items():
        found = run(
            worlds[program], program, "token", "create", "--password", PASSWORD, "--name", f"ci-{own}"
        )
        assert found.code == 0 and re.fullmatch(r"Created token npm_\w+\n", found.stdout), found
        created[program] = found.stdout.split()[-1]
        assert registry.status("/-/whoami", created[program]) == 200
    shown = {}
    for program, own in OWN.items():
        found = run(
            worlds[program],
            program,
            "token",
            "create",
            "--password",
            PASSWORD,
            "--name",
            f"ci-{own}-json",
            "--json",
        )
        # npm redacts its JSON output: the new token itself is never printed there
        assert re.search(r'"token": "npm_\*\*\*"', found.stdout), found
        shown[program] = re.sub(
            r'"created": "[^"]+"', '"created": "<time>"', found.stdout.replace(own, "{p}")
        )
    assert shown["snpm"] == shown["npm"]
    each(worlds, "token", "create", "--password", "wrong", "--name", "nope")
    each(worlds, "token", "create", "--password", PASSWORD, "--cidr", "10.0.0.0/33")
    each(worlds, "token", "create", "--password", PASSWORD, "--cidr", "::1/128")
    listed = registry.get("/-/npm/v1/tokens")["objects"]
    for program, own in OWN.items():
        key = next(t["key"] for t in listed if t["name"] == f"ci-{own}")
        found = run(worlds[program], program, "token", "revoke", key[:8])
        assert (found.code, found.stdout) == (0, "Removed 1 token\n"), found
        assert registry.status("/-/whoami", created[program]) == 401
    each(worlds, "token", "revoke", "ffffffffffff")
    each(worlds, "token", "revoke")
    each(worlds, "token", "frobnicate")


def test_profile_set(worlds: dict[str, World], registry: Registry) -> None:
    each(worlds, "profile", "set", "fullname", "Alice {p}")
    assert registry.get("/-/npm/v1/user")["fullname"] == "Alice plum"
    each(worlds, "profile", "set", "homepage", "https://alice.test", "--parseable")
    each(worlds, "profile", "set", "fullname", "", "--json")
    each(worlds, "profile", "set", "bogus", "value")
    each(worlds, "profile", "set", "password", "inline")
    each(worlds, "profile", "set", "email")
    each(worlds, "profile", "frobnicate")
    each(worlds, "profile")
    assert registry.get("/-/npm/v1/user")["homepage"] == "https://alice.test"


# ── two-factor authentication ──


def _pty(world: World, program: str, args: list[str], answers: list[tuple[Any, Any]]) -> tuple[int, str]:
    argv = [NPM, *args] if program == "npm" else [sys.executable, "-m", "snpm", *args]
    assert argv[0] is not None
    code, output = run_in_pty([str(a) for a in argv], world.env(), world.project, answers)
    plain = re.sub(r"\x1b\[[0-9;]*[A-Za-z]|[\u2800-\u28ff]|\r", "", output)
    return code, plain


def test_two_factor_enrolment_and_otp_prompts(tmp_path: Path, registry: Registry) -> None:
    """enable-2fa (password, QR code, OTP, recovery codes), then a write that needs an OTP: asked
    for on the terminal (otplease), or given with --otp; then disable-2fa."""
    pyotp = pytest.importorskip("pyotp")
    transcripts: dict[str, list[tuple[int, str]]] = {}
    for program in PROGRAMS:
        user = f"carol-{program}"
        token = _sign_up(registry.server, user)
        world = make_world(tmp_path / program)
        world.userconfig.write_text(
            f"registry={registry.url}\n{registry.url.removeprefix('http:')}:_authToken={token}\n"
        )
        body = publish_body(f"{user}-pkg", "1.0.0", registry=registry.url)
        assert registry.server.request("PUT", f"/{user}-pkg", token=token, body=body)[0] in (200, 201)
        current_otp = _Authenticator(pyotp)

        pkg = f"{user}-pkg"
        steps = [
            _pty(
                world,
                program,
                ["profile", "enable-2fa", "auth-and-writes"],
                [("npm password:", PASSWORD), ("And an OTP code from your authenticator:", current_otp)],
            ),
            # a write in auth-and-writes mode: the registry asks for an OTP, npm asks the user
            _pty(world, program, ["deprecate", f"{pkg}@1.0.0", "old"], [("Enter OTP:", current_otp)]),
        ]
        assert registry.get(f"/{pkg}", "alice")["versions"]["1.0.0"]["deprecated"] == "old"
        steps.append(_pty(world, program, ["undeprecate", f"{pkg}@1.0.0", "--otp", current_otp("")], []))
        assert "deprecated" not in registry.get(f"/{pkg}", "alice")["versions"]["1.0.0"]
        # a couch login of a 2FA account: the registry asks for an OTP too
        login = [("Username:", user), ("Password:", PASSWORD), ("Enter OTP:", current_otp)]
        steps.append(_pty(world, program, ["login", "--auth-type=legacy"], login))
        steps.append(
            _pty(
                world,
                program,
                ["profile", "disable-2fa"],
                [("npm password:", PASSWORD), ("Enter OTP:", current_otp)],
            )
        )
        steps.append(_pty(world, program, ["profile", "disable-2fa"], []))
        profile = registry.server.request("GET", "/-/npm/v1/user", token=token)[1]
        assert not profile.get("tfa"), profile
        transcripts[program] = [(code, _normalize_2fa(text, user)) for code, text in steps]
    for (npm_code, npm_text), (snpm_code, snpm_text) in zip(
        transcripts["npm"], transcripts["snpm"], strict=True
    ):
        assert snpm_code == npm_code == 0, (npm_text, snpm_text)
        assert _result_lines(snpm_text) == _result_lines(npm_text), (npm_text, snpm_text)


class _Authenticator:
    """The user's authenticator app: learns the secret from the enrolment output, gives codes."""

    def __init__(self, pyotp: Any) -> None:
        self._pyotp = pyotp
        self._secret = ""

    def __call__(self, output: str) -> str:
        found = re.findall(r"Or enter code: ([A-Z2-7]+)", output)
        if found:
            self._secret = found[-1]
        return str(self._pyotp.TOTP(self._secret).now())


def _normalize_2fa(text: str, user: str) -> str:
    text = text.replace(user, "<user>")
    text = re.sub(r"Or enter code: [A-Z2-7]+", "Or enter code: <secret>", text)
    return re.sub(r"^\t\S+$", "\t<recovery code>", text, flags=re.MULTILINE)


def _result_lines(text: str) -> list[str]:
    """What the command printed as its result (prompts, echoes and log lines left out)."""
    keep = []
    for line in text.splitlines():
        line = re.sub(r"^snpm ", "npm ", line)
        if not line.strip() or line.startswith(("npm notice", "npm http", "npm info")):
            continue
        if any(p in line for p in ("password:", "Enter OTP", "OTP code", "one-time password")):
            continue
        keep.append(line)
    return keep
