"""npm 11's web OTP against snpm-registry, played by the real npm and by snpm in two worlds.

alice has two-factor authentication (auth-and-writes) and logs in with `npm login` in the browser
(the default auth type), so the registry answers her writes' OTP challenges with `authUrl` and
`doneUrl` (snpm.registry_server.services.web_otp). On a terminal both programs show the URL and
poll; the test plays the browser: a website session of alice's opens the page and confirms with a
code from her authenticator, and the command goes through. Without a terminal both print npm's
"Open this URL in your browser" error (and its --json object); `--otp=<code>` keeps the classic
challenge. Each program works on its own package (`web-otp-npm`, `web-otp-snpm`); the outputs must
agree once the names, ports and secrets are aligned, and the registry's state is checked after each
step.
"""

from __future__ import annotations

import http.cookiejar
import json
import re
import shutil
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyotp
import pytest

from support.npm_world import World, make_world
from support.registry import RunningRegistry, start_registry, write_package
from support.terminal import run_in_pty

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

NPM = shutil.which("npm")
if NPM is None or shutil.which("node") is None:
    pytest.skip("node and npm are needed", allow_module_level=True)

PASSWORD = "correct-horse-battery"
PROGRAMS = ("npm", "snpm")
_CSRF = re.compile(r'name="csrf" value="([0-9a-f]{64})"')
_LOGIN_URL = re.compile(r"http://127\.0\.0\.1:\d+/-/v1/login/\S+")
_OTP_URL = re.compile(r"http://127\.0\.0\.1:\d+/-/v1/otp/otp\.\S+")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_SPINNER = re.compile(r"[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]")
_LOG_FILE = re.compile(r"A complete log of this run can be found in: .*$")


class Browser:
    """urllib with a cookie jar: alice's browser, signed in to the registry's website."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def open(self, url: str, form: dict[str, str] | None = None) -> tuple[int, str]:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        target = url if url.startswith("http") else self.base + url
        try:
            with self.opener.open(urllib.request.Request(target, data=data), timeout=15) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode()

    def submit(self, page: str, form: dict[str, str]) -> tuple[int, str]:
        status, text = self.open(page)
        assert status == 200, text[:2000]
        match = _CSRF.search(text)
        assert match, text[:2000]
        return self.open(page, {"csrf": match.group(1), **form})


@dataclass
class Setup:
    server: RunningRegistry
    totp: pyotp.TOTP
    browser: Browser
    # every confirmation the "browser" made, by program
    confirmed: dict[str, int] = field(default_factory=dict)


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    server = start_registry(tmp_path_factory.mktemp("web-otp") / "data", settings={"web-login": True})
    try:
        body = {"name": "alice", "password": PASSWORD, "email": "alice@example.test"}
        status, answer = server.request("PUT", "/-/user/org.couchdb.user:alice", body=body)
        assert status == 201, answer
        token = answer["token"]
        status, answer = server.request(
            "POST",
            "/-/npm/v1/user",
            token=token,
            body={"tfa": {"mode": "auth-and-writes", "password": PASSWORD}},
        )
        assert status == 200, answer
        secret = urllib.parse.parse_qs(urllib.parse.urlsplit(answer["tfa"]).query)["secret"][0]
        totp = pyotp.TOTP(secret)
        status, answer = server.request("POST", "/-/npm/v1/user", token=token, body={"tfa": [totp.now()]})
        assert status == 200, answer
        browser = Browser(server.url)
        status, _ = browser.submit(
            "/-/web/login", {"username": "alice", "password": PASSWORD, "otp": totp.now()}
        )
        assert status == 200  # urllib followed the redirect home
        yield Setup(server, totp, browser)
    finally:
        server.stop()


@dataclass
class Step:
    label: str
    code: int
    lines: list[str]


@dataclass
class Player:
    program: str
    world: World
    setup: Setup
    steps: list[Step] = field(default_factory=list)

    @property
    def package(self) -> str:
        return f"web-otp-{self.program}"

    def argv(self, args: list[str]) -> list[str]:
        if self.program == "npm":
            assert NPM is not None
            return [NPM, *args]
        return [sys.executable, "-m", "snpm", *args]

    def normalize(self, text: str) -> list[str]:
        plain = _SPINNER.sub("", _ANSI.sub("", text)).replace("\r", "")
        base = self.setup.server.url.rstrip("/")
        lines = []
        for raw in plain.splitlines():
            line = re.sub(r"^snpm ", "npm ", raw.rstrip())
            if not line or line.startswith("npm notice") and "Publishing to" not in line:
                continue  # the tarball report has differential tests of its own
            line = _LOG_FILE.sub("A complete log of this run can be found in: <log>", line)
            line = line.replace(base, "<registry>").replace(self.package, "<pkg>")
            line = re.sub(r"/-/v1/(otp|done|login)/[A-Za-z0-9._-]+", r"/-/v1/\1/<id>", line)
            lines.append(line)
        return lines

    def run(self, label: str, *args: str) -> Step:
        args = tuple(a.replace("{p}", self.package) for a in args)
        done = self.world.run_npm(list(args)) if self.program == "npm" else self.world.run_snpm(list(args))
        step = Step(
            label, done.code, self.normalize(done.stdout) + ["--- stderr"] + self.normalize(done.stderr)
        )
        self.steps.append(step)
        return step

    def run_pty(self, label: str, args: list[str], answers: list[tuple[Any, Any]]) -> Step:
        args = [a.replace("{p}", self.package) for a in args]
        code, output = run_in_pty(self.argv(args), self.world.env(), self.world.project, answers, timeout=90)
        step = Step(label, code, self.normalize(output))
        self.steps.append(step)
        return step

    # ── the browser's side ──

    def finish_web_login(self, output: str) -> str:
        url = _LOGIN_URL.findall(output)[-1]
        status, _ = self.setup.browser.open(
            url, {"username": "alice", "password": PASSWORD, "otp": self.setup.totp.now()}
        )
        assert status == 200
        return ""

    def confirm_otp(self, output: str) -> str:
        url = _OTP_URL.findall(output)[-1]
        status, page = self.setup.browser.submit(url, {"otp": self.setup.totp.now()})
        assert status == 200 and "Confirmed" in page, page[:2000]
        self.setup.confirmed[self.program] = self.setup.confirmed.get(self.program, 0) + 1
        return ""

    def with_browser(self, label: str, *args: str) -> Step:
        return self.run_pty(label, [*args, "--browser=false"], [(_OTP_URL, self.confirm_otp)])


def _versions(setup: Setup, name: str) -> dict[str, Any]:
    status, body = setup.server.request("GET", f"/{name}")
    return body.get("versions", {}) if status == 200 else {}


def _scenario(player: Player) -> None:
    setup = player.setup
    name = player.package
    write_package(player.world.project, {"name": name, "version": "1.0.0", "description": "web OTP"})
    player.run_pty("login (web, 2FA)", ["login", "--browser=false"], [(_LOGIN_URL, player.finish_web_login)])
    player.run("whoami", "whoami")

    player.with_browser("publish (web OTP)", "publish")
    assert list(_versions(setup, name)) == ["1.0.0"]

    write_package(player.world.project, {"name": name, "version": "1.1.0", "description": "web OTP"})
    player.run("publish without a terminal", "publish")
    player.run("publish without a terminal --json", "publish", "--json")
    assert list(_versions(setup, name)) == ["1.0.0"]
    player.run("publish --otp (classic)", "publish", f"--otp={setup.totp.now()}")
    assert list(_versions(setup, name)) == ["1.0.0", "1.1.0"]

    player.with_browser("deprecate (web OTP)", "deprecate", "{p}@1.0.0", "use 1.1.0")
    assert _versions(setup, name)["1.0.0"]["deprecated"] == "use 1.1.0"
    player.with_browser("unpublish (web OTP)", "unpublish", "{p}@1.0.0")
    assert list(_versions(setup, name)) == ["1.1.0"]
    player.run("logout", "logout")


def test_web_otp_like_npm(tmp_path: Path, setup: Setup) -> None:
    players = {}
    for program in PROGRAMS:
        world = make_world(tmp_path / program)
        world.userconfig.write_text(f"registry={setup.server.url}\nfund=false\nupdate-notifier=false\n")
        player = Player(program, world, setup)
        _scenario(player)
        players[program] = player
    npm, snpm = players["npm"].steps, players["snpm"].steps
    assert [s.label for s in snpm] == [s.label for s in npm]
    for expected, actual in zip(npm, snpm, strict=True):
        assert actual == expected, (expected.label, expected, actual)
    assert setup.confirmed == {"npm": 3, "snpm": 3}
    by_label = {s.label: s for s in npm}
    assert "+ <pkg>@1.0.0" in by_label["publish (web OTP)"].lines
    assert "Authenticate your account at:" in by_label["publish (web OTP)"].lines
    assert by_label["publish without a terminal"].code == 1
    assert "npm error   <registry>/-/v1/otp/<id>" in by_label["publish without a terminal"].lines
    as_json = json.loads(
        "\n".join(by_label["publish without a terminal --json"].lines).split("--- stderr")[0]
    )
    assert set(as_json["error"]) == {"code", "summary", "detail", "authUrl", "doneUrl"}
    assert "- <pkg>@1.0.0" in by_label["unpublish (web OTP)"].lines
    print(f"web OTP differential: {len(npm)} steps, npm and snpm identical")
