"""The public pages over HTTP (in-process): home, search, package and version pages, people; what
is escaped or stripped (XSS), what restricted packages look like to others, and the guard headers."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from registry_server.web.browser import Page, active_content, tags_of, website

HOSTILE_README = """# Title

<script>alert('readme')</script>
<img src="x" onerror="alert('img')">
<a href="javascript:alert('raw')">raw link</a>
<a href="JaVaScRiPt:alert('mixed')">mixed case</a>
<a href="&#106;avascript:alert('entity')">entity</a>
[markdown link](javascript:alert('md'))
<div onmouseover="alert('hover')" style="position:fixed">hover</div>
<iframe src="https://evil.example/"></iframe>
<form action="https://evil.example/"><input name="password"></form>
![tracker](https://evil.example/pixel.png)

[a real link](https://example.test/docs) and **bold**.
"""


def _assert_guarded(page: Page) -> None:
    csp = page.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp
    assert "script-src" not in csp and "unsafe-inline" not in csp  # no script may run at all
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert active_content(page.text) == []  # no script, handler, inline style or odd URL scheme


def test_home_search_package_version_and_user_pages(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with website(tmp_path) as site:
            await site.registry.add_user("alice")
            await site.publish(
                "alice",
                "left-pad",
                "1.0.0",
                keywords=["pad", "string"],
                license="MIT",
                repository={"type": "git", "url": "git+https://github.com/alice/left-pad.git"},
                homepage="https://example.test/left-pad",
            )
            await site.publish(
                "alice",
                "left-pad",
                "1.1.0",
                keywords=["pad"],
                license="MIT",
                dependencies={"tiny-util": "^2.0.0"},
                repository={"type": "git", "url": "git+https://github.com/alice/left-pad.git"},
                homepage="https://example.test/left-pad",
            )
            await site.publish("alice", "tiny-util", "2.0.0", description="Small helpers")
            await site.publish("alice", "uses-pad", "0.1.0", dependencies={"left-pad": "^1.0.0"})
            await site.publish("alice", "aliased", "1.0.0", dependencies={"lp": "npm:left-pad@^1"})
            visitor = site.browser()

            home = await visitor.get("/")
            assert home.status == 200 and home.headers["Content-Type"].startswith("text/html")
            _assert_guarded(home)
            for name in ("left-pad", "tiny-util", "uses-pad"):
                assert f'href="/-/web/package/{name}"' in home.text
            assert "Recently updated" in home.text and "Small helpers" in home.text

            found = await visitor.get("/-/web/search?q=pad")
            assert found.status == 200
            assert "Search results for “pad”" in found.text
            assert re.search(r'class="package-name" href="/-/web/package/left-pad"', found.text)
            none = await visitor.get("/-/web/search?q=zzzzzz-nothing")
            assert "No packages match" in none.text
            assert (await visitor.get("/-/web/search?q=pad&page=junk")).status == 200

            package = await visitor.get("/-/web/package/left-pad")
            assert package.status == 200
            _assert_guarded(package)
            text = package.text
            assert '<h1 class="package-title">left-pad</h1>' in text
            assert "npm i left-pad" in text
            assert 'href="https://github.com/alice/left-pad"' in text  # git+https…git → browse URL
            assert 'href="https://example.test/left-pad"' in text
            assert ">MIT<" in text and "keywords:pad" in text.replace("%3A", ":")
            assert 'href="/-/web/package/left-pad/v/1.0.0"' in text and ">1.1.0<" in text
            assert re.search(r"Dependencies <span class=\"count\">1</span>", text)
            # uses-pad and aliased (through `npm:left-pad@^1`) depend on it
            assert re.search(r"Dependents <span class=\"count\">2</span>", text)
            assert 'href="/-/web/package/uses-pad"' in text and 'href="/-/web/package/aliased"' in text
            assert '<a href="/-/web/user/alice">alice</a>' in text

            version = await visitor.get("/-/web/package/left-pad/v/1.0.0")
            assert version.status == 200
            assert "Version 1.0.0" in version.text and "npm i left-pad@1.0.0" in version.text
            assert "sha512-" in version.text and "left-pad-1.0.0.tgz" in version.text
            assert (await visitor.get("/-/web/package/left-pad/v/9.9.9")).status == 404
            assert (await visitor.get("/-/web/package/no-such-thing")).status == 404

            person = await visitor.get("/-/web/user/alice")
            assert person.status == 200 and 'href="/-/web/package/tiny-util"' in person.text
            assert "Your organizations" not in person.text  # only on your own page
            assert (await visitor.get("/-/web/user/nobody")).status == 404

    asyncio.run(scenario())


def test_scoped_names_in_links_and_routes(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with website(tmp_path) as site:
            await site.registry.add_user("alice")
            await site.publish("alice", "@alice/tool", "2.0.0-beta.1", description="scoped")
            visitor = site.browser()
            page = await visitor.get("/-/web/package/@alice/tool")
            assert page.status == 200 and "npm i @alice/tool" in page.text
            assert 'href="/-/web/package/@alice/tool/v/2.0.0-beta.1"' in page.text
            assert (await visitor.get("/-/web/package/@alice%2ftool")).status == 200
            assert (await visitor.get("/-/web/package/@alice/tool/v/2.0.0-beta.1")).status == 200

    asyncio.run(scenario())


def test_readme_and_description_cannot_inject_markup(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with website(tmp_path) as site:
            await site.registry.add_user("mallory")
            await site.publish(
                "mallory",
                "evil-pkg",
                "1.0.0",
                readme=HOSTILE_README,
                description='<img src=x onerror="alert(1)"><b>bold</b>',
                keywords=['"><script>alert(1)</script>'],
                homepage="javascript:alert('homepage')",
                repository={"type": "git", "url": "javascript:alert('repo')"},
                license="<i>MIT</i>",
            )
            page = await site.browser().get("/-/web/package/evil-pkg")
            assert page.status == 200
            _assert_guarded(page)
            assert active_content(page.text) == []
            forms = [dict(attrs).get("action") for tag, attrs in tags_of(page.text) if tag == "form"]
            assert "https://evil.example/" not in forms
            assert not any(
                tag == "input" and dict(attrs).get("name") == "password" for tag, attrs in tags_of(page.text)
            )
            # the markdown image is its alt text; the tracker address is only a tooltip
            assert "[tracker]" in page.text
            # the description and keywords are text, escaped
            assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;&lt;b&gt;bold&lt;/b&gt;" in page.text or (
                "&lt;img src=x" in page.text and "&lt;b&gt;bold&lt;/b&gt;" in page.text
            )
            assert "&lt;i&gt;MIT&lt;/i&gt;" in page.text
            # what is allowed survives: headings, safe links (with rel), emphasis
            assert "<h1>Title</h1>" in page.text
            assert (
                '<a href="https://example.test/docs" rel="noopener noreferrer nofollow ugc">a real link</a>'
                in page.text
            )
            assert "<strong>bold</strong>" in page.text
            # the repository field is shown, but as text
            assert "alert(&#39;repo&#39;)" in page.text or "alert('repo')" in page.unescaped()

    asyncio.run(scenario())


def test_restricted_packages_are_invisible_to_others(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with website(tmp_path) as site:
            await site.registry.add_user("bob")
            alice = await site.person("alice")
            await site.publish(
                "alice", "@alice/secret", "1.0.0", description="hidden thing", access="restricted"
            )
            await site.publish("alice", "public-thing", "1.0.0", dependencies={"@alice/secret": "^1.0.0"})
            await site.publish(
                "alice",
                "@alice/secret-user",
                "1.0.0",
                access="restricted",
                dependencies={"public-thing": "^1.0.0"},
            )
            bob = await site.person("carol")
            anonymous = site.browser()
            for browser in (anonymous, bob):
                for path in ("/-/web/package/@alice/secret", "/-/web/package/@alice/secret/v/1.0.0"):
                    page = await browser.get(path)
                    assert page.status == 404 and "hidden thing" not in page.text
                # the very same page as for a name nobody published
                missing = await browser.get("/-/web/package/@alice/never-published")
                assert (await browser.get("/-/web/package/@alice/secret")).text == missing.text
                for path in ("/", "/-/web/search?q=secret", "/-/web/search?q=hidden", "/-/web/user/alice"):
                    page = await browser.get(path)
                    assert page.status == 200 and "@alice/secret" not in page.text, path
                public = await browser.get("/-/web/package/public-thing")
                assert "@alice/secret-user" not in public.text  # a restricted dependent is not listed
                assert re.search(r"Dependents <span class=\"count\">0</span>", public.text)
            # the owner sees everything, marked restricted
            own = await alice.get("/-/web/package/@alice/secret")
            assert own.status == 200 and "hidden thing" in own.text and "restricted" in own.text
            assert own.headers["Cache-Control"] == "no-store"
            assert "@alice/secret" in (await alice.get("/-/web/search?q=secret")).text
            assert "@alice/secret" in (await alice.get("/-/web/user/alice")).text
            assert "@alice/secret-user" in (await alice.get("/-/web/package/public-thing")).text

    asyncio.run(scenario())


def test_static_files_and_unknown_paths(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with website(tmp_path) as site:
            visitor = site.browser()
            home = await visitor.get("/")
            css_path = re.search(r'href="(/-/web/static/site\.css\?v=[0-9a-f]+)"', home.text)
            assert css_path
            css = await visitor.get(css_path.group(1))
            assert css.status == 200 and css.headers["Content-Type"].startswith("text/css")
            assert "immutable" in css.headers["Cache-Control"]
            assert "url(" not in css.text and "@import" not in css.text  # nothing from elsewhere
            stale = await visitor.get("/-/web/static/site.css?v=old")
            assert stale.status == 200 and stale.headers["Cache-Control"] == "no-cache"
            assert (await visitor.get("/-/web/static/nope.js")).status == 404
            assert (await visitor.get("/-/web/static/..%2f..%2fapp.py")).status == 404

    asyncio.run(scenario())


def test_read_requires_login_sends_visitors_to_sign_in(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with website(tmp_path, read_requires_login=True) as site:
            await site.registry.add_user("alice")
            await site.publish("alice", "left-pad", "1.0.0")
            visitor = site.browser()
            for path in ("/", "/-/web/search?q=x", "/-/web/package/left-pad", "/-/web/user/alice"):
                page = await visitor.get(path)
                assert page.status == 303 and page.location.startswith("/-/web/login?next="), path
            assert (await visitor.get("/-/web/login")).status == 200
            signed_in = await visitor.sign_in("alice")
            assert signed_in.status == 303
            assert (await visitor.get("/-/web/package/left-pad")).status == 200

    asyncio.run(scenario())


def test_search_pages_and_escapes_the_query(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with website(tmp_path) as site:
            await site.registry.add_user("alice")
            for number in range(23):
                await site.publish("alice", f"many-{number:02d}", "1.0.0", keywords=["many"])
            visitor = site.browser()
            first = await visitor.get("/-/web/search?q=keywords:many")
            assert "23 packages · page 1 of 2" in first.text
            assert first.text.count('class="package-name"') == 20
            assert 'rel="next" href="/-/web/search?q=keywords%3Amany&amp;page=2"' in first.text
            second = await visitor.get("/-/web/search?q=keywords:many&page=2")
            assert second.text.count('class="package-name"') == 3 and 'rel="prev"' in second.text
            hostile = await visitor.get("/-/web/search?q=%22%3E%3Cscript%3Ealert(1)%3C/script%3E")
            assert hostile.status == 200 and active_content(hostile.text) == []
            assert 'value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in hostile.text

    asyncio.run(scenario())
