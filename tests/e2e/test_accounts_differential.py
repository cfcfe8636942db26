"""login, whoami and logout: the same scenarios played by the real npm 11 and by snpm, each in its
own isolated world, against snpm-registry and against Verdaccio 5.33 (a real peer server).

For every step the two programs must agree on the exit code, stdout, the `error`/`warn` lines and
the config files left behind (user, project and global npmrc, tokens replaced by a placeholder, and
the files' modes). Logins run on a pseudo-terminal, as npm only prompts on one. Against
snpm-registry every token a logout dropped must be refused by the server afterwards (401).
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import sys
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from support.fake_registry import Canned, FakeRegistry, free_port
from support.npm_world import World, make_world
from support.registry import start_registry
from support.terminal import run_in_pty
from support.verdaccio import start_verdaccio, verdaccio_available

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

NPM = shutil.which("npm")
if NPM is None or shutil.which("node") is None:
    pytest.skip("node and npm are needed", allow_module_level=True)

PASSWORD = "correct-horse-battery"
PROGRAMS = ("npm", "snpm")
_TOKEN_VALUE = re.compile(r"(:_authToken=)(\S+)")
_TERMINAL_NOISE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]|[\u2800-\u28ff]")
_LOGIN_URL = re.compile(r"(https?://\S+/-/v1/login/[A-Za-z0-9_-]+)\s")


@dataclass
class Server:
    """A registry both programs talk to, with a user `alice` (password PASSWORD)."""

    kind: str
    url: str
    request: Callable[..., tuple[int, Any]]
    revokes_tokens: bool

    @property
    def host(self) -> str:
        return self.url.removeprefix("http:").rstrip("/") + "/"

    def issue_token(self, name: str = "alice") -> str:
        """A fresh token for `name`, as a couch login gets it (Verdaccio needs the 409 dance)."""
        body = {"name": name, "password": PASSWORD}
        status, answer = self.request("PUT", f"/-/user/org.couchdb.user:{name}", body=body)
        if status == 409:
            basic = base64.b64encode(f"{name}:{PASSWORD}".encode()).decode()
            req = urllib.request.Request(
                f"{self.url}-/user/org.couchdb.user:{name}/-rev/undefined",
                data=json.dumps(body).encode(),
                method="PUT",
                headers={"Content-Type": "application/json", "Authorization": f"Basic {basic}"},
            )
            with urllib.request.urlopen(req, timeout=10) as response:
                status, answer = response.status, json.loads(response.read())
        assert status in (200, 201), (status, answer)
        return str(answer["token"])

    def accepts(self, token: str) -> bool:
        return self.request("GET", "/-/whoami", token=token)[0] == 200


@pytest.fixture(scope="module", params=["snpm-registry", "verdaccio"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp(request.param)
    if request.param == "snpm-registry":
        # web login on: the default `login` (auth-type=web) goes through the browser round trip
        running = start_registry(root / "data", settings={"web-login": True})
        stop = running.stop
        found = Server("snpm-registry", running.url, running.request, revokes_tokens=True)
    else:
        if not verdaccio_available():
            pytest.skip("Verdaccio is not installed (run scripts/install_verdaccio.sh)")
        verdaccio = start_verdaccio(root / "verdaccio")
        stop = verdaccio.stop
        # Verdaccio's legacy tokens are not revocable: its logout endpoint always says ok
        found = Server("verdaccio", verdaccio.url, verdaccio.request, revokes_tokens=False)
    try:
        status, answer = found.request(
            "PUT",
            "/-/user/org.couchdb.user:alice",
            body={"name": "alice", "password": PASSWORD, "email": "alice@example.test"},
        )
        assert status == 201, answer
        yield found
    finally:
        stop()


# ── running one program in one world ──


@dataclass
class Step:
    """What one command did, in a form comparable between npm and snpm."""

    label: str
    code: int
    stdout: str
    problems: list[str]
    files: dict[str, tuple[str, int] | None]


@dataclass
class Player:
    """Plays a scenario with one program in one world, recording each step."""

    program: str
    world: World
    server: Server | None
    steps: list[Step] = field(default_factory=list)
    # every token written into a config file, to check revocation afterwards
    tokens: set[str] = field(default_factory=set)

    def argv(self, args: list[str]) -> list[str]:
        if self.program == "npm":
            assert NPM is not None
            return [NPM, *args]
        return [sys.executable, "-m", "snpm", *args]

    def run(self, label: str, *args: str) -> Step:
        done = self.world.run_npm(list(args)) if self.program == "npm" else self.world.run_snpm(list(args))
        return self._record(label, done.code, done.stdout, done.stderr)

    def run_pty(self, label: str, args: list[str], answers: list[tuple[Any, Any]]) -> Step:
        code, output = run_in_pty(self.argv(args), self.world.env(), self.world.project, answers)
        # prompts, logs and npm's spinner share the terminal: keep the result line only
        plain = _TERMINAL_NOISE.sub("", output).replace("\r", "")
        kept = re.findall(r"Logged in[^\n]*", plain)
        return self._record(label, code, "\n".join(kept), "\n".join(plain.splitlines()))

    def _record(self, label: str, code: int, stdout: str, stderr: str) -> Step:
        step = Step(label, code, stdout, _problems(stderr), self.files())
        self.steps.append(step)
        return step

    def config_files(self) -> dict[str, Path]:
        return {
            "user": self.world.userconfig,
            "project": self.world.project / ".npmrc",
            "global": self.world.globalconfig,
        }

    def files(self) -> dict[str, tuple[str, int] | None]:
        found: dict[str, tuple[str, int] | None] = {}
        for where, path in self.config_files().items():
            if not path.exists():
                found[where] = None
                continue
            text = path.read_text()
            self.tokens.update(m.group(2) for m in _TOKEN_VALUE.finditer(text))
            found[where] = (_TOKEN_VALUE.sub(r"\1<token>", text), path.stat().st_mode & 0o777)
        return found

    def login(self, *extra: str, label: str = "login") -> Step:
        answers = [("Username:", "alice"), ("Password:", PASSWORD)]
        return self.run_pty(label, ["login", "--auth-type=legacy", *extra], answers)


def _problems(stderr: str) -> list[str]:
    """The `error`/`warn` lines, with snpm's heading read as npm's; the log-file line and npm's
    JavaScript stack frames are dropped."""
    lines = []
    for raw in stderr.splitlines():
        line = re.sub(r"^snpm ", "npm ", raw.rstrip("\r"))
        if not line.startswith(("npm error", "npm warn")):
            continue
        if "A complete log of this run" in line or "Log files were not written" in line:
            continue
        if re.match(
            r"npm error\s+at |npm error   \w+: ('.*'|\d+|true|false|null|undefined),?$|npm error }$", line
        ):
            # node's dump of a network error object (stack frames and `{ code: …, port: … }`):
            # snpm prints the message line of it only (see the report on error_render)
            continue
        lines.append(line)
    return lines


def play(
    tmp_path: Path, server: Server | None, scenario: Callable[[Player], None], setup: Callable[[World], None]
) -> dict[str, Player]:
    """Play the scenario with npm and with snpm, each in a fresh world prepared by `setup`."""
    players = {}
    for program in PROGRAMS:
        world = make_world(tmp_path / program)
        setup(world)
        player = Player(program, world, server)
        player.files()  # tokens written by the setup count as "dropped" when logout removes them
        scenario(player)
        players[program] = player
    return players


def assert_same(players: dict[str, Player]) -> None:
    npm, snpm = players["npm"].steps, players["snpm"].steps
    assert [s.label for s in snpm] == [s.label for s in npm]
    for expected, actual in zip(npm, snpm, strict=True):
        assert actual.code == expected.code, (expected.label, expected, actual)
        assert actual.stdout == expected.stdout, (expected.label, expected.stdout, actual.stdout)
        assert actual.problems == expected.problems, (expected.label, expected.problems, actual.problems)
        assert actual.files == expected.files, (expected.label, expected.files, actual.files)


def assert_dropped_tokens_refused(players: dict[str, Player], server: Server) -> None:
    """Every token that is no longer in any config file must be dead on the server."""
    if not server.revokes_tokens:
        return
    for player in players.values():
        still_configured = {
            m.group(2)
            for path in player.config_files().values()
            if path.exists()
            for m in _TOKEN_VALUE.finditer(path.read_text())
        }
        dropped = player.tokens - still_configured
        assert dropped, f"{player.program}: the scenario dropped no token"
        for token in dropped:
            assert not server.accepts(token), f"{player.program} logged out but the token still works"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


# ── scenarios ──


def test_default_registry_login_whoami_logout(tmp_path: Path, server: Server) -> None:
    def setup(world: World) -> None:
        _write(world.userconfig, f"registry={server.url}\nfund=false\n")

    def scenario(player: Player) -> None:
        step = player.login()
        assert step.code == 0 and step.stdout == f"Logged in on {server.url}.", step
        player.run("whoami", "whoami")
        player.run("whoami --json", "whoami", "--json")
        player.run("logout", "logout")
        player.run("whoami after logout", "whoami")
        player.run("logout again", "logout")

    players = play(tmp_path, server, scenario, setup)
    assert_same(players)
    npm = players["npm"].steps
    assert npm[1].stdout == "alice\n" and npm[2].stdout == '"alice"\n'
    assert npm[3].files["user"] == (f"registry={server.url}\nfund=false\n", 0o600)
    assert npm[4].problems[0] == "npm error code ENEEDAUTH"
    assert npm[5].problems[1] == f"npm error need auth not logged in to {server.url}, so can't log out!"
    assert_dropped_tokens_refused(players, server)


@pytest.mark.parametrize("scope", ["@acme", "acme"])
def test_scoped_login_and_logout(tmp_path: Path, server: Server, scope: str) -> None:
    """`--scope` with `--registry`: the scope is mapped to the registry; logout --scope removes both."""

    def setup(world: World) -> None:
        pass

    def scenario(player: Player) -> None:
        step = player.login(f"--scope={scope}", "--registry", server.url)
        assert step.stdout == f"Logged in to scope @acme on {server.url}.", step
        player.run("whoami", "whoami", "--registry", server.url)
        player.run("logout --scope", "logout", f"--scope={scope}")

    players = play(tmp_path, server, scenario, setup)
    assert_same(players)
    after_login = players["npm"].steps[0].files["user"]
    assert after_login is not None and f"@acme:registry={server.url}" in after_login[0]
    assert players["npm"].steps[2].files["user"] is None  # emptied, so deleted
    assert_dropped_tokens_refused(players, server)


def test_scoped_registry_from_config(tmp_path: Path, server: Server) -> None:
    """A preset `@acme:registry` is where `login --scope=@acme` logs in (no --registry)."""

    def setup(world: World) -> None:
        _write(world.userconfig, f"@acme:registry={server.url}\n")

    def scenario(player: Player) -> None:
        player.login("--scope=@acme")
        player.run("logout --scope", "logout", "--scope=@acme")

    players = play(tmp_path, server, scenario, setup)
    assert_same(players)
    assert players["npm"].steps[-1].files["user"] is None
    assert_dropped_tokens_refused(players, server)


def test_username_password_credentials(tmp_path: Path, server: Server) -> None:
    """Basic credentials: whoami reads the name locally; logout forgets them without a request and
    moves the nerf-darted e-mail to the top level."""
    password = base64.b64encode(PASSWORD.encode()).decode()

    def setup(world: World) -> None:
        _write(
            world.userconfig,
            f"registry={server.url}\n{server.host}:username=alice\n{server.host}:_password={password}\n"
            f"{server.host}:email=alice@example.test\n",
        )

    def scenario(player: Player) -> None:
        player.run("whoami", "whoami")
        player.run("logout", "logout")
        player.run("whoami after logout", "whoami")

    players = play(tmp_path, server, scenario, setup)
    assert_same(players)
    assert players["npm"].steps[0].stdout == "alice\n"
    assert players["npm"].steps[1].files["user"] == (
        f"registry={server.url}\nemail=alice@example.test\n",
        0o600,
    )


def test_auth_only_credentials_cannot_log_out(tmp_path: Path, server: Server) -> None:
    """`:_auth` alone: whoami answers locally, logout refuses (npm's quirk) and keeps the file."""
    auth = base64.b64encode(f"alice:{PASSWORD}".encode()).decode()

    def setup(world: World) -> None:
        _write(world.userconfig, f"registry={server.url}\n{server.host}:_auth={auth}\n")

    def scenario(player: Player) -> None:
        player.run("whoami", "whoami")
        player.run("logout", "logout")

    players = play(tmp_path, server, scenario, setup)
    assert_same(players)
    assert players["npm"].steps[1].code == 1


def test_not_logged_in(tmp_path: Path, server: Server) -> None:
    def setup(world: World) -> None:
        _write(world.userconfig, f"registry={server.url}\n")

    def scenario(player: Player) -> None:
        player.run("whoami", "whoami")
        player.run("logout", "logout")
        player.run("logout --scope", "logout", "--scope=@nowhere")

    players = play(tmp_path, server, scenario, setup)
    assert_same(players)
    assert all(step.code == 1 for step in players["npm"].steps)


@pytest.mark.parametrize("where", ["project", "global"])
def test_credentials_in_another_config_file(tmp_path: Path, server: Server, where: str) -> None:
    """A token in the project's (or the global) npmrc is removed from that file and only there."""

    def setup(world: World) -> None:
        _write(world.userconfig, f"registry={server.url}\n")
        target = world.project / ".npmrc" if where == "project" else world.globalconfig
        _write(target, f"save-exact=true\n{server.host}:_authToken={server.issue_token()}\n")
        # a second file with only a token: emptied by logout, so deleted
        if where == "project":
            _write(world.globalconfig, "fund=false\n")

    def scenario(player: Player) -> None:
        player.run("whoami", "whoami")
        player.run("logout", "logout")
        player.run("whoami after logout", "whoami")

    players = play(tmp_path, server, scenario, setup)
    assert_same(players)
    npm = players["npm"].steps
    assert npm[0].stdout == "alice\n"
    assert npm[1].files[where] is not None and npm[1].files[where][0] == "save-exact=true\n"
    assert npm[1].files["user"] == (f"registry={server.url}\n", 0o644)
    assert_dropped_tokens_refused(players, server)


def test_project_token_only_file_is_deleted(tmp_path: Path, server: Server) -> None:
    def setup(world: World) -> None:
        _write(world.project / ".npmrc", f"{server.host}:_authToken={server.issue_token()}\n")

    def scenario(player: Player) -> None:
        player.run("whoami", "whoami", "--registry", server.url)
        player.run("logout", "logout", "--registry", server.url)

    players = play(tmp_path, server, scenario, setup)
    assert_same(players)
    assert players["npm"].steps[1].files["project"] is None
    assert_dropped_tokens_refused(players, server)


def test_default_login_uses_web_or_falls_back(tmp_path: Path, server: Server) -> None:
    """auth-type=web (the default): snpm-registry does the browser round trip (the test plays the
    browser); Verdaccio has no web login, so both fall back to the Username/Password prompts."""

    def setup(world: World) -> None:
        _write(world.userconfig, f"registry={server.url}\n")

    def finish_in_browser(output: str) -> str:
        login_url = _LOGIN_URL.findall(output)[-1]
        form = urllib.parse.urlencode({"username": "alice", "password": PASSWORD}).encode()
        with urllib.request.urlopen(urllib.request.Request(login_url, data=form), timeout=10) as page:
            assert page.status == 200
        return ""

    web = server.request("POST", "/-/v1/login", body={})[0] == 200

    def scenario(player: Player) -> None:
        if web:
            answers: list[tuple[Any, Any]] = [(_LOGIN_URL, finish_in_browser)]
            player.run_pty("login (web)", ["login", "--browser=false"], answers)
        else:
            player.run_pty("login (fallback)", ["login"], [("Username:", "alice"), ("Password:", PASSWORD)])
        player.run("whoami", "whoami")
        player.run("logout", "logout")

    players = play(tmp_path, server, scenario, setup)
    assert_same(players)
    assert players["npm"].steps[0].stdout == f"Logged in on {server.url}."
    assert_dropped_tokens_refused(players, server)


def test_web_login_opens_the_browser(tmp_path: Path, server: Server) -> None:
    """On a terminal npm offers "Press ENTER to open in the browser..." and runs the system opener
    (`xdg-open` here) with the URL; the test's `xdg-open` fills in the login form. (A `browser`
    string setting cannot be used: npm's config validation turns it into `true`, so npm 11 always
    runs the system opener, and snpm does the same.)"""
    if server.request("POST", "/-/v1/login", body={})[0] != 200:
        pytest.skip(f"{server.kind} has no web login (POST /-/v1/login is not served)")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    opener = bin_dir / "xdg-open"
    opener.write_text(
        f"#!{sys.executable}\n"
        "import sys, urllib.parse, urllib.request\n"
        f"form = urllib.parse.urlencode({{'username': 'alice', 'password': {PASSWORD!r}}}).encode()\n"
        "urllib.request.urlopen(urllib.request.Request(sys.argv[1], data=form), timeout=10).read()\n"
    )
    opener.chmod(0o755)

    def setup(world: World) -> None:
        _write(world.userconfig, f"registry={server.url}\n")
        world.extra_env["PATH"] = f"{bin_dir}:{world.env()['PATH']}"

    def scenario(player: Player) -> None:
        player.run_pty("login (browser)", ["login"], [("Press ENTER to open in the browser...", "")])
        player.run("logout", "logout")

    players = play(tmp_path, server, scenario, setup)
    assert_same(players)
    assert players["npm"].steps[0].stdout == f"Logged in on {server.url}."
    assert_dropped_tokens_refused(players, server)


def test_adduser_and_a_wrong_password(tmp_path: Path, server: Server) -> None:
    """`adduser` (alias `add-user`) creates the account and logs in; a wrong password is refused
    and leaves the config as it was."""

    def setup(world: World) -> None:
        _write(world.userconfig, f"registry={server.url}\n")

    def scenario(player: Player) -> None:
        name = f"dave-{player.program}"
        answers = [("Username:", name), ("Password:", PASSWORD), ("Email", f"{name}@example.test")]
        player.run_pty("adduser", ["add-user", "--auth-type=legacy"], answers)
        player.run("logout", "logout")
        wrong = [("Username:", "alice"), ("Password:", "not-the-password")]
        player.run_pty("login, wrong password", ["login", "--auth-type=legacy"], wrong)

    players = play(tmp_path, server, scenario, setup)
    assert_same(players)
    npm = players["npm"].steps
    assert npm[0].stdout == f"Logged in on {server.url}."
    assert npm[2].code == 1 and npm[2].files["user"] == (f"registry={server.url}\n", 0o600)
    assert_dropped_tokens_refused(players, server)


# ── a registry that refuses the revocation ──


def test_logout_keeps_credentials_when_registry_refuses(tmp_path: Path) -> None:
    """The DELETE fails (401, then a closed port): both programs fail and leave the files alone."""
    fake = FakeRegistry().start_in_thread()
    try:
        refusal = Canned(401, {"error": "token is not yours"})
        fake.script("DELETE", "/-/user/token/npm_refused", refusal, refusal)  # one for each program
        closed = f"http://127.0.0.1:{free_port()}/"

        def setup(world: World) -> None:
            _write(world.userconfig, f"registry={fake.url}\n{_host(fake.url)}:_authToken=npm_refused\n")
            _write(world.project / ".npmrc", f"{_host(closed)}:_authToken=npm_unreachable\n")

        def scenario(player: Player) -> None:
            player.run("logout refused", "logout")
            player.run("logout unreachable", "logout", "--registry", closed, "--fetch-retries=0")

        players = play(tmp_path, None, scenario, setup)
    finally:
        fake.stop_thread()
    assert_same(players)
    npm = players["npm"].steps
    assert npm[0].code == 1 and npm[0].problems[0] == "npm error code E401"
    assert npm[1].code == 1 and npm[1].problems[0] == "npm error code ECONNREFUSED"
    for step in npm:
        assert step.files["user"] == (f"registry={fake.url}\n{_host(fake.url)}:_authToken=<token>\n", 0o644)
        assert step.files["project"] == (f"{_host(closed)}:_authToken=<token>\n", 0o644)


def _host(url: str) -> str:
    return url.removeprefix("http:").rstrip("/") + "/"


def test_logout_quirks_match_npm(tmp_path: Path) -> None:
    """npm's logout corner cases, on a scripted registry that accepts every revocation:
    - the token found at a shorter prefix (`//host/` for a registry at `//host/npm/`) is revoked
      but its line survives, as npm removes the keys at the registry's own nerf dart;
    - a token given in the environment is revoked, then saving the env layer fails."""
    fake = FakeRegistry().start_in_thread()
    try:
        for path in ("/npm/-/user/token/npm_short", "/-/user/token/npm_env"):
            fake.script("DELETE", path, Canned(200, {"ok": "Logged out"}), Canned(200, {"ok": "Logged out"}))
        nested = f"{fake.url}npm/"
        env_key = f"npm_config_{_host(fake.url)}:_authToken"

        def setup(world: World) -> None:
            _write(world.userconfig, f"registry={nested}\n{_host(fake.url)}:_authToken=npm_short\n")

        def scenario(player: Player) -> None:
            player.run("logout, token at a shorter prefix", "logout")
            player.world.extra_env[env_key] = "npm_env"
            player.run("logout, token in the environment", "logout", "--registry", fake.url)

        players = play(tmp_path, None, scenario, setup)
    finally:
        fake.stop_thread()
    assert_same(players)
    npm = players["npm"].steps
    assert npm[0].code == 0 and npm[0].files["user"] == (
        f"registry={nested}\n{_host(fake.url)}:_authToken=<token>\n",
        0o600,  # rewritten (unchanged) by config.save("user")
    )
    assert npm[1].code == 1 and npm[1].problems == ["npm error invalid config location param: env"]
    assert [r.path for r in fake.requests] == [
        "/npm/-/user/token/npm_short",
        "/-/user/token/npm_env",
    ] * 2
