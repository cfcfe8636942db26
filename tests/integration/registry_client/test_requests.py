"""RegistryClient against a fake registry on 127.0.0.1: headers, credentials, error mapping, OTP,
retries, timeouts, redirects and redaction."""

from __future__ import annotations

import asyncio
import base64
import gzip
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest
from aiohttp import web

from snpm.errors import HttpError, IntegrityError, NetworkError, SnpmError
from snpm.registry_client import ClientSettings, RegistryClient, fetch_packument
from support.fake_registry import Canned, FakeRegistry, free_port, settings_for, sri

T = TypeVar("T")
TOKEN = "npm_" + "A1b2C3d4E5" * 4  # looks like a real npm token: must never be printed


def with_client(settings: ClientSettings, body: Callable[[RegistryClient], Awaitable[T]], **kw: Any) -> T:
    async def main() -> T:
        async with RegistryClient(settings, **kw) as client:
            return await body(client)

    return asyncio.run(main())


def host_key(registry: FakeRegistry, path: str = "/") -> str:
    return f"//127.0.0.1:{registry.port}{path}"


# ── headers ──


def test_npm_headers_on_a_packument_request(fake_registry: FakeRegistry) -> None:
    fake_registry.add_packument("demo")
    settings = settings_for(fake_registry, npm_command="install", scope="@acme")
    with_client(settings, lambda c: fetch_packument(c, "demo"))
    with_client(settings, lambda c: fetch_packument(c, "demo", full=True))
    corgi, full = (r.headers for r in fake_registry.requests)
    assert corgi["user-agent"] == "snpm/0.0.0 test"
    assert corgi["npm-command"] == "install"
    assert corgi["npm-auth-type"] == "web"
    assert corgi["npm-scope"] == "@acme"
    assert corgi["accept"] == "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*"
    assert full["accept"] == "application/json"
    assert corgi["accept-encoding"] == "gzip,deflate"
    assert corgi["pacote-req-type"] == "packument" and corgi["pacote-pkg-id"] == "registry:demo"
    assert "authorization" not in corgi and "npm-otp" not in corgi


def test_plain_requests_accept_anything_and_otp_setting(fake_registry: FakeRegistry) -> None:
    fake_registry.script("GET", "/-/whoami", Canned(json={"username": "alice"}))
    settings = settings_for(fake_registry, otp="123456")
    assert with_client(settings, lambda c: c.get_json("/-/whoami")) == {"username": "alice"}
    headers = fake_registry.requests[0].headers
    assert headers["accept"] == "*/*"
    assert headers["npm-otp"] == "123456" and headers["npm-auth-type"] == "legacy"
    assert "npm-scope" not in headers and "npm-command" not in headers


# ── credentials ──


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ({":_authToken": "tok"}, "Bearer tok"),
        ({":_auth": "dXNlcjpwYXNz"}, "Basic dXNlcjpwYXNz"),
        (
            {":username": "alice", ":_password": base64.b64encode(b"pw").decode()},
            "Basic " + base64.b64encode(b"alice:pw").decode(),
        ),
    ],
)
def test_credential_kinds(fake_registry: FakeRegistry, keys: dict[str, str], expected: str) -> None:
    fake_registry.add_packument("demo")
    creds = {host_key(fake_registry) + suffix: value for suffix, value in keys.items()}
    with_client(settings_for(fake_registry, credentials=creds), lambda c: fetch_packument(c, "demo"))
    assert fake_registry.requests[0].headers["authorization"] == expected


def test_path_prefixed_registry_and_same_host_tarballs(fake_registry: FakeRegistry) -> None:
    registry = fake_registry.url + "npm/"
    fake_registry.add_packument("npm/demo")  # served at /npm/demo
    tarball = fake_registry.add_tarball("/tarballs/demo-1.0.0.tgz", b"bytes")
    creds = {host_key(fake_registry, "/npm/") + ":_authToken": "prefixed"}

    async def body(c: RegistryClient) -> None:
        await c.get_json("demo")
        await c.get_bytes(tarball)

    with_client(settings_for(registry, credentials=creds), body)
    packument, tgz = fake_registry.requests
    assert packument.path == "/npm/demo" and packument.headers["authorization"] == "Bearer prefixed"
    # another path on the registry's host: the registry's credentials (auth.js same-host rule)
    assert tgz.headers["authorization"] == "Bearer prefixed"


def test_scoped_registry_and_no_leak_to_other_hosts(fake_registry: FakeRegistry) -> None:
    async def main() -> None:
        async with FakeRegistry() as scoped, FakeRegistry() as cdn:
            scoped.add_packument("@acme/widget", versions=["1.0.0"])
            cdn_url = cdn.add_tarball("/widget.tgz", b"w")
            settings = settings_for(
                fake_registry,
                scoped_registries={"@acme": scoped.url},
                credentials={
                    host_key(scoped) + ":_authToken": "scoped-token",
                    host_key(fake_registry) + ":_authToken": "default-token",
                },
            )
            logs: list[tuple[str, str, str]] = []
            async with RegistryClient(settings, log=lambda *a: logs.append(a)) as client:
                await fetch_packument(client, "@acme/widget")
                await client.get_bytes(cdn_url, registry=client.registry_for("@acme/widget"))
                with pytest.raises(HttpError):
                    await client.get_bytes(
                        cdn.url + "missing.tgz", registry=client.registry_for("@acme/widget")
                    )
            assert scoped.requests[0].raw_path == "/@acme%2fwidget"
            assert scoped.requests[0].headers["authorization"] == "Bearer scoped-token"
            assert all("authorization" not in r.headers for r in cdn.requests)
            assert fake_registry.requests == []
            warnings = [m for level, _, m in logs if level == "warn"]
            assert warnings and "No auth for URI, but auth present for scoped registry" in warnings[0]
            assert "scoped-token" not in warnings[0]

    asyncio.run(main())


def test_auth_required_fails_before_sending(fake_registry: FakeRegistry) -> None:
    with pytest.raises(SnpmError) as info:
        with_client(
            settings_for(fake_registry), lambda c: c.put("/demo", {"name": "demo"}, auth_required=True)
        )
    assert info.value.code == "ENEEDAUTH"
    assert info.value.message == f"This command requires you to be logged in to {fake_registry.url}"
    assert fake_registry.requests == []


# ── error mapping ──


def error_of(registry: FakeRegistry, canned: Canned, method: str = "GET", **kw: Any) -> HttpError:
    registry.script(method, "/thing", canned)
    with pytest.raises(HttpError) as info:
        with_client(settings_for(registry, fetch_retries=0), lambda c: c.request(method, "/thing", **kw))
    return info.value


def test_404_403_401_messages(fake_registry: FakeRegistry) -> None:
    url = fake_registry.url + "thing"
    e404 = error_of(fake_registry, Canned(404, json={"error": "Not found"}))
    assert (e404.code, e404.message, e404.pkgid) == (
        "E404",
        f"404 Not Found - GET {url} - Not found",
        "thing",
    )
    assert e404.body == {"error": "Not found"} and e404.headers["content-type"] == [
        "application/json; charset=utf-8"
    ]
    e403 = error_of(fake_registry, Canned(403, json={"error": "You may not"}), "PUT", json={"a": 1})
    assert e403.message == f"403 Forbidden - PUT {url} - You may not"
    e401 = error_of(fake_registry, Canned(401, json={"error": "bad"}, headers={"www-authenticate": "Bearer"}))
    assert (e401.code, e401.message) == ("E401", "Unable to authenticate, need: Bearer")
    eotp = error_of(fake_registry, Canned(401, json={"error": "otp"}, headers={"www-authenticate": "OTP"}))
    assert (eotp.code, eotp.message) == ("EOTP", "OTP required for authentication")
    heuristic = error_of(fake_registry, Canned(401, json={"error": "You must provide a one-time pass."}))
    assert heuristic.code == "EOTP"
    named = error_of(fake_registry, Canned(404, json={"error": "gone"}), pkgid="demo@1.0.0")
    assert named.pkgid == "demo@1.0.0"


# ── OTP ──


def otp_challenge() -> Canned:
    return Canned(
        401, json={"error": "You must provide a one-time pass."}, headers={"www-authenticate": "OTP"}
    )


def test_otp_prompt_then_retry_with_npm_otp(fake_registry: FakeRegistry) -> None:
    fake_registry.script("PUT", "/demo", otp_challenge(), Canned(201, json={"ok": True}))
    asked: list[HttpError] = []

    async def prompt(error: HttpError) -> str | None:
        asked.append(error)
        return "654321"

    settings = settings_for(fake_registry, credentials={host_key(fake_registry) + ":_authToken": "t"})
    response = with_client(
        settings, lambda c: c.put("/demo", {"name": "demo"}), otp_prompt=prompt, interactive=True
    )
    assert response.json() == {"ok": True}
    assert [e.code for e in asked] == ["EOTP"]
    first, second = fake_registry.requests_to("/demo", "PUT")
    assert "npm-otp" not in first.headers and second.headers["npm-otp"] == "654321"
    assert second.body == first.body == b'{"name":"demo"}'


def test_otp_without_a_terminal_raises_eotp(fake_registry: FakeRegistry) -> None:
    fake_registry.script("PUT", "/demo", otp_challenge())
    called: list[HttpError] = []

    async def prompt(error: HttpError) -> str | None:
        called.append(error)
        return "1"

    with pytest.raises(HttpError) as info:
        with_client(
            settings_for(fake_registry), lambda c: c.put("/demo", {}), otp_prompt=prompt, interactive=False
        )
    assert info.value.code == "EOTP" and called == []


def test_otp_retried_only_once(fake_registry: FakeRegistry) -> None:
    fake_registry.script("PUT", "/demo", otp_challenge(), otp_challenge(), Canned(200))

    async def prompt(error: HttpError) -> str | None:
        return "000000"

    with pytest.raises(HttpError) as info:
        with_client(
            settings_for(fake_registry), lambda c: c.put("/demo", {}), otp_prompt=prompt, interactive=True
        )
    assert info.value.code == "EOTP"
    assert len(fake_registry.requests_to("/demo", "PUT")) == 2


# ── retries and timeouts ──


def test_retries_500_then_success(fake_registry: FakeRegistry) -> None:
    fake_registry.script("GET", "/flaky", Canned(500), Canned(503), Canned(json={"ok": 1}))
    logs: list[tuple[str, str, str]] = []
    response = with_client(
        settings_for(fake_registry, fetch_retries=2),
        lambda c: c.request("GET", "/flaky"),
        log=lambda *a: logs.append(a),
    )
    assert response.json() == {"ok": 1} and response.attempts == 3
    assert len(fake_registry.requests_to("/flaky")) == 3
    url = fake_registry.url + "flaky"
    assert ("http", "fetch", f"GET {url} attempt 1 failed with 500") in logs
    assert any(m.startswith(f"GET 200 {url}") and "attempt #3" in m for _, _, m in logs)


def test_retries_run_out(fake_registry: FakeRegistry) -> None:
    fake_registry.script("GET", "/down", *[Canned(502)] * 3)
    with pytest.raises(HttpError) as info:
        with_client(settings_for(fake_registry, fetch_retries=2), lambda c: c.get_json("/down"))
    assert info.value.code == "E502" and len(fake_registry.requests_to("/down")) == 3


@pytest.mark.parametrize("status", [408, 420, 429])
def test_retried_client_statuses(fake_registry: FakeRegistry, status: int) -> None:
    fake_registry.script("GET", "/busy", Canned(status), Canned(json=[]))
    assert with_client(settings_for(fake_registry, fetch_retries=1), lambda c: c.get_json("/busy")) == []


def test_no_retry_on_404_or_post(fake_registry: FakeRegistry) -> None:
    fake_registry.script("GET", "/missing", Canned(404), Canned(200))
    with pytest.raises(HttpError):
        with_client(settings_for(fake_registry, fetch_retries=2), lambda c: c.get_json("/missing"))
    assert len(fake_registry.requests_to("/missing")) == 1
    fake_registry.script("POST", "/audit", Canned(500), Canned(200))
    with pytest.raises(HttpError) as info:
        with_client(settings_for(fake_registry, fetch_retries=2), lambda c: c.post("/audit", {}))
    assert info.value.code == "E500" and len(fake_registry.requests_to("/audit")) == 1


def test_dropped_connection_is_retried(fake_registry: FakeRegistry) -> None:
    fake_registry.script("GET", "/drop", Canned(close=True), Canned(json={"ok": True}))
    assert with_client(settings_for(fake_registry, fetch_retries=1), lambda c: c.get_json("/drop")) == {
        "ok": True
    }


def test_timeout_is_npm_network_timeout(fake_registry: FakeRegistry) -> None:
    # twice: a request this late is sent once more (snpm.registry_client.http1), and times out too
    fake_registry.script("GET", "/slow", Canned(delay=3, json={}), Canned(delay=3, json={}))
    settings = settings_for(fake_registry, fetch_timeout=300, fetch_retries=0)
    with pytest.raises(NetworkError) as info:
        with_client(settings, lambda c: c.get_json("/slow"))
    # npm 11 reports minipass-fetch's timer: code FETCH_ERROR, type request-timeout
    assert info.value.code == "FETCH_ERROR"
    assert info.value.message == f"network timeout at: {fake_registry.url}slow"
    assert info.value.extra["type"] == "request-timeout"


def test_connection_refused() -> None:
    port = free_port()
    settings = settings_for(f"http://127.0.0.1:{port}/", fetch_retries=0)
    with pytest.raises(NetworkError) as info:
        with_client(settings, lambda c: c.get_json("/x"))
    assert info.value.code == "ECONNREFUSED" and info.value.syscall == "connect"
    assert info.value.message == (
        f"request to http://127.0.0.1:{port}/x failed, reason: connect ECONNREFUSED 127.0.0.1:{port}"
    )


def test_network_errors_are_retried() -> None:
    port = free_port()
    logs: list[tuple[str, str, str]] = []
    with pytest.raises(NetworkError):
        with_client(
            settings_for(f"http://127.0.0.1:{port}/", fetch_retries=2),
            lambda c: c.get_json("/x"),
            log=lambda *a: logs.append(a),
        )
    assert sum("failed with ECONNREFUSED" in m for _, _, m in logs) == 2


# ── bodies ──


def test_put_json_and_gzip_post(fake_registry: FakeRegistry) -> None:
    fake_registry.script("PUT", "/demo", Canned(201, json={"ok": True}))
    fake_registry.script("POST", "/-/npm/v1/security/advisories/bulk", Canned(json={}))

    async def body(c: RegistryClient) -> None:
        await c.put("/demo", {"name": "demo", "versions": {}})
        await c.post("/-/npm/v1/security/advisories/bulk", {"demo": ["1.0.0"]}, gzip=True)

    with_client(settings_for(fake_registry), body)
    put, post = fake_registry.requests
    assert put.headers["content-type"] == "application/json" and put.body == b'{"name":"demo","versions":{}}'
    assert post.headers["content-encoding"] == "gzip"
    # aiohttp's server inflates gzip request bodies, so this also proves the body was valid gzip
    assert post.body == b'{"demo":["1.0.0"]}'
    assert int(post.headers["content-length"]) == len(gzip.compress(post.body, mtime=0))


def test_query_parameters(fake_registry: FakeRegistry) -> None:
    fake_registry.script("GET", "/-/v1/search", Canned(json={"objects": []}))
    with_client(
        settings_for(fake_registry),
        lambda c: c.get_json("/-/v1/search", query={"text": "a b", "size": "20", "from": None}),
    )
    assert fake_registry.requests[0].query == "text=a+b&size=20"


def test_tarball_integrity_checked_while_downloading(fake_registry: FakeRegistry) -> None:
    url = fake_registry.add_tarball("/demo/-/demo-1.0.0.tgz", b"the tarball")
    good = sri(b"the tarball")
    response = with_client(settings_for(fake_registry), lambda c: c.get_bytes(url, integrity=good))
    assert response.body == b"the tarball" and response.integrity == good
    with pytest.raises(IntegrityError) as info:
        with_client(settings_for(fake_registry), lambda c: c.get_bytes(url, integrity=sri(b"other")))
    assert info.value.code == "EINTEGRITY"
    assert "integrity checksum failed when using sha512" in info.value.message
    # without an expected value the integrity is still reported (pacote records it)
    plain = with_client(settings_for(fake_registry), lambda c: c.get_bytes(url))
    assert plain.integrity == good


# ── redirects ──


def test_redirect_to_another_host_drops_authorization(fake_registry: FakeRegistry) -> None:
    async def main() -> None:
        async with FakeRegistry() as other:
            other.add_tarball("/t.tgz", b"t")
            # npm drops credentials when the host *name* changes (not for another port or scheme)
            elsewhere = other.url.replace("127.0.0.1", "localhost") + "t.tgz"
            fake_registry.script("GET", "/moved", Canned(302, headers={"location": elsewhere}))
            fake_registry.script("GET", "/here", Canned(301, headers={"location": "/there"}))
            fake_registry.script("GET", "/there", Canned(json={"ok": True}))
            creds = {host_key(fake_registry) + ":_authToken": "tok"}
            async with RegistryClient(settings_for(fake_registry, credentials=creds)) as client:
                assert (await client.get_bytes("/moved")).body == b"t"
                assert await client.get_json("/here") == {"ok": True}
            assert "authorization" not in other.requests[0].headers
            assert fake_registry.requests_to("/there")[0].headers["authorization"] == "Bearer tok"

    asyncio.run(main())


# ── secrets ──


def test_tokens_never_reach_messages_or_logs(fake_registry: FakeRegistry) -> None:
    fake_registry.script(
        "GET", "/private", Canned(401, json={"error": "nope"}, headers={"www-authenticate": "Bearer"})
    )
    fake_registry.script("GET", "/gone", Canned(404, json={"error": "Not found"}))
    creds = {host_key(fake_registry) + ":_authToken": TOKEN}
    logs: list[tuple[str, str, str]] = []
    errors: list[SnpmError] = []

    async def body(c: RegistryClient) -> None:
        for target in ("/private", fake_registry.url.replace("://", f"://alice:{TOKEN}@") + "gone"):
            try:
                await c.get_json(target)
            except SnpmError as err:
                errors.append(err)
        port = free_port()
        try:
            await c.get_json(f"http://bob:{TOKEN}@127.0.0.1:{port}/x")
        except SnpmError as err:
            errors.append(err)

    with_client(
        settings_for(fake_registry, credentials=creds, fetch_retries=0), body, log=lambda *a: logs.append(a)
    )
    assert len(errors) == 3
    for err in errors:
        text = " ".join(str(v) for v in (err.message, err, getattr(err, "url", ""), err.body, err.extra))
        assert TOKEN not in text
    assert "alice:***@" in errors[1].message
    assert errors[2].code == "ECONNREFUSED" and "bob:***@" in errors[2].message
    assert logs and all(TOKEN not in message for _, _, message in logs)
    assert all("Bearer" not in message for _, _, message in logs)
    assert fake_registry.requests[0].headers["authorization"] == f"Bearer {TOKEN}"


def test_npm_notice_is_logged(fake_registry: FakeRegistry) -> None:
    async def handler(request: web.Request, body: bytes) -> web.StreamResponse:
        return web.json_response({}, headers={"npm-notice": "Read the docs"})

    fake_registry.on("GET", "/-/ping", handler)
    logs: list[tuple[str, str, str]] = []
    with_client(settings_for(fake_registry), lambda c: c.get_json("/-/ping"), log=lambda *a: logs.append(a))
    assert ("notice", "", "Read the docs") in logs
