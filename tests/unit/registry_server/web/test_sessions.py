"""Sessions and forms: signing in (a new session every time), out and up; the cookie's attributes;
form tokens on every POST; where a sign-in may send the browser; passwords never shown again."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

from registry_server.web.browser import PASSWORD, Browser, website
from snpm.registry_server.web.sessions import CSRF_COOKIE, SESSION_COOKIE, SESSION_TOKEN_NAME


def _set_cookie_headers(page_headers: object) -> list[str]:
    return list(page_headers.getall("Set-Cookie", []))  # type: ignore[attr-defined]


def _session_cookie_header(headers: object) -> str:
    found = [h for h in _set_cookie_headers(headers) if h.startswith(f"{SESSION_COOKIE}=")]
    assert len(found) == 1, _set_cookie_headers(headers)
    return found[0]


def test_sign_in_makes_a_new_session_and_sign_out_ends_it(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with website(tmp_path) as site:
            alice = await site.person("alice", sign_in=False)
            # an attacker plants a session id (and a form cookie) before the victim signs in
            alice.set_cookie(SESSION_COOKIE, "npm_attackerChoseThisSessionId0000000000")
            signed_in = await alice.sign_in("alice")
            assert signed_in.status == 303 and signed_in.location == "/"
            header = _session_cookie_header(signed_in.headers)
            assert "HttpOnly" in header and "SameSite=Lax" in header and "Path=/" in header
            assert "Secure" not in header  # plain http here
            session = alice.cookie(SESSION_COOKIE)
            assert session and session != "npm_attackerChoseThisSessionId0000000000"
            # the session is a stored token (only its hash is kept), read-only for the API
            record = await site.registry.registry.storage.token_by_hash(
                hashlib.sha512(session.encode()).hexdigest()
            )
            assert record is not None and record.user == "alice" and record.readonly
            assert record.name == SESSION_TOKEN_NAME and record.expires
            account = await alice.get("/-/web/account")
            assert account.status == 200 and "Your account" in account.text
            # signing in again replaces the session, and the old one stops working
            assert (await alice.get("/-/web/login")).status == 303  # signed in: no form needed
            again = await alice.submit(
                "/-/web/account", "/-/web/login", {"username": "alice", "password": PASSWORD}
            )
            assert again.status == 303
            assert alice.cookie(SESSION_COOKIE) != session
            stale = Browser(site.registry.url)
            try:
                stale.set_cookie(SESSION_COOKIE, session)
                page = await stale.get("/-/web/account")
                assert page.status == 303 and page.location.startswith("/-/web/login")
                # the dead cookie is cleared
                assert any(
                    h.startswith(f"{SESSION_COOKIE}=;") or f'{SESSION_COOKIE}=""' in h
                    for h in _set_cookie_headers(page.headers)
                )
            finally:
                await stale.close()
            # signing out is a form (with its token) and revokes the session's token
            current = alice.cookie(SESSION_COOKIE)
            assert current
            out = await alice.submit("/", "/-/web/logout", {})
            assert out.status == 303 and out.location == "/?done=signed-out"
            assert not alice.cookie(SESSION_COOKIE)
            assert (
                await site.registry.registry.storage.token_by_hash(
                    hashlib.sha512(current.encode()).hexdigest()
                )
                is None
            )
            assert (await alice.get("/-/web/account")).status == 303
            assert "You are signed out." in (await alice.get("/?done=signed-out")).text

    asyncio.run(scenario())


def test_wrong_credentials_same_answer_and_no_password_echo(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with website(tmp_path) as site:
            await site.registry.add_user("alice", PASSWORD)
            browser = site.browser()
            secret = "Hunter2-is-my-secret-password"
            wrong = await browser.sign_in("alice", secret)
            unknown = await browser.sign_in("nobody-here", secret)
            for page in (wrong, unknown):
                assert page.status == 401
                assert "Incorrect username or password." in page.text
                assert secret not in page.text
                assert SESSION_COOKIE not in page.cookies
            assert 'value="alice"' in wrong.text  # the user name is kept, the password is not
            # signing up with two different passwords: nothing echoed either
            mismatch = await browser.submit(
                "/-/web/signup",
                "/-/web/signup",
                {
                    "username": "newbie",
                    "email": "n@example.test",
                    "password": secret,
                    "confirm": secret + "x",
                },
            )
            assert mismatch.status == 400 and "not the same" in mismatch.text
            assert secret not in mismatch.text

    asyncio.run(scenario())


def test_every_form_needs_its_token(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with website(tmp_path) as site:
            alice = await site.person("alice")
            before = await site.registry.registry.accounts.get_user("alice")
            assert before is not None
            forged = {"email": "evil@example.test", "fullname": "Pwned"}
            # no token, a wrong token, and the right token from a cross-site page
            page = await alice.get("/-/web/account")
            token = page.csrf()
            attempts = [
                await alice.post("/-/web/account/profile", forged),
                await alice.post("/-/web/account/profile", {**forged, "csrf": "0" * 64}),
                await alice.post(
                    "/-/web/account/profile",
                    {**forged, "csrf": token},
                    headers={"Sec-Fetch-Site": "cross-site"},
                ),
                await alice.post(
                    "/-/web/account/profile",
                    {**forged, "csrf": token},
                    headers={"Sec-Fetch-Site": "same-site"},
                ),
            ]
            for attempt in attempts:
                assert attempt.status == 403 and "did not come from this site" in attempt.text
            after = await site.registry.registry.accounts.get_user("alice")
            assert after is not None and after.email == before.email and after.fullname == ""
            # sign-out and sign-in are forms too: no token, no action
            assert (await alice.post("/-/web/logout", {})).status == 403
            assert alice.cookie(SESSION_COOKIE)
            fresh = site.browser()
            refused = await fresh.post("/-/web/login", {"username": "alice", "password": PASSWORD})
            assert refused.status == 403 and not fresh.cookie(SESSION_COOKIE)
            # a form token belongs to one browser: bob's does not work for alice
            bob = await site.person("bob")
            bobs = (await bob.get("/-/web/account")).csrf()
            assert bobs != token
            assert (await alice.post("/-/web/account/profile", {**forged, "csrf": bobs})).status == 403
            # the right token from the right page works
            ok = await alice.post(
                "/-/web/account/profile", {"email": "alice@example.test", "fullname": "Alice", "csrf": token}
            )
            assert ok.status == 303

    asyncio.run(scenario())


def test_sign_in_goes_back_only_to_this_site(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with website(tmp_path) as site:
            await site.registry.add_user("alice", PASSWORD)
            visitor = site.browser()
            gate = await visitor.get("/-/web/account/tokens")
            assert gate.status == 303 and gate.location == "/-/web/login?next=%2F-%2Fweb%2Faccount%2Ftokens"
            for target, expected in [
                ("/-/web/account/tokens", "/-/web/account/tokens"),
                ("//evil.example/", "/"),
                ("https://evil.example/", "/"),
                ("/\\evil.example", "/"),
                ("javascript:alert(1)", "/"),
                ("/ok\r\nSet-Cookie: x=y", "/"),
            ]:
                browser = site.browser()
                page = await browser.get(
                    "/-/web/login?next=" + target.replace("\\", "%5C").replace("\r\n", "%0D%0A")
                )
                done = await browser.post(
                    "/-/web/login",
                    {"csrf": page.csrf(), "next": target, "username": "alice", "password": PASSWORD},
                )
                assert done.status == 303 and done.location == expected, (target, done.location)

    asyncio.run(scenario())


def test_secure_cookies_behind_https(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with website(tmp_path, public_url="https://registry.example.test/npm") as site:
            await site.registry.add_user("alice", PASSWORD)
            browser = site.browser()
            page = await browser.get("/")
            csrf_header = [h for h in _set_cookie_headers(page.headers) if h.startswith(f"{CSRF_COOKIE}=")]
            assert csrf_header and "Secure" in csrf_header[0] and "Path=/npm" in csrf_header[0]
            assert 'href="/npm/-/web/search' in page.text or 'action="/npm/-/web/search"' in page.text
            # the browser would not send Secure cookies over plain http; send them by hand here
            csrf_value = csrf_header[0].split(";", 1)[0].split("=", 1)[1]
            signed = await browser.post(
                "/-/web/login",
                {
                    "csrf": page.csrf() if 'name="csrf"' in page.text else _form_token(csrf_value),
                    "username": "alice",
                    "password": PASSWORD,
                },
                headers={"Cookie": f"{CSRF_COOKIE}={csrf_value}"},
            )
            assert signed.status == 303 and signed.location == "/npm/"
            header = _session_cookie_header(signed.headers)
            assert "Secure" in header and "HttpOnly" in header and "Path=/npm" in header

    asyncio.run(scenario())


def _form_token(csrf_cookie: str) -> str:
    from snpm.registry_server.web.sessions import form_token

    return form_token(csrf_cookie, None)


def test_sign_up_when_open_and_closed(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with website(tmp_path / "open") as site:
            browser = site.browser()
            form = await browser.get("/-/web/signup")
            assert form.status == 200 and "name=email" in form.text
            created = await browser.submit(
                "/-/web/signup",
                "/-/web/signup",
                {"username": "newbie", "email": "n@example.test", "password": PASSWORD, "confirm": PASSWORD},
            )
            assert created.status == 303 and created.location == "/-/web/account?done=welcome"
            assert browser.cookie(SESSION_COOKIE)
            assert "Welcome!" in (await browser.get("/-/web/account?done=welcome")).text
            taken = await site.browser().submit(
                "/-/web/signup",
                "/-/web/signup",
                {"username": "newbie", "email": "x@example.test", "password": PASSWORD, "confirm": PASSWORD},
            )
            assert taken.status == 409 and "is taken" in taken.text
            bad = await site.browser().submit(
                "/-/web/signup",
                "/-/web/signup",
                {"username": "Upper", "email": "x@example.test", "password": PASSWORD, "confirm": PASSWORD},
            )
            assert bad.status == 400 and "lowercase" in bad.text
            # a notice comes only from the fixed list: other text is not shown
            assert "pwned" not in (await browser.get("/?done=%3Cb%3Epwned")).text
        async with website(tmp_path / "closed", allow_signup=False) as site:
            browser = site.browser()
            home = await browser.get("/")
            assert "/-/web/signup" not in home.text
            closed = await browser.get("/-/web/signup")
            assert closed.status == 403 and "Sign-up is closed" in closed.text

    asyncio.run(scenario())
