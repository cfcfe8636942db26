"""npm 11's web OTP against an in-process registry: which challenges carry `authUrl`/`doneUrl`, the
confirmation page (a signed-in person and a code of their own account), npm's poll, and the token
npm then sends as its `npm-otp` (good for that account, for a few minutes, once collected)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pyotp

from registry_server.web.browser import PASSWORD, Browser, Website, active_content, website
from snpm.registry_server.api.access_log import redacted_path
from snpm.registry_server.services.two_factor import WEB_OTP_PREFIX
from support.registry import publish_body

WEB = {"npm-auth-type": "web"}


async def _json(response: Any) -> Any:
    return json.loads(await response.read())


async def _enable_2fa(site: Website, user: str) -> pyotp.TOTP:
    r = site.registry
    started = await r.client.post(
        "/-/npm/v1/user",
        json={"tfa": {"mode": "auth-and-writes", "password": PASSWORD}},
        headers=r.auth(user),
    )
    assert started.status == 200, await started.text()
    totp = pyotp.TOTP(parse_qs(urlsplit((await _json(started))["tfa"]).query)["secret"][0])
    confirmed = await r.client.post("/-/npm/v1/user", json={"tfa": [totp.now()]}, headers=r.auth(user))
    assert confirmed.status == 200
    return totp


async def _web_login_token(site: Website, user: str, totp: pyotp.TOTP) -> str:
    """`npm login` in the browser: the token npm collects is named `web login`."""
    c = site.registry.client
    urls = await _json(await c.post("/-/v1/login", json={}))
    page = site.browser()
    done = await page.post(
        urlsplit(urls["loginUrl"]).path,
        {"username": user, "password": PASSWORD, "otp": totp.now()},
        headers={"Sec-Fetch-Site": "same-origin"},
    )
    assert done.status == 200, done.text
    token: str = (await _json(await c.get(urlsplit(urls["doneUrl"]).path)))["token"]
    return token


def _bearer(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **extra}


async def _publish(site: Website, token: str, version: str, **headers: str) -> Any:
    body = publish_body("otp-demo", version)
    return await site.registry.client.put("/otp-demo", json=body, headers=_bearer(token, **headers))


async def _signed_in(site: Website, user: str, totp: pyotp.TOTP) -> Browser:
    browser = site.browser()
    assert (await browser.sign_in(user, otp=totp.now())).status == 303
    return browser


def test_challenges_carry_urls_only_for_web_login_tokens_of_web_clients(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with website(tmp_path) as site:
            couch_token = await site.registry.add_user("alice", PASSWORD)
            totp = await _enable_2fa(site, "alice")
            web_token = await _web_login_token(site, "alice", totp)

            challenged = await _publish(site, web_token, "1.0.0", **WEB)
            assert challenged.status == 401
            assert challenged.headers["WWW-Authenticate"] == "OTP"
            body = await _json(challenged)
            assert "one-time pass" in body["error"]
            base = site.registry.url.rstrip("/")
            assert body["authUrl"].startswith(f"{base}/-/v1/otp/otp.")
            assert body["doneUrl"].startswith(f"{base}/-/v1/done/otp.")
            # a fresh pair for every challenge
            again = await _json(await _publish(site, web_token, "1.0.0", **WEB))
            assert again["authUrl"] != body["authUrl"] and again["doneUrl"] != body["doneUrl"]

            # the classic challenge: `--otp`/--auth-type=legacy, no auth type, or a couch-login token
            for token, headers in (
                (web_token, {"npm-auth-type": "legacy"}),
                (web_token, {}),
                (couch_token, WEB),
            ):
                classic = await _publish(site, token, "1.0.0", **headers)
                assert classic.status == 401 and classic.headers["WWW-Authenticate"] == "OTP"
                assert set(await _json(classic)) == {"error"}
            # with a code the publish goes through as before
            assert (await _publish(site, web_token, "1.0.0", **WEB, **{"npm-otp": totp.now()})).status == 201

    asyncio.run(scenario())


def test_no_web_challenge_when_web_login_is_off(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with website(tmp_path, web_login=False) as site:
            await site.registry.add_user("alice", PASSWORD)
            totp = await _enable_2fa(site, "alice")
            # a token as a web login issues them (web login itself is off here)
            issued = await site.registry.registry.accounts.tokens.issue("alice", name="web login")
            challenged = await _publish(site, issued.token, "1.0.0", **WEB)
            assert challenged.status == 401 and set(await _json(challenged)) == {"error"}
            alice = await _signed_in(site, "alice", totp)
            page = await alice.get("/-/v1/otp/otp.anything")
            assert page.status == 404

    asyncio.run(scenario())


def test_confirming_in_the_browser(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with website(tmp_path) as site:
            await site.registry.add_user("alice", PASSWORD)
            await site.registry.add_user("bob", PASSWORD)
            totp = await _enable_2fa(site, "alice")
            bob_totp = await _enable_2fa(site, "bob")
            web_token = await _web_login_token(site, "alice", totp)
            c = site.registry.client
            urls = await _json(await _publish(site, web_token, "1.0.0", **WEB))
            auth_path, done_path = urlsplit(urls["authUrl"]).path, urlsplit(urls["doneUrl"]).path
            assert redacted_path(auth_path) == "/-/v1/otp/***"
            assert redacted_path(done_path) == "/-/v1/done/***"

            # npm polls: pending
            pending = await c.get(done_path)
            assert pending.status == 202 and pending.headers["Retry-After"] == "1"

            # not signed in: the sign-in page, then back here
            stranger = site.browser()
            sent_away = await stranger.get(auth_path)
            assert sent_away.status == 303 and sent_away.location.startswith("/-/web/login?next=")

            alice = await _signed_in(site, "alice", totp)
            page = await alice.get(auth_path)
            assert page.status == 200 and "Confirm with a one-time password" in page.text
            assert "<strong>alice</strong>" in page.text
            assert page.headers["Referrer-Policy"] == "no-referrer"
            assert page.headers["Cache-Control"] == "no-store"
            assert active_content(page.text) == []
            # the form token is required, then a code of alice's own account
            forged = await alice.post(auth_path, {"otp": totp.now()})
            assert forged.status == 403
            missing = await alice.submit(auth_path, auth_path, {"otp": ""})
            assert missing.status == 401 and "one-time password" in missing.text
            wrong = await alice.submit(auth_path, auth_path, {"otp": "000000"})
            assert wrong.status == 401
            assert (await c.get(done_path)).status == 202
            confirmed = await alice.submit(auth_path, auth_path, {"otp": totp.now()})
            assert confirmed.status == 200 and "Confirmed" in confirmed.text
            assert (await alice.get(auth_path)).status == 404  # used

            # npm collects the token once, and sends the command again with it
            collected = await c.get(done_path)
            assert collected.status == 200 and collected.headers["Cache-Control"] == "no-store"
            otp_token = (await _json(collected))["token"]
            assert otp_token.startswith(WEB_OTP_PREFIX)
            assert (await c.get(done_path)).status == 404
            published = await _publish(site, web_token, "1.0.0", **WEB, **{"npm-otp": otp_token})
            assert published.status == 201, await published.text()
            # the same token for the next request of the same command (npm sends it with each)
            tag = await c.put(
                "/-/package/otp-demo/dist-tags/next",
                data=json.dumps("1.0.0"),
                headers=_bearer(
                    web_token, **WEB, **{"npm-otp": otp_token, "content-type": "application/json"}
                ),
            )
            assert tag.status in (200, 201), await tag.text()
            # the token is alice's: bob cannot use it, nor a token that was tampered with
            bob_token = site.registry.tokens["bob"]
            profile = {"fullname": "Bob"}
            bob = await c.post(
                "/-/npm/v1/user", json=profile, headers=_bearer(bob_token, **{"npm-otp": otp_token})
            )
            assert bob.status == 401
            own = await c.post(
                "/-/npm/v1/user", json=profile, headers=_bearer(bob_token, **{"npm-otp": bob_totp.now()})
            )
            assert own.status == 200
            forged = otp_token[:-1] + ("0" if otp_token[-1] != "0" else "1")
            assert (await _publish(site, web_token, "1.0.1", **{"npm-otp": forged})).status == 401

    asyncio.run(scenario())


def test_the_page_wants_the_account_of_the_code(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with website(tmp_path) as site:
            await site.registry.add_user("alice", PASSWORD)
            totp = await _enable_2fa(site, "alice")
            web_token = await _web_login_token(site, "alice", totp)
            urls = await _json(await _publish(site, web_token, "1.0.0", **WEB))
            auth_path, done_path = urlsplit(urls["authUrl"]).path, urlsplit(urls["doneUrl"]).path
            # carol has no 2FA: nothing to confirm with, and the session stays open
            carol = await site.person("carol")
            page = await carol.get(auth_path)
            assert (
                page.status == 200
                and "not on for this account" in page.text
                and "<form method=post" not in page.text
            )
            refused = await carol.submit("/-/web/account", auth_path, {"otp": "123456"})
            assert refused.status == 400
            assert (await site.registry.client.get(done_path)).status == 202
            # a login page never completes an OTP session, nor the OTP page a login session
            login = await _json(await site.registry.client.post("/-/v1/login", json={}))
            assert (
                await carol.get(urlsplit(login["loginUrl"]).path.replace("/login/", "/otp/"))
            ).status == 404
            assert (await site.browser().get(auth_path.replace("/otp/", "/login/"))).status == 404

    asyncio.run(scenario())
