"""npm's web-login page as a page of the site: the layout, the guard headers, a secret address that
is never sent as a referrer, cross-site posts refused, and the flow npm depends on (its JSON half is
tested in tests/integration/registry_server)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import urlsplit

from registry_server.web.browser import PASSWORD, active_content, website


def test_the_login_page_npm_opens(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with website(tmp_path) as site:
            await site.registry.add_user("alice", PASSWORD)
            c = site.registry.client
            urls = await (await c.post("/-/v1/login", json={})).json()
            login_path = urlsplit(urls["loginUrl"]).path
            browser = site.browser()
            page = await browser.get(login_path)
            assert page.status == 200 and "to finish <code>npm login</code>" in page.text
            assert page.headers["Referrer-Policy"] == "no-referrer"
            assert '<meta name="referrer" content="no-referrer">' in page.text
            assert page.headers["Cache-Control"] == "no-store"
            assert page.headers["X-Frame-Options"] == "DENY"
            assert active_content(page.text) == []
            assert "/-/web/static/site.css" in page.text  # the site's own look
            # a browser marking the POST cross-site is refused, and the session stays open
            forged = await browser.post(
                login_path,
                {"username": "alice", "password": PASSWORD},
                headers={"Sec-Fetch-Site": "cross-site"},
            )
            assert forged.status == 403
            assert (await c.get(urlsplit(urls["doneUrl"]).path)).status == 202
            secret = "wrong-Secret-123"
            wrong = await browser.post(login_path, {"username": "alice", "password": secret})
            assert wrong.status == 401 and secret not in wrong.text and 'value="alice"' in wrong.text
            done = await browser.post(
                login_path,
                {"username": "alice", "password": PASSWORD},
                headers={"Sec-Fetch-Site": "same-origin"},
            )
            assert done.status == 200 and "Logged in as alice" in done.text
            token = (await (await c.get(urlsplit(urls["doneUrl"]).path)).json())["token"]
            assert token.startswith("npm_")
            # the browser itself was not signed in to the site by this
            assert "snpm_session" not in done.cookies
            gone = await browser.get(login_path)
            assert gone.status == 404 and "Login expired" in gone.text

    asyncio.run(scenario())


def test_the_login_page_is_off_with_web_login(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with website(tmp_path, web_login=False) as site:
            page = await site.browser().get("/-/v1/login/anything")
            assert page.status == 404 and page.headers["Content-Type"].startswith("text/html")

    asyncio.run(scenario())
