"""Credential selection (snpm.registry_client.auth) against npm-registry-fetch's auth.js rules."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from snpm.registry_client.auth import get_auth, nerf_dart, pick_registry, url_host
from snpm.registry_client.settings import ClientSettings
from support.node import node_json

REG = "https://reg.example.test/"


def settings(creds: dict[str, str], **kw: object) -> ClientSettings:
    return ClientSettings(registry=kw.pop("registry", REG), credentials=creds, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("url", "dart"),
    [
        ("https://registry.example.com/", "//registry.example.com/"),
        ("http://127.0.0.1:4999/sub/", "//127.0.0.1:4999/sub/"),
        ("http://host/npm", "//host/"),
        ("https://host:443/a/b", "//host/a/"),
        ("http://host:80/", "//host/"),
        ("http://host:8080", "//host:8080/"),
    ],
)
def test_nerf_dart(url: str, dart: str) -> None:
    assert nerf_dart(url) == dart


def test_url_host_drops_default_ports() -> None:
    assert url_host("https://a.test:443/x") == "a.test"
    assert url_host("https://a.test:8443/x") == "a.test:8443"
    assert url_host("http://[::1]:4000/") == "[::1]:4000"


def test_token_beats_basic_and_is_bearer() -> None:
    auth = get_auth(
        REG + "pkg",
        settings({"//reg.example.test/:_authToken": "tok", "//reg.example.test/:_auth": "YTpi"}),
    )
    assert auth.authorization == "Bearer tok"
    assert (auth.reg_key, auth.auth_key) == ("//reg.example.test/", "_authToken")


def test_auth_is_sent_as_is() -> None:
    auth = get_auth(REG + "pkg", settings({"//reg.example.test/:_auth": "dXNlcjpwYXNz"}))
    assert auth.authorization == "Basic dXNlcjpwYXNz"
    assert not auth.is_basic_auth


def test_username_and_base64_password() -> None:
    password = base64.b64encode(b"s3cret").decode()
    auth = get_auth(
        REG + "pkg",
        settings({"//reg.example.test/:username": "alice", "//reg.example.test/:_password": password}),
    )
    assert auth.authorization == "Basic " + base64.b64encode(b"alice:s3cret").decode()
    assert auth.is_basic_auth


def test_username_without_password_is_no_auth() -> None:
    assert get_auth(REG + "pkg", settings({"//reg.example.test/:username": "alice"})).authorization is None


def test_longest_path_prefix_wins() -> None:
    creds = {
        "//reg.example.test/:_authToken": "root",
        "//reg.example.test/npm/:_authToken": "npm",
        "//reg.example.test/npm/private:_authToken": "private-no-slash",
    }
    s = settings(creds, registry="https://reg.example.test/npm/")
    assert get_auth("https://reg.example.test/npm/pkg", s).token == "npm"
    assert get_auth("https://reg.example.test/other/pkg", s).token == "root"
    # The walk alternately drops a segment and a slash, so a key without the trailing slash matches.
    assert get_auth("https://reg.example.test/npm/private/x", s).token == "private-no-slash"


def test_same_host_falls_back_to_the_registry_credentials() -> None:
    s = settings({"//reg.example.test/npm/:_authToken": "npm"}, registry="https://reg.example.test/npm/")
    # A tarball on another path of the registry's host.
    assert get_auth("https://reg.example.test/tarballs/x.tgz", s).token == "npm"


def test_no_credentials_leak_to_another_host() -> None:
    s = settings({"//reg.example.test/:_authToken": "tok"})
    for url in (
        "https://cdn.example.test/x.tgz",
        "https://reg.example.test:8443/x.tgz",  # another port is another host
        "http://evil.test/reg.example.test/x",
    ):
        auth = get_auth(url, s)
        assert auth.authorization is None and not auth.has_credentials


def test_other_host_with_its_own_credentials() -> None:
    s = settings({"//reg.example.test/:_authToken": "tok", "//cdn.example.test/:_authToken": "cdn"})
    assert get_auth("https://cdn.example.test/x.tgz", s).token == "cdn"


def test_scoped_registry_auth_and_warning_key() -> None:
    s = settings(
        {"//scoped.example.test/:_authToken": "scoped"},
        scoped_registries={"@acme": "https://scoped.example.test/"},
    )
    registry = pick_registry(s, "@acme/widget")
    assert registry == "https://scoped.example.test/"
    assert get_auth(registry + "@acme%2fwidget", s, registry=registry).token == "scoped"
    # A tarball elsewhere: no auth, but the scoped registry's key is remembered for the 4xx warning.
    elsewhere = get_auth("https://files.example.test/w.tgz", s, registry=registry)
    assert elsewhere.authorization is None
    assert elsewhere.scope_auth_key == "//scoped.example.test/"


def test_pick_registry_uses_scope_config_as_fallback() -> None:
    s = settings({}, scoped_registries={"@acme": "https://scoped.example.test/"}, scope="acme")
    assert pick_registry(s, "plain") == "https://scoped.example.test/"
    assert pick_registry(settings({}), "@other/x") == REG


def test_client_certificate_files(tmp_path: Path) -> None:
    (tmp_path / "c.pem").write_text("CERT")
    (tmp_path / "k.pem").write_text("KEY")
    creds = {
        "//reg.example.test/:certfile": str(tmp_path / "c.pem"),
        "//reg.example.test/:keyfile": str(tmp_path / "k.pem"),
        "//reg.example.test/:_authToken": "tok",
    }
    auth = get_auth(REG + "x", settings(creds))
    assert (auth.cert, auth.key, auth.token) == ("CERT", "KEY", "tok")
    missing = get_auth(REG + "x", settings({**creds, "//reg.example.test/:keyfile": str(tmp_path / "nope")}))
    assert missing.cert is None and missing.key is None


def test_force_auth_replaces_config() -> None:
    s = settings({"//reg.example.test/:_authToken": "config"})
    assert get_auth(REG + "x", s, force_auth={"_authToken": "forced"}).token == "forced"
    pw = base64.b64encode(b"pw").decode()
    forced = get_auth(REG + "x", s, force_auth={"username": "u", "password": pw})
    assert forced.authorization == "Basic " + base64.b64encode(b"u:pw").decode()


def test_repr_hides_secrets() -> None:
    auth = get_auth(REG + "x", settings({"//reg.example.test/:_authToken": "npm_SECRETSECRET"}))
    assert "SECRET" not in repr(auth)


# (url, registry or None, scope registries, credential keys) → compared with npm's auth.js
ORACLE_CASES: list[tuple[str, str | None, dict[str, str], dict[str, str]]] = [
    ("https://r.test/pkg", None, {}, {"//r.test/:_authToken": "t"}),
    ("https://r.test/a/b/c", None, {}, {"//r.test/a/:_authToken": "t1", "//r.test/:_auth": "YTpi"}),
    ("https://r.test/a/b/c", None, {}, {"//r.test/a/b/c:_authToken": "exact"}),
    ("https://r.test/a/b/c", None, {}, {"//r.test/a/b:_authToken": "noslash"}),
    ("https://r.test:8080/x", None, {}, {"//r.test/:_authToken": "wrong-port"}),
    ("https://r.test/x", None, {}, {"//r.test/:username": "u", "//r.test/:_password": "cGFzcw=="}),
    ("https://r.test/x", None, {}, {"//r.test/:username": "u"}),
    ("https://other.test/x.tgz", None, {}, {"//r.test/:_authToken": "t"}),
    ("https://r.test/tar/x.tgz", None, {}, {"//r.test/reg/:_authToken": "t"}),
    ("https://s.test/@a%2fb", "https://s.test/", {"@a": "https://s.test/"}, {"//s.test/:_authToken": "s"}),
    ("https://cdn.test/b.tgz", "https://s.test/", {"@a": "https://s.test/"}, {"//s.test/:_authToken": "s"}),
]


@pytest.mark.e2e
def test_matches_npm_registry_fetch_auth_js() -> None:
    """Every case gives the same (regKey, authKey, token, auth, scopeAuthKey) as npm's own auth.js."""
    payload = []
    for url, registry, scopes, creds in ORACLE_CASES:
        opts: dict[str, str] = {"registry": "https://r.test/", **creds}
        opts.update({f"{scope}:registry": reg for scope, reg in scopes.items()})
        spec = "@a/b" if registry else None
        payload.append({"url": url, "opts": {**opts, **({"spec": spec} if spec else {})}})
    script = """
const getAuth = require(NPM + '/node_modules/npm-registry-fetch/lib/auth.js');
console.log(JSON.stringify(input.map(({url, opts}) => {
  const a = getAuth(url, opts);
  return [a.regKey || null, a.authKey || null, a.token, a.auth, a.scopeAuthKey || null];
})));
"""
    expected = node_json(script, payload)
    assert isinstance(expected, list)
    failures = []
    for (url, registry, scopes, creds), want in zip(ORACLE_CASES, expected, strict=True):
        s = ClientSettings(registry="https://r.test/", credentials=creds, scoped_registries=scopes)
        got = get_auth(url, s, registry=registry)
        mine = [got.reg_key, got.auth_key, got.token, got.auth, got.scope_auth_key]
        if mine != want:
            failures.append((url, creds, mine, want))
    print(f"auth.js oracle: {len(ORACLE_CASES) - len(failures)}/{len(ORACLE_CASES)} cases agree")
    assert not failures
