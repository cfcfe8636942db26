"""The website of a real snpm-registry process, with packages published by the real npm 11.

One server per module on 127.0.0.1 (its own data folder, web login on). alice publishes with npm:
a package with a hostile README, a dependency, two versions and a `next` tag, a deprecated one,
and a restricted scoped one. The pages are then fetched as a browser would (a cookie jar, the
forms' tokens): their content, what stays hidden from others, a token made on the website that the
real npm then uses, and the access log, which must hold no token and no password.

Screenshots: headless Chromium (Debian's `chromium`, `scripts/install_chromium.sh`) renders the
main pages; the test skips when it is missing. Set SNPM_SCREENSHOTS=<folder> to keep the PNGs.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import shutil
import struct
import subprocess
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from support.registry import NpmAccount, RunningRegistry, registry_admin, start_registry, write_package

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

NPM = shutil.which("npm")
if NPM is None or shutil.which("node") is None:
    pytest.skip("node and npm are needed", allow_module_level=True)

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "correct-horse-battery"
_CSRF = re.compile(r'name="csrf" value="([0-9a-f]{64})"')
_TOKEN = re.compile(r"npm_[A-Za-z0-9]{36}")

HOSTILE_README = """# web-demo

A demo package for the website.

<script>alert('readme')</script>
<img src="x" onerror="alert('img')">
<a href="javascript:alert('link')">click me</a>
[markdown link](javascript:alert('md'))

## Usage

```js
const demo = require('web-demo')
```

| option | meaning |
| --- | --- |
| `fast` | go fast |
"""


@dataclass
class Site:
    server: RunningRegistry
    alice: NpmAccount


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("website")
    server = start_registry(root / "data", settings={"web-login": True})
    try:
        registry_admin(
            server,
            "user",
            "add",
            "alice",
            "--email",
            "alice@example.test",
            "--password-stdin",
            stdin=PASSWORD + "\n",
        )
        alice = NpmAccount("alice", root / "alice", server, str(NPM)).prepare()
        alice.login_over_http(PASSWORD)
        packages = root / "packages"
        write_package(
            packages / "web-util",
            {
                "name": "web-util",
                "version": "2.0.0",
                "description": "Small <b>helpers</b> & more",
                "license": "ISC",
            },
        )
        demo = {
            "name": "web-demo",
            "version": "1.0.0",
            "description": "A demo of the website",
            "keywords": ["demo", "website"],
            "license": "MIT",
            "repository": {"type": "git", "url": "git+https://github.com/alice/web-demo.git"},
            "homepage": "https://example.test/web-demo",
            "dependencies": {"web-util": "^2.0.0"},
        }
        write_package(packages / "web-demo", demo)
        (packages / "web-demo" / "README.md").write_text(HOSTILE_README)
        write_package(packages / "web-old", {"name": "web-old", "version": "1.0.0", "description": "old"})
        write_package(
            packages / "secret", {"name": "@alice/secret", "version": "1.0.0", "description": "hush"}
        )
        alice.npm("publish", cwd=packages / "web-util")
        alice.npm("publish", cwd=packages / "web-demo")
        write_package(packages / "web-demo", {**demo, "version": "1.1.0-beta.1"})
        (packages / "web-demo" / "README.md").write_text(HOSTILE_README)
        alice.npm("publish", "--tag", "next", cwd=packages / "web-demo")
        alice.npm("publish", cwd=packages / "web-old")
        alice.npm("deprecate", "web-old@1.0.0", "use web-demo instead")
        alice.npm("publish", "--access", "restricted", cwd=packages / "secret")
        yield Site(server, alice)
    finally:
        server.stop()


class Browser:
    """urllib with a cookie jar: follows redirects, keeps the session cookie."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def open(self, path: str, form: dict[str, str] | None = None) -> tuple[int, str, str]:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        try:
            with self.opener.open(
                urllib.request.Request(self.base + path, data=data), timeout=15
            ) as response:
                return response.status, response.read().decode(), response.geturl()
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode(), err.geturl()

    def submit(self, page: str, action: str, form: dict[str, str]) -> tuple[int, str, str]:
        status, text, _ = self.open(page)
        assert status == 200, text[:2000]
        match = _CSRF.search(text)
        assert match, text[:2000]
        return self.open(action, {"csrf": match.group(1), **form})


def test_pages_show_what_npm_published(site: Site) -> None:
    visitor = Browser(site.server.url)
    status, home, _ = visitor.open("/")
    assert status == 200
    for name in ("web-demo", "web-util", "web-old"):
        assert f'href="/-/web/package/{name}"' in home
    assert "@alice/secret" not in home and "hush" not in home

    status, page, _ = visitor.open("/-/web/package/web-demo")
    assert status == 200
    assert '<h1 class="package-title">web-demo</h1>' in page and "A demo of the website" in page
    assert "npm i web-demo" in page
    assert "<h2>Usage</h2>" in page and "<table>" in page  # the README npm uploaded, rendered
    assert "<script" not in page.lower() and "onerror" not in page.lower() and 'href="javascript' not in page
    assert (
        'href="https://github.com/alice/web-demo"' in page and 'href="https://example.test/web-demo"' in page
    )
    assert 'href="/-/web/package/web-demo/v/1.1.0-beta.1"' in page and ">next<" in page
    assert 'href="/-/web/package/web-util"' in page
    assert 'href="/-/web/user/alice"' in page

    status, util, _ = visitor.open("/-/web/package/web-util")
    assert "Small &lt;b&gt;helpers&lt;/b&gt; &amp; more" in util
    assert re.search(r'Dependents <span class="count">1</span>', util)

    status, version, _ = visitor.open("/-/web/package/web-demo/v/1.1.0-beta.1")
    assert status == 200 and "npm i web-demo@1.1.0-beta.1" in version and "sha512-" in version

    status, old, _ = visitor.open("/-/web/package/web-old")
    assert "Deprecated." in old and "use web-demo instead" in old

    status, found, _ = visitor.open("/-/web/search?q=demo")
    assert status == 200 and 'href="/-/web/package/web-demo"' in found

    status, person, _ = visitor.open("/-/web/user/alice")
    assert status == 200 and "web-demo" in person and "@alice/secret" not in person

    for path in ("/-/web/package/@alice/secret", "/-/web/package/@alice/secret/v/1.0.0"):
        assert visitor.open(path)[0] == 404


def test_sign_in_token_for_npm_and_clean_logs(site: Site, tmp_path: Path) -> None:
    browser = Browser(site.server.url)
    status, _, landed = browser.submit(
        "/-/web/login?next=/-/web/package/@alice/secret",
        "/-/web/login",
        {"username": "alice", "password": PASSWORD, "next": "/-/web/package/@alice/secret"},
    )
    assert status == 200 and landed.endswith("/-/web/package/@alice/secret")
    status, secret, _ = browser.open("/-/web/package/@alice/secret")
    assert status == 200 and "hush" in secret and "restricted" in secret
    cookies = {c.name: c.value for c in browser.jar}
    assert set(cookies) == {"snpm_session", "snpm_csrf"}

    status, created, _ = browser.submit(
        "/-/web/account/tokens",
        "/-/web/account/tokens",
        {"name": "from-web", "kind": "publish", "password": PASSWORD},
    )
    tokens = set(_TOKEN.findall(created))
    assert status == 200 and len(tokens) == 1
    token = tokens.pop()
    # the real npm uses the token made on the website
    npm_user = NpmAccount("alice-web", tmp_path / "npm", site.server, str(NPM)).prepare()
    npm_user.use_token(token)
    assert npm_user.npm("whoami").stdout.strip() == "alice"
    listed = npm_user.npm("token", "list").stdout
    assert "from-web" in listed or token[:8] in listed
    # the token is not on any later page
    assert token not in browser.open("/-/web/account/tokens")[1]
    # signing out
    status, home, _ = browser.submit("/", "/-/web/logout", {})
    assert status == 200 and "You are signed out." in home
    assert browser.open("/-/web/package/@alice/secret")[0] == 404

    log = site.server.log.read_text()
    assert "/-/web/login" in log and "/-/web/account/tokens" in log
    assert token not in log and PASSWORD not in log
    for value in cookies.values():
        assert value not in log


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _screenshot(url: str, out: Path) -> None:
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                f"--user-data-dir={profile}",
                f"--screenshot={out}",
                "--window-size=1280,900",
                url,
            ],
            capture_output=True,
            text=True,
            timeout=90,
        )
    assert done.returncode == 0 and out.is_file(), done.stderr[-2000:]


@pytest.mark.skipif(
    not os.access(CHROMIUM, os.X_OK), reason="chromium is not installed (scripts/install_chromium.sh)"
)
def test_main_pages_render_in_chromium(site: Site, tmp_path: Path) -> None:
    keep = os.environ.get("SNPM_SCREENSHOTS")
    folder = Path(keep) if keep else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    pages = {
        "home": "",
        "search": "-/web/search?q=demo",
        "package": "-/web/package/web-demo",
        "version": "-/web/package/web-demo/v/1.1.0-beta.1",
        "deprecated": "-/web/package/web-old",
        "user": "-/web/user/alice",
        "sign-in": "-/web/login",
        "not-found": "-/web/package/@alice/secret",
    }
    sizes = {}
    for name, path in pages.items():
        out = folder / f"{name}.png"
        _screenshot(site.server.url + path, out)
        assert _png_size(out) == (1280, 900)
        sizes[name] = out.stat().st_size
    # a styled page with text is far larger than a blank or unstyled one
    assert all(size > 15_000 for size in sizes.values()), sizes
    # the pages loaded their stylesheet from the site (and nothing else)
    log = site.server.log.read_text()
    assert "/-/web/static/site.css" in log
