"""A signed-in person's account pages: profile, password, access tokens (shown once), two-factor
authentication (QR code, confirmation, recovery codes shown once, sign-in with a code, turning it
off) and the one-time passwords the forms ask for."""

from __future__ import annotations

import asyncio
import hashlib
import re
from pathlib import Path

import pyotp

from registry_server.web.browser import PASSWORD, Browser, Website, active_content, tags_of, website
from snpm.registry_server.web.sessions import SESSION_COOKIE

_TOKEN = re.compile(r"npm_[A-Za-z0-9]{36}")


async def _whoami(site: Website, token: str) -> int:
    response = await site.registry.client.get("/-/whoami", headers={"Authorization": f"Bearer {token}"})
    return response.status


def test_profile_and_password(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with website(tmp_path) as site:
            alice = await site.person("alice")
            saved = await alice.submit(
                "/-/web/account",
                "/-/web/account/profile",
                {
                    "email": "alice@new.example",
                    "fullname": "Alice <b>A</b>",
                    "homepage": "https://alice.example",
                    "github": "alice",
                    "twitter": "",
                    "freenode": "",
                },
            )
            assert saved.status == 303 and saved.location == "/-/web/account?done=profile"
            page = await alice.get(saved.location)
            assert "Your profile was saved." in page.text
            assert (
                'value="Alice &lt;b&gt;A&lt;/b&gt;"' in page.text and 'value="alice@new.example"' in page.text
            )
            user = await site.registry.registry.accounts.get_user("alice")
            assert user and user.email == "alice@new.example" and user.homepage == "https://alice.example"
            # the public page shows the name and an http(s) homepage as a link; the e-mail stays private
            public = await site.browser().get("/-/web/user/alice")
            assert (
                "Alice &lt;b&gt;A&lt;/b&gt;" in public.text and 'href="https://alice.example"' in public.text
            )
            assert "alice@new.example" not in public.text
            refused = await alice.submit(
                "/-/web/account",
                "/-/web/account/profile",
                {"email": "alice@new.example", "homepage": "javascript:x"},
            )
            assert refused.status == 400 and "homepage must be an http(s) URL" in refused.text
            # the password: the current one is checked, the new one twice, nothing echoed
            new_password = "another-Password-9"
            wrong = await alice.submit(
                "/-/web/account",
                "/-/web/account/password",
                {"old": "not-the-password", "new": new_password, "confirm": new_password},
            )
            assert wrong.status == 401 and "current password is not right" in wrong.text
            assert new_password not in wrong.text and "not-the-password" not in wrong.text
            short = await alice.submit(
                "/-/web/account",
                "/-/web/account/password",
                {"old": PASSWORD, "new": "short", "confirm": "short"},
            )
            assert short.status == 400 and "at least 8 characters" in short.text
            changed = await alice.submit(
                "/-/web/account",
                "/-/web/account/password",
                {"old": PASSWORD, "new": new_password, "confirm": new_password},
            )
            assert changed.status == 303 and changed.location.endswith("done=password")
            for tag, attrs in tags_of((await alice.get("/-/web/account")).text):
                if tag == "input" and dict(attrs).get("type") == "password":
                    assert "value" not in dict(attrs)  # password fields never carry a value
            fresh = site.browser()
            assert (await fresh.sign_in("alice", PASSWORD)).status == 401
            assert (await fresh.sign_in("alice", new_password)).status == 303

    asyncio.run(scenario())


def test_tokens_are_shown_once(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with website(tmp_path) as site:
            alice = await site.person("alice")
            listed = await alice.get("/-/web/account/tokens")
            assert listed.status == 200 and "this browser" in listed.text  # the session itself
            assert listed.headers["Cache-Control"] == "no-store"
            # the password is needed, as for `npm token create`
            refused = await alice.submit(
                "/-/web/account/tokens",
                "/-/web/account/tokens",
                {"name": "ci", "kind": "read-only", "password": "wrong-password"},
            )
            assert refused.status == 401 and "password is not right" in refused.text
            assert not _TOKEN.search(refused.text)
            bad_cidr = await alice.submit(
                "/-/web/account/tokens",
                "/-/web/account/tokens",
                {"kind": "publish", "cidr": "10.0.0.0/8, not-a-network", "password": PASSWORD},
            )
            assert (
                bad_cidr.status == 400
                and "Invalid CIDR" in bad_cidr.text
                and 'value="10.0.0.0/8, not-a-network"' in bad_cidr.text
            )
            created = await alice.submit(
                "/-/web/account/tokens",
                "/-/web/account/tokens",
                {
                    "name": "deploy",
                    "kind": "read-only",
                    "cidr": "127.0.0.1/32 ::1/128",
                    "expires": "30",
                    "password": PASSWORD,
                },
            )
            assert created.status == 200 and "shown <strong>only this once</strong>" in created.text
            assert created.headers["Cache-Control"] == "no-store"
            tokens = set(_TOKEN.findall(created.text))
            assert len(tokens) == 1
            token = tokens.pop()
            assert PASSWORD not in created.text
            host = site.registry.url.removeprefix("http:")
            assert f"{host}:_authToken={token}" in created.text
            assert await _whoami(site, token) == 200
            # read-only: the API refuses writes with it
            record = await site.registry.registry.storage.token_by_hash(
                hashlib.sha512(token.encode()).hexdigest()
            )
            assert record and record.readonly and record.cidr_whitelist == ("127.0.0.1/32", "::1/128")
            assert record.name == "deploy" and record.expires
            # never again: not on the list, not on any page
            again = await alice.get("/-/web/account/tokens")
            assert token not in again.text and token[:8] in again.text and "deploy" in again.text
            automation = await alice.submit(
                "/-/web/account/tokens", "/-/web/account/tokens", {"kind": "automation", "password": PASSWORD}
            )
            auto_token = _TOKEN.search(automation.text)
            assert auto_token
            auto_record = await site.registry.registry.storage.token_by_hash(
                hashlib.sha512(auto_token.group(0).encode()).hexdigest()
            )
            assert auto_record and auto_record.bypass_2fa and not auto_record.readonly
            assert ">automation<" in (await alice.get("/-/web/account/tokens")).text
            # revoking
            revoked = await alice.submit(
                "/-/web/account/tokens", "/-/web/account/tokens/revoke", {"key": record.key}
            )
            assert revoked.status == 303 and revoked.location.endswith("done=token-revoked")
            assert await _whoami(site, token) == 401
            # someone else's key is not found
            bob = await site.person("bob")
            assert (
                await bob.submit(
                    "/-/web/account/tokens", "/-/web/account/tokens/revoke", {"key": auto_record.key}
                )
            ).status == 404
            assert await _whoami(site, auto_token.group(0)) == 200
            # revoking this browser's own session signs it out
            page = await alice.get("/-/web/account/tokens")
            own = re.search(
                r'name="key" value="([0-9a-f]+)">\s*<button[^>]*>Revoke</button>',
                page.text.split("this browser", 1)[1],
            )
            assert own
            out = await alice.post("/-/web/account/tokens/revoke", {"csrf": page.csrf(), "key": own.group(1)})
            assert out.status == 303 and not alice.cookie(SESSION_COOKIE)

    asyncio.run(scenario())


def test_two_factor_setup_sign_in_and_off(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with website(tmp_path) as site:
            alice = await site.person("alice")
            off = await alice.get("/-/web/account/2fa")
            assert off.status == 200 and "Two-factor authentication is off" in off.text
            wrong = await alice.submit(
                "/-/web/account/2fa",
                "/-/web/account/2fa/enable",
                {"mode": "auth-and-writes", "password": "nope-nope"},
            )
            assert wrong.status == 401 and "password is not right" in wrong.text
            started = await alice.submit(
                "/-/web/account/2fa",
                "/-/web/account/2fa/enable",
                {"mode": "auth-and-writes", "password": PASSWORD},
            )
            assert started.status == 303 and started.location == "/-/web/account/2fa"
            pending = await alice.get("/-/web/account/2fa")
            assert "Finish setting up" in pending.text
            assert active_content(pending.text) == []  # an inline SVG drawing, nothing that runs
            assert re.search(r"<svg[^>]*><path d=\"M", pending.text)
            secret = re.search(r'<code class="wrap-anywhere">([A-Z2-7]+)</code>', pending.text)
            assert secret
            totp = pyotp.TOTP(secret.group(1))
            bad = await alice.submit("/-/web/account/2fa", "/-/web/account/2fa/confirm", {"code": "000000"})
            assert bad.status == 400 and "not valid" in bad.text
            confirmed = await alice.submit(
                "/-/web/account/2fa", "/-/web/account/2fa/confirm", {"code": totp.now()}
            )
            assert confirmed.status == 200 and "only this once" in confirmed.text
            codes = re.findall(r"\b[0-9a-f]{64}\b", confirmed.text.split("<pre", 1)[1].split("</pre>", 1)[0])
            assert len(codes) == 5
            assert confirmed.headers["Cache-Control"] == "no-store"
            on = await alice.get("/-/web/account/2fa")
            assert "Two-factor authentication is on" in on.text and "auth-and-writes" in on.text
            assert not any(code in on.text for code in codes)
            # signing in now needs the code (the password alone is not enough)
            other = site.browser()
            asked = await other.sign_in("alice")
            assert asked.status == 401 and "two-factor authentication" in asked.text
            assert not other.cookie(SESSION_COOKIE)
            assert (await other.sign_in("alice", otp="123456")).status == 401
            assert (await other.sign_in("alice", otp=codes[0])).status == 303  # a recovery code works once
            assert (await site.browser().sign_in("alice", otp=codes[0])).status == 401
            # in auth-and-writes mode a profile change needs a code too
            needs = await alice.submit(
                "/-/web/account", "/-/web/account/profile", {"email": "a@example.test"}
            )
            assert needs.status == 401 and "one-time password" in needs.text
            with_code = await alice.submit(
                "/-/web/account", "/-/web/account/profile", {"email": "a@example.test", "otp": codes[1]}
            )
            assert with_code.status == 303
            # a token needs password and code
            no_code = await alice.submit(
                "/-/web/account/tokens", "/-/web/account/tokens", {"kind": "publish", "password": PASSWORD}
            )
            assert no_code.status == 401 and not _TOKEN.search(no_code.text)
            # turning it off: password and code
            refused = await alice.submit(
                "/-/web/account/2fa", "/-/web/account/2fa/disable", {"password": PASSWORD}
            )
            assert refused.status == 401
            done = await alice.submit(
                "/-/web/account/2fa", "/-/web/account/2fa/disable", {"password": PASSWORD, "otp": codes[2]}
            )
            assert done.status == 303 and done.location.endswith("done=2fa-off")
            assert "Two-factor authentication is off" in (await alice.get("/-/web/account/2fa")).text
            assert (await site.browser().sign_in("alice")).status == 303

    asyncio.run(scenario())


def test_account_pages_need_a_session(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with website(tmp_path) as site:
            visitor: Browser = site.browser()
            for path in ("/-/web/account", "/-/web/account/tokens", "/-/web/account/2fa"):
                page = await visitor.get(path)
                assert page.status == 303 and page.location.startswith("/-/web/login?next=")
            home = await visitor.get("/")
            posted = await visitor.post("/-/web/account/tokens", {"csrf": "x", "password": PASSWORD})
            assert posted.status == 303 and posted.location == "/-/web/login"
            assert home.status == 200

    asyncio.run(scenario())
