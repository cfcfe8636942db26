"""The real npm 11 against snpm-registry: web login, `npm profile`, two-factor authentication (TOTP),
and tokens under 2FA.

One registry subprocess with web login on, per storage backend (SQLite, then PostgreSQL). npm prompts only on a terminal, so the interactive steps
(`profile set password`, `profile enable-2fa`/`disable-2fa`, a legacy login asking for an OTP) run
in a pty; the TOTP codes are computed from the secret npm prints. Every step also checks the
registry's database.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pyotp
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
NEW_PASSWORD = "battery-staple-horse"
_LOGIN_URL = re.compile(r"http://127\.0\.0\.1:\d+/-/v1/login/\S+")


@pytest.fixture(scope="module", params=BACKENDS)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningRegistry]:
    running = start_registry(
        tmp_path_factory.mktemp("registry") / "data",
        settings={"web-login": True, **backend_settings(request, request.param)},
    )
    try:
        yield running
    finally:
        running.stop()


def _new_user(server: RunningRegistry, root: Path, name: str, *, login: bool = True) -> NpmAccount:
    """A user made with the admin command; with `login`, their npm holds a token (each test has
    its own user, so the tests stay independent, also under pytest-xdist)."""
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
    if login:
        account.login_over_http(PASSWORD)
    return account


def _user_row(server: RunningRegistry, name: str) -> tuple[object, ...]:
    rows = registry_db(
        server, "SELECT tfa_mode, tfa_pending, fullname, homepage FROM users WHERE name = ?", name
    )
    return rows[0]


def test_web_login(server: RunningRegistry, tmp_path: Path) -> None:
    """`npm login` (auth-type web): npm prints the login URL and polls; the browser step is a form POST."""
    dave = _new_user(server, tmp_path, "dave", login=False)
    process = subprocess.Popen(
        dave.argv("login"),
        cwd=dave.root,
        env=dave.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        printed = ""
        deadline = time.monotonic() + 30
        while not _LOGIN_URL.search(printed) and time.monotonic() < deadline:
            printed += process.stdout.readline()
        match = _LOGIN_URL.search(printed)
        assert match, printed
        page = urllib.request.urlopen(match.group(0), timeout=10).read().decode()
        assert "name=password" in page
        form = urllib.parse.urlencode({"username": "dave", "password": PASSWORD}).encode()
        with urllib.request.urlopen(urllib.request.Request(match.group(0), data=form), timeout=10) as answer:
            assert "Logged in as dave" in answer.read().decode()
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert f"Logged in on {server.url}." in out
    token = dave.token()
    assert dave.npm("whoami").stdout.strip() == "dave"
    assert registry_db(server, 'SELECT "user", name FROM tokens WHERE token_hash = ?', _sha512(token)) == [
        ("dave", "web login")
    ]
    assert registry_db(server, "SELECT count(*) FROM web_logins") == [(0,)]  # collected: gone


def _sha512(token: str) -> str:
    import hashlib

    return hashlib.sha512(token.encode()).hexdigest()


def test_profile_get_and_set(server: RunningRegistry, tmp_path: Path) -> None:
    paul = _new_user(server, tmp_path, "paul")
    shown = paul.npm("profile", "get").stdout.split("\n")
    assert shown[:3] == ["name: paul", "email: paul@example.test(unverified)", "two-factor auth: disabled"]
    profile = json.loads(paul.npm("profile", "get", "--json").stdout)
    assert profile["name"] == "paul" and profile["tfa"] is None and profile["email_verified"] is False
    parseable = dict(
        line.split("\t", 1) for line in paul.npm("profile", "get", "--parseable").stdout.splitlines()
    )
    assert parseable["name"] == "paul" and parseable["tfa"] == "disabled"

    assert paul.npm("profile", "set", "fullname", "Paul Doe").stdout.strip() == "Set fullname to Paul Doe"
    homepage = json.loads(paul.npm("profile", "set", "homepage", "https://paul.example", "--json").stdout)
    assert homepage == {"homepage": "https://paul.example"}
    assert _user_row(server, "paul")[2:] == ("Paul Doe", "https://paul.example")
    assert paul.npm("profile", "get", "fullname").stdout.strip() == "Paul Doe"
    bad = paul.npm("profile", "set", "email", "not-an-email", check=False)
    assert bad.returncode != 0 and "Email must be an email address" in bad.stderr

    code, output = paul.pty(
        "profile",
        "set",
        "password",
        answers=[("Current password:", PASSWORD), ("New password:", NEW_PASSWORD), ("Again:", NEW_PASSWORD)],
    )
    assert code == 0, output
    assert "Set password" in output
    assert (
        server.request("PUT", "/-/user/org.couchdb.user:paul", body={"name": "paul", "password": PASSWORD})[0]
        == 401
    )
    assert (
        server.request(
            "PUT", "/-/user/org.couchdb.user:paul", body={"name": "paul", "password": NEW_PASSWORD}
        )[0]
        == 201
    )


def test_two_factor_from_enrolment_to_disabling(server: RunningRegistry, tmp_path: Path) -> None:
    """enable-2fa (pty) → writes need a code (EOTP without, --otp with; recovery codes once) → the
    package's own policy → tokens need a code → a legacy login asks for one → disable-2fa (pty)."""
    erin = _new_user(server, tmp_path, "erin")
    secret: dict[str, str] = {}

    def code_from_secret(output: str) -> str:
        match = re.search(r"Or enter code: ([A-Z2-7]+)", output)
        assert match, output
        secret["totp"] = match.group(1)
        return pyotp.TOTP(match.group(1)).now()

    code, output = erin.pty(
        "profile",
        "enable-2fa",
        "auth-and-writes",
        answers=[("npm password:", PASSWORD), ("OTP code from your authenticator:", code_from_secret)],
    )
    assert code == 0, output
    assert "2FA successfully enabled" in output
    recovery = re.findall(r"\b[0-9a-f]{64}\b", output)
    assert len(recovery) == 5, output
    secret["recovery"] = recovery[0]
    assert _user_row(server, "erin")[:2] == ("auth-and-writes", 0)
    assert registry_db(server, "SELECT count(*) FROM recovery_codes WHERE \"user\" = 'erin'") == [(5,)]
    assert "two-factor auth: auth-and-writes" in erin.npm("profile", "get").stdout

    totp = pyotp.TOTP(secret["totp"])
    folder = write_package(tmp_path / "pkg", {"name": "erin-pkg", "version": "1.0.0"})
    refused = erin.npm("publish", cwd=folder, check=False)
    assert refused.returncode != 0 and "EOTP" in refused.stderr
    assert server.request("GET", "/erin-pkg")[0] == 404
    assert "+ erin-pkg@1.0.0" in erin.npm("publish", f"--otp={totp.now()}", cwd=folder).stdout
    assert registry_db(server, "SELECT version FROM published_versions WHERE name = 'erin-pkg'") == [
        ("1.0.0",)
    ]

    # a recovery code works once
    write_package(folder, {"name": "erin-pkg", "version": "1.1.0"})
    assert "+ erin-pkg@1.1.0" in erin.npm("publish", f"--otp={secret['recovery']}", cwd=folder).stdout
    assert registry_db(server, "SELECT count(*) FROM recovery_codes WHERE \"user\" = 'erin'") == [(4,)]
    write_package(folder, {"name": "erin-pkg", "version": "1.2.0"})
    again = erin.npm("publish", f"--otp={secret['recovery']}", cwd=folder, check=False)
    assert again.returncode != 0 and "EOTP" in again.stderr
    assert "1.2.0" not in server.request("GET", "/erin-pkg")[1]["versions"]

    # the package's own 2FA policy (npm access set mfa=…), kept beside the account's mode
    erin.npm("access", "set", "mfa=automation", "erin-pkg", f"--otp={totp.now()}")
    assert registry_db(server, "SELECT mfa FROM packages WHERE name = 'erin-pkg'") == [("automation",)]
    assert server.request("GET", "/-/package/erin-pkg/access")[1]["automation_token_overrides_tfa"] is True

    # creating a token needs a code too
    refused = erin.npm("token", "create", "--password", PASSWORD, check=False)
    assert refused.returncode != 0 and "EOTP" in refused.stderr
    before = registry_db(server, "SELECT count(*) FROM tokens WHERE \"user\" = 'erin'")[0][0]
    created = erin.npm("token", "create", "--password", PASSWORD, f"--otp={pyotp.TOTP(secret['totp']).now()}")
    token = re.search(r"Created token (npm_\S+)", created.stdout)
    assert token, created.stdout
    assert registry_db(server, "SELECT count(*) FROM tokens WHERE \"user\" = 'erin'") == [(before + 1,)]
    assert server.request("GET", "/-/whoami", token=token.group(1)) == (200, {"username": "erin"})

    # the couch login answers 401 OTP; npm's otplease prompts on the terminal and retries
    other = NpmAccount("erin", tmp_path / "erin-laptop", server, str(NPM)).prepare()
    code, output = other.pty(
        "login",
        "--auth-type=legacy",
        answers=[
            ("Username:", "erin"),
            ("Password:", PASSWORD),
            ("Enter OTP:", lambda _: pyotp.TOTP(secret["totp"]).now()),
        ],
    )
    assert code == 0, output
    assert f"Logged in on {server.url}" in output
    assert server.request("GET", "/-/whoami", token=other.token()) == (200, {"username": "erin"})

    # disable-2fa: the password, then npm's otplease prompt for the code
    code, output = erin.pty(
        "profile",
        "disable-2fa",
        answers=[("npm password:", PASSWORD), ("Enter OTP:", lambda _: pyotp.TOTP(secret["totp"]).now())],
    )
    assert code == 0, output
    assert "Two factor authentication disabled." in output
    assert _user_row(server, "erin")[:2] == (None, 0)
    assert registry_db(server, "SELECT count(*) FROM recovery_codes WHERE \"user\" = 'erin'") == [(0,)]
    folder = write_package(tmp_path / "free", {"name": "erin-free", "version": "1.0.0"})
    assert "+ erin-free@1.0.0" in erin.npm("publish", cwd=folder).stdout
