"""Two-factor challenges, web login, profile, search, audit, stars and signing keys over HTTP: the
headers and bodies npm 11 depends on."""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pyotp

from support.registry import InProcessRegistry, in_process_registry, publish_body

Scenario = Callable[[InProcessRegistry], Awaitable[None]]
PASSWORD = "password-123"


def _run(tmp_path: Path, scenario: Scenario, **settings: Any) -> None:
    async def main() -> None:
        async with in_process_registry(tmp_path, **settings) as registry:
            await scenario(registry)

    asyncio.run(main())


async def _json(response: Any) -> Any:
    return json.loads(await response.read())


async def _enable_2fa(r: InProcessRegistry, user: str, mode: str) -> pyotp.TOTP:
    c = r.client
    started = await c.post(
        "/-/npm/v1/user", json={"tfa": {"mode": mode, "password": PASSWORD}}, headers=r.auth(user)
    )
    assert started.status == 200
    url = (await _json(started))["tfa"]
    totp = pyotp.TOTP(parse_qs(urlsplit(url).query)["secret"][0])
    confirmed = await c.post("/-/npm/v1/user", json={"tfa": [totp.now()]}, headers=r.auth(user))
    assert confirmed.status == 200 and len((await _json(confirmed))["tfa"]) == 5
    return totp


async def _otp_challenge(response: Any) -> None:
    assert response.status == 401, await response.text()
    assert response.headers["WWW-Authenticate"] == "OTP"
    assert "one-time pass" in (await _json(response))["error"]


def test_auth_and_writes_challenges(tmp_path: Path) -> None:
    async def scenario(r: InProcessRegistry) -> None:
        await r.add_user("alice")
        await r.add_user("bob")
        c = r.client
        assert (await r.publish("alice", publish_body("demo", "1.0.0"))).status == 201
        totp = await _enable_2fa(r, "alice", "auth-and-writes")
        profile = await _json(await c.get("/-/npm/v1/user", headers=r.auth("alice")))
        assert profile["tfa"] == {"mode": "auth-and-writes", "pending": False}
        # reads need nothing
        assert (await c.get("/demo", headers=r.auth("alice"))).status == 200
        assert (await c.get("/-/whoami", headers=r.auth("alice"))).status == 200
        # a publish needs the code; a wrong one is challenged again
        await _otp_challenge(await r.publish("alice", publish_body("demo", "1.1.0")))
        body = publish_body("demo", "1.1.0")
        wrong = await c.put("/demo", json=body, headers={**r.auth("alice"), "npm-otp": "000000"})
        await _otp_challenge(wrong)
        ok = await c.put("/demo", json=body, headers={**r.auth("alice"), "npm-otp": totp.now()})
        assert ok.status == 201
        # deprecate (a document PUT) and `latest` need it; stars and other dist-tags do not
        document = await _json(await c.get("/demo?write=true", headers=r.auth("alice")))
        document["versions"]["1.0.0"]["deprecated"] = "old"
        await _otp_challenge(await c.put("/demo", json=document, headers=r.auth("alice")))
        star = {"_id": "demo", "_rev": document["_rev"], "users": {"alice": True}}
        assert (await c.put("/demo", json=star, headers=r.auth("alice"))).status == 200
        assert (
            await c.put("/-/package/demo/dist-tags/beta", json="1.0.0", headers=r.auth("alice"))
        ).status == 201
        await _otp_challenge(
            await c.put("/-/package/demo/dist-tags/latest", json="1.0.0", headers=r.auth("alice"))
        )
        await _otp_challenge(await c.delete("/demo/-rev/" + document["_rev"], headers=r.auth("alice")))
        # token creation and logins need it
        created = await c.post("/-/npm/v1/tokens", json={"password": PASSWORD}, headers=r.auth("alice"))
        await _otp_challenge(created)
        created = await c.post(
            "/-/npm/v1/tokens",
            json={"password": PASSWORD, "bypass_2fa": True},
            headers={**r.auth("alice"), "npm-otp": totp.now()},
        )
        assert created.status == 201
        automation = (await _json(created))["token"]
        login = await c.put("/-/user/org.couchdb.user:alice", json={"name": "alice", "password": PASSWORD})
        await _otp_challenge(login)
        login = await c.put(
            "/-/user/org.couchdb.user:alice",
            json={"name": "alice", "password": PASSWORD},
            headers={"npm-otp": totp.now()},
        )
        assert login.status == 201
        # a --bypass-2fa token publishes without a code
        bypass = await c.put(
            "/demo", json=publish_body("demo", "1.2.0"), headers={"Authorization": f"Bearer {automation}"}
        )
        assert bypass.status == 201
        # Basic credentials of a 2FA account need the code on every request
        basic = {"Authorization": "Basic " + base64.b64encode(f"alice:{PASSWORD}".encode()).decode()}
        await _otp_challenge(await c.get("/-/whoami", headers=basic))
        assert (await c.get("/-/whoami", headers={**basic, "npm-otp": totp.now()})).status == 200
        # other users are untouched
        assert (await r.publish("bob", publish_body("bobs", "1.0.0"))).status == 201

    _run(tmp_path, scenario)


def test_basic_credentials_spend_a_recovery_code_once_per_request(tmp_path: Path) -> None:
    async def scenario(r: InProcessRegistry) -> None:
        await r.add_user("alice")
        c = r.client
        started = await c.post(
            "/-/npm/v1/user",
            json={"tfa": {"mode": "auth-and-writes", "password": PASSWORD}},
            headers=r.auth("alice"),
        )
        totp = pyotp.TOTP(parse_qs(urlsplit((await _json(started))["tfa"]).query)["secret"][0])
        codes = (
            await _json(await c.post("/-/npm/v1/user", json={"tfa": [totp.now()]}, headers=r.auth("alice")))
        )["tfa"]
        basic = {"Authorization": "Basic " + base64.b64encode(f"alice:{PASSWORD}".encode()).decode()}
        # the dispatcher accepts the code for the Basic login; the publish does not ask (spend) again
        published = await c.put(
            "/demo", json=publish_body("demo", "1.0.0"), headers={**basic, "npm-otp": codes[0]}
        )
        assert published.status == 201, await published.text()
        again = await c.put(
            "/demo", json=publish_body("demo", "1.1.0"), headers={**basic, "npm-otp": codes[0]}
        )
        await _otp_challenge(again)
        profile = await c.post(
            "/-/npm/v1/user", json={"fullname": "A"}, headers={**basic, "npm-otp": codes[1]}
        )
        assert profile.status == 200 and (await _json(profile))["fullname"] == "A"

    _run(tmp_path, scenario)


def test_a_package_policy_asks_for_a_code(tmp_path: Path) -> None:
    async def scenario(r: InProcessRegistry) -> None:
        await r.add_user("alice")
        c = r.client
        assert (await r.publish("alice", publish_body("demo", "1.0.0"))).status == 201
        totp = await _enable_2fa(r, "alice", "auth-only")  # writes alone would not ask
        automation = {"publish_requires_tfa": True, "automation_token_overrides_tfa": True}
        assert (
            await c.post("/-/package/demo/access", json=automation, headers=r.auth("alice"))
        ).status == 200
        await _otp_challenge(await r.publish("alice", publish_body("demo", "1.1.0")))
        await _otp_challenge(
            await c.put("/-/package/demo/dist-tags/beta", json="1.0.0", headers=r.auth("alice"))
        )
        body = publish_body("demo", "1.1.0")
        ok = await c.put("/demo", json=body, headers={**r.auth("alice"), "npm-otp": totp.now()})
        assert ok.status == 201
        # stars stay exempt; an automation (--bypass-2fa) token is let through by `automation`
        document = await _json(await c.get("/demo?write=true", headers=r.auth("alice")))
        star = {"_id": "demo", "_rev": document["_rev"], "users": {"alice": True}}
        assert (await c.put("/demo", json=star, headers=r.auth("alice"))).status == 200
        created = await c.post(
            "/-/npm/v1/tokens",
            json={"password": PASSWORD, "bypass_2fa": True},
            headers={**r.auth("alice"), "npm-otp": totp.now()},
        )
        bypass = {"Authorization": f"Bearer {(await _json(created))['token']}"}
        assert (await c.put("/demo", json=publish_body("demo", "1.2.0"), headers=bypass)).status == 201
        publish_only = {"publish_requires_tfa": True, "automation_token_overrides_tfa": False}
        assert (
            await c.post("/-/package/demo/access", json=publish_only, headers=r.auth("alice"))
        ).status == 200
        await _otp_challenge(await c.put("/demo", json=publish_body("demo", "1.3.0"), headers=bypass))

    _run(tmp_path, scenario)


def test_auth_only_mode_and_profile_changes(tmp_path: Path) -> None:
    async def scenario(r: InProcessRegistry) -> None:
        await r.add_user("alice")
        c = r.client
        totp = await _enable_2fa(r, "alice", "auth-only")
        assert (await r.publish("alice", publish_body("demo", "1.0.0"))).status == 201
        changed = await c.post(
            "/-/npm/v1/user",
            json={"fullname": "Alice", "email": "alice@example.test"},
            headers=r.auth("alice"),
        )
        assert changed.status == 200 and (await _json(changed))["fullname"] == "Alice"
        password = {"password": {"old": PASSWORD, "new": "another-password"}}
        await _otp_challenge(await c.post("/-/npm/v1/user", json=password, headers=r.auth("alice")))
        ok = await c.post("/-/npm/v1/user", json=password, headers={**r.auth("alice"), "npm-otp": totp.now()})
        assert ok.status == 200
        disable = {"tfa": {"mode": "disable", "password": "another-password"}}
        await _otp_challenge(await c.post("/-/npm/v1/user", json=disable, headers=r.auth("alice")))
        done = await c.post(
            "/-/npm/v1/user", json=disable, headers={**r.auth("alice"), "npm-otp": totp.now()}
        )
        assert done.status == 200 and (await _json(done))["tfa"] is None
        assert (await c.get("/-/npm/v1/user")).status == 401

    _run(tmp_path, scenario)


def test_web_login_over_http(tmp_path: Path) -> None:
    async def scenario(r: InProcessRegistry) -> None:
        await r.add_user("alice")
        c = r.client
        started = await c.post("/-/v1/login", json={})
        urls = await _json(started)
        assert urls["loginUrl"].startswith(r.url + "-/v1/login/") and urls["doneUrl"].startswith(
            r.url + "-/v1/done/"
        )
        login_path, done_path = urlsplit(urls["loginUrl"]).path, urlsplit(urls["doneUrl"]).path
        pending = await c.get(done_path)
        assert pending.status == 202 and pending.headers["Retry-After"] == "1"
        page = await c.get(login_path)
        assert page.status == 200 and page.headers["Content-Type"].startswith("text/html")
        for header in ("Content-Security-Policy", "X-Frame-Options", "Referrer-Policy"):
            assert header in page.headers
        assert page.headers["Cache-Control"] == "no-store"
        html = await page.text()
        assert "name=username" in html and "name=password" in html and "name=email" not in html
        wrong = await c.post(login_path, data={"username": "alice", "password": "nope-nope"})
        assert wrong.status == 401 and "Incorrect username or password" in await wrong.text()
        assert (await c.get(done_path)).status == 202  # the session is still open
        done = await c.post(login_path, data={"username": "alice", "password": PASSWORD})
        assert done.status == 200 and "Logged in as alice" in await done.text()
        token = (await _json(await c.get(done_path)))["token"]
        assert await _json(await c.get("/-/whoami", headers={"Authorization": f"Bearer {token}"})) == {
            "username": "alice"
        }
        assert (await c.get(done_path)).status == 404
        assert (await c.get(login_path)).status == 404
        # adduser sessions show an e-mail field and sign up
        signup = await _json(await c.post("/-/v1/login", json={"create": True}))
        signup_path = urlsplit(signup["loginUrl"]).path
        assert "name=email" in await (await c.get(signup_path)).text()
        created = await c.post(
            signup_path, data={"username": "zed", "password": PASSWORD, "email": "zed@example.test"}
        )
        assert created.status == 200
        assert "token" in await _json(await c.get(urlsplit(signup["doneUrl"]).path))
        # an unknown session
        assert (await c.get("/-/v1/done/nothing")).status == 404
        assert (await c.get("/-/v1/login/nothing")).status == 404

    _run(tmp_path, scenario)


def test_web_login_can_be_switched_off(tmp_path: Path) -> None:
    async def scenario(r: InProcessRegistry) -> None:
        # npm falls back to its terminal prompts on a 404 here
        assert (await r.client.post("/-/v1/login", json={})).status == 404

    _run(tmp_path, scenario, web_login=False)


def test_search_audit_stars_and_keys(tmp_path: Path) -> None:
    async def scenario(r: InProcessRegistry) -> None:
        await r.add_user("alice")
        await r.add_user("bob")
        c = r.client
        await r.publish("alice", publish_body("left-pad", "1.0.0", manifest={"keywords": ["pad"]}))
        secret = publish_body("@alice/pad", "1.0.0", manifest={"keywords": ["pad"]})
        secret["access"] = "restricted"
        await r.publish("alice", secret)
        found = await c.get(
            "/-/v1/search?text=pad&size=20&from=0&quality=0.65&popularity=0.98&maintenance=0.5"
        )
        assert found.headers["Vary"] == "Authorization"
        body = await _json(found)
        assert [o["package"]["name"] for o in body["objects"]] == ["left-pad"] and body["total"] == 1
        mine = await _json(await c.get("/-/v1/search?text=pad", headers=r.auth("alice")))
        assert {o["package"]["name"] for o in mine["objects"]} == {"left-pad", "@alice/pad"}
        assert (await c.get("/-/v1/search?text=pad&size=-1")).status == 400

        # stars: a document PUT, then the couch view npm reads
        document = await _json(await c.get("/left-pad?write=true", headers=r.auth("bob")))
        starred = await c.put(
            "/left-pad",
            json={"_id": "left-pad", "_rev": document["_rev"], "users": {"bob": True}},
            headers=r.auth("bob"),
        )
        assert starred.status == 200
        rows = await _json(await c.get("/-/_view/starredByUser?key=%22bob%22"))
        assert rows == {"rows": [{"key": "bob", "value": "left-pad"}]}
        assert (await _json(await c.get("/left-pad")))["users"] == {"bob": True}
        assert (await c.get("/-/_view/starredByUser")).status == 400

        # audit: a gzipped body (Content-Encoding), or gzip bytes without the header
        await r.registry.advisories.add("left-pad", "<2.0.0", severity="high", title="Bad")
        payload = json.dumps({"left-pad": ["1.0.0"], "other": ["1.0.0"]}).encode()
        audited = await c.post(
            "/-/npm/v1/security/advisories/bulk",
            data=gzip.compress(payload),
            headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
        )
        answer = await _json(audited)
        assert (
            audited.status == 200 and list(answer) == ["left-pad"] and answer["left-pad"][0]["title"] == "Bad"
        )
        raw = await c.post(
            "/-/npm/v1/security/advisories/bulk",
            data=gzip.compress(payload),
            headers={"Content-Type": "application/json"},
        )
        assert list(await _json(raw)) == ["left-pad"]
        assert await _json(await c.post("/-/npm/v1/security/advisories/bulk", json={})) == {}
        assert (await c.post("/-/npm/v1/security/advisories/bulk", data=b"not json")).status == 400
        assert (await c.post("/-/npm/v1/security/advisories/bulk", json=["x"])).status == 400
        assert (await c.post("/-/npm/v1/security/audits/quick", json={})).status in (404, 405)

        assert await _json(await c.get("/-/npm/v1/keys")) == {"keys": []}

    _run(tmp_path, scenario)
