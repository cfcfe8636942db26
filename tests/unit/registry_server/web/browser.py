"""A person's browser against an in-process snpm-registry, for the website's tests.

Each `Browser` has its own cookie jar (so alice and bob can be signed in at once), never follows
redirects by itself (tests look at the 303s), and knows how to find the form token of a page.

    async with website(tmp_path) as site:
        alice = await site.person("alice")          # signed up through the API, signed in here
        page = await alice.get("/-/web/account")
        await alice.submit("/-/web/account", "/-/web/account/profile", {"fullname": "Alice"})
"""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import aiohttp
from multidict import CIMultiDictProxy

from support.registry import InProcessRegistry, in_process_registry, publish_body

PASSWORD = "password-123"
_CSRF = re.compile(r'name="csrf" value="([0-9a-f]{64})"')


@dataclass
class Page:
    status: int
    text: str
    headers: CIMultiDictProxy[str]
    cookies: dict[str, Any] = field(default_factory=dict)

    @property
    def location(self) -> str:
        return self.headers.get("Location", "")

    def csrf(self) -> str:
        match = _CSRF.search(self.text)
        assert match, f"no form token on the page:\n{self.text[:3000]}"
        return match.group(1)

    def unescaped(self) -> str:
        return html.unescape(self.text)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def tags_of(text: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    """Every start tag of a page with its attributes, as a browser's parser reads them."""
    parser = _Tags()
    parser.feed(text)
    return parser.tags


def active_content(text: str) -> list[str]:
    """What in a page could run script or load from elsewhere: script/iframe/object/embed/img tags,
    event-handler and style attributes, and URLs with a scheme other than http(s)/mailto."""
    found: list[str] = []
    for tag, attrs in tags_of(text):
        if tag in ("script", "iframe", "object", "embed", "img", "frame", "base", "meta") and not (
            tag == "meta" and {k for k, _ in attrs} & {"charset", "name"}
        ):
            found.append(f"<{tag}>")
        for key, value in attrs:
            if key.startswith("on") or key == "style" or key == "srcdoc":
                found.append(f"<{tag} {key}>")
            if key in ("href", "src", "action", "formaction", "xlink:href") and value is not None:
                scheme = re.match(r"^\s*([a-zA-Z][a-zA-Z0-9+.-]*):", value)
                if scheme and scheme.group(1).lower() not in ("http", "https", "mailto"):
                    found.append(f"<{tag} {key}={value}>")
    return found


class Browser:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))

    async def close(self) -> None:
        await self.session.close()

    def cookie(self, name: str) -> str | None:
        for morsel in self.session.cookie_jar:
            if morsel.key == name:
                return morsel.value
        return None

    def set_cookie(self, name: str, value: str) -> None:
        self.session.cookie_jar.update_cookies({name: value}, aiohttp.client.URL(self.base_url + "/"))

    async def _page(self, response: aiohttp.ClientResponse) -> Page:
        text = await response.text()
        return Page(response.status, text, response.headers, dict(response.cookies))

    async def get(self, path: str, **kwargs: Any) -> Page:
        async with self.session.get(self.base_url + path, allow_redirects=False, **kwargs) as response:
            return await self._page(response)

    async def post(self, path: str, data: dict[str, str], **kwargs: Any) -> Page:
        async with self.session.post(
            self.base_url + path, data=data, allow_redirects=False, **kwargs
        ) as response:
            return await self._page(response)

    async def submit(self, page_path: str, action: str, data: dict[str, str], **kwargs: Any) -> Page:
        """Load `page_path`, then send its form token with `data` to `action` (as the browser does)."""
        page = await self.get(page_path)
        assert page.status == 200, page.text[:2000]
        return await self.post(action, {"csrf": page.csrf(), **data}, **kwargs)

    async def sign_in(self, name: str, password: str = PASSWORD, otp: str | None = None) -> Page:
        data = {"username": name, "password": password}
        if otp is not None:
            data["otp"] = otp
        return await self.submit("/-/web/login", "/-/web/login", data)


@dataclass
class Website:
    registry: InProcessRegistry
    browsers: list[Browser] = field(default_factory=list)

    def browser(self) -> Browser:
        browser = Browser(self.registry.url)
        self.browsers.append(browser)
        return browser

    async def person(self, name: str, *, sign_in: bool = True) -> Browser:
        """A user (signed up through the API, with an npm token in `registry.tokens`) and a
        browser, signed in unless told otherwise."""
        await self.registry.add_user(name, PASSWORD)
        browser = self.browser()
        if sign_in:
            page = await browser.sign_in(name)
            assert page.status == 303, page.text[:2000]
        return browser

    async def publish(self, user: str, name: str, version: str = "1.0.0", **fields: Any) -> None:
        readme = fields.pop("readme", None)
        access = fields.pop("access", None)
        body = publish_body(name, version, manifest=fields)
        if readme is not None:
            body["versions"][version]["readme"] = readme
        if access is not None:
            body["access"] = access
        response = await self.registry.publish(user, body)
        assert response.status == 201, await response.text()


@asynccontextmanager
async def website(tmp_path: Path, **settings: Any) -> AsyncIterator[Website]:
    async with in_process_registry(tmp_path, **settings) as registry:
        site = Website(registry)
        try:
            yield site
        finally:
            for browser in site.browsers:
                await browser.close()
