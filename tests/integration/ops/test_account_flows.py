"""login, logout and whoami flows (snpm.ops.account, snpm.ops.auth_flow) against a scripted
registry: which requests are sent, and which config file ends up holding what."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterator
from pathlib import Path

import pytest

from snpm.config import Config, load_config
from snpm.errors import HttpError, SnpmError
from snpm.ops import account, tokens
from support.fake_registry import Canned, FakeRegistry
from support.scripted_interaction import ScriptedInteraction


@pytest.fixture
def fake() -> Iterator[FakeRegistry]:
    registry = FakeRegistry().start_in_thread()
    try:
        yield registry
    finally:
        registry.stop_thread()


class Files:
    def __init__(self, root: Path) -> None:
        self.root = root
        for folder in ("home", "prefix/etc", "project"):
            (root / folder).mkdir(parents=True, exist_ok=True)

    @property
    def user(self) -> Path:
        return self.root / "home/.npmrc"

    @property
    def project(self) -> Path:
        return self.root / "project/.npmrc"

    @property
    def global_(self) -> Path:
        return self.root / "prefix/etc/npmrc"

    def config(self, *argv: str, env: dict[str, str] | None = None) -> Config:
        base = {"HOME": str(self.root / "home"), "PREFIX": str(self.root / "prefix"), **(env or {})}
        return load_config(
            ["--fetch-retries=0", *argv],
            env=base,
            cwd=self.root / "project",
            stdout_tty=False,
            stderr_tty=False,
        )


def _nerf(url: str) -> str:
    return url.removeprefix("http:")


# ── logout ──


def test_logout_revokes_then_forgets_the_token_where_it_was(tmp_path: Path, fake: FakeRegistry) -> None:
    files = Files(tmp_path)
    files.user.write_text(f"registry={fake.url}\n")
    files.project.write_text(f"save-exact=true\n{_nerf(fake.url)}:_authToken=npm_abc+/=\n")
    fake.script("DELETE", "/-/user/token/npm_abc+/=", Canned(200, {"ok": "Logged out"}))
    asyncio.run(account.logout(files.config(), ScriptedInteraction()))
    (request,) = fake.requests
    assert (request.method, request.raw_path) == ("DELETE", "/-/user/token/npm_abc%2B%2F%3D")
    assert request.headers["authorization"] == "Bearer npm_abc+/="
    assert files.project.read_text() == "save-exact=true\n"
    assert files.user.read_text() == f"registry={fake.url}\n"


def test_logout_keeps_everything_when_the_registry_refuses(tmp_path: Path, fake: FakeRegistry) -> None:
    files = Files(tmp_path)
    text = f"registry={fake.url}\n{_nerf(fake.url)}:_authToken=npm_abc\n"
    files.user.write_text(text)
    fake.script("DELETE", "/-/user/token/npm_abc", Canned(401, {"error": "nope"}))
    with pytest.raises(HttpError) as err:
        asyncio.run(account.logout(files.config(), ScriptedInteraction()))
    assert err.value.code == "E401"
    assert files.user.read_text() == text


def test_logout_with_scope_removes_the_scope_mapping_and_deletes_an_empty_file(
    tmp_path: Path, fake: FakeRegistry
) -> None:
    files = Files(tmp_path)
    files.user.write_text(f"@acme:registry={fake.url}\n{_nerf(fake.url)}:_authToken=npm_abc\n")
    fake.script("DELETE", "/-/user/token/npm_abc", Canned(204))
    asyncio.run(account.logout(files.config("--scope=acme"), ScriptedInteraction()))
    assert [r.raw_path for r in fake.requests] == ["/-/user/token/npm_abc"]
    assert not files.user.exists()


def test_logout_of_basic_credentials_sends_nothing(tmp_path: Path, fake: FakeRegistry) -> None:
    files = Files(tmp_path)
    password = base64.b64encode(b"pw").decode()
    files.global_.write_text(
        f"registry={fake.url}\n{_nerf(fake.url)}:username=alice\n{_nerf(fake.url)}:_password={password}\n"
        f"{_nerf(fake.url)}:email=a@b.c\n"
    )
    io = ScriptedInteraction()
    asyncio.run(account.logout(files.config(), io))
    assert fake.requests == []
    # the default registry's nerf-darted e-mail moves to the top level
    assert files.global_.read_text() == f"registry={fake.url}\nemail=a@b.c\n"
    assert ("verbose", "logout", f"clearing user credentials for {fake.url}") in io.logs


@pytest.mark.parametrize("credential", ["_auth=YWxpY2U6cHc=", "certfile=/c.pem", ""])
def test_logout_needs_a_token_or_basic_credentials(
    tmp_path: Path, fake: FakeRegistry, credential: str
) -> None:
    files = Files(tmp_path)
    text = f"registry={fake.url}\n" + (f"{_nerf(fake.url)}:{credential}\n" if credential else "")
    files.user.write_text(text)
    with pytest.raises(SnpmError, match=f"^not logged in to {fake.url}, so can't log out!$") as err:
        asyncio.run(account.logout(files.config(), ScriptedInteraction()))
    assert err.value.code == "ENEEDAUTH"
    assert fake.requests == [] and files.user.read_text() == text


def test_logout_of_a_token_from_the_environment(tmp_path: Path, fake: FakeRegistry) -> None:
    """npm revokes it, then fails to save the env layer: the token is gone, the files untouched."""
    files = Files(tmp_path)
    env = {f"npm_config_{_nerf(fake.url)}:_authToken": "npm_env"}
    fake.script("DELETE", "/-/user/token/npm_env", Canned(200, {}))
    with pytest.raises(SnpmError, match="^invalid config location param: env$"):
        asyncio.run(account.logout(files.config("--registry", fake.url, env=env), ScriptedInteraction()))
    assert [r.raw_path for r in fake.requests] == ["/-/user/token/npm_env"]


# ── whoami ──


def test_whoami(tmp_path: Path, fake: FakeRegistry) -> None:
    files = Files(tmp_path)
    files.user.write_text(f"registry={fake.url}\n{_nerf(fake.url)}:_authToken=npm_abc\n")
    fake.script("GET", "/-/whoami", Canned(200, {"username": "alice"}), Canned(200, {"username": 42}))
    assert asyncio.run(account.whoami(files.config(), ScriptedInteraction())) == "alice"
    with pytest.raises(SnpmError, match="^This command requires you to be logged in.$"):
        asyncio.run(account.whoami(files.config(), ScriptedInteraction()))
    files.user.write_text(
        f"registry={fake.url}\n{_nerf(fake.url)}:_auth={base64.b64encode(b'bob:pw').decode()}\n"
    )
    assert asyncio.run(account.whoami(files.config(), ScriptedInteraction())) == "bob"
    assert len(fake.requests) == 2  # the name in `_auth` needs no request


# ── login ──


def test_web_login(tmp_path: Path, fake: FakeRegistry) -> None:
    files = Files(tmp_path)
    files.user.write_text(f"registry={fake.url}\n{_nerf(fake.url)}:email=a@b.c\n_token=legacy\n")
    fake.script(
        "POST",
        "/-/v1/login",
        Canned(200, {"loginUrl": f"{fake.url}login/1", "doneUrl": f"{fake.url}-/v1/done/1"}),
    )
    fake.script(
        "GET",
        "/-/v1/done/1",
        Canned(202, {}, headers={"retry-after": "0"}),
        Canned(200, {"token": "npm_web"}),
    )
    io = ScriptedInteraction()
    outcome = asyncio.run(account.login(files.config("--scope=@acme"), io))
    assert outcome.message == f"Logged in to scope @acme on {fake.url}."
    assert io.urls == [("Login at", f"{fake.url}login/1")]
    assert fake.requests[0].body == b"{}"
    # as npm writes it: reading the credentials already de-nerfs the e-mail, `_token` goes
    assert files.user.read_text() == (
        f"registry={fake.url}\nemail=a@b.c\n{_nerf(fake.url)}:_authToken=npm_web\n@acme:registry={fake.url}\n"
    )
    assert ("notice", "", f"Log in on {fake.url}") in io.logs


def test_adduser_falls_back_to_couch_when_web_login_is_missing(tmp_path: Path, fake: FakeRegistry) -> None:
    files = Files(tmp_path)
    files.user.write_text(f"registry={fake.url}\n")
    fake.script("PUT", "/-/user/org.couchdb.user:bob", Canned(201, {"ok": True, "token": "npm_new"}))
    io = ScriptedInteraction(
        answers={"Username:": ["bob"], "Password:": ["pw"], "Email (this will be public):": ["b@x.y"]}
    )
    outcome = asyncio.run(account.login(files.config(), io, create=True))
    assert outcome.message == f"Logged in on {fake.url}."
    post, put = fake.requests
    assert (post.method, post.path, post.body) == ("POST", "/-/v1/login", b'{"create":true}')
    assert put.body.startswith(b'{"_id":"org.couchdb.user:bob","name":"bob","password":"pw","email":"b@x.y"')
    assert files.user.read_text() == f"registry={fake.url}\n{_nerf(fake.url)}:_authToken=npm_new\n"


def test_couch_login_update_dance(tmp_path: Path, fake: FakeRegistry) -> None:
    """409 on the first PUT: GET ?write=true, then PUT /-rev/<rev> with Basic auth (Verdaccio)."""
    files = Files(tmp_path)
    files.user.write_text(f"registry={fake.url}\n")
    fake.script("PUT", "/-/user/org.couchdb.user:bob", Canned(409, {"error": "exists"}))
    fake.script(
        "GET", "/-/user/org.couchdb.user:bob", Canned(200, {"_id": "x", "_rev": "3-abc", "roles": ["r"]})
    )
    fake.script("PUT", "/-/user/org.couchdb.user:bob/-rev/3-abc", Canned(201, {"token": "npm_rev"}))
    io = ScriptedInteraction(answers={"Username:": ["bob"], "Password:": ["pw"]})
    asyncio.run(account.login(files.config("--auth-type=legacy"), io))
    put, get, put_rev = fake.requests
    assert get.query == "write=true"
    assert put_rev.headers["authorization"] == "Basic " + base64.b64encode(b"bob:pw").decode()
    assert b'"_rev":"3-abc"' in put_rev.body and b'"roles":["r"]' in put_rev.body
    assert "npm_rev" in files.user.read_text()


def test_couch_login_of_an_unknown_user(tmp_path: Path, fake: FakeRegistry) -> None:
    files = Files(tmp_path)
    fake.script("PUT", "/-/user/org.couchdb.user:bob", Canned(400, {"error": "bad"}))
    io = ScriptedInteraction(answers={"Username:": ["bob"], "Password:": ["pw"]})
    with pytest.raises(HttpError, match='^There is no user with the username "bob".$'):
        asyncio.run(account.login(files.config("--auth-type=legacy", "--registry", fake.url), io))
    assert not files.user.exists()


def test_login_asks_for_an_otp_on_a_terminal(tmp_path: Path, fake: FakeRegistry) -> None:
    files = Files(tmp_path)
    challenge = Canned(401, {"error": "otp"}, headers={"www-authenticate": "OTP"})
    fake.script(
        "PUT", "/-/user/org.couchdb.user:bob", challenge, Canned(201, {"token": "npm_otp"}), challenge
    )
    prompt = "This operation requires a one-time password.\nEnter OTP:"
    io = ScriptedInteraction(
        answers={"Username:": ["bob", "bob"], "Password:": ["pw", "pw"], prompt: ["123456"]}
    )
    asyncio.run(account.login(files.config("--auth-type=legacy", "--registry", fake.url), io))
    assert fake.requests[1].headers["npm-otp"] == "123456"
    # without a terminal the challenge is final (npm: "pass --otp")
    io.interactive = False
    with pytest.raises(HttpError) as err:
        asyncio.run(account.login(files.config("--auth-type=legacy", "--registry", fake.url), io))
    assert err.value.code == "EOTP"


def test_web_otp_round_trip(tmp_path: Path, fake: FakeRegistry) -> None:
    """A 401 naming authUrl/doneUrl: open the one, poll the other, retry with its token as the OTP."""
    files = Files(tmp_path)
    files.user.write_text(f"registry={fake.url}\n{_nerf(fake.url)}:_authToken=npm_abc\n")
    body = {"authUrl": f"{fake.url}auth/9", "doneUrl": f"{fake.url}-/v1/done/9"}
    fake.script(
        "GET", "/-/npm/v1/tokens", Canned(200, {"objects": [{"key": "k1", "token": "npm_x"}], "urls": {}})
    )
    fake.script(
        "DELETE",
        "/-/npm/v1/tokens/token/k1",
        Canned(401, body, headers={"www-authenticate": "OTP"}),
        Canned(204),
    )
    fake.script("GET", "/-/v1/done/9", Canned(200, {"token": "web-otp-token"}))
    io = ScriptedInteraction()
    assert asyncio.run(tokens.revoke_tokens(files.config(), io, ["k1"])) == ["k1"]
    assert io.urls == [("Authenticate your account at", f"{fake.url}auth/9")]
    assert fake.requests[-1].headers["npm-otp"] == "web-otp-token"
